"""Pyro5 adapters generated from a :class:`~rpc_bridge.introspect.ProviderSpec`.

One generic :class:`Adapter` base wraps any library object; :func:`build_adapter_class`
turns a class spec into an exposed subclass whose methods forward to the wrapped object,
carrying the library's docstrings and signatures. The :class:`Bridge` owns the
bookkeeping every forwarded call needs:

* arguments: Pyro proxies of our adapters (from our client or from the official
  ``TimeTaggerRPC`` client) become the wrapped library objects again;
* results: library objects become new registered adapters (Pyro sends them as
  proxies), owned by the calling connection and released when it disconnects;
* taggers: an adapter made by a ``create*`` function owns its tagger and frees it when
  closed; measurements made on a tagger close with it, so other clients get a clear
  "no longer exists" error instead of touching a freed tagger;
* exceptions: library exceptions of non-builtin types travel as their nearest builtin
  base with ``remote_type`` naming the original, which our client re-creates;
* reach: an adapter belongs to the scope of the connection that made it
  (:mod:`rpc_bridge.ownership`); calls and arguments from any other scope are refused;
* file names: arguments that name files resolve inside the data directory
  (:mod:`rpc_bridge.paths`); recorders are watched by the recording budget;
* snapshots: data objects whose every method is a getter (``TimeTagStreamBuffer``, ...) go to
  our client by value (:class:`~rpc_bridge.codec.Snapshot`): nothing stays on the server;
* waits: ``waitUntilFinished`` and the other blocking waits of :data:`BOUNDED_WAITS` run for
  at most :data:`WAIT_SLICE_MS` per call (our client repeats them up to the caller's
  timeout), so no call holds a server thread for long.

The root object (Pyro id ``TimeTaggerRPC``, as the official server) offers the module
functions, a constructor per constructible class, ``enum_definitions()`` (official
format), ``describe()`` (docs, signatures, enums, constants for our client),
``release(obj)`` and ``serverInfo()``.
"""
from __future__ import annotations

import dataclasses
import enum
import inspect
import logging
import threading
import uuid
import weakref
from typing import Any, Callable, Iterable

import numpy as np
from Pyro5 import errors
from Pyro5.api import current_context, expose
from Pyro5.client import Proxy

from . import signatures
from .codec import Snapshot
from .introspect import FREE_FUNCTION, TAGGER_FACTORY_PREFIX, ClassSpec, ProviderSpec
from .ownership import Scope, current_scope, reaches
from .paths import PATH_ARGUMENTS, RECORDERS, DataDirectory, RecordingBudget

log = logging.getLogger(__name__)
ROOT_ID = "TimeTaggerRPC"
_PLAIN = (str, bytes, bool, int, float, type(None), np.ndarray, np.generic)
#: Library methods that block until something happens, each with a ``timeout`` in ms (-1: forever).
BOUNDED_WAITS = frozenset({"waitUntilFinished", "waitForCompletion", "sync", "waitForFence"})
#: Longest a bounded wait runs on the server per call (ms).
WAIT_SLICE_MS = 1000


def unknown_object(object_id: str) -> errors.DaemonError:
    """The one error for an object a connection cannot reach (whether or not it exists)."""
    return errors.DaemonError(f"unknown object {object_id[:80]!r}: not an object of this connection "
                              "(freed, its owner disconnected, or created by another client)")


def portable_exception(exc: BaseException) -> BaseException:
    """``exc`` if builtin, else its nearest builtin base carrying ``remote_type`` (module.qualname)."""
    if type(exc).__module__ == "builtins":
        return exc
    base = next(c for c in type(exc).__mro__ if c.__module__ == "builtins")
    try:
        portable = base(*exc.args)
    except TypeError:
        portable = base(str(exc))
    portable.remote_type = f"{type(exc).__module__}.{type(exc).__qualname__}"
    return portable


class _Tracker:
    """What Pyro tracks per connection: it calls ``close()`` when the client disconnects.

    Pyro keeps only a weak reference, so an adapter released earlier simply drops out.
    """

    def __init__(self, adapter: "Adapter") -> None:
        self.adapter = weakref.ref(adapter)  # no cycle: a released adapter is freed at once

    def close(self) -> None:
        """Release the adapter (Pyro5 calls this when the owning connection closes)."""
        adapter = self.adapter()
        if adapter is not None:
            adapter._release()


