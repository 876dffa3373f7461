"""Raw time tags to a remote client: sustained tags/s, no tag lost, against the same stream in process.

A simulated Time Tagger Ultra in virtual time with its test signal on all 8 inputs
(6.4 M tags per second of stream time) feeds a ``TimeTagStream`` and a ``Countrate`` started
together by a ``SynchronizedMeasurements`` for a fixed stretch of stream time. A consumer
calls ``getData()`` until the group has finished and the stream is drained, touching the
timestamps and channels of every buffer. Measured twice, alternately, in fresh processes:

* in process: the consumer in the process that runs the simulator (no RPC);
* remote: the consumer in another process, through ``rpc_bridge`` on 127.0.0.1 (the buffers
  arrive by value, their arrays beside the messages).

Prints tags/s delivered (tags / wall time), the tags lost (Countrate's count minus the tags
received: must be 0) and the ratio remote / in process.

    python bench/rpc_stream_tags.py [--seconds 2] [--rounds 3]
"""
from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
CHANNELS = list(range(1, 9))
BUFFER_TAGS = 4_000_000


def consume(TT, seconds: float) -> dict:
    """Stream ``seconds`` of stream time through ``TT`` (the library, local or remote)."""
    tagger = TT.createTimeTagger()
    tagger.setTestSignal(CHANNELS, True)
    stream, rate = TT.TimeTagStream(tagger, BUFFER_TAGS, CHANNELS), TT.Countrate(tagger, CHANNELS)
    group = TT.SynchronizedMeasurements(tagger)
    for measurement in (stream, rate):
        group.registerMeasurement(measurement)
    received = checksum = 0
    begin = time.perf_counter()
    group.startFor(int(seconds * 1e12))
    while True:
        running = group.isRunning()
        buffer = stream.getData()
        timestamps, channels = buffer.getTimestamps(), buffer.getChannels()
        received += timestamps.size
        if timestamps.size:
            checksum += int(channels[-1]) + int(timestamps[-1] & 0xFF)  # touch both arrays
        if not running and not timestamps.size:
            break
    wall = time.perf_counter() - begin
    counted = int(rate.getCountsTotal().sum())
    TT.freeTimeTagger(tagger)
    return {"tags": received, "lost": counted - received, "wall": wall, "checksum": checksum}


def _child(mode: str, seconds: float, port: int, key_file: str) -> None:
    if mode == "local":
        import timetagger_sim as TT

        TT.setSimulationOptions(virtual_time=True, seed=1)
        print(json.dumps(consume(TT, seconds)), flush=True)
        return
    from rpc_bridge.client import createProxy

    with createProxy("127.0.0.1", port, auth_key_file=key_file) as TT:
        print(json.dumps(consume(TT, seconds)), flush=True)


def _run(mode: str, seconds: float, port: int = 0, key_file: str = "") -> dict:
    out = subprocess.run([sys.executable, __file__, "--child", mode, str(seconds), str(port), key_file],
                         cwd=ROOT, env=dict(os.environ, PYTHONPATH=str(ROOT)), capture_output=True,
                         text=True, check=True).stdout
    return json.loads(out.strip().splitlines()[-1])


def main(argv: list[str] | None = None) -> int:
    """Alternate in-process and remote runs; print the medians and their ratio."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=2.0, help="stream time per run (s)")
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args(argv)
    import tempfile

    with tempfile.TemporaryDirectory() as tmp:
        key_file = Path(tmp) / "key"
        key_file.write_text("stream benchmark key\n")
        key_file.chmod(0o600)
        env = dict(os.environ, PYTHONPATH=str(ROOT), TIMETAGGER_SIM_VIRTUAL_TIME="1",
                   TIMETAGGER_SIM_SEED="1", PYTHONUNBUFFERED="1")
        server = subprocess.Popen([sys.executable, "-m", "rpc_bridge.server", "--backend", "sim", "--port", "0",
                                   "--auth-key-file", str(key_file), "--data-dir", str(Path(tmp) / "data")],
                                  cwd=ROOT, env=env, text=True, stdout=subprocess.PIPE,
                                  stderr=subprocess.DEVNULL)
        try:
            port = next(int(line.rsplit(":", 1)[1]) for line in server.stdout if line.startswith("URI:"))
            runs: dict[str, list[dict]] = {"local": [], "remote": []}
            for _ in range(args.rounds):
                runs["local"].append(_run("local", args.seconds))
                runs["remote"].append(_run("remote", args.seconds, port, str(key_file)))
        finally:
            server.terminate()
            server.wait(timeout=30)
    rates = {mode: statistics.median(r["tags"] / r["wall"] for r in results) for mode, results in runs.items()}
    lost = {mode: max(r["lost"] for r in results) for mode, results in runs.items()}
    tags = runs["local"][0]["tags"]
    print(f"{tags} tags per run ({args.seconds} s of 8 test-signal inputs), median of {args.rounds} rounds")
    for mode in ("local", "remote"):
        print(f"  {mode:>6}: {rates[mode] / 1e6:6.2f} M tags/s delivered, at most {lost[mode]} lost")
    print(f"  remote / in process: {rates['remote'] / rates['local']:.2f}")
    return 0 if not any(lost.values()) else 1


if __name__ == "__main__":
    if len(sys.argv) >= 3 and sys.argv[1] == "--child":
        _child(sys.argv[2], float(sys.argv[3]), int(sys.argv[4]), sys.argv[5] if len(sys.argv) > 5 else "")
    else:
        sys.exit(main())
