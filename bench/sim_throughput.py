"""Sustained simulator throughput in virtual time with Countrate, Counter and Correlation attached.

Prints M tags/s processed per wall-clock second, its ratio to the goal (a Time Tagger 20 at full
USB rate, 10 M tags/s) and the process's peak memory after a short and a 4x longer run: the peak
must not grow with run length.

``--compare-with DIR`` measures another copy of the package (e.g. an older commit exported with
``git archive <commit> timetagger_sim | tar -x -C DIR``) in the same run: both are measured in
fresh processes, alternately, ``--rounds`` times, and the medians and their ratio are printed.
"""
from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import time

GOAL_TAGS_PER_S = 10e6


def peak_rss_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


def run(TT, tagger, channels: list[int], seconds: float) -> tuple[float, int]:
    """Run all three measurements for ``seconds`` of stream time; (wall seconds, tags seen)."""
    rate = TT.Countrate(tagger, channels)
    counter = TT.Counter(tagger, channels, binwidth=10**9, n_values=1000)
    corr = TT.Correlation(tagger, channels[0], channels[1], binwidth=100, n_bins=1000)
    measurements = (rate, counter, corr)
    for m in measurements:
        m.stop()
        m.clear()
    begin = time.perf_counter()
    for m in measurements:
        m.startFor(int(seconds * 1e12))
    for m in measurements:
        m.waitUntilFinished()
    return time.perf_counter() - begin, int(rate.getCountsTotal().sum())


def measure(seconds: float, poisson_rate: float) -> list[tuple[float, float, int, float, float]]:
    """(stream s, wall s, tags, tags/s, peak RSS MiB) of a short and a 4x longer run."""
    import timetagger_sim as TT

    TT.setSimulationOptions(virtual_time=True, seed=1)
    with TT.createTimeTagger("SIM-ULTRA8-0001") as tagger:
        tagger.setTestSignal([1, 2, 3, 4], True)                         # 4 x 800 kHz
        sources = [TT.Experimental.ExponentialSignalGenerator(tagger, poisson_rate, base_channel=c)
                   for c in (5, 6, 7, 8)]
        channels = list(range(1, 9))
        run(TT, tagger, channels, 0.05)                                  # JIT warm-up
        results = []
        for duration in (seconds, 4 * seconds):
            wall, tags = run(TT, tagger, channels, duration)
            results.append((duration, wall, tags, tags / wall, peak_rss_mib()))
        del sources
    return results


def report(results) -> float:
    print(f"{'stream s':>9} {'wall s':>8} {'tags':>12} {'M tags/s':>9} {'peak RSS MiB':>13}")
    for seconds, wall, tags, rate, rss in results:
        print(f"{seconds:9.2f} {wall:8.2f} {tags:12d} {rate / 1e6:9.2f} {rss:13.1f}")
    sustained = min(r[3] for r in results)
    print(f"sustained {sustained / 1e6:.2f} M tags/s = {sustained / GOAL_TAGS_PER_S:.2f}x the "
          f"10 M tags/s goal; peak RSS growth short->long run: {results[1][4] - results[0][4]:+.1f} MiB")
    return sustained


def measured_in_child(package_parent: str, args) -> list:
    """``measure`` in a fresh interpreter that imports timetagger_sim from ``package_parent``."""
    env = dict(os.environ, PYTHONPATH=package_parent)
    out = subprocess.run([sys.executable, __file__, "--json", "--seconds", str(args.seconds),
                          "--poisson-rate", str(args.poisson_rate)], env=env, check=True,
                         capture_output=True, text=True).stdout
    return json.loads(out.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=1.0, help="stream seconds of the short run")
    parser.add_argument("--poisson-rate", type=float, default=2.5e6, help="Hz per Poisson input")
    parser.add_argument("--compare-with", metavar="DIR", help="directory holding another timetagger_sim")
    parser.add_argument("--rounds", type=int, default=5, help="alternating runs per package (compare)")
    parser.add_argument("--json", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.json:
        print(json.dumps(measure(args.seconds, args.poisson_rate)))
        return
    if not args.compare_with:
        report(measure(args.seconds, args.poisson_rate))
        return
    here = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    rates: dict[str, list[float]] = {"other": [], "this": []}
    for _ in range(args.rounds):
        for name, parent in (("other", args.compare_with), ("this", here)):
            rates[name].append(min(r[3] for r in measured_in_child(parent, args)))
    for name in rates:
        print(f"{name:>5} ({args.compare_with if name == 'other' else here}): sustained M tags/s per round "
              + ", ".join(f"{r / 1e6:.2f}" for r in rates[name]))
    this, other = statistics.median(rates["this"]), statistics.median(rates["other"])
    print(f"median {this / 1e6:.2f} vs {other / 1e6:.2f} M tags/s: this / other = {this / other:.3f}")


if __name__ == "__main__":
    main()
