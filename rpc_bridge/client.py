"""Client: :func:`createProxy` returns an object used like the Time Tagger module.

::

    from rpc_bridge.client import createProxy
    TT = createProxy("127.0.0.1", 23000)          # the key: found in the per-user key file
    t = TT.createTimeTagger()
    t.setTestSignal([1, 2], True)
    c = TT.Correlation(t, 1, 2, binwidth=10, n_bins=1000)
    c.startFor(int(1e12)); c.waitUntilFinished(); y = c.getData()   # numpy array
    TT.freeTimeTagger(t)
    TT.close()                                    # releases everything this client made

Classes, functions, enums (``TT.Resolution.Standard``), constants (``TT.CHANNEL_UNUSED``)
and ``TT.Experimental`` are built from the server's ``describe()``, with the library's
docstrings and signatures, so ``help(TT.Correlation)`` works and an unknown name raises
``AttributeError``. Against Swabian's ``TimeTaggerRPC`` server (no ``describe``) the same
calls work, without documentation. Library exceptions arrive with their original type
name and message. Arrays arrive as ordinary writable numpy arrays.

The key: ``auth_key``, ``auth_key_file``, ``$TIMETAGGER_RPC_KEY`` or the per-user key file
(:mod:`rpc_bridge.keys`) the server created, in that order.

One connection carries every call of a client (:mod:`rpc_bridge.connection`); it may be
used from several threads (calls are sent one at a time; ``_pyroClaimOwnership`` is
accepted for TimeTaggerRPC scripts and does nothing). Everything the client creates
belongs to that connection and is released when the client frees it, closes, or
disconnects. Blocking waits (``waitUntilFinished``, ...) are repeated in slices the server
bounds, up to the timeout the caller gives. To share a tagger between clients, host it in
the server (``serve_in_thread(..., preexisting_taggers=[tagger])``, as the Tango device
server does): every client's ``createTimeTagger()`` then returns it, and each client's
measurements on it are its own.
"""
from __future__ import annotations

import enum
import time
import types
from typing import Any, Callable

import numpy as np
from Pyro5 import core, errors
from Pyro5.client import Proxy

from . import codec, keys, memory, security, signatures
from .codec import Snapshot
from .connection import ROOT_ID, Connection, is_loopback

DEFAULT_PORT = 23000
_exception_types: dict[tuple[str, type], type] = {}


def _remote_exception(exc: BaseException) -> BaseException:
    """Re-create the original exception type (by name) for errors the server flagged."""
    remote_type = getattr(exc, "remote_type", None)
    if remote_type is None:
        if isinstance(exc, (errors.DaemonError, errors.CommunicationError)) and "unknown object" in str(exc):
            return ReferenceError("the remote object no longer exists on the server (it was freed, "
                                  "its tagger was freed, or its owner disconnected)")
        return exc
    module, _, name = remote_type.rpartition(".")
    key = (remote_type, type(exc))
    if key not in _exception_types:
        _exception_types[key] = type(name, (type(exc),), {"__module__": module})
    new = _exception_types[key](*exc.args)
    new.remote_type = remote_type
    return new


