"""TimeTaggerVirtual: record with FileWriter, replay with the library's API, measure the same as on the original."""
from __future__ import annotations

import numpy as np
import pytest
from sim_stream import N_MAX_EVENTS, poisson_tagger

import timetagger_sim as TT

MS = 10**9
CHANNELS = [1, 2, -2, 3]


def make_measurements(tagger):
    return {"corr": TT.Correlation(tagger, 1, 2, binwidth=100, n_bins=2000),
            "counter": TT.Counter(tagger, [1, 2, 3], binwidth=MS, n_values=100),
            "rate": TT.Countrate(tagger, CHANNELS),
            "logbins": TT.HistogramLogBins(tagger, 3, 1, -9, -5, 20),
            "td": TT.TimeDifferences(tagger, 2, 1, next_channel=3, binwidth=1000, n_bins=50, n_histograms=4),
            "stream": TT.TimeTagStream(tagger, N_MAX_EVENTS, CHANNELS)}


def results(m):
    data = m["stream"].getData()
    return {"corr": m["corr"].getData(), "counter": m["counter"].getData(), "rate": m["rate"].getData(),
            "logbins": m["logbins"].getDataObject().getG2(), "td": m["td"].getData(),
            "timestamps": data.getTimestamps(), "channels": data.getChannels(),
            "capture": m["corr"].getCaptureDuration()}


@pytest.fixture(scope="module")
def recording(tmp_path_factory):
    """20 ms, then a pause the writer does not record, then 15 ms more; the measurements follow it."""
    path = str(tmp_path_factory.mktemp("rec") / "run")
    with poisson_tagger(seed=31, rates={1: 300e3, 2: 200e3, 3: 100e3}) as tagger:
        group = TT.SynchronizedMeasurements(tagger)
        m = make_measurements(group.getTagger())
        writer = TT.FileWriter(group.getTagger(), path, CHANNELS)
        group.startFor(20 * MS)
        group.waitUntilFinished()
        tagger.getFence()
        other = TT.Countrate(tagger, [1])              # the stream runs on while the group is stopped
        other.startFor(7 * MS)
        other.waitUntilFinished()
        group.startFor(15 * MS, clear=False)
        group.waitUntilFinished()
        del writer
        yield path + ".ttbin", results(m)


def replayed(path, **append):
    virtual = TT.createTimeTaggerVirtual(path) if not append else TT.createTimeTaggerVirtual()
    try:
        m = make_measurements(virtual)
        if append:
            virtual.appendFile(path, **append)
        ids = virtual.run()
        assert ids == [1]
        assert virtual.waitForCompletion(timeout=60_000) and virtual.waitForCompletion(ID=1, timeout=0)
        return results(m), virtual.getChannelList()
    finally:
        TT.freeTimeTagger(virtual)


def test_measurements_on_the_replay_equal_those_on_the_original_stream(recording):
    path, original = recording
    replay, channels = replayed(path)
    assert channels == [1, 2, 3, -2]
    for name in original:
        np.testing.assert_array_equal(replay[name], original[name], err_msg=name)
    assert replay["capture"] == 35 * MS                  # the unrecorded pause is skipped, not processed


def test_begin_and_duration_replay_a_stretch_of_the_file(recording):
    path, original = recording
    replay, _ = replayed(path, begin=5 * MS, duration=10 * MS)
    start = original["timestamps"][0] // (10 * MS) * (10 * MS)     # the recording began on a block edge
    inside = (original["timestamps"] >= start + 5 * MS) & (original["timestamps"] < start + 15 * MS)
    np.testing.assert_array_equal(replay["timestamps"], original["timestamps"][inside])
    assert replay["capture"] == 10 * MS


def test_negative_begin_pauses_before_the_data(recording):
    path, original = recording
    replay, _ = replayed(path, begin=-3 * MS)
    assert replay["capture"] == 38 * MS                  # 3 ms of pause, then the 35 ms recorded
    # The recording began at stream time 0, so a pause before it moves the whole file 3 ms later.
    np.testing.assert_array_equal(replay["timestamps"], original["timestamps"] + 3 * MS)


