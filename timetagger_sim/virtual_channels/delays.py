"""Delayed copies of channels: ``DelayedChannels`` and ``DelayedChannel``."""
from __future__ import annotations

import numpy as np

from .. import validation
from ..taggers.base import TimeTaggerBase
from .base import InFlight, VirtualChannel


class DelayedChannels(VirtualChannel):
    """Copies of ``input_channels`` delayed by ``delay`` ps (>= 0). Shortening the delay flushes
    the tags still in flight, as the library does. Simulator difference: the library also
    accepts a negative delay (it then delays every other channel); the simulator refuses it."""

    def __init__(self, tagger: TimeTaggerBase, input_channels: list[int], delay: int) -> None:
        super().__init__(tagger)
        inputs = [tagger._check_channel("input_channels", c)
                  for c in validation.channel_list("input_channels", input_channels)]
        if not inputs or len(set(inputs)) != len(inputs):
            raise ValueError(f"input_channels must list one or more different channels, got {inputs}")
        self._inputs = np.array(inputs, np.int32)
        self._delay = self._checked_delay(delay)
        self._outputs = np.array([tagger._allocate_virtual_channel() for _ in inputs], np.int32)
        order = np.argsort(self._inputs)
        self._sorted_inputs, self._sorted_outputs = self._inputs[order], self._outputs[order]
        self._in_flight = InFlight()
        self._register()

    @staticmethod
    def _checked_delay(delay: object) -> int:
        value = validation.integer("delay", delay)
        if value < 0:
            raise ValueError(f"delay {value} ps is out of range: allowed 0 ps or more")
        return value

    def getChannels(self) -> list[int]:
        """The delayed channel of each input channel, in order."""
        return self._outputs.tolist()

    def setDelay(self, delay: int) -> None:
        """Change the delay (ps); a shorter delay discards the tags in flight."""
        value = self._checked_delay(delay)
        with self._engine.lock:
            if value < self._delay:
                self._in_flight.clear()
            self._delay = value

    def _channels(self) -> set[int]:
        return set(self._inputs.tolist())

    def _transform(self, ts, ch, t0, t1):
        mine = np.isin(ch, self._inputs)
        delayed_ts = ts[mine] + self._delay
        delayed_ch = self._sorted_outputs[np.searchsorted(self._sorted_inputs, ch[mine])]
        return self._in_flight.release(delayed_ts, delayed_ch, t1)

    def _gap(self, gap) -> None:
        self._in_flight.drop(gap.begin, gap.end)

    def _parameters(self) -> dict:
        return {"input_channels": self._inputs.tolist(), "delay": self._delay}


class DelayedChannel(DelayedChannels):
    """Single-channel form of ``DelayedChannels``."""

    def __init__(self, tagger: TimeTaggerBase, input_channel: int, delay: int) -> None:
        super().__init__(tagger, [validation.integer("input_channel", input_channel)], delay)

    def getChannel(self) -> int:
        """The number of the delayed channel."""
        return int(self._outputs[0])

    def _parameters(self) -> dict:
        return {"input_channel": int(self._inputs[0]), "delay": self._delay}