class Session:
    """One client: its connection, the generated classes, and conversions in and out."""

    def __init__(self, connection: Connection, described: bool) -> None:
        self.connection = connection
        self.described = described
        self.classes: dict[str, type] = {}
        self._metadata: dict[str, dict] = {ROOT_ID: connection.root_metadata}

    def call(self, object_id: str, method: str, args: tuple, kwargs: dict) -> Any:
        """Invoke ``method`` remotely; remote objects in and out are ours."""
        try:
            result = self.connection.call(object_id, method, self.outgoing(args), self.outgoing(kwargs))
        except Exception as exc:  # noqa: BLE001 - re-raised with the remote type
            raise _remote_exception(exc) from None
        return self.incoming(result)

    def metadata(self, object_id: str) -> dict:
        """Pyro5 metadata (methods, attrs) of an object, for servers without ``describe``."""
        kind = object_id.rsplit("_", 1)[0]
        if kind not in self._metadata:
            self._metadata[kind] = self.call(core.DAEMON_NAME, "get_metadata", (object_id,), {})
        return self._metadata[kind]

    def outgoing(self, value: Any) -> Any:
        """An argument in wire form: remote objects as proxies, enums and numpy scalars as numbers."""
        if isinstance(value, RemoteObject):
            if value._id is None:
                raise TypeError(f"a {type(value).__name__} snapshot holds data only: pass its values")
            return Proxy(f"PYRO:{value._id}@{self.connection.location}")
        if isinstance(value, enum.Enum):
            return value.value
        if isinstance(value, np.generic):
            return value.item()
        if isinstance(value, (list, tuple)):
            return [self.outgoing(v) for v in value]
        if isinstance(value, dict):
            return {k: self.outgoing(v) for k, v in value.items()}
        return value

    def incoming(self, value: Any) -> Any:
        """A result in client form: proxies become objects of the generated classes."""
        if isinstance(value, Proxy):
            object_id = str(value._pyroUri.object)
            return self.classes.get(object_id.rsplit("_", 1)[0], RemoteObject)._attach(self, object_id)
        if isinstance(value, Snapshot):
            return self.classes.get(value.wire, RemoteObject)._attach(self, None, self.incoming(value.values))
        if isinstance(value, list):
            return [self.incoming(v) for v in value]
        if isinstance(value, dict):
            return {k: self.incoming(v) for k, v in value.items()}
        return value


class RemoteObject:
    """A library object living on the server (tagger, measurement, data object, ...), or a
    data snapshot sent by value (``_values``: what its getters returned; ``_id`` None)."""

    _session: Session
    _id: str | None
    _values: dict | None = None
    _wire_name = ""

    @classmethod
    def _attach(cls, session: Session, object_id: str | None, values: dict | None = None) -> "RemoteObject":
        obj = cls.__new__(cls)
        obj.__dict__.update(_session=session, _id=object_id, _values=values)
        return obj

    def __getattr__(self, name: str) -> Any:
        """Members of servers without ``describe`` (Swabian's), from Pyro5's metadata."""
        session = self.__dict__.get("_session")
        if name.startswith("_") or session is None or session.described:
            raise AttributeError(f"{type(self).__name__!r} remote object has no attribute {name!r}")
        metadata = session.metadata(self._id)
        if name in metadata.get("attrs", ()):
            return session.call(self._id, "__getattr__", (name,), {})
        if name in metadata.get("methods", ()):
            return lambda *args, **kwargs: session.call(self._id, name, args, kwargs)
        raise AttributeError(f"{type(self).__name__!r} remote object has no attribute {name!r}")

    def __enter__(self) -> "RemoteObject":
        return self

    def __exit__(self, *exc: Any) -> None:
        """Release the remote object (a tagger this client created is freed); snapshots hold nothing."""
        if self._id is not None:
            self._session.call(ROOT_ID, "release", (self,), {})

    def _pyroClaimOwnership(self) -> None:  # noqa: N802 - Pyro5's name, used by TimeTaggerRPC scripts
        """Accepted for TimeTaggerRPC scripts: a client's connection serves every thread already."""

    def __repr__(self) -> str:
        return f"<remote {type(self).__name__} {self._id or 'snapshot'}>"


def _described(function: Callable, name: str, info: dict, with_self: bool = False) -> Callable:
    """Give ``function`` the name, docstring and signature the server described."""
    function.__name__ = name
    function.__doc__ = info["doc"]
    function.__signature__ = signatures.from_wire(info["sig"], with_self=with_self)
    return function


def _stored(obj: RemoteObject, name: str) -> Any:
    """A snapshot's value for ``name`` (re-raising what the getter raised on the server)."""
    value = obj._values[name]
    if isinstance(value, BaseException):
        raise value
    return value


def _snapshot_method(name: str, info: dict) -> Callable:
    def method(self: RemoteObject) -> Any:
        return _stored(self, name)

    return _described(method, name, info, with_self=True)


def _method(name: str, info: dict) -> Callable:
    if "wait_slice_ms" in info:
        return _sliced_wait(name, info)

    def method(self: RemoteObject, *args: Any, **kwargs: Any) -> Any:
        return self._session.call(self._id, name, args, kwargs)

    return _described(method, name, info, with_self=True)


