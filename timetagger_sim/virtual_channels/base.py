"""``VirtualChannel``: the base of every iterator that adds tags of new channels to the stream.

``InFlight`` holds the tags a virtual channel has computed for later than the block it is
processing (delays, patterns, extrapolations); they are released block by block and dropped
where an overflow gap lies, since the stream never carries tags inside a gap.
"""
from __future__ import annotations

import numpy as np

from ..engine.blocks import EMPTY_CH, EMPTY_TS
from ..engine.engine import Role
from ..iterator import IteratorBase
from ..taggers.base import TimeTaggerBase


class VirtualChannel(IteratorBase):
    """Base of the virtual channels: owns one or more output channel numbers."""

    _role = Role.VIRTUAL_CHANNEL

    def __init__(self, tagger: TimeTaggerBase) -> None:
        super().__init__(tagger)

    def _emit(self, times: np.ndarray, channel: int) -> tuple[np.ndarray, np.ndarray]:
        return times, np.full(times.size, channel, np.int32)


class InFlight:
    """Time-ordered tags waiting for the stream to reach them."""

    __slots__ = ("ts", "ch")

    def __init__(self) -> None:
        self.ts, self.ch = EMPTY_TS, EMPTY_CH

    def __len__(self) -> int:
        return int(self.ts.size)

    def clear(self) -> None:
        self.ts, self.ch = EMPTY_TS, EMPTY_CH

    def release(self, ts: np.ndarray, ch: np.ndarray, t1: int) -> tuple[np.ndarray, np.ndarray]:
        """Add the (time-ordered) ``ts``/``ch`` and return every waiting tag before ``t1``."""
        if self.ts.size:
            ts, ch = np.concatenate((self.ts, ts)), np.concatenate((self.ch, ch))
            if ts.size > 1 and np.any(ts[1:] < ts[:-1]):
                order = np.argsort(ts, kind="stable")
                ts, ch = ts[order], ch[order]
        cut = int(np.searchsorted(ts, t1, side="left"))
        self.ts, self.ch = ts[cut:], ch[cut:]
        return ts[:cut], ch[:cut]

    def drop(self, begin: int, end: int) -> None:
        """Forget the tags in [begin, end) (an overflow gap)."""
        lo = int(np.searchsorted(self.ts, begin, side="left"))
        hi = int(np.searchsorted(self.ts, end, side="left"))
        if hi > lo:
            self.ts = np.concatenate((self.ts[:lo], self.ts[hi:]))
            self.ch = np.concatenate((self.ch[:lo], self.ch[hi:]))
