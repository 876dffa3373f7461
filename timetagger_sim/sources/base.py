"""The base of the simulated sources of ``Swabian.TimeTagger.Experimental``: ``SignalGeneratorBase``.

They act in the analog domain, before the input stage: a generator with ``base_channel`` adds
its pulses to a physical input (so trigger level, jitter, dead time and delay apply); without
it, and for the splitter, detector and copying transforms, the output is a new virtual channel.

Units (the library leaves some open; the simulator's choice, used consistently):
rates in Hz; parameters typed ``float`` that are times (``mean``, ``standard_deviation``,
``jitter``, ``deadtime``) in seconds, as ``SimDetector``'s jitter; ``int`` bounds in ps.
"""
from __future__ import annotations

import numpy as np

from .. import validation
from ..constants import CHANNEL_UNUSED
from ..engine.engine import Role
from ..iterator import IteratorBase
from ..taggers.base import TimeTaggerBase

_EMPTY = np.empty(0, np.int64)


def merge_sorted(a: np.ndarray | None, b: np.ndarray) -> np.ndarray:
    if a is None or a.size == 0:
        return b
    return np.sort(np.concatenate((a, b)), kind="stable")


class SignalNode:
    """Mixin for objects that shape the simulated analog signals (never consume the stream)."""

    _role = Role.SIGNAL
    _running = True

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
            signals[self._channel] = merge_sorted(signals.get(self._channel), times)

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


class Carry:
    """Pulse times a source computed for later than its current window (sorted), released window
    by window: the analog windows must stay time-ordered per channel."""

    __slots__ = ("times",)

    def __init__(self) -> None:
        self.times = _EMPTY

    def release(self, new: np.ndarray, end: int) -> np.ndarray:
        """Add ``new`` (any order) and return the waiting times before ``end`` (sorted)."""
        times = np.sort(np.concatenate((self.times, new))) if self.times.size else np.sort(new)
        cut = int(np.searchsorted(times, end, side="left"))
        self.times = times[cut:]
        return times[:cut]

    def clear(self) -> None:
        self.times = _EMPTY