class Adapter:
    """Server-side stand-in for one library object (not exposed itself; subclasses are)."""

    _bridge: "Bridge"
    _wraps: type = object

    def __init__(self, obj: Any, owns: bool) -> None:
        self._obj = obj
        self._owns = owns
        self._children: set[Adapter] = set()
        self._parent: Adapter | None = None
        self._closed = False
        self._tracker = _Tracker(self)
        self._scope: Scope | None = current_scope()
        self._id = f"{type(self).__name__}_{uuid.uuid4().hex}"

    def __repr__(self) -> str:
        return f"<{self._id}>"

    def _target(self) -> Any:
        obj = self._obj
        if obj is None:
            raise ReferenceError(f"remote {type(self).__name__} object was released")
        return obj

    def _release(self) -> Any:
        """Release the library object (free it if owned) and unregister; idempotent.

        Named with an underscore so no library method (``close``...) can shadow it.
        """
        result = None
        with self._bridge.lock:
            if self._closed:
                return None
            self._closed = True
            children, self._children = self._children, set()
        for child in children:
            child._release()
        obj, self._obj = self._obj, None
        if self._owns and obj is not None:
            result = self._bridge.free(obj)
        self._bridge.forget(self)
        return result


def _client_takes_snapshots() -> bool:
    """True when the calling connection is our client's (it negotiated bulk arrays)."""
    return getattr(getattr(current_context, "client", None), "bulk", None) is not None


def _described(wrapper: Callable, name: str, func: Any) -> Callable:
    """Give ``wrapper`` the name, docstring and (where known) signature of ``func``."""
    wrapper.__name__ = name
    wrapper.__doc__ = inspect.getdoc(func)
    sig = signatures.signature_of(func)
    if sig is not None:
        wrapper.__signature__ = sig
    return wrapper


def _forwarding_method(name: str, func: Callable, path_key: str | None) -> Callable:
    def method(self: Adapter, *args: Any, **kwargs: Any) -> Any:
        return self._bridge.invoke(self, getattr(self._target(), name), args, kwargs, path_key=path_key)

    return _described(method, name, func)


def _bounded_wait(name: str, func: Callable) -> Callable:
    """Forward a blocking wait with its ``timeout`` (ms) cut to :data:`WAIT_SLICE_MS`."""
    sig = signatures.without_self(signatures.signature_of(func))

    def method(self: Adapter, *args: Any, **kwargs: Any) -> Any:
        bound = sig.bind(*args, **kwargs)
        bound.apply_defaults()
        timeout = bound.arguments.get("timeout", -1)
        if isinstance(timeout, (int, float)) and not isinstance(timeout, bool) and \
                not 0 <= timeout <= WAIT_SLICE_MS:
            bound.arguments["timeout"] = WAIT_SLICE_MS
        return self._bridge.invoke(self, getattr(self._target(), name), bound.args, bound.kwargs)

    return _described(method, name, func)


def _path_key(cls: type, name: str | None) -> str | None:
    """The :data:`~rpc_bridge.paths.PATH_ARGUMENTS` entry of ``cls`` (``name=None``) or its method."""
    for base in cls.__mro__:
        key = base.__name__ if name is None else f"{base.__name__}.{name}"
        if key in PATH_ARGUMENTS:
            return key
    return None


def _forwarding_property(name: str, prop: Any) -> property:
    def fget(self: Adapter) -> Any:
        return self._bridge.invoke(self, lambda: getattr(self._target(), name), (), {})

    def fset(self: Adapter, value: Any) -> None:
        self._bridge.invoke(self, lambda v: setattr(self._target(), name, v), (value,), {})

    fget.__name__ = fset.__name__ = name
    return property(fget, fset, None, inspect.getdoc(prop))


def build_adapter_class(spec: ClassSpec, bridge: "Bridge") -> type:
    """An exposed :class:`Adapter` subclass forwarding every public method and property of ``spec``."""
    attrs: dict[str, Any] = {
        name: _bounded_wait(name, func) if name in BOUNDED_WAITS
        else _forwarding_method(name, func, _path_key(spec.cls, name))
        for name, func in spec.methods.items()}
    attrs.update({name: _forwarding_property(name, prop) for name, prop in spec.properties.items()})
    attrs.update(_bridge=bridge, _wraps=spec.cls, __doc__=inspect.getdoc(spec.cls),
                 __module__=__name__)
    return expose(type(spec.wire_name, (Adapter,), attrs))


