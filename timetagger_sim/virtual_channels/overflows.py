"""``OverflowInjector``: an overflow of the stream on purpose, for testing overflow handling."""
from __future__ import annotations

import numpy as np

from .. import logger, validation
from ..constants import LOGGER_WARNING
from ..engine.blocks import Block, gap_from_tags, merged_gaps
from ..taggers.base import TimeTaggerBase
from .base import VirtualChannel


class OverflowInjector(VirtualChannel):
    """One overflow interval of ``length`` ps, ``delay`` ps (stream time) after creation.

    Every iterator created after the injector sees the interval as an overflow: its tags are
    lost, only their number per channel is reported (``OverflowBegin``, ``MissedEvents``,
    ``OverflowEnd`` in a ``TimeTagStream``), and the logger gets the overflow warning. The library
    documents no more than the signature; this is the simulator's reading of it.
    """

    def __init__(self, tagger: TimeTaggerBase, delay: int, length: int) -> None:
        super().__init__(tagger)
        self._delay = validation.integer("delay", delay)
        self._length = validation.integer("length", length)
        if self._delay < 0:
            raise ValueError(f"delay {self._delay} ps is out of range: allowed 0 ps or more")
        if self._length <= 0:
            raise ValueError(f"length {self._length} ps is out of range: allowed 1 ps or more")
        with self._engine.lock:
            self._begin = self._engine.now + self._delay
        self._end = self._begin + self._length
        self._reported = False
        self._register()

    def _transform_block(self, block: Block) -> Block:
        end = self._end_of_run(block.t1)
        self._finish_if_due(end)
        a, b = max(block.t0, self._begin), min(end, self._end)
        if a >= b:
            return block
        if not self._reported:
            self._reported = True
            logger.log(LOGGER_WARNING, f"OverflowInjector: overflow of {self._length} ps injected at "
                                       f"{self._begin} ps stream time")
        lo = int(np.searchsorted(block.ts, a, side="left"))
        hi = int(np.searchsorted(block.ts, b, side="left"))
        gap = gap_from_tags(a, b, block.ch[lo:hi])
        ts = np.concatenate((block.ts[:lo], block.ts[hi:]))
        ch = np.concatenate((block.ch[:lo], block.ch[hi:]))
        return Block(block.t0, block.t1, ts, ch, merged_gaps(block.gaps + [gap]))

    def _parameters(self) -> dict:
        return {"delay": self._delay, "length": self._length}
