"""Demonstration of the virtual Time Tagger: count rates and the g2 of a photon-pair source.

Run ``python -m timetagger_sim.demo`` (or ``timetagger-sim-demo``). It uses only the library's
API, so it would run unchanged on ``Swabian.TimeTagger`` apart from the simulated signals.
"""
from __future__ import annotations

import argparse

import numpy as np

import timetagger_sim as TT


def photon_pair_source(tagger: TT.TimeTagger, rate_hz: float, jitter_s: float) -> list:
    """Pairs of photons on inputs 1 and 2: one emission seen on two paths with timing noise."""
    source = TT.Experimental.ExponentialSignalGenerator(tagger, rate_hz)
    paths = [TT.Experimental.TransformGaussianBroadening(tagger, source.getChannel(), jitter_s, copy=True)
             for _ in range(2)]
    for path, input_channel in zip(paths, (1, 2)):
        tagger.simConnect(path.getChannel(), input_channel)
    return [source, *paths]


def summarise_g2(index: np.ndarray, g2: np.ndarray) -> str:
    """Peak position, height and FWHM of a g2 curve, as one line."""
    peak = int(np.argmax(g2))
    half = (g2[peak] + np.median(g2)) / 2
    above = np.flatnonzero(g2 >= half)
    width = index[above[-1]] - index[above[0]] + (index[1] - index[0])
    return (f"g2 peak {g2[peak]:.1f} at {index[peak]} ps, FWHM {width} ps, "
            f"baseline {np.median(g2):.3f}")


def main(argv: list[str] | None = None) -> None:
    """Run the demonstration with command-line options."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=1.0, help="capture duration (s)")
    parser.add_argument("--virtual-time", action="store_true", help="run faster than real time")
    parser.add_argument("--delay", type=int, default=3000, help="input delay of channel 2 (ps)")
    args = parser.parse_args(argv)

    TT.setSimulationOptions(virtual_time=args.virtual_time)
    with TT.createTimeTagger() as tagger:
        print(f"{tagger.getModel()} {tagger.getSerial()} (simulated), library {TT.getVersion()}")
        tagger.setTestSignal([3, 4], True)
        signals = photon_pair_source(tagger, rate_hz=100e3, jitter_s=40e-12)
        tagger.setInputDelay(2, args.delay)
        rates = TT.Countrate(tagger, [1, 2, 3, 4])
        corr = TT.Correlation(tagger, 1, 2, binwidth=10, n_bins=2000)
        for measurement in (rates, corr):
            measurement.startFor(int(args.seconds * 1e12))
        for measurement in (rates, corr):
            measurement.waitUntilFinished()
        for channel, rate in zip([1, 2, 3, 4], rates.getData()):
            kind = "photon pairs" if channel <= 2 else "test signal"
            print(f"  channel {channel}: {rate / 1e3:9.1f} kHz  ({kind})")
        print("  " + summarise_g2(corr.getIndex(), corr.getDataNormalized()))
        print(f"  expected: peak at {-args.delay} ps (input delay of channel 2), "
              f"FWHM about {2.355 * np.hypot(40 * np.sqrt(2), 9 * np.sqrt(2)):.0f} ps")
        del signals


if __name__ == "__main__":
    main()
