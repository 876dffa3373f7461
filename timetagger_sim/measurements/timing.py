"""Start-triggered time-difference measurements: ``StartStop``, ``TimeDifferences``, ``Histogram2D``.

Bin ``k`` of every histogram holds time differences ``dt`` with ``k * binwidth <= dt <
(k + 1) * binwidth``; indices are the bins' left edges in ps, as ``Histogram.getIndex``.
"""
from __future__ import annotations

import numpy as np

from ..kernels import markers as km
from .. import validation
from ..constants import CHANNEL_UNUSED
from ..iterator import IteratorBase
from ..taggers.base import TimeTaggerBase
from .correlation import binning

_NO_STARTS = np.empty(0, np.int64)


class StartStop(IteratorBase):
    """Histogram of the time from a start click to the next click, with an unbounded range.

    Each click pairs with the most recent start that no click has used yet (single start,
    single stop); without ``start_channel`` every click stops the previous one and starts anew,
    so all intervals between subsequent clicks are registered. Only non-empty bins are kept.
    """

    def __init__(self, tagger: TimeTaggerBase, click_channel: int, start_channel: int = CHANNEL_UNUSED,
                 binwidth: int = 1000) -> None:
        super().__init__(tagger)
        self._click = tagger._check_channel("click_channel", click_channel)
        start = tagger._check_channel("start_channel", start_channel, optional=True)
        self._start = self._click if start == CHANNEL_UNUSED else start
        self._binwidth = validation.positive_int("binwidth", binwidth, "ps")
        self._clear_data()
        self._register()

    def _channels(self) -> set[int]:
        return {self._click, self._start}

    def _clear_data(self) -> None:
        self._bins: dict[int, int] = {}
        self._pending = np.array([km.NEVER], np.int64)

    def _process(self, ts: np.ndarray, ch: np.ndarray, t0: int, t1: int) -> None:
        found = np.empty(ts.size, np.int64)
        n = km.start_stop(ts, ch, self._click, self._start, self._binwidth, self._pending, found)
        if n:
            keys, counts = np.unique(found[:n], return_counts=True)
            for key, count in zip(keys.tolist(), counts.tolist()):
                self._bins[key] = self._bins.get(key, 0) + count

    def getData(self) -> np.ndarray:
        """N x 2 int64 array of (bin time in ps, counts) for the non-empty bins, in time order."""
        with self._engine.lock:
            keys = np.array(sorted(self._bins), np.int64)
            data = np.empty((keys.size, 2), np.int64)
            data[:, 0] = keys * self._binwidth
            data[:, 1] = [self._bins[k] for k in keys.tolist()]
            return data

    def _parameters(self) -> dict:
        return {"click_channel": self._click, "start_channel": self._start, "binwidth": self._binwidth}


