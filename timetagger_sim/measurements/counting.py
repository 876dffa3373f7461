"""Count rates and binned counts: ``Countrate``, ``Counter`` and its ``CounterData``."""
from __future__ import annotations

import numpy as np

from .. import validation
from ..kernels.stream import lookup_rows
from ..engine.blocks import EMPTY_CH, EMPTY_TS, Gap
from ..iterator import IteratorBase
from ..taggers.base import TimeTaggerBase


def _checked_channels(tagger: TimeTaggerBase, channels: object) -> np.ndarray:
    numbers = validation.channel_list("channels", channels)
    if not numbers:
        raise ValueError("channels must name at least one channel")
    return np.array([tagger._check_channel("channels", c) for c in numbers], dtype=np.int32)


class ChannelRows:
    """Maps each tag to the position of its channel in ``channels`` (-1 if not listed).

    The lookup table is built once, when the measurement is made, not per block.
    """

    def __init__(self, channels: np.ndarray) -> None:
        self._offset = int(channels.min())
        self._table = np.full(int(channels.max()) - self._offset + 1, -1, np.int64)
        self._table[channels - self._offset] = np.arange(channels.size)

    def __call__(self, ch: np.ndarray) -> np.ndarray:
        return lookup_rows(ch, self._table, self._offset)


class Countrate(IteratorBase):
    """Mean click rate (Hz) per channel since the first click after creation or ``clear``.

    Counts the tags lost in overflows too (their number survives), so it stays right when the
    input rate exceeds the transfer rate, as the library documents.
    """

    def __init__(self, tagger: TimeTaggerBase, channels: list[int]) -> None:
        super().__init__(tagger)
        self._channel_array = _checked_channels(tagger, channels)
        self._rows = ChannelRows(self._channel_array)
        self._clear_data()
        self._register()

    def _channels(self) -> set[int]:
        return set(self._channel_array.tolist())

    def _clear_data(self) -> None:
        self._counts = np.zeros(self._channel_array.size, np.int64)
        self._first: int | None = None
        self._end = 0

    def _process(self, ts: np.ndarray, ch: np.ndarray, t0: int, t1: int) -> None:
        rows = self._rows(ch)
        mine = rows >= 0
        if self._first is None and mine.any():
            self._first = int(ts[np.argmax(mine)])
        self._counts += np.bincount(rows[mine], minlength=self._channel_array.size)
        self._end = t1

    def _gap(self, gap: Gap) -> None:
        missed = gap.missed_on(self._channel_array)
        if self._first is None and missed.any():
            self._first = gap.begin
        self._counts += missed
        self._end = gap.end

    def getData(self) -> np.ndarray:
        """Rate per channel in Hz (float64); zero before the first click."""
        with self._engine.lock:
            if self._first is None or self._end <= self._first:
                return np.zeros(self._counts.size, np.float64)
            return self._counts / ((self._end - self._first) * 1e-12)

    def getCountsTotal(self) -> np.ndarray:
        """Clicks per channel (int64) since creation or ``clear``."""
        with self._engine.lock:
            return self._counts.copy()

    def _parameters(self) -> dict:
        return {"channels": self._channel_array.tolist()}


