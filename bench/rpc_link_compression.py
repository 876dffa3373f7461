"""Arrays over a bandwidth-limited link: rpc_bridge with and without compression, and TimeTaggerRPC.

Makes a real link on this machine: a veth pair into a network namespace the script creates,
shaped with ``tc tbf`` to 1 Gbit/s and then 10 Gbit/s (root required). The servers (ours and
Swabian's TimeTaggerRPC 0.0.6, both on the simulator in virtual time) run inside the
namespace; the clients here reach them over the link. For typical data, stopped measurements
whose ``getData()`` is read repeatedly:

* a sparse correlation histogram (``Correlation``, 1e6 int32 bins, one narrow peak);
* a Counter image (4 test-signal channels x 250,000 int32 bins of ~8 counts, jitter at the edges);
* a dense random array (``Correlation.getDataNormalized()``, 1e6 float64 of two independent
  Poissonian sources: noise around 1, nearly incompressible; ours only, since TimeTaggerRPC
  serves no ``Experimental`` signal sources);

it prints effective MB/s (array bytes / time per transfer, best median of rounds) for ours
uncompressed, ours with blosc2 and TimeTaggerRPC, the ratios, and the compression ratio.
The namespace and the link are removed at the end.

    sudo .venv/bin/python bench/rpc_link_compression.py [--rounds 3]
"""
from __future__ import annotations

import argparse
import datetime
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from contextlib import contextmanager
from pathlib import Path
from typing import Callable, Iterator

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
NAMESPACE, HOST_SIDE, NS_SIDE = "ttbench", "ttb0", "ttb1"
CLIENT_IP, SERVER_IP = "10.201.0.2", "10.201.0.1"
OURS_PORT, OFFICIAL_PORT = 23100, 23101
LINKS = {"1 Gbit/s": 1e9, "10 Gbit/s": 10e9}
TRANSFERS = 5


def _run(*command: str) -> None:
    subprocess.run(command, check=True, capture_output=True, text=True)


@contextmanager
def shaped_link(bits_per_s: float) -> Iterator[None]:
    """A veth link into namespace ``ttbench``, both directions shaped to ``bits_per_s``."""
    _run("ip", "netns", "add", NAMESPACE)
    try:
        _run("ip", "link", "add", HOST_SIDE, "type", "veth", "peer", "name", NS_SIDE)
        _run("ip", "link", "set", NS_SIDE, "netns", NAMESPACE)
        _run("ip", "addr", "add", f"{CLIENT_IP}/24", "dev", HOST_SIDE)
        _run("ip", "link", "set", HOST_SIDE, "up")
        _run("ip", "-n", NAMESPACE, "addr", "add", f"{SERVER_IP}/24", "dev", NS_SIDE)
        _run("ip", "-n", NAMESPACE, "link", "set", NS_SIDE, "up")
        _run("ip", "-n", NAMESPACE, "link", "set", "lo", "up")
        burst = str(int(bits_per_s / 8 / 100))  # 10 ms of data, well above rate / HZ
        for prefix, device in ((("tc",), HOST_SIDE), (("ip", "netns", "exec", NAMESPACE, "tc"), NS_SIDE)):
            _run(*prefix, "qdisc", "add", "dev", device, "root", "tbf", "rate", f"{int(bits_per_s)}bit",
                 "burst", burst, "latency", "100ms")
        yield
    finally:
        subprocess.run(["ip", "link", "del", HOST_SIDE], capture_output=True)
        subprocess.run(["ip", "netns", "del", NAMESPACE], capture_output=True)


