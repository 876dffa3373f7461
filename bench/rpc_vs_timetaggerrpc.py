"""rpc_bridge against the official TimeTaggerRPC server, same simulator behind both, one run.

Measures, for each server on 127.0.0.1 (each in its own process, same simulator):
  * trivial call latency (``tagger.getSerial()``), median of many calls;
  * ``getData()`` throughput for a 1e6-element 64-bit array (8 MB): a stopped
    ``HistogramLogBins(tagger, 1, 2, exp_start=-12, exp_stop=-3, n_bins=1_000_000)``, whose
    ``getData()`` is the library's uint64 counts array (a copy of the histogram; the codecs
    of both bridges send raw bytes / ``.npy`` whatever the dtype, so uint64 and int64 cost
    the same). Not ``StartStop`` (N x 2 int64): the simulator builds that array from a dict
    in Python (~150 ms for 5e5 bins), which would time the simulator, not the wire;
  * create + delete 100 measurements (ours: ``TT.release`` each; official: no delete
    call exists, so they are made through a second connection which is then closed);
and a raw loopback TCP socket between two processes sending the same 8 MB. Also our
client's ``tune_allocator`` on and off (each in a fresh client process, since the glibc
setting is process wide). Prints absolute numbers, the ratios, and a Markdown section
for bench/RESULTS.md.

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
CALLS = 500
TRANSFERS = 5
MEASUREMENTS = 100
ROUNDS = 5


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


def _interleaved(actions: dict, repeat: int) -> dict:
    """Best-of-rounds median per action, rounds alternating between the actions (fair under load)."""
    best = {name: float("inf") for name in actions}
    for _ in range(ROUNDS):
        for name, action in actions.items():
            best[name] = min(best[name], _median_time(action, repeat))
    return best


def make_histogram(TT, tagger):
    """A stopped HistogramLogBins with 1e6 bins: getData() is 8 MB of uint64."""
    hist = TT.HistogramLogBins(tagger, 1, 2, exp_start=-12, exp_stop=-3, n_bins=N_BINS)
    hist.stop()  # measure the transport, not a simulation running next to it
    data = hist.getData()
    assert data.dtype.name == "uint64" and data.shape == (N_BINS,)
    return hist


class Subject:
    """One server as seen through its own client: a tagger and a stopped 1e6-bin HistogramLogBins."""

    def __init__(self, TT, create_delete) -> None:
        self.TT = TT
        self.tagger = TT.createTimeTagger()
        self.hist = make_histogram(TT, self.tagger)
        self.create_delete = lambda: create_delete(TT, self.tagger)


def ours(port: int, tune_allocator: bool = False) -> Subject:
    from rpc_bridge.client import createProxy

    def create_delete(TT, tagger) -> None:
        for made in [TT.Countrate(tagger, [1]) for _ in range(MEASUREMENTS)]:
            TT.release(made)

    return Subject(createProxy("127.0.0.1", port, tune_allocator=tune_allocator), create_delete)


def official(port: int) -> Subject:
    from Pyro5 import serializers
    from TimeTaggerRPC import client

    from rpc_bridge import codec

    TT = client.createProxy("127.0.0.1", port)
    # the official client registered its .npy-only decoder; ours reads both formats
    serializers.SerializerBase.register_dict_to_class(codec.CLASS_TAG, codec.dict_to_array)

    def create_delete(_, tagger) -> None:
        other = client.createProxy("127.0.0.1", port)
        for _ in range(MEASUREMENTS):
            other.Countrate(tagger, [1])
        other._pyroRelease()  # the official server frees a connection's objects when it closes

    return Subject(TT, create_delete)


def local_get_data() -> callable:
    """The same getData() in the simulator itself (no RPC), to isolate the wire."""
    import timetagger_sim

    return make_histogram(timetagger_sim, timetagger_sim.createTimeTagger()).getData


def client_probe(port: int, tune_allocator: bool) -> None:
    """Child process: our client's getData() MB/s with the allocator tuning on or off."""
    subject = ours(port, tune_allocator)
    print(N_BINS * 8 / _interleaved({"ours": subject.hist.getData}, TRANSFERS)["ours"] / 1e6, flush=True)
    subject.TT.close()


