"""StartStop, TimeDifferences, Histogram2D, CountBetweenMarkers, HistogramLogBins against brute force.

One seeded acquisition (Poisson clicks on inputs 1..4) is seen by every measurement of a
``SynchronizedMeasurements`` group and by a ``TimeTagStream``; each expectation below is
recomputed from the recorded stream with plain Python/numpy.
"""
from __future__ import annotations

import bisect
from collections import Counter as Tally

import numpy as np
import pytest
from sim_stream import N_MAX_EVENTS, RATES, acquire, poisson_tagger

import timetagger_sim as TT

DURATION = 300 * 10**9          # 0.3 s of stream time


@pytest.fixture(scope="module")
def run():
    """All measurements of this module, created on the group's proxy tagger, and the stream."""
    with poisson_tagger() as tagger:
        group = TT.SynchronizedMeasurements(tagger)
        proxy = group.getTagger()
        m = {
            "startstop": TT.StartStop(proxy, 1, 2, binwidth=1000),
            "startstop_auto": TT.StartStop(proxy, 3, binwidth=500),
            "td_sync": TT.TimeDifferences(proxy, 1, 2, 3, 4, binwidth=1000, n_bins=100, n_histograms=5),
            "td_free": TT.TimeDifferences(proxy, 2, 1, next_channel=4, binwidth=2000, n_bins=50, n_histograms=3),
            "td_max": TT.TimeDifferences(proxy, 2, 1, next_channel=4, binwidth=2000, n_bins=50, n_histograms=3),
            "h2d": TT.Histogram2D(proxy, 3, 1, 2, 100_000, 200_000, 40, 30),
            "cbm_end": TT.CountBetweenMarkers(proxy, 1, 3, 4, n_values=50_000),
            "cbm_full": TT.CountBetweenMarkers(proxy, 2, 4, n_values=1000),
            "logbins": TT.HistogramLogBins(proxy, 1, 2, -9, -5, 24),
            "gated": TT.GatedCounter(proxy, [1, 2], 3, 4, n_values=50_000),
            "pairs": TT.CorrelationPairs(proxy, [1, 2, 3], binwidth=1000, n_bins=200),
            "hnd": TT.HistogramND(proxy, 3, [1, 2, 4], [100_000, 200_000, 300_000], [10, 8, 6]),
            "tdnd": TT.TimeDifferencesND(proxy, 2, 1, [3, 4], [TT.CHANNEL_UNUSED, 3], [3, 2], 2000, 50),
            "stream": TT.TimeTagStream(proxy, N_MAX_EVENTS, [1, 2, 3, 4]),
        }
        m["td_max"].setMaxRollovers(100)
        assert not any(x.isRunning() for x in m.values()), "measurements on the proxy must not autostart"
        ts, ch = acquire(group, m["stream"], DURATION)
        yield m, ts, ch


def tags(ts, ch, channel):
    return ts[ch == channel]


