"""``timetagger-rpc-server``: prints its URI, serves, frees its taggers and exits 0 on SIGINT/SIGTERM."""
from __future__ import annotations

import signal

import pytest

from rpc_bridge.client import createProxy

from .conftest import bridge_process


@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM])
def test_signal_frees_taggers_and_exits_zero(signum):
    with bridge_process() as (proc, port), createProxy("127.0.0.1", port) as TT:
        t = TT.createTimeTagger()
        TT.Countrate(t, [1])
        assert TT.serverInfo() == {"provider": "timetagger_sim", "objects": 2, "taggers": 1}
        proc.send_signal(signum)
        assert proc.wait(timeout=30) == 0
        assert "stopped; released 2 client objects, freed 1 taggers" in proc.stdout.read()


def test_auto_backend_falls_back_to_the_simulator_and_says_why():
    from rpc_bridge.server import select_backend

    module, description = select_backend("auto")  # no Time Tagger is attached to this machine
    assert module.__name__ == "timetagger_sim"
    try:
        import Swabian.TimeTagger  # noqa: F401 - installed in the project's environment
        expected = "simulator (auto: no Time Tagger hardware found)"
    except ImportError:
        expected = "simulator (auto: Swabian library unavailable"
    assert description.startswith(expected)
