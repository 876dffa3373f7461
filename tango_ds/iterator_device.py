"""Base classes of the generated measurement and virtual-channel devices.

A device owns one library object (``Correlation``, ``DelayedChannel``, ...) built on
the tagger of a :class:`~tango_ds.tagger_device.TimeTagger` device of the same
server, from the parameter values held in its properties and memorized attributes.
A background worker (never a read method) pushes change, archive and data-ready
events while the measurement runs, rebuilds the object when the tagger or a virtual
channel it uses is rebuilt, retries while a referenced device is not ready yet, and
reads the properties again while the Tango database is unreachable.

Channel parameters are numbers on the Tango side (``corr.channel_1 = 2``); their
properties hold numbers or the names of virtual-channel devices, whose channel
numbers the library assigns anew at every start.  Writing the current number of a
virtual channel stores that device's name, so the setting survives restarts.

States: ``INIT`` waiting for the tagger or a referenced device, ``ON`` ready,
``RUNNING`` acquiring, ``FAULT`` a property is invalid, the database is unreachable
or the backend failed (the Status says which and what to do; ``Init`` recovers).
"""

from __future__ import annotations

import math
import threading
import time
from typing import Any, Callable

import numpy as np
import tango
from tango.server import Device, attribute, command

from . import budget, errors, memorize, properties, registry
from .messages import shown
from .params import (DependencyPending, ParamError, find_cycle, references,
                     to_arguments, to_property, to_tango)
from .specs import CHANNEL_UNUSED, EVENT_BYTES_PER_S, UNUSED, Action, ClassSpec, Data, Param
from .stopped_data import StoppedData

#: Period of the worker of virtual-channel devices (dependency checks only).
_VIRTUAL_PERIOD_S = 0.2
#: Longest StartFor, in seconds (int64 picoseconds hold 9.2e6 s).
MAX_START_FOR_S = 9e6


def virtual_channel_names() -> dict[int, str]:
    """Channel number -> device name of every built virtual channel of this server."""
    found = {}
    for name, device in registry.of_kind("virtual_channel").items():
        obj = device.library_object()
        if obj is not None:
            try:
                found[int(obj.getChannel())] = name
            except Exception:  # noqa: BLE001 - a dead backend: no number to show
                continue
    return found


def channel_text(raw: Any, names: dict[int, str]) -> str:
    """How a channel value is stored: a number, ``unused``, or a virtual channel's device name."""
    if isinstance(raw, (int, np.integer)) and not isinstance(raw, bool):
        number = int(raw)
        return UNUSED if number == CHANNEL_UNUSED else names.get(number, str(number))
    text = str(raw).strip()
    return UNUSED if text.lower() in ("", UNUSED) else text


def stored_form(param: Param, raw: Any, names: dict[int, str]) -> Any:
    """A client's value as the parameter's property keeps it (see :func:`channel_text`)."""
    if param.kind == "channel":
        return channel_text(raw, names)
    if param.kind == "channels":
        items = [raw] if isinstance(raw, (str, int, np.integer)) else list(raw)
        return [channel_text(item, names) for item in items]
    return raw


def legend(args: dict[str, Any], names: dict[int, str]) -> str:
    """' (virtual channel 101 is a/b/c, ...)' for the virtual channel numbers in ``args``."""
    used = []
    for value in args.values():
        for item in value if isinstance(value, list) else [value]:
            if isinstance(item, int) and item in names and item not in used:
                used.append(item)
    if not used:
        return ""
    return " (" + ", ".join(f"virtual channel {n} is {names[n]}" for n in used) + ")"


def _resolver(name: str, deps: dict[str, int]) -> Callable[[str], int]:
    """Channel number of a virtual-channel device for the device ``name`` (recording the
    generation it was built on in ``deps``)."""
    def resolve(target: str) -> int:
        device = registry.find(target)
        if device is None and tango.Util.instance().is_svr_starting():
            raise DependencyPending(f"{shown(target)} is not started yet")
        if device is None or device.registry_kind != "virtual_channel" or \
                device.get_name().lower() == name.lower():
            known = sorted(registry.of_kind("virtual_channel"))
            raise ParamError(f"{shown(target)} is not a virtual-channel device of this server "
                             f"(known: {', '.join(known) or 'none'})")
        channel, generation = device.channel_and_generation()
        deps[target.lower()] = generation
        return channel
    return resolve


