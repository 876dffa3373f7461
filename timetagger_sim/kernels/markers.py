"""Compiled inner loops (numba) of the marker-driven and start-triggered measurements.

Each kernel walks one time-ordered block once and carries its state across blocks in small
arrays that the caller keeps, so a block boundary never changes a result.
"""
from __future__ import annotations

import numba
import numpy as np

from .pairs import carried_starts, start_buffer
from .stream import NEVER

_jit = numba.njit(cache=True, nogil=True)


@_jit
def start_stop(ts: np.ndarray, ch: np.ndarray, click: int, start: int, binwidth: int,
               last_start: np.ndarray, bins: np.ndarray) -> int:
    """Single-start single-stop: a click pairs with the most recent unused start, which it uses up.

    ``last_start[0]`` is the pending start time (NEVER: none) and is updated in place. Bin
    indices ``(click - start) // binwidth`` are written to ``bins``; returns how many.
    A tag on a channel that is both start and click first stops, then starts again.
    """
    n = 0
    pending = last_start[0]
    for i in range(ts.size):
        c = ch[i]
        if c == click and pending != NEVER:
            bins[n] = (ts[i] - pending) // binwidth
            n += 1
            pending = NEVER
        if c == start:
            pending = ts[i]
    last_start[0] = pending
    return n