@contextmanager
def server_in_namespace(args: list[str], ready: str, env: dict) -> Iterator[None]:
    proc = subprocess.Popen(["ip", "netns", "exec", NAMESPACE, sys.executable, *args], cwd=ROOT, env=env,
                            text=True, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
    try:
        for line in proc.stdout:
            if ready in line:
                break
        else:
            raise RuntimeError(f"{args} did not start")
        yield
    finally:
        proc.terminate()
        proc.wait(timeout=30)


DENSE = "dense random (1e6 float64)"


def prepare(TT, poisson: bool) -> dict[str, Callable]:
    """Stopped measurements on a fresh tagger; their getData-like calls by data kind."""
    t = TT.createTimeTagger()
    t.setTestSignal([1, 2, 3, 4], True)
    made = {"sparse correlation (1e6 int32)": (TT.Correlation(t, 1, 2, binwidth=1, n_bins=10**6), "getData"),
            "Counter image (4 x 250k int32)": (TT.Counter(t, [1, 2, 3, 4], binwidth=10_000_017,
                                                          n_values=250_000), "getData")}
    if poisson:
        sources = [TT.Experimental.ExponentialSignalGenerator(t, 2e6, seed=s).getChannel() for s in (1, 2)]
        made[DENSE] = (TT.Correlation(t, *sources, binwidth=1000, n_bins=10**6), "getDataNormalized")
    for measurement, _ in made.values():
        measurement.startFor(int(2.6e12))
    for measurement, _ in made.values():
        while measurement.isRunning():  # TimeTaggerRPC serves no waitUntilFinished
            time.sleep(0.05)
    return {kind: getattr(measurement, getter) for kind, (measurement, getter) in made.items()}


def best_rate(fetch: Callable, rounds: int) -> tuple[float, int]:
    """(best median MB/s over rounds, array bytes)."""
    nbytes = fetch().nbytes
    best = 0.0
    for _ in range(rounds):
        times = []
        for _ in range(TRANSFERS):
            start = time.perf_counter()
            fetch()
            times.append(time.perf_counter() - start)
        best = max(best, nbytes / statistics.median(times) / 1e6)
    return best, nbytes


def official_client(port: int):
    from Pyro5 import serializers
    from TimeTaggerRPC import client

    from rpc_bridge import codec

    TT = client.createProxy(SERVER_IP, port)
    serializers.SerializerBase.register_dict_to_class(codec.CLASS_TAG, codec.dict_to_array)
    return TT


def main(argv: list[str] | None = None) -> int:
    """Measure every data kind on every link; print a Markdown section for bench/RESULTS.md."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args(argv)
    if os.geteuid() != 0:
        parser.error("run as root: the script creates a network namespace and shapes its link")
    from rpc_bridge.bulk import COMPRESSIONS
    from rpc_bridge.client import createProxy

    if "blosc2" not in COMPRESSIONS:
        parser.error("blosc2 is not installed")
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        key = Path(tmp) / "key"
        key.write_text("link benchmark key\n")
        key.chmod(0o600)
        env = dict(os.environ, PYTHONPATH=str(ROOT), TIMETAGGER_SIM_VIRTUAL_TIME="1",
                   TIMETAGGER_SIM_SEED="1", PYTHONUNBUFFERED="1")
        for link, rate in LINKS.items():
            with shaped_link(rate), \
                    server_in_namespace(["-m", "rpc_bridge.server", "--backend", "sim", "--host", SERVER_IP,
                                         "--port", str(OURS_PORT), "--auth-key-file", str(key),
                                         "--data-dir", str(Path(tmp) / "data")], "URI:", env), \
                    server_in_namespace(["-m", "rpc_bridge.reference_server", "--host", SERVER_IP,
                                         "--port", str(OFFICIAL_PORT)], "Server URI", env):
                plain = createProxy(SERVER_IP, OURS_PORT, auth_key_file=str(key), compress=False)
                packed = createProxy(SERVER_IP, OURS_PORT, auth_key_file=str(key), compress=True)
                assert packed._session.connection.compression == "blosc2"
                official = official_client(OFFICIAL_PORT)
                sets = {name: prepare(TT, name != "official") for name, TT in
                        (("plain", plain), ("blosc2", packed), ("official", official))}
                for kind in sets["plain"]:
                    measured = {name: best_rate(fetches[kind], args.rounds)
                                for name, fetches in sets.items() if kind in fetches}
                    rows.append((link, kind, measured))
                for TT in (plain, packed):
                    TT.close()
                official._pyroRelease()
    line_rate = {link: rate / 8 / 1e6 for link, rate in LINKS.items()}
    print(f"## Arrays over a shaped link (`bench/rpc_link_compression.py`), {datetime.date.today()}\n")
    print(f"{platform.node()}: {os.cpu_count()} cores, Python {platform.python_version()}; veth into a "
          "network namespace shaped with tc tbf; servers on the simulator (measurements stopped); "
          f"best median of {args.rounds} rounds x {TRANSFERS} transfers.\n")
    print("| link | data | ours, plain (MB/s) | ours, blosc2 (MB/s) | TimeTaggerRPC (MB/s) | blosc2 / plain "
          "| blosc2 / TimeTaggerRPC | plain / line rate |")
    print("|---|---|---|---|---|---|---|---|")
    for link, kind, measured in rows:
        plain, packed = measured["plain"][0], measured["blosc2"][0]
        official = measured.get("official", (None,))[0]
        versus = f"x{packed / official:.0f}" if official else "n/a"
        shown = f"{official:.1f}" if official else "n/a"
        print(f"| {link} | {kind} | {plain:.0f} | {packed:.0f} | {shown} | x{packed / plain:.1f} "
              f"| {versus} | {100 * plain / line_rate[link]:.0f}% |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