def _check_cycle(spec: ClassSpec, name: str, values: dict[str, Any]) -> None:
    def references_of(other: str) -> list[str]:
        device = registry.find(other)
        return device.references() if device is not None else []

    cycle = find_cycle(name, references(spec, values), references_of)
    if cycle:
        raise ParamError(f"the channels refer back to {name}: {' -> '.join(cycle)}; a virtual "
                         "channel cannot use itself, directly or through others")


def build_object(spec: ClassSpec, name: str, values: dict[str, Any], tagger_device: Any,
                 ) -> tuple[Any, dict[str, int], dict[str, Any], Callable[[], None]]:
    """Build the library object of device ``name`` from ``values``.

    Returns (object, dependency generations, constructor arguments, undo of its memory
    claim).  Everything that can be checked is checked before the library allocates:
    the values and spans, virtual-channel cycles, the transfer limit and the memory
    budget.  ParamError names what is wrong; DependencyPending means "retry later".
    """
    tagger, library, generation = tagger_device.backend()
    deps = {tagger_device.get_name().lower(): generation}
    _check_cycle(spec, name, values)
    args = to_arguments(spec, values, _resolver(name, deps), library)
    found = budget.arrays(spec, args)
    limit, limit_name = tagger_device.memory_budget()
    undo = budget.LEDGER.claim(name, tagger_device.get_name(), spec, found, limit, limit_name)
    try:
        budget.check_transfer(spec, found)
    except budget.BudgetError:
        undo()
        raise
    try:
        obj = getattr(library, spec.name)(tagger, *(args[p.name] for p in spec.params))
    except OSError as exc:  # the backend did not answer: not the parameters' fault
        undo()
        raise DependencyPending(f"the backend did not answer ({type(exc).__name__}: "
                                f"{shown(str(exc))[1:-1]})") from exc
    except Exception as exc:  # noqa: BLE001 - the library's own check, reported verbatim
        undo()
        call = ", ".join(f"{key}={shown(value)}" for key, value in args.items())
        raise ParamError(f"{spec.name}({call}) was rejected by the library: "
                         f"{type(exc).__name__}: {shown(str(exc))[1:-1]}"
                         f"{legend(args, virtual_channel_names())}") from exc
    if spec.family == "measurement":
        # the library starts a measurement as soon as it exists: hold it until the device
        # has switched over to it (writing the database first), then start it if wanted
        try:
            obj.stop()
            obj.clear()
        except Exception as exc:  # noqa: BLE001 - the backend failed just now
            undo()
            raise DependencyPending(f"the backend failed ({type(exc).__name__}: "
                                    f"{shown(str(exc))[1:-1]})") from exc
    return obj, deps, args, undo


