"""``CountBetweenMarkers``: clicks counted in bins opened and closed by marker channels."""
from __future__ import annotations

import numpy as np

from ..kernels import markers as km
from .. import validation
from ..constants import CHANNEL_UNUSED
from ..iterator import IteratorBase
from ..taggers.base import TimeTaggerBase


class CountBetweenMarkers(IteratorBase):
    """Counts ``click_channel`` tags from each ``begin_channel`` tag to the next begin (or end) tag.

    A begin tag closes the open bin and opens the next one; an ``end_channel`` tag closes the
    open bin without opening another. Once ``n_values`` bins are complete the measurement is
    full (``ready()``) and counts nothing more until ``clear``. The bin still open is visible in
    ``getData`` with a bin width of 0.
    """

    def __init__(self, tagger: TimeTaggerBase, click_channel: int, begin_channel: int,
                 end_channel: int = CHANNEL_UNUSED, n_values: int = 1000) -> None:
        super().__init__(tagger)
        self._click = tagger._check_channel("click_channel", click_channel)
        self._begin = tagger._check_channel("begin_channel", begin_channel)
        self._end = tagger._check_channel("end_channel", end_channel, optional=True)
        if self._end == self._begin:
            raise ValueError(f"end_channel={self._end} must differ from begin_channel={self._begin} "
                             "(or be CHANNEL_UNUSED)")
        self._n_values = validation.budget("n_values", validation.positive_int("n_values", n_values), 20)
        self._clear_data()
        self._register()

    def _channels(self) -> set[int]:
        return {self._click, self._begin, self._end} - {CHANNEL_UNUSED}

    def _clear_data(self) -> None:
        self._data = np.zeros(self._n_values, np.int32)
        self._starts = np.zeros(self._n_values, np.int64)
        self._widths = np.zeros(self._n_values, np.int64)
        self._state = np.zeros(2, np.int64)     # [completed bins, a bin is open]

    def _process(self, ts: np.ndarray, ch: np.ndarray, t0: int, t1: int) -> None:
        if self._state[0] < self._n_values:
            km.count_between_markers(ts, ch, self._click, self._begin, self._end, self._data,
                                     self._starts, self._widths, self._state)

    def getData(self) -> np.ndarray:
        """Counts per bin, n_values (int32)."""
        with self._engine.lock:
            return self._data.copy()

    def getBinWidths(self) -> np.ndarray:
        """Duration of each completed bin, begin to next begin or end, in ps (int64)."""
        with self._engine.lock:
            return self._widths.copy()

    def getIndex(self) -> np.ndarray:
        """Time of each bin's begin tag relative to the very first one, in ps (int64; 0 if unused)."""
        with self._engine.lock:
            used = int(self._state[0] + self._state[1])
            index = np.zeros(self._n_values, np.int64)
            if used:
                index[:used] = self._starts[:used] - self._starts[0]
            return index

    def ready(self) -> bool:
        """True once all ``n_values`` bins are complete."""
        with self._engine.lock:
            return bool(self._state[0] >= self._n_values)

    def _parameters(self) -> dict:
        return {"click_channel": self._click, "begin_channel": self._begin,
                "end_channel": self._end, "n_values": self._n_values}
