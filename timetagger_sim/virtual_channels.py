"""Virtual channels: iterators that add tags of a new channel to the stream."""
from __future__ import annotations

import numpy as np

from . import validation
from .iterator import IteratorBase
from .tagger import TimeTaggerBase

_EMPTY_T = np.empty(0, np.int64)


class VirtualChannel(IteratorBase):
    """Base of the virtual channels: owns one or more output channel numbers."""

    _is_virtual_channel = True

    def __init__(self, tagger: TimeTaggerBase) -> None:
        super().__init__(tagger)

    def _emit(self, times: np.ndarray, channel: int) -> tuple[np.ndarray, np.ndarray]:
        return times, np.full(times.size, channel, np.int32)


class DelayedChannel(VirtualChannel):
    """Copy of ``input_channel`` delayed by ``delay`` ps (>= 0). Shortening the delay flushes
    the tags still in flight, as the library does."""

    def __init__(self, tagger: TimeTaggerBase, input_channel: int, delay: int) -> None:
        super().__init__(tagger)
        self._input = tagger._check_channel("input_channel", input_channel)
        self._delay = self._checked_delay(delay)
        self._in_flight = _EMPTY_T
        self._channel = tagger._allocate_virtual_channel()
        self._register()

    @staticmethod
    def _checked_delay(delay: object) -> int:
        value = validation.integer("delay", delay)
        if value < 0:
            raise ValueError(f"delay {value} ps is out of range: allowed 0 ps or more")
        return value

    def getChannel(self) -> int:
        """The number of the delayed channel."""
        return self._channel

    def setDelay(self, delay: int) -> None:
        """Change the delay (ps); a shorter delay discards the tags in flight."""
        value = self._checked_delay(delay)
        with self._engine.lock:
            if value < self._delay:
                self._in_flight = _EMPTY_T
            self._delay = value

    def _channels(self) -> set[int]:
        return {self._input}

    def _transform(self, ts, ch, t0, t1):
        delayed = ts[ch == self._input] + self._delay
        pending = np.concatenate((self._in_flight, delayed)) if self._in_flight.size else delayed
        cut = int(np.searchsorted(pending, t1, side="left"))
        self._in_flight = pending[cut:]
        return self._emit(pending[:cut], self._channel)

    def _parameters(self) -> dict:
        return {"input_channel": self._input, "delay": self._delay}
