"""The input stage against hardware facts: test signal, Poisson statistics, dead time, level, delay."""
from __future__ import annotations

import math

import numpy as np
import pytest

import timetagger_sim as TT
from timetagger_sim.taggers.models import PULSE_WIDTH_PS

SECOND = 10**12


def measure_rates(tagger, channels, duration=SECOND):
    rate = TT.Countrate(tagger, channels)
    rate.startFor(duration)
    rate.waitUntilFinished()
    return rate.getData(), rate.getCountsTotal()


@pytest.mark.parametrize("serial, expected_hz", [
    ("SIM-ULTRA8-0001", 403.2e6 / 504),     # 800 kHz
    ("SIM-TT20-0001", 62.5e6 / 74),         # 844.6 kHz
])
def test_test_signal_frequency_matches_model(make_tagger, serial, expected_hz):
    tagger = make_tagger(serial)
    tagger.setTestSignal([1, 2], True)
    rates, counts = measure_rates(tagger, [1, 2])
    # A periodic signal: at most one period of phase uncertainty over one second.
    assert rates == pytest.approx([expected_hz, expected_hz], abs=2.0)
    assert tagger.getTestSignal(1) and not tagger.getTestSignal(3)


def test_poisson_source_rate_within_statistical_bounds(tagger):
    rate_hz = 200_000.0
    source = TT.Experimental.ExponentialSignalGenerator(tagger, rate_hz, base_channel=3, seed=7)  # noqa: F841
    _, counts = measure_rates(tagger, [3])
    sigma = math.sqrt(rate_hz)
    assert abs(counts[0] - rate_hz) < 5 * sigma


