#!/usr/bin/env bash
# Set up the virtual environment and run the main job on the embedded default: a Tango
# database, a simulated Time Tagger and its measurement devices (timetagger-quickstart).
set -euo pipefail
root="$(cd "$(dirname "$0")" && pwd)"
python="$("$root/scripts/venv.sh" "")"
exec "$python" -m tango_ds.quickstart "$@"
