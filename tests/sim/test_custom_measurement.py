"""CustomMeasurement: a Python subclass receives the raw stream as the library documents."""
from __future__ import annotations

import numpy as np
import pytest
from sim_stream import N_MAX_EVENTS, poisson_tagger

import timetagger_sim as TT

MS = 10**9


class CountPerChannel(TT.CustomMeasurement):
    """The library's introductory example, reimplemented: counts per registered channel."""

    def __init__(self, tagger, channels):
        TT.CustomMeasurement.__init__(self, tagger)
        self.channels = list(channels)
        self.counts = np.zeros(len(channels), np.int64)
        self.calls: list[tuple[int, int, int]] = []
        self.records: list[np.ndarray] = []
        self.events: list[str] = []
        for channel in channels:
            self.register_channel(channel)
        self.clear_impl()
        self.finalize_init()

    def getData(self):
        with self.mutex:
            return self.counts.copy()

    def clear_impl(self):
        self.counts[:] = 0
        self.events.append("clear")

    def on_start(self):
        self.events.append("start")

    def on_stop(self):
        self.events.append("stop")

    def process(self, incoming_tags, begin_time, end_time):
        assert not incoming_tags.flags.writeable
        tags = incoming_tags[incoming_tags["type"] == TT.TagType.TimeTag]
        for k, channel in enumerate(self.channels):
            self.counts[k] += np.count_nonzero(tags["channel"] == channel)
        self.calls.append((begin_time, end_time, incoming_tags.size))
        self.records.append(incoming_tags.copy())


def test_custom_count_equals_countrate_on_synchronized_measurements():
    with poisson_tagger(seed=2) as tagger:
        group = TT.SynchronizedMeasurements(tagger)
        custom = CountPerChannel(group.getTagger(), [1, 2, 3])
        rate = TT.Countrate(group.getTagger(), [1, 2, 3])
        stream = TT.TimeTagStream(group.getTagger(), N_MAX_EVENTS, [1, 2, 3])
        assert not custom.isRunning() and not custom.is_running()
        group.startFor(30 * MS)
        group.waitUntilFinished()
        np.testing.assert_array_equal(custom.getData(), rate.getCountsTotal())
        # Blocks cover the capture exactly, in order, and carry the stream's tags.
        begins, ends = np.array([c[0] for c in custom.calls]), np.array([c[1] for c in custom.calls])
        np.testing.assert_array_equal(begins[1:], ends[:-1])
        assert ends[-1] - begins[0] == 30 * MS == custom.getCaptureDuration()
        delivered = np.concatenate(custom.records)
        mine = np.isin(delivered["channel"], [1, 2, 3])
        data = stream.getData()
        np.testing.assert_array_equal(delivered["time"][mine], data.getTimestamps())
        assert delivered.dtype == TT.CustomMeasurement.INCOMING_TAGS_DTYPE
        assert custom.events == ["clear", "clear", "start", "stop"]     # ctor, startFor(clear=True)


def test_custom_measurement_sees_overflow_records_and_the_stream_block_size(make_tagger):
    tagger = make_tagger("SIM-TT20-0001")
    sources = [TT.Experimental.ExponentialSignalGenerator(tagger, 2e6, base_channel=c, seed=c) for c in range(1, 7)]
    tagger.setHardwareBufferSize(32768)
    tagger.setStreamBlockSize(max_events=65536, max_latency=2)
    custom = CountPerChannel(tagger, list(range(1, 7)))
    custom.startFor(20 * MS)
    custom.waitUntilFinished()
    assert all(end - begin <= 2 * MS and size <= 65536 for begin, end, size in custom.calls)
    types = np.concatenate(custom.records)["type"]
    assert np.count_nonzero(types == TT.TagType.OverflowBegin) > 0
    missed = np.concatenate(custom.records)["missed_events"][types == TT.TagType.MissedEvents]
    assert missed.sum() == tagger.getOverflows()
    del sources


class Broken(TT.CustomMeasurement):
    def __init__(self, tagger):
        super().__init__(tagger)
        self.register_channel(1)
        self.finalize_init()

    def process(self, incoming_tags, begin_time, end_time):
        raise ZeroDivisionError("broken on purpose")


def test_a_failing_process_stops_that_measurement_and_is_logged(tagger, capsys):
    tagger.setTestSignal(1, True)
    messages = []
    TT.setLogger(lambda level, text: messages.append((level, text)))
    try:
        broken = Broken(tagger)
        healthy = TT.Countrate(tagger, [1])
        healthy.startFor(5 * MS)
        healthy.waitUntilFinished()
    finally:
        TT.setLogger(None)
    assert healthy.getCountsTotal()[0] == pytest.approx(4000, abs=1)
    assert not broken.isRunning()
    with pytest.raises(RuntimeError, match="ZeroDivisionError: broken on purpose"):
        broken.start()
    assert any(level == TT.LOGGER_ERROR and "broken on purpose" in text for level, text in messages)
    assert "ZeroDivisionError" in capsys.readouterr().err       # the traceback, as the library prints


def test_stop_all_custom_measurements(tagger):
    first, second = CountPerChannel(tagger, [1]), CountPerChannel(tagger, [2])
    assert first.isRunning() and second.isRunning()
    TT.CustomMeasurementBase.stop_all_custom_measurements()
    assert not first.isRunning() and not second.isRunning()
    with pytest.raises(ValueError, match="channel=3 is not registered"):
        first.unregister_channel(3)
