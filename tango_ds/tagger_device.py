"""The ``TimeTagger`` Tango class: one tagger, its inputs, and the measurements of its server.

The device opens the tagger through the provider its ``Backend`` property names,
creates the simulated sources of ``SimSignals``, optionally hosts the RPC bridge on
the same tagger object (``RpcPort``), and watches the connection: a backend that
fails puts the device in ``FAULT``; ``Init`` reconnects, and the measurements of the
server rebuild themselves on the new tagger.
"""

from __future__ import annotations

import threading
from typing import Any, Callable

import numpy as np
import tango
from tango import AttrWriteType
from tango.server import Device, attribute, command, device_property

from rpc_bridge.memory import keep_large_buffers_warm

from . import dynamic, errors, memorize, registry, sim_signals
from .factory import TANGO_TYPES
from .providers import BackendError, Provider, open_provider
from .rpc_host import RpcHost
from .specs import CHANNEL_SETTINGS, TAGGER_PROPERTIES, ChannelSetting

_WATCHDOG_S = 1.0
#: Attributes whose values are memorized in the database (see tango_ds.memorize).
MEMORIZED = ("test_signal_channels", *(s.attribute for s in CHANNEL_SETTINGS))
_CHANNEL_ARRAY_TYPES = {"float64": tango.CmdArgType.DevVarDoubleArray,
                        "int64": tango.CmdArgType.DevVarLong64Array}


def _setting_attribute(setting: ChannelSetting) -> attribute:
    """Spectrum over ``channel_list``, writable and memorized (see :mod:`tango_ds.memorize`)."""

    def fget(self: Any) -> np.ndarray:
        return self._read_setting(setting)

    def fset(self: Any, values: Any) -> None:
        self._write_setting(setting, values)

    return attribute(name=setting.attribute, dtype=(TANGO_TYPES[setting.dtype],), max_dim_x=256,
                     access=AttrWriteType.READ_WRITE, label=setting.label, unit=setting.unit, format=setting.format,
                     doc=setting.doc, fget=fget, fset=fset)


def _setting_command(setting: ChannelSetting) -> command:
    """Per-channel command: argin ``[channel, value]``, returns the value in effect."""

    def run(self: Any, argin: Any) -> Any:
        return self._set_one(setting, argin)

    run.__name__ = setting.command
    run.__doc__ = f"Set one input: argin = [channel, value in {setting.unit}]."
    return command(f=run, dtype_in=_CHANNEL_ARRAY_TYPES[setting.dtype],
                   doc_in=f"[channel, value in {setting.unit}]",
                   dtype_out=TANGO_TYPES[setting.dtype],
                   doc_out=f"value in effect ({setting.unit})")


class TimeTaggerMeta(type(Device)):
    """Adds the per-channel settings of :data:`CHANNEL_SETTINGS` before Tango sees the class."""

    def __new__(mcs, name: str, bases: tuple, namespace: dict) -> type:
        if name == "TimeTagger":
            for prop in TAGGER_PROPERTIES:
                kind = {"str": str, "int": int, "float": float, "bool": bool}[prop.dtype]
                namespace[prop.name] = device_property(dtype=kind, default_value=prop.default,
                                                       doc=prop.doc)
            for setting in CHANNEL_SETTINGS:
                namespace[f"_attr_{setting.attribute}"] = _setting_attribute(setting)
                namespace[setting.command] = _setting_command(setting)
        return super().__new__(mcs, name, bases, namespace)


