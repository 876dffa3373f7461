"""The simulated hardware ``TimeTagger`` and the module functions that find and open one."""
from __future__ import annotations

from typing import Iterable

import numpy as np

from .. import validation
from ..constants import FIRST_VIRTUAL_CHANNEL, ChannelEdge, Resolution, TestSignalSource
from ..engine.engine import Engine, Role
from ..options import getSimulationOptions
from .base import TimeTaggerBase, register_open
from .inputs import LOOKAHEAD_PS, InputSettings, InputStage
from .models import MODELS, SERIALS, model_for_serial

_VERSION = "2.22.6-sim"


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
        return self._engine.iterators(Role.SIGNAL)

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
    register_open(tagger)
    return tagger


def getVersion() -> str:
    """The simulated library version: the Swabian version it mirrors, marked as simulator."""
    return _VERSION
