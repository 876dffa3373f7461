"""Histograms on wide, uneven bins with g2: ``HistogramLogBins``, ``HistogramCustomBins``, ``ChannelGate``.

Multiple-start multiple-stop: every start pairs with every later click whose delay falls into
[edge 0, last edge). Normalisation (the library's): g2(tau) = H(tau) / (I(tau) C_click C_start)
with C = N / t (counts over the time the channel was evaluated) and I(tau) the measure of the
(start time, click time) pairs that could have produced a delay in the bin: for a start-evaluation
interval A = [a0, a1] and a click-evaluation interval B = [b0, b1],
I_AB(x) = G(x + a1 - b0) - G(x + a0 - b0) - G(x + a1 - b1) + G(x + a0 - b1), G(u) = max(u, 0)^2 / 2,
counts the pairs with c - s < x, and I sums I_AB(e1) - I_AB(e0) over all interval pairs. Without
gates the intervals are the gap-free stretches of the acquisition, so for one stretch of length T
and a bin [e0, e1) of width w, I = w (T - e1) + w^2 / 2 once T >= e1: a bin accumulates (and is
normalised) only once its delays fit, and I / T tends to w. A ``ChannelGate`` on the click or
start channel restricts its intervals to where the gate is open; pauses (``stop``/``start``) and
overflows end every interval, and pairs never span them.
"""
from __future__ import annotations

import numpy as np

from .. import validation
from ..constants import CHANNEL_UNUSED, GatedChannelInitial
from ..engine.blocks import Gap
from ..iterator import IteratorBase
from ..kernels import markers as km
from ..taggers.base import TimeTaggerBase

_NO_STARTS = np.empty(0, np.int64)
#: Bin edges must fit in int64 picoseconds with room for differences: 10^6 s at most.
_EXP_RANGE = (-12.0, 6.0)
_MAX_EDGE_PS = 10**18


def _g(u: np.ndarray) -> np.ndarray:
    return np.maximum(u, 0.0) ** 2 / 2


def interval_overlap(edges: np.ndarray, a0: np.ndarray, a1: np.ndarray, b0: float, b1: float) -> np.ndarray:
    """I(tau) per bin for start intervals [a0, a1] (arrays) and one click interval [b0, b1] (float64)."""
    if not a0.size:
        return np.zeros(edges.size - 1)
    x = edges.astype(np.float64)[None, :]
    a0, a1 = a0[:, None].astype(np.float64), a1[:, None].astype(np.float64)
    pairs = _g(x + a1 - b0) - _g(x + a0 - b0) - _g(x + a1 - b1) + _g(x + a0 - b1)
    return np.diff(pairs.sum(axis=0))


def overlap_time(edges: np.ndarray, duration: int) -> np.ndarray:
    """I(tau) per bin for one gap-free stretch of ``duration`` ps with no gates."""
    return interval_overlap(edges, np.array([0.0]), np.array([float(duration)]), 0.0, float(duration))


class ChannelGate:
    """An evaluation gate for ``HistogramLogBins``/``HistogramCustomBins``: a tag on
    ``gate_open_channel`` opens it, one on ``gate_close_channel`` closes it (edges, not levels).
    The stream is unchanged; the measurement leaves out what arrives while the gate is closed and
    normalises by the time it was open."""

    def __init__(self, gate_open_channel: int, gate_close_channel: int,
                 initial: GatedChannelInitial = GatedChannelInitial.Closed) -> None:
        self._open = validation.integer("gate_open_channel", gate_open_channel)
        self._close = validation.integer("gate_close_channel", gate_close_channel)
        if self._open == self._close:
            raise ValueError(f"gate_open_channel and gate_close_channel are both {self._open}: "
                             "they must be different channels")
        try:
            self._initial = GatedChannelInitial(validation.integer("initial", initial))
        except ValueError:
            raise ValueError(f"initial={initial!r} is not allowed: use GatedChannelInitial.Closed (0) "
                             "or GatedChannelInitial.Open (1)") from None

    @property
    def gate_open_channel(self) -> int:
        """The channel whose tags open the gate."""
        return self._open

    @property
    def gate_close_channel(self) -> int:
        """The channel whose tags close the gate."""
        return self._close

    @property
    def initial(self) -> GatedChannelInitial:
        """The gate's state when the measurement starts or is cleared."""
        return self._initial


class HistogramLogBinsData:
    """Counts and normalisation of a ``HistogramLogBins`` at one instant."""

    def __init__(self, counts: np.ndarray, normalization: np.ndarray, capture_duration: int,
                 time_click: int, time_start: int) -> None:
        self._counts = counts
        self._normalization = normalization
        self._capture = int(capture_duration)
        self._time_click = int(time_click)
        self._time_start = int(time_start)

    @property
    def accumulation_time_click(self) -> int:
        """Time (ps) the click channel was evaluated: not excluded by its gate, pauses or overflows."""
        return self._time_click

    @property
    def accumulation_time_start(self) -> int:
        """Time (ps) the start channel was evaluated: not excluded by its gate, pauses or overflows."""
        return self._time_start

    @property
    def capture_duration(self) -> int:
        """Capture duration (ps) since creation or ``clear`` (not reduced by gates)."""
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


