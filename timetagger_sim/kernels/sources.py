"""Inner loops of the simulated sources (``Experimental``): recursions that numpy cannot vectorise.

Random numbers are drawn by the caller from the source's seeded ``numpy`` generator and passed
in, so every stream stays reproducible.
"""
from __future__ import annotations

import numba
import numpy as np

_jit = numba.njit(cache=True, nogil=True)


@_jit
def ar1(x0: float, a: float, noise: np.ndarray) -> np.ndarray:
    """x[k] = a * x[k-1] + noise[k] with x[-1] = x0 (an Ornstein-Uhlenbeck process on a grid)."""
    out = np.empty(noise.size, dtype=np.float64)
    x = x0
    for k in range(noise.size):
        x = a * x + noise[k]
        out[k] = x
    return out


@_jit
def markov_chain(state: int, t: float, t_end: float, total: np.ndarray, cumulative: np.ndarray,
                 exponentials: np.ndarray, uniforms: np.ndarray) -> tuple[np.ndarray, np.ndarray, int, float, int]:
    """Jumps of a continuous-time Markov chain from (``state``, next jump at ``t``) until ``t_end``.

    ``total[i]`` is the total rate out of state i (1/ps), ``cumulative[i]`` the cumulative jump
    probabilities. Returns (jump times, transition index from * n + to, random numbers used, time of
    the next jump, state); stops early when the random numbers run out.
    """
    n = total.size
    out_t = np.empty(uniforms.size, dtype=np.float64)
    out_k = np.empty(uniforms.size, dtype=np.int64)
    m = 0
    used = 0
    while t < t_end and used < uniforms.size and total[state] > 0:
        u = uniforms[used]
        target = n - 1
        for j in range(n):
            if u < cumulative[state, j]:
                target = j
                break
        out_t[m] = t
        out_k[m] = state * n + target
        m += 1
        state = target
        t = t + exponentials[used] / total[state] if total[state] > 0 else np.inf
        used += 1
    return out_t[:m].copy(), out_k[:m].copy(), used, t, state


@_jit
def oscillator(nominal: np.ndarray, period_s: float, c_wp: float, c_fp: float, c_wf: float, c_ff: float,
               c_rw: float, c_ld: float, state: np.ndarray, octaves: np.ndarray, wp: np.ndarray, fp: np.ndarray,
               wf: np.ndarray, ff: np.ndarray, rw: np.ndarray) -> np.ndarray:
    """Phase deviation x (s) at each tick whose nominal time (s) is ``nominal``.

    x = white PM + flicker PM + integral of (white FM + flicker FM + random-walk FM) + linear drift.
    Flicker noise is a sum of first-order processes with correlation times of 2^m ticks (one per
    octave, ``octaves[m]`` = exp(-2^-m)), each of RMS ``c_fp`` (phase, s) or ``c_ff`` (fractional
    frequency). ``state`` = [integrated phase, random-walk frequency, flicker PM terms..., flicker
    FM terms...]; the normal deviates ``wp``, ``fp`` (ticks x octaves), ``wf``, ``ff``, ``rw``
    may be empty when their coefficient is 0.
    """
    n = nominal.size
    m_oct = octaves.size
    out = np.empty(n, dtype=np.float64)
    sqrt_p = np.sqrt(period_s)
    for k in range(n):
        x = 0.0
        if c_wp > 0:
            x += c_wp * wp[k]
        if c_fp > 0:
            for m in range(m_oct):
                a = octaves[m]
                state[2 + m] = a * state[2 + m] + np.sqrt(1 - a * a) * c_fp * fp[k, m]
                x += state[2 + m]
        if c_wf > 0:
            state[0] += c_wf * sqrt_p * wf[k]
        if c_ff > 0:
            y = 0.0
            for m in range(m_oct):
                a = octaves[m]
                state[2 + m_oct + m] = a * state[2 + m_oct + m] + np.sqrt(1 - a * a) * c_ff * ff[k, m]
                y += state[2 + m_oct + m]
            state[0] += y * period_s
        if c_rw > 0:
            state[1] += c_rw * sqrt_p * rw[k]
            state[0] += state[1] * period_s
        x += state[0]
        if c_ld != 0:
            x += 0.5 * c_ld * nominal[k] * nominal[k]
        out[k] = x
    return out
