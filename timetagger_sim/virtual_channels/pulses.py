"""Virtual channels from both edges of a pulse: ``ConstantFractionDiscriminator``."""
from __future__ import annotations

import numpy as np

from .. import validation
from ..kernels import logic as km
from ..kernels.stream import NEVER
from ..taggers.base import TimeTaggerBase
from .base import VirtualChannel


class ConstantFractionDiscriminator(VirtualChannel):
    """The mean of the rising and falling edge of every pulse shorter than ``search_window`` ps.

    ``channels`` lists rising edges; their falling edges (the negative channel numbers) are read
    as well. A pulse whose falling edge comes more than ``search_window`` after its rising edge is
    skipped. One virtual channel per input channel (``getChannels``).

    Simulator difference: the tag is emitted when the falling edge arrives; a pulse whose rising
    edge lies in the previous block gets its tag at the start of the falling edge's block if the
    mean falls before it (as for ``Coincidences``). An overflow forgets the open rising edges.
    """

    def __init__(self, tagger: TimeTaggerBase, channels: list[int], search_window: int) -> None:
        super().__init__(tagger)
        numbers = validation.channel_list("channels", channels)
        if not numbers or len(set(numbers)) != len(numbers):
            raise ValueError(f"channels must list one or more different channels, got {numbers}")
        for c in numbers:
            tagger._check_channel("channels", c)
            if c <= 0 or not tagger._is_known(-c):
                raise ValueError(f"channels must list rising edges of inputs (positive numbers whose "
                                 f"falling edge exists), got {c}")
        self._rising = np.array(numbers, np.int64)
        self._window = validation.integer("search_window", search_window)
        if self._window <= 0:
            raise ValueError(f"search_window {self._window} ps is out of range: allowed 1 ps or more")
        self._outputs = np.array([tagger._allocate_virtual_channel() for _ in numbers], np.int32)
        self._pending = np.full(len(numbers), NEVER, np.int64)
        self._register()

    def getChannels(self) -> list[int]:
        """The virtual channel of each input channel, in order."""
        return self._outputs.tolist()

    def _channels(self) -> set[int]:
        rising = self._rising.tolist()
        return set(rising) | {-c for c in rising}

    def _gap(self, gap) -> None:
        self._pending[:] = NEVER

    def _transform(self, ts, ch, t0, t1):
        times, index = km.constant_fraction(ts, ch.astype(np.int64), self._rising, self._window, self._pending)
        if not times.size:
            return times, np.empty(0, np.int32)
        times = np.maximum(times, t0)
        order = np.argsort(times, kind="stable")
        return times[order], self._outputs[index[order]]

    def _parameters(self) -> dict:
        return {"channels": self._rising.tolist(), "search_window": self._window}
