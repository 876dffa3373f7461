"""A bounded run of ``bench/fuzz_rpc.py``: random and malformed calls never crash or hang the server."""
from __future__ import annotations

import json
import subprocess
import sys

from .conftest import ROOT, sim_env


def test_random_and_malformed_calls_get_clean_errors_only():
    done = subprocess.run([sys.executable, "bench/fuzz_rpc.py", "--calls", "400", "--wire", "40",
                           "--seed", "3", "--json"], cwd=ROOT, env=sim_env(), capture_output=True,
                          text=True, timeout=280)
    assert done.returncode == 0, done.stdout + done.stderr
    result = json.loads(done.stdout.strip().splitlines()[-1])
    assert result["calls"] == result["answers"] + result["clean_errors"] + result["hangs"] + result["crashes"]
    assert result["crashes"] == 0 and result["hangs"] == 0 and result["server_alive_and_clean"]
    assert result["clean_errors"] > 0.5 * result["calls"]  # the values are awkward: most calls are refused
    assert result["wire"]["sent"] == 40 and result["wire"].get("stuck_before_authentication", 0) == 0
    assert result["after"]["threads"] <= result["before"]["threads"] + 2
    assert result["after"]["fds"] <= result["before"]["fds"] + 2
