"""FrequencyCounter, FrequencyStability, PhaseNoise and PulsePerSecondMonitor against numpy and physics."""
from __future__ import annotations

import math

import numpy as np
import pytest
from sim_stream import N_MAX_EVENTS

import timetagger_sim as TT

MS = 10**9
E = TT.Experimental


def recorded(group, stream, duration):
    group.startFor(duration)
    assert group.waitUntilFinished(60_000)
    data = stream.getData()
    return data.getTimestamps(), data.getChannels()


def test_frequency_counter_fits_phase_and_frequency_at_each_sampling_point(tagger):
    tagger.setTestSignal([1, 2], True)
    tagger.setEventDivider(2, 4)
    group = TT.SynchronizedMeasurements(tagger)
    counter = TT.FrequencyCounter(group.getTagger(), [1, 2], sampling_interval=MS, fitting_window=100_000_000)
    stream = TT.TimeTagStream(group.getTagger(), N_MAX_EVENTS, [1])
    ts, _ = recorded(group, stream, 20 * MS)
    data = counter.getDataObject()
    assert data.size == 19 and data.sampling_interval == MS          # windows must fit into the capture
    times = data.getTime()
    np.testing.assert_array_equal(np.diff(times), MS)
    counts = np.arange(ts.size)
    for k, t in enumerate(times.tolist()):
        window = np.abs(ts - t) <= 50_000_000
        slope, intercept = np.polyfit((ts[window] - t).astype(float), counts[window].astype(float), 1)
        assert data.getPeriodsCount()[0, k] + data.getPeriodsFraction()[0, k] == pytest.approx(intercept, abs=1e-6)
        assert data.getFrequencyInstantaneous()[0, k] == pytest.approx(slope * 1e12, rel=1e-9)
    f0 = 403.2e6 / 504
    np.testing.assert_allclose(data.getFrequency()[0, 1:], f0, rtol=1e-7)
    assert np.isnan(data.getFrequency()[0, 0])
    np.testing.assert_allclose(data.getPhase(f0)[0] - data.getPeriodsFraction()[0, 0], 0, atol=1e-4)
    # The event divider passes a quarter of the periods; event_divider=4 scales them back.
    np.testing.assert_allclose(data.getFrequency()[1, 1:], f0 / 4, rtol=1e-6)
    np.testing.assert_allclose(counter.getDataObject(event_divider=4).getFrequency()[1, 1:], f0, rtol=1e-6)
    last = counter.getDataObject(remove=True, channels_last_dim=True)
    assert last.getFrequency().shape == (19, 2) and last.channels_last_dim
    assert counter.getDataObject().size == 0 and not last.getOverflowMask().any()


@pytest.fixture
def noisy_clock(tagger):
    """A perfect 1 MHz external clock broadened by 20 ps RMS, into input 1 (plus 9 ps of the tagger)."""
    clock = E.UniformSignalGenerator(tagger, 1_000_000, 1_000_000)
    broad = E.TransformGaussianBroadening(tagger, clock.getChannel(), 20e-12, copy=True, seed=12)
    tagger.simConnect(broad.getChannel(), 1)
    yield tagger, math.hypot(20.0, 9.0) * 1e-12
    del clock, broad


def brute_stability(x, n):
    """ADEV, MDEV, HDEV, STDD of phase samples x (s) for step n, with tau = n * T."""
    tau = n * np.mean(np.diff(x))
    x = x - np.arange(x.size) * (tau / n)         # residuals: the linear part cancels, precision stays
    second = x[2 * n:] - 2 * x[n:-n] + x[:-2 * n]
    adev = np.sqrt(np.mean(second ** 2) / (2 * tau ** 2))
    third = x[3 * n:] - 3 * x[2 * n:-n] + 3 * x[n:-2 * n] - x[:-3 * n]
    hdev = np.sqrt(np.mean(third ** 2) / (6 * tau ** 2))
    prefix = np.concatenate(([0.0], np.cumsum(x)))
    j = np.arange(x.size - 3 * n + 1)
    inner = prefix[j + 3 * n] - 3 * prefix[j + 2 * n] + 3 * prefix[j + n] - prefix[j]
    mdev = np.sqrt(np.mean(inner ** 2) / (2 * n ** 2 * tau ** 2))
    return tau, adev, mdev, hdev, np.std(x[n:] - x[:-n])


