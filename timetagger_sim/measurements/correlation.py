"""Multiple-start multiple-stop time differences: ``Histogram``, ``Correlation``, ``CorrelationPairs``."""
from __future__ import annotations

import numpy as np

from .. import validation
from ..kernels.pairs import correlation_pairs, pair_histogram
from ..kernels.stream import lookup_rows
from ..constants import CHANNEL_UNUSED
from ..iterator import IteratorBase
from ..taggers.base import TimeTaggerBase

_NO_STARTS = np.empty(0, np.int64)


def binning(binwidth: object, n_bins: object) -> tuple[int, int]:
    """Validated (binwidth, n_bins)."""
    return (validation.positive_int("binwidth", binwidth, "ps"),
            validation.budget("n_bins", validation.positive_int("n_bins", n_bins), 4))


class Histogram(IteratorBase):
    """Multiple-start, multiple-stop histogram of click times after each start, ``n_bins`` x ``binwidth``.

    Without ``start_channel`` the click channel is also the start channel.
    """

    def __init__(self, tagger: TimeTaggerBase, click_channel: int, start_channel: int = CHANNEL_UNUSED,
                 binwidth: int = 1000, n_bins: int = 1000) -> None:
        super().__init__(tagger)
        self._click = tagger._check_channel("click_channel", click_channel)
        start = tagger._check_channel("start_channel", start_channel, optional=True)
        self._start = self._click if start == CHANNEL_UNUSED else start
        self._binwidth, self._n_bins = binning(binwidth, n_bins)
        self._clear_data()
        self._register()

    def _channels(self) -> set[int]:
        return {self._click, self._start}

    def _clear_data(self) -> None:
        self._hist = np.zeros(self._n_bins, np.int32)
        self._starts = _NO_STARTS

    def _process(self, ts: np.ndarray, ch: np.ndarray, t0: int, t1: int) -> None:
        self._starts = pair_histogram(ts, ch, self._click, self._start, self._starts,
                                              self._binwidth * self._n_bins, self._binwidth, 0, 0,
                                              self._hist)

    def getData(self) -> np.ndarray:
        """Counts per bin (int32)."""
        with self._engine.lock:
            return self._hist.copy()

    def getIndex(self) -> np.ndarray:
        """Left edge of each bin in ps (int64)."""
        return np.arange(self._n_bins, dtype=np.int64) * self._binwidth

    def _parameters(self) -> dict:
        return {"click_channel": self._click, "start_channel": self._start,
                "binwidth": self._binwidth, "n_bins": self._n_bins}


class Correlation(IteratorBase):
    """Histogram of t(channel_1) - t(channel_2) for every pair of clicks, both signs.

    Every click is both start and stop. Bins cover [-W, W) with W = n_bins * binwidth / 2;
    ``getIndex`` gives bin centres. Without ``channel_2`` it is the auto-correlation of
    ``channel_1`` (a click never pairs with itself).
    """

    def __init__(self, tagger: TimeTaggerBase, channel_1: int, channel_2: int = CHANNEL_UNUSED,
                 binwidth: int = 1000, n_bins: int = 1000) -> None:
        super().__init__(tagger)
        self._ch1 = tagger._check_channel("channel_1", channel_1)
        ch2 = tagger._check_channel("channel_2", channel_2, optional=True)
        self._ch2 = self._ch1 if ch2 == CHANNEL_UNUSED else ch2
        self._binwidth, self._n_bins = binning(binwidth, n_bins)
        self._half = self._binwidth * self._n_bins // 2
        self._clear_data()
        self._register()

    def _channels(self) -> set[int]:
        return {self._ch1, self._ch2}

    def _clear_data(self) -> None:
        self._hist = np.zeros(self._n_bins, np.int32)
        self._starts_pos = _NO_STARTS
        self._starts_neg = _NO_STARTS
        self._n1 = 0
        self._n2 = 0

    def _process(self, ts: np.ndarray, ch: np.ndarray, t0: int, t1: int) -> None:
        bw, half = self._binwidth, self._half
        # Positive side: clicks on channel_1 after channel_2; negative side: the reverse.
        self._starts_pos = pair_histogram(ts, ch, self._ch1, self._ch2, self._starts_pos,
                                                  half, bw, 1, half, self._hist)
        self._starts_neg = pair_histogram(ts, ch, self._ch2, self._ch1, self._starts_neg,
                                                  half, bw, 2, half, self._hist)
        self._n1 += int(np.count_nonzero(ch == self._ch1))
        self._n2 += int(np.count_nonzero(ch == self._ch2))

    def getData(self) -> np.ndarray:
        """Counts per bin (int32)."""
        with self._engine.lock:
            return self._hist.copy()

    def getDataNormalized(self) -> np.ndarray:
        """g2: counts * T / (binwidth * N1 * N2); about 1 for uncorrelated clicks (float64)."""
        with self._engine.lock:
            data = self.getData().astype(np.float64)
            if self._n1 == 0 or self._n2 == 0 or self._capture_ps == 0:
                return np.zeros_like(data)
            return data * self._capture_ps / (self._binwidth * float(self._n1) * float(self._n2))

    def getIndex(self) -> np.ndarray:
        """Centre of each bin in ps (int64), symmetric around zero."""
        return np.arange(self._n_bins, dtype=np.int64) * self._binwidth - self._half + self._binwidth // 2

    def _parameters(self) -> dict:
        return {"channel_1": self._ch1, "channel_2": self._ch2, "binwidth": self._binwidth,
                "n_bins": self._n_bins}


