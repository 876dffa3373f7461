"""``timetagger-rpc-server``: prints its URI, serves, frees its taggers and exits 0 on SIGINT/SIGTERM."""
from __future__ import annotations

import signal

import pytest

from rpc_bridge.client import createProxy

from .conftest import bridge_process


@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM])
def test_signal_frees_taggers_and_exits_zero(signum):
    with bridge_process() as (proc, port):
        TT = createProxy("127.0.0.1", port)
        t = TT.createTimeTagger()
        assert TT.serverInfo()["objects"] == 1 and t.getSerial()
        proc.send_signal(signum)
        assert proc.wait(timeout=30) == 0
        assert "client objects released" in proc.stdout.read()
        TT.close()


def test_auto_backend_falls_back_to_the_simulator_and_says_why():
    from rpc_bridge.server import select_backend

    module, description = select_backend("auto")  # no Time Tagger is attached to this machine
    assert module.__name__ == "timetagger_sim"
    assert "auto" in description and ("no Time Tagger hardware" in description or "unavailable" in description)
