"""Simulated detectors: ``SimDetector`` (efficiency, dark counts, jitter, dead time), and
``PhotonNumber``, the photon-number resolution of detector pulses (a virtual channel on the
tag stream)."""
from __future__ import annotations

import numpy as np

from .. import validation
from ..kernels.stream import deadtime_mask
from ..taggers.base import TimeTaggerBase
from ..engine.blocks import EMPTY_CH, EMPTY_TS
from ..virtual_channels.base import VirtualChannel
from .base import SignalNode, merge_sorted

_EMPTY = np.empty(0, np.int64)
#: Most decision lines of a ``PhotonNumber``.
MAX_PHOTON_NUMBER_LINES = 64


class SimDetector(SignalNode):
    """A detector on ``input_channel``: efficiency, dark counts (Hz), jitter and dead time (seconds)."""

    def __init__(self, tagger: TimeTaggerBase, input_channel: int, efficiency: float = 1.0,
                 darkcount_rate: float = 0.0, jitter: float = 0, deadtime: float = 0.0,
                 seed: int = -1) -> None:
        self._init_node(tagger, seed)
        self._input = tagger._check_channel("input_channel", input_channel)
        self._efficiency = validation.in_range("efficiency", efficiency, 0.0, 1.0)
        self._dark_hz = validation.in_range("darkcount_rate", darkcount_rate, 0.0, 1e9, "Hz")
        self._jitter_ps = validation.in_range("jitter", jitter, 0.0, 1e-3, "s") * 1e12
        self._deadtime_ps = int(round(validation.in_range("deadtime", deadtime, 0.0, 1.0, "s") * 1e12))
        self._last = -(1 << 62)
        self._channel = tagger._allocate_virtual_channel()
        self._attached = True
        tagger._live_engine().register(self)

    def getChannel(self) -> int:
        """The channel the output appears on."""
        return self._channel

    def _simulate(self, a0: int, a1: int, signals: dict[int, np.ndarray]) -> None:
        times = signals.get(self._input, _EMPTY)
        times = times[self._rng.random(times.size) < self._efficiency]
        if self._dark_hz > 0:
            n = self._rng.poisson(self._dark_hz * (a1 - a0) / 1e12)
            times = np.concatenate((times, self._rng.integers(a0, a1, n, dtype=np.int64)))
        if self._jitter_ps > 0:
            times = times + np.rint(self._rng.normal(0.0, self._jitter_ps, times.size)).astype(np.int64)
        times = np.sort(times)
        if self._deadtime_ps > 0:
            keep, self._last = deadtime_mask(times, self._deadtime_ps, self._last)
            times = times[keep]
        if times.size:
            signals[self._channel] = merge_sorted(signals.get(self._channel), times)


class PhotonNumber(VirtualChannel):
    """Photon-number resolution from the pulse shape of a detector (e.g. an SNSPD, whose rising
    edge comes earlier and whose pulse gets longer with more photons).

    For each signal pulse (``signal_start_ch`` then ``signal_stop_ch``) after a ``trigger_ch`` tag
    (one pulse per trigger), the point (x, y) = (start - trigger, stop - start) in ps is compared
    with ``N`` decision lines y = ``slope`` * (x - ``x_intercepts[k]``), ``x_intercepts``
    descending: the photon number is 1 + the number of lines the point lies above. A tag at the
    start time goes to ``getChannels()[n - 1]`` (the last channel means N + 1 photons or more).
    Starts within ``dead_time`` ps of the previous classified start are ignored.

    Which quantities span the plane is the simulator's reading of the library's short
    documentation. As for the other look-back channels, a tag whose start lies in the previous
    block is stamped at the current block's start.
    """

    def __init__(self, tagger: TimeTaggerBase, trigger_ch: int, signal_start_ch: int, signal_stop_ch: int,
                 slope: float, x_intercepts: list[float], dead_time: int) -> None:
        super().__init__(tagger)
        self._trigger = tagger._check_channel("trigger_ch", trigger_ch)
        self._start = tagger._check_channel("signal_start_ch", signal_start_ch)
        self._stop = tagger._check_channel("signal_stop_ch", signal_stop_ch)
        if len({self._trigger, self._start, self._stop}) != 3:
            raise ValueError("trigger_ch, signal_start_ch and signal_stop_ch must be three different channels")
        self._slope = validation.in_range("slope", slope, -1e12, 1e12)
        intercepts = np.array([validation.in_range("x_intercepts", x, -1e15, 1e15, "ps") for x in x_intercepts],
                              np.float64)
        if not intercepts.size or intercepts.size > MAX_PHOTON_NUMBER_LINES or np.any(np.diff(intercepts) > 0):
            raise ValueError(f"x_intercepts must hold 1 to {MAX_PHOTON_NUMBER_LINES} values in descending order, "
                             f"got {intercepts.tolist()}")
        self._intercepts = intercepts
        self._dead = validation.integer("dead_time", dead_time)
        if self._dead < 0:
            raise ValueError(f"dead_time {self._dead} ps must be 0 or more")
        self._outputs = np.array([tagger._allocate_virtual_channel() for _ in range(intercepts.size + 1)], np.int32)
        self._trigger_time: int | None = None
        self._open_start: int | None = None
        self._last_start = -(1 << 62)
        self._register()

    def getChannels(self) -> list[int]:
        """The channels of 1, 2, ..., N and N + 1 or more photons."""
        return self._outputs.tolist()

    def _channels(self) -> set[int]:
        return {self._trigger, self._start, self._stop}

    def _gap(self, gap) -> None:
        self._trigger_time = self._open_start = None

    def _transform(self, ts, ch, t0, t1):
        mine = np.flatnonzero(np.isin(ch, [self._trigger, self._start, self._stop]))
        starts, xs, ys = [], [], []
        for i in mine.tolist():
            c, t = int(ch[i]), int(ts[i])
            if c == self._trigger:
                self._trigger_time, self._open_start = t, None
            elif c == self._start:
                if self._trigger_time is not None and t - self._last_start >= self._dead:
                    self._open_start = t
            elif self._open_start is not None:
                starts.append(self._open_start)
                xs.append(self._open_start - self._trigger_time)
                ys.append(t - self._open_start)
                self._last_start = self._open_start
                self._open_start = self._trigger_time = None
        if not starts:
            return EMPTY_TS, EMPTY_CH
        x, y = np.array(xs, np.float64), np.array(ys, np.float64)
        above = y[:, None] > self._slope * (x[:, None] - self._intercepts[None, :])
        number = above.sum(axis=1)
        times = np.maximum(np.array(starts, np.int64), t0)
        order = np.argsort(times, kind="stable")
        return times[order], self._outputs[number[order]]

    def _parameters(self) -> dict:
        return {"trigger_ch": self._trigger, "signal_start_ch": self._start, "signal_stop_ch": self._stop,
                "slope": self._slope, "x_intercepts": self._intercepts.tolist(), "dead_time": self._dead}
