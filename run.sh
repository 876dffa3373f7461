#!/usr/bin/env bash
# Set up the virtual environment and run the main job on the embedded default.
set -euo pipefail
root="$(cd "$(dirname "$0")" && pwd)"
python="$("$root/scripts/venv.sh" "")"
exec "$python" -m timetagger_sim.demo "$@"
