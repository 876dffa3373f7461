"""rpc_bridge against the official TimeTaggerRPC server, same simulator behind both, one run.

Measures, for each server on 127.0.0.1 (each in its own process, same simulator):
  * trivial call latency (``tagger.getSerial()``), median of many calls;
  * ``getData``-style throughput for a 1e6-element int64 array (``Correlation.getIndex()``
    with n_bins = 1e6), median of repeated transfers;
  * create + delete 100 measurements (ours: ``TT.release`` each; official: no delete
    call exists, so they are made through a second connection which is then closed);
and a raw loopback TCP socket between two processes sending the same 8 MB.
Prints absolute numbers, the ratios, and a Markdown section for bench/RESULTS.md.

    python bench/rpc_vs_timetaggerrpc.py
"""
from __future__ import annotations

import datetime
import os
import platform
import socket
import statistics
import subprocess
import sys
import time
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
N_BINS = 1_000_000
CALLS = 2000
TRANSFERS = 15
MEASUREMENTS = 100


def _env() -> dict:
    return dict(os.environ, PYTHONPATH=str(ROOT), PYTHONUNBUFFERED="1")


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@contextmanager
def _server(args: list[str], ready: str):
    proc = subprocess.Popen([sys.executable, *args], cwd=ROOT, env=_env(), text=True,
                            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
    try:
        for line in proc.stdout:
            if ready in line:
                yield line.strip()
                break
        else:
            raise RuntimeError(f"{args} did not start")
    finally:
        proc.terminate()
        proc.wait(timeout=30)


def _median_time(action, repeat: int) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        action()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def measure(TT, create_delete) -> dict:
    """Latency, array throughput and create+delete time through library proxy ``TT``."""
    tagger = TT.createTimeTagger()
    corr = TT.Correlation(tagger, 1, 2, binwidth=1, n_bins=N_BINS)
    corr.stop()  # measure the transport, not a simulation running next to it
    index = corr.getIndex()
    assert index.dtype.name == "int64" and index.shape == (N_BINS,)
    latency = _median_time(tagger.getSerial, CALLS)
    transfer = _median_time(corr.getIndex, TRANSFERS)
    wire = transfer - local_get_index_time()

    lifecycle = _median_time(lambda: create_delete(TT, tagger), 3)
    return {"latency_us": latency * 1e6, "throughput_MBps": index.nbytes / transfer / 1e6,
            "wire_MBps": index.nbytes / wire / 1e6,
            "create_delete_ms": lifecycle * 1e3}


def local_get_index_time() -> float:
    """What the same getIndex() costs in the simulator itself (no RPC), to isolate the wire."""
    import timetagger_sim

    tagger = timetagger_sim.createTimeTagger()
    corr = timetagger_sim.Correlation(tagger, 1, 2, binwidth=1, n_bins=N_BINS)
    corr.stop()
    try:
        return _median_time(corr.getIndex, TRANSFERS)
    finally:
        del corr
        timetagger_sim.freeTimeTagger(tagger)


def ours(port: int) -> dict:
    from rpc_bridge.client import createProxy

    with createProxy("127.0.0.1", port) as TT:
        def create_delete(TT, tagger) -> None:
            for made in [TT.Countrate(tagger, [1]) for _ in range(MEASUREMENTS)]:
                TT.release(made)

        return measure(TT, create_delete)


def official(port: int) -> dict:
    from TimeTaggerRPC import client

    TT = client.createProxy("127.0.0.1", port)

    def create_delete(_, tagger) -> None:
        other = client.createProxy("127.0.0.1", port)
        for _ in range(MEASUREMENTS):
            other.Countrate(tagger, [1])
        other._pyroRelease()  # the official server frees a connection's objects when it closes

    try:
        return measure(TT, create_delete)
    finally:
        TT._pyroRelease()


def raw_socket_server(port: int) -> None:
    """Child process: answer each 1-byte request with the 8 MB array."""
    import numpy as np

    payload = np.arange(N_BINS, dtype=np.int64).tobytes()
    with socket.create_server(("127.0.0.1", port)) as server:
        print("ready", flush=True)
        conn, _ = server.accept()
        with conn:
            while conn.recv(1):
                conn.sendall(payload)


def raw_socket(port: int) -> float:
    """MB/s for the same bytes over a plain loopback TCP socket, received into a new array each time."""
    import numpy as np

    size = N_BINS * 8
    with socket.create_connection(("127.0.0.1", port)) as conn:
        def fetch() -> None:
            conn.sendall(b"x")
            array = np.empty(N_BINS, dtype=np.int64)
            view = memoryview(array).cast("B")
            got = 0
            while got < size:
                got += conn.recv_into(view[got:], size - got)

        fetch()
        return size / _median_time(fetch, TRANSFERS) / 1e6


def main() -> None:
    with _server(["-m", "rpc_bridge.server", "--backend", "sim", "--port", "0"], "URI:") as line:
        mine = ours(int(line.rsplit(":", 1)[1]))
    port = _free_port()
    with _server(["-m", "rpc_bridge.reference_server", "--port", str(port)], "Server URI"):
        ref = official(port)
    port = _free_port()
    with _server([__file__, "--raw-server", str(port)], "ready"):
        raw = raw_socket(port)

    rows = [
        ("trivial call latency (us, lower is better)", "latency_us", ref["latency_us"] / mine["latency_us"]),
        ("1e6 int64 array `getIndex()` end to end (MB/s)", "throughput_MBps",
         mine["throughput_MBps"] / ref["throughput_MBps"]),
        ("same, wire only: simulator's own getIndex() time subtracted (MB/s)", "wire_MBps",
         mine["wire_MBps"] / ref["wire_MBps"]),
        (f"create+delete {MEASUREMENTS} measurements (ms)", "create_delete_ms",
         ref["create_delete_ms"] / mine["create_delete_ms"]),
    ]
    lines = [f"## RPC bridge vs TimeTaggerRPC (`bench/rpc_vs_timetaggerrpc.py`), {datetime.date.today()}", "",
             f"{platform.node()}: {os.cpu_count()} cores, Python {platform.python_version()}; both servers "
             f"serve the simulator (measurement stopped) in their own process on 127.0.0.1.", "",
             "| measure | rpc_bridge (msgpack) | TimeTaggerRPC 0.0.6 (serpent) | ours better by |",
             "|---|---|---|---|"]
    for label, key, ratio in rows:
        lines.append(f"| {label} | {mine[key]:.1f} | {ref[key]:.1f} | x{ratio:.1f} |")
    lines += ["", f"Raw loopback TCP socket, same 8 MB into a new array each time, two processes: "
                  f"{raw:.0f} MB/s; rpc_bridge reaches {mine['throughput_MBps'] / raw:.0%} of it end to end, "
                  f"{mine['wire_MBps'] / raw:.0%} on the wire.",
              f"Goals: throughput >= 20x official -> x{rows[1][2]:.1f} end to end, x{rows[2][2]:.1f} wire; "
              f">= 50% of raw socket -> {mine['throughput_MBps'] / raw:.0%} / {mine['wire_MBps'] / raw:.0%}; "
              f"latency no worse than official -> x{rows[0][2]:.2f}.", ""]
    print("\n".join(lines))


if __name__ == "__main__":
    if len(sys.argv) == 3 and sys.argv[1] == "--raw-server":
        raw_socket_server(int(sys.argv[2]))
    else:
        main()
