"""Compiled pair kernels (numba): every start paired with every later click within a range.

Shared by the multiple-start multiple-stop measurements (``Histogram``, ``Correlation``,
``TimeDifferences``, ``HistogramLogBins``): starts of earlier blocks still in range are carried
in a small array, so a block boundary never changes a result.
"""
from __future__ import annotations

import numba
import numpy as np

_jit = numba.njit(cache=True, nogil=True)


@_jit
def start_buffer(starts: np.ndarray, n_new: int) -> np.ndarray:
    """Room for the start times carried from earlier blocks (first) and ``n_new`` more."""
    buf = np.empty(starts.size + n_new, dtype=np.int64)
    buf[:starts.size] = starts
    return buf


@_jit
def carried_starts(buf: np.ndarray, lo: int, n: int, ts: np.ndarray, max_dt: int) -> np.ndarray:
    """The starts of ``buf[lo:n]`` a tag after this block may still pair with (within ``max_dt``)."""
    if ts.size > 0:
        horizon = ts[ts.size - 1] - max_dt
        while lo < n and buf[lo] < horizon:
            lo += 1
    return buf[lo:n].copy()


@_jit
def pair_histogram(ts: np.ndarray, ch: np.ndarray, click_channel: int, start_channel: int,
                   starts: np.ndarray, max_dt: int, binwidth: int, mode: int, half_range: int,
                   hist: np.ndarray) -> np.ndarray:
    """Add to ``hist`` the time differences from every start to every later click within ``max_dt``.

    ``starts`` holds the start times of earlier blocks still in range; the returned array is the
    same for the next block. A tag on a channel that is both start and click is paired as a click
    first, so it never pairs with itself. ``mode`` maps a difference ``dt`` >= 0 to a bin:
    0 -> dt // binwidth (histogram), 1 -> (half_range + dt) // binwidth, 2 -> (half_range - dt) //
    binwidth (the two halves of a correlation).
    """
    n_bins = hist.size
    buf = start_buffer(starts, ts.size)
    n = starts.size
    lo = 0
    for i in range(ts.size):
        t = ts[i]
        c = ch[i]
        if c == click_channel:
            while lo < n and t - buf[lo] > max_dt:
                lo += 1
            j = n - 1
            while j >= lo:
                dt = t - buf[j]
                if mode == 0:
                    b = dt // binwidth
                elif mode == 1:
                    b = (half_range + dt) // binwidth
                else:
                    b = (half_range - dt) // binwidth
                if 0 <= b < n_bins:
                    hist[b] += 1
                j -= 1
        if c == start_channel:
            buf[n] = t
            n += 1
    return carried_starts(buf, lo, n, ts, max_dt)


@_jit
def correlation_pairs(ts: np.ndarray, rows: np.ndarray, buf_t: np.ndarray, buf_r: np.ndarray,
                      half_range: int, binwidth: int, hist: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Every pair of tags of the listed channels within ``half_range``, into ``hist[start, stop, bin]``.

    For an earlier tag (row ``a``) and a later one (row ``b``), ``dt`` >= 0 goes to
    ``hist[a, b, (W + dt) // bw]`` and ``hist[b, a, (W - dt) // bw]``: the two Correlation
    histograms with ``a`` as start and with ``b`` as start, as ``Correlation`` counts them. ``rows``
    is each tag's position in the channel list (-1: not listed); the buffers of earlier tags still
    in range are returned for the next block. A tag never pairs with itself.
    """
    n_bins = hist.shape[2]
    cap = buf_t.size + ts.size
    bt = np.empty(cap, dtype=np.int64)
    br = np.empty(cap, dtype=np.int64)
    bt[:buf_t.size] = buf_t
    br[:buf_r.size] = buf_r
    n = buf_t.size
    lo = 0
    for i in range(ts.size):
        r = rows[i]
        if r < 0:
            continue
        t = ts[i]
        while lo < n and t - bt[lo] > half_range:
            lo += 1
        for j in range(lo, n):
            dt = t - bt[j]
            a = br[j]
            b_pos = (half_range + dt) // binwidth
            if b_pos < n_bins:
                hist[a, r, b_pos] += 1
            b_neg = (half_range - dt) // binwidth
            if 0 <= b_neg < n_bins:
                hist[r, a, b_neg] += 1
        bt[n] = t
        br[n] = r
        n += 1
    if ts.size > 0:
        horizon = ts[ts.size - 1] - half_range
        while lo < n and bt[lo] < horizon:
            lo += 1
    return bt[lo:n].copy(), br[lo:n].copy()
