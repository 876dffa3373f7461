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
