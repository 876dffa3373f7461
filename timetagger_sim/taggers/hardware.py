"""The simulated hardware: ``TimeTaggerHardware``, ``TimeTagger``, and the functions that find and open one.

Every setting with physics acts on the simulated stream (see ``inputs``): trigger level,
hysteresis and termination move the tags along the pulse edges, normalisation shapes the jitter,
delay compensation, input multiplexers, averaging of rising and falling edges, the hardware
buffer, high-priority channels, the stream block size, the internal clock trim. Values without
physics in a simulator (sensors, calibration, licence, LEDs, buzzer, aux outputs, clock source)
are stored and reported back, plausible per model (``device``).
"""
from __future__ import annotations

from typing import Iterable

import numpy as np

from .. import logger, validation
from ..constants import FIRST_VIRTUAL_CHANNEL, LOGGER_ERROR, ChannelEdge, Resolution, TestSignalSource
from ..engine.blocks import Block
from ..engine.engine import DEFAULT_BLOCK_EVENTS, DEFAULT_BLOCK_LATENCY_MS, Engine, Role
from ..options import SimulationOptions, getSimulationOptions
from . import device
from .base import TimeTaggerBase, register_open
from .clock import ClockStage
from .device import DeviceState
from .inputs import InputSettings, InputStage, delay_compensation
from .models import BUFFER_MIN, MODELS, SERIALS, Model, model_for_serial
from .software import SoftwareDelays

#: Hysteresis values a Time Tagger X accepts (mV).
HYSTERESIS_CHOICES_MV = (1, 20, 70)
#: Aux outputs of a Time Tagger X.
AUX_CHANNELS = (1, 2)
_DAC_BITS = 12


class HardwareSource:
    """The stream of a simulated hardware tagger: inputs -> software delays -> reference clock."""

    def __init__(self, inputs: InputStage, options: SimulationOptions, serial: str) -> None:
        self.inputs = inputs
        self.delays = SoftwareDelays(inputs, lambda: inputs.settings)
        self.clock = ClockStage(self.delays, serial)
        self._virtual_time = options.virtual_time

    def produce(self, t0: int, t1: int, needed: set[int]) -> Block:
        return self.clock.produce(t0, t1, needed)

    def window(self, now: int, t1: int) -> tuple[int, int]:
        return now, t1

    def busy(self) -> bool:
        return False

    def pace(self) -> float | None:
        return None if self._virtual_time else 1.0

    def free_running(self) -> bool:
        return not self._virtual_time


