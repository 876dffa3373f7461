"""GatedChannel(s), Coincidence(s), Combiner, DelayedChannels against brute force on the recorded stream."""
from __future__ import annotations

import numpy as np
import pytest
from sim_stream import N_MAX_EVENTS, acquire, poisson_tagger

import timetagger_sim as TT

DURATION = 200 * 10**9          # 0.2 s of stream time
WINDOW = 2_000_000              # 2 us: many coincidences at these rates
Stamp = TT.CoincidenceTimestamp


@pytest.fixture(scope="module")
def run():
    with poisson_tagger(seed=11) as tagger:
        v = {
            "gate": TT.GatedChannel(tagger, 1, 3, 4),
            "gate_open": TT.GatedChannels(tagger, [1, 2], 3, 4, initial=TT.GatedChannelInitial.Open),
            "gate_self": TT.GatedChannel(tagger, 3, 3, 4),       # input is also the gate-open channel
            "coinc": TT.Coincidences(tagger, [[1, 2], [2, 3, 4]], WINDOW),
            "first": TT.Coincidence(tagger, [1, 2, 3], WINDOW, Stamp.First),
            "average": TT.Coincidence(tagger, [1, 2], WINDOW, Stamp.Average),
            "listed": TT.Coincidence(tagger, [3, 1], WINDOW, Stamp.ListedFirst),
            "combiner": TT.Combiner(tagger, [2, 4]),
            "delayed": TT.DelayedChannels(tagger, [3, 1], 12_345_678),     # 12.3 us
        }
        virtual = v["gate_open"].getChannels() + v["coinc"].getChannels() + v["delayed"].getChannels() + [
            v[k].getChannel() for k in ("gate", "gate_self", "first", "average", "listed", "combiner")]
        group = TT.SynchronizedMeasurements(tagger)
        stream = TT.TimeTagStream(group.getTagger(), N_MAX_EVENTS, [1, 2, 3, 4] + virtual)
        ts, ch = acquire(group, stream, DURATION)
        yield v, ts, ch, TT.getSimulationOptions().block_ps


def brute_gate(ts, ch, inputs, open_ch, close_ch, is_open):
    passed = {c: [] for c in inputs}
    for t, c in zip(ts.tolist(), ch.tolist()):
        if is_open and c in passed:
            passed[c].append(t)
        if c == open_ch:
            is_open = True
        elif c == close_ch:
            is_open = False
    return {c: np.array(v, np.int64) for c, v in passed.items()}


def test_gated_channel_passes_input_only_between_open_and_close_edges(run):
    v, ts, ch, _ = run
    recorded = ch < 100                   # physical inputs; virtual channels are numbered from 101
    expected = brute_gate(ts[recorded], ch[recorded], [1], 3, 4, False)
    gated = ts[ch == v["gate"].getChannel()]
    np.testing.assert_array_equal(gated, expected[1])
    assert 0 < gated.size < np.count_nonzero(ch == 1)


def test_gated_channels_start_open_and_gate_every_input(run):
    v, ts, ch, _ = run
    recorded = ch < 100
    expected = brute_gate(ts[recorded], ch[recorded], [1, 2], 3, 4, True)
    for channel, virtual in zip([1, 2], v["gate_open"].getChannels()):
        np.testing.assert_array_equal(ts[ch == virtual], expected[channel])
    # Initially open: the first input tag passes.
    assert ts[ch == v["gate_open"].getChannels()[0]][0] == ts[ch == 1][0]


def test_gate_channel_as_input_is_blocked_when_closed_but_opens_the_gate(run):
    v, ts, ch, _ = run
    recorded = ch < 100
    expected = brute_gate(ts[recorded], ch[recorded], [3], 3, 4, False)
    np.testing.assert_array_equal(ts[ch == v["gate_self"].getChannel()], expected[3])