class _Role:
    """The evaluation intervals of the click or the start channel in the current stretch."""

    def __init__(self, gate: ChannelGate | None) -> None:
        self.gate = gate
        self.state = np.array([1 if gate is None else int(gate.initial)], np.int64)
        self.open_since: int | None = None
        self.commit_from: int | None = None   # clicks: where the normalisation is not committed yet
        self.closed: list[tuple[int, int]] = []
        self.time = 0                    # evaluation time of closed intervals

    def mask(self, ts: np.ndarray, ch: np.ndarray) -> tuple[np.ndarray | None, np.ndarray]:
        if self.gate is None:
            return None, np.empty((0, 2), np.int64)
        return km.gate_mask(ts, ch, self.gate.gate_open_channel, self.gate.gate_close_channel, self.state)

    def intervals(self, until: int) -> tuple[np.ndarray, np.ndarray]:
        """(begins, ends) of the intervals so far, the open one ending at ``until``."""
        spans = self.closed + ([(self.open_since, until)] if self.open_since is not None else [])
        if not spans:
            return np.empty(0), np.empty(0)
        arr = np.array(spans, np.float64)
        return arr[:, 0], arr[:, 1]

    def open_time(self, until: int) -> int:
        return self.time + (until - self.open_since if self.open_since is not None else 0)