class TimeTaggerHardware:
    """The settings of Time Tagger hardware: inputs, test signal, buffers, LEDs, sensors."""

    _model: Model
    _serial: str
    _device: DeviceState

    def __init__(self, *args, **kwargs) -> None:
        raise TypeError("Use createTimeTagger() to open a Time Tagger.")

    def _input(self, channel: object, name: str = "channel") -> int:
        """The input number (1..N) of a physical channel number (either edge)."""
        return abs(self._check_physical(channel, name))

    def _x_only(self, what: str) -> None:
        if not self._model.time_tagger_x:
            raise RuntimeError(f"{what} is only available on the Time Tagger X, not on the {self._model.name}")

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
        """Device, firmware, build time and USB chip identifiers, comma separated (simulated)."""
        self._check_alive()
        return self._model.firmware

    def getPcbVersion(self) -> str:
        """The PCB version (simulated)."""
        self._check_alive()
        return self._model.pcb

    def getPsPerClock(self) -> int:
        """The internal clock period in ps (6000 on a Time Tagger 20, 2000 on an Ultra)."""
        self._check_alive()
        return self._model.ps_per_clock

    def getDeviceLicense(self) -> str:
        """JSON of the device licence: model, edition, channels (simulated)."""
        self._check_alive()
        return device.device_license(self._model, self._serial)

    def getSensorData(self) -> str:
        """JSON of the board sensors (simulated; the Time Tagger 20 has none and raises)."""
        self._check_alive()
        return device.sensor_data(self._model, self._serial, self._device)

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
        inputs = [self._input(c) for c in validation.channel_list("channel", channel)]
        with self._engine.lock:
            for n in inputs:
                (self._settings.test_signal.add if enabled else self._settings.test_signal.discard)(n)

    def getTestSignal(self, channel: int) -> bool:
        """True if the test signal is connected to the input of ``channel``."""
        self._check_alive()
        return self._input(channel) in self._settings.test_signal

    def setTestSignalDivider(self, divider: int) -> None:
        """Test signal frequency = base clock / divider (Ultra: 403.2 MHz / 504 = 800 kHz by default)."""
        self._check_alive()
        value = validation.integer("divider", divider)
        if not 1 <= value <= 65535:
            raise ValueError(f"divider {value} is out of range: allowed 1 to 65535")
        with self._engine.lock:
            self._settings.test_signal_divider = value

    def getTestSignalDivider(self) -> int:
        """The test signal divider (frequency = base clock / divider)."""
        self._check_alive()
        return self._settings.test_signal_divider

    # -- comparators --------------------------------------------------------------------------
    def setTriggerLevel(self, channel: int, voltage: float) -> None:
        """Comparator threshold of an input (V). Simulated pulses are 0 V to 1 V high (into 50 Ohm)."""
        self._check_alive()
        n = self._input(channel)
        low, high = self._model.trigger_range_v
        validation.in_range("voltage", voltage, low, high, "V")
        with self._engine.lock:
            self._settings.trigger_level[n] = float(voltage)

    def getTriggerLevel(self, channel: int) -> float:
        """The comparator threshold of the input of ``channel`` (V), 0.5 V by default."""
        self._check_alive()
        return self._settings.trigger_level.get(self._input(channel), 0.5)

    def getTriggerLevelRange(self, channel: int) -> list[float]:
        """[minimum, maximum] trigger level of the model (V)."""
        self._input(channel)
        return list(self._model.trigger_range_v)

    def getDACRange(self) -> list[float]:
        """[minimum, maximum] trigger level (V) (deprecated: getTriggerLevelRange)."""
        self._check_alive()
        return list(self._model.trigger_range_v)

    def setInputHysteresis(self, channel: int, value: int) -> None:
        """Comparator hysteresis (mV: 1, 20 or 70; Time Tagger X): the rising threshold is
        level + h/2, the falling one level - h/2, so each moves along its pulse edge."""
        self._check_alive()
        self._x_only("setInputHysteresis")
        n = self._input(channel)
        mv = validation.integer("value", value)
        if mv not in HYSTERESIS_CHOICES_MV:
            raise ValueError(f"value {mv} mV is not a supported hysteresis: allowed {HYSTERESIS_CHOICES_MV} mV")
        with self._engine.lock:
            self._settings.hysteresis_mv[n] = mv

    def getInputHysteresis(self, channel: int) -> int:
        """The hysteresis of an input (mV; 20 by default on a Time Tagger X)."""
        self._check_alive()
        self._x_only("getInputHysteresis")
        return int(round(self._settings.hysteresis_v(self._input(channel)) * 1000))

    def setInputImpedanceHigh(self, channel: int, high_impedance: bool) -> None:
        """High-Z instead of 50 Ohm (Time Tagger X): a 50 Ohm source then delivers twice the voltage."""
        self._check_alive()
        self._x_only("setInputImpedanceHigh")
        n = self._input(channel)
        with self._engine.lock:
            (self._settings.high_impedance.add if high_impedance else self._settings.high_impedance.discard)(n)

    def getInputImpedanceHigh(self, channel: int) -> bool:
        """True if the input is high-Z (Time Tagger X)."""
        self._check_alive()
        self._x_only("getInputImpedanceHigh")
        return self._input(channel) in self._settings.high_impedance

    def setNormalization(self, channels: list[int], state: bool) -> None:
        """Gaussian normalisation of the detection jitter (on by default); off: the raw, uniform
        discretisation of the same RMS."""
        self._check_alive()
        inputs = [self._input(c, "channels") for c in validation.channel_list("channels", channels)]
        with self._engine.lock:
            for n in inputs:
                (self._settings.normalization_off.discard if state else self._settings.normalization_off.add)(n)

    def getNormalization(self, channel: int) -> bool:
        """True if the jitter of ``channel`` is normalised to a Gaussian."""
        self._check_alive()
        return self._input(channel) not in self._settings.normalization_off

    # -- delays and clock ---------------------------------------------------------------------
    def setHardwareDelayCompensationActive(self, use_compensation: bool) -> None:
        """Compensate (default) or expose the fixed built-in delay of each input."""
        self._check_alive()
        with self._engine.lock:
            self._settings.delay_compensation = bool(use_compensation)

    def getHardwareDelayCompensation(self, channel: int) -> int:
        """The built-in delay of ``channel``'s input that is compensated (ps; 0 when compensation is off)."""
        self._check_alive()
        n = self._input(channel)
        return delay_compensation(self._serial, n) if self._settings.delay_compensation else 0

    def setInternalClockTrim(self, frequency_offset_ppm: float) -> None:
        """Offset the internal clock by up to +-50 ppm (Time Tagger X): external signals' times scale by it."""
        self._check_alive()
        self._x_only("setInternalClockTrim")
        ppm = float(validation.in_range("frequency_offset_ppm", frequency_offset_ppm, -50.0, 50.0, "ppm"))
        with self._engine.lock:
            self._settings.clock_trim_ppm = ppm
            self._inputs.retrim()

    def getInternalClockTrim(self) -> float:
        """The internal clock's frequency offset (ppm)."""
        self._check_alive()
        return self._settings.clock_trim_ppm

    # -- buffers and stream -------------------------------------------------------------------
    def setHardwareBufferSize(self, size: int) -> None:
        """The on-board buffer (tags) that absorbs input bursts above the transfer rate."""
        self._check_alive()
        value = validation.integer("size", size)
        validation.in_range("size", value, BUFFER_MIN, self._model.buffer_max, "tags")
        with self._engine.lock:
            self._settings.hardware_buffer = value
            self._inputs.transfer.reset(value)

    def getHardwareBufferSize(self) -> int:
        """The on-board buffer size (tags)."""
        self._check_alive()
        return self._settings.hardware_buffer

    def setStreamBlockSize(self, max_events: int, max_latency: int) -> None:
        """Blocks handed to the measurements: at most ``max_events`` tags (4096..32M) and
        ``max_latency`` ms (1..10000) of stream time each."""
        self._check_alive()
        events = int(validation.in_range("max_events", validation.integer("max_events", max_events),
                                         4096, 32 * 1024 * 1024, "events"))
        latency = int(validation.in_range("max_latency", validation.integer("max_latency", max_latency),
                                          1, 10000, "ms"))
        with self._engine.lock:
            self._engine.block_events = events
            self._engine.block_latency_ps = latency * 1_000_000_000

    def getStreamBlockSizeEvents(self) -> int:
        """The maximum number of events of one block."""
        self._check_alive()
        return self._engine.block_events

    def getStreamBlockSizeLatency(self) -> int:
        """The maximum stream time of one block (ms)."""
        self._check_alive()
        return self._engine.block_latency_ps // 1_000_000_000

    def setTimeTaggerNetworkStreamCompression(self, active: bool) -> None:
        """Compression of the network server's stream (stored: the simulator serves no network stream)."""
        self._check_alive()
        self._device.network_compression = bool(active)

    # -- LEDs, buzzer -------------------------------------------------------------------------
    def setLED(self, bitmask: int) -> None:
        """Override LEDs: bits 0-8 the state, bits 16-24 which LEDs are overridden (0: normal)."""
        self._check_alive()
        value = validation.integer("bitmask", bitmask)
        if not 0 <= value < 1 << 32:
            raise ValueError(f"bitmask {value} is out of range: allowed 0 to 2**32 - 1")
        self._device.led_bitmask = value

    def disableLEDs(self, disabled: bool) -> None:
        """Switch all channel and back LEDs off (or on again)."""
        self._check_alive()
        self._device.leds_disabled = bool(disabled)

    def setSoundFrequency(self, freq_hz: int) -> None:
        """The buzzer's frequency in Hz (0: off)."""
        self._check_alive()
        value = validation.integer("freq_hz", freq_hz)
        validation.in_range("freq_hz", value, 0, 2**32 - 1, "Hz")
        self._device.sound_frequency_hz = value


