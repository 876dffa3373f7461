"""Compiled inner loops (numba) of the logic virtual channels: gates and coincidences.

Each kernel walks one time-ordered block once and carries its state across blocks in small
arrays that the caller keeps, so a block boundary never changes a result.
"""
from __future__ import annotations

import numba
import numpy as np

from .stream import NEVER

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


@_jit
def combinations(ts: np.ndarray, ch: np.ndarray, lookup: np.ndarray, lookup_offset: int, window: int,
                 state: np.ndarray, t1: int) -> tuple[np.ndarray, np.ndarray]:
    """Clicks separated from everything else by ``window`` on both sides form a combination.

    A cluster is a chain of clicks each at most ``window`` after the previous one; it counts if it
    spans at most ``window`` (the guard windows before and after it are empty). Returns (time of
    the cluster's last click, bit mask of the channels in it) for every cluster that ended: a new
    click more than ``window`` later, or ``t1`` beyond its guard window. ``state`` = [first time,
    last time, mask, open (0/1)], carried.
    """
    out_t = np.empty(ts.size + 1, dtype=np.int64)
    out_m = np.empty(ts.size + 1, dtype=np.int64)
    n = 0
    first, last, mask, active = state[0], state[1], state[2], state[3]
    for i in range(ts.size):
        k = ch[i] - lookup_offset
        if k < 0 or k >= lookup.size or lookup[k] < 0:
            continue
        t = ts[i]
        if active == 1 and t - last > window:
            if last - first <= window:
                out_t[n], out_m[n] = last, mask
                n += 1
            active = 0
        if active == 0:
            first, mask, active = t, 0, 1
        last = t
        mask |= np.int64(1) << lookup[k]
    if active == 1 and t1 - last > window:
        if last - first <= window:
            out_t[n], out_m[n] = last, mask
            n += 1
        active = 0
    state[0], state[1], state[2], state[3] = first, last, mask, active
    return out_t[:n].copy(), out_m[:n].copy()


