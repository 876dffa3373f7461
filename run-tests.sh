#!/usr/bin/env bash
# Install everything the test suite needs and run the whole suite; extra arguments go to pytest.
# The Debian packages (scripts/system-deps.sh): only missing ones, listed before anything is
# installed, without upgrading installed packages unless a new one needs it (listed too).
# The virtual environment .venv: the package with its test and gui extras.
set -euo pipefail
root="$(cd "$(dirname "$0")" && pwd)"
"$root/scripts/system-deps.sh"
python="$("$root/scripts/venv.sh" test,gui)"
cd "$root"
exec "$python" -m pytest "$@"
