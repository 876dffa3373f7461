"""HistogramCustomBins with ChannelGate evaluation gates against brute force and g2 = 1 for Poisson inputs;
TimeDifferences without a sync channel starts histogram 0 at the first next tag."""
from __future__ import annotations

import numpy as np
import pytest
from sim_stream import N_MAX_EVENTS, acquire, poisson_tagger

import timetagger_sim as TT

MS = 10**9
EDGES = [0, 1_000, 10_000, 100_000, 1_000_000, 3_000_000, 10_000_000]
GATE_PERIOD, GATE_OPEN = 10_000_000, 3_000_000           # 10 us period, open for 3 us


def open_at(times, opens, closes):
    """True where the gate is open at ``times`` (opened by ``opens``, closed by ``closes``, initially closed)."""
    last_open = np.searchsorted(opens, times, side="left")
    last_close = np.searchsorted(closes, times, side="left")
    open_time = np.where(last_open > 0, opens[np.maximum(last_open - 1, 0)], -1)
    close_time = np.where(last_close > 0, closes[np.maximum(last_close - 1, 0)], -1)
    return (last_open > 0) & (open_time > close_time)


@pytest.fixture(scope="module")
def gated():
    with poisson_tagger(seed=17, rates={1: 300e3, 2: 200e3}) as tagger:
        gate_source = TT.Experimental.UniformSignalGenerator(tagger, GATE_PERIOD, GATE_PERIOD, base_channel=3)
        closing = TT.DelayedChannel(tagger, 3, GATE_OPEN)
        gate = TT.ChannelGate(3, closing.getChannel())
        group = TT.SynchronizedMeasurements(tagger)
        proxy = group.getTagger()
        m = {"plain": TT.HistogramCustomBins(proxy, 1, 2, EDGES),
             "start_gated": TT.HistogramCustomBins(proxy, 1, 2, EDGES, start_gate=gate),
             "both_gated": TT.HistogramCustomBins(proxy, 1, 2, EDGES, click_gate=gate, start_gate=gate),
             "stream": TT.TimeTagStream(proxy, N_MAX_EVENTS, [1, 2, 3, closing.getChannel()])}
        ts, ch = acquire(group, m["stream"], 200 * MS)
        yield m, ts, ch, closing.getChannel()
        del gate_source


def brute_counts(starts, clicks, edges):
    counts = np.zeros(len(edges) - 1, np.int64)
    for t in clicks.tolist():
        lo = np.searchsorted(starts, t - edges[-1], side="right")
        hi = np.searchsorted(starts, t - edges[0], side="right")
        np.add.at(counts, np.searchsorted(edges, t - starts[lo:hi], side="right") - 1, 1)
    return counts


@pytest.mark.parametrize("name, gate_starts, gate_clicks", [("plain", False, False), ("start_gated", True, False),
                                                            ("both_gated", True, True)])
def test_gated_counts_equal_brute_force_and_g2_is_one_for_poisson_inputs(gated, name, gate_starts, gate_clicks):
    m, ts, ch, close_channel = gated
    opens, closes = ts[ch == 3], ts[ch == close_channel]
    starts, clicks = ts[ch == 2], ts[ch == 1]
    if gate_starts:
        starts = starts[open_at(starts, opens, closes)]
    if gate_clicks:
        clicks = clicks[open_at(clicks, opens, closes)]
    data = m[name].getDataObject()
    expected = brute_counts(starts, clicks, np.array(EDGES))
    np.testing.assert_array_equal(data.getCounts(), expected)
    # The gated normalisation accounts for the evaluated time: uncorrelated inputs give g2 = 1.
    g2, sigma = data.getG2()[1:], 1 / np.sqrt(expected[1:])
    assert np.all(np.abs(g2 - 1) < 5 * sigma), (g2, sigma)
    fraction = GATE_OPEN / GATE_PERIOD
    assert data.accumulation_time_start == pytest.approx(data.capture_duration * (fraction if gate_starts else 1),
                                                         rel=0.01)
    assert data.accumulation_time_click == pytest.approx(data.capture_duration * (fraction if gate_clicks else 1),
                                                         rel=0.01)
    np.testing.assert_array_equal(m[name].getBinEdges(), EDGES)


def test_time_differences_without_sync_fill_histogram_0_from_the_first_next_tag(tagger):
    starts = TT.Experimental.ExponentialSignalGenerator(tagger, 1e6, base_channel=1, seed=1)  # noqa: F841
    nexts = TT.Experimental.UniformSignalGenerator(tagger, 2_000_000_000, 2_000_000_000, base_channel=2)  # noqa: F841
    group = TT.SynchronizedMeasurements(tagger)
    td = TT.TimeDifferences(group.getTagger(), 1, 1, next_channel=2, binwidth=10_000, n_bins=100, n_histograms=3)
    stream = TT.TimeTagStream(group.getTagger(), N_MAX_EVENTS, [1, 2])
    assert td.getHistogramIndex() == -1                           # waiting for the first next tag
    ts, ch = acquire(group, stream, 3 * MS)                        # next tags every 2 ms: one of them
    first_next = ts[ch == 2][0]
    assert td.getHistogramIndex() == 0
    assert td.getData()[0].sum() > 0 and td.getData()[1:].sum() == 0
    # Clicks before the first next tag are not counted: histogram 0 holds only later ones.
    t1 = ts[ch == 1]
    later = t1[t1 > first_next]
    assert td.getData()[0].sum() == sum(np.count_nonzero((later - s > 0) & (later - s < 1_000_000))
                                        for s in later.tolist())
