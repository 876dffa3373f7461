"""The software-defined reference clock (``setReferenceClock``, the older ``setSoftwareClock``).

A phase-locked loop follows the tags of the clock input and rescales every tag onto the clock's
time base; a virtual channel receives the "ideal clock" ticks, exactly one clock period apart.
While the loop is not locked the stream is in overflow mode: tags are lost, only their number per
channel is kept, as the library does. Locking, loss of lock and errors go to the logger.
With an event divider on the clock input, the reference clock still emits an ideal tick per
original period (the library's recovery of dismissed tags).

Simulator difference: ``synchronization_channel`` (a 1PPS input) is followed and reported
(``is_synchronized``) but does not shift the time base to UTC seconds: the library aligns its
absolute time to UTC, which the simulator's int64 picosecond stream (starting at 0) does not do.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .. import logger
from ..constants import CHANNEL_UNUSED, LOGGER_INFO, LOGGER_WARNING
from ..engine.blocks import EMPTY_CH, EMPTY_TS, Block, Gap, gap_from_tags, merged_gaps
from ..engine.engine import merge_streams
from ..kernels import clock as kernel
from .software import Upstream

#: Fraction of the phase error the loop corrects per clock tick, per averaging period (2 / N).
LOOP_GAIN_PER_PERIODS = 2.0


class _State:
    """A snapshot object whose attributes are set by the tagger (class attributes hold the defaults)."""

    def __init__(self) -> None:
        pass

    def __repr__(self) -> str:
        names = [n for n in dir(type(self)) if not n.startswith("_")]
        return f"{type(self).__name__}(" + ", ".join(f"{n}={getattr(self, n)!r}" for n in names) + ")"


class SoftwareClockState(_State):
    """The current configuration state of the software clock (a snapshot)."""

    averaging_periods: float = 0.0
    clock_period: int = 0
    enabled: bool = False
    error_counter: int = 0
    ideal_clock_channel: int = CHANNEL_UNUSED
    input_channel: int = CHANNEL_UNUSED
    is_locked: bool = False
    last_ideal_clock_event: int = 0
    period_error: float = 0.0
    phase_error_estimation: float = 0.0


class ReferenceClockState(_State):
    """The current state of the software-defined reference clock (a snapshot)."""

    averaging_periods: float = 0.0
    clock_channel: int = CHANNEL_UNUSED
    clock_period: int = 0
    enabled: bool = False
    error_counter: int = 0
    event_divider: int = 1
    ideal_clock_channel: int = CHANNEL_UNUSED
    is_locked: bool = False
    is_synchronized: bool = False
    last_ideal_clock_event: int = 0
    period_error: float = 0.0
    phase_error_estimation: float = 0.0
    synchronization_channel: int = CHANNEL_UNUSED
    synchronization_offset: int = 0


@dataclass
class ClockSettings:
    """One configured clock: which input, its expected interval, the averaging."""

    channel: int
    ideal_channel: int
    ideal_period: int          #: the ideal clock period (ps)
    ticks_per_tag: int         #: ideal ticks per clock tag (event divider of the reference clock)
    averaging: float           #: periods of the period average
    reference: bool            #: setReferenceClock (else setSoftwareClock)
    sync_channel: int = CHANNEL_UNUSED
    sync_offset: int = 0

    @property
    def nominal(self) -> float:
        return float(self.ideal_period * self.ticks_per_tag)


class ClockStage:
    """Between the input stages and the stream: the loop's rescaling of every tag."""

    def __init__(self, upstream: Upstream, serial: str) -> None:
        self._up = upstream
        self._serial = serial
        self.settings: ClockSettings | None = None
        self.quiet = False                       #: no lock messages (while a call waits for the lock)
        self._state = np.zeros(kernel.STATE_SIZE, np.float64)
        self._end = 0                            # raw time read so far
        self._ts, self._ch = EMPTY_TS, EMPTY_CH  # mapped tags not yet emitted
        self._gaps: list[Gap] = []               # overflow gaps of the upstream, mapped
        self._open: int | None = None            # output time the current unlocked stretch began
        self._unlocked: list[tuple[int, int]] = []
        self._lost_ts, self._lost_ch = EMPTY_TS, EMPTY_CH   # tags lost while unlocked (mapped)
        self._last_tick = 0
        self._pps: list[int] = []
        self.lost = 0                            #: tags lost while unlocked, since the last clear

    def _mapped_end(self) -> float:
        s = self._state
        if self.settings is not None and s[kernel.LOCKED] > 0:
            return s[kernel.LAST_MAPPED] + s[kernel.SLOPE] * (self._end - s[kernel.LAST_RAW])
        return self._end + s[kernel.OFFSET]

    def configure(self, settings: ClockSettings | None) -> None:
        """Start (or stop, with None) following a clock; the time base stays continuous."""
        here = self._mapped_end()
        if self._open is not None:
            self._unlocked.append((self._open, int(round(here))))
        errors = self._state[kernel.ERRORS] if settings is not None and self.settings is not None else 0.0
        self._state[:] = 0.0
        self._state[kernel.OFFSET], self._state[kernel.ERRORS] = here - self._end, errors
        self.settings = settings
        self._open = int(round(here)) if settings is not None else None
        self._pps = []

    def needed(self) -> set[int]:
        if self.settings is None:
            return set()
        return {self.settings.channel} | ({self.settings.sync_channel} - {CHANNEL_UNUSED})

    # -- the stream ---------------------------------------------------------------------------
    def _raw_for(self, t: int) -> int:
        """The raw time whose tags map to about ``t`` (or later)."""
        s = self._state
        if self.settings is not None and s[kernel.LOCKED] > 0 and s[kernel.SLOPE] > 0:
            return int(s[kernel.LAST_RAW] + (t - s[kernel.LAST_MAPPED]) / s[kernel.SLOPE])
        return int(t - s[kernel.OFFSET])

    def _idle(self) -> bool:
        return (self.settings is None and not self._ts.size and not self._gaps and not self._unlocked
                and not self._lost_ts.size)

    def produce(self, t0: int, t1: int, needed: set[int]) -> Block:
        offset = int(round(self._state[kernel.OFFSET]))
        if self._idle() and self._end <= t0 - offset:
            self._end = t1 - offset
            block = self._up.produce(t0 - offset, t1 - offset, needed)
            if offset:
                block = Block(t0, t1, block.ts + offset, block.ch,
                              [Gap(g.begin + offset, g.end + offset, g.channels, g.missed) for g in block.gaps])
            return block
        margin = 1 + (t1 - t0) // 1000 + (2 * int(self.settings.nominal) if self.settings else 0)
        want = self._raw_for(t1) + margin
        self._end = max(self._end, self._raw_for(t0))      # a replay skipped unprocessed time
        if want > self._end:
            self._read(self._up.produce(self._end, want, needed | self.needed()))
            self._end = want
        return self._emit(t0, t1)

    def _read(self, block: Block) -> None:
        settings = self.settings
        gaps = [Gap(self._map_one(g.begin), self._map_one(g.end), g.channels, g.missed) for g in block.gaps]
        if settings is None:
            ts, ch = block.ts + int(round(self._state[kernel.OFFSET])), block.ch
        else:
            gain = min(1.0, LOOP_GAIN_PER_PERIODS / settings.averaging)
            mapped_f, locked, ticks_f, events = kernel.pll(
                block.ts, block.ch, settings.channel, settings.nominal, float(settings.ideal_period),
                settings.averaging, gain, settings.ticks_per_tag, self._state)
            mapped = np.rint(mapped_f).astype(np.int64)
            ts, ch = mapped[locked], block.ch[locked]
            self.lost += int(np.count_nonzero(~locked))
            self._lost_ts = np.concatenate((self._lost_ts, mapped[~locked]))
            self._lost_ch = np.concatenate((self._lost_ch, block.ch[~locked]))
            for kind, at in events.tolist():
                if kind > 0 and self._open is not None:
                    self._unlocked.append((self._open, int(round(at))))
                    self._open = None
                elif kind < 0:
                    self._open = int(round(at))
            self._report(events)
            if ticks_f.size:
                ticks = np.rint(ticks_f).astype(np.int64)
                self._last_tick = int(ticks[-1])
                ts, ch = merge_streams(ts, ch, ticks, np.full(ticks.size, settings.ideal_channel, np.int32))
            self._follow_pps(ts, ch)
        self._gaps += gaps
        self._ts, self._ch = merge_streams(self._ts, self._ch, ts, ch)

    def _map_one(self, raw: int) -> int:
        s = self._state
        if self.settings is not None and s[kernel.LOCKED] > 0:
            return int(round(s[kernel.LAST_MAPPED] + s[kernel.SLOPE] * (raw - s[kernel.LAST_RAW])))
        return int(round(raw + s[kernel.OFFSET]))

    def _emit(self, t0: int, t1: int) -> Block:
        lo = int(np.searchsorted(self._ts, t0, "left"))
        hi = int(np.searchsorted(self._ts, t1, "left"))
        ts, ch = self._ts[lo:hi], self._ch[lo:hi]
        self._ts, self._ch = self._ts[hi:], self._ch[hi:]
        stretches = self._unlocked + ([(self._open, t1)] if self._open is not None else [])
        gaps, keep = [], []
        for begin, end in stretches:
            if end > t0 and begin < t1:
                a, b = max(begin, t0), min(end, t1)
                lo = int(np.searchsorted(self._lost_ts, a, "left"))
                hi = int(np.searchsorted(self._lost_ts, b, "left"))
                gaps.append(gap_from_tags(a, b, self._lost_ch[lo:hi]))
            if end > t1:
                keep.append((max(begin, t1), end))
        self._unlocked = keep
        if self._open is not None:
            self._open = max(self._open, t1)
        cut = int(np.searchsorted(self._lost_ts, t1, "left"))
        self._lost_ts, self._lost_ch = self._lost_ts[cut:], self._lost_ch[cut:]
        later = []
        for gap in self._gaps:
            if gap.end <= t0:
                continue
            if gap.begin >= t1:
                later.append(gap)
            elif gap.end <= t1:
                gaps.append(Gap(max(gap.begin, t0), gap.end, gap.channels, gap.missed))
            else:
                gaps.append(Gap(max(gap.begin, t0), t1, gap.channels, gap.missed))
                later.append(Gap(t1, gap.end))
        self._gaps = later
        gaps = merged_gaps(gaps)
        if gaps:
            ts, ch = _outside(ts, ch, gaps)
        return Block(t0, t1, ts, ch, gaps)

    def _report(self, events: np.ndarray) -> None:
        if self.quiet or self.settings is None:
            return
        kind = "reference clock" if self.settings.reference else "software clock"
        for event, _ in events.tolist():
            if event > 0:
                logger.log(LOGGER_INFO, f"{self._serial}: the {kind} locked to channel {self.settings.channel}")
            else:
                logger.log(LOGGER_WARNING, f"{self._serial}: the {kind} on channel {self.settings.channel} "
                                           f"lost its lock (locking errors: {int(self._state[kernel.ERRORS])}); "
                                           "tags are lost until it locks again")

    def _follow_pps(self, ts: np.ndarray, ch: np.ndarray) -> None:
        if self.settings is None or self.settings.sync_channel == CHANNEL_UNUSED:
            return
        self._pps = (self._pps + ts[ch == self.settings.sync_channel].tolist())[-3:]

    # -- state --------------------------------------------------------------------------------
    @property
    def locked(self) -> bool:
        return self.settings is not None and self._state[kernel.LOCKED] > 0

    @property
    def errors(self) -> int:
        return int(self._state[kernel.ERRORS])

    def _fill(self, state) -> None:
        s, c = self._state, self.settings
        state.enabled = c is not None
        state.error_counter = int(s[kernel.ERRORS])
        state.is_locked = self.locked
        if c is None:
            return
        state.averaging_periods = float(c.averaging)
        state.clock_period = int(c.ideal_period)
        state.ideal_clock_channel = c.ideal_channel
        state.last_ideal_clock_event = self._last_tick
        state.period_error = float(s[kernel.PERIOD] / c.ticks_per_tag - c.ideal_period) if self.locked else 0.0
        state.phase_error_estimation = float(np.sqrt(s[kernel.ERROR2]))

    def software_state(self) -> SoftwareClockState:
        state = SoftwareClockState()
        if self.settings is not None and not self.settings.reference:
            self._fill(state)
            state.input_channel = self.settings.channel
        return state

    def reference_state(self) -> ReferenceClockState:
        state = ReferenceClockState()
        if self.settings is not None and self.settings.reference:
            self._fill(state)
            state.clock_channel = self.settings.channel
            state.event_divider = self.settings.ticks_per_tag
            state.synchronization_channel = self.settings.sync_channel
            state.synchronization_offset = self.settings.sync_offset
            pps = np.diff(self._pps)
            state.is_synchronized = bool(self.locked and pps.size and np.all(np.abs(pps - 10**12) < 10**9))
        return state


def _outside(ts: np.ndarray, ch: np.ndarray, gaps: list[Gap]) -> tuple[np.ndarray, np.ndarray]:
    keep = np.ones(ts.size, bool)
    for gap in gaps:
        keep[np.searchsorted(ts, gap.begin, "left"):np.searchsorted(ts, gap.end, "left")] = False
    return ts[keep], ch[keep]


def state_dict(state: _State) -> dict:
    """The attributes of a clock state object."""
    return {n: getattr(state, n) for n in dir(type(state)) if not n.startswith("_")}