# -- StartStop -------------------------------------------------------------------------------------
def brute_start_stop(ts, ch, click, start, binwidth):
    pending, found = None, Tally()
    for t, c in zip(ts.tolist(), ch.tolist()):
        if c == click and pending is not None:
            found[(t - pending) // binwidth * binwidth] += 1
            pending = None
        if c == start:
            pending = t
    return np.array(sorted(found.items()), np.int64).reshape(-1, 2)


@pytest.mark.parametrize("name, click, start, binwidth", [("startstop", 1, 2, 1000),
                                                          ("startstop_auto", 3, 3, 500)])
def test_start_stop_lists_the_non_empty_bins_of_next_click_after_start(run, name, click, start, binwidth):
    m, ts, ch = run
    data = m[name].getData()
    assert data.dtype == np.int64 and data.ndim == 2 and data.shape[1] == 2
    np.testing.assert_array_equal(data, brute_start_stop(ts, ch, click, start, binwidth))
    assert np.all(data[:, 1] > 0)
    # Unbounded range: intervals of many mean click gaps (>= 3.3 us) are kept.
    assert data[-1, 0] > 10 * 10**6


def test_start_stop_auto_mode_registers_every_interval_between_subsequent_clicks(run):
    m, ts, ch = run
    clicks = tags(ts, ch, 3)
    assert m["startstop_auto"].getData()[:, 1].sum() == clicks.size - 1


# -- TimeDifferences -------------------------------------------------------------------------------
def brute_time_differences(ts, ch, click, start, next_ch, sync, binwidth, n_bins, n_hist, max_rollovers=0):
    hist = np.zeros((n_hist, n_bins), np.int64)
    # Documented: with sync the index waits for a sync tag (-2); without sync the measurement
    # starts with the first next tag (waiting: -1), which starts histogram 0.
    index = -2 if sync is not None else (-1 if next_ch is not None else 0)
    rollovers, starts = 0, []
    for t, c in zip(ts.tolist(), ch.tolist()):
        if max_rollovers and rollovers >= max_rollovers:
            break
        if c == click and index >= 0:
            for s in starts[bisect.bisect_right(starts, t - binwidth * n_bins):]:
                hist[index, (t - s) // binwidth] += 1
        if c == start:
            starts.append(t)
        if c == sync:
            index = -1
        if c == next_ch and index != -2:
            if index + 1 < n_hist:
                index += 1
            else:
                rollovers += 1
                index = -2 if sync is not None else 0
    return hist, index, rollovers


def test_time_differences_with_sync_follows_the_documented_index_states(run):
    m, ts, ch = run
    td = m["td_sync"]
    hist, index, rollovers = brute_time_differences(ts, ch, 1, 2, 3, 4, 1000, 100, 5)
    data = td.getData()
    assert data.dtype == np.int32 and data.shape == (5, 100)
    np.testing.assert_array_equal(data, hist)
    assert td.getHistogramIndex() == index and td.getCounts() == rollovers > 100
    np.testing.assert_array_equal(td.getIndex(), np.arange(100) * 1000)
    assert not td.ready()


def test_time_differences_without_sync_rolls_over_to_zero_and_stops_at_max_rollovers(run):
    m, ts, ch = run
    hist, index, rollovers = brute_time_differences(ts, ch, 2, 1, 4, None, 2000, 50, 3)
    np.testing.assert_array_equal(m["td_free"].getData(), hist)
    assert m["td_free"].getHistogramIndex() == index >= 0
    assert m["td_free"].getCounts() == rollovers > 100
    capped, _, capped_rollovers = brute_time_differences(ts, ch, 2, 1, 4, None, 2000, 50, 3, max_rollovers=100)
    np.testing.assert_array_equal(m["td_max"].getData(), capped)
    assert m["td_max"].getCounts() == capped_rollovers == 100 and m["td_max"].ready()


# -- Histogram2D -----------------------------------------------------------------------------------
def test_histogram_2d_counts_first_stop_of_each_axis_after_a_start(run):
    m, ts, ch = run
    hist = np.zeros((40, 30), np.int64)
    t_start, d1, d2 = None, None, None
    for t, c in zip(ts.tolist(), ch.tolist()):
        if t_start is not None:
            if c == 1 and d1 is None:
                d1 = t - t_start
            if c == 2 and d2 is None:
                d2 = t - t_start
            if d1 is not None and d2 is not None:
                if d1 // 100_000 < 40 and d2 // 200_000 < 30:
                    hist[d1 // 100_000, d2 // 200_000] += 1
                t_start = None
        if c == 3:
            t_start, d1, d2 = t, None, None
    h2d = m["h2d"]
    np.testing.assert_array_equal(h2d.getData(), hist)
    assert hist.sum() > 100
    index = h2d.getIndex()
    assert index.shape == (40, 30, 2)
    np.testing.assert_array_equal(index[:, 0, 0], h2d.getIndex_1())
    np.testing.assert_array_equal(index[0, :, 1], h2d.getIndex_2())
    np.testing.assert_array_equal(h2d.getIndex_2(), np.arange(30) * 200_000)


# -- CountBetweenMarkers ---------------------------------------------------------------------------
def brute_count_between_markers(ts, ch, click, begin, end, n_values):
    counts, begins, widths, open_since = [], [], [], None
    for t, c in zip(ts.tolist(), ch.tolist()):
        if len(widths) == n_values:
            break
        if c == click and open_since is not None:
            counts[-1] += 1
        if c == end and open_since is not None:
            widths.append(t - open_since)
            open_since = None
        if c == begin:
            if open_since is not None:
                widths.append(t - open_since)
            if len(widths) < n_values:
                counts.append(0)
                begins.append(t)
                open_since = t
            else:
                open_since = None
    pad = lambda values: np.pad(np.array(values, np.int64), (0, n_values - len(values)))  # noqa: E731
    begins = np.array(begins, np.int64)
    return pad(counts), pad(widths), pad((begins - begins[0]).tolist()) if begins.size else pad([])


def test_count_between_markers_with_end_channel_counts_only_inside_begin_end(run):
    m, ts, ch = run
    cbm = m["cbm_end"]
    counts, widths, index = brute_count_between_markers(ts, ch, 1, 3, 4, 50_000)
    assert cbm.getData().dtype == np.int32 and cbm.getBinWidths().dtype == np.int64
    np.testing.assert_array_equal(cbm.getData(), counts)
    np.testing.assert_array_equal(cbm.getBinWidths(), widths)
    np.testing.assert_array_equal(cbm.getIndex(), index)
    assert not cbm.ready() and counts.sum() > 1000


def test_count_between_markers_is_ready_and_stops_when_full(run):
    m, ts, ch = run
    cbm = m["cbm_full"]
    counts, widths, index = brute_count_between_markers(ts, ch, 2, 4, None, 1000)
    assert cbm.ready()
    np.testing.assert_array_equal(cbm.getData(), counts)
    np.testing.assert_array_equal(cbm.getBinWidths(), widths)
    np.testing.assert_array_equal(cbm.getIndex(), index)
    # Without an end channel the bins tile the time between the first and the 1001st begin tag.
    begins = tags(ts, ch, 4)
    assert widths.sum() == begins[1000] - begins[0]


# -- HistogramLogBins ------------------------------------------------------------------------------
def test_histogram_log_bins_edges_counts_and_g2(run):
    m, ts, ch = run
    hist = m["logbins"]
    edges = hist.getBinEdges()
    np.testing.assert_array_equal(edges, np.round(np.logspace(-9, -5, 25) * 1e12).astype(np.int64))
    starts, clicks = tags(ts, ch, 2), tags(ts, ch, 1)
    expected = np.zeros(24, np.int64)
    for t in clicks.tolist():
        lo = np.searchsorted(starts, t - edges[-1], side="right")
        hi = np.searchsorted(starts, t - edges[0], side="right")
        dts = t - starts[lo:hi]
        np.add.at(expected, np.searchsorted(edges, dts, side="right") - 1, 1)
    data = hist.getDataObject()
    assert data.getCounts().dtype == np.uint64
    np.testing.assert_array_equal(data.getCounts(), expected)
    np.testing.assert_array_equal(hist.getData(), expected)
    assert data.capture_duration == DURATION == data.accumulation_time_click
    # Independent Poisson inputs: g2 is 1 within Poisson noise in every bin, and on average.
    g2 = data.getG2()
    sigma = 1 / np.sqrt(np.maximum(expected, 1))
    assert np.all(np.abs(g2 - 1) < 5 * sigma)
    assert np.average(g2, weights=expected) == pytest.approx(1, abs=0.01)
    # Expected counts of uncorrelated clicks: rate_1 * rate_2 * binwidth * T for T >> 10 us.
    rate_1, rate_2 = clicks.size / DURATION, starts.size / DURATION
    np.testing.assert_allclose(data.getG2Normalization(), rate_1 * rate_2 * np.diff(edges) * DURATION, rtol=1e-3)
    np.testing.assert_allclose(hist.getDataNormalizedCountsPerPs(), expected / np.diff(edges))
    np.testing.assert_allclose(hist.getDataNormalizedG2(), g2)


def test_histogram_log_bins_normalisation_counts_only_delays_that_fit_into_the_capture(tagger):
    tagger.setTestSignal([1, 2], True)                        # 800 kHz on both inputs
    group = TT.SynchronizedMeasurements(tagger)
    hist = TT.HistogramLogBins(group.getTagger(), 1, 2, -9, -5, 8)   # 1 ns .. 10 us
    rate = TT.Countrate(group.getTagger(), [1, 2])
    capture = 2 * 10**6                         # 2 us: bin [1, 3.2) us is partial, [3.2, 10) us empty
    group.startFor(capture)
    group.waitUntilFinished()
    edges, (n1, n2) = hist.getBinEdges(), rate.getCountsTotal()
    # I(tau): for each start time s in [0, T), the part of the bin [e0, e1) that lies before T - s.
    s = np.linspace(0, capture, 200_001)
    reach = np.clip(np.minimum(capture - s[:, None], edges[None, 1:]) - edges[None, :-1], 0, None)
    overlap = np.trapezoid(reach, s, axis=0)
    expected = overlap * (n1 / capture) * (n2 / capture)
    np.testing.assert_allclose(hist.getDataObject().getG2Normalization(), expected, rtol=1e-6, atol=1e-12)
    assert expected[-1] == 0 and expected[-2] > 0


# -- GatedCounter, CorrelationPairs, HistogramND, TimeDifferencesND -----------------------------------
def test_gated_counter_counts_each_click_channel_between_the_markers(run):
    m, ts, ch = run
    data = m["gated"].getData()
    assert data.shape == (2, 50_000) and data.dtype == np.int32
    for row, click in enumerate((1, 2)):
        counts, widths, index = brute_count_between_markers(ts, ch, click, 3, 4, 50_000)
        np.testing.assert_array_equal(data[row], counts)
        np.testing.assert_array_equal(m["gated"].getBinWidths(), widths)
        np.testing.assert_array_equal(m["gated"].getIndex(), index)
    # The single-channel form is the first row of the multi-channel one.
    np.testing.assert_array_equal(m["cbm_end"].getData(), data[0])


def pair_differences(starts, stops, half):
    lo = np.searchsorted(stops, starts - half, side="left")
    hi = np.searchsorted(stops, starts + half, side="right")
    reps = hi - lo
    idx = np.repeat(lo - np.cumsum(np.r_[0, reps[:-1]]), reps) + np.arange(reps.sum())
    return stops[idx] - np.repeat(starts, reps)


def test_correlation_pairs_equal_the_correlation_of_every_pair(run):
    m, ts, ch = run
    data = m["pairs"].getDataObject()
    counts, half = data.getCounts(), 200 * 1000 // 2
    assert counts.shape == (3, 3, 200) and counts.dtype == np.int32
    for i, start in enumerate((1, 2, 3)):
        for j, stop in enumerate((1, 2, 3)):
            dt = pair_differences(tags(ts, ch, start), tags(ts, ch, stop), half)
            if start == stop:
                dt = dt[dt != 0]                            # a tag never pairs with itself
            dt = dt[dt < half]                              # bins [-W, W)
            np.testing.assert_array_equal(counts[i, j], np.bincount((dt + half) // 1000, minlength=200))
    with_self = data.getCounts(exclude_self_coincidences=False)
    np.testing.assert_array_equal(with_self[1, 1, 100] - counts[1, 1, 100], tags(ts, ch, 2).size)
    g2 = data.getG2()
    assert np.mean(g2[0, 1]) == pytest.approx(1, abs=0.05)           # independent inputs: g2 = 1
    np.testing.assert_array_equal(data.getIndex(), m["pairs"].getIndex())


def test_histogram_nd_counts_the_first_stop_of_each_axis_after_a_start(run):
    m, ts, ch = run
    widths, n_bins = (100_000, 200_000, 300_000), (10, 8, 6)
    hist = np.zeros(n_bins, np.int64)
    t_start, found = None, {}
    for t, c in zip(ts.tolist(), ch.tolist()):
        if t_start is not None:
            if c in (1, 2, 4) and c not in found:
                found[c] = t - t_start
            if len(found) == 3:
                idx = tuple(found[s] // w for s, w in zip((1, 2, 4), widths))
                if all(k < n for k, n in zip(idx, n_bins)):
                    hist[idx] += 1
                t_start = None
        if c == 3:
            t_start, found = t, {}
    np.testing.assert_array_equal(m["hnd"].getData().reshape(n_bins), hist)
    assert hist.sum() > 50
    np.testing.assert_array_equal(m["hnd"].getIndex(2), np.arange(6) * 300_000)


def test_time_differences_nd_steps_each_dimension_with_its_own_next_and_sync(run):
    m, ts, ch = run
    n_hist, nexts, syncs = (3, 2), (3, 4), (None, 3)
    hist = np.zeros((6, 50), np.int64)
    index, rollovers, starts = [-1, -2], [0, 0], []
    for t, c in zip(ts.tolist(), ch.tolist()):
        if c == 2 and min(index) >= 0:
            row = index[0] + 3 * index[1]
            for s in starts[bisect.bisect_right(starts, t - 2000 * 50):]:
                hist[row, (t - s) // 2000] += 1
        if c == 1:
            starts.append(t)
        for d in range(2):
            if syncs[d] is not None and c == syncs[d]:
                index[d] = -1
            if c == nexts[d] and index[d] != -2:
                if index[d] + 1 < n_hist[d]:
                    index[d] += 1
                else:
                    rollovers[d] += 1
                    index[d] = -2 if syncs[d] is not None else 0
    np.testing.assert_array_equal(m["tdnd"].getData(), hist)
    np.testing.assert_array_equal(m["tdnd"].getHistogramIndex(), index)
    np.testing.assert_array_equal(m["tdnd"].getRollovers(), rollovers)
    assert hist.sum() > 500 and min(rollovers) > 10 and np.count_nonzero(hist.sum(axis=1)) == 6