def _sliced_wait(name: str, info: dict) -> Callable:
    """A blocking wait (``timeout`` in ms, -1 forever) made of calls the server bounds."""
    sig = signatures.from_wire(info["sig"])
    slice_ms = int(info["wait_slice_ms"])

    def method(self: RemoteObject, *args: Any, **kwargs: Any) -> Any:
        bound = sig.bind(*args, **kwargs) if sig is not None else None
        if bound is None:
            return self._session.call(self._id, name, args, kwargs)
        bound.apply_defaults()
        timeout = bound.arguments.get("timeout", -1)
        deadline = None if timeout is None or timeout < 0 else time.monotonic() + timeout / 1000
        while True:
            remaining = slice_ms if deadline is None else max(0.0, (deadline - time.monotonic()) * 1000)
            bound.arguments["timeout"] = int(min(slice_ms, remaining))
            done = self._session.call(self._id, name, bound.args, bound.kwargs)
            if done or (deadline is not None and time.monotonic() >= deadline):
                return done

    return _described(method, name, info, with_self=True)


def _property(name: str, doc: str) -> property:
    def fget(self: RemoteObject) -> Any:
        return self._session.call(self._id, "__getattr__", (name,), {})

    def fset(self: RemoteObject, value: Any) -> None:
        self._session.call(self._id, "__setattr__", (name, value), {})

    return property(fget, fset, None, doc)


def _build_class(session: Session, name: str, info: dict, base: type) -> type:
    if info.get("value"):
        attrs: dict[str, Any] = {n: _snapshot_method(n, m) for n, m in info["methods"].items()}
        attrs.update({n: property(lambda self, n=n: _stored(self, n), None, None, d)
                      for n, d in info["properties"].items()})
    else:
        attrs = {n: _method(n, m) for n, m in info["methods"].items()}
        attrs.update({n: _property(n, d) for n, d in info["properties"].items()})
    attrs.update(__doc__=info["doc"], __module__="rpc_bridge.remote", _wire_name=info["wire"])
    if info["constructible"]:
        def __init__(self: RemoteObject, *args: Any, **kwargs: Any) -> None:
            made = session.call(ROOT_ID, info["wire"], args, kwargs)
            self.__dict__.update(made.__dict__)

        __init__.__doc__ = info["init"]["doc"]
        attrs["__init__"] = __init__
        attrs["__signature__"] = signatures.from_wire(info["init"]["sig"])
    else:
        def __init__(self: RemoteObject, *args: Any, **kwargs: Any) -> None:
            raise TypeError(f"{name} objects are made by the library (returned by its calls), "
                            "not constructed")

        attrs["__init__"] = __init__
    cls = type(name.rsplit(".", 1)[-1], (base,), attrs)
    cls.__qualname__ = name
    return cls


