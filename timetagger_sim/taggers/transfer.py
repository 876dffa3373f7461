"""The hardware buffer between a tagger's inputs and the computer, and its overflows.

Tags fill the on-board buffer (``setHardwareBufferSize``) and leave it at the model's sustained
transfer rate. When it is full the tagger enters overflow mode: every tag is lost (only the number
per channel is reported) until the buffer has drained to half its size (the simulator's choice of
the level the hardware resumes at); channels set with ``xtra_setHighPrioChannel`` are transmitted
even then and interrupt the overflow. Overflows are reported through the logger.
"""
from __future__ import annotations

import numpy as np

from .. import logger
from ..constants import LOGGER_WARNING
from ..engine.blocks import Gap, gap_from_tags
from ..kernels.stream import transfer

#: Overflow warnings go to the logger at most this often (wall-clock seconds).
OVERFLOW_LOG_INTERVAL_S = 1.0


class TransferBuffer:
    """The hardware buffer of one tagger: turns an input rate above the transfer rate into gaps."""

    def __init__(self, serial: str, rate_hz: float, capacity: int) -> None:
        self._serial = serial
        self._drain_per_ps = rate_hz * 1e-12
        self.capacity = capacity
        self.priority = np.empty(0, np.int32)
        self.lost = 0                                  #: tags lost since the last clearOverflows
        self._state = np.zeros(4, np.float64)          # level, its time, in overflow, begin

    def reset(self, capacity: int) -> None:
        """Empty buffer of ``capacity`` tags (after reset or setHardwareBufferSize)."""
        self.capacity = capacity
        self._state[:] = 0.0

    def apply(self, ts: np.ndarray, ch: np.ndarray, t0: int, t1: int) -> tuple[np.ndarray, np.ndarray, list[Gap]]:
        """The tags that reach the computer in [t0, t1), and the overflow gaps."""
        level, since, in_overflow = self._state[0], self._state[1], self._state[2] > 0
        if not in_overflow and level + ts.size <= self.capacity:
            # Cannot fill up within this block: only the fill level changes.
            self._state[0] = max(0.0, level + ts.size - self._drain_per_ps * (t1 - max(since, t0)))
            self._state[1] = t1
            return ts, ch, []
        if self._state[1] < t0:
            self._state[1] = t0
        keep, bounds, gap_of = transfer(ts, ch, self.priority, self._drain_per_ps, float(self.capacity),
                                        self.capacity / 2.0, t1, self._state)
        lost = ~keep
        gaps = [gap_from_tags(b, e, ch[lost][gap_of[lost] == k]) for k, (b, e) in enumerate(bounds.tolist())]
        n_lost = int(np.count_nonzero(lost))
        if n_lost:
            self.lost += n_lost
            logger.log(LOGGER_WARNING,
                       f"{self._serial}: data overflow: the input rate exceeds the transfer rate of "
                       f"{self._drain_per_ps * 1e6:g} M tags/s and the hardware buffer ({self.capacity} "
                       f"tags) is full; {n_lost} tags lost in this block, only their number is kept",
                       once_per_s=OVERFLOW_LOG_INTERVAL_S, key=f"overflow {self._serial}")
        return ts[keep], ch[keep], gaps
