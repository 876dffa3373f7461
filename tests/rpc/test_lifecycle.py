"""Ownership: objects die with their connection; many clients at once; freed taggers fail cleanly."""
from __future__ import annotations

import subprocess
import sys
import threading

import psutil
import pytest

from rpc_bridge.client import createProxy

from .conftest import ROOT, bridge_process, port_of, sim_env


def cycle(port: int, close: bool = True) -> None:
    TT = createProxy("127.0.0.1", port)
    t = TT.createTimeTagger()
    TT.Correlation(t, 1, 2, binwidth=10, n_bins=100)
    if close:
        TT.close()
    else:  # drop the connections without telling anyone
        for proxy in TT._session.proxies.values():
            if proxy._pyroConnection is not None:
                proxy._pyroConnection.close()


def server_objects(port: int) -> int:
    with createProxy("127.0.0.1", port) as TT:
        return TT.serverInfo()["objects"]


def test_1000_connect_create_disconnect_cycles_leak_nothing():
    with bridge_process() as (proc, port):
        rss = psutil.Process(proc.pid).memory_info
        for i in range(100):  # warm-up: imports, caches, thread pool
            cycle(port, close=i % 2 == 0)
        assert server_objects(port) == 0
        start = rss().rss
        for i in range(1000):
            cycle(port, close=i % 2 == 0)
        assert server_objects(port) == 0
        grown = rss().rss - start
        print(f"server RSS growth over 1000 cycles: {grown / 2**20:.1f} MiB")
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
    processes = [subprocess.Popen([sys.executable, "-c", script], cwd=ROOT, env=sim_env()) for _ in range(2)]
    threads = [threading.Thread(target=worker) for _ in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert [p.wait(timeout=120) for p in processes] == [0, 0]
    assert not errors
    assert len(server.bridge.live) == 0


def test_tagger_freed_by_one_client_gives_others_a_clear_error(server):
    port = port_of(server.uri)
    with createProxy("127.0.0.1", port) as A, createProxy("127.0.0.1", port) as B:
        t = A.createTimeTagger()
        rate = B.Countrate(t, [1])  # B measures on A's tagger
        assert rate.getData().shape == (1,)
        A.freeTimeTagger(t)
        with pytest.raises(ReferenceError, match="no longer exists"):
            rate.getData()
        assert B.getVersion()  # B's connection still works
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
