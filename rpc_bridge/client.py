"""Client: :func:`createProxy` returns an object used like the Time Tagger module.

::

    from rpc_bridge.client import createProxy
    TT = createProxy("127.0.0.1", 23000)          # key: auth_key=... or $TIMETAGGER_RPC_KEY
    t = TT.createTimeTagger()
    t.setTestSignal([1, 2], True)
    c = TT.Correlation(t, 1, 2, binwidth=10, n_bins=1000)
    c.startFor(int(1e12)); c.waitUntilFinished(); y = c.getData()   # numpy array
    TT.freeTimeTagger(t)
    TT.close()                                    # releases everything this client made

Classes, functions, enums (``TT.Resolution.Standard``), constants (``TT.CHANNEL_UNUSED``)
and ``TT.Experimental`` are built from the server's ``describe()``, with the library's
docstrings and signatures, so ``help(TT.Correlation)`` works. Against the official
``TimeTaggerRPC`` server (no ``describe``) the same calls work, without documentation.
Library exceptions arrive with their original type name and message. Arrays arrive
read-only (zero copy); ``.copy()`` them to modify in place. ``createProxy`` tunes
glibc's allocator in the calling process unless told not to (``tune_allocator=False``; see
its docstring).

Threads: Pyro5 proxies belong to the thread that created them. Use one ``createProxy``
per thread (or process). Objects belong to the connection that created them and are
released when it frees them, closes, or disconnects. To share a tagger between clients,
host it in the server (``serve_in_thread(..., preexisting_taggers=[tagger])``, as the
Tango device server does): every client's ``createTimeTagger()`` then returns it, and
each client's measurements on it are its own.
"""
from __future__ import annotations

import enum
import threading
import types
from typing import Any, Callable

import numpy as np
from Pyro5 import errors
from Pyro5.client import Proxy

from . import codec, memory, security, signatures
from .adapters import ROOT_ID

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
    """One client: connection settings and every Pyro proxy it opened."""

    def __init__(self, host: str, port: int, auth_key: bytes | None, tls: Any, timeout: float | None) -> None:
        self.host, self.port = host, port
        self.auth_key, self.tls, self.timeout = auth_key, tls, timeout
        # kept open until close(): a call's connection owns what the call created (data objects)
        self.proxies: dict[str, Proxy] = {}
        self.classes: dict[str, type] = {}
        self._lock = threading.Lock()

    def proxy(self, object_id: str) -> Proxy:
        """A msgpack Pyro5 proxy to the server object ``object_id`` of this session."""
        proxy = Proxy(f"PYRO:{object_id}@{self.host}:{self.port}")
        proxy._pyroSerializer = "msgpack"
        if self.timeout:
            proxy._pyroTimeout = self.timeout
        with self._lock:
            self.proxies[object_id] = proxy
        return proxy

    def connect(self, proxy: Proxy) -> None:
        """Open the connection now, with a fresh auth token and our TLS settings."""
        if self.auth_key:
            proxy._pyroHandshake = security.make_token(self.auth_key)
        with security.pyro_ssl(self.tls):
            proxy._pyroBind()

    def call(self, proxy: Proxy, method: str, args: tuple, kwargs: dict) -> Any:
        """Invoke ``method`` remotely; proxies in and out are our objects."""
        try:
            if proxy._pyroConnection is None:
                self.connect(proxy)
            result = proxy._pyroInvoke(method, self.outgoing(args), self.outgoing(kwargs))
        except Exception as exc:  # noqa: BLE001 - re-raised with the remote type
            raise _remote_exception(exc) from None
        return self.incoming(result)

    def get_attribute(self, proxy: Proxy, name: str) -> Any:
        """Read a remote property, with the library's exception types."""
        try:
            if proxy._pyroConnection is None:
                self.connect(proxy)
            return self.incoming(getattr(proxy, name))
        except Exception as exc:  # noqa: BLE001
            raise _remote_exception(exc) from None

    def outgoing(self, value: Any) -> Any:
        """An argument in wire form: remote objects as proxies, enums and numpy scalars as numbers."""
        if isinstance(value, RemoteObject):
            return Proxy(value._proxy._pyroUri)
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
            object_id = value._pyroUri.object
            cls = self.classes.get(object_id.rsplit("_", 1)[0], RemoteObject)
            return cls._attach(self, self.proxy(object_id))
        if isinstance(value, list):
            return [self.incoming(v) for v in value]
        return value

    def forget(self, proxy: Proxy) -> None:
        """Close and drop the proxy of a released object."""
        with self._lock:
            self.proxies.pop(proxy._pyroUri.object, None)
        proxy._pyroRelease()

    def close(self) -> None:
        """Close every proxy of this session (the server then releases its objects)."""
        with self._lock:
            proxies, self.proxies = list(self.proxies.values()), {}
        for proxy in proxies:
            try:
                proxy._pyroRelease()
            except Exception:  # noqa: BLE001 - closing anyway
                pass


