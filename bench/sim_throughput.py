"""Sustained simulator throughput in virtual time with Countrate, Counter and Correlation attached.

Prints M tags/s processed per wall-clock second, its ratio to the goal (a Time Tagger 20 at full
USB rate, 10 M tags/s) and the process's peak memory after a short and a 4x longer run: the peak
must not grow with run length.
"""
from __future__ import annotations

import argparse
import resource
import time

import timetagger_sim as TT

GOAL_TAGS_PER_S = 10e6


def peak_rss_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


def run(tagger: TT.TimeTagger, channels: list[int], seconds: float) -> tuple[float, int]:
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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=1.0, help="stream seconds of the short run")
    parser.add_argument("--poisson-rate", type=float, default=2.5e6, help="Hz per Poisson input")
    args = parser.parse_args()

    TT.setSimulationOptions(virtual_time=True, seed=1)
    with TT.createTimeTagger("SIM-ULTRA8-0001") as tagger:
        tagger.setTestSignal([1, 2, 3, 4], True)                         # 4 x 800 kHz
        sources = [TT.Experimental.ExponentialSignalGenerator(tagger, args.poisson_rate, base_channel=c)
                   for c in (5, 6, 7, 8)]
        channels = list(range(1, 9))
        run(tagger, channels, 0.05)                                      # JIT warm-up
        results = []
        for seconds in (args.seconds, 4 * args.seconds):
            wall, tags = run(tagger, channels, seconds)
            results.append((seconds, wall, tags, tags / wall, peak_rss_mib()))
        del sources
    print(f"{'stream s':>9} {'wall s':>8} {'tags':>12} {'M tags/s':>9} {'peak RSS MiB':>13}")
    for seconds, wall, tags, rate, rss in results:
        print(f"{seconds:9.2f} {wall:8.2f} {tags:12d} {rate / 1e6:9.2f} {rss:13.1f}")
    sustained = min(r[3] for r in results)
    print(f"sustained {sustained / 1e6:.2f} M tags/s = {sustained / GOAL_TAGS_PER_S:.2f}x the "
          f"10 M tags/s goal; peak RSS growth short->long run: {results[1][4] - results[0][4]:+.1f} MiB")


if __name__ == "__main__":
    main()
