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


def test_file_writer_adds_the_extension_and_a_new_numbered_file_per_start_and_split(sources, tmp_path):
    writer = TT.FileWriter(sources, str(tmp_path / "run"), [1])          # starts: run.1.ttbin
    run_for_one(writer, MS)
    writer.startFor(MS, clear=False)                                    # a new start: run.2.ttbin
    writer.waitUntilFinished()
    writer.split()                                                      # not running: next start
    writer.start()                                                      # run.3.ttbin
    writer.split()                                                      # running: run.4.ttbin now
    writer.stop()
    assert sorted(os.listdir(tmp_path)) == ["run.1.ttbin", "run.2.ttbin", "run.3.ttbin", "run.4.ttbin",
                                             "run.ttbin"]
    reader = TT.FileReader(filename=str(tmp_path / "run.ttbin"))        # the keyword of overload 2
    assert reader.getData(10**9).size == writer.getTotalEvents() > 0
    with pytest.raises(TypeError, match="filenames .* or filename"):
        TT.FileReader()


def run_for_one(measurement, duration):
    measurement.startFor(duration)
    assert measurement.waitUntilFinished(60_000)


def test_overflows_round_trip_through_files(make_tagger, tmp_path):
    tagger = make_tagger("SIM-TT20-0001")
    sources = [TT.Experimental.ExponentialSignalGenerator(tagger, 2e6, base_channel=c, seed=c) for c in range(1, 7)]
    tagger.setHardwareBufferSize(32768)
    group = TT.SynchronizedMeasurements(tagger)
    stream = TT.TimeTagStream(group.getTagger(), N_MAX_EVENTS, list(range(1, 7)))
    writer = TT.FileWriter(group.getTagger(), str(tmp_path / "over.ttbin"), list(range(1, 7)))  # noqa: F841
    group.startFor(30 * MS)
    group.waitUntilFinished()
    original = stream.getData()
    assert original.hasOverflows
    read = TT.FileReader(str(tmp_path / "over.ttbin")).getData(10**9)
    for getter in ("getTimestamps", "getChannels", "getEventTypes", "getMissedEvents"):
        np.testing.assert_array_equal(getattr(read, getter)(), getattr(original, getter)())
    del sources


def test_dump_writes_the_library_tag_records(sources, tmp_path):
    group = TT.SynchronizedMeasurements(sources)
    stream = TT.TimeTagStream(group.getTagger(), N_MAX_EVENTS, [1, 2])
    dump = TT.Dump(group.getTagger(), str(tmp_path / "raw.dump"), -1, [1, 2])
    capped = TT.Dump(group.getTagger(), str(tmp_path / "capped.dump"), 100, [1, 2])
    run_for(group, 5 * MS)
    dump.stop()
    data = stream.getData()
    records = np.fromfile(tmp_path / "raw.dump", dtype=TT.CustomMeasurement.INCOMING_TAGS_DTYPE)
    assert TT.CustomMeasurement.INCOMING_TAGS_DTYPE.itemsize == 16
    np.testing.assert_array_equal(records["time"], data.getTimestamps())
    np.testing.assert_array_equal(records["channel"], data.getChannels())
    assert not records["type"].any()
    assert (tmp_path / "capped.dump").stat().st_size == 100 * 16


def test_merge_stream_files_offsets_channels_and_times(make_tagger, tmp_path):
    recorded = []
    for k, seed in enumerate((5, 6)):
        with poisson_tagger(seed=seed) as tagger:
            group = TT.SynchronizedMeasurements(tagger)
            stream = TT.TimeTagStream(group.getTagger(), N_MAX_EVENTS, [1, -1, 2])
            writer = TT.FileWriter(group.getTagger(), str(tmp_path / f"in{k}"), [1, -1, 2])  # noqa: F841
            run_for(group, 5 * MS)
            recorded.append(stream.getData())
    TT.mergeStreamFiles(str(tmp_path / "merged"), [str(tmp_path / "in0"), str(tmp_path / "in1")],
                        [0, 100], [0, 1_000_000], False)
    merged = TT.FileReader(str(tmp_path / "merged.ttbin"))
    assert merged.getChannelList() == [-101, -1, 1, 2, 101, 102]
    data = merged.getData(10**9)
    a, b = recorded
    shifted_b = np.where(b.getChannels() > 0, b.getChannels() + 100, b.getChannels() - 100)
    expected_ts = np.concatenate((a.getTimestamps(), b.getTimestamps() + 1_000_000))
    expected_ch = np.concatenate((a.getChannels(), shifted_b))
    order = np.lexsort((expected_ch, expected_ts))
    got = np.lexsort((data.getChannels(), data.getTimestamps()))
    np.testing.assert_array_equal(data.getTimestamps()[got], expected_ts[order])
    np.testing.assert_array_equal(data.getChannels()[got], expected_ch[order])
    # overlap_only: the 1 us shifted recording overlaps the other but for its first microsecond
    TT.mergeStreamFiles(str(tmp_path / "overlap"), [str(tmp_path / "in0"), str(tmp_path / "in1")],
                        [0, 100], [0, 1_000_000], True)
    overlap = TT.FileReader(str(tmp_path / "overlap.ttbin")).getData(10**9).getTimestamps()
    assert overlap.min() >= a.tStart + 1_000_000 and overlap.max() < a.tGetData
