"""Simulated detectors: ``SimDetector`` (efficiency, dark counts, jitter, dead time)."""
from __future__ import annotations

import numpy as np

from .. import validation
from ..kernels.stream import deadtime_mask
from ..taggers.base import TimeTaggerBase
from .base import SignalNode, merge_sorted

_EMPTY = np.empty(0, np.int64)


class SimDetector(SignalNode):
    """A detector on ``input_channel``: efficiency, dark counts (Hz), jitter and dead time (seconds)."""

    def __init__(self, tagger: TimeTaggerBase, input_channel: int, efficiency: float = 1.0,
                 darkcount_rate: float = 0.0, jitter: float = 0, deadtime: float = 0.0,
                 seed: int = -1) -> None:
        self._init_node(tagger, seed)
        self._input = tagger._check_channel("input_channel", input_channel)
        self._efficiency = validation.in_range("efficiency", efficiency, 0.0, 1.0)
        self._dark_hz = validation.in_range("darkcount_rate", darkcount_rate, 0.0, 1e9, "Hz")
        self._jitter_ps = validation.in_range("jitter", jitter, 0.0, 1e-3, "s") * 1e12
        self._deadtime_ps = int(round(validation.in_range("deadtime", deadtime, 0.0, 1.0, "s") * 1e12))
        self._last = -(1 << 62)
        self._channel = tagger._allocate_virtual_channel()
        self._attached = True
        tagger._live_engine().register(self)

    def getChannel(self) -> int:
        """The channel the output appears on."""
        return self._channel

    def _simulate(self, a0: int, a1: int, signals: dict[int, np.ndarray]) -> None:
        times = signals.get(self._input, _EMPTY)
        times = times[self._rng.random(times.size) < self._efficiency]
        if self._dark_hz > 0:
            n = self._rng.poisson(self._dark_hz * (a1 - a0) / 1e12)
            times = np.concatenate((times, self._rng.integers(a0, a1, n, dtype=np.int64)))
        if self._jitter_ps > 0:
            times = times + np.rint(self._rng.normal(0.0, self._jitter_ps, times.size)).astype(np.int64)
        times = np.sort(times)
        if self._deadtime_ps > 0:
            keep, self._last = deadtime_mask(times, self._deadtime_ps, self._last)
            times = times[keep]
        if times.size:
            signals[self._channel] = merge_sorted(signals.get(self._channel), times)
