"""``timetagger-quickstart`` end to end (the scenario is in ``quickstart_scenario.py``).

The scenario runs in an interpreter of its own: its client side of Tango (connections
and event channels to the servers it stops) would otherwise stay in this process, and
every test context forked from it afterwards stalls for seconds when it shuts down.
"""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

SCENARIO = Path(__file__).with_name("quickstart_scenario.py")


def test_quickstart_end_to_end(tmp_path):
    result = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "--basetemp",
         str(tmp_path / "scenario"), str(SCENARIO)],
        capture_output=True, text=True, timeout=240, cwd=SCENARIO.parents[2])
    assert result.returncode == 0, result.stdout[-6000:] + result.stderr[-2000:]
    assert "2 passed" in result.stdout
