"""The Experimental sources model real experiments: their streams have the statistics of the physics.

Each source is recorded on a virtual-time tagger; the checks are the distributions and
correlation functions the model stands for (tolerances several standard errors wide), or exact
brute force where the model is deterministic given its inputs.
"""
from __future__ import annotations

import numpy as np
import pytest

import timetagger_sim as TT

E = TT.Experimental


def record(tagger, channels, duration):
    """The tags of ``channels`` over ``duration`` ps from stream time 0: {channel: times}."""
    stream = TT.TimeTagStream(tagger, 10**7, channels)
    stream.startFor(duration)
    assert stream.waitUntilFinished(60_000)
    data = stream.getData()
    ts, ch = data.getTimestamps(), data.getChannels()
    return {c: ts[ch == c] for c in channels}


def g2(times, edges, duration):
    """Normalised autocorrelation of one channel: pairs with delay in each [edges[i], edges[i+1])."""
    n = times.size
    later = np.arange(n) + 1
    below = np.array([np.sum(np.maximum(np.searchsorted(times, times + e, side="left") - later, 0)) for e in edges])
    pairs = np.diff(below)
    rate = n / (duration * 1e-12)
    return pairs / (rate ** 2 * duration * 1e-12 * np.diff(edges) * 1e-12)


# -- renewal emitters -----------------------------------------------------------------------------
def test_gamma_generator_intervals_have_the_gamma_mean_and_variance(tagger):
    source = E.GammaSignalGenerator(tagger, 4.0, 0.5e-6, seed=3)          # mean 2 us, sd 1 us
    t = record(tagger, [source.getChannel()], 200 * 10**9)[source.getChannel()]
    d = np.diff(t) * 1e-12
    assert d.size == pytest.approx(0.2 / 2e-6, rel=0.03)
    assert d.mean() == pytest.approx(2e-6, rel=0.01)
    assert d.var() == pytest.approx(4.0 * 0.5e-6 ** 2, rel=0.04)


def test_two_state_emitter_is_antibunched(tagger):
    exc, life = 1e-6, 0.5e-6
    source = E.TwoStateExponentialSignalGenerator(tagger, exc, life, seed=4)
    duration = 200 * 10**9
    t = record(tagger, [source.getChannel()], duration)[source.getChannel()]
    d = np.diff(t) * 1e-12
    assert d.mean() == pytest.approx(exc + life, rel=0.01)
    assert d.var() == pytest.approx(exc ** 2 + life ** 2, rel=0.04)
    # g2(0) = 0; g2(t) = 1 - exp(-t (1/exc + 1/life)) for a renewal process only at short times:
    values = g2(t, np.array([0, 50_000, 100_000]), duration)
    rate = 1 / exc + 1 / life
    expected = [1 - (np.exp(-a * rate) - np.exp(-b * rate)) / (rate * (b - a))
                for a, b in ((0, 50e-9), (50e-9, 100e-9))]
    np.testing.assert_allclose(values, expected, atol=0.02)


# -- photon generators ----------------------------------------------------------------------------
def test_fcs_generator_has_the_fcs_correlation(tagger):
    tau, n_focus, rate = 1e-6, 2.0, 1e6
    source = E.FcsSignalGenerator(tagger, tau, rate, n_focus, seed=5)
    duration = 200 * 10**9
    t = record(tagger, [source.getChannel()], duration)[source.getChannel()]
    assert t.size == pytest.approx(rate * 0.2, rel=0.03)
    edges = np.array([0, 100_000, 1_000_000, 2_000_000, 8_000_000, 10_000_000])
    measured = g2(t, edges, duration)
    lo, hi = edges[:-1] * 1e-12, edges[1:] * 1e-12
    expected = 1 + tau * (np.exp(-lo / tau) - np.exp(-hi / tau)) / (hi - lo) / n_focus
    np.testing.assert_allclose(measured, expected, atol=0.03)
    assert 0 <= source.get_N() < 20 and source.get_T_PERIOD() == 20_000


def test_dls_generator_has_the_siegert_correlation(tagger):
    decay, rate = 2e-6, 500e3
    source = E.DlsSignalGenerator(tagger, decay, rate, seed=6)
    duration = 200 * 10**9
    t = record(tagger, [source.getChannel()], duration)[source.getChannel()]
    assert t.size == pytest.approx(rate * 0.2, rel=0.05)
    edges = np.array([0, 200_000, 2_000_000, 20_000_000, 22_000_000])
    measured = g2(t, edges, duration)
    lo, hi = edges[:-1] * 1e-12, edges[1:] * 1e-12
    expected = 1 + decay * (np.exp(-lo / decay) - np.exp(-hi / decay)) / (hi - lo)
    np.testing.assert_allclose(measured, expected, atol=0.05)
    two = E.DlsSignalGenerator(tagger, [1e-6, 4e-6], rate, seed=7)
    assert two.get_N() == 2


