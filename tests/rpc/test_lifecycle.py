"""Ownership: objects die with their connection; many clients at once; freed taggers fail cleanly."""
from __future__ import annotations

import subprocess
import sys
import threading
import time

import psutil
import pytest

from rpc_bridge.client import createProxy

from .conftest import ROOT, bridge_process, drop_connection, port_of, sim_env, wait_for


def cycle(port: int, close: bool = True) -> None:
    TT = createProxy("127.0.0.1", port)
    t = TT.createTimeTagger()
    TT.Correlation(t, 1, 2, binwidth=10, n_bins=100)
    if close:
        TT.close()
    else:
        drop_connection(TT)


def server_counts(port: int) -> dict:
    """The server's live client objects and client-opened taggers (asked over a fresh connection)."""
    with createProxy("127.0.0.1", port) as TT:
        info = TT.serverInfo()
    return {"objects": info["objects"], "taggers": info["taggers"]}


def settled_threads(server: psutil.Process, at_most: int | None = None, wait: float = 10) -> int:
    """The server's thread count once it stops changing (idle Pyro workers exit asynchronously).

    With ``at_most``, waits (up to ``wait`` s) for the count to drop to it.
    """
    deadline = time.monotonic() + wait
    samples = [server.num_threads()]
    while time.monotonic() < deadline:
        time.sleep(0.1)
        samples.append(server.num_threads())
        stable = len(set(samples[-4:])) == 1 and len(samples) >= 4
        if stable and (at_most is None or samples[-1] <= at_most):
            break
    return samples[-1]


def test_1000_connect_create_disconnect_cycles_leak_nothing():
    with bridge_process() as (proc, port):
        server = psutil.Process(proc.pid)
        for i in range(100):  # warm-up: imports, caches, thread pool
            cycle(port, close=i % 2 == 0)
        assert server_counts(port) == {"objects": 0, "taggers": 0}
        threads = settled_threads(server)
        start = server.memory_info().rss
        TT = createProxy("127.0.0.1", port)
        TT.Countrate(TT.createTimeTagger(), [1])  # the counters do see live objects and taggers
        assert TT.serverInfo()["objects"] == 2 and TT.serverInfo()["taggers"] == 1
        assert server.num_threads() > threads  # the tagger's and the connection's threads
        TT.close()
        for i in range(1000):
            cycle(port, close=i % 2 == 0)
        assert server_counts(port) == {"objects": 0, "taggers": 0}
        assert settled_threads(server, at_most=threads) <= threads
        grown = server.memory_info().rss - start
        print(f"server over 1000 cycles: RSS growth {grown / 2**20:.1f} MiB, threads {threads} -> "
              f"{server.num_threads()}")
        assert grown < 30 * 2**20


def test_clients_in_threads_and_processes_at_once(server):
    port = port_of(server.uri)
    errors: list[BaseException] = []

    def worker() -> None:
        try:
            for _ in range(10):
                cycle(port)
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    script = f"from tests.rpc.test_lifecycle import cycle\nfor _ in range(10): cycle({port})"
    processes: list[subprocess.Popen] = []
    try:
        for _ in range(2):
            processes.append(subprocess.Popen([sys.executable, "-c", script], cwd=ROOT, env=sim_env()))
        threads = [threading.Thread(target=worker) for _ in range(3)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=120)
        assert [p.wait(timeout=120) for p in processes] == [0, 0]
    finally:
        for p in processes:  # a timeout above must not leave children behind
            if p.poll() is None:
                p.kill()
                p.wait()
    assert not errors
    assert wait_for(lambda: len(server.bridge.live) == 0)  # the last disconnects are handled asynchronously


def test_a_freed_tagger_takes_its_measurements_along_with_a_clear_error(TT, server):
    t = TT.createTimeTagger()
    rate = TT.Countrate(t, [1])
    assert rate.getData().shape == (1,)
    TT.freeTimeTagger(t)
    with pytest.raises(ReferenceError, match="no longer exists"):
        rate.getData()
    assert TT.getVersion()  # the connection still works
    assert len(server.bridge.live) == 0


def test_shared_tagger_is_served_and_never_freed_by_clients(sim):
    from rpc_bridge.server import serve_in_thread

    tagger = sim.createTimeTagger()
    with serve_in_thread(sim, port=0, preexisting_taggers=[tagger]) as handle:
        with createProxy("127.0.0.1", port_of(handle.uri)) as TT:
            remote = TT.createTimeTagger()
            assert remote.getSerial() == tagger.getSerial()
            TT.Countrate(remote, [1])
            TT.freeTimeTagger(remote)  # drops this client's handle (and its measurement) only
        assert len(handle.bridge.live) == 0
    assert tagger.getSerial()  # still open in the host process
    sim.freeTimeTagger(tagger)