def test_frequency_stability_equals_numpy_and_white_phase_noise_physics(noisy_clock):
    tagger, sigma = noisy_clock
    steps = [1, 2, 5, 10, 50, 200]
    group = TT.SynchronizedMeasurements(tagger)
    stability = TT.FrequencyStability(group.getTagger(), 1, steps, average=1, trace_len=100)
    stream = TT.TimeTagStream(group.getTagger(), N_MAX_EVENTS, [1])
    ts, _ = recorded(group, stream, 50 * MS)
    data = stability.getDataObject()
    x = (ts - ts[0]) * 1e-12
    for k, n in enumerate(steps):
        tau, adev, mdev, hdev, stdd = brute_stability(x, n)
        assert data.getTau()[k] == pytest.approx(tau, rel=1e-9)
        assert data.getADEV()[k] == pytest.approx(adev, rel=1e-6)
        assert data.getMDEV()[k] == pytest.approx(mdev, rel=1e-6)
        assert data.getHDEV()[k] == pytest.approx(hdev, rel=1e-6)
        assert data.getSTDD()[k] == pytest.approx(stdd, rel=1e-6)
    # White phase noise: the scaled deviations are the timing noise itself, at every tau.
    np.testing.assert_allclose(data.getADEVScaled(), sigma, rtol=0.05)
    np.testing.assert_allclose(data.getHDEVScaled(), sigma, rtol=0.05)
    np.testing.assert_allclose(data.getSTDD(), math.sqrt(2) * sigma, rtol=0.05)
    assert data.getTracePhase().size == 100 and np.std(data.getTracePhase()) == pytest.approx(sigma, rel=0.3)
    np.testing.assert_allclose(data.getTraceFrequencyAbsolute(1e6), 0, atol=1e6 * 5e-3)
    assert data.getTraceIndex().size == 100


def test_phase_noise_of_white_jitter_is_flat_and_integrates_to_the_jitter(noisy_clock):
    tagger, sigma = noisy_clock
    noise = TT.PhaseNoise(tagger, 1, samples_per_octave=16)
    noise.startFor(100 * MS)
    noise.waitUntilFinished()
    data = noise.getDataObject()
    assert data.getFrequency() == pytest.approx(1e6, rel=1e-9)
    offsets, spectrum = data.getOffset(), data.getPhaseNoise()
    assert np.all(np.diff(offsets) > 0) and offsets.max() < 0.5e6 and offsets.size > 16 * 8
    # One-sided S_x = 2 sigma^2 / f0 for white timing noise; L(f) = 10 log10((2 pi f0)^2 S_x / 2).
    expected = 10 * np.log10((2 * np.pi * 1e6) ** 2 * sigma ** 2 / 1e6)
    well_averaged = data.getAveragedSequences() >= 20
    assert np.median(spectrum[well_averaged]) == pytest.approx(expected, abs=0.5)
    assert data.getIntegratedJitter(lower_bound=float(offsets[0]), upper_bound=-1) == pytest.approx(sigma, rel=0.1)


def test_pulse_per_second_monitor_offsets_missing_pulses_and_csv(tagger, tmp_path):
    period = 1_000_000_000                                       # 1 ms "seconds" keep the test short
    pps = E.UniformSignalGenerator(tagger, period, period)
    lossy = E.TransformEfficiency(tagger, pps.getChannel(), 0.8, copy=True, seed=2)
    tagger.simConnect(lossy.getChannel(), 1)                     # the reference misses some pulses
    tagger.simConnect(pps.getChannel(), 2, delay=1_234)          # a PPS signal 1.234 ns late
    group = TT.SynchronizedMeasurements(tagger)
    monitor = TT.PulsePerSecondMonitor(group.getTagger(), 1, [2, 3], filename=str(tmp_path / "pps.csv"),
                                       period=period)
    stream = TT.TimeTagStream(group.getTagger(), N_MAX_EVENTS, [1, 2])
    ts, ch = recorded(group, stream, 50 * MS)
    data = monitor.getDataObject()
    refs = ts[ch == 1]
    assert data.size >= refs.size - 1 > 30
    indices = data.getIndices()
    np.testing.assert_array_equal(indices, np.round((refs[:data.size] - refs[0]) / period).astype(int))
    gaps = np.diff(indices) > 1
    offsets = data.getReferenceOffsets()
    assert offsets[0] == 0 and np.all(np.isnan(offsets[1:][gaps])) and gaps.any()
    np.testing.assert_allclose(offsets[1:][~gaps], np.diff(refs[:data.size])[~gaps] - period)
    signal = data.getSignalOffsets()
    assert signal.shape == (data.size, 2) and np.all(np.isnan(signal[:, 1]))     # nothing on input 3
    assert np.abs(signal[:, 0] - 1_234).max() < 60                                  # jitter of two tags
    assert not data.getStatus().any()                                               # input 3 never seen
    assert len(data.getUtcDates()) == data.size and data.getUtcSeconds()[0] > 1.6e9
    lines = (tmp_path / "pps.csv").read_text().splitlines()
    assert lines[0].startswith("index,utc,reference_offset") and len(lines) == data.size + 1
    assert monitor.getDataObject(remove=True).size == data.size and monitor.getDataObject().size == 0
