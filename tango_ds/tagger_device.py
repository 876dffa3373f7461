"""The ``TimeTagger`` Tango class: one tagger, its inputs, and the measurements of its server.

The device opens the tagger through the provider its ``Backend`` property names,
creates the simulated sources of ``SimSignals``, optionally hosts the RPC bridge on
the same tagger object (``RpcPort``), and watches the connection.  All of that runs
in one background thread, the connector, so no client call waits for a slow backend
or database: ``Init`` returns within :data:`OPEN_WAIT_S` (in ``INIT`` while the
connector is still busy).  A backend that fails puts the device in ``FAULT``; a
remote one (``rpc://``) and an unreachable Tango database are retried by the
connector with backoff, and the measurements of the server rebuild themselves on the
new tagger.  ``Init`` reconnects at once.
"""

from __future__ import annotations

import math
import threading
from typing import Any, Callable

import numpy as np
import tango
from tango import AttrWriteType
from tango.server import Device, attribute, command, device_property

from rpc_bridge.memory import keep_large_buffers_warm

from . import dynamic, errors, memorize, properties, registry, sim_signals
from .factory import TANGO_TYPES
from .messages import shown
from .params import DependencyPending
from .providers import BackendError, Provider, open_provider
from .rpc_host import RpcHost
from .specs import CHANNEL_SETTINGS, PROPERTY_RANGES, TAGGER_PROPERTIES, ChannelSetting

_WATCHDOG_S = 1.0
#: Longest ``Init`` waits for the tagger to open before it returns (the connector goes on).
OPEN_WAIT_S = 2.0
#: Waits between reconnection attempts to a remote backend (then the last, repeated).
BACKOFF_S = (1.0, 2.0, 4.0, 8.0, 16.0, 30.0)
#: Attributes whose values are memorized in the database (see tango_ds.memorize).
MEMORIZED = ("test_signal_channels", *(s.attribute for s in CHANNEL_SETTINGS))
_CHANNEL_ARRAY_TYPES = {"float64": tango.CmdArgType.DevVarDoubleArray,
                        "int64": tango.CmdArgType.DevVarLong64Array}


class OpenFailure(Exception):
    """Opening the tagger failed; ``retry`` says whether the connector tries again by itself."""

    def __init__(self, message: str, retry: bool) -> None:
        super().__init__(message)
        self.retry = retry


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


def _tagger_property(prop: Any) -> device_property:
    kind = {"str": str, "int": int, "float": float, "bool": bool}[prop.dtype]
    allowed = PROPERTY_RANGES.get(prop.name)
    doc = f"{prop.doc} Allowed: {allowed.allowed(prop.dtype == 'int')}." if allowed else prop.doc
    return device_property(dtype=kind, default_value=prop.default, doc=doc)


class TimeTaggerMeta(type(Device)):
    """Adds the per-channel settings of :data:`CHANNEL_SETTINGS` before Tango sees the class."""

    def __new__(mcs, name: str, bases: tuple, namespace: dict) -> type:
        if name == "TimeTagger":
            for prop in TAGGER_PROPERTIES:
                namespace[prop.name] = _tagger_property(prop)
            for setting in CHANNEL_SETTINGS:
                namespace[f"_attr_{setting.attribute}"] = _setting_attribute(setting)
                namespace[setting.command] = _setting_command(setting)
        return super().__new__(mcs, name, bases, namespace)