class TimeDifferences(IteratorBase):
    """Multiple-start multiple-stop histograms stepped through by ``next_channel``/``sync_channel``.

    A click counts in the histogram that is current when it arrives. Without ``sync_channel``
    the measurement starts with the first ``next_channel`` tag, which starts histogram 0 (as
    documented; before it the index is -1); each further next tag steps the index and a
    rollover (a next tag in the last histogram) continues at 0 without interruption. Without
    ``next_channel`` everything goes into histogram 0. With ``sync_channel`` the index starts at
    -2 (waiting for a sync tag), a sync tag sets -1 (waiting for the next tag, which starts
    histogram 0) and a rollover waits for sync again. Clicks are ignored while waiting.
    ``setMaxRollovers`` stops counting after that many rollovers; then ``ready()`` is True.
    """

    def __init__(self, tagger: TimeTaggerBase, click_channel: int, start_channel: int = CHANNEL_UNUSED,
                 next_channel: int = CHANNEL_UNUSED, sync_channel: int = CHANNEL_UNUSED,
                 binwidth: int = 1000, n_bins: int = 1000, n_histograms: int = 1) -> None:
        super().__init__(tagger)
        self._click = tagger._check_channel("click_channel", click_channel)
        start = tagger._check_channel("start_channel", start_channel, optional=True)
        self._start = self._click if start == CHANNEL_UNUSED else start
        self._next = tagger._check_channel("next_channel", next_channel, optional=True)
        self._sync = tagger._check_channel("sync_channel", sync_channel, optional=True)
        self._binwidth, self._n_bins = binning(binwidth, n_bins)
        self._n_histograms = validation.positive_int("n_histograms", n_histograms)
        validation.budget("n_histograms x n_bins", self._n_histograms * self._n_bins, 4)
        self._max_rollovers = 0
        self._clear_data()
        self._register()

    def _channels(self) -> set[int]:
        return {self._click, self._start, self._next, self._sync} - {CHANNEL_UNUSED}

    def _has_sync(self) -> bool:
        return self._sync != CHANNEL_UNUSED

    def _clear_data(self) -> None:
        self._hist = np.zeros((self._n_histograms, self._n_bins), np.int32)
        self._starts = _NO_STARTS
        waiting = -2 if self._has_sync() else (-1 if self._next != CHANNEL_UNUSED else 0)
        self._state = np.array([waiting, 0, self._max_rollovers], np.int64)

    def _process(self, ts: np.ndarray, ch: np.ndarray, t0: int, t1: int) -> None:
        after_sync = -1 if self._next != CHANNEL_UNUSED else 0
        after_rollover = -2 if self._has_sync() else 0
        self._starts = km.time_differences(ts, ch, self._click, self._start, self._next, self._sync,
                                           after_sync, after_rollover, self._binwidth, self._starts,
                                           self._state, self._hist)

    def getData(self) -> np.ndarray:
        """Counts, n_histograms x n_bins (int32)."""
        with self._engine.lock:
            return self._hist.copy()

    def getIndex(self) -> np.ndarray:
        """Left edge of each bin in ps (int64)."""
        return np.arange(self._n_bins, dtype=np.int64) * self._binwidth

    def getHistogramIndex(self) -> int:
        """-2 waiting for sync, -1 waiting for next (the first one, or the one after a sync), else the index."""
        with self._engine.lock:
            return int(self._state[0])

    def getCounts(self) -> int:
        """Number of rollovers (histogram index resets) since creation or ``clear``."""
        with self._engine.lock:
            return int(self._state[1])

    def setMaxRollovers(self, max_rollovers: int) -> None:
        """Stop counting after ``max_rollovers`` rollovers (0: never stop)."""
        value = validation.integer("max_rollovers", max_rollovers)
        if value < 0:
            raise ValueError(f"max_rollovers must be 0 (unlimited) or positive, got {value}")
        with self._engine.lock:
            self._max_rollovers = value
            self._state[2] = value

    def setMaxCounts(self, max_counts: int) -> None:
        """Deprecated alias of ``setMaxRollovers``, as in the library."""
        self.setMaxRollovers(max_counts)

    def ready(self) -> bool:
        """True once the number of rollovers set by ``setMaxRollovers`` is reached."""
        with self._engine.lock:
            return bool(self._max_rollovers > 0 and self._state[1] >= self._max_rollovers)

    def _parameters(self) -> dict:
        return {"click_channel": self._click, "start_channel": self._start,
                "next_channel": self._next, "sync_channel": self._sync, "binwidth": self._binwidth,
                "n_bins": self._n_bins, "n_histograms": self._n_histograms}


