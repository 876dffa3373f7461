"""Compiled inner loops of the stream itself (numba): dead time, conditional filter, channel lookup, merging."""
from __future__ import annotations

import numba
import numpy as np

_jit = numba.njit(cache=True, nogil=True)

#: "No tag seen yet" for int64 time states (far enough from the int64 limits to subtract safely).
NEVER = np.int64(-(2**62))


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


@_jit
def transfer(ts: np.ndarray, ch: np.ndarray, priority: np.ndarray, drain_per_ps: float, capacity: float,
             resume: float, t1: int, state: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The hardware buffer between the inputs and USB, drained at ``drain_per_ps`` tags per ps.

    A tag that finds the buffer full starts an overflow: until the buffer has drained to ``resume``
    tags every tag is lost, except tags of ``priority`` channels, which are transmitted and split
    the overflow. Returns (keep mask, overflow intervals n x 2 [begin, end), interval of each lost
    tag or -1). ``state`` = [fill level, time of the level, in overflow (0/1), overflow begin],
    carried to the next block; an overflow still open at ``t1`` ends there and goes on from ``t1``.
    """
    keep = np.ones(ts.size, dtype=np.bool_)
    gap_of = np.full(ts.size, -1, dtype=np.int32)
    gaps = np.empty((ts.size + 2, 2), dtype=np.int64)
    n_gaps = 0
    level, t_level, in_overflow, begin = state[0], state[1], state[2] > 0, np.int64(state[3])
    for i in range(ts.size):
        t = ts[i]
        drained = level - drain_per_ps * (t - t_level)
        if in_overflow and drained <= resume:
            end = np.int64(t_level + (level - resume) / drain_per_ps)
            gaps[n_gaps, 0], gaps[n_gaps, 1] = begin, max(end, begin + 1)
            n_gaps += 1
            in_overflow = False
        level, t_level = max(drained, 0.0), t
        if in_overflow:
            is_priority = False
            for k in range(priority.size):
                if ch[i] == priority[k]:
                    is_priority = True
            if is_priority:
                if t > begin:
                    gaps[n_gaps, 0], gaps[n_gaps, 1] = begin, t
                    n_gaps += 1
                begin = t + 1
                level += 1.0
            else:
                keep[i] = False
                gap_of[i] = n_gaps
        elif level + 1.0 > capacity:
            in_overflow = True
            begin = t
            keep[i] = False
            gap_of[i] = n_gaps
        else:
            level += 1.0
    drained = level - drain_per_ps * (t1 - t_level)
    if in_overflow:
        if drained <= resume:
            end = np.int64(t_level + (level - resume) / drain_per_ps)
            in_overflow = False
        else:
            end = np.int64(t1)
        if end > begin:
            gaps[n_gaps, 0], gaps[n_gaps, 1] = begin, end
            n_gaps += 1
        begin = np.int64(t1)
    state[0], state[1], state[2], state[3] = max(drained, 0.0), t1, 1.0 if in_overflow else 0.0, begin
    return keep, gaps[:n_gaps].copy(), gap_of


@_jit
def deadtime_by_channel(ts: np.ndarray, ch: np.ndarray, channels: np.ndarray, deadtimes: np.ndarray,
                        last: np.ndarray) -> np.ndarray:
    """Non-paralysable dead time per channel on a merged stream; ``last`` (per channel) is carried."""
    keep = np.ones(ts.size, dtype=np.bool_)
    for i in range(ts.size):
        for k in range(channels.size):
            if ch[i] == channels[k]:
                if ts[i] - last[k] < deadtimes[k]:
                    keep[i] = False
                else:
                    last[k] = ts[i]
    return keep
