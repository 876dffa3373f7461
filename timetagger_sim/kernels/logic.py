"""Compiled inner loops (numba) of the logic virtual channels: gates and coincidences.

Each kernel walks one time-ordered block once and carries its state across blocks in small
arrays that the caller keeps, so a block boundary never changes a result.
"""
from __future__ import annotations

import numba
import numpy as np

_jit = numba.njit(cache=True, nogil=True)


@_jit
def gate(ts: np.ndarray, ch: np.ndarray, inputs: np.ndarray, outputs: np.ndarray, open_ch: int,
         close_ch: int, state: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Pass tags of ``inputs[k]`` as ``outputs[k]`` while the gate is open (edge-triggered).

    A tag is judged on the gate state before it, then may open or close the gate itself, as the
    library documents for inputs that are also gate channels. ``state[0]`` is 1 when open.
    """
    out_t = np.empty(ts.size, dtype=np.int64)
    out_c = np.empty(ts.size, dtype=np.int32)
    n = 0
    is_open = state[0]
    for i in range(ts.size):
        c = ch[i]
        if is_open == 1:
            for k in range(inputs.size):
                if c == inputs[k]:
                    out_t[n] = ts[i]
                    out_c[n] = outputs[k]
                    n += 1
        if c == open_ch:
            is_open = 1
        elif c == close_ch:
            is_open = 0
    state[0] = is_open
    return out_t[:n].copy(), out_c[:n].copy()


@_jit
def coincidences(ts: np.ndarray, ch: np.ndarray, lookup: np.ndarray, lookup_offset: int,
                 groups: np.ndarray, group_sizes: np.ndarray, outputs: np.ndarray, window: int,
                 mode: int, last: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Emit a tag on ``outputs[g]`` whenever a tag completes group ``g`` within ``window`` ps.

    ``lookup[c - lookup_offset]`` is the slot of channel ``c`` (-1: not used); ``groups[g, :n]``
    lists slots, first the listed-first channel; ``last[slot]`` is the time of the latest tag of
    each slot, updated in place. The group is complete when every member's latest tag is at
    most ``window`` ps before the current tag. ``mode``: CoincidenceTimestamp (0 Last,
    1 Average, 2 First, 3 ListedFirst). Output is in completion order.
    """
    cap = ts.size * groups.shape[0]
    out_t = np.empty(cap, dtype=np.int64)
    out_c = np.empty(cap, dtype=np.int32)
    n = 0
    for i in range(ts.size):
        k = ch[i] - lookup_offset
        if k < 0 or k >= lookup.size or lookup[k] < 0:
            continue
        slot = lookup[k]
        t = ts[i]
        last[slot] = t
        for g in range(groups.shape[0]):
            size = group_sizes[g]
            member = False
            for m in range(size):
                if groups[g, m] == slot:
                    member = True
            if not member:
                continue
            first = t
            total = 0.0
            complete = True
            for m in range(size):
                lt = last[groups[g, m]]
                if t - lt > window:
                    complete = False
                    break
                if lt < first:
                    first = lt
                total += lt - t
            if not complete:
                continue
            if mode == 0:
                stamp = t
            elif mode == 1:
                stamp = t + np.int64(np.round(total / size))
            elif mode == 2:
                stamp = first
            else:
                stamp = last[groups[g, 0]]
            out_t[n] = stamp
            out_c[n] = outputs[g]
            n += 1
    return out_t[:n].copy(), out_c[:n].copy()
