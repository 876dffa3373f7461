"""Transforms of simulated signals: broadening, dead time, efficiency, and the splitter."""
from __future__ import annotations

import numpy as np

from .. import validation
from ..iterator import IteratorBase
from ..kernels.stream import deadtime_mask
from ..taggers.base import TimeTaggerBase
from .base import SignalNode, merge_sorted


class _ChannelTransform(SignalNode, IteratorBase):
    """A transform of one input channel: in place, or onto a new channel when ``copy``."""

    def __init__(self, tagger: TimeTaggerBase, input_channel: int, copy: bool, seed: int) -> None:
        IteratorBase.__init__(self, tagger)
        self._init_node(tagger, seed)
        self._input = tagger._check_channel("input_channel", input_channel)
        self._channel = tagger._allocate_virtual_channel() if copy else self._input
        self._register()

    def getChannel(self) -> int:
        """The channel the output appears on."""
        return self._channel

    def _simulate(self, a0: int, a1: int, signals: dict[int, np.ndarray]) -> None:
        times = signals.get(self._input)
        if times is not None and times.size:
            out = self._apply(times)
            signals[self._channel] = out if self._channel == self._input else merge_sorted(
                signals.get(self._channel), out)

    def _apply(self, times: np.ndarray) -> np.ndarray:
        raise NotImplementedError


class TransformGaussianBroadening(_ChannelTransform):
    """Adds normal timing noise of ``standard_deviation`` seconds to every pulse."""

    def __init__(self, tagger: TimeTaggerBase, input_channel: int, standard_deviation: float,
                 copy: bool = False, seed: int = -1) -> None:
        self._sigma_ps = validation.in_range("standard_deviation", standard_deviation, 0.0, 1.0, "s") * 1e12
        super().__init__(tagger, input_channel, copy, seed)

    def _apply(self, times: np.ndarray) -> np.ndarray:
        noisy = times + np.rint(self._rng.normal(0.0, self._sigma_ps, times.size)).astype(np.int64)
        return np.sort(noisy)


class TransformDeadtime(_ChannelTransform):
    """Drops pulses within ``deadtime`` seconds after the last kept one (non-paralysable)."""

    def __init__(self, tagger: TimeTaggerBase, input_channel: int, deadtime: float,
                 copy: bool = False) -> None:
        self._deadtime_ps = int(round(validation.in_range("deadtime", deadtime, 0.0, 1.0, "s") * 1e12))
        self._last = -(1 << 62)
        super().__init__(tagger, input_channel, copy, -1)

    def _apply(self, times: np.ndarray) -> np.ndarray:
        keep, self._last = deadtime_mask(times, self._deadtime_ps, self._last)
        return times[keep]


class TransformEfficiency(_ChannelTransform):
    """Keeps each pulse with probability ``efficiency``."""

    def __init__(self, tagger: TimeTaggerBase, input_channel: int, efficiency: float,
                 copy: bool = False, seed: int = -1) -> None:
        self._efficiency = validation.in_range("efficiency", efficiency, 0.0, 1.0)
        super().__init__(tagger, input_channel, copy, seed)

    def _apply(self, times: np.ndarray) -> np.ndarray:
        return times[self._rng.random(times.size) < self._efficiency]


class SimSignalSplitter(SignalNode, IteratorBase):
    """Sends each pulse of ``input_channel`` to the left channel with probability ``ratio``, else right."""

    def __init__(self, tagger: TimeTaggerBase, input_channel: int, ratio: float = 0.5,
                 seed: int = -1) -> None:
        IteratorBase.__init__(self, tagger)
        self._init_node(tagger, seed)
        self._input = tagger._check_channel("input_channel", input_channel)
        self._ratio = validation.in_range("ratio", ratio, 0.0, 1.0)
        self._left = tagger._allocate_virtual_channel()
        self._right = tagger._allocate_virtual_channel()
        self._register()

    def getLeftChannel(self) -> int:
        """The channel receiving a pulse with probability ``ratio``."""
        return self._left

    def getRightChannel(self) -> int:
        """The channel receiving the other pulses."""
        return self._right

    def getChannels(self) -> list[int]:
        """[left channel, right channel]."""
        return [self._left, self._right]

    def _simulate(self, a0: int, a1: int, signals: dict[int, np.ndarray]) -> None:
        times = signals.get(self._input)
        if times is None or times.size == 0:
            return
        left = self._rng.random(times.size) < self._ratio
        signals[self._left] = merge_sorted(signals.get(self._left), times[left])
        signals[self._right] = merge_sorted(signals.get(self._right), times[~left])
