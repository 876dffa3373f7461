"""The input stage of a simulated tagger: analog signals to physical tags, as the hardware does it.

Per physical input, in the instrument's order: signal sources (and the input multiplexer) ->
comparator (trigger level, hysteresis, termination: the tag sits where the pulse's linear edge
crosses the threshold) -> timing jitter (Gaussian when normalisation is on, the raw uniform
distribution of the same RMS when off) -> built-in delay compensation -> averaging of rising and
falling edges (``xtra_setAvgRisingFalling``) -> dead time -> hardware input delay. Then all
channels are merged, the conditional filter and the event dividers are applied (in that order,
as documented) and the tags enter the hardware buffer towards the computer, which may overflow.
Simulated analog pulses are 0 V to ``PULSE_HEIGHT_V`` high (into 50 Ohm) and ``PULSE_WIDTH_PS``
wide with edges of ``PULSE_EDGE_PS``. Simulated sources run on "true" time; the internal clock
trim of a Time Tagger X maps it to the tagger's time base (the test signal and the reference
oscillator derive from the internal clock and are not affected).
"""
from __future__ import annotations

import zlib
from dataclasses import dataclass, field
from functools import cache
from statistics import NormalDist
from typing import Callable, Protocol

import numpy as np

from ..constants import FIRST_VIRTUAL_CHANNEL, TestSignalSource
from ..engine.blocks import Block, Gap
from ..kernels import stream as kernels
from .models import (PULSE_EDGE_PS, PULSE_HEIGHT_V, PULSE_WIDTH_PS, REFERENCE_OSCILLATOR_HZ, Model)
from .transfer import TransferBuffer

#: How far ahead of the stream the analog signals are generated (ps); bounds negative hardware delays.
LOOKAHEAD_PS = 3_000_000
#: Largest built-in, compensated delay of an input (ps): simulated per input from its serial.
MAX_DELAY_COMPENSATION_PS = 120
#: Default hysteresis of a Time Tagger X input (mV); the other models have none to set.
DEFAULT_HYSTERESIS_MV = 20
_EMPTY_T = np.empty(0, np.int64)


class AnalogSource(Protocol):
    """An ``Experimental`` object that adds or reshapes simulated analog pulses."""

    def _simulate(self, a0: int, a1: int, signals: dict[int, np.ndarray]) -> None: ...


@cache
def jitter_table(rms_ps: float, gaussian: bool = True) -> np.ndarray:
    """Timing noise (ps) for a random uint16 index: 65536 equally likely values of RMS ``rms_ps``.

    Gaussian: the normal distribution quantised (tails cut at 4.3 sigma); eight times faster than
    drawing normals per tag, and indistinguishable at these jitters. Otherwise a uniform
    distribution of the same RMS (half-width sqrt(3) rms), the raw discretisation the library's
    "Gaussian normalization" removes.
    """
    quantiles = (np.arange(65536) + 0.5) / 65536
    if gaussian:
        normal = NormalDist(0.0, rms_ps)
        return np.rint([normal.inv_cdf(q) for q in quantiles]).astype(np.int64)
    return np.rint((quantiles - 0.5) * 2 * np.sqrt(3.0) * rms_ps).astype(np.int64)


def delay_compensation(serial: str, channel: int) -> int:
    """The built-in (normally compensated) delay of an input, fixed per serial and input (ps)."""
    return zlib.crc32(f"{serial}/{channel}".encode()) % (MAX_DELAY_COMPENSATION_PS + 1)


