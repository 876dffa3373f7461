"""An ``rpc://`` backend never keeps a Tango client waiting past its 3 s timeout, and a
remote server that comes back is reconnected by itself (issue 8).

The remote is a real ``rpc_bridge`` server process; "hung" is that process stopped with
SIGSTOP (it keeps its connections, answers nothing), "gone" is it killed.  The client key,
if the bridge wants one, is found the default way (same user, the test session's XDG dirs).
"""
from __future__ import annotations

import contextlib
import signal
import subprocess
import sys
import time
from typing import Callable, Iterator

import pytest
import tango
from ds_helpers import context, silent_server, wait_until
from rpc_bridge.client import createProxy

from tango_ds.processes import free_port, stop_process, wait_ready

TEST_SIGNAL_HZ = 403.2e6 / 504
TAGGER, RATE = "rpc/tagger/1", "rpc/rate/1"


class RemoteServer:
    """``python -m rpc_bridge.server --backend sim`` on a fixed port (so it can come back)."""

    def __init__(self) -> None:
        self.port = free_port()
        self.process: subprocess.Popen | None = None

    def start(self) -> None:
        self.process = subprocess.Popen([sys.executable, "-m", "rpc_bridge.server", "--backend",
                                         "sim", "--port", str(self.port)],
                                        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        wait_ready("the RPC server", lambda: createProxy("127.0.0.1", self.port, timeout=5).close(),
                   self.process, 60)

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGCONT)
        stop_process(self.process, first=signal.SIGTERM, timeout=10)


@pytest.fixture
def remote() -> Iterator[RemoteServer]:
    server = RemoteServer()
    server.start()
    try:
        yield server
    finally:
        server.stop()


@contextlib.contextmanager
def tango_on(port: int, **props) -> Iterator[tuple[tango.DeviceProxy, tango.DeviceProxy]]:
    with context({"TimeTagger": [(TAGGER, {"Backend": f"rpc://127.0.0.1:{port}", **props})],
                  "Countrate": [(RATE, {"channels": ["1"], "EventPeriodMs": 100})]}) as ctx:
        yield ctx.get_device(TAGGER), ctx.get_device(RATE)


def answered(call: Callable[[], object]) -> bool:
    """True when ``call`` returned or failed with this server's own error, False when the
    client gave up waiting (Tango's 3 s timeout)."""
    try:
        call()
    except tango.DevFailed as exc:
        reasons = {error.reason for error in exc.args}
        if reasons & {"API_DeviceTimedOut", "API_CorbaException"}:
            return False
    return True


def clients_keep_getting_answers(tagger, rate, seconds: float) -> None:
    calls = [tagger.state, tagger.status, rate.state, rate.status, lambda: tagger.channel_list,
             lambda: rate.data, rate.Start, tagger.Init]
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        for call in calls:
            assert answered(call), call


def acquire_test_signal(rate) -> float:
    rate.StartFor(0.2)
    wait_until(lambda: rate.state() == tango.DevState.ON)
    return rate.data[0]


def test_a_hung_remote_never_blocks_a_client_and_the_tagger_recovers(remote):
    with tango_on(remote.port, RpcTimeout=2) as (tagger, rate):
        tagger.test_signal_channels = [1]
        assert acquire_test_signal(rate) == pytest.approx(TEST_SIGNAL_HZ, rel=0.01)
        remote.process.send_signal(signal.SIGSTOP)
        clients_keep_getting_answers(tagger, rate, 8)
        assert tagger.state() in (tango.DevState.FAULT, tango.DevState.INIT), tagger.status()
        remote.process.send_signal(signal.SIGCONT)
        wait_until(lambda: tagger.state() == tango.DevState.ON, timeout=60)
        wait_until(lambda: rate.state() == tango.DevState.ON, timeout=30)
        assert acquire_test_signal(rate) == pytest.approx(TEST_SIGNAL_HZ, rel=0.01)


def test_a_remote_that_restarts_is_reconnected_and_measurements_rebuild(remote):
    with tango_on(remote.port) as (tagger, rate):
        tagger.test_signal_channels = [1]
        remote.process.kill()
        remote.process.wait()
        wait_until(lambda: tagger.state() == tango.DevState.FAULT)
        wait_until(lambda: "Next attempt in" in tagger.status() or "Reconnecting" in tagger.status())
        assert rate.state() in (tango.DevState.INIT, tango.DevState.FAULT)
        clients_keep_getting_answers(tagger, rate, 3)
        remote.start()                                    # the same port: the server is back
        wait_until(lambda: tagger.state() == tango.DevState.ON, timeout=60)
        assert f"rpc://127.0.0.1:{remote.port}" in tagger.status()
        wait_until(lambda: rate.state() == tango.DevState.ON, timeout=30)
        # a new remote tagger, with the memorized settings applied again
        assert list(tagger.test_signal_channels) == [1]
        assert acquire_test_signal(rate) == pytest.approx(TEST_SIGNAL_HZ, rel=0.01)


def test_init_on_a_silent_remote_returns_and_reports():
    with silent_server() as port:
        with tango_on(port, RpcTimeout=4) as (tagger, rate):  # longer than Tango's 3 s
            assert answered(tagger.Init)
            assert tagger.state() in (tango.DevState.INIT, tango.DevState.FAULT)
            clients_keep_getting_answers(tagger, rate, 2)
            wait_until(lambda: tagger.state() == tango.DevState.FAULT, timeout=30)
            assert f"rpc://127.0.0.1:{port}" in tagger.status()
            assert "Next attempt in" in tagger.status()
