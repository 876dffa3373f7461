"""``TimeTaggerSource`` and ``TimeTaggerBase``: what every tagger offers, and ``freeTimeTagger``.

``TimeTaggerSource`` holds the settings of a source of tags (delays, dead time, event divider,
conditional filter, overflows, reference clock), ``TimeTaggerBase`` what measurements need
(channels, fences, the software clock, autostart). Both act on the concrete tagger's input
settings and stages, which ``TimeTagger`` (simulated hardware) and ``TimeTaggerVirtual`` provide.
"""
from __future__ import annotations

import json
import threading
from typing import Iterable

import numpy as np

from .. import validation
from ..constants import CHANNEL_UNUSED, FIRST_VIRTUAL_CHANNEL
from ..engine.engine import Engine
from .clock import ClockSettings, ClockStage, ReferenceClockState, SoftwareClockState, state_dict
from .inputs import InputSettings
from .models import Model
from .software import MAX_SOFTWARE_DELAY_PS

#: Longest wait for a clock to lock before ``setSoftwareClock``/``setReferenceClock`` give up
#: (stream time, ps, beyond the averaging time itself).
LOCK_TIMEOUT_PS = 1_000_000_000_000
#: Wall-clock bound of the same wait (s).
LOCK_TIMEOUT_S = 60.0


