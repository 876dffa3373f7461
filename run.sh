#!/usr/bin/env bash
# Set up the virtual environment (the package with its gui extra, so timetagger-gui works too)
# and run the main job on the embedded default: a Tango database, a simulated Time Tagger and
# its measurement devices (timetagger-quickstart; arguments go to it, see ./run.sh -h).
set -euo pipefail
root="$(cd "$(dirname "$0")" && pwd)"
python="$("$root/scripts/venv.sh" gui)"
exec "$python" -m tango_ds.quickstart "$@"
