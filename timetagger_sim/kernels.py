"""Compiled inner loops of the simulator (numba): the parts that are sequential by nature."""
from __future__ import annotations

import numba
import numpy as np

_jit = numba.njit(cache=True, nogil=True)


@_jit
def deadtime_mask(times: np.ndarray, deadtime: int, last_accepted: int) -> tuple[np.ndarray, int]:
    """Non-paralysable dead time: keep a tag only if it comes ``deadtime`` after the last kept one."""
    keep = np.zeros(times.size, dtype=np.bool_)
    last = last_accepted
    for i in range(times.size):
        if times[i] - last >= deadtime:
            keep[i] = True
            last = times[i]
    return keep, last


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
def conditional_filter_mask(ch: np.ndarray, triggers: np.ndarray, filtered: np.ndarray,
                            armed: np.ndarray) -> np.ndarray:
    """Keep a tag of a filtered channel only if a trigger tag came since that channel's last tag.

    ``armed[k]`` is the state of ``filtered[k]`` and is updated in place across blocks.
    """
    keep = np.ones(ch.size, dtype=np.bool_)
    for i in range(ch.size):
        c = ch[i]
        for k in range(triggers.size):
            if c == triggers[k]:
                for m in range(armed.size):
                    armed[m] = True
        for k in range(filtered.size):
            if c == filtered[k]:
                keep[i] = armed[k]
                armed[k] = False
    return keep


@_jit
def lookup_rows(ch: np.ndarray, table: np.ndarray, offset: int) -> np.ndarray:
    """``table[channel - offset]`` for each tag, -1 for channels outside the table."""
    rows = np.empty(ch.size, dtype=np.int64)
    for i in range(ch.size):
        k = ch[i] - offset
        rows[i] = table[k] if 0 <= k < table.size else -1
    return rows


@_jit
def merge_sorted_runs(ts: np.ndarray, ch: np.ndarray,
                      bounds: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Merge the time-ordered runs ``ts[bounds[i]:bounds[i + 1]]`` (with their channels).

    Pairwise merges, log2(runs) passes; on equal times the earlier run comes first.
    """
    src_t, src_c = ts.copy(), ch.copy()
    dst_t, dst_c = np.empty_like(ts), np.empty_like(ch)
    runs = bounds.copy()
    while runs.size > 2:
        n_runs = runs.size - 1
        merged = np.empty(n_runs // 2 + n_runs % 2 + 1, dtype=runs.dtype)
        for r in range(0, n_runs, 2):
            lo, mid = runs[r], runs[r + 1]
            hi = runs[r + 2] if r + 2 <= n_runs else mid
            i, j, k = lo, mid, lo
            while i < mid and j < hi:
                if src_t[j] < src_t[i]:
                    dst_t[k], dst_c[k] = src_t[j], src_c[j]
                    j += 1
                else:
                    dst_t[k], dst_c[k] = src_t[i], src_c[i]
                    i += 1
                k += 1
            while i < mid:
                dst_t[k], dst_c[k] = src_t[i], src_c[i]
                i += 1
                k += 1
            while j < hi:
                dst_t[k], dst_c[k] = src_t[j], src_c[j]
                j += 1
                k += 1
            merged[r // 2] = lo
        merged[merged.size - 1] = runs[runs.size - 1]
        runs = merged
        src_t, dst_t = dst_t, src_t
        src_c, dst_c = dst_c, src_c
    return src_t, src_c