class TimeTaggerSource:
    """Settings of a source of time tags: delays, dead time, event divider, conditional filter,
    overflows and the software-defined reference clock."""

    _model: Model
    _engine: Engine
    _clock: ClockStage

    def __init__(self, *args, **kwargs) -> None:
        raise TypeError("Use createTimeTagger() or createTimeTaggerVirtual() to open a Time Tagger.")

    # -- internal (the concrete taggers provide these) -----------------------------------------
    @property
    def _settings(self) -> InputSettings:
        return self._inputs.settings

    def _settings_changed(self) -> None:
        self._inputs.reset_state()

    def _source_channel(self, channel: object, name: str = "channel") -> int:
        """A channel whose input settings can be changed (physical inputs; rising or falling)."""
        return self._check_physical(channel, name)

    # -- delays -------------------------------------------------------------------------------
    def setInputDelay(self, channel: int, delay: int) -> None:
        """Shift a channel's tags by ``delay`` ps: on board within getDelayHardwareRange(), else in software."""
        self._check_alive()
        ch = self._source_channel(channel)
        value = validation.integer("delay", delay)
        limit = self._model.hardware_delay_ps
        with self._engine.lock:
            if limit and abs(value) <= limit:
                self._settings.delay_hardware[ch] = value
                self._settings.delay_software.pop(ch, None)
            else:
                self._checked_software_delay(value)
                self._settings.delay_software[ch] = value
                self._settings.delay_hardware.pop(ch, None)

    def getInputDelay(self, channel: int) -> int:
        """The sum of getDelaySoftware() and getDelayHardware() of ``channel`` (ps)."""
        return self.getDelayHardware(channel) + self.getDelaySoftware(channel)

    def setDelayHardware(self, channel: int, delay: int) -> None:
        """Delay applied on board directly after the TDC, so it also acts on the conditional filter (ps)."""
        self._check_alive()
        ch = self._source_channel(channel)
        value = validation.integer("delay", delay)
        limit = self._model.hardware_delay_ps
        if not limit:
            raise RuntimeError(f"setDelayHardware is not available on the {self._model.name}; "
                               "use setDelaySoftware or setInputDelay")
        validation.in_range("delay", value, -limit, limit, "ps")
        with self._engine.lock:
            self._settings.delay_hardware[ch] = value

    def getDelayHardware(self, channel: int) -> int:
        """The on-board delay of ``channel`` (ps)."""
        self._check_alive()
        return self._settings.delay_hardware.get(self._source_channel(channel), 0)

    def getDelayHardwareRange(self, channel: int) -> list[int]:
        """[minimum, maximum] hardware delay (ps): +-2 us on the Ultra, +-2.5 us on the X, none on the TT20."""
        self._source_channel(channel)
        return [-self._model.hardware_delay_ps, self._model.hardware_delay_ps]

    @staticmethod
    def _checked_software_delay(value: int) -> int:
        validation.in_range("delay", value, -MAX_SOFTWARE_DELAY_PS, MAX_SOFTWARE_DELAY_PS, "ps")
        return value

    def setDelaySoftware(self, channel: int, delay: int) -> None:
        """Delay applied on the computer (after the conditional filter), positive or negative (ps)."""
        self._check_alive()
        ch = self._source_channel(channel)
        value = self._checked_software_delay(validation.integer("delay", delay))
        with self._engine.lock:
            self._settings.delay_software[ch] = value

    def getDelaySoftware(self, channel: int) -> int:
        """The software delay of ``channel`` (ps)."""
        self._check_alive()
        return self._settings.delay_software.get(self._source_channel(channel), 0)

    # -- dead time, divider, filter -------------------------------------------------------------
    def setDeadtime(self, channel: int, deadtime: int) -> int:
        """Set the dead time (ps); returns the value applied (rounded to 6 ns steps on a Time Tagger 20)."""
        self._check_alive()
        ch = self._source_channel(channel)
        value = validation.integer("deadtime", deadtime)
        m = self._model
        if m.deadtime_quantised:
            value = int(round(value / m.ps_per_clock)) * m.ps_per_clock
        value = max(value, m.deadtime_min_ps)
        if value > m.deadtime_max_ps:
            raise ValueError(f"deadtime {deadtime} ps is out of range for the {m.name}: allowed "
                             f"{m.deadtime_min_ps} to {m.deadtime_max_ps} ps")
        with self._engine.lock:
            self._settings.deadtime[ch] = value
        return value

    def getDeadtime(self, channel: int) -> int:
        """The dead time of ``channel`` (ps); the model's minimum by default."""
        self._check_alive()
        return self._settings.deadtime.get(self._source_channel(channel), self._model.deadtime_min_ps)

    def getDeadtimeRange(self, channel: int) -> list[int]:
        """[minimum, maximum] dead time of the model (ps)."""
        self._source_channel(channel)
        return [self._model.deadtime_min_ps, self._model.deadtime_max_ps]

    def setEventDivider(self, channel: int, divider: int) -> None:
        """Transmit only every ``divider``-th tag of a channel (after the conditional filter)."""
        self._check_alive()
        ch = self._source_channel(channel)
        value = validation.integer("divider", divider)
        if not 1 <= value <= 65535:
            raise ValueError(f"divider {value} is out of range: allowed 1 to 65535")
        with self._engine.lock:
            self._settings.event_divider[ch] = value

    def getEventDivider(self, channel: int) -> int:
        """The event divider of ``channel`` (1: every tag)."""
        self._check_alive()
        return self._settings.event_divider.get(self._source_channel(channel), 1)

    def setConditionalFilter(self, trigger: Iterable[int], filtered: Iterable[int]) -> None:
        """Pass a tag of a ``filtered`` channel only if a ``trigger`` tag came since its previous tag."""
        self._check_alive()
        triggers = [self._source_channel(c, "trigger") for c in validation.channel_list("trigger", trigger)]
        filtered_ = [self._source_channel(c, "filtered") for c in validation.channel_list("filtered", filtered)]
        with self._engine.lock:
            if not triggers or not filtered_:      # the library: equivalent to clearConditionalFilter
                triggers, filtered_ = [], []
            self._settings.filter_triggers = triggers
            self._settings.filter_filtered = filtered_
            self._inputs.reset_filter()

    def clearConditionalFilter(self) -> None:
        """Switch the conditional filter off (setConditionalFilter([], []))."""
        self.setConditionalFilter([], [])

    def getConditionalFilterTrigger(self) -> list[int]:
        """The trigger channels of the conditional filter."""
        self._check_alive()
        return list(self._settings.filter_triggers)

    def getConditionalFilterFiltered(self) -> list[int]:
        """The filtered channels of the conditional filter."""
        self._check_alive()
        return list(self._settings.filter_filtered)

    # -- overflows ----------------------------------------------------------------------------
    def getOverflows(self) -> int:
        """Tags lost to overflows (full hardware buffer, unlocked clock) since start-up or the last clear.

        Simulator note: the library counts lost blocks of tags; the simulator counts the tags.
        """
        self._check_alive()
        return self._inputs.overflows + self._clock.lost

    def clearOverflows(self) -> None:
        """Reset the overflow counter."""
        self._check_alive()
        with self._engine.lock:
            self._inputs.overflows = self._clock.lost = 0

    def getOverflowsAndClear(self) -> int:
        """The overflow counter, reset in the same step."""
        self._check_alive()
        with self._engine.lock:
            value = self.getOverflows()
            self._inputs.overflows = self._clock.lost = 0
            return value

    # -- reference clock ------------------------------------------------------------------------
    def setReferenceClock(self, clock_channel: int, clock_frequency: float = 10e6, time_constant: float = 1e-3,
                          synchronization_channel: int = CHANNEL_UNUSED, synchronization_offset: int = 0,
                          wait_until_locked: bool = True) -> None:
        """Rescale every tag onto the time base of a clock input (a software PLL; ideal ticks on a
        virtual channel). With an event divider on ``clock_channel`` still give its original frequency."""
        self._check_alive()
        channel = self._source_channel(clock_channel, "clock_channel")
        frequency = float(validation.in_range("clock_frequency", clock_frequency, 1.0, 2e9, "Hz"))
        constant = float(validation.in_range("time_constant", time_constant, 1e-9, 1e3, "s"))
        sync = validation.integer("synchronization_channel", synchronization_channel)
        if sync != CHANNEL_UNUSED:
            sync = self._source_channel(sync, "synchronization_channel")
        offset = validation.integer("synchronization_offset", synchronization_offset)
        divider = self._settings.event_divider.get(channel, 1)
        self._enable_clock(ClockSettings(
            channel, self._clock_channel_number(), int(round(1e12 / frequency)), divider,
            max(1.0, constant * frequency / divider), True, sync, offset), bool(wait_until_locked))

    def disableReferenceClock(self) -> None:
        """Disable the software-defined reference clock (the time base stays continuous)."""
        self._check_alive()
        with self._engine.lock:
            self._clock.configure(None)

    def getReferenceClockState(self) -> ReferenceClockState:
        """The reference clock's configuration and current locking state."""
        self._check_alive()
        with self._engine.lock:
            return self._clock.reference_state()

    def _clock_channel_number(self) -> int:
        current = self._clock.settings
        return current.ideal_channel if current is not None else self._allocate_virtual_channel()

    def _enable_clock(self, settings: ClockSettings, wait: bool) -> None:
        with self._engine.lock:
            self._clock.configure(settings)
            self._clock.quiet = wait
        if not wait:
            return
        engine = self._engine
        errors = self._clock.errors
        deadline = engine.now + int(4 * settings.averaging * settings.nominal) + LOCK_TIMEOUT_PS
        try:
            with engine.demand():
                engine.wait_for(lambda: self._clock.locked or self._clock.errors > errors
                                or engine.now > deadline, LOCK_TIMEOUT_S)
        finally:
            self._clock.quiet = False
        if not self._clock.locked:
            why = ("it lost its lock" if self._clock.errors > errors
                   else f"no lock within {(engine.now - deadline + LOCK_TIMEOUT_PS) / 1e12:g} s of stream time")
            raise RuntimeError(f"The clock on channel {settings.channel} did not lock ({why}): check that a "
                               f"{1e12 / settings.nominal:g} Hz signal reaches that input")


