"""Compiled loops (numba) of the frequency measurements: phase fits and running stability sums."""
from __future__ import annotations

import numba
import numpy as np

_jit = numba.njit(cache=True, nogil=True)


@_jit
def phase_fits(times: np.ndarray, counts: np.ndarray, samples: np.ndarray, half: int,
               phase: np.ndarray, slope: np.ndarray) -> None:
    """Least-squares line count = a + b (t - sample) through the tags within +-half of each sample.

    ``times``/``counts``: a channel's tags and their running period count; ``phase[k]`` = a (cycles)
    and ``slope[k]`` = b (cycles per ps), NaN with fewer than two tags in the window.
    """
    lo = 0
    for k in range(samples.size):
        s = samples[k]
        while lo < times.size and times[lo] < s - half:
            lo += 1
        hi = lo
        while hi < times.size and times[hi] <= s + half:
            hi += 1
        m = hi - lo
        if m < 2:
            phase[k] = np.nan
            slope[k] = np.nan
            continue
        n0 = counts[lo]
        st = 0.0
        sn = 0.0
        for i in range(lo, hi):
            st += times[i] - s
            sn += counts[i] - n0
        mt = st / m
        mn = sn / m
        stt = 0.0
        stn = 0.0
        for i in range(lo, hi):
            dt = (times[i] - s) - mt
            stt += dt * dt
            stn += dt * ((counts[i] - n0) - mn)
        b = stn / stt if stt > 0 else 0.0
        slope[k] = b
        phase[k] = n0 + mn - b * mt


@_jit
def stability_sums(ring: np.ndarray, prefix: np.ndarray, count: int, new: np.ndarray, steps: np.ndarray,
                   sums: np.ndarray) -> int:
    """Add the error samples that the ``new`` averaged phase samples complete, for every step.

    ``ring``/``prefix`` keep the last ``ring.size`` samples and their prefix sums (sample index
    modulo the size); ``sums[s]`` = [ADEV sum, terms, MDEV sum, terms, HDEV sum, terms, STDD sum,
    sum of squares, terms] for step ``steps[s]``. Returns the new sample count.
    """
    size = ring.size
    for value in new:
        m = count
        ring[m % size] = value
        prefix[(m + 1) % size] = prefix[m % size] + value
        for s in range(steps.size):
            n = steps[s]
            if m >= n:
                d = ring[m % size] - ring[(m - n) % size]
                sums[s, 6] += d
                sums[s, 7] += d * d
                sums[s, 8] += 1
            if m >= 2 * n:
                e = ring[(m - 2 * n) % size] - 2 * ring[(m - n) % size] + ring[m % size]
                sums[s, 0] += e * e
                sums[s, 1] += 1
            if m >= 3 * n:
                h = ring[m % size] - 3 * ring[(m - n) % size] + 3 * ring[(m - 2 * n) % size] - ring[(m - 3 * n) % size]
                sums[s, 4] += h * h
                sums[s, 5] += 1
            if m + 1 >= 3 * n:
                j = m + 1 - 3 * n
                inner = (prefix[(j + 3 * n) % size] - 3 * prefix[(j + 2 * n) % size]
                         + 3 * prefix[(j + n) % size] - prefix[j % size])
                sums[s, 2] += inner * inner
                sums[s, 3] += 1
        count += 1
    return count
