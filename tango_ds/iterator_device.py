"""Base classes of the generated measurement and virtual-channel devices.

A device owns one library object (``Correlation``, ``DelayedChannel``, ...) built on
the tagger of a :class:`~tango_ds.tagger_device.TimeTagger` device of the same
server, from the parameter values held in its properties and memorized attributes.
A background worker (never a read method) pushes change, archive and data-ready
events while the measurement runs, rebuilds the object when the tagger or a virtual
channel it uses is rebuilt, and retries while a referenced device is not ready yet.

States: ``INIT`` waiting for the tagger or a referenced device, ``ON`` ready,
``RUNNING`` acquiring, ``FAULT`` a property is invalid or the backend failed (the
Status says which and what to do; ``Init`` recovers).
"""

from __future__ import annotations

import threading
import time
from typing import Any

import numpy as np
import tango
from tango.server import Device, attribute, command

from . import errors, memorize, registry
from .params import DependencyPending, ParamError, to_library, to_property, to_tango
from .specs import ClassSpec, Data
from .stopped_data import StoppedData

#: Period of the worker of virtual-channel devices (dependency checks only).
_VIRTUAL_PERIOD_S = 0.2


class IteratorDevice(Device):
    """Common behaviour: parameters, building the library object, worker thread, states."""

    spec: ClassSpec  # set by tango_ds.factory on each generated class
    registry_kind = ""

    # ------------------------------------------------------------------ lifecycle
    def init_device(self) -> None:
        """Read properties, register, build the library object and start the worker."""
        super().init_device()
        self.set_state(tango.DevState.INIT)
        self._lock = threading.RLock()
        self._obj: Any = None
        self._deps: dict[str, int] = {}
        self._fault: str | None = None
        self._pending: str | None = None
        self._values = {p.name: getattr(self, p.name) for p in self.spec.params}
        self.generation = 0
        self._init_flags()
        registry.register(self.get_name(), self)
        self._setup_events()
        self._rebuild_or_report(initial=True)
        if getattr(self, "_listed", False):  # Init: the device is listed already
            self._show_set_points()
        self._stop = threading.Event()
        self._worker = threading.Thread(target=self._work, name=f"worker {self.get_name()}",
                                        daemon=True)
        self._worker.start()

    def delete_device(self) -> None:
        """Stop the worker and release the library object."""
        self._stop.set()
        if self._worker is not threading.current_thread():
            self._worker.join(timeout=5)
        registry.unregister(self.get_name(), self)
        with self._lock:
            self._release(self._obj)
            self._obj = None

    def _init_flags(self) -> None:
        """Initialise subclass state from properties, before the first build."""

    def _setup_events(self) -> None:
        """Declare pushed events (measurements override)."""

    # ------------------------------------------------------------------ building
    def _tagger_device(self) -> Any:
        name = self.Tagger.strip()
        taggers = registry.of_kind("tagger")
        if name:
            device = registry.find(name)
            if device is None or device.registry_kind != "tagger":
                raise ParamError(f"Tagger = {name!r} is not a TimeTagger device of this server: "
                                 f"use one of {sorted(taggers) or 'none (add a TimeTagger device)'}")
            return device
        if len(taggers) != 1:
            raise ParamError("Tagger is not set and this server has "
                             f"{len(taggers)} TimeTagger devices {sorted(taggers)}: set Tagger to one")
        return next(iter(taggers.values()))

    def _build(self, values: dict[str, Any]) -> tuple[Any, dict[str, int]]:
        """Build the library object from ``values``; returns it and the dependency generations."""
        tagger_device = self._tagger_device()
        tagger, library, generation = tagger_device.backend()
        deps = {tagger_device.get_name().lower(): generation}

        def resolve(name: str) -> int:
            device = registry.find(name)
            if device is None or device.registry_kind != "virtual_channel" or device is self:
                known = sorted(registry.of_kind("virtual_channel"))
                raise ParamError(f"{name!r} is not a virtual-channel device of this server "
                                 f"(known: {known or 'none'})")
            channel, generation = device.channel_and_generation()
            deps[name.lower()] = generation
            return channel

        args = [to_library(p, values[p.name], resolve, library) for p in self.spec.params]
        try:
            obj = getattr(library, self.spec.name)(tagger, *args)  # missing class: reported too
        except Exception as exc:  # noqa: BLE001 - the library's own check, reported verbatim
            shown = ", ".join(f"{p.name}={values[p.name]!r}" for p in self.spec.params)
            raise ParamError(f"{self.spec.name}({shown}) was rejected by the library: "
                             f"{type(exc).__name__}: {exc}") from exc
        return obj, deps

    def _install(self, obj: Any, deps: dict[str, int]) -> None:
        """Replace the library object (caller holds the lock)."""
        old, self._obj, self._deps = self._obj, obj, deps
        self._release(old)
        self._fault = self._pending = None
        self.generation += 1

    # ------------------------------------------------------------------ set-points
    def initialize_dynamic_attributes(self) -> None:
        """Called by Tango once the device is listed in its server, after the first
        ``init_device`` (before that, a device that ``Util.create_device`` is creating
        cannot reach its attributes): show the set-points."""
        self._listed = True
        self._show_set_points()

    def _show_set_points(self) -> None:
        """Make each parameter attribute's write value the value in use.

        Tango starts every write value at 0 (or empty) until a client writes, so Jive's
        and Taurus' write fields would offer 0 rather than the setting the object is
        built with.  The values change only at ``init_device`` (properties) and by
        client writes, so those are the places that call this, in the thread Tango
        serves the device with; the worker's rebuilds reuse the same values.
        """
        attributes = self.get_device_attr()
        for param in self.spec.params:
            try:
                attributes.get_w_attr_by_name(param.name).set_write_value(
                    to_tango(param, self._values[param.name]))
            except (ParamError, TypeError, ValueError, tango.DevFailed):
                continue  # an invalid or out-of-range property: the FAULT status names it

    def _release(self, obj: Any) -> None:
        """Stop and drop a library object, ignoring a dead backend."""
        if obj is None:
            return
        try:
            obj.stop()
        except Exception:  # noqa: BLE001 - the backend may be gone already
            pass

    def _rebuild_or_report(self, initial: bool = False) -> None:
        """Rebuild from the current values; report problems as FAULT or INIT (waiting)."""
        with self._lock:
            try:
                obj, deps = self._build(self._values)
            except DependencyPending as exc:
                self._pending = str(exc)
                return
            except ParamError as exc:
                self._fault = (f"{exc}. Fix the property or write the attribute "
                               f"(Jive: {self.get_name()}), then run Init.")
                return
            except Exception as exc:  # noqa: BLE001 - backend gone while building
                self._fault = self._backend_failure(exc)
                return
            self._install(obj, deps)
            self._after_build(initial)

    def _after_build(self, initial: bool) -> None:
        """Hook run after every successful build (measurements restart here)."""

    def _backend_failure(self, exc: BaseException) -> str:
        return (f"The Time Tagger backend failed: {type(exc).__name__}: {exc}. "
                f"Check the tagger (cable, power, remote server), run Init on the TimeTagger "
                f"device, then Init here if this device stays in FAULT.")

    def _dependencies_changed(self) -> bool:
        for name, generation in self._deps.items():
            device = registry.find(name)
            if device is None or device.generation != generation:
                return True
        return False

    # ------------------------------------------------------------------ parameters
    def _write_param(self, name: str, raw: Any) -> None:
        """Attribute write: validate, rebuild (clearing the data), keep the old on error."""
        param = self.spec.param(name)
        if name in self._values and self._obj is not None and \
                to_tango(param, self._values[name]) == to_tango(param, raw):
            return
        values = dict(self._values, **{name: raw})
        with self._lock:
            try:
                obj, deps = self._build(values)
            except (ParamError, DependencyPending) as exc:
                errors.fail(errors.INVALID_VALUE, f"{exc}. The device keeps its previous "
                            f"setting {name} = {self._values[name]!r} and its data.")
            self._values = values
            self._install(obj, deps)
            self._after_build(False)
            self._show_set_points()
        memorize.store_property(self, name, to_property(param, raw))

    def _read_param(self, name: str) -> Any:
        return to_tango(self.spec.param(name), self._values[name])

    # ------------------------------------------------------------------ data
    def _read_data(self, data: Data) -> Any:
        """Value of a data attribute, straight from the library object."""
        with self._lock:
            obj = self._obj
            if obj is None:
                errors.fail(errors.NOT_READY, f"{data.name} is not available: {self.dev_status()}")
            try:
                value = getattr(obj, data.getter)()
            except Exception as exc:  # noqa: BLE001 - report and go to FAULT
                self._fault = self._backend_failure(exc)
                errors.fail(errors.BACKEND_FAILURE, self._fault)
        if data.shape == "scalar":
            return value * data.scale if data.scale != 1.0 else value
        array = np.asarray(value, dtype=data.dtype)
        if data.drop_last:
            array = array[:-1]
        return array * data.scale if data.scale != 1.0 else array

    # ------------------------------------------------------------------ state
    def _running(self) -> bool:
        return False

    def dev_state(self) -> tango.DevState:
        """FAULT / INIT / RUNNING / ON, from the library object itself."""
        if self._fault:
            return tango.DevState.FAULT
        if self._obj is None:
            return tango.DevState.INIT
        try:
            return tango.DevState.RUNNING if self._running() else tango.DevState.ON
        except Exception as exc:  # noqa: BLE001
            self._fault = self._backend_failure(exc)
            return tango.DevState.FAULT

    def dev_status(self) -> str:
        """A sentence: what the device does, or what failed and what to do."""
        state = self.dev_state()
        if state == tango.DevState.FAULT:
            return self._fault or "FAULT"
        if state == tango.DevState.INIT:
            return f"Waiting: {self._pending or 'building'}"
        return f"{self.spec.name} is {'acquiring' if state == tango.DevState.RUNNING else 'ready'}."

    # ------------------------------------------------------------------ worker
    def _period(self) -> float:
        return _VIRTUAL_PERIOD_S

    def _work(self) -> None:
        with tango.EnsureOmniThread():
            deadline = time.monotonic()
            while True:
                # fixed-rate schedule: the time a tick takes does not lower the event rate
                deadline = max(deadline + self._period(), time.monotonic())
                if self._stop.wait(deadline - time.monotonic()):
                    return
                try:
                    self._tick()
                except Exception as exc:  # noqa: BLE001 - never let the worker die
                    self._fault = self._backend_failure(exc)

    def _tick(self) -> None:
        """One worker step: retry pending builds, follow rebuilt or failed dependencies."""
        if self._pending or (self._deps and self._dependencies_changed()):
            self._rebuild_or_report()
        elif self._obj is not None:
            failure = self._dependency_failure()
            if failure:
                self._fault = failure

    def _dependency_failure(self) -> str | None:
        """A sentence when a device this one is built on reports a failure."""
        for name in self._deps:
            device = registry.find(name)
            message = device.failure() if device is not None and hasattr(device, "failure") else None
            if message:
                return (f"{name} failed ({message}) Run Init on {name}; this device rebuilds "
                        "itself afterwards.")
        return None


