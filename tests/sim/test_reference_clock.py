"""The software clock and the reference clock: locking, rescaling onto the clock's time base, ideal ticks.

The physics check: on a Time Tagger X whose internal clock is trimmed by +50 ppm, an external
1 us periodic signal measures 50 ppm long; locked to an external 10 MHz reference that shares the
signal's time base, the tagger measures the period exactly.
"""
from __future__ import annotations

import numpy as np
import pytest

import timetagger_sim as TT

SECOND = 10**12
MS = 10**9
E = TT.Experimental


def periodic(tagger, period_ps, channel):
    """An external, perfectly periodic signal into ``channel`` (uniform intervals of equal bounds)."""
    return E.UniformSignalGenerator(tagger, period_ps, period_ps, base_channel=channel)


def stream_of(tagger, channels, duration):
    stream = TT.TimeTagStream(tagger, 10**7, channels)
    stream.startFor(duration)
    stream.waitUntilFinished()
    data = stream.getData()
    return data.getTimestamps(), data.getChannels(), data.getEventTypes()


def test_reference_clock_removes_the_internal_clock_offset(make_tagger):
    tagger = make_tagger("SIM-X16-0001")
    sources = [periodic(tagger, 100_000, 2), periodic(tagger, 1_000_000, 3)]   # noqa: F841
    tagger.setInternalClockTrim(50.0)
    ts, ch, _ = stream_of(tagger, [3], 10 * MS)
    assert np.mean(np.diff(ts)) == pytest.approx(1_000_050, abs=0.1)           # 50 ppm long
    tagger.setReferenceClock(2, clock_frequency=10e6, time_constant=1e-4)
    state = tagger.getReferenceClockState()
    assert state.enabled and state.is_locked and state.clock_channel == 2 and state.clock_period == 100_000
    assert state.error_counter == 0
    ts, ch, _ = stream_of(tagger, [3], 10 * MS)
    intervals = np.diff(ts)
    assert np.mean(intervals) == pytest.approx(1_000_000, abs=0.1)             # the reference's second
    assert np.std(intervals) < 4               # the jitter of two tags (2 ps each on an X) and the loop
    ideal = tagger.getReferenceClockState().ideal_clock_channel
    ticks, _, _ = stream_of(tagger, [ideal], MS)
    np.testing.assert_array_equal(np.diff(ticks), 100_000)                     # exactly one period apart


def test_software_clock_on_the_test_signal_like_the_library_example(tagger):
    tagger.setTestSignal([1, 2], True)
    messages = []
    TT.setLogger(lambda level, text: messages.append((level, text)))
    try:
        tagger.setSoftwareClock(input_channel=1, input_frequency=800e3, averaging_periods=1000)
    finally:
        TT.setLogger(None)
    assert messages == []                               # locking messages are filtered while waiting
    state = tagger.getSoftwareClockState()
    assert state.enabled and state.is_locked and state.input_channel == 1
    assert state.clock_period == 1_250_000 and abs(state.period_error) < 1.0
    corr = TT.Correlation(tagger, 1, state.ideal_clock_channel, binwidth=1, n_bins=400)
    corr.startFor(SECOND // 10)
    corr.waitUntilFinished()
    data, index = corr.getData(), corr.getIndex()
    rms = np.sqrt(np.sum(data * index.astype(float) ** 2) / data.sum())
    # The rescaled clock tags scatter around the ideal ticks by their jitter (9 ps on an Ultra).
    assert 5 < rms < 15
    assert tagger.getSoftwareClockState().phase_error_estimation == pytest.approx(rms, rel=0.3)
    assert tagger.getReferenceClockState().enabled is False     # the software clock is not the reference
    tagger.disableSoftwareClock()
    assert not tagger.getSoftwareClockState().enabled


def test_clock_starts_unlocked_in_overflow_mode_and_reports_locking(tagger):
    tagger.setTestSignal([1, 2], True)
    messages = []
    TT.setLogger(lambda level, text: messages.append((level, text)))
    try:
        tagger.setReferenceClock(1, clock_frequency=800e3, time_constant=1e-3, wait_until_locked=False)
        assert not tagger.getReferenceClockState().is_locked
        ts, ch, types = stream_of(tagger, [2], 10 * MS)
    finally:
        TT.setLogger(None)
    assert types[0] == TT.TagType.OverflowBegin                  # unlocked: tags lost, only counted
    assert TT.TagType.OverflowEnd in types and tagger.getOverflows() > 0
    assert tagger.getReferenceClockState().is_locked
    assert any(level == TT.LOGGER_INFO and "locked" in text for level, text in messages)


def test_reference_clock_recovers_ticks_an_event_divider_dismissed(tagger):
    tagger.setTestSignal(1, True)                                # 800 kHz
    tagger.setEventDivider(1, 4)                                 # 200 kHz transferred
    tagger.setReferenceClock(1, clock_frequency=403.2e6 / 504, time_constant=5e-3)
    state = tagger.getReferenceClockState()
    assert state.event_divider == 4 and state.is_locked
    rate = TT.Countrate(tagger, [1, state.ideal_clock_channel])
    rate.startFor(SECOND // 10)
    rate.waitUntilFinished()
    assert rate.getData() == pytest.approx([200e3, 800e3], rel=1e-3)


def test_clock_without_a_signal_does_not_lock_and_says_why(tagger):
    with pytest.raises(RuntimeError, match="did not lock.*800000 Hz signal reaches that input"):
        tagger.setSoftwareClock(3, input_frequency=800e3)
    with pytest.raises(ValueError, match="input_frequency 0 Hz is out of range"):
        tagger.setSoftwareClock(3, input_frequency=0)