def brute_coincidences(ts, ch, group, window, stamp):
    """For every tag of a member: the latest tag of each member so far, all within ``window``."""
    latest = {}
    for c in group:
        where = np.where(ch == c, ts, np.iinfo(np.int64).min // 2)
        latest[c] = np.maximum.accumulate(where)
    members = np.isin(ch, group)
    stack = np.stack([latest[c][members] for c in group])          # members x tags
    t = ts[members]
    complete = np.all(t - stack <= window, axis=0)
    stack, t = stack[:, complete], t[complete]
    if stamp == Stamp.Last:
        return t
    if stamp == Stamp.First:
        return stack.min(axis=0)
    if stamp == Stamp.ListedFirst:
        return stack[0]
    return t + np.round((stack - t).mean(axis=0)).astype(np.int64)


def block_clamped(stamps, completions, block_ps):
    """The simulator moves a stamp that precedes its block's start to that start (documented)."""
    return np.sort(np.maximum(stamps, completions // block_ps * block_ps))


@pytest.mark.parametrize("key, group, stamp", [("first", [1, 2, 3], Stamp.First),
                                               ("average", [1, 2], Stamp.Average),
                                               ("listed", [3, 1], Stamp.ListedFirst)])
def test_coincidence_timestamps(run, key, group, stamp):
    v, ts, ch, block_ps = run
    recorded = ch < 100
    stamps = brute_coincidences(ts[recorded], ch[recorded], group, WINDOW, stamp)
    completions = brute_coincidences(ts[recorded], ch[recorded], group, WINDOW, Stamp.Last)
    got = ts[ch == v[key].getChannel()]
    np.testing.assert_array_equal(got, block_clamped(stamps, completions, block_ps))
    assert got.size > 1000


def test_coincidences_emit_one_channel_per_group_with_the_completing_tag_time(run):
    v, ts, ch, _ = run
    recorded = ch < 100
    channels = v["coinc"].getChannels()
    assert len(channels) == 2 and len(set(channels)) == 2
    for group, virtual in zip([[1, 2], [2, 3, 4]], channels):
        expected = brute_coincidences(ts[recorded], ch[recorded], group, WINDOW, Stamp.Last)
        np.testing.assert_array_equal(ts[ch == virtual], expected)
        assert expected.size > 100


def test_combiner_is_the_union_of_its_inputs_with_counts_per_input(run):
    v, ts, ch, _ = run
    combined = ts[ch == v["combiner"].getChannel()]
    np.testing.assert_array_equal(combined, np.sort(ts[(ch == 2) | (ch == 4)]))
    counts = v["combiner"].getChannelCounts()
    assert counts.dtype == np.int64
    # The Combiner counts from its creation, which precedes the synchronized capture.
    assert np.all(counts >= [np.count_nonzero(ch == 2), np.count_nonzero(ch == 4)])
    np.testing.assert_array_equal(v["combiner"].getData(), counts)


def test_set_coincidence_window_changes_what_coincides(tagger):
    tagger.setTestSignal([1, 2], True)
    tagger.setInputDelay(2, 5_000)                       # channel 2 lags channel 1 by 5 ns
    coinc = TT.Coincidence(tagger, [1, 2], coincidenceWindow=1_000)
    rate = TT.Countrate(tagger, [1, coinc.getChannel()])
    rate.startFor(10**9)
    rate.waitUntilFinished()
    assert rate.getCountsTotal()[1] == 0
    coinc.setCoincidenceWindow(6_000)
    rate.startFor(10**9)
    rate.waitUntilFinished()
    n_1, n_coinc = rate.getCountsTotal()
    assert n_1 > 0 and abs(int(n_coinc) - int(n_1)) <= 1


def test_delayed_channels_shift_each_input_into_its_own_channel(run):
    v, ts, ch, _ = run
    for channel, virtual in zip([3, 1], v["delayed"].getChannels()):
        original, copy = ts[ch == channel], ts[ch == virtual]
        # Copies of the last 12.3 us of input fall after the capture window.
        np.testing.assert_array_equal(copy, original[:copy.size] + 12_345_678)
        assert copy.size >= np.count_nonzero(original + 12_345_678 <= original[-1]) > 1000
