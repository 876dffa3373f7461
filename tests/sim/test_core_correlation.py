"""Correlation physics: photon pairs give a peak at the set delay with the set width; g2 ~ 1 otherwise."""
from __future__ import annotations

import math

import numpy as np
import pytest

import timetagger_sim as TT

SECOND = 10**12
Experimental = TT.Experimental


def peak_moments(corr, centre, half_width):
    """Mean and standard deviation of the correlation peak, background subtracted."""
    data, index = corr.getData().astype(float), corr.getIndex()
    window = np.abs(index - centre) < half_width
    background = np.median(data[~window])
    signal = np.clip(data[window] - background, 0, None)
    mean = np.sum(index[window] * signal) / signal.sum()
    std = math.sqrt(np.sum((index[window] - mean) ** 2 * signal) / signal.sum())
    return mean, std, signal.sum()


def test_photon_pairs_on_physical_inputs_peak_at_delay_with_jitter_width(tagger):
    jitter_s, delay_ps, rate_hz = 50e-12, 2_000, 200e3
    source = Experimental.ExponentialSignalGenerator(tagger, rate_hz, seed=1)
    # A pair source: every emission is seen on two paths, each with its own timing noise.
    paths = [Experimental.TransformGaussianBroadening(tagger, source.getChannel(), jitter_s, copy=True, seed=s)
             for s in (3, 4)]
    tagger.simConnect(paths[0].getChannel(), 1)
    tagger.simConnect(paths[1].getChannel(), 2)
    tagger.setInputDelay(2, delay_ps)
    corr = TT.Correlation(tagger, 1, 2, binwidth=10, n_bins=2000)
    corr.startFor(SECOND)
    corr.waitUntilFinished()
    mean, std, pairs = peak_moments(corr, -delay_ps, 600)
    expected_std = math.sqrt(2 * (jitter_s * 1e12) ** 2 + 2 * 9.0 ** 2)   # two paths + Ultra jitter
    assert pairs == pytest.approx(rate_hz, rel=0.02)
    assert mean == pytest.approx(-delay_ps, abs=2.0)
    assert std == pytest.approx(expected_std, rel=0.05)


def test_detector_jitter_in_seconds_sets_the_peak_width(tagger):
    source = Experimental.ExponentialSignalGenerator(tagger, 500e3, seed=1)
    detectors = [Experimental.SimDetector(tagger, source.getChannel(), efficiency=0.5, jitter=30e-12, seed=s)
                 for s in (5, 6)]
    corr = TT.Correlation(tagger, detectors[0].getChannel(), detectors[1].getChannel(), binwidth=5,
                          n_bins=800)
    corr.startFor(SECOND)
    corr.waitUntilFinished()
    mean, std, pairs = peak_moments(corr, 0, 400)
    assert pairs == pytest.approx(500e3 * 0.5 * 0.5, rel=0.03)        # both detectors click
    assert mean == pytest.approx(0, abs=2.0)
    assert std == pytest.approx(math.sqrt(2) * 30, rel=0.05)


def test_single_emitter_on_a_beam_splitter_is_antibunched(tagger):
    # A single emitter cannot emit again before it is re-excited: model it as a Poisson
    # excitation with a 200 ns dead time, then split the photons 50:50 (Hanbury Brown-Twiss).
    excitation = Experimental.ExponentialSignalGenerator(tagger, 1e6, seed=1)
    emitter = Experimental.TransformDeadtime(tagger, excitation.getChannel(), 200e-9)
    splitter = Experimental.SimSignalSplitter(tagger, emitter.getChannel(), seed=2)
    corr = TT.Correlation(tagger, splitter.getLeftChannel(), splitter.getRightChannel(),
                          binwidth=10_000, n_bins=200)
    corr.startFor(SECOND)
    corr.waitUntilFinished()
    g2, index = corr.getDataNormalized(), corr.getIndex()
    assert np.all(g2[np.abs(index) < 190_000] == 0)           # no two photons within the dead time
    assert np.mean(g2[np.abs(index) > 600_000]) == pytest.approx(1.0, abs=0.05)


def test_poisson_light_split_stays_uncorrelated(tagger):
    source = Experimental.ExponentialSignalGenerator(tagger, 500e3, seed=1)
    splitter = Experimental.SimSignalSplitter(tagger, source.getChannel(), seed=2)
    corr = TT.Correlation(tagger, splitter.getLeftChannel(), splitter.getRightChannel(),
                          binwidth=10_000, n_bins=200)
    corr.startFor(SECOND)
    corr.waitUntilFinished()
    # Random thinning of a Poisson process gives two independent Poisson processes.
    assert np.mean(corr.getDataNormalized()) == pytest.approx(1.0, abs=0.02)


def test_independent_sources_give_flat_g2_of_one(tagger):
    sources = [Experimental.ExponentialSignalGenerator(tagger, 300e3, base_channel=c, seed=c) for c in (1, 2)]
    corr = TT.Correlation(tagger, 1, 2, binwidth=1000, n_bins=200)
    corr.startFor(SECOND)
    corr.waitUntilFinished()
    g2 = corr.getDataNormalized()
    assert np.mean(g2) == pytest.approx(1.0, abs=0.01)
    counts_per_bin = corr.getData().mean()
    assert np.std(g2) < 5 / math.sqrt(counts_per_bin)    # only shot noise
    assert len(sources) == 2


def test_autocorrelation_is_symmetric_and_excludes_self_pairs(tagger):
    source = Experimental.ExponentialSignalGenerator(tagger, 300e3, base_channel=1, seed=9)
    corr = TT.Correlation(tagger, 1, binwidth=100_000, n_bins=100)
    corr.startFor(SECOND // 10)
    corr.waitUntilFinished()
    data = corr.getData()
    # Ordered pairs are counted both ways; only a pair whose delay lies exactly on a bin edge lands
    # in bins k and n - k (not n - 1 - k): the bins [-W, W) are half-open.
    assert np.abs(data - data[::-1]).max() <= 1 and data.sum() > 50_000
    g2 = corr.getDataNormalized()
    assert np.mean(g2) == pytest.approx(1.0, abs=0.03)    # no spike from a tag with itself
    assert source.getChannel() == 1


def test_correlation_index_is_symmetric_bin_centres(tagger):
    corr = TT.Correlation(tagger, 1, 2, binwidth=10, n_bins=1000)
    index = corr.getIndex()
    assert index.dtype == np.int64 and index.shape == (1000,)
    np.testing.assert_array_equal(index, -index[::-1])
    assert np.all(np.diff(index) == 10)
    assert corr.getData().dtype == np.int32