class Bridge:
    """Adapters, ownership and conversions for one daemon serving one provider."""

    def __init__(self, spec: ProviderSpec, daemon: Any, directory: DataDirectory,
                 shared_taggers: Iterable[Any] = (), budget: RecordingBudget | None = None) -> None:
        self.spec = spec
        self.daemon = daemon
        self.shared_taggers = list(shared_taggers)
        self.directory = directory
        self.budget = budget
        self.lock = threading.RLock()
        self.live: set[Adapter] = set()
        self.adapter_classes = {s.cls: build_adapter_class(s, self) for s in spec.classes.values()}
        self.specs_by_class = {s.cls: s for s in spec.classes.values()}
        self._class_cache: dict[type, ClassSpec | None] = {}

    # -- bookkeeping -----------------------------------------------------------------
    def adopt(self, obj: Any, owns: bool, parent: Adapter | None) -> Adapter | None:
        """Register a new adapter for ``obj`` owned by the calling connection (None: not adaptable)."""
        adapter_class = self._adapter_class(type(obj))
        if adapter_class is None:
            return None
        adapter = adapter_class(obj, owns)
        with self.lock:
            self.daemon.register(adapter, adapter._id)
            self.live.add(adapter)
            if parent is not None and not parent._closed:
                parent._children.add(adapter)
                adapter._parent = parent
        try:
            current_context.track_resource(adapter._tracker)
        except errors.PyroError:  # created outside a client call (in-process use): owner is the server
            pass
        return adapter

    def reachable(self, object_id: str, scope: Scope | None) -> bool:
        """True if ``object_id`` is a live adapter that ``scope`` may use."""
        adapter = self.daemon.objectsById.get(object_id)
        return isinstance(adapter, Adapter) and not adapter._closed and reaches(scope, adapter._scope)

    def ids_reachable_from(self, scope: Scope | None) -> list[str]:
        """Ids of the live adapters ``scope`` may use."""
        with self.lock:
            return [a._id for a in self.live if not a._closed and reaches(scope, a._scope)]

    def forget(self, adapter: Adapter) -> None:
        """Drop a released adapter from the live set, its parent and the daemon."""
        with self.lock:
            self.live.discard(adapter)
            if adapter._parent is not None:
                adapter._parent._children.discard(adapter)
        try:
            self.daemon.unregister(adapter)
        except Exception:  # noqa: BLE001 - daemon already closed at shutdown
            pass

    def free(self, tagger: Any) -> Any:
        """Free a tagger with the provider's own ``freeTimeTagger``."""
        return self.spec.module.freeTimeTagger(tagger)

    def owns_tagger(self, adapter: Adapter) -> bool:
        """True if releasing ``adapter`` frees a tagger (a client-created one, not a shared one)."""
        return adapter._owns and isinstance(adapter._obj, self.spec.tagger_base)

    def counts(self) -> dict:
        """Live client objects and, among them, the taggers the clients opened (and will free)."""
        with self.lock:
            live = list(self.live)
        return {"objects": len(live), "taggers": sum(map(self.owns_tagger, live))}

    def close_all(self) -> None:
        """Release every adapter (taggers first so their measurements go with them)."""
        if self.budget is not None:
            self.budget.close()
        with self.lock:
            adapters = sorted(self.live, key=lambda a: not isinstance(a._obj, self.spec.tagger_base))
        for adapter in adapters:
            try:
                adapter._release()
            except Exception:  # noqa: BLE001 - keep shutting down
                log.exception("closing %r failed", adapter)

    def _class_spec(self, cls: type) -> ClassSpec | None:
        """The spec of ``cls`` or of its nearest served ancestor."""
        if cls not in self._class_cache:
            self._class_cache[cls] = next((self.specs_by_class[c] for c in cls.__mro__
                                           if c in self.specs_by_class), None)
        return self._class_cache[cls]

    def _adapter_class(self, cls: type) -> type | None:
        spec = self._class_spec(cls)
        return None if spec is None else self.adapter_classes[spec.cls]

    def snapshot(self, spec: ClassSpec, value: Any) -> Snapshot:
        """``value`` by value: every getter's and property's result (an exception where one fails)."""
        values: dict[str, Any] = {}
        for name in (*spec.methods, *spec.properties):
            try:
                member = getattr(value, name)
                values[name] = self.wrap(member() if name in spec.methods else member)
            except Exception as exc:  # noqa: BLE001 - raised when the client asks for it
                values[name] = portable_exception(exc)
        return Snapshot(spec.wire_name, values)

    # -- conversions -----------------------------------------------------------------
    def resolve(self, proxy: Any) -> Adapter:
        """The adapter a Pyro proxy argument refers to, or a clear error naming it."""
        if not isinstance(proxy, Proxy):
            raise TypeError(f"expected a remote library object, got {type(proxy).__name__}")
        object_id = str(proxy._pyroUri.object)
        if not self.reachable(object_id, current_scope()):
            raise ValueError(f"argument refers to remote object {object_id[:80]!r}, which is not an "
                             "object of this connection (freed, its owner disconnected, created by "
                             "another client, or it belongs to another server)")
        return self.daemon.objectsById[object_id]

    def unwrap(self, value: Any, found: list[Adapter]) -> Any:
        """Replace proxies (also inside lists, tuples and dicts) by the library objects."""
        if isinstance(value, _PLAIN):
            return value
        if isinstance(value, Proxy):
            adapter = self.resolve(value)
            found.append(adapter)
            return adapter._target()
        if isinstance(value, (list, tuple)):
            return type(value)(self.unwrap(v, found) for v in value)
        if isinstance(value, dict):
            return {k: self.unwrap(v, found) for k, v in value.items()}
        return value

    def wrap(self, value: Any, owns: bool = False, parent: Adapter | None = None) -> Any:
        """Make a result sendable: enums become ints, library objects become adapters."""
        if isinstance(value, enum.Enum):
            return value.value
        if isinstance(value, np.generic):
            return value.item()
        if isinstance(value, _PLAIN):
            return value
        if isinstance(value, (list, tuple)):
            return [self.wrap(v, owns, parent) for v in value]
        if isinstance(value, dict):
            return {k: self.wrap(v, owns, parent) for k, v in value.items()}
        if dataclasses.is_dataclass(value) and not isinstance(value, type):
            return self.wrap(dataclasses.asdict(value))
        spec = self._class_spec(type(value))
        if spec is not None and spec.value and _client_takes_snapshots():
            return self.snapshot(spec, value)
        adapter = self.adopt(value, owns, parent)
        if adapter is None:
            raise TypeError(f"the library returned a {type(value).__module__}.{type(value).__qualname__}, "
                            "which is neither a library object nor plain data: it cannot be sent")
        return adapter

    def invoke(self, caller: Adapter | None, func: Callable, args: tuple, kwargs: dict,
               owns: bool = False, path_key: str | None = None, recorder: bool = False) -> Any:
        """Call ``func`` with unwrapped arguments; wrap the result, translate exceptions.

        ``path_key`` names the :data:`~rpc_bridge.paths.PATH_ARGUMENTS` entry whose file names
        are confined to the data directory; a ``recorder`` result is watched by the budget.
        """
        if caller is not None and not reaches(current_scope(), caller._scope):
            raise unknown_object(caller._id)
        found: list[Adapter] = [caller] if caller is not None else []
        args = self.unwrap(tuple(args), found)
        kwargs = self.unwrap(dict(kwargs), found)
        parent = next((a for a in found if isinstance(a._obj, self.spec.tagger_base)), None)
        try:
            if path_key is not None:
                args, kwargs = self.directory.confine(path_key, args, kwargs)
            if recorder and self.budget is not None:
                self.budget.check_room()
            result = func(*args, **kwargs)
        except Exception as exc:  # noqa: BLE001 - every library error goes to the client
            raise portable_exception(exc) from None
        wrapped = self.wrap(result, owns=owns, parent=parent)
        if recorder and self.budget is not None and isinstance(wrapped, Adapter):
            self.budget.watch(wrapped)
        return wrapped

    # -- root object -------------------------------------------------------------------
    def shared_tagger_for(self, args: tuple, kwargs: dict) -> Any | None:
        """A server-hosted tagger matching a ``createTimeTagger(serial)`` request, if any."""
        if not self.shared_taggers:
            return None
        serial = kwargs.get("serial", args[0] if args else "")
        for tagger in self.shared_taggers:
            if not serial or tagger.getSerial() == serial:
                return tagger
        return None

    def enum_definitions(self) -> dict:
        """{name: (enum base class name, ((member, value), ...))} as the official client expects."""
        return {name: (cls.__mro__[1].__name__, tuple((k, int(v.value)) for k, v in cls.__members__.items()))
                for name, cls in self.spec.enums.items()}

    def describe(self) -> dict:
        """Everything our client needs to build the module proxy (docs, signatures, enums)."""
        classes = {}
        names = {spec.cls: name for name, spec in self.spec.classes.items()}
        for name, spec in self.spec.classes.items():
            init = signatures.without_self(signatures.signature_of(spec.cls.__init__))
            classes[name] = {
                "wire": spec.wire_name, "constructible": spec.constructible,
                "base": next((names[c] for c in spec.cls.__mro__[1:] if c in names), None),
                "doc": inspect.getdoc(spec.cls) or "", "value": spec.value,
                "init": {"doc": inspect.getdoc(spec.cls.__init__) or "", "sig": signatures.to_wire(init)},
                "methods": {m: dict(signatures.describe(f), **({"wait_slice_ms": WAIT_SLICE_MS}
                                                               if m in BOUNDED_WAITS else {}))
                            for m, f in spec.methods.items()},
                "properties": {p: inspect.getdoc(v) or "" for p, v in spec.properties.items()},
            }
        return {
            "provider": self.spec.module.__name__,
            "functions": {n: signatures.describe(f, drop_self=False) for n, f in self.spec.functions.items()},
            "classes": classes,
            "enums": self.enum_definitions(),
            "constants": dict(self.spec.constants),
        }


