"""``HistogramLogBins``: a multiple-start multiple-stop histogram on logarithmic bins, with g2.

Normalisation (the library's): g2(tau) = H(tau) / (I(tau) * C_click * C_start) with the count
rates C = N / t and I(tau) the time during which a start could have produced a pair in the bin.
For a gap-free acquisition of length T and a bin [e0, e1) of width w, I = w * (T - e1) + w^2 / 2
once T >= e1, (T - e0)^2 / 2 while e0 < T < e1 and 0 before: so a bin starts to accumulate
(and to be normalised) only once its delays fit into the acquisition, and I / T tends to w
for T >> 10^exp_stop s. ``stop``/``start`` begins a new segment: pairs never span a pause and
I sums over segments. Simulator difference: the gate arguments ``click_gate``/``start_gate``
(``ChannelGate``) are not supported; they must be None.
"""
from __future__ import annotations

import numpy as np

from ..kernels import markers as km
from .. import validation
from ..constants import CHANNEL_UNUSED
from ..iterator import IteratorBase
from ..taggers.base import TimeTaggerBase

_NO_STARTS = np.empty(0, np.int64)
#: Bin edges must fit in int64 picoseconds with room for differences: 10^6 s at most.
_EXP_RANGE = (-12.0, 6.0)


def overlap_time(edges: np.ndarray, duration: int) -> np.ndarray:
    """I(tau) per bin for one gap-free segment of ``duration`` ps (float64, see module docstring)."""
    e0, e1 = edges[:-1].astype(np.float64), edges[1:].astype(np.float64)
    t = float(duration)
    width = e1 - e0
    full = width * (t - e1) + width ** 2 / 2
    partial = np.clip(t - e0, 0, None) ** 2 / 2
    return np.where(t >= e1, full, partial)


class HistogramLogBinsData:
    """Counts and normalisation of a ``HistogramLogBins`` at one instant."""

    def __init__(self, counts: np.ndarray, normalization: np.ndarray, capture_duration: int) -> None:
        self._counts = counts
        self._normalization = normalization
        self._capture = int(capture_duration)

    @property
    def accumulation_time_click(self) -> int:
        """Time (ps) the click channel was evaluated (no gates in the simulator: the capture time)."""
        return self._capture

    @property
    def accumulation_time_start(self) -> int:
        """Time (ps) the start channel was evaluated (no gates in the simulator: the capture time)."""
        return self._capture

    @property
    def capture_duration(self) -> int:
        """Capture duration (ps) since creation or ``clear``."""
        return self._capture

    def getCounts(self) -> np.ndarray:
        """Raw histogram H(tau), n_bins (uint64)."""
        return self._counts.copy()

    def getG2Normalization(self) -> np.ndarray:
        """Expected counts of uncorrelated clicks, I(tau) * C_click * C_start (float64)."""
        return self._normalization.copy()

    def getG2(self) -> np.ndarray:
        """H(tau) / normalisation (float64; NaN where the normalisation is still 0)."""
        with np.errstate(divide="ignore", invalid="ignore"):
            return np.where(self._normalization > 0, self._counts / np.where(
                self._normalization > 0, self._normalization, 1.0), np.nan)


class HistogramLogBins(IteratorBase):
    """Histogram of click-minus-start delays on ``n_bins`` bins from 10^exp_start s to 10^exp_stop s.

    Edges are ``round(10**linspace(exp_start, exp_stop, n_bins + 1) * 1e12)`` ps; bin k holds
    delays in [edge k, edge k+1). ``start_channel`` = CHANNEL_UNUSED uses the click channel.
    """

    def __init__(self, tagger: TimeTaggerBase, click_channel: int, start_channel: int, exp_start: float,
                 exp_stop: float, n_bins: int, click_gate: object = None, start_gate: object = None) -> None:
        super().__init__(tagger)
        self._click = tagger._check_channel("click_channel", click_channel)
        start = tagger._check_channel("start_channel", start_channel, optional=True)
        self._start = self._click if start == CHANNEL_UNUSED else start
        low = float(validation.in_range("exp_start", exp_start, *_EXP_RANGE))
        high = float(validation.in_range("exp_stop", exp_stop, *_EXP_RANGE))
        if high <= low:
            raise ValueError(f"exp_stop {high} must be greater than exp_start {low}")
        self._exp = (low, high)
        self._n_bins = validation.positive_int("n_bins", n_bins)
        for name, gate in (("click_gate", click_gate), ("start_gate", start_gate)):
            if gate is not None:
                raise ValueError(f"{name}={gate!r}: channel gates are not supported by the simulator; "
                                 "allowed is None")
        self._edges = np.round(10.0 ** np.linspace(low, high, self._n_bins + 1) * 1e12).astype(np.int64)
        self._clear_data()
        self._register()

    def _channels(self) -> set[int]:
        return {self._click, self._start}

    def _clear_data(self) -> None:
        self._hist = np.zeros(self._n_bins, np.uint64)
        self._starts = _NO_STARTS
        self._n_click = 0
        self._n_start = 0
        self._closed_overlap = np.zeros(self._n_bins, np.float64)
        self._segment = 0            # length (ps) of the current gap-free segment
        self._segment_end: int | None = None

    def _process(self, ts: np.ndarray, ch: np.ndarray, t0: int, t1: int) -> None:
        if self._segment_end != t0:           # paused since the last block: a new segment
            self._closed_overlap += overlap_time(self._edges, self._segment)
            self._segment = 0
            self._starts = _NO_STARTS
        self._starts = km.log_bin_pairs(ts, ch, self._click, self._start, self._edges, self._starts,
                                        self._hist)
        self._n_click += int(np.count_nonzero(ch == self._click))
        self._n_start += int(np.count_nonzero(ch == self._start))
        self._segment += t1 - t0
        self._segment_end = t1

    def _normalization(self) -> np.ndarray:
        capture = self._capture_ps
        if capture == 0:
            return np.zeros(self._n_bins)
        overlap = self._closed_overlap + overlap_time(self._edges, self._segment)
        return overlap * (self._n_click / capture) * (self._n_start / capture)

    def getDataObject(self) -> HistogramLogBinsData:
        """Counts and g2 normalisation, consistent with each other."""
        with self._engine.lock:
            return HistogramLogBinsData(self._hist.copy(), self._normalization(), self._capture_ps)

    def getBinEdges(self) -> np.ndarray:
        """The n_bins + 1 bin edges in ps (int64)."""
        return self._edges.copy()

    def getData(self) -> np.ndarray:
        """Counts per bin (uint64). Deprecated in the library in favour of ``getDataObject``."""
        with self._engine.lock:
            return self._hist.copy()

    def getDataNormalizedCountsPerPs(self) -> np.ndarray:
        """Counts divided by each bin's width in ps (float64)."""
        with self._engine.lock:
            return self._hist / np.diff(self._edges).astype(np.float64)

    def getDataNormalizedG2(self) -> np.ndarray:
        """g2 per bin, as ``getDataObject().getG2()`` (float64)."""
        return self.getDataObject().getG2()

    def _parameters(self) -> dict:
        return {"click_channel": self._click, "start_channel": self._start, "exp_start": self._exp[0],
                "exp_stop": self._exp[1], "n_bins": self._n_bins}