class RemoteObject:
    """A library object living on the server (tagger, measurement, data object, ...)."""

    _session: Session | None = None
    _wire_name = ""

    @classmethod
    def _attach(cls, session: Session, proxy: Proxy) -> "RemoteObject":
        obj = cls.__new__(cls)
        obj.__dict__.update(_session=session, _proxy=proxy)
        return obj

    def __getattr__(self, name: str) -> Any:
        """Fallback for members the server did not describe (official server)."""
        if name.startswith("_"):
            raise AttributeError(name)
        session, proxy = self.__dict__["_session"], self.__dict__["_proxy"]
        if proxy._pyroConnection is None:
            try:
                session.connect(proxy)
            except Exception as exc:  # noqa: BLE001 - re-raised with the remote type
                raise _remote_exception(exc) from None
        if name in proxy._pyroAttrs:
            return session.get_attribute(proxy, name)
        return lambda *args, **kwargs: session.call(proxy, name, args, kwargs)

    def __repr__(self) -> str:
        return f"<remote {type(self).__name__} {self._proxy._pyroUri.object}>"


def _described(function: Callable, name: str, info: dict, with_self: bool = False) -> Callable:
    """Give ``function`` the name, docstring and signature the server described."""
    function.__name__ = name
    function.__doc__ = info["doc"]
    function.__signature__ = signatures.from_wire(info["sig"], with_self=with_self)
    return function


def _method(name: str, info: dict) -> Callable:
    def method(self: RemoteObject, *args: Any, **kwargs: Any) -> Any:
        return self._session.call(self._proxy, name, args, kwargs)

    return _described(method, name, info, with_self=True)


def _property(name: str, doc: str) -> property:
    def fget(self: RemoteObject) -> Any:
        return self._session.get_attribute(self._proxy, name)

    def fset(self: RemoteObject, value: Any) -> None:
        self._session.call(self._proxy, "__setattr__", (name, value), {})

    return property(fget, fset, None, doc)


def _build_class(session: Session, root: Proxy, name: str, info: dict, base: type) -> type:
    attrs: dict[str, Any] = {n: _method(n, m) for n, m in info["methods"].items()}
    attrs.update({n: _property(n, d) for n, d in info["properties"].items()})
    attrs.update(__doc__=info["doc"], __module__="rpc_bridge.remote", _session=session,
                 _wire_name=info["wire"])
    if info["constructible"]:
        def __init__(self: RemoteObject, *args: Any, **kwargs: Any) -> None:
            made = session.call(root, info["wire"], args, kwargs)
            self.__dict__.update(made.__dict__)

        __init__.__doc__ = info["init"]["doc"]
        attrs["__init__"] = __init__
        attrs["__signature__"] = signatures.from_wire(info["init"]["sig"])
    cls = type(name.rsplit(".", 1)[-1], (base,), attrs)
    cls.__qualname__ = name
    return cls