class TimeTaggerBase(TimeTaggerSource):
    """What every tagger offers measurements: a stream, channel bookkeeping, synchronisation."""

    # -- internal -----------------------------------------------------------------------------
    def _init_base(self, model: Model, serial: str, seed: int | None) -> None:
        self._model = model
        self._serial = serial
        self._freed = False
        self._unplugged = False
        self._auto_start = True
        self._next_virtual = FIRST_VIRTUAL_CHANNEL
        self._virtual_ranges: list[range] = []
        self._seeds = np.random.SeedSequence(seed)

    def _make_rng(self) -> np.random.Generator:
        """An independent random generator, reproducible when the simulation is seeded."""
        return np.random.default_rng(self._seeds.spawn(1)[0])

    def _check_alive(self) -> None:
        if self._freed:
            raise RuntimeError(f"The Time Tagger {self._serial} was freed; create a new one.")
        if self._unplugged:
            raise RuntimeError(f"The Time Tagger {self._serial} is disconnected (USB connection lost); "
                               "free it and create it again.")

    def _live_engine(self) -> Engine:
        self._check_alive()
        return self._engine

    def _allocate_virtual_channels(self, count: int) -> int:
        """Reserve ``count`` consecutive virtual channel numbers; returns the first."""
        with self._engine.lock:
            first = self._next_virtual
            self._next_virtual += count
            self._virtual_ranges.append(range(first, first + count))
            return first

    def _allocate_virtual_channel(self) -> int:
        return self._allocate_virtual_channels(1)

    def _physical_channels(self) -> set[int]:
        physical = set(range(1, self._model.n_inputs + 1))
        return physical | {-c for c in physical}

    def _is_known(self, channel: int) -> bool:
        return channel in self._physical_channels() or any(channel in r for r in self._virtual_ranges)

    def _describe_virtual(self) -> str:
        return ", ".join(f"{r.start}" if len(r) == 1 else f"{r.start}..{r.stop - 1}" for r in self._virtual_ranges)

    def _check_channel(self, name: str, channel: object, optional: bool = False) -> int:
        """Validate a channel argument of a measurement or virtual channel."""
        number = validation.integer(name, channel)
        if optional and number == CHANNEL_UNUSED:
            return number
        if not self._is_known(number):
            n = self._model.n_inputs
            raise ValueError(
                f"{name}={number} is not a channel of this {self._model.name}: allowed are inputs "
                f"1..{n} (rising edges), -1..-{n} (falling edges)"
                + (f", virtual channels {self._describe_virtual()}" if self._virtual_ranges else "")
                + (", or CHANNEL_UNUSED" if optional else ""))
        return number

    def _check_physical(self, channel: object, name: str = "channel") -> int:
        number = validation.integer(name, channel)
        n = self._model.n_inputs
        if not (1 <= abs(number) <= n):
            raise ValueError(f"{name}={number} is not an input of this {self._model.name}: allowed are "
                             f"1..{n} (rising edges) and -1..-{n} (falling edges)")
        return number

    def _configuration(self) -> dict:
        """Tagger-specific entries of ``getConfiguration``."""
        return {}

    # -- public API ---------------------------------------------------------------------------
    def getConfiguration(self) -> str:
        """JSON text of the tagger's settings, its measurements and virtual channels."""
        self._check_alive()
        s = self._settings
        channels = []
        for ch in sorted(self._physical_channels(), key=lambda c: (abs(c), -c)):
            channels.append({"channel": ch, "input delay": self.getInputDelay(ch),
                             "hardware delay": s.delay_hardware.get(ch, 0),
                             "software delay": s.delay_software.get(ch, 0),
                             "deadtime": self.getDeadtime(ch), "event divider": s.event_divider.get(ch, 1)})
        with self._engine.lock:
            iterators = [json.loads(it.getConfiguration()) for it in self._engine.iterators()
                         if hasattr(it, "getConfiguration")]
        return json.dumps({
            "serial": self._serial, "model": self._model.name, "simulated": True,
            "conditional filter": {"trigger": s.filter_triggers, "filtered": s.filter_filtered},
            "reference clock": state_dict(self._clock.reference_state()),
            "software clock": state_dict(self._clock.software_state()),
            "channels": channels, "measurements": iterators, **self._configuration(),
        })

    def getFence(self, alloc_fence: bool = True) -> int:
        """A fence: the stream time reached once every tag received so far is processed."""
        self._check_alive()
        with self._engine.lock:
            return self._engine.now + (1 if alloc_fence else 0)

    def waitForFence(self, fence: int, timeout: int = -1) -> bool:
        """Wait until the stream passed ``fence`` (``timeout`` in ms, -1 forever)."""
        engine = self._live_engine()
        seconds = -1.0 if timeout < 0 else timeout / 1000.0
        return engine.wait_for(lambda: engine.now >= fence or not engine._active(), seconds)

    def sync(self, timeout: int = -1) -> bool:
        """Wait until every tag that reached the tagger before this call is processed."""
        return self.waitForFence(self.getFence(), timeout)

    def isUnusedChannel(self, channel: int) -> bool:
        """True if ``channel`` is the CHANNEL_UNUSED marker."""
        return channel == CHANNEL_UNUSED

    def getInvertedChannel(self, channel: int) -> int:
        """The channel of the opposite edge of the same input; CHANNEL_UNUSED if there is none."""
        number = validation.integer("channel", channel)
        return -number if number in self._physical_channels() else CHANNEL_UNUSED

    def getRegistrations(self, channel: int) -> int:
        """How many measurements and virtual channels read ``channel``."""
        number = validation.integer("channel", channel)
        with self._engine.lock:
            return sum(1 for it in self._engine.iterators() if number in it._channels())

    def isChannelRegistered(self, channel: int) -> bool:
        """True if any measurement or virtual channel reads ``channel``."""
        return self.getRegistrations(channel) > 0

    def setSoftwareClock(self, input_channel: int, input_frequency: float = 10000000.0,
                         averaging_periods: float = 1000, wait_until_locked: bool = True) -> None:
        """Rescale every tag onto the time base of a clock input (deprecated in favour of setReferenceClock).

        ``input_frequency`` is the rate of the transferred clock tags (after an event divider),
        ``averaging_periods`` the number of clock periods the loop averages over.
        """
        self._check_alive()
        channel = self._source_channel(input_channel, "input_channel")
        frequency = float(validation.in_range("input_frequency", input_frequency, 1.0, 2e9, "Hz"))
        periods = float(validation.in_range("averaging_periods", averaging_periods, 1.0, 1e9))
        self._enable_clock(ClockSettings(channel, self._clock_channel_number(), int(round(1e12 / frequency)),
                                         1, periods, False), bool(wait_until_locked))

    def disableSoftwareClock(self) -> None:
        """Disable the software clock (deprecated: use disableReferenceClock)."""
        self.disableReferenceClock()

    def getSoftwareClockState(self) -> SoftwareClockState:
        """The software clock's configuration and locking state (deprecated: getReferenceClockState)."""
        self._check_alive()
        with self._engine.lock:
            return self._clock.software_state()

    def xtra_setAutoStart(self, auto_start: bool) -> None:
        """Whether new measurements and virtual channels start on creation (default True)."""
        self._check_alive()
        self._auto_start = bool(auto_start)

    def xtra_getAutoStart(self) -> bool:
        """Whether new measurements and virtual channels start on creation."""
        self._check_alive()
        return self._auto_start

    def __enter__(self):
        return self

    def __exit__(self, *exc) -> None:
        freeTimeTagger(self)


_open_lock = threading.Lock()
_open_taggers: list[TimeTaggerBase] = []


def freeTimeTagger(tagger: TimeTaggerBase) -> bool:
    """Stop everything attached to the tagger and release its stream thread."""
    if not isinstance(tagger, TimeTaggerBase):
        raise TypeError(f"freeTimeTagger needs a TimeTagger object, got {type(tagger).__name__}")
    if tagger._freed:
        return False
    tagger._freed = True
    tagger._engine.close()
    with _open_lock:
        if tagger in _open_taggers:
            _open_taggers.remove(tagger)
    return True


def register_open(tagger: TimeTaggerBase) -> None:
    """Remember an opened tagger (its factory calls this)."""
    with _open_lock:
        _open_taggers.append(tagger)