@dataclass
class InputSettings:
    """Everything a user can set on the inputs, with the defaults of a freshly opened tagger."""

    model: Model
    test_signal: set[int] = field(default_factory=set)
    test_signal_divider: int = 0
    test_signal_source: TestSignalSource = TestSignalSource.Digital
    trigger_level: dict[int, float] = field(default_factory=dict)
    hysteresis_mv: dict[int, int] = field(default_factory=dict)
    high_impedance: set[int] = field(default_factory=set)
    normalization_off: set[int] = field(default_factory=set)
    input_mux: dict[int, int] = field(default_factory=dict)
    avg_rising_falling: set[int] = field(default_factory=set)
    delay_hardware: dict[int, int] = field(default_factory=dict)
    delay_software: dict[int, int] = field(default_factory=dict)
    deadtime: dict[int, int] = field(default_factory=dict)
    event_divider: dict[int, int] = field(default_factory=dict)
    filter_triggers: list[int] = field(default_factory=list)
    filter_filtered: list[int] = field(default_factory=list)
    high_priority: set[int] = field(default_factory=set)
    delay_compensation: bool = True
    clock_trim_ppm: float = 0.0
    hardware_buffer: int = 0

    def __post_init__(self) -> None:
        self.test_signal_divider = self.test_signal_divider or self.model.test_signal_divider
        self.hardware_buffer = self.hardware_buffer or self.model.buffer_default

    def test_signal_period_ps(self) -> int:
        """The period of the test signal with the current divider (ps)."""
        return int(round(self.test_signal_divider / self.model.test_signal_base_hz * 1e12))

    def hysteresis_v(self, channel: int) -> float:
        default = DEFAULT_HYSTERESIS_MV if self.model.time_tagger_x else 0
        return self.hysteresis_mv.get(channel, default) / 1000.0

    def edge_offsets(self, channel: int) -> tuple[int, int] | None:
        """(rising, falling) tag offsets from the pulse start (ps), or None if the level sees no edges."""
        height = PULSE_HEIGHT_V * (2.0 if channel in self.high_impedance else 1.0)
        level, hysteresis = self.trigger_level.get(channel, 0.5), self.hysteresis_v(channel)
        rising, falling = level + hysteresis / 2, level - hysteresis / 2
        if not (0.0 < falling and rising < height):
            return None
        return (int(round(PULSE_EDGE_PS * rising / height)),
                PULSE_WIDTH_PS + int(round(PULSE_EDGE_PS * (1.0 - falling / height))))


class ClockMap:
    """The tagger's time base against "true" time: tagger = t_anchor + (true - r_anchor) * (1 + trim)."""

    def __init__(self) -> None:
        self.scale = 1.0
        self.t_anchor = 0
        self.r_anchor = 0

    def to_true(self, t: int) -> int:
        if self.scale == 1.0:
            return self.r_anchor + (t - self.t_anchor)
        return int(np.ceil(self.r_anchor + (t - self.t_anchor) / self.scale))

    def to_tagger(self, times: np.ndarray) -> np.ndarray:
        if self.scale == 1.0 and self.r_anchor == self.t_anchor:
            return times
        return np.rint(self.t_anchor + (times - self.r_anchor) * self.scale).astype(np.int64)

    def retrim(self, at: int, ppm: float) -> None:
        """A new trim from tagger time ``at`` on (the map stays continuous)."""
        self.r_anchor, self.t_anchor = self.to_true(at), at
        self.scale = 1.0 + ppm * 1e-6


