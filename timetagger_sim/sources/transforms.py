"""Transforms of simulated signals: broadening, dead time, efficiency, crosstalk, and the splitter."""
from __future__ import annotations

import numpy as np

from .. import validation
from ..iterator import IteratorBase
from ..kernels.stream import deadtime_mask
from ..taggers.base import TimeTaggerBase
from .base import Carry, SignalNode, merge_sorted

_EMPTY = np.empty(0, np.int64)


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


class TransformCrosstalk(SignalNode, IteratorBase):
    """Crosstalk from ``relay_input_channel`` onto ``input_channel``: each pulse of the input is
    delayed by ``delay * exp(-dt / tau)`` (seconds), dt being the time since the latest relay
    pulse, so the effect fades after a few ``tau``. In place, or onto a new channel when ``copy``.
    Only the latest relay pulse acts (the library documents no superposition). ``delay`` >= 0.
    """

    def __init__(self, tagger: TimeTaggerBase, input_channel: int, relay_input_channel: int, delay: float,
                 tau: float, copy: bool = False) -> None:
        IteratorBase.__init__(self, tagger)
        self._init_node(tagger, -1)
        self._input = tagger._check_channel("input_channel", input_channel)
        self._relay = tagger._check_channel("relay_input_channel", relay_input_channel)
        if self._relay == self._input:
            raise ValueError(f"relay_input_channel must differ from input_channel ({self._input})")
        self._delay_ps = validation.in_range("delay", delay, 0.0, 1e-3, "s") * 1e12
        self._tau_ps = validation.in_range("tau", tau, 1e-15, 1.0, "s") * 1e12
        self._copy = bool(copy)
        self._channel = tagger._allocate_virtual_channel() if copy else self._input
        self._last_relay = None
        self._carry = Carry()
        self._register()

    def getChannel(self) -> int:
        """The channel the transformed pulses appear on."""
        return self._channel

    def _simulate(self, a0: int, a1: int, signals: dict[int, np.ndarray]) -> None:
        times = signals.get(self._input, _EMPTY)
        relay = signals.get(self._relay, _EMPTY)
        shifted = times
        if times.size:
            before = np.concatenate(([self._last_relay], relay)) if self._last_relay is not None else relay
            index = np.searchsorted(before, times, side="right") - 1
            acting = index >= 0
            shift = np.zeros(times.size)
            since = times[acting] - before[index[acting]]
            shift[acting] = self._delay_ps * np.exp(-since / self._tau_ps)
            shifted = times + np.rint(shift).astype(np.int64)
        if relay.size:
            self._last_relay = int(relay[-1])
        out = self._carry.release(shifted, a1)
        if self._copy:
            if out.size:
                signals[self._channel] = merge_sorted(signals.get(self._channel), out)
        elif times.size or out.size:
            signals[self._channel] = out

    def _parameters(self) -> dict:
        return {"input_channel": self._input, "relay_input_channel": self._relay, "delay": self._delay_ps / 1e12,
                "tau": self._tau_ps / 1e12, "copy": self._copy}
