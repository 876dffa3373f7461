"""Sampler, Scope, Iterator and Tag against the recorded stream."""
from __future__ import annotations

import numpy as np
import pytest
from sim_stream import N_MAX_EVENTS

import timetagger_sim as TT

MS = 10**9


@pytest.fixture
def pulses(tagger):
    """Test signal on inputs 1 and 2 (3 ns pulses every 1.25 us), Poisson triggers on input 3."""
    tagger.setTestSignal([1, 2], True)
    tagger.setInputDelay(2, 500)
    trigger = TT.Experimental.ExponentialSignalGenerator(tagger, 2e6, base_channel=3, seed=8)
    yield tagger
    del trigger


def level_at(times, rising, falling):
    """1 if the last edge before ``times`` was rising, 0 if falling, 2 before the first edge."""
    last_rise = np.searchsorted(rising, times, side="left")
    last_fall = np.searchsorted(falling, times, side="left")
    rise_t = np.where(last_rise > 0, rising[np.maximum(last_rise - 1, 0)], -1)
    fall_t = np.where(last_fall > 0, falling[np.maximum(last_fall - 1, 0)], -1)
    return np.where((last_rise == 0) & (last_fall == 0), 2, (rise_t > fall_t).astype(np.int64))


def test_sampler_gives_the_level_at_each_trigger(pulses):
    tagger = pulses
    group = TT.SynchronizedMeasurements(tagger)
    sampler = TT.Sampler(group.getTagger(), 3, [1, -2], max_triggers=100_000)
    stream = TT.TimeTagStream(group.getTagger(), N_MAX_EVENTS, [1, -1, 2, -2, 3])
    group.startFor(5 * MS)
    group.waitUntilFinished()
    data = stream.getData()
    ts, ch = data.getTimestamps(), data.getChannels()
    triggers = ts[ch == 3]
    expected_1 = level_at(triggers, ts[ch == 1], ts[ch == -1])
    expected_2 = level_at(triggers, ts[ch == -2], ts[ch == 2])       # channel -2: "high" after a falling edge
    samples = sampler.getData()
    assert samples.shape == (triggers.size, 3) and samples.dtype == np.int64
    np.testing.assert_array_equal(samples[:, 0], triggers)
    np.testing.assert_array_equal(samples[:, 1], expected_1)
    np.testing.assert_array_equal(samples[:, 2], expected_2)
    assert 0 < np.count_nonzero(expected_1 == 1) < triggers.size      # high 3 ns of every 1.25 us
    assert sampler.getData().size == 0                                  # each trigger returned once


def test_sampler_mask_and_the_unknown_state_before_the_first_edge(tagger):
    trigger = TT.Experimental.ExponentialSignalGenerator(tagger, 1e6, base_channel=3, seed=9)  # noqa: F841
    sampler = TT.Sampler(tagger, 3, [1, 2], max_triggers=10)
    sampler.startFor(MS)
    sampler.waitUntilFinished()
    mask = sampler.getDataAsMask()
    assert mask.shape == (10, 2)                                        # the buffer keeps max_triggers
    assert np.all(mask[:, 1] == np.int64(-(2**63)))                     # no edge yet: undefined bit only
    with pytest.raises(ValueError, match="at most 63"):
        TT.Sampler(tagger, 3, list(range(1, 9)) * 8, 10)


def test_scope_records_edge_traces_after_triggers(pulses):
    tagger = pulses
    group = TT.SynchronizedMeasurements(tagger)
    scope = TT.Scope(group.getTagger(), [1, 2], 3, window_size=3_000_000, n_traces=5, n_max_events=100)
    stream = TT.TimeTagStream(group.getTagger(), N_MAX_EVENTS, [1, -1, 2, -2, 3])
    group.startFor(MS)
    group.waitUntilFinished()
    data = stream.getData()
    ts, ch = data.getTimestamps(), data.getChannels()
    assert scope.ready() and scope.triggered() == 5 and scope.getWindowSize() == 3_000_000
    traces = scope.getData()
    assert len(traces) == 5 * 2
    begin = ts[ch == 3][0]
    for trace in range(5):
        for k, n in enumerate((1, 2)):
            events = traces[trace * 2 + k]
            edges = (ts >= begin) & (ts < begin + 3_000_000) & ((ch == n) | (ch == -n))
            assert events[0].time == 0
            assert events[0].state == {1: TT.HIGH, 0: TT.LOW, 2: TT.UNKNOWN}[
                int(level_at(np.array([begin]), ts[ch == n], ts[ch == -n])[0])]
            assert [e.time for e in events[1:]] == (ts[edges] - begin).tolist()
            assert [e.state for e in events[1:]] == [TT.HIGH if c > 0 else TT.LOW for c in ch[edges]]
        # The next trace starts at the first trigger after this window.
        later = ts[(ch == 3) & (ts >= begin + 3_000_000)]
        begin = later[0] if later.size else None


def test_iterator_queues_the_timestamps_of_its_channel(pulses):
    tagger = pulses
    group = TT.SynchronizedMeasurements(tagger)
    iterator = TT.Iterator(group.getTagger(), 3)
    stream = TT.TimeTagStream(group.getTagger(), N_MAX_EVENTS, [3])
    group.startFor(MS)
    group.waitUntilFinished()
    expected = stream.getData().getTimestamps()
    assert iterator.size() == expected.size > 100
    got = [iterator.next() for _ in range(expected.size)]
    np.testing.assert_array_equal(got, expected)
    with pytest.raises(RuntimeError, match="empty"):
        iterator.next()


def test_tag_constructors_follow_the_library_overloads():
    empty, short, full = TT.Tag(), TT.Tag(1234, 5), TT.Tag(TT.TagType.MissedEvents, 0, 17, 3, 99)
    assert (empty.type, empty.channel, empty.time) == (TT.Tag.Type_TimeTag, 0, 0)
    assert (short.time, short.channel, short.type) == (1234, 5, 0)
    assert (full.type, full.missed_events, full.channel, full.time) == (TT.Tag.Type_MissedEvents, 17, 3, 99)
    full.missed_events = 65535
    with pytest.raises(ValueError, match="missed_events 65536 is out of range"):
        full.missed_events = 65536