class InputStage:
    """Turns the analog signal graph into the tag blocks of the hardware's input stage."""

    def __init__(self, settings: InputSettings, serial: str, rng: np.random.Generator,
                 signal_nodes: Callable[[], list[AnalogSource]]) -> None:
        self.settings = settings
        self._serial = serial
        self._rng = rng
        self._signal_nodes = signal_nodes
        #: simulated cables: (source channel, input) -> cable delay in ps
        self.connections: dict[tuple[int, int], int] = {}
        self.transfer = TransferBuffer(serial, settings.model.max_tag_rate, settings.hardware_buffer)
        self.clock = ClockMap()
        self._in_cable: dict[tuple[int, int], np.ndarray] = {}   #: pulses not yet at the input
        self._analog_end = 0
        self._true_end = 0
        self._pending: dict[int, np.ndarray] = {}       #: tags per channel, not yet emitted
        self._pulses: dict[int, np.ndarray] = {}        #: analog pulses per input, not yet converted
        self._last_kept: dict[int, int] = {}
        self._divider_phase: dict[int, int] = {}
        self._filter_armed = np.zeros(0, np.bool_)

    @property
    def overflows(self) -> int:
        """Tags lost to overflows since the last clear."""
        return self.transfer.lost

    @overflows.setter
    def overflows(self, value: int) -> None:
        self.transfer.lost = value

    def reset_state(self) -> None:
        """Forget in-flight tags and filter states (after a reset or a settings change)."""
        self._pending.clear()
        self._pulses.clear()
        self._in_cable.clear()
        self._last_kept.clear()
        self._divider_phase.clear()
        self._filter_armed = np.zeros(len(self.settings.filter_filtered), np.bool_)
        self.transfer.priority = np.array(sorted(self.settings.high_priority), np.int32)

    def reset_filter(self) -> None:
        """A changed conditional filter starts disarmed."""
        self._filter_armed = np.zeros(len(self.settings.filter_filtered), np.bool_)

    def retrim(self) -> None:
        """Apply a changed internal clock trim from the analog time generated so far."""
        self.clock.retrim(self._analog_end, self.settings.clock_trim_ppm)

    # -- analog domain -------------------------------------------------------------------------
    @staticmethod
    def _periodic(period: int, a0: int, a1: int) -> np.ndarray:
        first, last = -(-a0 // period), -(-a1 // period)
        return np.arange(first, last, dtype=np.int64) * period

    def _analog(self, a0: int, a1: int) -> dict[int, np.ndarray]:
        """Pulse start times per input (and per simulated signal channel) in tagger time [a0, a1)."""
        r0, r1 = self._true_end, self.clock.to_true(a1)
        self._true_end = r1
        signals: dict[int, np.ndarray] = {}
        for node in self._signal_nodes():
            node._simulate(r0, r1, signals)
        for (source, target), delay in self.connections.items():
            arriving = self._through_cable((source, target), signals.get(source, _EMPTY_T) + delay, r1)
            if arriving.size:
                signals[target] = np.sort(np.concatenate((signals.get(target, _EMPTY_T), arriving)))
        signals = {c: self.clock.to_tagger(t) for c, t in signals.items()}
        if self.settings.test_signal:
            test = self._periodic(self.settings.test_signal_period_ps(), a0, a1)
            for n in self.settings.test_signal:
                signals[n] = np.sort(np.concatenate((signals[n], test))) if n in signals else test
        return self._multiplexed(signals, a0, a1)

    def _multiplexed(self, signals: dict[int, np.ndarray], a0: int, a1: int) -> dict[int, np.ndarray]:
        """Apply the input multiplexers: neighbour inputs (cascading) or the reference oscillator."""
        mux = self.settings.input_mux
        if not mux:
            return signals
        reference = self._periodic(int(round(1e12 / REFERENCE_OSCILLATOR_HZ)), a0, a1)

        def source(n: int, seen: frozenset) -> np.ndarray | None:
            mode = mux.get(n, 0)
            if mode == 0:
                return signals.get(n)
            if mode == 3:
                return reference
            neighbour = n - 1 if mode == 1 else n + 1
            return None if neighbour in seen else source(neighbour, seen | {n})

        routed = {c: t for c, t in signals.items() if c >= FIRST_VIRTUAL_CHANNEL}
        for n in range(1, self.settings.model.n_inputs + 1):
            times = source(n, frozenset())
            if times is not None:
                routed[n] = times
        return routed

    def _through_cable(self, cable: tuple[int, int], delayed: np.ndarray, r1: int) -> np.ndarray:
        """The pulses of a cable that reach its input before ``r1``; later ones wait."""
        waiting = self._in_cable.get(cable, _EMPTY_T)
        pulses = np.concatenate((waiting, delayed)) if waiting.size else delayed
        cut = int(np.searchsorted(pulses, r1, side="left"))
        self._in_cable[cable] = pulses[cut:]
        return pulses[:cut]

    # -- digital domain ------------------------------------------------------------------------
    def _jittered(self, channel: int, pulses: np.ndarray, offset: int) -> np.ndarray:
        """Tag times: the pulse starts plus the edge's offset plus timing noise."""
        s = self.settings
        jitter = s.model.jitter_rms_ps
        if jitter <= 0:
            return pulses + offset
        table = jitter_table(jitter, abs(channel) not in s.normalization_off)
        noise = table[self._rng.integers(0, 65536, pulses.size, dtype=np.uint16)]
        noise += offset
        noise += pulses
        return noise

    def _edge_tags(self, channel: int, times: np.ndarray) -> np.ndarray:
        s = self.settings
        if times.size > 1 and np.any(times[1:] < times[:-1]):
            times = np.sort(times)
        deadtime = s.deadtime.get(channel, s.model.deadtime_min_ps)
        keep, self._last_kept[channel] = kernels.deadtime_mask(
            times, deadtime, self._last_kept.get(channel, -(1 << 62)))
        return times[keep] + s.delay_hardware.get(channel, 0)

    def _input_tags(self, n: int, pulses: np.ndarray, needed: set[int]) -> None:
        s = self.settings
        offsets = s.edge_offsets(n)
        averaged = n in s.avg_rising_falling and n in needed
        if offsets is None or not ({n, -n} & needed):
            return
        if not s.delay_compensation:
            pulses = pulses + delay_compensation(self._serial, n)
        rising = self._jittered(n, pulses, offsets[0])
        falling = self._jittered(-n, pulses, offsets[1]) if (-n in needed or averaged) else None
        if n in needed:
            self._append(n, self._edge_tags(n, (rising + falling) // 2 if averaged else rising))
        if -n in needed:
            self._append(-n, self._edge_tags(-n, falling))

    def produce(self, t0: int, t1: int, needed: set[int]) -> Block:
        """The tags of stream time [t0, t1): physical inputs through the hardware, simulated signals.

        Analog pulses are generated ahead (for cables and negative delays) but reach the
        comparator only when the stream gets there, so a setting changed now acts from now on.
        """
        a0 = self._analog_end
        a1 = t1 + LOOKAHEAD_PS
        if a1 > a0:
            self._analog_end = a1
            for channel, pulses in self._analog(a0, a1).items():
                if channel >= FIRST_VIRTUAL_CHANNEL:
                    self._append(channel, pulses)
                elif pulses.size:
                    old = self._pulses.get(channel)
                    self._pulses[channel] = _joined(old, pulses)
        due = t1 + max(0, -min(self.settings.delay_hardware.values(), default=0))
        for n, pulses in list(self._pulses.items()):
            cut = int(np.searchsorted(pulses, due, side="left"))
            if cut:
                self._input_tags(n, pulses[:cut], needed)
                self._pulses[n] = pulses[cut:]
        return self._emit(t0, t1)

    def _append(self, channel: int, times: np.ndarray) -> None:
        if times.size:
            self._pending[channel] = _joined(self._pending.get(channel), times)

    def _take(self, t0: int, t1: int, physical: bool) -> tuple[np.ndarray, np.ndarray]:
        parts_t, parts_c = [], []
        for channel in sorted(self._pending):
            if (channel < FIRST_VIRTUAL_CHANNEL) != physical:
                continue
            times = self._pending[channel]
            lo = int(np.searchsorted(times, t0, side="left"))
            hi = int(np.searchsorted(times, t1, side="left"))
            if hi > lo:
                parts_t.append(times[lo:hi])
                parts_c.append(np.full(hi - lo, channel, np.int32))
            self._pending[channel] = times[hi:]
        if not parts_t:
            return np.empty(0, np.int64), np.empty(0, np.int32)
        ts, ch = np.concatenate(parts_t), np.concatenate(parts_c)
        if len(parts_t) > 1:
            ts, ch = kernels.merge_sorted_runs(ts, ch, np.cumsum([0] + [part.size for part in parts_t]))
        return ts, ch

    def _divided(self, ts: np.ndarray, ch: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        keep = np.ones(ts.size, bool)
        for channel, divider in self.settings.event_divider.items():
            if divider > 1:
                where = np.flatnonzero(ch == channel)
                phase = self._divider_phase.get(channel, 0)
                self._divider_phase[channel] = (phase + where.size) % divider
                keep[where[(np.arange(where.size) + phase) % divider != 0]] = False
        return ts[keep], ch[keep]

    def _emit(self, t0: int, t1: int) -> Block:
        s = self.settings
        ts, ch = self._take(t0, t1, physical=True)
        if s.filter_filtered:
            keep = kernels.conditional_filter_mask(ch, np.asarray(s.filter_triggers, np.int32),
                                                   np.asarray(s.filter_filtered, np.int32), self._filter_armed)
            ts, ch = ts[keep], ch[keep]
        if s.event_divider:
            ts, ch = self._divided(ts, ch)
        ts, ch, gaps = self.transfer.apply(ts, ch, t0, t1)
        sim_ts, sim_ch = self._take(t0, t1, physical=False)
        if sim_ts.size:
            if gaps:
                sim_ts, sim_ch = outside_gaps(sim_ts, sim_ch, gaps)
            bounds = np.array([0, ts.size, ts.size + sim_ts.size])
            ts, ch = kernels.merge_sorted_runs(np.concatenate((ts, sim_ts)), np.concatenate((ch, sim_ch)), bounds)
        return Block(t0, t1, ts, ch, gaps)


def _joined(old: np.ndarray | None, new: np.ndarray) -> np.ndarray:
    """Two sorted runs of one channel as one sorted run (a source may emit a time later than
    its window, e.g. a transform's shift, so the next window can start before it)."""
    if old is None or not old.size:
        return new
    joined = np.concatenate((old, new))
    return joined if old[-1] <= new[0] else np.sort(joined, kind="stable")


def outside_gaps(ts: np.ndarray, ch: np.ndarray, gaps: list[Gap]) -> tuple[np.ndarray, np.ndarray]:
    """The tags that do not fall into any of the (time-ordered) gaps."""
    keep = np.ones(ts.size, bool)
    for gap in gaps:
        keep[np.searchsorted(ts, gap.begin, "left"):np.searchsorted(ts, gap.end, "left")] = False
    return ts[keep], ch[keep]
