"""The simulated signal sources and transforms against their statistics."""
from __future__ import annotations

import math

import numpy as np
import pytest

import timetagger_sim as TT

SECOND = 10**12
E = TT.Experimental


def recorded_times(tagger, channel, duration=SECOND // 10):
    stream = TT.TimeTagStream(tagger, 50_000_000, [channel])
    stream.startFor(duration)
    stream.waitUntilFinished()
    return stream.getData().getTimestamps()


def test_gaussian_generator_intervals_have_the_given_mean_and_deviation_in_seconds(tagger):
    mean_s, sigma_s = 2e-6, 0.2e-6
    gen = E.GaussianSignalGenerator(tagger, mean_s, sigma_s, seed=1)
    intervals = np.diff(recorded_times(tagger, gen.getChannel()))
    assert intervals.size > 40_000
    assert intervals.mean() == pytest.approx(mean_s * 1e12, rel=0.005)
    assert intervals.std() == pytest.approx(sigma_s * 1e12, rel=0.02)


def test_uniform_generator_intervals_are_uniform_between_the_bounds_in_ps(tagger):
    gen = E.UniformSignalGenerator(tagger, upper_bound=3_000_000, lower_bound=1_000_000, seed=2)
    intervals = np.diff(recorded_times(tagger, gen.getChannel()))
    assert intervals.min() >= 1_000_000 - 1 and intervals.max() <= 3_000_000 + 1
    assert intervals.mean() == pytest.approx(2_000_000, rel=0.01)
    assert intervals.std() == pytest.approx(2_000_000 / math.sqrt(12), rel=0.02)   # uniform variance


def test_efficiency_keeps_the_expected_fraction(tagger):
    source = E.ExponentialSignalGenerator(tagger, 1e6, seed=3)
    kept = E.TransformEfficiency(tagger, source.getChannel(), 0.3, copy=True, seed=4)
    rate = TT.Countrate(tagger, [source.getChannel(), kept.getChannel()])
    rate.startFor(SECOND // 2)
    rate.waitUntilFinished()
    total, passed = rate.getCountsTotal()
    assert abs(passed - 0.3 * total) < 5 * math.sqrt(total * 0.3 * 0.7)    # binomial


def test_detector_dark_counts_add_a_poisson_rate(tagger):
    silent = E.ExponentialSignalGenerator(tagger, 1e-6, seed=5)             # effectively no light
    detector = E.SimDetector(tagger, silent.getChannel(), darkcount_rate=50e3, seed=6)
    rate = TT.Countrate(tagger, [detector.getChannel()])
    rate.startFor(SECOND)
    rate.waitUntilFinished()
    assert abs(rate.getCountsTotal()[0] - 50e3) < 5 * math.sqrt(50e3)


def test_detector_dead_time_in_seconds_separates_clicks(tagger):
    source = E.ExponentialSignalGenerator(tagger, 2e6, seed=7)
    detector = E.SimDetector(tagger, source.getChannel(), deadtime=1e-6, seed=8)
    times = recorded_times(tagger, detector.getChannel())
    assert np.diff(times).min() >= 1_000_000
    rate = times.size / 0.1
    assert rate == pytest.approx(2e6 / (1 + 2e6 * 1e-6), rel=0.02)          # non-paralysable


def test_cable_delay_is_part_of_the_signal_path_and_survives_reset(tagger):
    source = E.ExponentialSignalGenerator(tagger, 200e3, seed=9)
    tagger.simConnect(source.getChannel(), 1)
    tagger.simConnect(source.getChannel(), 2, delay=2_000)
    tagger.reset()
    assert tagger.getInputDelay(2) == 0
    corr = TT.Correlation(tagger, 1, 2, binwidth=10, n_bins=2000)
    corr.startFor(SECOND // 10)
    corr.waitUntilFinished()
    data, index = corr.getData(), corr.getIndex()
    peak = np.abs(index + 2_000) < 100
    assert data[peak].sum() > 0.95 * data.sum()          # t1 - t2 = -2 ns for every pair
    with pytest.raises(ValueError, match="cable delay is 0 ps or more"):
        tagger.simConnect(source.getChannel(), 3, delay=-1)