class HistogramLogBins(IteratorBase):
    """Histogram of click-minus-start delays on ``n_bins`` bins from 10^exp_start s to 10^exp_stop s.

    Edges are ``round(10**linspace(exp_start, exp_stop, n_bins + 1) * 1e12)`` ps; bin k holds
    delays in [edge k, edge k+1). ``start_channel`` = CHANNEL_UNUSED uses the click channel.
    See the module docstring for the normalisation and the gates.
    """

    def __init__(self, tagger: TimeTaggerBase, click_channel: int, start_channel: int, exp_start: float,
                 exp_stop: float, n_bins: int, click_gate: ChannelGate = None, start_gate: ChannelGate = None) -> None:
        low = float(validation.in_range("exp_start", exp_start, *_EXP_RANGE))
        high = float(validation.in_range("exp_stop", exp_stop, *_EXP_RANGE))
        if high <= low:
            raise ValueError(f"exp_stop {high} must be greater than exp_start {low}")
        self._exp = (low, high)
        bins = validation.budget("n_bins", validation.positive_int("n_bins", n_bins), 32)
        edges = np.round(10.0 ** np.linspace(low, high, bins + 1) * 1e12).astype(np.int64)
        self._setup(tagger, click_channel, start_channel, edges, click_gate, start_gate)

    def _setup(self, tagger: TimeTaggerBase, click_channel: int, start_channel: int, edges: np.ndarray,
               click_gate: ChannelGate | None, start_gate: ChannelGate | None) -> None:
        IteratorBase.__init__(self, tagger)
        self._click = tagger._check_channel("click_channel", click_channel)
        start = tagger._check_channel("start_channel", start_channel, optional=True)
        self._start = self._click if start == CHANNEL_UNUSED else start
        self._edges = edges
        self._n_bins = edges.size - 1
        self._gates = {}
        for name, gate in (("click_gate", click_gate), ("start_gate", start_gate)):
            if gate is not None:
                if not isinstance(gate, ChannelGate):
                    raise TypeError(f"{name} must be a ChannelGate or None, got {type(gate).__name__}")
                tagger._check_channel(f"{name}.gate_open_channel", gate.gate_open_channel)
                tagger._check_channel(f"{name}.gate_close_channel", gate.gate_close_channel)
            self._gates[name] = gate
        self._clear_data()
        self._register()

    def _channels(self) -> set[int]:
        gated = {c for g in self._gates.values() if g is not None for c in (g.gate_open_channel, g.gate_close_channel)}
        return {self._click, self._start} | gated

    def _clear_data(self) -> None:
        self._hist = np.zeros(self._n_bins, np.uint64)
        self._starts = _NO_STARTS
        self._n_click = 0
        self._n_start = 0
        self._committed = np.zeros(self._n_bins, np.float64)
        self._clicks = _Role(self._gates["click_gate"])
        self._starts_role = _Role(self._gates["start_gate"])
        self._stretch_end: int | None = None

    # -- evaluation intervals -----------------------------------------------------------------
    def _open(self, role: _Role, at: int) -> None:
        if role.open_since is None:
            role.open_since = role.commit_from = at

    def _commit_clicks(self, until: int) -> None:
        """Add the pairs of the open click interval's part before ``until`` to the committed I(tau).

        I is additive in the click interval, and start intervals are clipped at ``until`` (their
        later starts pair only with later clicks), so this part is final.
        """
        clicks = self._clicks
        if clicks.commit_from is not None and until > clicks.commit_from:
            a0, a1 = self._starts_role.intervals(until)
            self._committed += interval_overlap(self._edges, a0, np.minimum(a1, until), clicks.commit_from, until)
            clicks.commit_from = until

    def _close(self, role: _Role, at: int) -> None:
        if role.open_since is None:
            return
        if role is self._clicks:
            self._commit_clicks(at)
            role.commit_from = None
        else:
            # Clicks from now on pair only with starts less than the last edge ago: commit the
            # open click interval so far, then forget the start intervals out of reach.
            self._commit_clicks(at)
            horizon = at - int(self._edges[-1])
            role.closed = [iv for iv in role.closed if iv[1] > horizon] + [(role.open_since, at)]
        role.time += at - role.open_since
        role.open_since = None

    def _end_stretch(self) -> None:
        if self._stretch_end is not None:
            self._close(self._starts_role, self._stretch_end)
            self._close(self._clicks, self._stretch_end)
            self._starts_role.closed = []
        self._starts = _NO_STARTS
        self._stretch_end = None

    def _gap(self, gap: Gap) -> None:
        self._end_stretch()

    def _process(self, ts: np.ndarray, ch: np.ndarray, t0: int, t1: int) -> None:
        if self._stretch_end != t0:            # paused since the last block: a new stretch
            self._end_stretch()
        if self._stretch_end is None:
            for role in (self._starts_role, self._clicks):
                if role.state[0] == 1:
                    self._open(role, t0)
        click_ok, click_toggles = self._clicks.mask(ts, ch)
        start_ok, start_toggles = self._starts_role.mask(ts, ch)
        events = sorted([(int(t), int(s), self._clicks) for t, s in click_toggles.tolist()] +
                        [(int(t), int(s), self._starts_role) for t, s in start_toggles.tolist()],
                        key=lambda e: (e[0], e[2] is self._clicks))
        for time, state, role in events:
            (self._open if state else self._close)(role, time)
        if click_ok is None and start_ok is None:
            self._starts = km.log_bin_pairs(ts, ch, self._click, self._start, self._edges, self._starts, self._hist)
            self._n_click += int(np.count_nonzero(ch == self._click))
            self._n_start += int(np.count_nonzero(ch == self._start))
        else:
            click_ok = np.ones(ts.size, bool) if click_ok is None else click_ok
            start_ok = np.ones(ts.size, bool) if start_ok is None else start_ok
            self._starts = km.log_bin_pairs_gated(ts, ch, self._click, self._start, click_ok, start_ok,
                                                  self._edges, self._starts, self._hist)
            self._n_click += int(np.count_nonzero((ch == self._click) & click_ok))
            self._n_start += int(np.count_nonzero((ch == self._start) & start_ok))
        self._stretch_end = t1

    # -- data ---------------------------------------------------------------------------------
    def _normalization(self) -> tuple[np.ndarray, int, int]:
        now = self._stretch_end if self._stretch_end is not None else 0
        overlap = self._committed.copy()
        if self._clicks.commit_from is not None and now > self._clicks.commit_from:
            a0, a1 = self._starts_role.intervals(now)
            overlap += interval_overlap(self._edges, a0, a1, self._clicks.commit_from, now)
        t_click, t_start = self._clicks.open_time(now), self._starts_role.open_time(now)
        if t_click == 0 or t_start == 0:
            return np.zeros(self._n_bins), t_click, t_start
        return overlap * (self._n_click / t_click) * (self._n_start / t_start), t_click, t_start

    def getDataObject(self) -> HistogramLogBinsData:
        """Counts and g2 normalisation, consistent with each other."""
        with self._engine.lock:
            normalization, t_click, t_start = self._normalization()
            return HistogramLogBinsData(self._hist.copy(), normalization, self._capture_ps, t_click, t_start)

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


class HistogramCustomBins(HistogramLogBins):
    """``HistogramLogBins`` on explicit bin edges (ps, strictly increasing, the first >= 0)."""

    def __init__(self, tagger: TimeTaggerBase, click_channel: int, start_channel: int, binedges: list[int],
                 click_gate: ChannelGate = None, start_gate: ChannelGate = None) -> None:
        if isinstance(binedges, (str, bytes)) or not hasattr(binedges, "__len__"):
            raise TypeError(f"binedges must be a list of bin edges in ps, got {binedges!r}")
        validation.budget("binedges", len(binedges), 32)
        edges = np.array([validation.integer("binedges", e) for e in binedges], np.int64)
        if edges.size < 2 or edges[0] < 0 or np.any(np.diff(edges) <= 0) or edges[-1] > _MAX_EDGE_PS:
            raise ValueError(f"binedges must be at least two strictly increasing edges from 0 ps to at most "
                             f"{_MAX_EDGE_PS} ps, got {edges.tolist()[:8]}{'...' if edges.size > 8 else ''}")
        self._exp = (None, None)
        self._setup(tagger, click_channel, start_channel, edges, click_gate, start_gate)

    def _parameters(self) -> dict:
        return {"click_channel": self._click, "start_channel": self._start, "binedges": self._edges.tolist()}