class VirtualChannelDevice(IteratorDevice):
    """A virtual channel: publishes the channel number the library assigned."""

    registry_kind = "virtual_channel"

    def channel_and_generation(self) -> tuple[int, int]:
        """(channel number, generation) for dependents; DependencyPending when not built."""
        obj = self._obj
        if obj is None:
            raise DependencyPending(f"virtual channel {self.get_name()} is not ready "
                                    f"({self.dev_status()})")
        return int(obj.getChannel()), self.generation

    @attribute(dtype=np.int32, label="Channel", format="%d",
               doc="Channel number the library assigned; use it (or this device's name) as a "
                   "channel parameter of measurements.")
    def channel(self) -> int:
        try:
            return self.channel_and_generation()[0]
        except DependencyPending as exc:
            errors.fail(errors.NOT_READY, str(exc))


class MeasurementDevice(IteratorDevice):
    """A measurement: Start/Stop/Clear/StartFor and events on its data while running."""

    registry_kind = "measurement"

    def _init_flags(self) -> None:
        self._want_running = bool(self.AutoStart)
        self._was_running = False
        self._ready_counter = 0
        self._cache = StoppedData()

    def _install(self, obj: Any, deps: dict[str, int]) -> None:
        self._cache.clear()
        super()._install(obj, deps)

    def _read_data(self, data: Data) -> Any:
        """As the base, but a stopped measurement's data is read from the library once
        (see :mod:`tango_ds.stopped_data`); while running every read is fresh."""
        fetch = super()._read_data
        with self._lock:  # Start/Clear/rebuilds empty the cache under this lock
            if self._obj is None:
                return fetch(data)  # reports why there is no data
            try:
                running = self._running()
            except Exception as exc:  # noqa: BLE001 - report and go to FAULT
                self._fault = self._backend_failure(exc)
                errors.fail(errors.BACKEND_FAILURE, self._fault)
            return self._cache.read(data.name, lambda: running, lambda: fetch(data))

    def _event_data(self) -> tuple[Data, ...]:
        return tuple(d for d in self.spec.data if d.events)

    def _setup_events(self) -> None:
        for data in self._event_data():
            self.set_change_event(data.name, True, False)
            self.set_archive_event(data.name, True, False)
        self.set_data_ready_event("data", True)

    def _after_build(self, initial: bool) -> None:
        # the library starts a measurement as soon as it is created
        if not self._want_running:
            self._obj.stop()

    def _running(self) -> bool:
        return bool(self._obj.isRunning())

    def _period(self) -> float:
        return max(int(self.EventPeriodMs), 10) / 1000.0

    def _tick(self) -> None:
        super()._tick()
        if self._obj is None or self._fault:
            return
        running = self._running()
        if running or self._was_running:
            self._push_events()
        self._was_running = running

    def _push_events(self) -> None:
        """Push change/archive events on the data attributes and one data-ready event."""
        for data in self._event_data():
            value = self._read_data(data)
            self.push_change_event(data.name, value)
            self.push_archive_event(data.name, value)
        self._ready_counter += 1
        self.push_data_ready_event("data", self._ready_counter)

    def _call(self, method: str, *args: Any) -> None:
        self._cache.clear()
        with self._lock:
            if self._deps and self._dependencies_changed():
                self._rebuild_or_report()  # e.g. the tagger was re-initialised just now
            if self._obj is None:
                errors.fail(errors.NOT_READY, f"{method} is not possible now: {self.dev_status()}")
            try:
                getattr(self._obj, method)(*args)
            except Exception as exc:  # noqa: BLE001
                self._fault = self._backend_failure(exc)
                errors.fail(errors.BACKEND_FAILURE, self._fault)
            finally:
                self._cache.clear()

    @command
    def Start(self) -> None:
        """Start acquiring (data is kept)."""
        self._call("start")
        self._want_running = True

    @command
    def Stop(self) -> None:
        """Stop acquiring (data is kept)."""
        self._want_running = False
        self._call("stop")

    @command
    def Clear(self) -> None:
        """Clear the accumulated data."""
        self._call("clear")

    @command(dtype_in=float, doc_in="Acquisition time in seconds (> 0).")
    def StartFor(self, seconds: float) -> None:
        """Clear, then acquire for the given number of seconds."""
        if not np.isfinite(seconds) or not 0 < seconds <= 9e6:
            errors.fail(errors.INVALID_VALUE, f"StartFor({seconds!r}) is not allowed: the duration "
                        "must be a number of seconds in (0, 9e6]")
        self._want_running = False
        self._call("startFor", int(round(seconds * 1e12)))