def test_files_queue_one_after_the_other_and_keep_their_relative_timing(recording):
    path, original = recording
    virtual = TT.createTimeTaggerVirtual(path)
    try:
        stream = TT.TimeTagStream(virtual, N_MAX_EVENTS, CHANNELS)
        second = virtual.appendFile(path)
        assert second == 2
        assert virtual.run() == [1, 2]
        assert virtual.waitForCompletion(ID=second, timeout=60_000)
        ts = stream.getData().getTimestamps()
        n = original["timestamps"].size
        assert ts.size == 2 * n and np.all(np.diff(ts) >= 0)
        np.testing.assert_array_equal(ts[:n], original["timestamps"])
        np.testing.assert_array_equal(np.diff(ts[n:]), np.diff(original["timestamps"]))
        with pytest.raises(ValueError, match="channels=7"):
            TT.Countrate(virtual, [7])
    finally:
        TT.freeTimeTagger(virtual)


def test_deprecated_replay_api_and_software_input_delay(recording):
    path, original = recording
    virtual = TT.createTimeTaggerVirtual()
    try:
        virtual.setInputDelay(1, -1_000_000)             # software: a virtual tagger has no hardware
        assert virtual.getDelaySoftware(1) == -1_000_000
        stream = TT.TimeTagStream(virtual, N_MAX_EVENTS, [1, 2])
        virtual.setReplaySpeed(-1)
        virtual.replay(path)
        assert virtual.waitForCompletion()
        data = stream.getData()
        got_1 = data.getTimestamps()[data.getChannels() == 1]
        orig_1 = original["timestamps"][original["channels"] == 1]
        assert got_1.size > 0.9 * orig_1.size
        np.testing.assert_array_equal(got_1, (orig_1 - 1_000_000)[-got_1.size:])
        assert virtual.getReplaySpeed() == -1
        with pytest.raises(ValueError, match="speed 0.05 is not supported"):
            virtual.run(0.05)
        with pytest.raises(RuntimeError, match="not supported on the TimeTaggerVirtual"):
            virtual.setEventDivider(1, 2)
    finally:
        TT.freeTimeTagger(virtual)


def test_overflows_are_replayed(make_tagger, tmp_path):
    tagger = make_tagger("SIM-TT20-0001")
    sources = [TT.Experimental.ExponentialSignalGenerator(tagger, 2e6, base_channel=c, seed=c) for c in range(1, 7)]
    tagger.setHardwareBufferSize(32768)
    group = TT.SynchronizedMeasurements(tagger)
    stream = TT.TimeTagStream(group.getTagger(), N_MAX_EVENTS, list(range(1, 7)))
    writer = TT.FileWriter(group.getTagger(), str(tmp_path / "over"), list(range(1, 7)))  # noqa: F841
    group.startFor(20 * MS)
    group.waitUntilFinished()
    original = stream.getData()
    virtual = TT.createTimeTaggerVirtual(str(tmp_path / "over.ttbin"))
    try:
        replay_stream = TT.TimeTagStream(virtual, N_MAX_EVENTS, list(range(1, 7)))
        rate = TT.Countrate(virtual, list(range(1, 7)))
        virtual.run()
        assert virtual.waitForCompletion(timeout=60_000)
        replay = replay_stream.getData()
        for getter in ("getTimestamps", "getChannels", "getEventTypes", "getMissedEvents"):
            np.testing.assert_array_equal(getattr(replay, getter)(), getattr(original, getter)())
        assert virtual.getOverflows() == original.getMissedEvents().sum() > 0
        assert rate.getCountsTotal().sum() == (original.getEventTypes() == 0).sum() + original.getMissedEvents().sum()
    finally:
        TT.freeTimeTagger(virtual)
    del sources


def test_without_a_file_the_virtual_tagger_simulates_18_inputs():
    TT.setSimulationOptions(virtual_time=True, seed=4)
    try:
        virtual = TT.createTimeTaggerVirtual()
    finally:
        TT.setSimulationOptions(virtual_time=False)
    try:
        assert len(virtual.getChannelList()) == 36
        virtual.setTestSignal([1, 2], True)
        source = TT.Experimental.ExponentialSignalGenerator(virtual, 1e5, base_channel=5, seed=2)  # noqa: F841
        rate = TT.Countrate(virtual, [1, 5])
        virtual.run()
        rate.startFor(100 * MS)
        assert rate.waitUntilFinished(60_000)
        assert rate.getData()[0] == pytest.approx(800e3, abs=20)
        assert rate.getCountsTotal()[1] == pytest.approx(1e4, abs=5 * 100)
        assert virtual.getTestSignal(1) and not virtual.getTestSignal(3)
    finally:
        TT.freeTimeTagger(virtual)
