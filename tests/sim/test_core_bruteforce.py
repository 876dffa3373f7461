"""Conservation: each measurement equals a brute-force numpy computation on the same tag stream."""
from __future__ import annotations

import numpy as np
import pytest

import timetagger_sim as TT

MS = 10**9


@pytest.fixture
def recorded(tagger):
    """Two Poisson inputs and a delayed copy, recorded by a TimeTagStream and measured in sync."""
    sources = [TT.Experimental.ExponentialSignalGenerator(tagger, 1e6, base_channel=c, seed=c) for c in (1, 2)]
    delayed = TT.DelayedChannel(tagger, 2, 1_234)
    channels = [1, 2, delayed.getChannel()]
    measurements = {
        "stream": TT.TimeTagStream(tagger, 10_000_000, channels),
        "rate": TT.Countrate(tagger, channels),
        "counter": TT.Counter(tagger, channels, binwidth=MS, n_values=100),
        "hist": TT.Histogram(tagger, 2, 1, binwidth=100, n_bins=500),
        "corr": TT.Correlation(tagger, 1, delayed.getChannel(), binwidth=100, n_bins=500),
        "auto": TT.Correlation(tagger, 1, binwidth=100, n_bins=500),
    }
    group = TT.SynchronizedMeasurements(tagger)
    for m in measurements.values():
        group.registerMeasurement(m)
    group.startFor(50 * MS)
    group.waitUntilFinished()
    buffer = measurements["stream"].getData()
    yield measurements, buffer.getTimestamps(), buffer.getChannels(), delayed.getChannel()
    del sources


def differences(starts: np.ndarray, clicks: np.ndarray, low: int, high: int) -> np.ndarray:
    """All click - start differences in [low, high), by windowed search (no N x M matrix)."""
    lo = np.searchsorted(clicks, starts + low, side="left")
    hi = np.searchsorted(clicks, starts + high, side="left")
    reps = hi - lo
    idx = np.repeat(lo - np.cumsum(np.r_[0, reps[:-1]]), reps) + np.arange(reps.sum())
    return clicks[idx] - np.repeat(starts, reps)


def test_counter_and_countrate_lose_no_tag(recorded):
    m, ts, ch, virtual = recorded
    per_channel = np.array([np.count_nonzero(ch == c) for c in (1, 2, virtual)])
    np.testing.assert_array_equal(m["rate"].getCountsTotal(), per_channel)
    np.testing.assert_array_equal(m["counter"].getData().sum(axis=1), per_channel)
    np.testing.assert_array_equal(m["counter"].getDataTotalCounts(), per_channel)


def test_delayed_channel_is_the_input_shifted_by_the_delay(recorded):
    _, ts, ch, virtual = recorded
    original, copy = ts[ch == 2], ts[ch == virtual]
    # The copy of the last 1.234 ns of input falls after the capture window.
    np.testing.assert_array_equal(copy, original[: copy.size] + 1_234)
    assert original.size - copy.size <= 2


def test_histogram_equals_brute_force(recorded):
    m, ts, ch, _ = recorded
    dt = differences(ts[ch == 1], ts[ch == 2], 0, 500 * 100)
    expected = np.bincount(dt // 100, minlength=500)
    np.testing.assert_array_equal(m["hist"].getData(), expected)


def test_correlation_equals_brute_force(recorded):
    m, ts, ch, virtual = recorded
    half = 500 * 100 // 2
    dt = differences(ts[ch == virtual], ts[ch == 1], -half, half)      # t1 - t2
    expected = np.bincount((dt + half) // 100, minlength=500)
    np.testing.assert_array_equal(m["corr"].getData(), expected)
    assert expected.sum() > 1000


def test_autocorrelation_equals_brute_force(recorded):
    m, ts, ch, _ = recorded
    half = 500 * 100 // 2
    t1 = ts[ch == 1]
    dt = differences(t1, t1, -half, half)
    dt = dt[dt != 0]            # a tag never pairs with itself (no two Poisson tags coincide here)
    expected = np.bincount((dt + half) // 100, minlength=500)
    np.testing.assert_array_equal(m["auto"].getData(), expected)