def test_photon_generator_subclass_drives_the_intensity(tagger):
    class Blinking(E.PhotonGenerator):
        """On for 10 periods at twice the mean intensity, off for 10."""

        def __init__(self, tagger):
            self.calls = 0
            super().__init__(tagger, 200e3, seed=8)
            self.set_T_PERIOD(10_000_000)                   # 10 us periods

        def get_intensity(self):
            self.calls += 1
            return 2.0 if (self.calls - 1) // 10 % 2 == 0 else 0.0

    source = Blinking(tagger)
    t = record(tagger, [source.getChannel()], 100 * 10**9)[source.getChannel()]
    phase = (t // 10_000_000) // 10 % 2          # periods of 10 us from stream time 0
    assert np.all(phase == 0)
    assert t.size == pytest.approx(200e3 * 0.1, rel=0.05)
    assert source.calls >= 100 * 10**9 // 10_000_000


def test_photon_generator_subclass_may_give_each_photon_time(tagger):
    class Every(E.PhotonGenerator):
        def __init__(self, tagger):
            self.t = 0
            super().__init__(tagger, 1e6)

        def get_next(self):
            self.t += 3_000_000
            return self.t

    source = Every(tagger)
    t = record(tagger, [source.getChannel()], 10**9)[source.getChannel()]
    np.testing.assert_array_equal(t, np.arange(3_000_000, 10**9, 3_000_000))


# -- Markov chain ---------------------------------------------------------------------------------
def test_markov_process_clicks_on_each_transition_with_the_stationary_fluxes(tagger):
    # Two states: 0 -> 1 at 1 MHz (click on output 0), 1 -> 0 at 0.5 MHz (click on output 1).
    source = E.MarkovProcessGenerator(tagger, 2, [0, 1e6, 0.5e6, 0], [-1, 0, 1, -1], seed=9)
    up, down = source.getChannels()
    data = record(tagger, [up, down], 100 * 10**9)
    flux = 1 / (1 / 1e6 + 1 / 0.5e6)            # pi_0 * f01 = 333 kHz
    for channel in (up, down):
        assert data[channel].size == pytest.approx(flux * 0.1, rel=0.03)
    # The transitions alternate, and the time in state 1 is exponential of mean 2 us.
    merged = np.sort(np.concatenate((data[up], data[down])))
    kinds = np.isin(merged, data[up])
    assert np.all(kinds[::2] == kinds[0]) and np.all(kinds[1::2] != kinds[0])
    assert kinds[0]                              # the chain starts in state 0: the first jump is 0 -> 1
    dwell = merged[1::2] - merged[0::2][:merged[1::2].size]
    assert (dwell * 1e-12).mean() == pytest.approx(2e-6, rel=0.03)
    assert (dwell * 1e-12).std() == pytest.approx(2e-6, rel=0.05)
    assert source.getChannel() == up


# -- patterns and oscillators ---------------------------------------------------------------------
def test_pattern_generator_runs_its_intervals_once_or_repeated(tagger):
    once = E.PatternSignalGenerator(tagger, [100, 200, 300], start_delay=1000)
    again = E.PatternSignalGenerator(tagger, [1_000_000, 500_000], repeat=True, start_delay=0, spacing=250_000)
    data = record(tagger, [once.getChannel(), again.getChannel()], 10**8)
    assert data[once.getChannel()].tolist() == [1100, 1300, 1600]
    period = 1_750_000
    first = np.arange(0, 10**8, period) + 1_000_000
    second = first + 500_000
    expected = np.sort(np.concatenate((first, second)))
    np.testing.assert_array_equal(data[again.getChannel()], expected[expected < 10**8])


def ticks_phase(t, f0):
    """Phase deviation x (s) of ticks from the ideal grid at f0."""
    k = np.arange(t.size)
    return (t - k * 1e12 / f0) * 1e-12


def test_oscillator_white_phase_noise_and_drift(tagger):
    f0 = 10e6
    white = E.OscillatorSimulation(tagger, f0, coeff_phase_white=50e-12, seed=10)
    drifting = E.OscillatorSimulation(tagger, f0, coeff_linear_drift=1e-3, seed=11)     # 1e-3 per second
    data = record(tagger, [white.getChannel(), drifting.getChannel()], 20 * 10**9)
    x = ticks_phase(data[white.getChannel()], f0)
    assert x.size == 200_000
    assert x.std() == pytest.approx(50e-12, rel=0.02)
    # Linear frequency drift: x = c t^2 / 2 (to the ps rounding of the tags).
    t = np.arange(data[drifting.getChannel()].size) / f0
    np.testing.assert_allclose(ticks_phase(data[drifting.getChannel()], f0), 0.5e-3 * t ** 2, atol=1e-12)


def allan(x, m, f0):
    tau = m / f0
    d2 = x[2 * m:] - 2 * x[m:-m] + x[:-2 * m]
    return np.sqrt(0.5 * np.mean(d2 ** 2)) / tau


def test_oscillator_white_and_random_walk_frequency_noise_have_their_allan_deviation(tagger):
    f0 = 1e6
    c_wf = 1e-9
    c_rw = 1e-6
    white = E.OscillatorSimulation(tagger, f0, coeff_freq_white=c_wf, seed=12)
    walk = E.OscillatorSimulation(tagger, f0, coeff_random_drift=c_rw, seed=13)
    data = record(tagger, [white.getChannel(), walk.getChannel()], 200 * 10**9)
    x = ticks_phase(data[white.getChannel()], f0)
    for m in (10, 100):
        assert allan(x, m, f0) == pytest.approx(c_wf / np.sqrt(m / f0), rel=0.1)
    y = ticks_phase(data[walk.getChannel()], f0)
    m = 10_000                                   # tau = 10 ms: sigma_y^2 = c^2 tau / 3
    assert allan(y, m, f0) == pytest.approx(c_rw * np.sqrt(m / f0 / 3), rel=0.3)


# -- lifetime, crosstalk, photon number -----------------------------------------------------------
def test_sim_lifetime_emits_poisson_photons_after_exponential_delays(tagger):
    laser = E.PatternSignalGenerator(tagger, [1_000_000], repeat=True)              # 1 MHz
    pixel = E.PatternSignalGenerator(tagger, [100_000_000], repeat=True)            # a pixel each 100 us
    emitter = E.SimLifetime(tagger, laser.getChannel(), 2e-9, emission_rate=0.3, seed=14)
    emitter.registerLifetimeReactor(pixel.getChannel(), [1e-9, 4e-9], True)
    channels = [laser.getChannel(), pixel.getChannel(), emitter.getChannel()]
    data = record(tagger, channels, 100 * 10**9)
    pulses, photons = data[laser.getChannel()], data[emitter.getChannel()]
    assert photons.size == pytest.approx(0.3 * pulses.size, rel=0.03)
    delay = photons - pulses[np.searchsorted(pulses, photons, side="right") - 1]
    pixel_index = np.searchsorted(data[pixel.getChannel()], photons, side="right")     # 0 before the first pixel
    lifetimes = np.where(pixel_index == 0, 2e-9, np.where(pixel_index % 2 == 1, 1e-9, 4e-9))
    for value in (1e-9, 4e-9):
        d = delay[lifetimes == value] * 1e-12
        assert d.mean() == pytest.approx(value, rel=0.05)
        assert d.std() == pytest.approx(value, rel=0.08)     # exponential: sd = mean


def test_transform_crosstalk_delays_by_the_decaying_relay_effect(tagger):
    signal = E.ExponentialSignalGenerator(tagger, 500e3, seed=15)
    relay = E.ExponentialSignalGenerator(tagger, 200e3, seed=16)
    crosstalk = E.TransformCrosstalk(tagger, signal.getChannel(), relay.getChannel(), 100e-12, 1e-6, copy=True)
    data = record(tagger, [signal.getChannel(), relay.getChannel(), crosstalk.getChannel()], 20 * 10**9)
    s, r = data[signal.getChannel()], data[relay.getChannel()]
    last = np.searchsorted(r, s, side="right") - 1
    shift = np.where(last >= 0, np.rint(100.0 * np.exp(-(s - r[np.maximum(last, 0)]) / 1e6)), 0).astype(np.int64)
    np.testing.assert_array_equal(data[crosstalk.getChannel()], np.sort(s + shift))
    assert np.count_nonzero(shift) > 1000


def test_photon_number_classifies_pulses_against_the_decision_lines(tagger):
    sources = [E.ExponentialSignalGenerator(tagger, 50e3, base_channel=4, seed=17),
               E.ExponentialSignalGenerator(tagger, 300e3, base_channel=1, seed=18)]
    block_ps = TT.getSimulationOptions().block_ps
    lines = [10e6, 5e6, 1e6]
    pnr = E.PhotonNumber(tagger, 4, 1, -1, 1.0, lines, 10_000)
    data = record(tagger, [4, 1, -1] + pnr.getChannels(), 100 * 10**9)
    expected = {c: [] for c in pnr.getChannels()}
    merged = sorted([(t, c) for c in (4, 1, -1) for t in data[c].tolist()])
    trigger = start = None
    last = -(1 << 62)
    for t, c in merged:
        if c == 4:
            trigger, start = t, None
        elif c == 1:
            if trigger is not None and t - last >= 10_000:
                start = t
        elif start is not None:
            x, y = start - trigger, t - start
            n = sum(y > 1.0 * (x - x0) for x0 in lines)
            expected[pnr.getChannels()[n]].append(max(start, t // block_ps * block_ps))
            last, start, trigger = start, None, None
    for channel, times in expected.items():
        np.testing.assert_array_equal(data[channel], np.sort(times))
        assert len(times) > 50
    assert len(sources) == 2