class IteratorDevice(Device):
    """Common behaviour: parameters, building the library object, worker thread, states."""

    spec: ClassSpec  # set by tango_ds.factory on each generated class
    registry_kind = ""

    # ------------------------------------------------------------------ lifecycle
    def init_device(self) -> None:
        """Read properties, register, build the library object and start the worker.

        Never raises: a database outage or a bad property value ends in FAULT with a
        reason, and the worker (always started) retries what can be retried.
        """
        self.set_state(tango.DevState.INIT)
        self._lock = getattr(self, "_lock", None) or threading.RLock()  # kept across Init
        self._obj: Any = None
        self._deps: dict[str, int] = {}
        self._args: dict[str, Any] = {}
        self._fault: str | None = None
        self._pending: str | None = None
        self._unloaded: str | None = None
        self._values: dict[str, Any] = {}
        self._worker_failure: str | None = None
        self._period_s = _VIRTUAL_PERIOD_S
        self.generation = getattr(self, "generation", 0)  # increases across Init too
        self._init_state()
        registry.register(self.get_name(), self)
        self._setup_events()
        self._load_and_build()
        if getattr(self, "_listed", False):  # Init: the device is listed already
            self._show_set_points()
        self._stop = threading.Event()
        self._worker = threading.Thread(target=self._work, args=(self._stop,), daemon=True,
                                        name=f"worker {self.get_name()}")
        self._worker.start()

    def delete_device(self) -> None:
        """Stop the worker and release the library object."""
        self._stop.set()
        if self._worker is not threading.current_thread():
            self._worker.join(timeout=1)  # a tick stuck in a slow backend finishes on its own
        registry.unregister(self.get_name(), self)
        with self._lock:
            self._release(self._obj)
            self._obj = None
        budget.LEDGER.release(self.get_name())

    def _init_state(self) -> None:
        """Initialise subclass state that needs no property (before the first build)."""

    def _read_flags(self) -> None:
        """Take the device properties that are not parameters (after they were read)."""

    def _setup_events(self) -> None:
        """Declare pushed events (measurements override)."""

    def _load_and_build(self) -> None:
        """Read the properties, then build; every failure is reported as FAULT or INIT."""
        try:
            properties.load(self)
        except properties.DatabaseUnreachable as exc:
            self._unloaded = (f"{exc}; the device retries every {properties.RETRY_S:g} s and "
                              "recovers by itself when the database is back (or run Init).")
            return
        except properties.PropertyError as exc:
            self._unloaded = None
            self._fault = f"{exc}. Fix the property (Jive: {self.get_name()}), then run Init."
            return
        self._unloaded = None
        self._values = {p.name: getattr(self, p.name) for p in self.spec.params}
        self._read_flags()
        self._rebuild_or_report()

    def library_object(self) -> Any:
        """The library object in use, or None."""
        return self._obj

    # ------------------------------------------------------------------ building
    def _tagger_device(self) -> Any:
        name = self.Tagger.strip()
        taggers = registry.of_kind("tagger")
        if name:
            device = registry.find(name)
            if device is None or device.registry_kind != "tagger":
                raise ParamError(f"Tagger = {shown(name)} is not a TimeTagger device of this "
                                 f"server: use one of {sorted(taggers) or 'none (add one)'}")
            return device
        if len(taggers) != 1:
            raise ParamError("Tagger is not set and this server has "
                             f"{len(taggers)} TimeTagger devices {sorted(taggers)}: set Tagger to one")
        return next(iter(taggers.values()))

    def references(self) -> list[str]:
        """Names of the devices this one's channel parameters refer to."""
        return references(self.spec, self._values)

    def _build(self, values: dict[str, Any]) -> tuple[Any, dict[str, int], dict[str, Any], Any]:
        """:func:`build_object` for this device."""
        return build_object(self.spec, self.get_name(), values, self._tagger_device())

    def _install(self, obj: Any, deps: dict[str, int], args: dict[str, Any]) -> None:
        """Replace the library object (caller holds the lock)."""
        old, self._obj, self._deps, self._args = self._obj, obj, deps, args
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
        built with.  The values change at ``init_device`` (properties) and by client
        writes, so those are the places that call this, in the thread Tango serves the
        device with. A virtual channel's number can also change when the worker rebuilds
        on a rebuilt dependency: channel attributes refresh their own write value when read.
        """
        attributes = self.get_device_attr()
        for param in self.spec.params:
            try:
                attributes.get_w_attr_by_name(param.name).set_write_value(
                    self._param_value(param))
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

    def _rebuild_or_report(self) -> None:
        """Rebuild from the current values; report problems as FAULT or INIT (waiting)."""
        with self._lock:
            try:
                obj, deps, args, _ = self._build(self._values)
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
            self._install(obj, deps, args)
            self._after_build()

    def _after_build(self) -> None:
        """Hook run after every successful build (measurements restart here)."""

    def _backend_failure(self, exc: BaseException) -> str:
        return (f"The Time Tagger backend failed: {type(exc).__name__}: {shown(str(exc))[1:-1]}. "
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
        """Attribute write: validate, build, store in the database, then switch over.

        A value that cannot be stored is not applied: the device keeps the old object
        and its data, and the next restart sees what the device does.
        """
        if self._unloaded:
            errors.fail(errors.NOT_READY, f"{name} cannot be written now: {self._unloaded}")
        param = self.spec.param(name)
        stored = stored_form(param, raw, virtual_channel_names())
        try:
            unchanged = to_property(param, stored) == to_property(param, self._values.get(name))
        except (ParamError, TypeError, ValueError):
            unchanged = False
        if self._obj is not None and unchanged:
            return
        values = dict(self._values, **{name: stored})
        previous = shown(self._values.get(name))
        with self._lock:
            try:
                obj, deps, args, undo = self._build(values)
            except budget.BudgetError as exc:
                errors.fail(errors.OVER_BUDGET, f"{exc}. The device keeps {name} = {previous} "
                            "and its data.")
            except (ParamError, DependencyPending) as exc:
                errors.fail(errors.INVALID_VALUE, f"{exc}. The device keeps its previous "
                            f"setting {name} = {previous} and its data.")
            try:
                memorize.store_property(self, name, to_property(param, stored))
            except tango.DevFailed as exc:
                self._release(obj)
                undo()
                errors.fail(errors.NO_DATABASE, f"{name} = {shown(stored)} could not be stored "
                            f"in the Tango database ({memorize.reason(exc)}), so it is not "
                            f"applied: the device keeps {name} = {previous} and its data. "
                            "Write it again once the database is back.")
            self._values = values
            self._install(obj, deps, args)
            self._after_build()
            self._show_set_points()
        if self._fault:
            errors.fail(errors.BACKEND_FAILURE, self._fault)

    def _param_value(self, param: Param) -> Any:
        """A parameter as its attribute shows it: channel numbers in use, numbers, enum index."""
        if param.kind not in ("channel", "channels"):
            return to_tango(param, self._values.get(param.name))
        if param.name in self._args:
            return self._args[param.name]
        raise ParamError(f"{param.name} is not in use yet: {self.dev_status()}")

    def _read_param(self, name: str) -> Any:
        if self._unloaded:
            errors.fail(errors.NOT_READY, f"{name} is not available: {self._unloaded}")
        param = self.spec.param(name)
        try:
            value = self._param_value(param)
        except ParamError as exc:
            errors.fail(errors.NOT_READY, str(exc))
        if param.kind in ("channel", "channels"):  # numbers of rebuilt virtual channels move
            self.get_device_attr().get_w_attr_by_name(name).set_write_value(value)
        return value

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
        try:
            array = np.asarray(value, dtype=data.dtype)
            if data.drop_last:
                array = array[:-1]
            budget.check_reading(data.name, array)
            return array * data.scale if data.scale != 1.0 else array
        except budget.BudgetError as exc:
            errors.fail(errors.OVER_BUDGET, str(exc))
        except MemoryError:
            errors.fail(errors.OVER_BUDGET, f"{data.name} could not be read: the server has no "
                        "memory left for a copy of it; lower MemoryBudgetMB or the sizes")

    # ------------------------------------------------------------------ state
    def _running(self) -> bool:
        return False

    def dev_state(self) -> tango.DevState:
        """FAULT / INIT / RUNNING / ON, from the library object itself."""
        if self._worker_failure or self._unloaded or self._fault:
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
            return self._worker_failure or self._unloaded or self._fault or "FAULT"
        if state == tango.DevState.INIT:
            return f"Waiting: {self._pending or 'building'}"
        return f"{self.spec.name} is {'acquiring' if state == tango.DevState.RUNNING else 'ready'}."

    # ------------------------------------------------------------------ worker
    def _work(self, stop: threading.Event) -> None:
        """The worker loop; if it ever ends other than by delete_device, the state says so.

        ``stop`` is this worker's own: after Init, a worker that was still busy ends
        at its next step instead of running on beside the new one.
        """
        with tango.EnsureOmniThread():
            try:
                self._loop(stop)
            except BaseException as exc:  # noqa: BLE001 - the last word of a dying worker
                self._worker_failure = (
                    f"The worker thread of this device stopped ({type(exc).__name__}: "
                    f"{shown(str(exc))[1:-1]}): events and rebuilds have stopped. Run Init.")

    def _period(self) -> float:
        """Seconds between two worker steps."""
        return properties.RETRY_S if self._unloaded else self._period_s

    def _loop(self, stop: threading.Event) -> None:
        deadline = time.monotonic()
        while True:
            # fixed-rate schedule: the time a tick takes does not lower the event rate
            deadline = max(deadline + self._period(), time.monotonic())
            if stop.wait(deadline - time.monotonic()):
                return
            try:
                self._tick()
            except Exception as exc:  # noqa: BLE001 - never let the worker die
                self._fault = self._backend_failure(exc)

    def _tick(self) -> None:
        """One worker step: reload unreadable properties, retry pending builds, follow
        rebuilt or failed dependencies."""
        if self._unloaded:
            self._load_and_build()
        elif self._pending or (self._deps and self._dependencies_changed()):
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

    def _init_state(self) -> None:
        self._want_running = False
        self._was_running = False
        self._ready_counter = 0
        self._event_bytes = 0
        self._cache = StoppedData()

    def _read_flags(self) -> None:
        self._want_running = bool(self.AutoStart)
        self._period_s = int(self.EventPeriodMs) / 1000.0

    def _install(self, obj: Any, deps: dict[str, int], args: dict[str, Any]) -> None:
        self._cache.clear()
        super()._install(obj, deps, args)

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

    def _after_build(self) -> None:
        if self._want_running:
            try:
                self._obj.start()
            except Exception as exc:  # noqa: BLE001 - the backend failed just now
                self._fault = self._backend_failure(exc)

    def _running(self) -> bool:
        return bool(self._obj.isRunning())

    def _period(self) -> float:
        # large data is pushed less often, so one device cannot keep the server busy
        return max(super()._period(), self._event_bytes / EVENT_BYTES_PER_S)

    def _tick(self) -> None:
        super()._tick()
        if self._obj is None or self._fault or self._unloaded:
            return
        running = self._running()
        if running or self._was_running:
            self._push_events()
        else:
            self._event_bytes = 0  # idle: follow dependencies at the configured period
        self._was_running = running

    def _push_events(self) -> None:
        """Push change/archive events on the data attributes and one data-ready event."""
        pushed = 0
        for data in self._event_data():
            try:
                value = self._read_data(data)
            except tango.DevFailed:
                return  # FAULT (backend) or too large: the state and the reads say why
            self.push_change_event(data.name, value)
            self.push_archive_event(data.name, value)
            pushed += 2 * getattr(value, "nbytes", 8)
        self._ready_counter += 1
        self.push_data_ready_event("data", self._ready_counter)
        self._event_bytes = pushed

    def _call(self, method: str, *args: Any) -> None:
        self._cache.clear()
        with self._lock:
            if self._deps and self._dependencies_changed():
                self._rebuild_or_report()  # e.g. the tagger was re-initialised just now
            if self._obj is None or self._fault or self._unloaded:
                errors.fail(errors.NOT_READY, f"{method} is not possible now: {self.dev_status()}")
            try:
                getattr(self._obj, method)(*args)
            except (ValueError, TypeError, OverflowError) as exc:
                errors.fail(errors.INVALID_VALUE, f"{method}({', '.join(map(shown, args))}) was "
                            f"refused by the library: {type(exc).__name__}: "
                            f"{shown(str(exc))[1:-1]}")
            except Exception as exc:  # noqa: BLE001
                self._fault = self._backend_failure(exc)
                errors.fail(errors.BACKEND_FAILURE, self._fault)
            finally:
                self._cache.clear()

    def run_action(self, action: Action, argin: Any = None) -> None:
        """An extra command of the spec table, its argument checked against its range."""
        if action.argin is None:
            return self._call(action.method)
        if (action.minimum is not None and argin < action.minimum) or (
                action.maximum is not None and argin > action.maximum):
            errors.fail(errors.INVALID_VALUE, f"{action.name}({shown(argin)}) is not allowed: "
                        f"use {action.argin_doc[0].lower()}{action.argin_doc[1:]}")
        return self._call(action.method, argin)

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

    @command(dtype_in=float, doc_in=f"Acquisition time in seconds, in [1e-12, {MAX_START_FOR_S:g}]"
                                    " (1 ps to 104 days).")
    def StartFor(self, seconds: float) -> None:
        """Clear, then acquire for the given number of seconds."""
        if not (math.isfinite(seconds) and 1e-12 <= seconds <= MAX_START_FOR_S):
            errors.fail(errors.INVALID_VALUE, f"StartFor({shown(seconds)}) is not allowed: use a "
                        f"duration in [1e-12, {MAX_START_FOR_S:g}] s (1 ps to 104 days)")
        self._want_running = False
        self._call("startFor", max(1, int(round(seconds * 1e12))))