class TimeTagger(Device, metaclass=TimeTaggerMeta):
    """A Swabian Instruments Time Tagger (real, simulated, or remote over RPC)."""

    registry_kind = "tagger"

    # ------------------------------------------------------------------ lifecycle
    def init_device(self) -> None:
        """Start the connector and wait a little for it; never raises."""
        # Every read of a running measurement allocates its data array afresh: keep such
        # buffers in warm heap pages rather than new mmaps (a 1e6-bin read: 3.7 ms -> 1.4 ms).
        keep_large_buffers_warm()
        self.set_state(tango.DevState.INIT)
        self.set_status("Opening the Time Tagger.")
        self.generation = getattr(self, "generation", 0)
        self._lock = threading.RLock()
        self._tagger: Any = None
        self._provider: Provider | None = None
        self._signals: list[Any] = []
        self._rpc: RpcHost | None = None
        self._fault: str | None = None
        self._budget_bytes = 0
        self._memorized: dict[str, list[str] | None] = {}
        self._attempt_done = threading.Event()
        self._in_init = True
        self._stop = threading.Event()
        registry.register(self.get_name(), self)
        self._connector = threading.Thread(target=self._connect, args=(self._stop,), daemon=True,
                                           name=f"connector {self.get_name()}")
        self._connector.start()
        if self._attempt_done.wait(OPEN_WAIT_S) and self._tagger is not None:
            self._show_set_points()
        self._in_init = False

    def delete_device(self) -> None:
        """Stop the connector and the RPC bridge, free the tagger."""
        self._stop.set()
        self._connector.join(timeout=0.5)  # a connector stuck connecting is left behind
        registry.unregister(self.get_name(), self)
        self._close()

    def _close(self) -> None:
        """Release the bridge, the tagger and the provider (ignoring a dead backend).

        A remote tagger is released in the background: its server may not answer, and
        ``Init`` must not wait for it (local ones are freed at once, so the hardware can
        be opened again right away).
        """
        with self._lock:
            rpc, self._rpc = self._rpc, None
            tagger, self._tagger = self._tagger, None
            provider, self._provider = self._provider, None
            self._signals = []
        if rpc:
            rpc.close()
        if provider is None:
            return
        if provider.remote:
            threading.Thread(target=self._free, args=(provider, tagger), daemon=True,
                             name=f"release {provider.description}").start()
        else:
            self._free(provider, tagger)

    # ------------------------------------------------------------------ connector
    def _connect(self, stop: threading.Event) -> None:
        """Open, watch, and reopen when it makes sense (database outage, remote backend).

        ``stop`` is this connector's own: after ``Init`` a connector still stuck in a
        slow connection finds it set and leaves what it opened to nobody.
        """
        with tango.EnsureOmniThread():
            attempt = 0
            while not stop.is_set():
                if self._tagger is None:
                    try:
                        self._open(attempt, stop)
                    except OpenFailure as failure:
                        wait = BACKOFF_S[min(attempt, len(BACKOFF_S) - 1)]
                        attempt += 1
                        if stop.is_set():
                            return
                        if failure.retry:
                            self._set_fault(f"{failure} Next attempt in {wait:g} s (attempt "
                                            f"{attempt}); Init tries again at once.")
                        else:
                            self._set_fault(str(failure))
                        self._attempt_done.set()
                        if not failure.retry or stop.wait(wait):
                            return
                        continue
                    attempt = 0
                    self._attempt_done.set()
                    if not self._in_init:  # opened after Init returned: show it under the monitor
                        with tango.AutoTangoMonitor(self):
                            self._show_set_points()
                if stop.wait(_WATCHDOG_S):
                    return
                self._watch()

    def _watch(self) -> None:
        """Detect a failed backend without any client asking."""
        tagger = self._tagger
        if tagger is None or self._fault:
            return
        try:
            tagger.getOverflows()
        except Exception as exc:  # noqa: BLE001
            self._lost(f"The Time Tagger failed: {type(exc).__name__}: {shown(str(exc))[1:-1]}.")

    def _lost(self, message: str) -> None:
        """The backend failed: FAULT; a remote one is reconnected by the connector."""
        provider = self._provider
        if provider is not None and provider.remote:
            self._set_fault(f"{message} Reconnecting to {provider.description}.")
            self._close()  # the connector sees no tagger and opens it again
        else:
            self._set_fault(f"{message} Check cable, power or remote server, then run Init.")

    def _open(self, attempt: int, stop: threading.Event) -> None:
        """One attempt at reading the properties and opening the tagger."""
        self.set_state(tango.DevState.INIT)
        self.set_status(f"Opening the Time Tagger (attempt {attempt + 1}).")
        self._fault = None
        try:
            properties.load(self)
            self._memorized = {name: memorize.restore(self, name) for name in MEMORIZED}
        except properties.DatabaseUnreachable as exc:
            raise OpenFailure(f"{exc}; the device recovers by itself when the database is back.",
                              retry=True) from None
        except tango.DevFailed as exc:
            failure = properties.database_failure(exc, "reading the memorized input settings")
            raise OpenFailure(f"{failure}; the device recovers by itself when the database is "
                              "back.", retry=True) from None
        except properties.PropertyError as exc:
            raise OpenFailure(f"{exc}. Fix the property, then run Init.", retry=False) from None
        self._budget_bytes = int(self.MemoryBudgetMB) << 20
        try:
            provider = open_provider(self.Backend, timeout=float(self.RpcTimeout))
        except BackendError as exc:
            raise OpenFailure(f"{exc}. Fix the Backend property, then run Init.",
                              retry=False) from None
        except Exception as exc:  # noqa: BLE001 - e.g. RPC server unreachable
            raise OpenFailure(f"Backend = {shown(self.Backend)} could not be opened: "
                              f"{type(exc).__name__}: {shown(str(exc))[1:-1]}. Check it.",
                              retry=True) from None
        try:
            tagger = provider.module.createTimeTagger(self.Serial)
        except Exception as exc:  # noqa: BLE001
            self._close_provider(provider)
            raise OpenFailure(f"Serial = {shown(self.Serial)}: no Time Tagger could be opened "
                              f"({type(exc).__name__}: {shown(str(exc))[1:-1]}). Connect it or "
                              "fix Serial, then run Init.",
                              retry=provider.remote and isinstance(exc, OSError)) from None
        with self._lock:
            if stop.is_set():  # Init (or the server's end) came while we were connecting
                self._free(provider, tagger)
                raise OpenFailure("stopped", retry=False)
            self._provider, self._tagger = provider, tagger
        try:
            self._signals = sim_signals.apply(provider.module, tagger, self.SimSignals)
        except sim_signals.SimSignalsError as exc:
            self._close()
            raise OpenFailure(f"SimSignals is not allowed: {exc}. Fix the property, then run "
                              "Init.", retry=False) from None
        if self.RpcPort:
            try:
                self._rpc = RpcHost(provider.module, tagger, int(self.RpcPort), self.RpcAddress,
                                    self.RpcKeyFile, self.RpcTlsCert, self.RpcTlsKey,
                                    self.RpcTlsCa, self.DataDir, bool(self.RpcInsecureNoAuth),
                                    bool(self.RpcAllowSimControl))
            except Exception as exc:  # noqa: BLE001
                self._close()
                raise OpenFailure(f"RpcPort = {self.RpcPort}: the RPC bridge could not start "
                                  f"({shown(str(exc))[1:-1]}). Fix the Rpc properties (a free "
                                  "port, or 0 for off), then run Init.", retry=False) from None
        try:
            self._restore_settings()
        except Exception as exc:  # noqa: BLE001 - the backend failed while configuring
            self._close()
            raise OpenFailure(f"The Time Tagger failed while its settings were restored: "
                              f"{type(exc).__name__}: {shown(str(exc))[1:-1]}.",
                              retry=provider.remote) from None
        self.generation += 1
        self.set_state(tango.DevState.ON)
        self.set_status(f"Time Tagger {tagger.getSerial()} ({tagger.getModel()}) ready via "
                        f"{provider.description}"
                        + (f"; RPC bridge on port {self._rpc.port} (key: {self._rpc.key_origin}; "
                           f"data directory {self._rpc.data_dir})" if self._rpc else "") + ".")

    @staticmethod
    def _close_provider(provider: Provider) -> None:
        try:
            provider.close()
        except Exception:  # noqa: BLE001 - a dead remote cannot be closed cleanly
            pass

    @classmethod
    def _free(cls, provider: Provider, tagger: Any) -> None:
        if tagger is not None:
            try:
                provider.module.freeTimeTagger(tagger)
            except Exception:  # noqa: BLE001 - an unplugged tagger cannot be freed cleanly
                pass
        cls._close_provider(provider)

    def _restore_settings(self) -> None:
        """Apply the memorized input settings; a stale one is logged, not fatal."""
        channels = self._memorized.get("test_signal_channels")
        try:
            if channels is not None:
                self._set_test_signal([int(c) for c in channels])
            for setting in CHANNEL_SETTINGS:
                values = self._memorized.get(setting.attribute)
                if values is not None:
                    cast = float if setting.dtype == "float64" else int
                    self._apply_all(setting, [cast(float(v)) for v in values])
        except (tango.DevFailed, ValueError, OverflowError) as exc:
            text = exc.args[0].desc if isinstance(exc, tango.DevFailed) else str(exc)
            self.warn_stream(f"memorized input settings not restored: {text}")

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

    # ------------------------------------------------------------------ for measurements
    def backend(self) -> tuple[Any, Any, int]:
        """(tagger, library module, generation) for the measurements of this server."""
        tagger, provider = self._tagger, self._provider
        if tagger is None or provider is None or self._fault:
            raise DependencyPending(f"tagger {self.get_name()} is not ready: {self.get_status()}")
        return tagger, provider.module, self.generation

    def memory_budget(self) -> tuple[int, str]:
        """(bytes the measurements on this tagger may hold, the property that says so)."""
        return self._budget_bytes, f"MemoryBudgetMB = {self._budget_bytes >> 20}"

    def failure(self) -> str | None:
        """Why the tagger is unusable (FAULT status), or None."""
        return self._fault

    def _live(self) -> Any:
        tagger = self._tagger
        if tagger is None or self._fault:
            errors.fail(errors.NOT_READY, f"The tagger is not available: {self.get_status()}")
        return tagger

    def _library_call(self, call: Callable[[], Any], what: str) -> Any:
        """Run a library call; its ValueError/TypeError becomes InvalidValue, others FAULT."""
        self._live()
        try:
            return call()
        except (ValueError, TypeError, OverflowError) as exc:
            errors.fail(errors.INVALID_VALUE, f"{what} is not allowed: {shown(str(exc))[1:-1]}")
        except Exception as exc:  # noqa: BLE001
            self._lost(f"The Time Tagger failed during {what}: {type(exc).__name__}: "
                       f"{shown(str(exc))[1:-1]}.")
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
        provider = self._provider
        return provider.description if provider else ""

    @attribute(label="RPC bridge", display_level=tango.DispLevel.EXPERT,
               doc="URI of the in-process RPC bridge (empty when off).")
    def rpc_uri(self) -> str:
        rpc = self._rpc
        return rpc.uri if rpc else ""

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
        wanted = sorted({int(c) for c in channels})
        self._check_inputs(wanted)
        self._store("test_signal_channels", wanted)
        self._set_test_signal(wanted)
        self._show_set_points(("test_signal_channels",))

    @command(dtype_in=(np.int32,), doc_in="[channel, 1 = on / 0 = off]")
    def SetTestSignal(self, argin: Any) -> None:
        """Switch the test signal of one input on or off."""
        channel = self._check_pair(argin, "SetTestSignal")
        current = set(self._test_signal_on())
        wanted = sorted(current | {channel} if argin[1] else current - {channel})
        self._store("test_signal_channels", wanted)
        self._set_test_signal(wanted)
        self._show_set_points(("test_signal_channels",))

    def _check_inputs(self, wanted: list[int]) -> None:
        inputs = self._channels()
        bad = sorted(set(wanted) - set(inputs))
        if bad:
            errors.fail(errors.INVALID_VALUE, f"test_signal_channels = {shown(wanted)} is not "
                        f"allowed: {shown(bad)} {'is not an input' if len(bad) == 1 else 'are not inputs'}; "
                        f"use channels of {inputs}")

    def _set_test_signal(self, wanted: list[int]) -> None:
        self._check_inputs(wanted)
        tagger = self._live()
        for channel in self._channels():
            self._library_call(lambda c=channel: tagger.setTestSignal(c, c in wanted),
                               "setTestSignal")

    # ------------------------------------------------------------------ per-input settings
    def _store(self, attribute_name: str, values: list[Any]) -> None:
        """Memorize a setting before it is applied; refused (nothing applied) when the
        database cannot store it."""
        try:
            memorize.store(self, attribute_name, values)
        except tango.DevFailed as exc:
            errors.fail(errors.NO_DATABASE, f"{attribute_name} = {shown(values)} could not be "
                        f"stored in the Tango database ({memorize.reason(exc)}), so it is not "
                        "applied: the inputs keep their settings. Write it again once the "
                        "database is back.")

    def _check_pair(self, argin: Any, what: str) -> int:
        inputs = self._channels()
        values = np.asarray(argin, dtype=float).ravel()
        if (len(values) != 2 or not np.isfinite(values).all() or values[0] != int(values[0])
                or int(values[0]) not in inputs):
            errors.fail(errors.INVALID_VALUE, f"{what}({shown(argin)}) is not allowed: argin must "
                        f"be [channel, value] with channel one of {inputs} and a finite value")
        return int(values[0])

    def _check_range(self, setting: ChannelSetting, channel: int, value: Any) -> None:
        if isinstance(value, float) and not math.isfinite(value):
            errors.fail(errors.INVALID_VALUE, f"{setting.attribute[:-1]} {shown(value)} "
                        f"{setting.unit} for channel {channel} is not allowed: use a finite value")
        if setting.range_getter is None:
            return
        low, high = getattr(self._live(), setting.range_getter)(channel)[:2]
        if not low <= value <= high:
            errors.fail(errors.INVALID_VALUE, f"{setting.attribute[:-1]} {shown(value)} "
                        f"{setting.unit} for channel {channel} is not allowed: use a value in "
                        f"[{shown(low)}, {shown(high)}] {setting.unit}")

    def _cast(self, setting: ChannelSetting, value: Any) -> Any:
        """A value of ``setting``'s type, refused with a clear message when it has none."""
        try:
            return float(value) if setting.dtype == "float64" else int(value)
        except (TypeError, ValueError, OverflowError):
            errors.fail(errors.INVALID_VALUE, f"{setting.attribute[:-1]} {shown(value)} is not "
                        f"allowed: use a {'number' if setting.dtype == 'float64' else 'integer'} "
                        f"in {setting.unit}")

    def _apply(self, setting: ChannelSetting, channel: int, value: Any) -> None:
        tagger = self._live()
        self._library_call(lambda: getattr(tagger, setting.setter)(channel, value),
                           f"{setting.setter}({channel}, {shown(value)})")

    def _read_setting(self, setting: ChannelSetting) -> np.ndarray:
        tagger = self._live()
        getter = getattr(tagger, setting.getter)
        return np.asarray([self._library_call(lambda c=c: getter(c), setting.getter)
                           for c in self._channels()], dtype=setting.dtype)

    def _checked_values(self, setting: ChannelSetting, values: Any) -> list[Any]:
        inputs = self._channels()
        if len(values) != len(inputs):
            errors.fail(errors.INVALID_VALUE, f"{setting.attribute} needs one value per input "
                        f"({len(inputs)} for channels {inputs}), got {len(values)}")
        checked = [self._cast(setting, value) for value in values]
        for channel, value in zip(inputs, checked):
            self._check_range(setting, channel, value)
        return checked

    def _apply_all(self, setting: ChannelSetting, values: Any) -> None:
        for channel, value in zip(self._channels(), self._checked_values(setting, values)):
            self._apply(setting, channel, value)

    def _write_setting(self, setting: ChannelSetting, values: Any) -> None:
        checked = self._checked_values(setting, values)
        self._store(setting.attribute, checked)
        self._apply_all(setting, checked)
        self._show_set_points((setting.attribute,))

    def _set_one(self, setting: ChannelSetting, argin: Any) -> Any:
        channel = self._check_pair(argin, setting.command)
        value = self._cast(setting, argin[1])
        self._check_range(setting, channel, value)
        current = self._read_setting(setting).tolist()
        index = self._channels().index(channel)
        current[index] = value
        self._store(setting.attribute, current)
        self._apply(setting, channel, value)
        self._show_set_points((setting.attribute,))
        return self._read_setting(setting)[index]

    # ------------------------------------------------------------------ commands
    @command
    def Reset(self) -> None:
        """Return all input settings to their power-on defaults (measurements stay).

        The memorized input settings are dropped first, so a restart keeps the defaults
        (and nothing is reset when the database cannot drop them).
        """
        self._live()
        try:
            memorize.forget(self, MEMORIZED)
        except tango.DevFailed as exc:
            errors.fail(errors.NO_DATABASE, "Reset is not possible now: the memorized input "
                        f"settings could not be dropped from the Tango database "
                        f"({memorize.reason(exc)}); nothing was reset.")
        self._library_call(lambda: self._live().reset(), "reset")
        self._show_set_points()

    @command
    def ClearOverflows(self) -> None:
        """Reset the overflow counter."""
        self._library_call(lambda: self._live().clearOverflows(), "clearOverflows")

    @command(dtype_in=str, dtype_out=str, doc_in=dynamic.REQUEST_DOC,
             doc_out="name of the device (new, or the identical one that existed)")
    def CreateMeasurement(self, argin: str) -> str:
        """Register a measurement or virtual-channel device and start it in this server.

        All or nothing: the name and every parameter are checked (and the library object
        built once on trial) before anything is written to the database.  Asking again
        for a device that exists with the same class and settings returns its name and
        changes nothing; with other settings it is refused.
        """
        return dynamic.create(self, argin)

    @command(dtype_in=str, doc_in="device name")
    def DeleteMeasurement(self, argin: str) -> None:
        """Remove a measurement or virtual-channel device from this server and the database."""
        dynamic.delete(argin)