def test_poisson_intervals_are_exponential(tagger):
    gen = TT.Experimental.ExponentialSignalGenerator(tagger, 1e6, seed=3)
    hist = TT.Histogram(tagger, gen.getChannel(), binwidth=100_000, n_bins=30)
    hist.startFor(SECOND // 10)
    hist.waitUntilFinished()
    # Multi-start multi-stop histogram of a Poisson process is flat (every pair counts).
    data = hist.getData().astype(float)
    assert np.std(data) / np.mean(data) < 0.02


def test_deadtime_keeps_every_other_test_signal_pulse(tagger):
    tagger.setTestSignal(1, True)
    assert tagger.setDeadtime(1, 2_000_000) == 2_000_000   # 2 us > period 1.25 us
    rates, _ = measure_rates(tagger, [1])
    assert rates[0] == pytest.approx(400e3, abs=2.0)


def test_deadtime_caps_poisson_rate_like_a_nonparalysable_detector(tagger):
    rate_hz, deadtime_ps = 2e6, 1_000_000
    source = TT.Experimental.ExponentialSignalGenerator(tagger, rate_hz, base_channel=4, seed=11)  # noqa: F841
    tagger.setDeadtime(4, deadtime_ps)
    rates, _ = measure_rates(tagger, [4])
    expected = rate_hz / (1 + rate_hz * deadtime_ps * 1e-12)   # 666.7 kHz
    assert rates[0] == pytest.approx(expected, rel=0.01)
    assert rates[0] < 1 / (deadtime_ps * 1e-12)


def test_time_tagger_20_deadtime_is_quantised_and_bounded(make_tagger):
    tagger = make_tagger("SIM-TT20-0001")
    assert tagger.setDeadtime(1, 10_000) == 12_000      # rounded to 6 ns clock cycles
    assert tagger.setDeadtime(1, 100) == 6_000           # minimum
    assert tagger.getDeadtime(1) == 6_000
    with pytest.raises(ValueError, match="393000000"):
        tagger.setDeadtime(1, 400_000_000)


@pytest.mark.parametrize("level, expect_clicks", [(0.5, True), (0.99, True), (1.2, False), (-0.3, False)])
def test_trigger_level_above_the_pulse_gives_no_clicks(tagger, level, expect_clicks):
    tagger.setTestSignal(1, True)
    tagger.setTriggerLevel(1, level)
    assert tagger.getTriggerLevel(1) == level
    _, counts = measure_rates(tagger, [1], SECOND // 100)
    assert (counts[0] > 0) == expect_clicks


def test_event_divider_keeps_every_nth_tag(tagger):
    tagger.setTestSignal(2, True)
    tagger.setEventDivider(2, 4)
    rates, _ = measure_rates(tagger, [2])
    assert rates[0] == pytest.approx(200e3, abs=2.0)


def test_falling_edges_follow_rising_edges(tagger):
    tagger.setTestSignal(1, True)
    corr = TT.Correlation(tagger, -1, 1, binwidth=100, n_bins=200)
    corr.startFor(SECOND // 100)
    corr.waitUntilFinished()
    peak = corr.getIndex()[np.argmax(corr.getData())]
    assert abs(peak - PULSE_WIDTH_PS) <= 100


@pytest.mark.parametrize("delay", [5_000, -1_500, 123_456])
def test_input_delay_shifts_the_correlation_peak_by_exactly_the_delay(tagger, delay):
    tagger.setTestSignal([1, 2], True)
    tagger.setInputDelay(2, delay)
    assert tagger.getInputDelay(2) == delay
    corr = TT.Correlation(tagger, 1, 2, binwidth=1, n_bins=400_000)
    corr.startFor(SECOND // 20)
    corr.waitUntilFinished()
    data, index = corr.getData(), corr.getIndex()
    # Bin centres are at k + 0.5 - W; the peak mean sits at -delay within jitter/sqrt(N).
    window = np.abs(index + delay) < 200
    mean = np.sum(index[window] * data[window]) / data[window].sum() - 0.5
    assert mean == pytest.approx(-delay, abs=1.0)


def test_conditional_filter_passes_only_after_a_trigger(tagger):
    tagger.setTestSignal(1, True)                       # 800 kHz
    source = TT.Experimental.ExponentialSignalGenerator(tagger, 100e3, base_channel=2, seed=5)  # noqa: F841
    tagger.setConditionalFilter(trigger=[2], filtered=[1])
    assert tagger.getConditionalFilterTrigger() == [2]
    rates, counts = measure_rates(tagger, [1, 2])
    # Each trigger lets through exactly one later test-signal tag (triggers are ~8x rarer).
    assert counts[0] <= counts[1]
    assert counts[0] == pytest.approx(counts[1], rel=0.08)
    tagger.clearConditionalFilter()
    rates, _ = measure_rates(tagger, [1], SECOND // 10)
    assert rates[0] == pytest.approx(800e3, abs=20)


#: Six 2 MHz Poisson inputs behind the Time Tagger 20's 6 ns dead time (non-paralysable).
INPUT_RATE_TT20 = 6 * 2e6 / (1 + 2e6 * 6e-9)


def poisson_inputs(tagger, channels, rate_hz):
    return [TT.Experimental.ExponentialSignalGenerator(tagger, rate_hz, base_channel=c, seed=c) for c in channels]


def test_hardware_buffer_absorbs_a_burst_below_its_size(make_tagger):
    tagger = make_tagger("SIM-TT20-0001")                    # 9 M tags/s to the computer, 8 Mi buffer
    sources = poisson_inputs(tagger, range(1, 7), 2e6)       # noqa: F841 - 12 M tags/s in
    assert tagger.getHardwareBufferSize() == 8 * 2**20
    rates, _ = measure_rates(tagger, list(range(1, 7)), SECOND // 10)    # 0.3 M tags too many
    assert tagger.getOverflows() == 0
    assert rates.sum() == pytest.approx(INPUT_RATE_TT20, rel=0.005)


def test_full_hardware_buffer_overflows_and_reports_the_missed_tags(make_tagger):
    tagger = make_tagger("SIM-TT20-0001")
    sources = poisson_inputs(tagger, range(1, 7), 2e6)       # noqa: F841
    messages = []
    TT.setLogger(lambda level, message: messages.append((level, message)))
    try:
        tagger.setHardwareBufferSize(32768)
        group = TT.SynchronizedMeasurements(tagger)
        rate = TT.Countrate(group.getTagger(), list(range(1, 7)))
        counter = TT.Counter(group.getTagger(), [1], binwidth=SECOND // 100, n_values=10)
        stream = TT.TimeTagStream(group.getTagger(), 10**7, list(range(1, 7)))
        group.startFor(SECOND // 10)
        group.waitUntilFinished()
    finally:
        TT.setLogger(None)
    data = stream.getData()
    types, missed = data.getEventTypes(), data.getMissedEvents()
    tags = types == TT.TagType.TimeTag
    # The computer receives at most the transfer rate plus what the buffer held.
    assert tags.sum() <= 9e6 * 0.1 + 32768
    # Each overflow is OverflowBegin, MissedEvents per channel, OverflowEnd; nothing is uncounted.
    begins, ends = np.flatnonzero(types == TT.TagType.OverflowBegin), np.flatnonzero(types == TT.TagType.OverflowEnd)
    assert begins.size == ends.size > 0 and np.all(begins < ends) and data.hasOverflows
    assert not np.any(tags[np.concatenate([np.arange(b, e + 1) for b, e in zip(begins, ends)])])
    assert tagger.getOverflows() == missed.sum() == rate.getCountsTotal().sum() - tags.sum()
    # Countrate counts the lost tags too (documented), so it still sees all of the input rate.
    assert rate.getData().sum() == pytest.approx(INPUT_RATE_TT20, rel=0.005)
    assert counter.getDataTotalCounts()[0] == rate.getCountsTotal()[0]
    assert counter.getDataObject().overflow and np.isnan(counter.getDataNormalized()).any()
    assert any(level == TT.LOGGER_WARNING and "overflow" in text for level, text in messages)
    assert tagger.getOverflowsAndClear() > 0 and tagger.getOverflows() == 0


def test_high_priority_channel_passes_through_overflows(make_tagger):
    tagger = make_tagger("SIM-TT20-0001")
    sources = poisson_inputs(tagger, range(1, 7), 2e6)       # noqa: F841
    marker = TT.Experimental.ExponentialSignalGenerator(tagger, 1e4, base_channel=8, seed=8)  # noqa: F841
    tagger.setHardwareBufferSize(32768)
    tagger.xtra_setHighPrioChannel(8, True)
    assert tagger.xtra_getHighPrioChannel(8) and not tagger.xtra_getHighPrioChannel(1)
    group = TT.SynchronizedMeasurements(tagger)
    rate = TT.Countrate(group.getTagger(), [1, 8])
    others = TT.Countrate(group.getTagger(), list(range(2, 7)))     # noqa: F841 - registered, so transferred
    stream = TT.TimeTagStream(group.getTagger(), 10**7, [1, 8])
    group.startFor(SECOND // 10)
    group.waitUntilFinished()
    data = stream.getData()
    tags = data.getEventTypes() == TT.TagType.TimeTag
    on_8 = np.count_nonzero(tags & (data.getChannels() == 8))
    on_1 = np.count_nonzero(tags & (data.getChannels() == 1))
    assert tagger.getOverflows() > 0
    assert on_8 == rate.getCountsTotal()[1] > 500                # none of the marker's tags lost
    assert on_1 < rate.getCountsTotal()[0]


def test_configuration_is_json_with_the_settings(tagger):
    import json
    tagger.setTestSignal(3, True)
    tagger.setInputDelay(3, 777)
    rate = TT.Countrate(tagger, [3])
    config = json.loads(tagger.getConfiguration())
    assert config["serial"] == tagger.getSerial() and config["test signal"] == [3]
    channel3 = next(c for c in config["channels"] if c["channel"] == 3)
    assert channel3["input delay"] == channel3["hardware delay"] == 777
    assert config["measurements"] == [json.loads(rate.getConfiguration())]


def test_reset_restores_defaults(tagger):
    tagger.setTestSignal(1, True)
    tagger.setTriggerLevel(1, 0.8)
    tagger.reset()
    assert not tagger.getTestSignal(1)
    assert tagger.getTriggerLevel(1) == 0.5