class CorrelationPairsData:
    """A snapshot of a ``CorrelationPairs``: histograms of every (start, stop) channel pair."""

    def __init__(self, counts: np.ndarray, zero_bin: int, index: np.ndarray, binwidth: int,
                 capture: int, totals: np.ndarray) -> None:
        self._counts = counts
        self._zero_bin = zero_bin
        self._index = index
        self._binwidth = binwidth
        self._capture = capture
        self._totals = totals

    def getCounts(self, exclude_self_coincidences: bool = True) -> np.ndarray:
        """n_channels x n_channels x n_bins (int32): [start, stop, bin]; with False, each tag's pair
        with itself adds to the zero-delay bin of the autocorrelations."""
        counts = self._counts.copy()
        if not exclude_self_coincidences and self._zero_bin < counts.shape[2]:
            idx = np.arange(counts.shape[0])
            counts[idx, idx, self._zero_bin] += self._totals.astype(np.int32)
        return counts

    def getG2(self, exclude_self_coincidences: bool = True) -> np.ndarray:
        """counts * T / (binwidth * N_start * N_stop) per pair (float64); about 1 for uncorrelated clicks."""
        counts = self.getCounts(exclude_self_coincidences).astype(np.float64)
        norm = self._binwidth * np.outer(self._totals, self._totals).astype(np.float64)
        with np.errstate(divide="ignore", invalid="ignore"):
            return np.where(norm[:, :, None] > 0, counts * self._capture / norm[:, :, None], 0.0)

    def getIndex(self) -> np.ndarray:
        """Centre of each bin in ps (int64), as ``Correlation.getIndex``."""
        return self._index.copy()


class CorrelationPairs(IteratorBase):
    """``Correlation`` of every pair of ``channels`` at once (all clicks are starts and stops).

    ``getDataObject().getCounts()[i, j]`` equals ``Correlation(channel_1=channels[j],
    channel_2=channels[i])``: start channel i, stop channel j.
    """

    def __init__(self, tagger: TimeTaggerBase, channels: list[int], binwidth: int = 1000, n_bins: int = 1000) -> None:
        super().__init__(tagger)
        numbers = validation.channel_list("channels", channels)
        if not numbers or len(set(numbers)) != len(numbers):
            raise ValueError(f"channels must list one or more different channels, got {numbers}")
        self._channel_array = np.array([tagger._check_channel("channels", c) for c in numbers], np.int32)
        self._binwidth, self._n_bins = binning(binwidth, n_bins)
        validation.budget("channels^2 x n_bins", self._channel_array.size ** 2 * self._n_bins, 4)
        self._half = self._binwidth * self._n_bins // 2
        table_offset = int(self._channel_array.min())
        self._table = np.full(int(self._channel_array.max()) - table_offset + 1, -1, np.int64)
        self._table[self._channel_array - table_offset] = np.arange(self._channel_array.size)
        self._table_offset = table_offset
        self._clear_data()
        self._register()

    def _channels(self) -> set[int]:
        return set(self._channel_array.tolist())

    def _clear_data(self) -> None:
        n = self._channel_array.size
        self._hist = np.zeros((n, n, self._n_bins), np.int32)
        self._totals = np.zeros(n, np.int64)
        self._buf_t, self._buf_r = _NO_STARTS, _NO_STARTS

    def _process(self, ts: np.ndarray, ch: np.ndarray, t0: int, t1: int) -> None:
        rows = lookup_rows(ch, self._table, self._table_offset)
        self._buf_t, self._buf_r = correlation_pairs(ts, rows, self._buf_t, self._buf_r, self._half,
                                                     self._binwidth, self._hist)
        self._totals += np.bincount(rows[rows >= 0], minlength=self._channel_array.size)

    def getIndex(self) -> np.ndarray:
        """Centre of each bin in ps (int64), symmetric around zero."""
        return np.arange(self._n_bins, dtype=np.int64) * self._binwidth - self._half + self._binwidth // 2

    def getDataObject(self) -> CorrelationPairsData:
        """A snapshot of every pair's histogram with what normalises it."""
        with self._engine.lock:
            return CorrelationPairsData(self._hist.copy(), self._half // self._binwidth, self.getIndex(),
                                        self._binwidth, self._capture_ps, self._totals.copy())

    def _parameters(self) -> dict:
        return {"channels": self._channel_array.tolist(), "binwidth": self._binwidth, "n_bins": self._n_bins}
