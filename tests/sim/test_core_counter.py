"""Counter and Countrate semantics: rolling buffer, normalisation, exactly-once data objects."""
from __future__ import annotations

import numpy as np
import pytest

import timetagger_sim as TT

SECOND = 10**12
MS = 10**9


def test_counter_bins_the_test_signal(tagger):
    tagger.setTestSignal([1, 2], True)
    counter = TT.Counter(tagger, [1, 2], binwidth=10 * MS, n_values=50)
    counter.startFor(SECOND)
    counter.waitUntilFinished()
    data = counter.getData()
    assert data.shape == (2, 50) and data.dtype == np.int32
    np.testing.assert_allclose(data, 8000, atol=1)              # 800 kHz x 10 ms
    np.testing.assert_allclose(counter.getDataNormalized(), 800e3, atol=100)
    np.testing.assert_array_equal(counter.getIndex(), np.arange(50) * 10 * MS)
    assert counter.getDataTotalCounts().dtype == np.uint64


def test_counter_rolling_buffer_has_newest_last_and_nan_for_missing_bins(tagger):
    source = TT.Experimental.ExponentialSignalGenerator(tagger, 1e5, base_channel=1, seed=2)
    counter = TT.Counter(tagger, [1], binwidth=100 * MS, n_values=20)
    counter.startFor(5 * 100 * MS)           # 5 bins only
    counter.waitUntilFinished()
    normalized = counter.getDataNormalized()
    assert np.all(np.isnan(normalized[0, :15]))
    assert np.all(np.isfinite(normalized[0, 15:]))
    assert np.all(counter.getData()[0, :15] == 0)
    # Non-rolling: the circular buffer in place (the five bins at positions 0..4).
    assert np.all(counter.getData(rolling=False)[0, :5] > 0)
    assert source.getChannel() == 1


def test_counter_total_equals_countrate_total_for_the_same_capture(tagger):
    sources = [TT.Experimental.ExponentialSignalGenerator(tagger, 3e5, base_channel=c, seed=c) for c in (1, 2)]
    counter = TT.Counter(tagger, [1, 2], binwidth=MS, n_values=1000)
    rate = TT.Countrate(tagger, [1, 2])
    group = TT.SynchronizedMeasurements(tagger)
    for m in (counter, rate):
        group.registerMeasurement(m)
    group.startFor(SECOND // 2)
    group.waitUntilFinished()
    assert counter.getCaptureDuration() == rate.getCaptureDuration() == SECOND // 2
    np.testing.assert_array_equal(counter.getData().sum(axis=1), rate.getCountsTotal())
    assert rate.getCountsTotal().min() > 0.9 * 3e5 / 2
    assert len(sources) == 2


def test_counter_data_objects_deliver_every_bin_exactly_once(tagger):
    tagger.setTestSignal(1, True)
    counter = TT.Counter(tagger, [1], binwidth=MS, n_values=100_000)
    rate = TT.Countrate(tagger, [1])
    objects = []
    counter.startFor(SECOND // 5, clear=True)
    rate.startFor(SECOND // 5, clear=True)
    while counter.isRunning():
        objects.append(counter.getDataObject(remove=True))
    counter.waitUntilFinished()
    objects.append(counter.getDataObject(remove=True))
    times = np.concatenate([o.getTime() for o in objects])
    assert times.size == 200 and np.all(np.diff(times) == MS)      # no gap, no repeat
    for o in objects:                                              # getIndex: relative bin times
        np.testing.assert_array_equal(o.getIndex(), np.arange(o.size) * MS)
    assert sum(o.dropped_bins for o in objects) == 0
    counts = np.concatenate([o.getData() for o in objects], axis=1)
    assert counts.sum() == counter.getDataTotalCounts()[0]
    assert objects[-1].getDataNormalized().dtype == np.float64


def test_counter_data_object_counts_dropped_bins(tagger):
    tagger.setTestSignal(1, True)
    counter = TT.Counter(tagger, [1], binwidth=MS, n_values=10)
    counter.startFor(50 * MS)
    counter.waitUntilFinished()
    snapshot = counter.getDataObject()                     # remove=False: a snapshot, kept
    assert snapshot.size == 10 and snapshot.dropped_bins == 40
    np.testing.assert_array_equal(snapshot.getIndex(), np.arange(10) * MS)
    np.testing.assert_array_equal(snapshot.getTime() - snapshot.getTime()[0], np.arange(10) * MS)
    np.testing.assert_array_equal(snapshot.getData(), counter.getData())
    taken = counter.getDataObject(remove=True)
    np.testing.assert_array_equal(taken.getData(), snapshot.getData())
    again = counter.getDataObject(remove=True)
    assert again.size == 0 and again.dropped_bins == 0
    assert np.all(np.isnan(counter.getDataNormalized()))   # the buffer is empty now


def test_countrate_is_mean_rate_since_first_tag(tagger):
    tagger.setTestSignal(3, True)
    rate = TT.Countrate(tagger, [3, 4])
    rate.startFor(SECOND // 10)
    rate.waitUntilFinished()
    assert rate.getData() == pytest.approx([800e3, 0.0], abs=20)
    assert rate.getCountsTotal().dtype == np.int64
    rate.clear()
    assert rate.getCountsTotal().sum() == 0 and rate.getCaptureDuration() == 0