@_jit
def time_differences(ts: np.ndarray, ch: np.ndarray, click: int, start: int, next_ch: int,
                     sync: int, after_sync: int, after_rollover: int, binwidth: int,
                     starts: np.ndarray, state: np.ndarray, hist: np.ndarray) -> np.ndarray:
    """Multiple-start multiple-stop histograms, one per histogram index (rows of ``hist``).

    ``state`` = [histogram index (-2 waiting for sync, -1 waiting for next), rollovers,
    max rollovers (0: unlimited)], updated in place; once the rollovers reach the maximum
    nothing is counted any more. A sync tag sets the index to ``after_sync``, a rollover (a next
    tag in the last histogram) to ``after_rollover``. A click is added to the histogram current
    when it arrives. Per tag the order is: click, start, sync, next. ``starts`` holds earlier
    start times still within range; the returned array replaces it for the next block.
    """
    n_hist, n_bins = hist.shape
    max_dt = binwidth * n_bins
    buf = start_buffer(starts, ts.size)
    n = starts.size
    lo = 0
    index = state[0]
    for i in range(ts.size):
        if state[2] > 0 and state[1] >= state[2]:
            break
        t = ts[i]
        c = ch[i]
        if c == click:
            while lo < n and t - buf[lo] >= max_dt:
                lo += 1
            if index >= 0:
                j = n - 1
                while j >= lo and buf[j] <= t:
                    hist[index, (t - buf[j]) // binwidth] += 1
                    j -= 1
        if c == start:
            buf[n] = t
            n += 1
        if c == sync:
            index = after_sync
        if c == next_ch and index != -2:
            if index + 1 < n_hist:
                index += 1
            else:
                state[1] += 1
                index = after_rollover
    state[0] = index
    return carried_starts(buf, lo, n, ts, max_dt)


@_jit
def count_between_markers(ts: np.ndarray, ch: np.ndarray, click: int, begin: int, end: int,
                          data: np.ndarray, starts: np.ndarray, widths: np.ndarray,
                          state: np.ndarray) -> None:
    """Count clicks from each begin marker to the next begin (or end) marker.

    ``state`` = [values completed, bin open (0/1)], updated in place; when every value is
    complete nothing is counted any more. ``starts`` holds each bin's begin time.
    """
    n_values = data.size
    done = state[0]
    is_open = state[1]
    for i in range(ts.size):
        if done >= n_values:
            break
        c = ch[i]
        t = ts[i]
        if c == click and is_open == 1:
            data[done] += 1
        if c == end and is_open == 1:
            widths[done] = t - starts[done]
            done += 1
            is_open = 0
        if c == begin:
            if is_open == 1:
                widths[done] = t - starts[done]
                done += 1
            if done < n_values:
                starts[done] = t
                is_open = 1
            else:
                is_open = 0
    state[0] = done
    state[1] = is_open


@_jit
def histogram_2d(ts: np.ndarray, ch: np.ndarray, start: int, stop_1: int, stop_2: int,
                 binwidth_1: int, binwidth_2: int, state: np.ndarray, hist: np.ndarray) -> None:
    """Single-start: the first stop on each axis after a start gives one (dt1, dt2) count.

    ``state`` = [start time (NEVER: none), dt1 (-1: none yet), dt2 (-1: none yet)]. A new start
    discards an incomplete pair; once both stops are seen the next start is awaited.
    """
    n1, n2 = hist.shape
    t_start, d1, d2 = state[0], state[1], state[2]
    for i in range(ts.size):
        c = ch[i]
        t = ts[i]
        if t_start != NEVER:
            if c == stop_1 and d1 < 0:
                d1 = t - t_start
            if c == stop_2 and d2 < 0:
                d2 = t - t_start
            if d1 >= 0 and d2 >= 0:
                b1 = d1 // binwidth_1
                b2 = d2 // binwidth_2
                if b1 < n1 and b2 < n2:
                    hist[b1, b2] += 1
                t_start = NEVER
        if c == start:
            t_start = t
            d1 = -1
            d2 = -1
    state[0], state[1], state[2] = t_start, d1, d2


@_jit
def log_bin_pairs(ts: np.ndarray, ch: np.ndarray, click: int, start: int, edges: np.ndarray,
                  starts: np.ndarray, hist: np.ndarray) -> np.ndarray:
    """Multiple-start multiple-stop pairs binned on the sorted ``edges`` (ps); see ``pair_histogram``."""
    lo_edge = edges[0]
    max_dt = edges[edges.size - 1]
    buf = start_buffer(starts, ts.size)
    n = starts.size
    lo = 0
    for i in range(ts.size):
        t = ts[i]
        if ch[i] == click:
            while lo < n and t - buf[lo] >= max_dt:
                lo += 1
            j = n - 1
            while j >= lo:
                dt = t - buf[j]
                if dt >= lo_edge:
                    hist[np.searchsorted(edges, dt, side="right") - 1] += 1
                j -= 1
        if ch[i] == start:
            buf[n] = t
            n += 1
    return carried_starts(buf, lo, n, ts, max_dt)


@_jit
def gate_mask(ts: np.ndarray, ch: np.ndarray, open_ch: int, close_ch: int,
              state: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The state of an evaluation gate before each tag (True: open) and its toggles n x 2
    [time, new state]; ``state[0]`` (1 open) is carried. Edges, not levels, as ``GatedChannel``."""
    mask = np.empty(ts.size, dtype=np.bool_)
    toggles = np.empty((ts.size, 2), dtype=np.int64)
    n = 0
    is_open = state[0]
    for i in range(ts.size):
        mask[i] = is_open == 1
        c = ch[i]
        if c == open_ch and is_open == 0:
            is_open = 1
            toggles[n, 0], toggles[n, 1] = ts[i], 1
            n += 1
        elif c == close_ch and is_open == 1:
            is_open = 0
            toggles[n, 0], toggles[n, 1] = ts[i], 0
            n += 1
    state[0] = is_open
    return mask, toggles[:n].copy()


@_jit
def log_bin_pairs_gated(ts: np.ndarray, ch: np.ndarray, click: int, start: int, click_ok: np.ndarray,
                        start_ok: np.ndarray, edges: np.ndarray, starts: np.ndarray,
                        hist: np.ndarray) -> np.ndarray:
    """``log_bin_pairs`` where a tag counts as click / start only where its gate was open."""
    lo_edge = edges[0]
    max_dt = edges[edges.size - 1]
    buf = start_buffer(starts, ts.size)
    n = starts.size
    lo = 0
    for i in range(ts.size):
        t = ts[i]
        if ch[i] == click and click_ok[i]:
            while lo < n and t - buf[lo] >= max_dt:
                lo += 1
            j = n - 1
            while j >= lo:
                dt = t - buf[j]
                if dt >= lo_edge:
                    hist[np.searchsorted(edges, dt, side="right") - 1] += 1
                j -= 1
        if ch[i] == start and start_ok[i]:
            buf[n] = t
            n += 1
    return carried_starts(buf, lo, n, ts, max_dt)


@_jit
def gated_counter(ts: np.ndarray, ch: np.ndarray, rows: np.ndarray, begin: int, end: int, data: np.ndarray,
                  starts: np.ndarray, widths: np.ndarray, state: np.ndarray) -> None:
    """``count_between_markers`` for several click channels: ``rows[i]`` is the row of tag i (-1: none)."""
    n_values = data.shape[1]
    done = state[0]
    is_open = state[1]
    for i in range(ts.size):
        if done >= n_values:
            break
        c = ch[i]
        t = ts[i]
        if rows[i] >= 0 and is_open == 1:
            data[rows[i], done] += 1
        if c == end and is_open == 1:
            widths[done] = t - starts[done]
            done += 1
            is_open = 0
        if c == begin:
            if is_open == 1:
                widths[done] = t - starts[done]
                done += 1
            if done < n_values:
                starts[done] = t
                is_open = 1
            else:
                is_open = 0
    state[0] = done
    state[1] = is_open


@_jit
def histogram_nd(ts: np.ndarray, ch: np.ndarray, start: int, stops: np.ndarray, binwidths: np.ndarray,
                 n_bins: np.ndarray, state: np.ndarray, hist: np.ndarray) -> None:
    """``histogram_2d`` for any number of axes; ``hist`` is flat, row-major over ``n_bins``.

    ``state`` = [start time (NEVER: none), dt per axis (-1: none yet)]."""
    dims = stops.size
    for i in range(ts.size):
        c = ch[i]
        t = ts[i]
        if state[0] != NEVER:
            complete = True
            for d in range(dims):
                if c == stops[d] and state[1 + d] < 0:
                    state[1 + d] = t - state[0]
                if state[1 + d] < 0:
                    complete = False
            if complete:
                flat = 0
                inside = True
                for d in range(dims):
                    b = state[1 + d] // binwidths[d]
                    if b >= n_bins[d]:
                        inside = False
                    flat = flat * n_bins[d] + b
                if inside:
                    hist[flat] += 1
                state[0] = NEVER
        if c == start:
            state[0] = t
            for d in range(dims):
                state[1 + d] = -1


@_jit
def time_differences_nd(ts: np.ndarray, ch: np.ndarray, click: int, start: int, nexts: np.ndarray,
                        syncs: np.ndarray, n_hist: np.ndarray, binwidth: int, starts: np.ndarray,
                        index: np.ndarray, rollovers: np.ndarray, max_rollovers: np.ndarray,
                        hist: np.ndarray) -> np.ndarray:
    """``time_differences`` with one histogram index per dimension (``index``, updated in place).

    Per dimension: -2 waits for its sync tag (only with a sync channel), -1 waits for a next tag,
    which starts index 0; a next tag in the last histogram is a rollover (back to waiting for sync,
    or on at 0 without one). Clicks count only while every dimension has an index; the histogram
    is ``sum(index[d] * prod(n_hist[:d]))`` (leftmost index fastest). Counting stops for good once
    a dimension reaches its ``max_rollovers`` (> 0).
    """
    dims = nexts.size
    n_bins = hist.shape[1]
    max_dt = binwidth * n_bins
    buf = start_buffer(starts, ts.size)
    n = starts.size
    lo = 0
    for i in range(ts.size):
        stopped = False
        for d in range(dims):
            if max_rollovers[d] > 0 and rollovers[d] >= max_rollovers[d]:
                stopped = True
        if stopped:
            break
        t = ts[i]
        c = ch[i]
        if c == click:
            while lo < n and t - buf[lo] >= max_dt:
                lo += 1
            flat = 0
            stride = 1
            counting = True
            for d in range(dims):
                if index[d] < 0:
                    counting = False
                flat += index[d] * stride
                stride *= n_hist[d]
            if counting:
                j = n - 1
                while j >= lo and buf[j] <= t:
                    hist[flat, (t - buf[j]) // binwidth] += 1
                    j -= 1
        if c == start:
            buf[n] = t
            n += 1
        for d in range(dims):
            if c == syncs[d]:
                index[d] = -1
            if c == nexts[d] and index[d] != -2:
                if index[d] + 1 < n_hist[d]:
                    index[d] += 1
                else:
                    rollovers[d] += 1
                    index[d] = -2 if syncs[d] != -134217728 else 0
    return carried_starts(buf, lo, n, ts, max_dt)


@_jit
def sample(ts: np.ndarray, ch: np.ndarray, trigger: int, channels: np.ndarray, inverted: np.ndarray,
           states: np.ndarray, out: np.ndarray, n_out: int) -> int:
    """States (0 low, 1 high, 2 unknown) of ``channels`` at each ``trigger`` tag, appended to ``out``.

    A channel is high after one of its own tags and low after a tag of its ``inverted`` channel;
    ``states`` is carried. A trigger tag samples the states before its own effect. Returns the new
    number of rows in ``out`` (it stops growing when ``out`` is full).
    """
    for i in range(ts.size):
        c = ch[i]
        if c == trigger and n_out < out.shape[0]:
            out[n_out, 0] = ts[i]
            for k in range(channels.size):
                out[n_out, 1 + k] = states[k]
            n_out += 1
        for k in range(channels.size):
            if c == channels[k]:
                states[k] = 1
            elif c == inverted[k]:
                states[k] = 0
    return n_out


# Indices into the state of ``flim``.
FLIM_PIXEL, FLIM_IN_PIXEL, FLIM_FRAME_OPEN, FLIM_FRAME_BEGIN, FLIM_RESUME = range(5)


@_jit
def flim(ts: np.ndarray, ch: np.ndarray, first: int, start: int, click: int, pixel_begin: int, pixel_end: int,
         frame_begin: int, binwidth: int, starts: np.ndarray, state: np.ndarray, hist: np.ndarray,
         begins: np.ndarray, ends: np.ndarray) -> tuple[int, np.ndarray]:
    """Fill the pixel histograms of one frame from tag ``first`` on; stop when the frame is complete.

    Returns (index of the tag that completed the frame, or -1 at the end of the block; carried
    starts). A click counts into the current pixel for every start within ``n_bins`` bins before
    it. A pixel runs from its begin tag to its end tag (or the next begin tag without end channel);
    the frame is complete when its last pixel ends. A frame begin tag discards a partial frame and
    waits for the next pixel begin. ``state``: [pixel (-1 before the first), in pixel, frame open,
    frame begin time, resume]; with resume = 1 the first tag is a pixel begin still to be handled.
    """
    n_pixels, n_bins = hist.shape
    max_dt = binwidth * n_bins
    buf = start_buffer(starts, ts.size)
    n = starts.size
    lo = 0
    done = -1
    for i in range(first, ts.size):
        t = ts[i]
        c = ch[i]
        resumed = state[FLIM_RESUME] == 1 and i == first
        if not resumed:
            if c == click:
                while lo < n and t - buf[lo] >= max_dt:
                    lo += 1
                if state[FLIM_IN_PIXEL] == 1:
                    p = state[FLIM_PIXEL]
                    j = n - 1
                    while j >= lo and buf[j] <= t:
                        hist[p, (t - buf[j]) // binwidth] += 1
                        j -= 1
            if c == start:
                buf[n] = t
                n += 1
            if c == frame_begin:
                state[FLIM_PIXEL], state[FLIM_IN_PIXEL] = -1, 0
                state[FLIM_FRAME_OPEN], state[FLIM_FRAME_BEGIN] = 1, t
                hist[:, :] = 0
                continue
            if c == pixel_end and state[FLIM_IN_PIXEL] == 1:
                ends[state[FLIM_PIXEL]] = t
                state[FLIM_IN_PIXEL] = 0
                if state[FLIM_PIXEL] == n_pixels - 1:
                    done = i
                    break
        state[FLIM_RESUME] = 0
        if c == pixel_begin and state[FLIM_FRAME_OPEN] == 1:
            if state[FLIM_IN_PIXEL] == 1:                 # no end channel: the begin ends the pixel
                ends[state[FLIM_PIXEL]] = t
                state[FLIM_IN_PIXEL] = 0
                if state[FLIM_PIXEL] == n_pixels - 1:
                    state[FLIM_RESUME] = 1                # this tag begins the next frame's pixel 0
                    done = i
                    break
            if state[FLIM_PIXEL] + 1 < n_pixels:
                state[FLIM_PIXEL] += 1
                p = state[FLIM_PIXEL]
                if p == 0 and state[FLIM_FRAME_BEGIN] < 0:
                    state[FLIM_FRAME_BEGIN] = t
                begins[p] = t
                state[FLIM_IN_PIXEL] = 1
    if done >= 0 or ts.size:
        horizon = ts[done if done >= 0 else ts.size - 1] - max_dt
        while lo < n and buf[lo] < horizon:
            lo += 1
    return done, buf[lo:n].copy()