class LibraryProxy(types.ModuleType):
    """The remote Time Tagger library, used like the module itself."""

    def __init__(self, session: Session, root: Proxy, described: dict | None, enum_defs: dict) -> None:
        super().__init__("rpc_bridge.remote", f"Time Tagger library at {session.host}:{session.port}")
        self._session, self._root = session, root
        for name, (base, members) in enum_defs.items():
            setattr(self, name, getattr(enum, base)(name, [tuple(m) for m in members]))
        if described is None:
            return
        self.__doc__ = f"{described['provider']} served by rpc_bridge at {session.host}:{session.port}"
        for name, value in described["constants"].items():
            setattr(self, name, value)
        for name, info in described["functions"].items():
            setattr(self, name, self._function(name, info))
        built: dict[str, type] = {}

        def build(name: str) -> type:  # base classes first, so isinstance() follows the library
            if name not in built:
                info = described["classes"][name]
                base = build(info["base"]) if info.get("base") else RemoteObject
                built[name] = _build_class(session, root, name, info, base)
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
        session, root = self._session, self._root

        def function(*args: Any, **kwargs: Any) -> Any:
            return session.call(root, name, args, kwargs)

        return _described(function, name, info)

    def __getattr__(self, name: str) -> Any:
        """Fallback for the official server: any function or constructor by name."""
        if name.startswith("_"):
            raise AttributeError(name)
        session, root = self.__dict__["_session"], self.__dict__["_root"]
        return lambda *args, **kwargs: session.call(root, name, args, kwargs)

    def release(self, obj: RemoteObject) -> None:
        """Release a remote object now instead of at disconnect (the remote ``del``).

        Long-running loops that call ``getDataObject()`` should release each data object.
        """
        self._session.call(self._root, "release", (obj,), {})
        self._session.forget(obj._proxy)

    def close(self) -> None:
        """Disconnect; the server releases everything this client created."""
        self._session.close()

    def __enter__(self) -> "LibraryProxy":
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()


def createProxy(host: str = "localhost", port: int = DEFAULT_PORT, auth_key: bytes | str | None = None,
                auth_key_file: str | None = None, tls_ca: str | None = None, tls_cert: str | None = None,
                tls_key: str | None = None, tls: bool | None = None, timeout: float | None = None,
                tune_allocator: bool = True, _objectId: str = ROOT_ID) -> LibraryProxy:
    """Connect to a bridge (ours or the official ``TimeTaggerRPC`` server) and return the library proxy.

    ``auth_key`` / ``auth_key_file`` / ``$TIMETAGGER_RPC_KEY``: the shared secret, if the
    server wants one. TLS is used when ``tls_ca`` (CA file to verify the server) or
    ``tls=True`` (system CA store) is given; ``tls_cert``/``tls_key``: our client certificate.

    ``tune_allocator`` (default True, glibc only, once per process, cannot be undone):
    raises glibc's mmap threshold to 32 MiB and its trim threshold to 128 MiB
    (:func:`rpc_bridge.memory.keep_large_buffers_warm`), so each received array reuses warm
    heap pages instead of a fresh ``mmap`` whose every page faults on first touch. It
    changes this whole process, which can keep up to 128 MiB of freed memory. Default on
    because we measured it (``bench/rpc_vs_timetaggerrpc.py``, fresh client processes,
    8 MB ``getData()``): ~2.9 GB/s with it, ~1.0 GB/s without (x2.9). Pass False in
    memory-tight processes or ones that tune malloc themselves; the server tunes its own
    process regardless.
    """
    codec.install()
    if tune_allocator:
        memory.keep_large_buffers_warm()
    key = auth_key.encode() if isinstance(auth_key, str) else auth_key
    if key is None:
        key = security.load_key(auth_key_file)
    context = security.client_context(tls_ca, tls_cert, tls_key) if (tls or tls_ca or tls_cert) else None
    session = Session(host, port, key, context, timeout)
    root = session.proxy(_objectId)
    try:
        session.connect(root)
        described = session.call(root, "describe", (), {}) if "describe" in root._pyroMethods else None
        enum_defs = described["enums"] if described else session.call(root, "enum_definitions", (), {})
    except BaseException:
        session.close()
        raise
    return LibraryProxy(session, root, described, enum_defs)