class TimeTagger(Device, metaclass=TimeTaggerMeta):
    """A Swabian Instruments Time Tagger (real, simulated, or remote over RPC)."""

    registry_kind = "tagger"

    # ------------------------------------------------------------------ lifecycle
    def init_device(self) -> None:
        """Open the provider and the tagger; FAULT with a reason when that fails."""
        super().init_device()
        # Every read of a running measurement allocates its data array afresh: keep such
        # buffers in warm heap pages rather than new mmaps (a 1e6-bin read: 3.7 ms -> 1.4 ms).
        keep_large_buffers_warm()
        self.set_state(tango.DevState.INIT)
        self.generation = getattr(self, "generation", 0)
        self._lock = threading.RLock()
        self._tagger: Any = None
        self._provider: Provider | None = None
        self._signals: list[Any] = []
        self._rpc: RpcHost | None = None
        self._fault: str | None = None
        registry.register(self.get_name(), self)
        self._open()
        self._stop = threading.Event()
        self._watchdog = threading.Thread(target=self._watch, daemon=True,
                                          name=f"watchdog {self.get_name()}")
        self._watchdog.start()

    def _open(self) -> None:
        if not float(self.RpcTimeout) > 0:
            return self._set_fault(f"RpcTimeout = {self.RpcTimeout!r} is not allowed: use a "
                                   "number of seconds > 0, then run Init.")
        try:
            self._provider = open_provider(self.Backend, timeout=float(self.RpcTimeout))
        except BackendError as exc:
            return self._set_fault(f"{exc}. Fix the Backend property, then run Init.")
        except Exception as exc:  # noqa: BLE001 - e.g. RPC server unreachable
            return self._set_fault(f"Backend = {self.Backend!r} could not be opened: "
                                   f"{type(exc).__name__}: {exc}. Check it, then run Init.")
        library = self._provider.module
        try:
            self._tagger = library.createTimeTagger(self.Serial)
        except Exception as exc:  # noqa: BLE001
            self._close_provider()  # e.g. the RPC connection: nothing holds it any more
            return self._set_fault(f"Serial = {self.Serial!r}: no Time Tagger could be opened "
                                   f"({exc}). Connect it or fix Serial, then run Init.")
        try:
            self._signals = sim_signals.apply(library, self._tagger, self.SimSignals)
        except sim_signals.SimSignalsError as exc:
            return self._set_fault(f"SimSignals = {self.SimSignals!r} is not allowed: {exc}. "
                                   "Fix the property, then run Init.")
        if self.RpcPort:
            try:
                self._rpc = RpcHost(library, self._tagger, int(self.RpcPort), self.RpcAddress,
                                    self.RpcKeyFile, self.RpcTlsCert, self.RpcTlsKey,
                                    self.RpcTlsCa, self.DataDir, bool(self.RpcInsecureNoAuth),
                                    bool(self.RpcAllowSimControl))
            except Exception as exc:  # noqa: BLE001
                return self._set_fault(f"RpcPort = {self.RpcPort}: the RPC bridge could not "
                                       f"start ({exc}). Fix the Rpc properties (a free port, or "
                                       "0 for off), then run Init.")
        self._restore_settings()
        self.generation += 1
        self.set_state(tango.DevState.ON)
        self.set_status(f"Time Tagger {self._tagger.getSerial()} ({self._tagger.getModel()}) "
                        f"ready via {self._provider.description}"
                        + (f"; RPC bridge on port {self._rpc.port} (key: {self._rpc.key_origin}; "
                           f"data directory {self._rpc.data_dir})" if self._rpc else "") + ".")

    def _restore_settings(self) -> None:
        """Apply the memorized input settings; a stale one is logged, not fatal."""
        channels = memorize.restore(self, "test_signal_channels")
        try:
            if channels is not None:
                self._set_test_signal([int(c) for c in channels])
            for setting in CHANNEL_SETTINGS:
                values = memorize.restore(self, setting.attribute)
                if values is not None:
                    cast = float if setting.dtype == "float64" else int
                    self._write_setting(setting, [cast(float(v)) for v in values], store=False)
        except tango.DevFailed as exc:
            self.warn_stream(f"memorized input settings not restored: {exc.args[0].desc}")
        self._show_set_points()

    def _show_set_points(self, names: tuple[str, ...] = MEMORIZED) -> None:
        """Make the write value of the input settings ``names`` the values in effect.

        Tango starts write values at 0 (or empty) until a client writes, so Jive's and
        Taurus' write fields would offer that instead of the settings of the inputs.
        """
        attributes = self.get_device_attr()
        for name in names:
            setting = next((s for s in CHANNEL_SETTINGS if s.attribute == name), None)
            value = (self._read_setting(setting) if setting is not None else
                     np.asarray(self._test_signal_on(), dtype=np.int32))
            attributes.get_w_attr_by_name(name).set_write_value(value)

    def _set_fault(self, message: str) -> None:
        self._fault = message
        self.set_state(tango.DevState.FAULT)
        self.set_status(message)

    def delete_device(self) -> None:
        """Stop the watchdog and the RPC bridge, free the tagger."""
        self._stop.set()
        self._watchdog.join(timeout=5)
        registry.unregister(self.get_name(), self)
        if self._rpc:
            self._rpc.close()
        self._signals = []
        if self._tagger is not None and self._provider is not None:
            try:
                self._provider.module.freeTimeTagger(self._tagger)
            except Exception:  # noqa: BLE001 - an unplugged tagger cannot be freed cleanly
                pass
        self._tagger = None
        self._close_provider()

    def _close_provider(self) -> None:
        """Release the provider (for rpc:// the connection to the remote server)."""
        provider, self._provider = self._provider, None
        if provider is not None:
            try:
                provider.close()
            except Exception:  # noqa: BLE001 - a dead remote cannot be closed cleanly
                pass

    def _watch(self) -> None:
        """Detect a failed backend without any client asking (FAULT; Init reconnects)."""
        with tango.EnsureOmniThread():
            while not self._stop.wait(_WATCHDOG_S):
                if self._tagger is None or self._fault:
                    continue
                try:
                    self._tagger.getOverflows()
                except Exception as exc:  # noqa: BLE001
                    self._set_fault(f"The Time Tagger failed: {type(exc).__name__}: {exc}. "
                                    "Check cable, power or remote server, then run Init.")

    # ------------------------------------------------------------------ for measurements
    def backend(self) -> tuple[Any, Any, int]:
        """(tagger, library module, generation) for the measurements of this server."""
        from .params import DependencyPending

        if self._tagger is None or self._fault:
            raise DependencyPending(f"tagger {self.get_name()} is not ready: {self.get_status()}")
        return self._tagger, self._provider.module, self.generation

    def failure(self) -> str | None:
        """Why the tagger is unusable (FAULT status), or None."""
        return self._fault

    def _live(self) -> Any:
        if self._tagger is None or self._fault:
            errors.fail(errors.NOT_READY, f"The tagger is not available: {self.get_status()}")
        return self._tagger

    def _library_call(self, call: Callable[[], Any], what: str) -> Any:
        """Run a library call; its ValueError/TypeError becomes InvalidValue, others FAULT."""
        tagger = self._live()
        try:
            return call()
        except (ValueError, TypeError, OverflowError) as exc:
            errors.fail(errors.INVALID_VALUE, f"{what} is not allowed: {exc}")
        except Exception as exc:  # noqa: BLE001
            del tagger
            self._set_fault(f"The Time Tagger failed during {what}: {exc}. Run Init.")
            errors.fail(errors.BACKEND_FAILURE, self.get_status())

    # ------------------------------------------------------------------ identity
    @attribute(label="Serial", doc="Serial number of the opened tagger.")
    def serial(self) -> str:
        return self._library_call(lambda: self._live().getSerial(), "getSerial")

    @attribute(label="Model", doc="Model of the opened tagger.")
    def model(self) -> str:
        return self._library_call(lambda: self._live().getModel(), "getModel")

    @attribute(label="Backend", display_level=tango.DispLevel.EXPERT,
               doc="Provider in use (resolved from the Backend property).")
    def backend_in_use(self) -> str:
        return self._provider.description if self._provider else ""

    @attribute(label="RPC bridge", display_level=tango.DispLevel.EXPERT,
               doc="URI of the in-process RPC bridge (empty when off).")
    def rpc_uri(self) -> str:
        return self._rpc.uri if self._rpc else ""

    @attribute(dtype=(np.int32,), max_dim_x=256, label="Inputs", format="%d",
               doc="Physical input channels (rising edges); the x axis of the input settings.")
    def channel_list(self) -> np.ndarray:
        return np.asarray(self._channels(), dtype=np.int32)

    def _channels(self) -> list[int]:
        tagger = self._live()
        library = self._provider.module
        return list(self._library_call(
            lambda: tagger.getChannelList(library.ChannelEdge.Rising), "getChannelList"))

    @attribute(dtype=np.int64, label="Overflows", format="%d",
               doc="Overflows since the last ClearOverflows (tags lost at too high rates).")
    def overflows(self) -> int:
        return self._library_call(lambda: self._live().getOverflows(), "getOverflows")

    @attribute(label="Configuration", display_level=tango.DispLevel.EXPERT,
               doc="Complete configuration of the tagger as JSON.")
    def configuration(self) -> str:
        return self._library_call(lambda: self._live().getConfiguration(), "getConfiguration")

    # ------------------------------------------------------------------ test signal
    @attribute(dtype=(np.int32,), max_dim_x=256, access=AttrWriteType.READ_WRITE,
               label="Test signal on", format="%d",
               doc="Inputs whose built-in test signal is on; write the full list (memorized).")
    def test_signal_channels(self) -> np.ndarray:
        return np.asarray(self._test_signal_on(), dtype=np.int32)

    def _test_signal_on(self) -> list[int]:
        tagger = self._live()
        return [c for c in self._channels()
                if self._library_call(lambda c=c: tagger.getTestSignal(c), "getTestSignal")]

    @test_signal_channels.write
    def test_signal_channels(self, channels: Any) -> None:
        self._set_test_signal(sorted({int(c) for c in channels}))
        memorize.store(self, "test_signal_channels", sorted({int(c) for c in channels}))
        self._show_set_points(("test_signal_channels",))

    @command(dtype_in=(np.int32,), doc_in="[channel, 1 = on / 0 = off]")
    def SetTestSignal(self, argin: Any) -> None:
        """Switch the test signal of one input on or off."""
        channel = self._check_pair(argin, "SetTestSignal")
        current = set(self._test_signal_on())
        current = current | {channel} if argin[1] else current - {channel}
        self._set_test_signal(sorted(current))
        memorize.store(self, "test_signal_channels", sorted(current))
        self._show_set_points(("test_signal_channels",))

    def _set_test_signal(self, wanted: list[int]) -> None:
        inputs = self._channels()
        bad = sorted(set(wanted) - set(inputs))
        if bad:
            errors.fail(errors.INVALID_VALUE, f"test_signal_channels = {wanted} is not allowed: "
                        f"{bad} {'is not an input' if len(bad) == 1 else 'are not inputs'}; "
                        f"use channels of {inputs}")
        tagger = self._live()
        for channel in inputs:
            self._library_call(lambda c=channel: tagger.setTestSignal(c, c in wanted),
                               "setTestSignal")

    # ------------------------------------------------------------------ per-input settings
    def _check_pair(self, argin: Any, what: str) -> int:
        inputs = self._channels()
        if len(argin) != 2 or int(argin[0]) != argin[0] or int(argin[0]) not in inputs:
            errors.fail(errors.INVALID_VALUE, f"{what}({list(argin)}) is not allowed: argin must be "
                        f"[channel, value] with channel one of {inputs}")
        return int(argin[0])

    def _check_range(self, setting: ChannelSetting, channel: int, value: Any) -> None:
        if setting.range_getter is None:
            return
        low, high = getattr(self._live(), setting.range_getter)(channel)[:2]
        if not low <= value <= high:
            errors.fail(errors.INVALID_VALUE, f"{setting.attribute[:-1]} {value!r} {setting.unit} "
                        f"for channel {channel} is not allowed: use a value in [{low}, {high}] "
                        f"{setting.unit}")

    def _apply(self, setting: ChannelSetting, channel: int, value: Any) -> None:
        tagger = self._live()
        cast = float if setting.dtype == "float64" else int
        self._check_range(setting, channel, cast(value))
        self._library_call(lambda: getattr(tagger, setting.setter)(channel, cast(value)),
                           f"{setting.setter}({channel}, {value!r})")

    def _read_setting(self, setting: ChannelSetting) -> np.ndarray:
        tagger = self._live()
        getter = getattr(tagger, setting.getter)
        return np.asarray([self._library_call(lambda c=c: getter(c), setting.getter)
                           for c in self._channels()], dtype=setting.dtype)

    def _write_setting(self, setting: ChannelSetting, values: Any, store: bool = True) -> None:
        inputs = self._channels()
        if len(values) != len(inputs):
            errors.fail(errors.INVALID_VALUE, f"{setting.attribute} needs one value per input "
                        f"({len(inputs)} for channels {inputs}), got {len(values)}")
        for channel, value in zip(inputs, values):
            self._check_range(setting, channel, value)
        for channel, value in zip(inputs, values):
            self._apply(setting, channel, value)
        if store:
            memorize.store(self, setting.attribute, list(values))
            self._show_set_points((setting.attribute,))

    def _set_one(self, setting: ChannelSetting, argin: Any) -> Any:
        channel = self._check_pair(argin, setting.command)
        self._apply(setting, channel, argin[1])
        current = self._read_setting(setting)
        memorize.store(self, setting.attribute, current.tolist())
        self._show_set_points((setting.attribute,))
        return current[self._channels().index(channel)]

    # ------------------------------------------------------------------ commands
    @command
    def Reset(self) -> None:
        """Return all input settings to their power-on defaults (measurements stay).

        The memorized input settings are dropped too, so a restart keeps the defaults.
        """
        self._library_call(lambda: self._live().reset(), "reset")
        memorize.forget(self, MEMORIZED)
        self._show_set_points()

    @command
    def ClearOverflows(self) -> None:
        """Reset the overflow counter."""
        self._library_call(lambda: self._live().clearOverflows(), "clearOverflows")

    @command(dtype_in=str, dtype_out=str,
             doc_in='JSON: {"class": "Correlation", "name": "domain/family/member", '
                    '"params": {"channel_1": 1, ...}, "properties": {"AutoStart": true}}',
             doc_out="name of the new device")
    def CreateMeasurement(self, argin: str) -> str:
        """Register a measurement or virtual-channel device and start it in this server."""
        return dynamic.create(self, argin)

    @command(dtype_in=str, doc_in="device name")
    def DeleteMeasurement(self, argin: str) -> None:
        """Remove a measurement or virtual-channel device from this server and the database."""
        dynamic.delete(argin)