class CounterData:
    """A snapshot of the bins of a ``Counter`` buffer (see ``Counter.getDataObject``)."""

    def __init__(self, channels: np.ndarray, binwidth: int, counts: np.ndarray, starts: np.ndarray,
                 overflow: np.ndarray, totals: np.ndarray, dropped_bins: int) -> None:
        self._channels = channels
        self._binwidth = binwidth
        self._counts = counts
        self._starts = starts
        self._overflow = overflow
        self._totals = totals
        self._dropped_bins = int(dropped_bins)

    @property
    def size(self) -> int:
        """Number of bins in this object."""
        return int(self._counts.shape[1])

    @property
    def dropped_bins(self) -> int:
        """Bins overwritten in the buffer before a ``getDataObject(remove=True)`` took them."""
        return self._dropped_bins

    @property
    def overflow(self) -> bool:
        """True if any of the returned bins was (partly) in overflow mode."""
        return bool(self._overflow.any())

    def getChannels(self) -> np.ndarray:
        """The channels of the rows of the data (int32)."""
        return self._channels.copy()

    def getData(self) -> np.ndarray:
        """Counts, channels x bins (int32), fully integrated bins only."""
        return self._counts.copy()

    def getDataNormalized(self) -> np.ndarray:
        """Rates in Hz, channels x bins (float64); NaN for bins in overflow mode."""
        return self.getFrequency()

    def getFrequency(self, time_scale: int = 1_000_000_000_000) -> np.ndarray:
        """Counts per ``time_scale`` ps (negative: per binwidth), channels x bins; NaN in overflow."""
        scale = self._binwidth if time_scale < 0 else time_scale
        result = self._counts * (scale / self._binwidth)
        result[:, self._overflow] = np.nan
        return result

    def getDataTotalCounts(self) -> np.ndarray:
        """Events per channel since the last clear, bin being integrated excluded, overflows included (uint64)."""
        return self._totals.copy()

    def getIndex(self) -> np.ndarray:
        """Time of each bin relative to the first of this object: 0, binwidth, ... (int64, ps)."""
        return np.arange(self.size, dtype=np.int64) * self._binwidth

    def getTime(self) -> np.ndarray:
        """Stream time (ps) at which each bin began (int64); concatenates across objects."""
        return self._starts.copy()

    def getOverflowMask(self) -> np.ndarray:
        """1 for bins that were (partly) in overflow mode (int8)."""
        return self._overflow.astype(np.int8)


