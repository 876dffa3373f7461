"""The input stage of a simulated tagger: analog signals to physical tags, as the hardware does it.

Order per physical input, as in the instrument: signal sources -> comparator (trigger level)
-> timing jitter -> dead time -> event divider -> input delay. Then all channels are merged,
the conditional filter is applied and the USB bandwidth limit may overflow.
Simulated analog pulses are 0 V to ``PULSE_HEIGHT_V`` high and ``PULSE_WIDTH_PS`` wide.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from functools import cache
from statistics import NormalDist
from typing import Callable, Protocol

import numpy as np

from ..constants import FIRST_VIRTUAL_CHANNEL
from ..kernels import stream as kernels
from .models import PULSE_HEIGHT_V, PULSE_WIDTH_PS, Model

#: How far ahead of the stream the analog signals are generated (ps); bounds negative delays.
LOOKAHEAD_PS = 2_000_000
_EMPTY_T = np.empty(0, np.int64)


class AnalogSource(Protocol):
    """An ``Experimental`` object that adds or reshapes simulated analog pulses."""

    def _simulate(self, a0: int, a1: int, signals: dict[int, np.ndarray]) -> None: ...


@cache
def jitter_table(rms_ps: float) -> np.ndarray:
    """Timing noise (ps) for a random uint16 index: the normal distribution of ``rms_ps``
    quantised to 65536 equally likely values (tails cut at 4.3 sigma). Eight times faster than
    drawing normals per tag, and indistinguishable at these jitters."""
    quantiles = (np.arange(65536) + 0.5) / 65536
    normal = NormalDist(0.0, rms_ps)
    return np.rint([normal.inv_cdf(q) for q in quantiles]).astype(np.int64)


@dataclass
class InputSettings:
    """Everything a user can set on the inputs, with the defaults of a freshly opened tagger."""

    model: Model
    test_signal: set[int] = field(default_factory=set)
    test_signal_divider: int = 0
    trigger_level: dict[int, float] = field(default_factory=dict)
    input_delay: dict[int, int] = field(default_factory=dict)
    deadtime: dict[int, int] = field(default_factory=dict)
    event_divider: dict[int, int] = field(default_factory=dict)
    filter_triggers: list[int] = field(default_factory=list)
    filter_filtered: list[int] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.test_signal_divider = self.test_signal_divider or self.model.test_signal_divider

    def test_signal_period_ps(self) -> int:
        """The period of the test signal with the current divider (ps)."""
        return int(round(self.test_signal_divider / self.model.test_signal_base_hz * 1e12))


class InputStage:
    """Turns the analog signal graph into the merged physical tag stream of each block."""

    def __init__(self, settings: InputSettings, rng: np.random.Generator,
                 signal_nodes: Callable[[], list[AnalogSource]]) -> None:
        self.settings = settings
        self._rng = rng
        self._signal_nodes = signal_nodes
        #: simulated cables: (source channel, input) -> cable delay in ps
        self.connections: dict[tuple[int, int], int] = {}
        self._in_cable: dict[tuple[int, int], np.ndarray] = {}   #: pulses not yet at the input
        self.overflows = 0
        self._analog_end = 0
        self._pending: dict[int, np.ndarray] = {}
        self._last_kept: dict[int, int] = {}
        self._divider_phase: dict[int, int] = {}
        self._filter_armed = np.zeros(0, np.bool_)

    def reset_state(self) -> None:
        """Forget in-flight tags and filter states (after a reset or a settings change)."""
        self._pending.clear()
        self._in_cable.clear()
        self._last_kept.clear()
        self._divider_phase.clear()
        self._filter_armed = np.zeros(len(self.settings.filter_filtered), np.bool_)

    # -- analog domain -------------------------------------------------------------------------
    def _test_signal(self, a0: int, a1: int) -> np.ndarray:
        period = self.settings.test_signal_period_ps()
        first = -(-a0 // period)
        last = -(-a1 // period)
        return np.arange(first, last, dtype=np.int64) * period

    def _analog(self, a0: int, a1: int) -> dict[int, np.ndarray]:
        signals: dict[int, np.ndarray] = {}
        if self.settings.test_signal:
            test = self._test_signal(a0, a1)
            for n in self.settings.test_signal:
                signals[n] = test
        for node in self._signal_nodes():
            node._simulate(a0, a1, signals)
        for (source, target), delay in self.connections.items():
            arriving = self._through_cable((source, target), signals.get(source, _EMPTY_T) + delay, a1)
            if arriving.size:
                signals[target] = np.sort(np.concatenate((signals.get(target, _EMPTY_T), arriving)))
        return signals

    def _through_cable(self, cable: tuple[int, int], delayed: np.ndarray, a1: int) -> np.ndarray:
        """The pulses of a cable that reach its input before ``a1``; later ones wait."""
        waiting = self._in_cable.get(cable, _EMPTY_T)
        pulses = np.concatenate((waiting, delayed)) if waiting.size else delayed
        cut = int(np.searchsorted(pulses, a1, side="left"))
        self._in_cable[cable] = pulses[cut:]
        return pulses[:cut]

    # -- digital domain ------------------------------------------------------------------------
    def _edge_tags(self, channel: int, times: np.ndarray) -> np.ndarray:
        s = self.settings
        jitter = s.model.jitter_rms_ps
        if jitter > 0 and times.size:
            times = times + jitter_table(jitter)[self._rng.integers(0, 65536, times.size, dtype=np.uint16)]
            if times.size > 1 and np.any(times[1:] < times[:-1]):
                times.sort()
        deadtime = s.deadtime.get(channel, s.model.deadtime_min_ps)
        keep, self._last_kept[channel] = kernels.deadtime_mask(
            times, deadtime, self._last_kept.get(channel, -(1 << 62)))
        times = times[keep]
        divider = s.event_divider.get(channel, 1)
        if divider > 1:
            phase = self._divider_phase.get(channel, 0)
            self._divider_phase[channel] = (phase + times.size) % divider
            times = times[(np.arange(times.size) + phase) % divider == 0]
        return times + s.input_delay.get(channel, 0)

    def produce(self, t0: int, t1: int, needed: set[int]) -> tuple[np.ndarray, np.ndarray]:
        """The physical (and simulated virtual) tags with stream times in [t0, t1)."""
        s = self.settings
        max_delay = max([0, *s.input_delay.values()])
        a0 = max(self._analog_end, t0 - max_delay)
        a1 = t1 + LOOKAHEAD_PS
        if a1 > a0:
            self._analog_end = a1
            for channel, times in self._analog(a0, a1).items():
                if channel >= FIRST_VIRTUAL_CHANNEL:
                    self._append(channel, times)
                    continue
                if not 0.0 < s.trigger_level.get(channel, 0.5) < PULSE_HEIGHT_V:
                    continue
                for edge, edge_times in ((channel, times), (-channel, times + PULSE_WIDTH_PS)):
                    if edge in needed:
                        self._append(edge, self._edge_tags(edge, edge_times))
        return self._emit(t0, t1)

    def _append(self, channel: int, times: np.ndarray) -> None:
        if times.size:
            old = self._pending.get(channel)
            self._pending[channel] = times if old is None or old.size == 0 else np.concatenate((old, times))

    def _emit(self, t0: int, t1: int) -> tuple[np.ndarray, np.ndarray]:
        parts_t, parts_c = [], []
        for channel in sorted(self._pending):
            times = self._pending[channel]
            lo = int(np.searchsorted(times, t0, side="left"))
            hi = int(np.searchsorted(times, t1, side="left"))
            if hi > lo:
                parts_t.append(times[lo:hi])
                parts_c.append(np.full(hi - lo, channel, np.int32))
            self._pending[channel] = times[hi:]
        if not parts_t:
            return np.empty(0, np.int64), np.empty(0, np.int32)
        ts = np.concatenate(parts_t)
        ch = np.concatenate(parts_c)
        if len(parts_t) > 1:
            bounds = np.cumsum([0] + [part.size for part in parts_t])
            ts, ch = kernels.merge_sorted_runs(ts, ch, bounds)
        if self.settings.filter_filtered:
            keep = kernels.conditional_filter_mask(
                ch, np.asarray(self.settings.filter_triggers, np.int32),
                np.asarray(self.settings.filter_filtered, np.int32), self._filter_armed)
            ts, ch = ts[keep], ch[keep]
        limit = int(self.settings.model.max_tag_rate * (t1 - t0) / 1e12)
        if ts.size > limit:
            self.overflows += ts.size - limit
            ts, ch = ts[:limit], ch[:limit]
        return ts, ch
