#!/usr/bin/env bash
# Install everything the test suite needs (virtual environment, Python and system
# packages) and run the whole suite. Extra arguments go to pytest.
set -euo pipefail
root="$(cd "$(dirname "$0")" && pwd)"
"$root/scripts/system-deps.sh"
python="$("$root/scripts/venv.sh" test,gui)"
cd "$root"
exec "$python" -m pytest "$@"