class TimeTagger(TimeTaggerBase, TimeTaggerHardware):
    """A simulated hardware Time Tagger (see the package docstring for what differs)."""

    def __init__(self, *args, **kwargs) -> None:  # pragma: no cover - mirrors the library
        raise TypeError("Use createTimeTagger() to open a Time Tagger.")

    @classmethod
    def _open(cls, serial: str, resolution: Resolution) -> TimeTagger:
        self = object.__new__(cls)
        options = getSimulationOptions()
        model = model_for_serial(serial)
        self._init_base(model, serial or SERIALS[0], options.seed)
        self._resolution = Resolution(resolution)
        self._device = DeviceState()
        self._inputs = InputStage(InputSettings(model), self._serial, self._make_rng(), self._signal_nodes)
        self._source = HardwareSource(self._inputs, options, self._serial)
        self._clock = self._source.clock
        self._engine = Engine(self._source, options.block_ps, self._serial)
        self._options = options
        return self

    def _signal_nodes(self) -> list:
        return [node for node in self._engine.iterators(Role.SIGNAL) if node._running]

    def _configuration(self) -> dict:
        s = self._settings
        return {"resolution": self._resolution.name, "firmware": self._model.firmware,
                "test signal divider": s.test_signal_divider, "test signal": sorted(s.test_signal),
                "trigger levels": {n: s.trigger_level.get(n, 0.5) for n in range(1, self._model.n_inputs + 1)},
                "hardware buffer": s.hardware_buffer, "leds": {"bitmask": self._device.led_bitmask,
                                                               "disabled": self._device.leds_disabled},
                "virtual time": self._options.virtual_time}

    # -- test signal source, multiplexers -------------------------------------------------------
    def setTestSignalSource(self, source: TestSignalSource) -> None:
        """Select the test signal generator (Time Tagger X; the simulated signal is the same for both)."""
        self._check_alive()
        self._x_only("setTestSignalSource")
        try:
            value = TestSignalSource(validation.integer("source", source))
        except ValueError:
            raise ValueError(f"source={source!r} is not allowed: use TestSignalSource.Digital (0) or "
                             "TestSignalSource.Analog (1)") from None
        self._settings.test_signal_source = value

    def getTestSignalSource(self) -> TestSignalSource:
        """The selected test signal source (Digital by default)."""
        self._check_alive()
        return self._settings.test_signal_source

    def setInputMux(self, channel: int, mux_mode: int) -> None:
        """Input multiplexer: 0 own input, 1 the input to the left (channel - 1), 2 to the right
        (channel + 1), 3 the reference oscillator; modes 1 and 2 cascade."""
        self._check_alive()
        n = self._input(channel)
        mode = validation.integer("mux_mode", mux_mode)
        if mode not in (0, 1, 2, 3):
            raise ValueError(f"mux_mode {mode} is not allowed: use 0 (normal), 1 (left), 2 (right), 3 (reference)")
        if (mode == 1 and n == 1) or (mode == 2 and n == self._model.n_inputs):
            raise ValueError(f"mux_mode {mode} on input {n} names an input beyond 1..{self._model.n_inputs}")
        with self._engine.lock:
            if mode:
                self._settings.input_mux[n] = mode
            else:
                self._settings.input_mux.pop(n, None)

    def getInputMux(self, channel: int) -> int:
        """The input multiplexer mode of ``channel``'s input."""
        self._check_alive()
        return self._settings.input_mux.get(self._input(channel), 0)

    # -- calibration --------------------------------------------------------------------------
    def getDistributionCount(self) -> np.ndarray:
        """Calibration code-density histograms, one row per channel of getChannelList() (uint64; simulated)."""
        self._check_alive()
        return device.distribution_counts(self._model, self._serial, self.getChannelList())

    def getDistributionPSecs(self) -> np.ndarray:
        """The calibration's tap widths (ps), one row per channel of getChannelList() (simulated)."""
        return device.distribution_ps(self._model, self.getDistributionCount())

    def autoCalibration(self) -> np.ndarray:
        """Calibrate with the test signal; the RMS discretisation error (ps) per channel of getChannelList()."""
        return device.discretisation_rms(self.getDistributionPSecs())

    # -- reset --------------------------------------------------------------------------------
    def reset(self) -> None:
        """Return every setting to its power-on default; measurements stay attached."""
        self._check_alive()
        with self._engine.lock:
            self._inputs.settings = InputSettings(self._model)
            self._inputs.overflows = 0
            self._inputs.transfer.reset(self._settings.hardware_buffer)
            self._inputs.retrim()
            self._device = DeviceState()
            self._clock.configure(None)
            self._engine.block_events = DEFAULT_BLOCK_EVENTS
            self._engine.block_latency_ps = DEFAULT_BLOCK_LATENCY_MS * 1_000_000_000
            self._settings_changed()

    # -- server and links (the simulator serves no network; these report that truthfully) -------
    def getServerAddress(self) -> str:
        """The address a Time Tagger server would bind to (stored; the simulator runs no server)."""
        self._check_alive()
        return self._device.server_address

    def setServerAddress(self, ip_address: str) -> None:
        """Set the address a Time Tagger server would bind to (stored; the simulator runs no server)."""
        self._check_alive()
        if not isinstance(ip_address, str) or not ip_address:
            raise ValueError(f"ip_address must be a non-empty address or host name, got {ip_address!r}")
        self._device.server_address = ip_address

    def isServerRunning(self) -> bool:
        """False: the simulator runs no Time Tagger server (startServer is not simulated)."""
        self._check_alive()
        return False

    def getConnectedClients(self) -> list[str]:
        """[]: no server, no clients."""
        self._check_alive()
        return []

    def stopServer(self) -> None:
        """Nothing to do: no server is running."""
        self._check_alive()

    def disableFpgaLink(self) -> None:
        """Nothing to do: the FPGA link is never enabled in the simulator."""
        self._check_alive()

    def xtra_disableStreamInterfaceUDP(self) -> None:
        """Nothing to do: tags always arrive over (simulated) USB."""
        self._check_alive()

    # -- xtra ---------------------------------------------------------------------------------
    def xtra_setAvgRisingFalling(self, channel: int, enable: bool) -> None:
        """On board, replace each rising-edge tag by the mean of the pulse's rising and falling edge."""
        self._check_alive()
        n = self._input(channel)
        with self._engine.lock:
            (self._settings.avg_rising_falling.add if enable else self._settings.avg_rising_falling.discard)(n)

    def xtra_getAvgRisingFalling(self, channel: int) -> bool:
        """True if ``channel``'s input averages rising and falling edges."""
        self._check_alive()
        return self._input(channel) in self._settings.avg_rising_falling

    def xtra_setHighPrioChannel(self, channel: int, enable: bool) -> None:
        """Transmit this channel's tags even in overflow mode (they interrupt the overflow)."""
        self._check_alive()
        ch = self._check_physical(channel)
        with self._engine.lock:
            (self._settings.high_priority.add if enable else self._settings.high_priority.discard)(ch)
            self._inputs.transfer.priority = np.array(sorted(self._settings.high_priority), np.int32)

    def xtra_getHighPrioChannel(self, channel: int) -> bool:
        """True if ``channel`` has high priority in overflow mode."""
        self._check_alive()
        return self._check_physical(channel) in self._settings.high_priority

    def xtra_measureTriggerLevel(self, channel: int) -> float:
        """The applied threshold (V): the trigger level as the 12-bit DAC of the model's range sets it."""
        level = self.getTriggerLevel(channel)
        low, high = self._model.trigger_range_v
        step = (high - low) / (2**_DAC_BITS - 1)
        return float(low + round((level - low) / step) * step)

    def xtra_setClockSource(self, source: int) -> None:
        """0 internal clock, 1 external 10 MHz, 2 external 500 MHz (simulated as ideal references)."""
        self._check_alive()
        value = validation.integer("source", source)
        if value not in (0, 1, 2):
            raise ValueError(f"source {value} is not allowed: use 0 (internal), 1 (10 MHz), 2 (500 MHz)")
        self._device.clock_source = value

    def xtra_getClockSource(self) -> int:
        """The clock source (-1: automatic selection)."""
        self._check_alive()
        return -1 if self._device.clock_auto_select else self._device.clock_source

    def xtra_setClockAutoSelect(self, enabled: bool) -> None:
        """Automatic selection of the clock source."""
        self._check_alive()
        self._device.clock_auto_select = bool(enabled)

    def xtra_getClockAutoSelect(self) -> bool:
        """True if the clock source is selected automatically."""
        self._check_alive()
        return self._device.clock_auto_select

    def xtra_setClockOut(self, enabled: bool) -> None:
        """The 10 MHz clock output on or off."""
        self._check_alive()
        self._device.clock_out = bool(enabled)

    def _aux(self, channel: object) -> int:
        self._x_only("Aux Out")
        number = validation.integer("channel", channel)
        if number not in AUX_CHANNELS:
            raise ValueError(f"channel={number} is not an Aux Out channel: allowed {AUX_CHANNELS}")
        return number

    def xtra_setAuxOut(self, channel: int, enabled: bool) -> None:
        """Aux Out signal ``channel`` on or off (Time Tagger X)."""
        self._check_alive()
        self._device.aux_out[self._aux(channel)] = bool(enabled)

    def xtra_getAuxOut(self, channel: int) -> bool:
        """True if Aux Out ``channel`` is on."""
        self._check_alive()
        return self._device.aux_out.get(self._aux(channel), False)

    def xtra_setAuxOutSignal(self, channel: int, frequency: float) -> None:
        """The base frequency (Hz) of Aux Out ``channel`` (Time Tagger X)."""
        self._check_alive()
        number = self._aux(channel)
        self._device.aux_frequency[number] = float(validation.in_range("frequency", frequency, 0.0, 500e6, "Hz"))

    def xtra_getAuxOutSignalFrequency(self, channel: int) -> float:
        """The base frequency (Hz) of Aux Out ``channel``."""
        self._check_alive()
        return self._device.aux_frequency.get(self._aux(channel), 0.0)

    def xtra_setFanSpeed(self, percentage: float = -1) -> None:
        """Fan duty in % (0 off, 100 full, negative: temperature controlled); moves the sensor readings."""
        self._check_alive()
        value = float(validation.in_range("percentage", percentage, -1e9, 100.0, "%"))
        self._device.fan_speed = -1.0 if value < 0 else value

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
        logger.log(LOGGER_ERROR, f"{self._serial}: USB connection lost (simulated unplug); the Time Tagger "
                                 "must be freed and created again")
        self._engine.close()

    def simIsVirtualTime(self) -> bool:
        """Simulator only: True when the stream runs in virtual time."""
        return self._options.virtual_time


def scanTimeTagger(include_model_name: bool = False) -> list[str]:
    """The serials of the simulated Time Taggers (one per model), as "serial,model" if asked."""
    if include_model_name:
        return [f"{m.serial_prefix}0001,{m.name}" for m in MODELS]
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


def getTimeTaggerModel(serial: str) -> str:
    """The model name of the simulated Time Tagger with this serial."""
    if not isinstance(serial, str):
        raise TypeError(f"serial must be a string, got {serial!r}")
    return model_for_serial(serial).name