class Histogram2D(IteratorBase):
    """2D histogram of (first stop_1 after a start, first stop_2 after the same start).

    Single start per axis: after a start the first click of each stop channel is taken; when
    both are seen the pair is counted (if inside both ranges) and the next start is awaited.
    A new start before both stops discards the incomplete pair.
    """

    def __init__(self, tagger: TimeTaggerBase, start_channel: int, stop_channel_1: int, stop_channel_2: int,
                 binwidth_1: int, binwidth_2: int, n_bins_1: int, n_bins_2: int) -> None:
        super().__init__(tagger)
        self._start = tagger._check_channel("start_channel", start_channel)
        self._stop_1 = tagger._check_channel("stop_channel_1", stop_channel_1)
        self._stop_2 = tagger._check_channel("stop_channel_2", stop_channel_2)
        self._binwidth_1 = validation.positive_int("binwidth_1", binwidth_1, "ps")
        self._binwidth_2 = validation.positive_int("binwidth_2", binwidth_2, "ps")
        self._n_bins_1 = validation.positive_int("n_bins_1", n_bins_1)
        self._n_bins_2 = validation.positive_int("n_bins_2", n_bins_2)
        validation.budget("n_bins_1 x n_bins_2", self._n_bins_1 * self._n_bins_2, 4 * 2 * 8)
        self._clear_data()
        self._register()

    def _channels(self) -> set[int]:
        return {self._start, self._stop_1, self._stop_2}

    def _clear_data(self) -> None:
        self._hist = np.zeros((self._n_bins_1, self._n_bins_2), np.int32)
        self._state = np.array([km.NEVER, -1, -1], np.int64)

    def _process(self, ts: np.ndarray, ch: np.ndarray, t0: int, t1: int) -> None:
        km.histogram_2d(ts, ch, self._start, self._stop_1, self._stop_2, self._binwidth_1,
                        self._binwidth_2, self._state, self._hist)

    def getData(self) -> np.ndarray:
        """Counts, n_bins_1 x n_bins_2 (int32)."""
        with self._engine.lock:
            return self._hist.copy()

    def getIndex_1(self) -> np.ndarray:
        """Left edge of each bin of axis 1 in ps (int64)."""
        return np.arange(self._n_bins_1, dtype=np.int64) * self._binwidth_1

    def getIndex_2(self) -> np.ndarray:
        """Left edge of each bin of axis 2 in ps (int64)."""
        return np.arange(self._n_bins_2, dtype=np.int64) * self._binwidth_2

    def getIndex(self) -> np.ndarray:
        """n_bins_1 x n_bins_2 x 2 (int64): the meshgrid of the two axes ([..., 0] axis 1)."""
        grid_1, grid_2 = np.meshgrid(self.getIndex_1(), self.getIndex_2(), indexing="ij")
        return np.stack((grid_1, grid_2), axis=-1)

    def _parameters(self) -> dict:
        return {"start_channel": self._start, "stop_channel_1": self._stop_1,
                "stop_channel_2": self._stop_2, "binwidth_1": self._binwidth_1,
                "binwidth_2": self._binwidth_2, "n_bins_1": self._n_bins_1, "n_bins_2": self._n_bins_2}


def _int_list(name: str, values: object) -> list[int]:
    if isinstance(values, (str, bytes)) or not hasattr(values, "__iter__"):
        raise TypeError(f"{name} must be a list of integers, got {values!r}")
    return [validation.integer(name, v) for v in values]


class HistogramND(IteratorBase):
    """``Histogram2D`` for any number of axes: the first click of each stop channel after a start
    gives one count at (dt_1, dt_2, ...); ``getData`` is flat, row-major over ``n_bins``."""

    def __init__(self, tagger: TimeTaggerBase, start_channel: int, stop_channels: list[int], binwidths: list[int],
                 n_bins: list[int]) -> None:
        super().__init__(tagger)
        self._start = tagger._check_channel("start_channel", start_channel)
        stops = [tagger._check_channel("stop_channels", c) for c in _int_list("stop_channels", stop_channels)]
        widths = [validation.positive_int("binwidths", w, "ps") for w in _int_list("binwidths", binwidths)]
        counts = [validation.positive_int("n_bins", n) for n in _int_list("n_bins", n_bins)]
        if not stops or not len(stops) == len(widths) == len(counts):
            raise ValueError(f"stop_channels, binwidths and n_bins must have the same (non-zero) length, got "
                             f"{len(stops)}, {len(widths)}, {len(counts)}")
        validation.budget("product of n_bins", int(np.prod(np.array(counts, dtype=object))), 4)
        self._stops = np.array(stops, np.int32)
        self._binwidths = np.array(widths, np.int64)
        self._n_bins = np.array(counts, np.int64)
        self._clear_data()
        self._register()

    def _channels(self) -> set[int]:
        return {self._start, *self._stops.tolist()}

    def _clear_data(self) -> None:
        self._hist = np.zeros(int(np.prod(self._n_bins)), np.int32)
        self._state = np.concatenate(([km.NEVER], np.full(self._stops.size, -1))).astype(np.int64)

    def _process(self, ts: np.ndarray, ch: np.ndarray, t0: int, t1: int) -> None:
        km.histogram_nd(ts, ch, self._start, self._stops, self._binwidths, self._n_bins, self._state, self._hist)

    def getData(self) -> np.ndarray:
        """Counts, flat in row-major order of ``n_bins`` (int32): ``reshape(n_bins)`` gives the N-d array."""
        with self._engine.lock:
            return self._hist.copy()

    def getIndex(self, dim: int = 0) -> np.ndarray:
        """Left edge of each bin of axis ``dim`` in ps (int64)."""
        axis = validation.integer("dim", dim)
        if not 0 <= axis < self._stops.size:
            raise ValueError(f"dim {axis} is out of range: allowed 0 to {self._stops.size - 1}")
        return np.arange(self._n_bins[axis], dtype=np.int64) * self._binwidths[axis]

    def _parameters(self) -> dict:
        return {"start_channel": self._start, "stop_channels": self._stops.tolist(),
                "binwidths": self._binwidths.tolist(), "n_bins": self._n_bins.tolist()}


