"""TimeTagStream, SynchronizedMeasurements, and the FileWriter -> FileReader round trip."""
from __future__ import annotations

import json
import os

import numpy as np
import pytest
from sim_stream import N_MAX_EVENTS, poisson_tagger

import timetagger_sim as TT

MS = 10**9


@pytest.fixture
def sources():
    with poisson_tagger(seed=3) as tagger:
        yield tagger


def run_for(group, duration, clear=True):
    group.startFor(duration, clear)
    assert group.waitUntilFinished(60_000)


def test_time_tag_stream_hands_out_every_tag_once_and_discards_when_full(sources):
    group = TT.SynchronizedMeasurements(sources)
    full = TT.TimeTagStream(group.getTagger(), N_MAX_EVENTS, [1, 2])
    small = TT.TimeTagStream(group.getTagger(), 1000, [1, 2])
    start = sources.getFence(False)
    run_for(group, 10 * MS)
    reference, capped = full.getData(), small.getData()
    assert capped.size == 1000 and reference.size > 4000
    np.testing.assert_array_equal(capped.getTimestamps(), reference.getTimestamps()[:1000])
    np.testing.assert_array_equal(capped.getChannels(), reference.getChannels()[:1000])
    assert (capped.tStart, capped.tGetData) == (start, start + 10 * MS)
    assert capped.getTimestamps().dtype == np.int64 and capped.getChannels().dtype == np.int32
    assert capped.getEventTypes().dtype == np.uint8 and not capped.getEventTypes().any()
    assert capped.getMissedEvents().dtype == np.uint16 and not capped.hasOverflows
    # Handed out once: the next buffer starts where this one ended and holds only new tags.
    assert small.getCounts() == 0
    run_for(group, 10 * MS)
    second = full.getData()
    assert second.tStart == start + 10 * MS and second.getTimestamps()[0] >= second.tStart
    assert second.getTimestamps()[0] > reference.getTimestamps()[-1]


def test_synchronized_measurements_see_the_same_tags_and_capture_time(sources):
    group = TT.SynchronizedMeasurements(sources)
    early = TT.Countrate(sources, [1, 2, 3])                   # starts on creation, joins later
    late = TT.Counter(sources, [1, 2, 3], binwidth=MS, n_values=20)
    outsider = TT.Countrate(sources, [1, 2, 3])
    for measurement in (early, late, outsider):
        group.registerMeasurement(measurement)
    group.registerMeasurement(early)                           # twice: still one member
    group.unregisterMeasurement(outsider)
    outsider.stop()
    run_for(group, 20 * MS)
    assert not group.isRunning()
    assert early.getCaptureDuration() == late.getCaptureDuration() == 20 * MS
    np.testing.assert_array_equal(early.getCountsTotal(), late.getData().sum(axis=1))
    assert outsider.getCaptureDuration() != 20 * MS or not np.array_equal(
        outsider.getCountsTotal(), early.getCountsTotal())
    group.start()
    assert early.isRunning() and late.isRunning() and group.isRunning()
    group.stop()
    assert not early.isRunning() and not late.isRunning()
    group.clear()
    assert early.getCaptureDuration() == late.getCaptureDuration() == 0


def test_synchronized_proxy_tagger_acts_on_the_real_tagger(sources):
    group = TT.SynchronizedMeasurements(sources)
    proxy = group.getTagger()
    assert isinstance(proxy, TT.TimeTaggerBase) and proxy is not sources
    assert proxy.getSerial() == sources.getSerial()
    delayed = TT.DelayedChannel(proxy, 1, 10)                 # virtual channels work on the proxy too
    counter = TT.Countrate(proxy, [1, delayed.getChannel()])
    assert not counter.isRunning()
    run_for(group, 5 * MS)
    assert counter.getCountsTotal()[0] > 0


def test_register_measurement_of_another_tagger_is_refused(sources):
    other = TT.createTimeTagger()
    try:
        foreign = TT.Countrate(other, [1])
        with pytest.raises(ValueError, match="another Time Tagger"):
            TT.SynchronizedMeasurements(sources).registerMeasurement(foreign)
    finally:
        TT.freeTimeTagger(other)


def test_file_writer_to_file_reader_round_trip_with_splits_and_markers(sources, tmp_path):
    name = str(tmp_path / "run.ttbin")
    group = TT.SynchronizedMeasurements(sources)
    stream = TT.TimeTagStream(group.getTagger(), N_MAX_EVENTS, [1, 3])
    writer = TT.FileWriter(group.getTagger(), name, [1, 3])
    writer.setMaxFileSize(30_000)            # about one 10 ms block per file
    run_for(group, 20 * MS)
    writer.setMarker("between")
    run_for(group, 5 * MS, clear=False)
    writer.setMarker("end")
    data = stream.getData()
    assert writer.getTotalEvents() == data.size
    files = sorted(os.listdir(tmp_path))
    assert "run.ttbin" in files and "run.1.ttbin" in files and "run.3.ttbin" in files
    assert writer.getTotalSize() == sum(os.path.getsize(tmp_path / f) for f in files)

    reader = TT.FileReader(name)
    assert reader.getChannelList() == [1, 3]
    assert json.loads(reader.getConfiguration())["serial"] == sources.getSerial()
    parts = []
    while reader.hasData():
        parts.append(reader.getData(12_345))
    assert all(p.size == 12_345 for p in parts[:-1])
    np.testing.assert_array_equal(np.concatenate([p.getTimestamps() for p in parts]), data.getTimestamps())
    np.testing.assert_array_equal(np.concatenate([p.getChannels() for p in parts]), data.getChannels())
    assert reader.getLastMarker() == "end"
    assert reader.getData(10).size == 0

    only_first = TT.FileReader([str(tmp_path / "run.1.ttbin")])
    first = only_first.getData(10**9)
    assert 0 < first.size < data.size
    np.testing.assert_array_equal(first.getTimestamps(), data.getTimestamps()[:first.size])


def test_file_writer_split_into_a_new_sequence(sources, tmp_path):
    writer = TT.FileWriter(sources, str(tmp_path / "a.ttbin"), [2])
    writer.startFor(MS)
    writer.waitUntilFinished()
    first = writer.getTotalEvents()
    writer.split(str(tmp_path / "b.ttbin"))
    writer.startFor(MS, clear=False)
    writer.waitUntilFinished()
    a, b = TT.FileReader(str(tmp_path / "a.ttbin")), TT.FileReader(str(tmp_path / "b.ttbin"))
    assert a.getData(10**9).size == first > 0
    assert b.getData(10**9).size == writer.getTotalEvents() - first > 0
    both = TT.FileReader([str(tmp_path / "a.ttbin"), str(tmp_path / "b.ttbin")])
    assert both.getData(10**9).size == writer.getTotalEvents()


def test_file_reader_rejects_missing_and_foreign_files(tmp_path):
    with pytest.raises(FileNotFoundError, match="nothing.ttbin"):
        TT.FileReader(str(tmp_path / "nothing.ttbin"))
    foreign = tmp_path / "foreign.ttbin"
    foreign.write_bytes(b"not a time tag file at all")
    with pytest.raises(ValueError, match="foreign.ttbin is not a simulator time-tag file"):
        TT.FileReader(str(foreign))