class Counter(IteratorBase):
    """Counts per channel in consecutive bins of ``binwidth`` ps; a rolling buffer of ``n_values``.

    A bin enters the buffer once its integration time is over. Bins are laid on the capture
    time, so ``stop``/``start`` pauses without cutting a bin. A bin an overflow touched is marked
    (NaN in the normalised data); the overflow's missed events still count in the totals.
    """

    def __init__(self, tagger: TimeTaggerBase, channels: list[int], binwidth: int = 1_000_000_000,
                 n_values: int = 1) -> None:
        super().__init__(tagger)
        self._channel_array = _checked_channels(tagger, channels)
        self._rows = ChannelRows(self._channel_array)
        self._binwidth = validation.positive_int("binwidth", binwidth, "ps")
        self._n_values = validation.positive_int("n_values", n_values)
        validation.budget("channels x n_values", self._channel_array.size * self._n_values, 4)
        self._clear_data()
        self._register()

    def _channels(self) -> set[int]:
        return set(self._channel_array.tolist())

    def _clear_data(self) -> None:
        n_ch = self._channel_array.size
        self._ring = np.zeros((n_ch, self._n_values), np.int32)
        self._ring_start = np.zeros(self._n_values, np.int64)
        self._ring_overflow = np.zeros(self._n_values, bool)
        self._completed = 0                     # bins completed since clear
        self._valid = 0                         # bins in the buffer (not overwritten or removed)
        self._dropped = 0                       # bins overwritten since the last removal
        self._partial = np.zeros(n_ch, np.int64)
        self._partial_missed = np.zeros(n_ch, np.int64)
        self._partial_overflow = False
        self._in_gap = False
        self._totals = np.zeros(n_ch, np.uint64)
        self._pending_start = None

    def _process(self, ts: np.ndarray, ch: np.ndarray, t0: int, t1: int) -> None:
        bw = self._binwidth
        cap0 = self._capture_ps
        first_bin = cap0 // bw
        done_until = (cap0 + (t1 - t0)) // bw        # bins below this index are complete
        n_cols = done_until - first_bin + 1
        if self._pending_start is None:
            self._pending_start = t0 - (cap0 - first_bin * bw)
        n_ch = self._channel_array.size
        rows = self._rows(ch)
        mine = rows >= 0
        cols = (ts[mine] - t0 + cap0) // bw - first_bin
        counts = np.bincount(rows[mine] * n_cols + cols, minlength=n_ch * n_cols).reshape(n_ch, n_cols)
        counts[:, 0] += self._partial
        n_done = n_cols - 1
        if n_done > 0:
            starts = self._pending_start + np.arange(n_done, dtype=np.int64) * bw
            overflow = np.full(n_done, self._in_gap)
            overflow[0] |= self._partial_overflow
            self._totals += (counts[:, :n_done].sum(axis=1) + self._partial_missed).astype(np.uint64)
            self._partial_missed[:] = 0
            self._push_bins(counts[:, :n_done], starts, overflow)
            self._pending_start = int(starts[-1] + bw)
            self._partial_overflow = self._in_gap
        self._partial = counts[:, n_done].copy()

    def _gap(self, gap: Gap) -> None:
        self._partial_overflow = True
        self._in_gap = True
        self._process(EMPTY_TS, EMPTY_CH, gap.begin, gap.end)
        self._in_gap = False
        self._partial_overflow = True
        self._partial_missed += gap.missed_on(self._channel_array)

    def _push_bins(self, bins: np.ndarray, starts: np.ndarray, overflow: np.ndarray) -> None:
        n = self._n_values
        new = bins.shape[1]
        k = self._completed + np.arange(new)
        keep = slice(max(0, new - n), None)
        self._ring[:, k[keep] % n] = bins[:, keep]
        self._ring_start[k[keep] % n] = starts[keep]
        self._ring_overflow[k[keep] % n] = overflow[keep]
        self._completed += new
        self._dropped += max(0, self._valid + new - n)
        self._valid = min(n, self._valid + new)

    def _rolled(self, array: np.ndarray) -> np.ndarray:
        """``array`` (last axis: the ring) ordered oldest to newest."""
        return np.roll(array, -(self._completed % self._n_values), axis=-1)

    def _valid_mask(self, rolling: bool) -> np.ndarray:
        """True for buffer positions holding a bin (the newest ``_valid`` ones)."""
        mask = np.zeros(self._n_values, bool)
        mask[self._n_values - self._valid:] = True
        return mask if rolling else np.roll(mask, self._completed % self._n_values)

    def getData(self, rolling: bool = True) -> np.ndarray:
        """Counts, channels x n_values (int32); with ``rolling`` the newest completed bin is last."""
        with self._engine.lock:
            data = self._rolled(self._ring) if rolling else self._ring.copy()
            data[:, ~self._valid_mask(rolling)] = 0
            return data

    def getDataNormalized(self, rolling: bool = True) -> np.ndarray:
        """Rates in Hz, channels x n_values (float64); NaN where the buffer holds no bin or an overflow hit it."""
        with self._engine.lock:
            rates = self.getData(rolling) / (self._binwidth * 1e-12)
            overflow = self._rolled(self._ring_overflow) if rolling else self._ring_overflow
            rates[:, ~self._valid_mask(rolling) | overflow] = np.nan
            return rates

    def getDataTotalCounts(self) -> np.ndarray:
        """Events per channel since creation or ``clear`` (uint64): completed bins, overflows included."""
        with self._engine.lock:
            return self._totals.copy()

    def getIndex(self) -> np.ndarray:
        """Time of each bin relative to the first: 0, binwidth, ... (int64, ps)."""
        return np.arange(self._n_values, dtype=np.int64) * self._binwidth

    def getDataObject(self, remove: bool = False) -> CounterData:
        """A snapshot of the bins in the buffer, oldest first.

        With ``remove`` the returned bins leave the buffer, so successive calls deliver every
        bin exactly once; ``dropped_bins`` counts those overwritten before being removed.
        """
        with self._engine.lock:
            valid = self._valid
            cols = slice(self._n_values - valid, None)
            result = CounterData(self._channel_array.copy(), self._binwidth,
                                 self._rolled(self._ring)[:, cols].copy(),
                                 self._rolled(self._ring_start)[cols].copy(),
                                 self._rolled(self._ring_overflow)[cols].copy(),
                                 self._totals.copy(), self._dropped)
            if remove:
                self._valid = 0
                self._dropped = 0
            return result

    def _parameters(self) -> dict:
        return {"channels": self._channel_array.tolist(), "binwidth": self._binwidth,
                "n_values": self._n_values}
