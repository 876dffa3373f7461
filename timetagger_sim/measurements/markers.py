"""Counts in bins opened and closed by marker channels: ``GatedCounter`` and ``CountBetweenMarkers``."""
from __future__ import annotations

import numpy as np

from .. import validation
from ..constants import CHANNEL_UNUSED
from ..iterator import IteratorBase
from ..kernels import markers as km
from ..taggers.base import TimeTaggerBase
from .counting import ChannelRows


class _MarkerCounter(IteratorBase):
    """Counts clicks from each ``begin_channel`` tag to the next begin (or end) tag.

    A begin tag closes the open bin and opens the next one; an ``end_channel`` tag closes the
    open bin without opening another. Once ``n_values`` bins are complete the measurement is
    full (``ready()``) and counts nothing more until ``clear``. The bin still open is visible in
    ``getData`` with a bin width of 0.
    """

    def _setup(self, tagger: TimeTaggerBase, clicks: list[int], begin_channel: int, end_channel: int,
               n_values: int) -> None:
        IteratorBase.__init__(self, tagger)
        self._clicks = np.array(clicks, np.int32)
        self._rows = ChannelRows(self._clicks)
        self._begin = tagger._check_channel("begin_channel", begin_channel)
        self._end = tagger._check_channel("end_channel", end_channel, optional=True)
        if self._end == self._begin:
            raise ValueError(f"end_channel={self._end} must differ from begin_channel={self._begin} "
                             "(or be CHANNEL_UNUSED)")
        self._n_values = validation.positive_int("n_values", n_values)
        validation.budget("channels x n_values", (self._clicks.size + 2) * self._n_values, 8)
        self._clear_data()
        self._register()

    def _channels(self) -> set[int]:
        return set(self._clicks.tolist()) | ({self._begin, self._end} - {CHANNEL_UNUSED})

    def _clear_data(self) -> None:
        self._data = np.zeros((self._clicks.size, self._n_values), np.int32)
        self._starts = np.zeros(self._n_values, np.int64)
        self._widths = np.zeros(self._n_values, np.int64)
        self._state = np.zeros(2, np.int64)     # [completed bins, a bin is open]

    def _process(self, ts: np.ndarray, ch: np.ndarray, t0: int, t1: int) -> None:
        if self._state[0] < self._n_values:
            km.gated_counter(ts, ch, self._rows(ch), self._begin, self._end, self._data, self._starts,
                             self._widths, self._state)

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


class GatedCounter(_MarkerCounter):
    """Counts of several ``click_channels`` between marker tags; ``getData`` is channels x n_values."""

    def __init__(self, tagger: TimeTaggerBase, click_channels: list[int], begin_channel: int,
                 end_channel: int = CHANNEL_UNUSED, n_values: int = 1000) -> None:
        numbers = validation.channel_list("click_channels", click_channels)
        if not numbers:
            raise ValueError("click_channels must name at least one channel, got an empty list")
        self._setup(tagger, [tagger._check_channel("click_channels", c) for c in numbers], begin_channel,
                    end_channel, n_values)

    def getData(self) -> np.ndarray:
        """Counts per click channel and bin, channels x n_values (int32)."""
        with self._engine.lock:
            return self._data.copy()

    def _parameters(self) -> dict:
        return {"click_channels": self._clicks.tolist(), "begin_channel": self._begin,
                "end_channel": self._end, "n_values": self._n_values}


class CountBetweenMarkers(_MarkerCounter):
    """The single-channel ``GatedCounter`` (deprecated in the library since 2.22)."""

    def __init__(self, tagger: TimeTaggerBase, click_channel: int, begin_channel: int,
                 end_channel: int = CHANNEL_UNUSED, n_values: int = 1000) -> None:
        self._setup(tagger, [tagger._check_channel("click_channel", click_channel)], begin_channel,
                    end_channel, n_values)

    def getData(self) -> np.ndarray:
        """Counts per bin, n_values (int32)."""
        with self._engine.lock:
            return self._data[0].copy()

    def _parameters(self) -> dict:
        return {"click_channel": int(self._clicks[0]), "begin_channel": self._begin,
                "end_channel": self._end, "n_values": self._n_values}