def client_allocator(port: int) -> dict:
    """Best MB/s of our client with ``tune_allocator`` off and on, alternating fresh processes."""
    best = {False: 0.0, True: 0.0}
    for _ in range(2):
        for tune in best:
            out = subprocess.run([sys.executable, __file__, "--client-probe", str(port), str(int(tune))],
                                 cwd=ROOT, env=_env(), capture_output=True, text=True, check=True).stdout
            best[tune] = max(best[tune], float(out.split()[-1]))
    return best


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


def raw_socket(conn: socket.socket) -> callable:
    """Fetch the same bytes over a plain loopback TCP socket into a new array each time."""
    import numpy as np

    size = N_BINS * 8

    def fetch() -> None:
        conn.sendall(b"x")
        array = np.empty(N_BINS, dtype=np.int64)
        view = memoryview(array).cast("B")
        got = 0
        while got < size:
            got += conn.recv_into(view[got:], size - got)

    return fetch


def main() -> None:
    raw_port, official_port = _free_port(), _free_port()
    with _server(["-m", "rpc_bridge.server", "--backend", "sim", "--port", "0"], "URI:") as line, \
            _server(["-m", "rpc_bridge.reference_server", "--port", str(official_port)], "Server URI"), \
            _server([__file__, "--raw-server", str(raw_port)], "ready"), \
            socket.create_connection(("127.0.0.1", raw_port)) as raw_conn:
        subjects = {"ours": ours(int(line.rsplit(":", 1)[1])), "official": official(official_port)}
        latency = _interleaved({n: s.tagger.getSerial for n, s in subjects.items()}, CALLS)
        transfer = _interleaved({**{n: s.hist.getData for n, s in subjects.items()},
                                 "raw": raw_socket(raw_conn), "local": local_get_data()}, TRANSFERS)
        lifecycle = _interleaved({n: s.create_delete for n, s in subjects.items()}, 1)
        allocator = client_allocator(int(line.rsplit(":", 1)[1]))
    nbytes = N_BINS * 8
    raw = nbytes / transfer["raw"] / 1e6
    mine, ref = ({"latency_us": latency[n] * 1e6, "throughput_MBps": nbytes / transfer[n] / 1e6,
                  "wire_MBps": nbytes / (transfer[n] - transfer["local"]) / 1e6,
                  "create_delete_ms": lifecycle[n] * 1e3} for n in ("ours", "official"))
    rows = [
        ("trivial call latency (us, lower is better)", "latency_us", ref["latency_us"] / mine["latency_us"]),
        ("1e6 x 64-bit `HistogramLogBins.getData()` end to end (MB/s)", "throughput_MBps",
         mine["throughput_MBps"] / ref["throughput_MBps"]),
        ("same, wire only: simulator's own getData() time subtracted (MB/s)", "wire_MBps",
         mine["wire_MBps"] / ref["wire_MBps"]),
        (f"create+delete {MEASUREMENTS} measurements (ms)", "create_delete_ms",
         ref["create_delete_ms"] / mine["create_delete_ms"]),
    ]
    lines = [f"## RPC bridge vs TimeTaggerRPC (`bench/rpc_vs_timetaggerrpc.py`), {datetime.date.today()}", "",
             f"{platform.node()}: {os.cpu_count()} cores (shared with other jobs; best of {ROUNDS} interleaved "
             f"rounds of medians), Python {platform.python_version()}; both servers "
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
              f"latency no worse than official -> x{rows[0][2]:.2f}.",
              f"Our client's `tune_allocator` (fresh client processes, best of 2 each): on "
              f"{allocator[True]:.0f} MB/s, off {allocator[False]:.0f} MB/s "
              f"(x{allocator[True] / allocator[False]:.2f}).", ""]
    print("\n".join(lines))


if __name__ == "__main__":
    if len(sys.argv) == 3 and sys.argv[1] == "--raw-server":
        raw_socket_server(int(sys.argv[2]))
    elif len(sys.argv) == 4 and sys.argv[1] == "--client-probe":
        client_probe(int(sys.argv[2]), bool(int(sys.argv[3])))
    else:
        main()
