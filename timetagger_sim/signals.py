"""Simulated signal sources and transforms, with the names of ``Swabian.TimeTagger.Experimental``.

They act in the analog domain, before the input stage: a generator with ``base_channel`` adds
its pulses to a physical input (so trigger level, jitter, dead time and delay apply); without
it, and for the splitter, detector and copying transforms, the output is a new virtual channel.

Units (the library leaves some open; the simulator's choice, used consistently):
rates in Hz; parameters typed ``float`` that are times (``mean``, ``standard_deviation``,
``jitter``, ``deadtime``) in seconds, as ``SimDetector``'s jitter; ``int`` bounds in ps.
"""
from __future__ import annotations

import numpy as np

from . import kernels, validation
from .constants import CHANNEL_UNUSED
from .iterator import IteratorBase
from .tagger import TimeTaggerBase

_EMPTY = np.empty(0, np.int64)


def _merge_sorted(a: np.ndarray | None, b: np.ndarray) -> np.ndarray:
    if a is None or a.size == 0:
        return b
    return np.sort(np.concatenate((a, b)), kind="stable")


class SignalNode:
    """Mixin for objects that shape the simulated analog signals (never consume the stream)."""

    _is_virtual_channel = False
    _running = False

    def _init_node(self, tagger: TimeTaggerBase, seed: int) -> None:
        self._node_tagger = tagger
        seed = validation.integer("seed", seed)
        self._rng = np.random.default_rng(seed) if seed >= 0 else tagger._make_rng()

    def _wants_stream(self) -> bool:
        return False

    def _channels(self) -> set[int]:
        return set()

    def _detach(self) -> None:
        self._attached = False

    def _simulate(self, a0: int, a1: int, signals: dict[int, np.ndarray]) -> None:
        """Add or modify the analog pulse times (ps, sorted) in [a0, a1) of ``signals``."""
        raise NotImplementedError

    def _output(self, tagger: TimeTaggerBase, base_channel: int) -> int:
        if base_channel == CHANNEL_UNUSED:
            return tagger._allocate_virtual_channel()
        channel = tagger._check_physical(base_channel, "base_channel")
        if channel < 0:
            raise ValueError(f"base_channel={channel} must be a rising-edge input 1..{tagger._model.n_inputs}")
        return channel


class SignalGeneratorBase(SignalNode, IteratorBase):
    """Common part of the generators: an output channel fed by ``_times``."""

    def __init__(self, tagger: TimeTaggerBase, base_channel: int, seed: int) -> None:
        IteratorBase.__init__(self, tagger)
        self._init_node(tagger, seed)
        self._channel = self._output(tagger, validation.integer("base_channel", base_channel))
        self._next = None
        self._register()

    def getChannel(self) -> int:
        """The channel the generated signal appears on."""
        return self._channel

    def _simulate(self, a0: int, a1: int, signals: dict[int, np.ndarray]) -> None:
        times = self._times(a0, a1)
        if times.size:
            signals[self._channel] = _merge_sorted(signals.get(self._channel), times)

    def _renewal(self, a0: int, a1: int, draw) -> np.ndarray:
        """Events of a renewal process with intervals from ``draw(n)`` (ps), continued across windows."""
        t = self._next if self._next is not None and self._next >= a0 else a0 + float(draw(1)[0])
        chunks = []
        while t < a1:
            mean = max(float(np.mean(draw(8))), 1.0)
            n = int((a1 - t) / mean * 1.05) + 16
            seq = t + np.concatenate(([0.0], np.cumsum(draw(n))))
            inside = int(np.searchsorted(seq, a1, side="left"))
            chunks.append(seq[:inside])
            t = seq[inside] if inside < seq.size else seq[-1] + float(draw(1)[0])
        self._next = t
        if not chunks:
            return _EMPTY
        return np.floor(np.concatenate(chunks)).astype(np.int64)


class ExponentialSignalGenerator(SignalGeneratorBase):
    """Poissonian clicks at ``rate`` Hz (exponential intervals)."""

    def __init__(self, tagger: TimeTaggerBase, rate: float, base_channel: int = CHANNEL_UNUSED,
                 seed: int = -1) -> None:
        self._rate = validation.in_range("rate", rate, 1e-9, 1e12, "Hz")
        super().__init__(tagger, base_channel, seed)

    def _times(self, a0: int, a1: int) -> np.ndarray:
        scale = 1e12 / self._rate
        return self._renewal(a0, a1, lambda n: self._rng.exponential(scale, n))

    def _parameters(self) -> dict:
        return {"rate": self._rate, "base_channel": self._channel}


class GaussianSignalGenerator(SignalGeneratorBase):
    """Pulses whose intervals are normal with ``mean`` and ``standard_deviation`` (seconds)."""

    def __init__(self, tagger: TimeTaggerBase, mean: float, standard_deviation: float,
                 base_channel: int = CHANNEL_UNUSED, seed: int = -1) -> None:
        self._mean = validation.in_range("mean", mean, 1e-12, 1e3, "s")
        self._sigma = validation.in_range("standard_deviation", standard_deviation, 0.0, 1e3, "s")
        super().__init__(tagger, base_channel, seed)

    def _times(self, a0: int, a1: int) -> np.ndarray:
        mean, sigma = self._mean * 1e12, self._sigma * 1e12
        return self._renewal(a0, a1, lambda n: np.maximum(self._rng.normal(mean, sigma, n), 1.0))

    def _parameters(self) -> dict:
        return {"mean": self._mean, "standard_deviation": self._sigma, "base_channel": self._channel}


class UniformSignalGenerator(SignalGeneratorBase):
    """Pulses whose intervals are uniform in [``lower_bound``, ``upper_bound``] ps."""

    def __init__(self, tagger: TimeTaggerBase, upper_bound: int, lower_bound: int = 1,
                 base_channel: int = CHANNEL_UNUSED, seed: int = -1) -> None:
        self._upper = validation.positive_int("upper_bound", upper_bound, "ps")
        self._lower = validation.positive_int("lower_bound", lower_bound, "ps")
        if self._lower > self._upper:
            raise ValueError(f"lower_bound {self._lower} ps must not exceed upper_bound {self._upper} ps")
        super().__init__(tagger, base_channel, seed)

    def _times(self, a0: int, a1: int) -> np.ndarray:
        return self._renewal(a0, a1, lambda n: self._rng.uniform(self._lower, self._upper, n))

    def _parameters(self) -> dict:
        return {"upper_bound": self._upper, "lower_bound": self._lower, "base_channel": self._channel}


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
            signals[self._channel] = out if self._channel == self._input else _merge_sorted(
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
        keep, self._last = kernels.deadtime_mask(times, self._deadtime_ps, self._last)
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
        signals[self._left] = _merge_sorted(signals.get(self._left), times[left])
        signals[self._right] = _merge_sorted(signals.get(self._right), times[~left])


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
            keep, self._last = kernels.deadtime_mask(times, self._deadtime_ps, self._last)
            times = times[keep]
        if times.size:
            signals[self._channel] = _merge_sorted(signals.get(self._channel), times)