@_jit
def constant_fraction(ts: np.ndarray, ch: np.ndarray, rising: np.ndarray, window: int,
                      pending: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(rise + fall) // 2 of each pulse of ``rising[k]`` whose falling edge (channel -rising[k])
    follows within ``window``; ``pending[k]`` is the open rising edge (NEVER: none). Returns
    (times, index k) in completion order."""
    out_t = np.empty(ts.size, dtype=np.int64)
    out_k = np.empty(ts.size, dtype=np.int64)
    n = 0
    for i in range(ts.size):
        c = ch[i]
        for k in range(rising.size):
            if c == rising[k]:
                pending[k] = ts[i]
            elif c == -rising[k] and pending[k] != NEVER:
                if ts[i] - pending[k] <= window:
                    out_t[n] = (pending[k] + ts[i]) // 2
                    out_k[n] = k
                    n += 1
                pending[k] = NEVER
    return out_t[:n].copy(), out_k[:n].copy()


@_jit
def event_generator(ts: np.ndarray, ch: np.ndarray, trigger: int, stop: int, pattern: np.ndarray,
                    divider: int, offset: int, counter: np.ndarray, pending: np.ndarray) -> np.ndarray:
    """The pattern times after each (divided) trigger tag, merged with ``pending``; a stop tag drops
    every pending time after it. Returns all times not dropped (unsorted); ``counter[0]`` carried."""
    n_trig = 0
    for i in range(ts.size):
        if ch[i] == trigger:
            n_trig += 1
    out = np.empty(pending.size + n_trig * pattern.size, dtype=np.int64)
    out[:pending.size] = pending
    n = pending.size
    for i in range(ts.size):
        c = ch[i]
        t = ts[i]
        if c == stop:
            m = 0
            for j in range(n):
                if out[j] <= t:
                    out[m] = out[j]
                    m += 1
            n = m
        if c == trigger:
            k = counter[0]
            counter[0] += 1
            if k >= offset and (k - offset) % divider == 0:
                for p in range(pattern.size):
                    out[n] = t + pattern[p]
                    n += 1
    return out[:n].copy()


@_jit
def multiply(ts: np.ndarray, ch: np.ndarray, channel: int, factor: int, state: np.ndarray,
             pending: np.ndarray) -> np.ndarray:
    """Each tag of ``channel`` and ``factor - 1`` tags after it, one period / factor apart, the
    period being the interval from the previous tag; a new tag drops the extrapolated times not yet
    reached. ``state[0]`` = the previous tag (NEVER: none). Returns the times (sorted)."""
    count = 0
    for i in range(ts.size):
        if ch[i] == channel:
            count += 1
    out = np.empty(pending.size + count * factor, dtype=np.int64)
    out[:pending.size] = pending
    n = pending.size
    for i in range(ts.size):
        if ch[i] != channel:
            continue
        t = ts[i]
        m = 0
        for j in range(n):                   # extrapolated times at or after this tag are superseded
            if out[j] < t:
                out[m] = out[j]
                m += 1
        n = m
        out[n] = t
        n += 1
        previous = state[0]
        if previous != NEVER:
            period = t - previous
            for k in range(1, factor):
                out[n] = t + (k * period) // factor
                n += 1
        state[0] = t
    return out[:n].copy()


@_jit
def countrate_trigger(entries: np.ndarray, window_tags: np.ndarray, window: int, t0: int, t1: int,
                      t_init: int, above_at: float, below_at: float, reference: float,
                      state: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The rolling count rate of a channel against two thresholds, through stream time [t0, t1).

    The count at time t is the number of tags in (t - ``window``, t]: a tag enters at its time
    and leaves ``window`` later. At each time the count changes (all changes at one instant
    together), the rate (Hz) is compared: from below, reaching ``above_at`` emits +1; from
    above, falling to ``below_at`` emits -1. The first evaluation at or after ``t_init`` emits
    the current state (+1 if the rate is at least ``reference``). ``window_tags`` are the tags
    of earlier blocks still in the window, ``entries`` the new ones (both sorted).
    ``state[0]`` = 0 (not yet reported) / 1 (above) / 2 (below), carried.
    Returns (times, +1/-1, the tags still in the window at ``t1``).
    """
    big = np.int64(1) << 62
    all_tags = np.concatenate((window_tags, entries))
    out_t = np.empty(2 * all_tags.size + 1, dtype=np.int64)
    out_s = np.empty(2 * all_tags.size + 1, dtype=np.int64)
    n = 0
    scale = 1e12 / window
    xi = 0
    while xi < all_tags.size and all_tags[xi] + window < t0:     # left before this block
        xi += 1
    count = 0
    for j in range(xi, window_tags.size):
        count += 1
    ei = 0
    while True:
        t_entry = entries[ei] if ei < entries.size else big
        t_exit = all_tags[xi] + window if xi < all_tags.size else big
        t_report = max(t_init, t0) if state[0] == 0 else big
        t_next = min(t_entry, t_exit, t_report)
        if t_next >= t1:
            break
        while xi < all_tags.size and all_tags[xi] + window == t_next:
            count -= 1
            xi += 1
        while ei < entries.size and entries[ei] == t_next:
            count += 1
            ei += 1
        rate = count * scale
        if state[0] == 0:
            if t_next >= t_init:
                state[0] = 1 if rate >= reference else 2
                out_t[n], out_s[n] = t_next, 1 if state[0] == 1 else -1
                n += 1
        elif state[0] == 2 and rate >= above_at:
            state[0] = 1
            out_t[n], out_s[n] = t_next, 1
            n += 1
        elif state[0] == 1 and rate <= below_at:
            state[0] = 2
            out_t[n], out_s[n] = t_next, -1
            n += 1
    keep_from = xi
    while keep_from < all_tags.size and all_tags[keep_from] + window < t1:
        keep_from += 1
    return out_t[:n].copy(), out_s[:n].copy(), all_tags[keep_from:].copy()
