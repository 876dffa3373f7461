"""Software input delays (``setDelaySoftware``): applied on the computer, after the hardware stages.

A delayed channel's tags move by their delay (positive or negative); to emit every tag of [t0, t1)
the stage reads its upstream ahead by the most negative delay and keeps the tags due later. Tags
a delay moves into an overflow gap are lost with it. Tags already in flight keep the delay they
were read with; making a delay more negative while streaming loses the tags it moves into the
past (the library warns likewise for shortening a ``DelayedChannel``).
"""
from __future__ import annotations

from typing import Callable, Protocol

import numpy as np

from ..engine.blocks import EMPTY_CH, EMPTY_TS, Block, Gap
from ..engine.engine import merge_streams
from .inputs import InputSettings, outside_gaps

#: Largest software delay magnitude (ps): bounds the tags held in flight (10 ms).
MAX_SOFTWARE_DELAY_PS = 10_000_000_000


class Upstream(Protocol):
    """What a stage reads from."""

    def produce(self, t0: int, t1: int, needed: set[int]) -> Block: ...


class SoftwareDelays:
    """The software-delay stage between the hardware (or replay) and the clock-corrected stream."""

    def __init__(self, upstream: Upstream, settings_of: Callable[[], InputSettings]) -> None:
        self._up = upstream
        self._settings_of = settings_of
        self._end = 0                        # upstream time read so far
        self._ts, self._ch = EMPTY_TS, EMPTY_CH
        self._gaps: list[Gap] = []

    def reset(self) -> None:
        self._ts, self._ch, self._gaps = EMPTY_TS, EMPTY_CH, []

    def produce(self, t0: int, t1: int, needed: set[int]) -> Block:
        settings: InputSettings = self._settings_of()
        delays = {c: d for c, d in settings.delay_software.items() if d}
        if not delays and self._end <= t0 and not self._ts.size and not self._gaps:
            self._end = t1
            return self._up.produce(t0, t1, needed)
        want = t1 + max(0, -min(delays.values(), default=0))
        self._end = max(self._end, t0)          # a replay skipped unprocessed time
        if want > self._end:
            self._read(self._up.produce(self._end, want, needed), delays)
            self._end = want
        return self._emit(t0, t1)

    def _read(self, block: Block, delays: dict[int, int]) -> None:
        ts = block.ts.copy()
        for channel, delay in delays.items():
            ts[block.ch == channel] += delay
        order = np.argsort(ts, kind="stable")
        ts, ch = ts[order], block.ch[order]
        self._gaps += block.gaps
        if self._gaps and ts.size:
            ts, ch = outside_gaps(ts, ch, self._gaps)
        self._ts, self._ch = merge_streams(self._ts, self._ch, ts, ch)

    def _emit(self, t0: int, t1: int) -> Block:
        lo = int(np.searchsorted(self._ts, t0, "left"))
        hi = int(np.searchsorted(self._ts, t1, "left"))
        ts, ch = self._ts[lo:hi], self._ch[lo:hi]
        self._ts, self._ch = self._ts[hi:], self._ch[hi:]
        gaps, keep = [], []
        for gap in self._gaps:
            if gap.end <= t0:
                continue
            if gap.begin >= t1:
                keep.append(gap)
            elif gap.end <= t1:
                gaps.append(Gap(max(gap.begin, t0), gap.end, gap.channels, gap.missed))
            else:                      # the rest of a gap that reaches into the next block waits
                gaps.append(Gap(max(gap.begin, t0), t1))
                keep.append(Gap(t1, gap.end, gap.channels, gap.missed))
        self._gaps = keep
        return Block(t0, t1, ts, ch, gaps)
