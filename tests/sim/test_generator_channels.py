"""Combinations, ConditionalFilterChannel, ConstantFractionDiscriminator, EventGenerator,
FrequencyMultiplier, TriggerOnCountrate, SyntheticSingleTag and OverflowInjector against brute
force on the recorded stream."""
from __future__ import annotations

import numpy as np
import pytest
from sim_stream import N_MAX_EVENTS, acquire, poisson_tagger

import timetagger_sim as TT

DURATION = 200 * 10**9          # 0.2 s of stream time
COMBINATION_WINDOW = 1_000_000  # 1 us: clusters of 1-3 clicks at 600 kHz in total
PATTERN = [0, 1_000, 5_000_000, 30_000_000]   # the last time outlasts the mean trigger interval (20 us)
RATE_WINDOW = 10_000_000        # 10 us: about 3 tags of channel 1 at 300 kHz


@pytest.fixture(scope="module")
def run():
    with poisson_tagger(seed=23) as tagger:
        v = {
            "combinations": TT.Combinations(tagger, [1, 2, 3], COMBINATION_WINDOW),
            "filter": TT.ConditionalFilterChannel(tagger, [1, 2], [4]),
            "cfd": TT.ConstantFractionDiscriminator(tagger, [1, 2], 5_000),
            "cfd_short": TT.ConstantFractionDiscriminator(tagger, [3], 2_000),    # pulses last 3 ns
            "pattern": TT.EventGenerator(tagger, 4, PATTERN),
            "pattern_stopped": TT.EventGenerator(tagger, 4, PATTERN, stop_channel=4),
            "pattern_divided": TT.EventGenerator(tagger, 4, PATTERN, trigger_divider=3, divider_offset=2,
                                                 stop_channel=3),
            "multiplier": TT.FrequencyMultiplier(tagger, 3, 4),
            "rate": TT.TriggerOnCountrate(tagger, 1, 300e3, 100e3, RATE_WINDOW),
        }
        combos = v["combinations"]
        enabled = [combos.getChannel([1, 2]), combos.getChannelByMask(0b111)] + combos.getChannels([[3]])
        sums = [combos.getSumChannel(n) for n in (1, 2, 3)]
        virtual = enabled + sums + v["filter"].getChannels() + v["cfd"].getChannels() + v["cfd_short"].getChannels() \
            + v["rate"].getChannels() + [v[k].getChannel() for k in ("pattern", "pattern_stopped", "pattern_divided",
                                                                      "multiplier")]
        group = TT.SynchronizedMeasurements(tagger)
        stream = TT.TimeTagStream(group.getTagger(), N_MAX_EVENTS, [1, 2, 3, 4, -1, -2, -3] + virtual)
        ts, ch = acquire(group, stream, DURATION)
        yield v, ts, ch, TT.getSimulationOptions().block_ps


def recorded(ts, ch):
    physical = np.abs(ch) < 100                  # virtual channels are numbered from 101
    return ts[physical], ch[physical]


