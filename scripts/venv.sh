#!/usr/bin/env bash
# Create (once) and update the project's virtual environment in .venv; print its python.
# Usage: scripts/venv.sh EXTRAS   (e.g. "test,gui")
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
extras="${1:-}"
venv="$root/.venv"
if [ ! -x "$venv/bin/python" ]; then
    python3 -m venv "$venv" >&2
fi
stamp="$venv/.installed-${extras//,/-}"
if [ ! -f "$stamp" ] || [ "$root/pyproject.toml" -nt "$stamp" ]; then
    "$venv/bin/python" -m pip install -q --upgrade pip >&2
    "$venv/bin/python" -m pip install -q -e "$root${extras:+[$extras]}" >&2
    touch "$stamp"
fi
echo "$venv/bin/python"