class TimeDifferencesND(IteratorBase):
    """``TimeDifferences`` with one histogram index per dimension, each stepped by its own next
    channel and reset by its own sync channel (see ``kernels.markers.time_differences_nd``).

    ``getData`` is prod(n_histograms) x n_bins, the histogram of indices (i0, i1, ...) in row
    i0 + n0 * (i1 + n1 * (...)) (the leftmost index changes fastest, as the library documents).
    """

    def __init__(self, tagger: TimeTaggerBase, click_channel: int, start_channel: int, next_channels: list[int],
                 sync_channels: list[int], n_histograms: list[int], binwidth: int, n_bins: int) -> None:
        super().__init__(tagger)
        self._click = tagger._check_channel("click_channel", click_channel)
        start = tagger._check_channel("start_channel", start_channel, optional=True)
        self._start = self._click if start == CHANNEL_UNUSED else start
        nexts = [tagger._check_channel("next_channels", c) for c in _int_list("next_channels", next_channels)]
        syncs = [tagger._check_channel("sync_channels", c, optional=True)
                 for c in _int_list("sync_channels", sync_channels)]
        counts = [validation.positive_int("n_histograms", n) for n in _int_list("n_histograms", n_histograms)]
        if not nexts or not len(nexts) == len(syncs) == len(counts):
            raise ValueError(f"next_channels, sync_channels and n_histograms must have the same (non-zero) length, "
                             f"got {len(nexts)}, {len(syncs)}, {len(counts)}")
        self._binwidth, self._n_bins = binning(binwidth, n_bins)
        validation.budget("prod(n_histograms) x n_bins", int(np.prod(np.array(counts, dtype=object))) * self._n_bins, 4)
        self._nexts = np.array(nexts, np.int32)
        self._syncs = np.array(syncs, np.int32)
        self._n_hist = np.array(counts, np.int64)
        self._max_rollovers = np.zeros(len(nexts), np.int64)
        self._clear_data()
        self._register()

    def _channels(self) -> set[int]:
        return {self._click, self._start, *self._nexts.tolist(), *self._syncs.tolist()} - {CHANNEL_UNUSED}

    def _clear_data(self) -> None:
        self._hist = np.zeros((int(np.prod(self._n_hist)), self._n_bins), np.int32)
        self._starts = _NO_STARTS
        self._index = np.where(self._syncs != CHANNEL_UNUSED, -2, -1).astype(np.int64)
        self._rollovers = np.zeros(self._nexts.size, np.int64)

    def _process(self, ts: np.ndarray, ch: np.ndarray, t0: int, t1: int) -> None:
        self._starts = km.time_differences_nd(ts, ch, self._click, self._start, self._nexts, self._syncs,
                                              self._n_hist, self._binwidth, self._starts, self._index,
                                              self._rollovers, self._max_rollovers, self._hist)

    def getData(self) -> np.ndarray:
        """Counts, prod(n_histograms) x n_bins (int32)."""
        with self._engine.lock:
            return self._hist.copy()

    def getIndex(self) -> np.ndarray:
        """Left edge of each bin in ps (int64)."""
        return np.arange(self._n_bins, dtype=np.int64) * self._binwidth

    def getHistogramIndex(self) -> np.ndarray:
        """The index of each dimension (int32): -2 waiting for sync, -1 waiting for next, else the index."""
        with self._engine.lock:
            return self._index.astype(np.int32)

    def getRollovers(self) -> np.ndarray:
        """Rollovers per dimension (uint64)."""
        with self._engine.lock:
            return self._rollovers.astype(np.uint64)

    def setMaxRollovers(self, max_rollovers: list[int]) -> None:
        """Stop once any dimension reaches its number of rollovers (0: never)."""
        values = _int_list("max_rollovers", max_rollovers)
        if len(values) != self._nexts.size or any(v < 0 for v in values):
            raise ValueError(f"max_rollovers must give one number >= 0 per dimension ({self._nexts.size}), got {values}")
        with self._engine.lock:
            self._max_rollovers[:] = values

    def _parameters(self) -> dict:
        return {"click_channel": self._click, "start_channel": self._start, "next_channels": self._nexts.tolist(),
                "sync_channels": self._syncs.tolist(), "n_histograms": self._n_hist.tolist(),
                "binwidth": self._binwidth, "n_bins": self._n_bins}
