"""The simulated tagger objects and the module functions that create and free them."""
from __future__ import annotations

import json
import threading
from typing import Iterable

import numpy as np

from . import validation
from .constants import CHANNEL_UNUSED, FIRST_VIRTUAL_CHANNEL, ChannelEdge, Resolution, TestSignalSource
from .engine import Engine
from .inputs import LOOKAHEAD_PS, InputSettings, InputStage
from .models import MODELS, SERIALS, model_for_serial
from .options import getSimulationOptions

_VERSION = "2.22.6-sim"


class TimeTaggerBase:
    """What every tagger offers measurements: a stream, channel bookkeeping, synchronisation."""

    def __init__(self, *args, **kwargs) -> None:
        raise TypeError("Use createTimeTagger() to open a Time Tagger.")

    # -- internal -----------------------------------------------------------------------------
    def _check_alive(self) -> None:
        if self._freed:
            raise RuntimeError(f"The Time Tagger {self._serial} was freed; create a new one with createTimeTagger().")
        if self._unplugged:
            raise RuntimeError(f"The Time Tagger {self._serial} is disconnected (USB connection lost); "
                               "free it and create it again.")

    def _live_engine(self) -> Engine:
        self._check_alive()
        return self._engine

    def _allocate_virtual_channel(self) -> int:
        with self._engine.lock:
            channel = self._next_virtual
            self._next_virtual += 1
            self._virtual_channels.add(channel)
            return channel

    def _known_channels(self) -> set[int]:
        physical = set(range(1, self._model.n_inputs + 1))
        return physical | {-c for c in physical} | self._virtual_channels

    def _check_channel(self, name: str, channel: object, optional: bool = False) -> int:
        """Validate a channel argument of a measurement or virtual channel."""
        number = validation.integer(name, channel)
        if optional and number == CHANNEL_UNUSED:
            return number
        if number not in self._known_channels():
            n = self._model.n_inputs
            raise ValueError(
                f"{name}={number} is not a channel of this {self._model.name}: allowed are inputs "
                f"1..{n} (rising edges), -1..-{n} (falling edges)"
                + (f", virtual channels {sorted(self._virtual_channels)}" if self._virtual_channels else "")
                + (", or CHANNEL_UNUSED" if optional else ""))
        return number

    def _check_physical(self, channel: object, name: str = "channel") -> int:
        number = validation.integer(name, channel)
        n = self._model.n_inputs
        if not (1 <= abs(number) <= n):
            raise ValueError(f"{name}={number} is not an input of this {self._model.name}: allowed are "
                             f"1..{n} (rising edges) and -1..-{n} (falling edges)")
        return number

    # -- public API ---------------------------------------------------------------------------
    def getConfiguration(self) -> str:
        """JSON description of the tagger and its settings."""
        self._check_alive()
        s = self._inputs.settings
        channels = []
        for ch in self.getChannelList():
            entry = {"channel": ch, "input delay": self.getInputDelay(ch),
                     "deadtime": self.getDeadtime(ch), "event divider": s.event_divider.get(ch, 1)}
            if ch > 0:
                entry.update({"trigger level": self.getTriggerLevel(ch), "test signal": self.getTestSignal(ch)})
            channels.append(entry)
        return json.dumps({
            "serial": self._serial, "model": self._model.name, "simulated": True,
            "resolution": self._resolution.name, "firmware": self._model.firmware,
            "test signal divider": s.test_signal_divider,
            "conditional filter": {"trigger": s.filter_triggers, "filtered": s.filter_filtered},
            "virtual time": self._engine.options.virtual_time, "channels": channels,
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
        """The channel of the opposite edge of the same input."""
        return -self._check_physical(channel)

    def __enter__(self):
        return self

    def __exit__(self, *exc) -> None:
        freeTimeTagger(self)


class TimeTagger(TimeTaggerBase):
    """A simulated hardware Time Tagger (see the package docstring for what differs)."""

    def __init__(self, *args, **kwargs) -> None:  # pragma: no cover - mirrors the library
        raise TypeError("Use createTimeTagger() to open a Time Tagger.")

    @classmethod
    def _open(cls, serial: str, resolution: Resolution) -> "TimeTagger":
        self = object.__new__(cls)
        self._model = model_for_serial(serial)
        self._serial = serial or SERIALS[0]
        self._resolution = Resolution(resolution)
        self._freed = False
        self._unplugged = False
        self._next_virtual = FIRST_VIRTUAL_CHANNEL
        self._virtual_channels: set[int] = set()
        options = getSimulationOptions()
        self._seed = options.seed
        self._seeds = np.random.SeedSequence(options.seed)
        self._inputs = InputStage(InputSettings(self._model), self._make_rng(), self._signal_nodes)
        self._engine = Engine(self._inputs.produce, options, self._serial)
        return self

    def _make_rng(self) -> np.random.Generator:
        """An independent random generator, reproducible when the simulation is seeded."""
        return np.random.default_rng(self._seeds.spawn(1)[0])

    def _signal_nodes(self) -> list:
        from .signals import SignalNode
        return [it for it in self._engine.iterators() if isinstance(it, SignalNode)]

    def _settings_changed(self) -> None:
        self._inputs.reset_state()

    # -- identity -----------------------------------------------------------------------------
    def getSerial(self) -> str:
        """The serial number (its prefix selects the simulated model)."""
        self._check_alive()
        return self._serial

    def getModel(self) -> str:
        """The model name, e.g. 'Time Tagger Ultra'."""
        self._check_alive()
        return self._model.name

    def getFirmwareVersion(self) -> str:
        """The (simulated) firmware version string."""
        self._check_alive()
        return self._model.firmware

    def getPcbVersion(self) -> str:
        """The PCB version; 'SIM' for the simulator."""
        self._check_alive()
        return "SIM"

    def getPsPerClock(self) -> int:
        """The internal clock period in ps (6000 on a Time Tagger 20, 2000 on an Ultra)."""
        self._check_alive()
        return self._model.ps_per_clock

    def getChannelList(self, type: int = ChannelEdge.All) -> list[int]:
        """Physical channel numbers: rising edges 1..N, falling edges -1..-N, selected by ``type``."""
        self._check_alive()
        n = self._model.n_inputs
        edge = ChannelEdge(validation.integer("type", type))
        both = not edge & (ChannelEdge.Rising | ChannelEdge.Falling)
        rising = list(range(1, n + 1)) if both or edge & ChannelEdge.Rising else []
        falling = [-c for c in range(1, n + 1)] if both or edge & ChannelEdge.Falling else []
        return rising + falling

    # -- test signal --------------------------------------------------------------------------
    def setTestSignal(self, channel: int | Iterable[int], enabled: bool) -> None:
        """Connect (or disconnect) the built-in test signal to one input or a list of inputs."""
        self._check_alive()
        channels = validation.channel_list("channel", channel)
        checked = [abs(self._check_physical(c)) for c in channels]
        with self._engine.lock:
            for c in checked:
                (self._inputs.settings.test_signal.add if enabled else self._inputs.settings.test_signal.discard)(c)

    def getTestSignal(self, channel: int) -> bool:
        """True if the test signal is connected to the input of ``channel``."""
        self._check_alive()
        return abs(self._check_physical(channel)) in self._inputs.settings.test_signal

    def setTestSignalDivider(self, divider: int) -> None:
        """Test signal frequency = base clock / divider (Ultra: 403.2 MHz / 504 = 800 kHz by default)."""
        self._check_alive()
        value = validation.integer("divider", divider)
        if not 1 <= value <= 65535:
            raise ValueError(f"divider {value} is out of range: allowed 1 to 65535")
        with self._engine.lock:
            self._inputs.settings.test_signal_divider = value

    def getTestSignalDivider(self) -> int:
        """The test signal divider (frequency = base clock / divider)."""
        self._check_alive()
        return self._inputs.settings.test_signal_divider

    def setTestSignalSource(self, source: TestSignalSource) -> None:
        """Select the test signal source (the simulator's signal is the same for both)."""
        self._check_alive()
        self._test_signal_source = TestSignalSource(source)

    def getTestSignalSource(self) -> TestSignalSource:
        """The selected test signal source."""
        self._check_alive()
        return getattr(self, "_test_signal_source", TestSignalSource.Digital)

    # -- input settings -----------------------------------------------------------------------
    def setTriggerLevel(self, channel: int, voltage: float) -> None:
        """Comparator threshold of an input (V). Simulated pulses are 0 V to 1 V high."""
        self._check_alive()
        n = abs(self._check_physical(channel))
        low, high = self._model.trigger_range_v
        validation.in_range("voltage", voltage, low, high, "V")
        with self._engine.lock:
            self._inputs.settings.trigger_level[n] = float(voltage)

    def getTriggerLevel(self, channel: int) -> float:
        """The comparator threshold of the input of ``channel`` (V), 0.5 V by default."""
        self._check_alive()
        return self._inputs.settings.trigger_level.get(abs(self._check_physical(channel)), 0.5)

    def getTriggerLevelRange(self, channel: int) -> list[float]:
        """[minimum, maximum] trigger level of the model (V)."""
        self._check_physical(channel)
        return list(self._model.trigger_range_v)

    def setInputDelay(self, channel: int, delay: int) -> None:
        """Shift the tags of a channel by ``delay`` ps (negative values down to -2 us)."""
        self._check_alive()
        ch = self._check_physical(channel)
        value = validation.integer("delay", delay)
        validation.in_range("delay", value, -LOOKAHEAD_PS, 2_000_000_000_000, "ps")
        with self._engine.lock:
            self._inputs.settings.input_delay[ch] = value

    def getInputDelay(self, channel: int) -> int:
        """The input delay of ``channel`` (ps)."""
        self._check_alive()
        return self._inputs.settings.input_delay.get(self._check_physical(channel), 0)

    def setDeadtime(self, channel: int, deadtime: int) -> int:
        """Set the dead time (ps); returns the value applied (rounded to 6 ns steps on a Time Tagger 20)."""
        self._check_alive()
        ch = self._check_physical(channel)
        value = validation.integer("deadtime", deadtime)
        m = self._model
        if m.deadtime_quantised:
            value = int(round(value / m.ps_per_clock)) * m.ps_per_clock
        value = max(value, m.deadtime_min_ps)
        if value > m.deadtime_max_ps:
            raise ValueError(f"deadtime {deadtime} ps is out of range for the {m.name}: allowed "
                             f"{m.deadtime_min_ps} to {m.deadtime_max_ps} ps")
        with self._engine.lock:
            self._inputs.settings.deadtime[ch] = value
        return value

    def getDeadtime(self, channel: int) -> int:
        """The dead time of ``channel`` (ps); the model's minimum by default."""
        self._check_alive()
        return self._inputs.settings.deadtime.get(self._check_physical(channel), self._model.deadtime_min_ps)

    def getDeadtimeRange(self, channel: int) -> list[int]:
        """[minimum, maximum] dead time of the model (ps)."""
        self._check_physical(channel)
        return [self._model.deadtime_min_ps, self._model.deadtime_max_ps]

    def setEventDivider(self, channel: int, divider: int) -> None:
        """Transmit only every ``divider``-th tag of a channel."""
        self._check_alive()
        ch = self._check_physical(channel)
        value = validation.integer("divider", divider)
        if not 1 <= value <= 65535:
            raise ValueError(f"divider {value} is out of range: allowed 1 to 65535")
        with self._engine.lock:
            self._inputs.settings.event_divider[ch] = value

    def getEventDivider(self, channel: int) -> int:
        """The event divider of ``channel`` (1: every tag)."""
        self._check_alive()
        return self._inputs.settings.event_divider.get(self._check_physical(channel), 1)

    def setConditionalFilter(self, trigger: Iterable[int], filtered: Iterable[int]) -> None:
        """Pass a tag of a ``filtered`` channel only if a ``trigger`` tag came since its previous tag."""
        self._check_alive()
        triggers = [self._check_physical(c, "trigger") for c in validation.channel_list("trigger", trigger)]
        filtered_ = [self._check_physical(c, "filtered") for c in validation.channel_list("filtered", filtered)]
        if not triggers or not filtered_:
            raise ValueError("setConditionalFilter needs at least one trigger and one filtered channel; "
                             "use clearConditionalFilter() to switch it off")
        with self._engine.lock:
            self._inputs.settings.filter_triggers = triggers
            self._inputs.settings.filter_filtered = filtered_
            self._settings_changed()

    def clearConditionalFilter(self) -> None:
        """Switch the conditional filter off."""
        self._check_alive()
        with self._engine.lock:
            self._inputs.settings.filter_triggers = []
            self._inputs.settings.filter_filtered = []
            self._settings_changed()

    def getConditionalFilterTrigger(self) -> list[int]:
        """The trigger channels of the conditional filter."""
        return list(self._inputs.settings.filter_triggers)

    def getConditionalFilterFiltered(self) -> list[int]:
        """The filtered channels of the conditional filter."""
        return list(self._inputs.settings.filter_filtered)

    # -- overflows ----------------------------------------------------------------------------
    def getOverflows(self) -> int:
        """Tags lost because the input rate exceeded the transfer rate, since the last clear."""
        self._check_alive()
        return self._inputs.overflows

    def clearOverflows(self) -> None:
        """Reset the overflow counter."""
        self._check_alive()
        with self._engine.lock:
            self._inputs.overflows = 0

    def getOverflowsAndClear(self) -> int:
        """The overflow counter, reset in the same step."""
        self._check_alive()
        with self._engine.lock:
            value, self._inputs.overflows = self._inputs.overflows, 0
            return value

    def reset(self) -> None:
        """Return every input setting to its power-on default; measurements stay attached."""
        self._check_alive()
        with self._engine.lock:
            self._inputs.settings = InputSettings(self._model)
            self._inputs.overflows = 0
            self._settings_changed()

    # -- simulator only -----------------------------------------------------------------------
    def simConnect(self, source_channel: int, input_channel: int, delay: int = 0) -> None:
        """Simulator only: cable a simulated signal (a virtual channel) into a physical input.

        A source may feed several inputs; connecting the same pair again changes the delay.
        ``delay`` (ps, >= 0) is the cable's propagation delay: part of the signal path, so it
        is not an input setting and survives ``reset``.
        """
        self._check_alive()
        source = self._check_channel("source_channel", source_channel)
        if source < FIRST_VIRTUAL_CHANNEL:
            raise ValueError(f"source_channel={source} must be a simulated signal channel "
                             f"(>= {FIRST_VIRTUAL_CHANNEL})")
        target = self._check_physical(input_channel, "input_channel")
        if target < 0:
            raise ValueError(f"input_channel={target} must be a rising-edge input number 1..{self._model.n_inputs}")
        cable = validation.integer("delay", delay)
        if cable < 0:
            raise ValueError(f"delay {cable} ps is out of range: a cable delay is 0 ps or more")
        with self._engine.lock:
            self._inputs.connections[(source, target)] = cable

    def simUnplug(self) -> None:
        """Simulator only: behave as if the USB cable were pulled (every later call raises)."""
        with self._engine.lock:
            self._unplugged = True
        self._engine.close()

    def simIsVirtualTime(self) -> bool:
        """Simulator only: True when the stream runs in virtual time."""
        return self._engine.options.virtual_time


_open_lock = threading.Lock()
_open_taggers: list[TimeTagger] = []


def scanTimeTagger(include_model_name: bool = False) -> list[str]:
    """The serials of the simulated Time Taggers (one per model)."""
    if include_model_name:
        return [f"{m.serial_prefix}0001 {m.name}" for m in MODELS]
    return list(SERIALS)


def createTimeTagger(serial: str = "", resolution: Resolution = Resolution.Standard) -> TimeTagger:
    """Open a simulated Time Tagger; the serial selects the model (see ``scanTimeTagger``)."""
    if not isinstance(serial, str):
        raise TypeError(f"serial must be a string, got {serial!r}")
    validation.integer("resolution", resolution)
    if int(resolution) not in {r.value for r in Resolution}:
        raise ValueError(f"resolution {resolution} is not one of {[r.name for r in Resolution]}")
    tagger = TimeTagger._open(serial, Resolution(int(resolution)))
    with _open_lock:
        _open_taggers.append(tagger)
    return tagger


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


def getVersion() -> str:
    """The simulated library version: the Swabian version it mirrors, marked as simulator."""
    return _VERSION