# -- Combinations --------------------------------------------------------------------------------
def brute_combinations(ts, ch, channels, window, block_ps):
    """Clusters of clicks (each within ``window`` of the previous) spanning at most ``window``:
    (time of the last click, channel mask); emitted where the guard window after it ends."""
    mine = np.isin(ch, channels)
    t, c = ts[mine], ch[mine]
    starts = np.flatnonzero(np.diff(t, prepend=t[0] - window - 1) > window)
    ends = np.append(starts[1:], t.size) - 1
    out = []
    for a, b in zip(starts.tolist(), ends.tolist()):
        if t[b] - t[a] > window or t[b] + window >= DURATION:
            continue
        mask = sum(1 << channels.index(x) for x in set(c[a:b + 1].tolist()))
        emitted = max(int(t[b]), (int(t[b]) + window) // block_ps * block_ps)
        out.append((emitted, mask))
    return np.array(out, np.int64).reshape(-1, 2)


def test_combinations_emit_each_enabled_combination_and_the_sum_channels(run):
    v, ts, ch, block_ps = run
    combos = v["combinations"]
    expected = brute_combinations(*recorded(ts, ch), [1, 2, 3], COMBINATION_WINDOW, block_ps)
    sizes = np.array([bin(m).count("1") for m in expected[:, 1].tolist()])
    for mask in (0b011, 0b111, 0b100):
        np.testing.assert_array_equal(ts[ch == combos.getChannelByMask(mask)], expected[expected[:, 1] == mask, 0])
    for n in (1, 2, 3):
        np.testing.assert_array_equal(ts[ch == combos.getSumChannel(n)], np.sort(expected[sizes == n, 0]))
    assert np.count_nonzero(sizes == 3) > 100
    # Combinations never asked for stay disabled.
    assert not np.any(ch == combos.getChannelByMask(0b001))


def test_combinations_channel_numbers_and_their_inverse(run):
    combos = run[0]["combinations"]
    assert combos.getCombination(combos.getChannel([3, 1])) == [1, 3]
    assert combos.getChannel([1, 2]) == combos.getChannelByMask(0b011)
    assert len({combos.getChannelByMask(m) for m in range(1, 8)} | {combos.getSumChannel(n) for n in (1, 2, 3)}) == 10
    with pytest.raises(ValueError, match="subset"):
        combos.getChannel([4])
    with pytest.raises(ValueError, match="n_channels"):
        combos.getSumChannel(4)


# -- ConditionalFilterChannel --------------------------------------------------------------------
def test_conditional_filter_channel_passes_a_filter_tag_only_after_a_trigger(run):
    v, ts, ch, _ = run
    t, c = recorded(ts, ch)
    armed = {1: False, 2: False}
    passed = {1: [], 2: []}
    for time, channel in zip(t.tolist(), c.tolist()):
        if channel == 4:
            armed = {1: True, 2: True}
        elif channel in armed:
            if armed[channel]:
                passed[channel].append(time)
            armed[channel] = False
    for channel, virtual in zip([1, 2], v["filter"].getChannels()):
        np.testing.assert_array_equal(ts[ch == virtual], passed[channel])
    assert v["filter"].getChannel() == v["filter"].getChannels()[0]
    assert 1000 < len(passed[1]) < np.count_nonzero(c == 1) / 2


# -- ConstantFractionDiscriminator ---------------------------------------------------------------
def brute_cfd(t, c, channel, window, block_ps):
    """Each falling edge with the latest rising edge before it (if no falling edge came between)."""
    rise, out = None, []
    for time, edge in zip(t.tolist(), c.tolist()):
        if edge == channel:
            rise = time
        elif edge == -channel and rise is not None:
            if time - rise <= window:
                out.append(max((rise + time) // 2, time // block_ps * block_ps))
            rise = None
    return np.sort(out)


def test_constant_fraction_discriminator_is_the_mean_of_both_edges(run):
    v, ts, ch, block_ps = run
    t, c = recorded(ts, ch)
    for channel, virtual in zip([1, 2], v["cfd"].getChannels()):
        expected = brute_cfd(t, c, channel, 5_000, block_ps)
        np.testing.assert_array_equal(ts[ch == virtual], expected)
        assert expected.size > 0.99 * np.count_nonzero(c == channel)
    # 3 ns pulses do not fit a 2 ns search window (only the rare overlapping pulses, 2 rising edges
    # then 2 falling edges, pass).
    short = ts[ch == v["cfd_short"].getChannels()[0]]
    np.testing.assert_array_equal(short, brute_cfd(t, c, 3, 2_000, block_ps))
    assert short.size < 1e-3 * np.count_nonzero(c == 3)


# -- EventGenerator ------------------------------------------------------------------------------
def brute_patterns(t, c, trigger, pattern, divider=1, offset=0, stop=None):
    scheduled, k = [], 0
    for time, channel in zip(t.tolist(), c.tolist()):
        if channel == stop:
            scheduled = [s for s in scheduled if s <= time]
        if channel == trigger:
            if k >= offset and (k - offset) % divider == 0:
                scheduled.extend(time + p for p in pattern)
            k += 1
    return np.sort([s for s in scheduled if s < DURATION])


@pytest.mark.parametrize("key, kwargs", [("pattern", {}), ("pattern_stopped", {"stop": 4}),
                                         ("pattern_divided", {"divider": 3, "offset": 2, "stop": 3})])
def test_event_generator_emits_the_pattern_after_each_selected_trigger(run, key, kwargs):
    v, ts, ch, _ = run
    t, c = recorded(ts, ch)
    expected = brute_patterns(t, c, 4, PATTERN, **kwargs)
    np.testing.assert_array_equal(ts[ch == v[key].getChannel()], expected)
    assert expected.size > 1000


def test_event_generator_checks_its_pattern(tagger):
    with pytest.raises(ValueError, match="pattern"):
        TT.EventGenerator(tagger, 1, [100, -5])
    with pytest.raises(ValueError, match="pattern"):
        TT.EventGenerator(tagger, 1, [])


# -- FrequencyMultiplier -------------------------------------------------------------------------
def test_frequency_multiplier_interpolates_from_the_last_interval(run):
    v, ts, ch, _ = run
    t, _c = recorded(ts, ch)
    tags = t[_c == 3]
    expected = [tags]
    for k in range(1, 4):
        extra = tags[1:] + k * (tags[1:] - tags[:-1]) // 4
        nxt = np.append(tags[2:], DURATION)
        expected.append(extra[extra < nxt])
    expected = np.sort(np.concatenate(expected))
    np.testing.assert_array_equal(ts[ch == v["multiplier"].getChannel()], expected)
    assert v["multiplier"].getMultiplier() == 4


# -- TriggerOnCountrate --------------------------------------------------------------------------
def test_trigger_on_countrate_reports_the_state_then_every_crossing(run):
    v, ts, ch, _ = run
    t, c = recorded(ts, ch)
    tags = t[c == 1]
    times = np.unique(np.concatenate((tags, tags + RATE_WINDOW, [RATE_WINDOW])))
    times = times[(times >= RATE_WINDOW) & (times < DURATION)]
    counts = np.searchsorted(tags, times, side="right") - np.searchsorted(tags, times - RATE_WINDOW, side="right")
    rates = counts * 1e12 / RATE_WINDOW
    above, below, state = [], [], None
    for time, rate in zip(times.tolist(), rates.tolist()):
        if state is None:
            state = "above" if rate >= 300e3 else "below"
            (above if state == "above" else below).append(time)
        elif state == "below" and rate >= 400e3:
            state = "above"
            above.append(time)
        elif state == "above" and rate <= 200e3:
            state = "below"
            below.append(time)
    trigger = v["rate"]
    np.testing.assert_array_equal(ts[ch == trigger.getChannelAbove()], above)
    np.testing.assert_array_equal(ts[ch == trigger.getChannelBelow()], below)
    assert len(above) > 100 and abs(len(above) - len(below)) <= 1
    assert trigger.isAbove() == (state == "above") and trigger.isBelow() == (state == "below")
    last = np.count_nonzero(tags > DURATION - RATE_WINDOW)
    assert trigger.getCurrentCountrate() == pytest.approx(last * 1e12 / RATE_WINDOW)


def test_trigger_on_countrate_injects_the_current_state(tagger):
    trigger = TT.TriggerOnCountrate(tagger, 1, 1e3, 0, 1_000_000)
    assert not trigger.injectCurrentState()          # the first time window has not passed
    stream = TT.TimeTagStream(tagger, 100, trigger.getChannels())
    stream.startFor(10**9)
    stream.waitUntilFinished()
    assert trigger.isBelow() and trigger.injectCurrentState()     # no signal on input 1
    stream.startFor(10**9, clear=False)
    stream.waitUntilFinished()
    data = stream.getData()
    assert data.getChannels().tolist() == [trigger.getChannelBelow()] * 2
    assert data.getTimestamps()[0] == 1_000_000 and data.getTimestamps()[1] >= 10**9


# -- SyntheticSingleTag --------------------------------------------------------------------------
def test_synthetic_single_tag_adds_one_tag_per_trigger_call(tagger):
    new = TT.SyntheticSingleTag(tagger)
    injected = TT.SyntheticSingleTag(tagger, 2)
    assert injected.getChannel() == 2 and new.getChannel() > 100
    stream = TT.TimeTagStream(tagger, 100, [new.getChannel(), 2])
    rate = TT.Countrate(tagger, [2])
    for _ in range(3):
        new.trigger()
    injected.trigger()
    stream.startFor(10**9)
    stream.waitUntilFinished()
    rate.stop()
    data = stream.getData()
    assert sorted(data.getChannels().tolist()) == [2] + [new.getChannel()] * 3
    assert np.all(data.getTimestamps() == data.getTimestamps()[0])     # stamped at the same stream time
    assert rate.getCountsTotal().tolist() == [1]


# -- OverflowInjector ----------------------------------------------------------------------------
def test_overflow_injector_drops_an_interval_and_reports_the_missed_tags():
    messages = []
    TT.setLogger(lambda level, text: messages.append((level, text)))
    try:
        with poisson_tagger(seed=5, rates={1: 100e3}) as tagger:
            injector = TT.OverflowInjector(tagger, 50 * 10**9, 20 * 10**9)   # kept: a freed one stops
            stream = TT.TimeTagStream(tagger, N_MAX_EVENTS, [1])
            stream.startFor(100 * 10**9)
            assert stream.waitUntilFinished(60_000)
            data = stream.getData()
            assert injector.isRunning()
    finally:
        TT.setLogger(None)
    ts, types, missed = data.getTimestamps(), data.getEventTypes(), data.getMissedEvents()
    kinds = TT.TagType
    tags = ts[types == kinds.TimeTag]
    assert not np.any((tags >= 50 * 10**9) & (tags < 70 * 10**9))
    # One overflow, reported per block of the stream (consecutive intervals).
    begins, ends = ts[types == kinds.OverflowBegin], ts[types == kinds.OverflowEnd]
    assert begins[0] == 50 * 10**9 and ends[-1] == 70 * 10**9 and begins[1:].tolist() == ends[:-1].tolist()
    lost = int(missed[types == kinds.MissedEvents].sum())
    assert lost == pytest.approx(100e3 * 0.02, rel=0.1)       # Poisson: 2000 +- 45
    assert tags.size + lost == pytest.approx(100e3 * 0.1, rel=0.05)
    assert any(level == TT.LOGGER_WARNING and "OverflowInjector" in text for level, text in messages)
