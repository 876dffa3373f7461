"""Compiled phase-locked loop (numba) of the software-defined reference clock.

The loop follows the tags of a clock channel and maps every tag's raw time onto the time base of
the clock: between two clock tags the map is linear, and at each clock tag its slope is set to
reach the next ideal tick one estimated period later, correcting a fraction ``gain`` of the phase
error. The period estimate is an exponential average over ``averaging`` periods. The map is
continuous and increasing, so mapped tags keep their order.
"""
from __future__ import annotations

import numba
import numpy as np

_jit = numba.njit(cache=True, nogil=True)

# Indices into the state vector (float64) the caller keeps between blocks.
LOCKED, PERIOD, LAST_RAW, LAST_MAPPED, SLOPE, NEXT_TICK, ERROR2, ERRORS, GOOD, OFFSET, TICKS = range(11)
STATE_SIZE = 11


@_jit
def pll(ts: np.ndarray, ch: np.ndarray, clock: int, nominal: float, ideal: float, averaging: float,
        gain: float, ticks_per_tag: int, state: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray,
                                                                       np.ndarray]:
    """Map ``ts`` (raw, ps) onto the clock's time base.

    ``nominal``: expected raw interval of the clock tags (ps); ``ideal``: the ideal clock period
    (ps) and ``ticks_per_tag`` ideal ticks per clock tag (an event divider on the clock channel).
    Returns (mapped times as float64, locked flag per tag, ideal tick times emitted, lock events
    n x 2: [+1 gained / -1 lost, mapped time]).
    """
    mapped = np.empty(ts.size, dtype=np.float64)
    locked_at = np.zeros(ts.size, dtype=np.bool_)
    ticks = np.empty(ts.size * ticks_per_tag + ticks_per_tag, dtype=np.float64)
    events = np.empty((ts.size + 1, 2), dtype=np.float64)
    n_ticks, n_events = 0, 0
    for i in range(ts.size):
        t = float(ts[i])
        locked = state[LOCKED] > 0
        if ch[i] == clock:
            if state[TICKS] == 0:
                state[LAST_RAW], state[PERIOD] = t, nominal
            elif not locked:
                interval = t - state[LAST_RAW]
                if abs(interval / nominal - 1.0) < 0.05:
                    state[GOOD] += 1
                    state[PERIOD] += (interval - state[PERIOD]) / min(state[GOOD], averaging)
                else:
                    state[GOOD], state[PERIOD] = 0, nominal
                state[LAST_RAW] = t
                if state[GOOD] >= min(averaging, 1000.0):
                    state[LOCKED] = 1
                    state[LAST_MAPPED] = t + state[OFFSET]
                    state[SLOPE] = ideal * ticks_per_tag / state[PERIOD]
                    state[NEXT_TICK] = state[LAST_MAPPED] + ideal * ticks_per_tag
                    state[ERROR2] = 0.0
                    for k in range(1, ticks_per_tag + 1):
                        ticks[n_ticks] = state[LAST_MAPPED] + k * ideal
                        n_ticks += 1
                    events[n_events, 0], events[n_events, 1] = 1.0, state[LAST_MAPPED]
                    n_events += 1
            else:
                interval = t - state[LAST_RAW]
                here = state[LAST_MAPPED] + state[SLOPE] * interval
                error = here - state[NEXT_TICK]
                if abs(error) > ideal * ticks_per_tag / 2:
                    state[LOCKED], state[GOOD] = 0, 0
                    state[ERRORS] += 1
                    state[OFFSET] = here - t
                    state[LAST_RAW] = t
                    events[n_events, 0], events[n_events, 1] = -1.0, here
                    n_events += 1
                else:
                    state[ERROR2] += (error * error - state[ERROR2]) / averaging
                    state[PERIOD] += (interval - state[PERIOD]) / averaging
                    tick = state[NEXT_TICK]
                    state[NEXT_TICK] = tick + ideal * ticks_per_tag
                    state[SLOPE] = (ideal * ticks_per_tag - gain * error) / state[PERIOD]
                    state[LAST_RAW], state[LAST_MAPPED] = t, here
                    for k in range(1, ticks_per_tag + 1):
                        ticks[n_ticks] = tick + k * ideal
                        n_ticks += 1
            state[TICKS] += 1
        if state[LOCKED] > 0:
            mapped[i] = state[LAST_MAPPED] + state[SLOPE] * (t - state[LAST_RAW])
            locked_at[i] = True
        else:
            mapped[i] = t + state[OFFSET]
    return mapped, locked_at, ticks[:n_ticks].copy(), events[:n_events].copy()