class LibraryProxy(types.ModuleType):
    """The remote Time Tagger library, used like the module itself."""

    def __init__(self, session: Session, described: dict | None, enum_defs: dict) -> None:
        location = session.connection.location
        super().__init__("rpc_bridge.remote", f"Time Tagger library at {location}")
        self._session = session
        for name, (base, members) in enum_defs.items():
            setattr(self, name, getattr(enum, base)(name, [tuple(m) for m in members]))
        if described is None:
            return
        self.__doc__ = f"{described['provider']} served by rpc_bridge at {location}"
        for name, value in described["constants"].items():
            setattr(self, name, value)
        for name, info in described["functions"].items():
            setattr(self, name, self._function(name, info))
        built: dict[str, type] = {}

        def build(name: str) -> type:  # base classes first, so isinstance() follows the library
            if name not in built:
                info = described["classes"][name]
                base = build(info["base"]) if info.get("base") else RemoteObject
                built[name] = _build_class(session, name, info, base)
            return built[name]

        for name, info in described["classes"].items():
            cls = build(name)
            session.classes[info["wire"]] = cls
            namespace, _, short = name.rpartition(".")
            target = self
            if namespace:
                if namespace not in self.__dict__:
                    setattr(self, namespace, types.SimpleNamespace(__doc__=f"{namespace} classes"))
                target = getattr(self, namespace)
            setattr(target, short, cls)

    def _function(self, name: str, info: dict) -> Callable:
        session = self._session

        def function(*args: Any, **kwargs: Any) -> Any:
            return session.call(ROOT_ID, name, args, kwargs)

        return _described(function, name, info)

    def __getattr__(self, name: str) -> Any:
        """Root methods not described as library functions (``serverInfo``; everything on Swabian's server)."""
        session = self.__dict__.get("_session")
        if name.startswith("_") or session is None or name not in session.metadata(ROOT_ID).get("methods", ()):
            raise AttributeError(f"the remote Time Tagger library has no attribute {name!r}")
        return lambda *args, **kwargs: session.call(ROOT_ID, name, args, kwargs)

    def release(self, obj: RemoteObject) -> None:
        """Release a remote object now instead of at disconnect (the remote ``del``).

        Long-running loops that call ``getDataObject()`` should release each data object
        (snapshots such as ``TimeTagStream.getData()``'s hold nothing on the server).
        """
        if obj._id is not None:
            self._session.call(ROOT_ID, "release", (obj,), {})

    def _pyroClaimOwnership(self) -> None:  # noqa: N802 - Pyro5's name, used by TimeTaggerRPC scripts
        """Accepted for TimeTaggerRPC scripts: the connection serves every thread already."""

    def close(self) -> None:
        """Disconnect; the server releases everything this client created."""
        self._session.connection.close()

    def __enter__(self) -> "LibraryProxy":
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()


def createProxy(host: str = "localhost", port: int = DEFAULT_PORT, auth_key: bytes | str | None = None,
                auth_key_file: str | None = None, tls_ca: str | None = None, tls_cert: str | None = None,
                tls_key: str | None = None, tls: bool | None = None, timeout: float | None = None,
                tune_allocator: bool = False, compress: bool | None = None) -> LibraryProxy:
    """Connect to a bridge (ours or the official ``TimeTaggerRPC`` server) and return the library proxy.

    The shared secret: ``auth_key``, ``auth_key_file``, ``$TIMETAGGER_RPC_KEY``, or the
    per-user key file (:func:`rpc_bridge.keys.default_key_file`), whichever comes first.
    TLS is used when ``tls_ca`` (CA file to verify the server) or ``tls=True`` (system CA
    store) is given; ``tls_cert``/``tls_key``: our client certificate. ``timeout`` (s)
    bounds each call; after a timeout the connection is closed (its objects are released).
    ``compress``: compress large arrays on the wire (blosc2), if the server can; default
    (None) on for a server on another host, off on loopback, where it only costs time.

    ``tune_allocator`` (default False; glibc only, once per process, cannot be undone) raises
    glibc's mmap threshold to 32 MiB and its trim threshold to 128 MiB
    (:func:`rpc_bridge.memory.keep_large_buffers_warm`), keeping large buffers in warm heap
    pages. It was worth x2.9 while arrays were copied out of each message; since they are
    received straight into their final buffer it measures within noise (x0.96-x1.14,
    ``bench/rpc_vs_timetaggerrpc.py``), so the user's process is left alone unless asked.
    """
    codec.install()
    if tune_allocator:
        memory.keep_large_buffers_warm()
    if isinstance(auth_key, str):
        auth_key = auth_key.encode()
    if auth_key is None:
        found = keys.find_key(auth_key_file)
        auth_key = found.secret if found else None
    context = security.client_context(tls_ca, tls_cert, tls_key) if (tls or tls_ca or tls_cert) else None
    if compress is None:
        compress = not is_loopback(host)
    connection = Connection(host, port, auth_key, context, timeout, compress=compress)
    try:
        described_here = "describe" in connection.root_metadata.get("methods", ())
        session = Session(connection, described_here)
        described = session.call(ROOT_ID, "describe", (), {}) if described_here else None
        enum_defs = described["enums"] if described else session.call(ROOT_ID, "enum_definitions", (), {})
    except BaseException:
        connection.close()
        raise
    return LibraryProxy(session, described, enum_defs)