def _root_function(bridge: Bridge, name: str, func: Callable) -> Callable:
    if name == FREE_FUNCTION:
        def call(self: Any, tagger: Proxy) -> Any:
            return bridge.resolve(tagger)._release()
    elif name == "createTimeTagger":
        def call(self: Any, *args: Any, **kwargs: Any) -> Any:
            shared = bridge.shared_tagger_for(args, kwargs)
            if shared is not None:
                return bridge.wrap(shared, owns=False)
            return bridge.invoke(None, func, args, kwargs, owns=True)
    else:
        owns = name.startswith(TAGGER_FACTORY_PREFIX)
        path_key = name if name in PATH_ARGUMENTS else None

        def call(self: Any, *args: Any, **kwargs: Any) -> Any:
            return bridge.invoke(None, func, args, kwargs, owns=owns, path_key=path_key)
    return _described(call, name, func)


def _root_constructor(bridge: Bridge, spec: ClassSpec) -> Callable:
    path_key = _path_key(spec.cls, None)
    recorder = any(base.__name__ in RECORDERS for base in spec.cls.__mro__)

    def construct(self: Any, *args: Any, **kwargs: Any) -> Any:
        return bridge.invoke(None, spec.cls, args, kwargs, path_key=path_key, recorder=recorder)

    construct.__name__ = spec.wire_name
    construct.__doc__ = inspect.getdoc(spec.cls)
    return construct


def build_root(bridge: Bridge) -> Any:
    """The exposed library object registered as ``TimeTaggerRPC``."""
    attrs: dict[str, Any] = {n: _root_function(bridge, n, f) for n, f in bridge.spec.functions.items()}
    attrs.update({s.wire_name: _root_constructor(bridge, s)
                  for s in bridge.spec.classes.values() if s.constructible})

    def enum_definitions(self: Any) -> dict:
        """Enum classes of the library as {name: (base, ((member, value), ...))}."""
        return bridge.enum_definitions()

    def describe(self: Any) -> dict:
        """Docstrings, signatures, enums and constants of the served library."""
        return bridge.describe()

    def release(self: Any, obj: Proxy) -> None:
        """Release a remote object now (measurement, virtual channel, data object, tagger)."""
        bridge.resolve(obj)._release()

    def serverInfo(self: Any) -> dict:
        """Provider name, live remote objects and open client taggers (for monitoring and tests)."""
        return {"provider": bridge.spec.module.__name__, **bridge.counts()}

    attrs.update(enum_definitions=enum_definitions, describe=describe, release=release,
                 serverInfo=serverInfo, __doc__="The Time Tagger library, served by rpc_bridge.")
    return expose(type(ROOT_ID, (), attrs))()


