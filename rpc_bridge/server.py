"""Serve a Time Tagger provider over Pyro5: :func:`serve_in_thread` and the ``timetagger-rpc-server`` CLI.

In-process hosting (used by the Tango device server, which already holds the tagger)::

    from rpc_bridge.server import serve_in_thread
    handle = serve_in_thread(provider_module, host="127.0.0.1", port=23000,
                             preexisting_taggers=[tagger])
    print(handle.uri, handle.key_origin)   # PYRO:TimeTaggerRPC@127.0.0.1:23000, where the key is
    ...
    handle.shutdown()        # frees what clients created; preexisting taggers stay open

A client's ``createTimeTagger()`` (or ``createTimeTagger(serial)``) then returns the
preexisting tagger instead of opening the device again (a Time Tagger can be opened by
one process only); ``freeTimeTagger`` on it only drops the client's handle.

Secure by default: every connection proves the shared key (:mod:`rpc_bridge.security`;
without one configured, the per-user key file of :mod:`rpc_bridge.keys` is used or created),
before which nothing beyond a small handshake is read (:mod:`rpc_bridge.transport`); each
connection reaches only its own objects (:mod:`rpc_bridge.ownership`); file names stay in
the data directory (:mod:`rpc_bridge.paths`). ``insecure_no_auth=True`` (CLI
``--insecure-no-auth``) lets Swabian's ``TimeTaggerRPC`` client in, on loopback only.

Process-wide settings: Pyro5 keeps its configuration per process, so serving sets
``Pyro5.config.MAX_MESSAGE_SIZE`` (largest request after authentication) for every Pyro5
user in the process; it also tunes glibc's allocator for large buffers
(:mod:`rpc_bridge.memory`).
"""
from __future__ import annotations

import argparse
import contextlib
import importlib
import itertools
import logging
import signal
import sys
import threading
import warnings
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType
from typing import Any, Iterable

from Pyro5 import config, core, errors, serializers
from Pyro5.server import Daemon, DaemonObject, expose

from . import codec, keys, memory, security
from .adapters import ROOT_ID, Bridge, build_root, unknown_object
from .bulk import negotiate
from .connection import is_loopback
from .introspect import inspect_provider
from .ownership import ANONYMOUS, Scope, current_scope
from .paths import DataDirectory, RecordingBudget, default_data_dir
from .plugins import load as load_plugins
from .transport import Admit, Challenge, GuardedServer, Limits, PolicyViolation, WirePolicy

log = logging.getLogger(__name__)
DEFAULT_PORT = 23000
DEFAULT_MAX_MESSAGE_SIZE = 256 * 1024 * 1024
_SERIALIZER_IDS = {name: s.serializer_id for name, s in serializers.serializers.items()}
_PYRO_CONFIG_LOCK = threading.Lock()
_connection_numbers = itertools.count(1)


@expose
class ScopedDaemonObject(DaemonObject):
    """Pyro5's built-in ``Pyro.Daemon`` object, showing a connection only what it may reach."""

    def registered(self) -> list[str]:
        """Object ids this connection may use: the library root and its own objects."""
        return self.daemon.visible_ids(current_scope())

    def info(self) -> str:
        """What this server is (no counts of other connections' objects)."""
        return f"rpc_bridge daemon on {self.daemon.locationStr}"

    def get_metadata(self, objectId: str) -> dict:  # noqa: N803 - Pyro5's name
        """Exposed members of an object this connection may reach."""
        return self.daemon.metadata_for(objectId, current_scope())

    def get_next_stream_item(self, streamId: str) -> Any:  # noqa: N803
        """Not served: the bridge returns no item streams."""
        raise errors.PyroError("item streams are not served by this server")

    def close_stream(self, streamId: str) -> None:  # noqa: N803
        """Not served (see :meth:`get_next_stream_item`)."""


class BridgeDaemon(Daemon):
    """A Pyro5 daemon on :class:`~rpc_bridge.transport.GuardedServer`, scoping objects per connection."""

    def __init__(self, host: str, port: int, authenticator: security.Authenticator | None,
                 tls_context: Any = None, limits: Limits = Limits()) -> None:
        with _PYRO_CONFIG_LOCK:  # Pyro5 has no hook for a transport: let it bind, then take over
            saved = config.SERVERTYPE, config.SSL
            config.SERVERTYPE, config.SSL = "multiplex", False
            try:
                super().__init__(host=host, port=port, interface=ScopedDaemonObject)
            finally:
                config.SERVERTYPE, config.SSL = saved
        pyro_server = self.transportServer
        listener, pyro_server.sock = pyro_server.sock, None
        pyro_server.selector.unregister(listener)
        pyro_server.selector.close()
        self._authenticator = authenticator
        accepted = {_SERIALIZER_IDS["msgpack"]} | ({_SERIALIZER_IDS["serpent"]} if authenticator is None else set())
        self.transportServer = GuardedServer(self, listener, pyro_server.locationStr, self._gate,
                                             WirePolicy(frozenset(accepted)), tls_context, limits)
        self.bridge: Bridge | None = None

    def _gate(self, hello: Any, challenge: str | None, token: Any) -> Challenge | Admit:
        """Admission: challenge first, then check the answer (or admit anonymously without a key).

        The hello may offer bulk arrays (:mod:`rpc_bridge.bulk`); the answer says what was agreed.
        """
        bulk = negotiate(hello.get("bulk")) if isinstance(hello, dict) else None
        features = {"bulk": bulk}
        if self._authenticator is None:
            return Admit(features, ANONYMOUS, bulk)
        if challenge is None:
            challenge = self._authenticator.challenge()
            return Challenge(challenge, security.challenge_text(challenge))
        proof = self._authenticator.check(challenge, token)
        return Admit(dict(proof, **features), Scope(f"connection {next(_connection_numbers)}"), bulk)

    def visible_ids(self, scope: Scope | None) -> list[str]:
        """Ids of the objects ``scope`` may reach."""
        ids = [core.DAEMON_NAME, ROOT_ID]
        if self.bridge is not None:
            ids += self.bridge.ids_reachable_from(scope)
        return ids

    def metadata_for(self, object_id: str, scope: Scope | None) -> dict:
        """Pyro5 metadata of ``object_id`` if ``scope`` reaches it; DaemonError otherwise."""
        if object_id not in (core.DAEMON_NAME, ROOT_ID) and (
                self.bridge is None or not self.bridge.reachable(object_id, scope)):
            raise unknown_object(object_id)
        return DaemonObject.get_metadata(self.objectsById[core.DAEMON_NAME], object_id)

    def _sendExceptionResponse(self, connection: Any, *args: Any, **kwargs: Any) -> None:
        """Pyro5's error reply, without arrays queued by a result that failed to serialize."""
        bulk = getattr(connection, "bulk", None)
        if bulk is not None:
            bulk.discard()
        super()._sendExceptionResponse(connection, *args, **kwargs)

    def handleRequest(self, conn: Any) -> None:
        """Pyro5's dispatch; a request the wire policy refuses is answered, then the connection closed."""
        try:
            super().handleRequest(conn)
        except PolicyViolation as exc:
            log.warning("request refused, closing the connection: %s", exc)
            if not exc.oneway:
                with contextlib.suppress(Exception):
                    self._sendExceptionResponse(conn, exc.seq, exc.serializer_id, errors.SecurityError(str(exc)), None)
            raise


@dataclass
class ServerHandle:
    """A running bridge: its URI, where its key comes from, and :meth:`shutdown` to stop it."""

    uri: str
    daemon: BridgeDaemon
    bridge: Bridge
    thread: threading.Thread
    key_origin: str
    data_dir: Path
    _stopped: bool = field(default=False, repr=False)

    def shutdown(self) -> dict:
        """Stop serving and release every client object (frees taggers the clients created).

        Returns ``{"objects": n, "taggers": m}``: client objects released, taggers freed
        (zeros when already stopped).
        """
        if self._stopped:
            return {"objects": 0, "taggers": 0}
        self._stopped = True
        live = self.bridge.counts()  # closing the connections starts releasing their objects
        self.daemon.shutdown()
        self.thread.join(timeout=10)
        self.bridge.close_all()
        return live

    def __enter__(self) -> "ServerHandle":
        return self

    def __exit__(self, *exc: Any) -> None:
        self.shutdown()


def check_exposure(host: str, insecure_no_auth: bool, tls: bool) -> None:
    """Refuse a keyless server off loopback; warn loudly about keyless or unencrypted service."""
    if insecure_no_auth and not is_loopback(host):
        raise ValueError(f"--insecure-no-auth is refused on {host}: without authentication anyone "
                         "who reaches the port controls the Time Tagger and this process; it is "
                         "allowed on 127.0.0.1 only (use the shared key, and TLS, on a network)")
    if insecure_no_auth:
        message = ("rpc_bridge runs WITHOUT authentication (--insecure-no-auth): every local user "
                   "and process of this host controls the Time Tagger through this port")
    elif not tls and not is_loopback(host):
        message = (f"rpc_bridge is listening on {host} without TLS: calls and data travel "
                   f"unencrypted (the key itself is never sent). Consider --tls-cert/--tls-key.")
    else:
        return
    banner = "!" * 78
    print(f"{banner}\nWARNING: {message}\n{banner}", file=sys.stderr, flush=True)
    warnings.warn(message, stacklevel=3)


def serve_in_thread(provider: ModuleType, host: str = "127.0.0.1", port: int = DEFAULT_PORT,
                    auth_key: bytes | None = None, tls_context: Any = None,
                    preexisting_taggers: Iterable[Any] = (),
                    max_message_size: int = DEFAULT_MAX_MESSAGE_SIZE, *,
                    auth_key_file: str | Path | None = None, insecure_no_auth: bool = False, data_dir: str | Path | None = None,
                    max_recording_bytes: int | None = None, remote_sim_control: bool = False,
                    plugins: Iterable[str] = (), limits: Limits = Limits()) -> ServerHandle:
    """Serve ``provider`` (a module with the Time Tagger API) on a background thread.

    ``port=0`` picks a free port (see ``handle.uri``). ``auth_key``: the shared secret, or
    ``auth_key_file`` holding it (default: :func:`rpc_bridge.keys.server_key`: ``$TIMETAGGER_RPC_KEY``
    or the per-user key file, created if need be);
    ``insecure_no_auth=True`` serves without one (loopback only; for Swabian's client).
    ``tls_context`` is an ``ssl.SSLContext`` from :func:`rpc_bridge.security.server_context`.
    ``preexisting_taggers`` are tagger objects the host process already opened; clients
    share them and cannot free them. ``data_dir`` holds every file a client names
    (default :func:`rpc_bridge.paths.default_data_dir`); ``max_recording_bytes`` bounds it
    for recorders. ``remote_sim_control`` lets clients call the simulator's ``simUnplug`` and
    ``simConnect``. ``plugins``: modules (dotted names or ``.py`` files) whose
    ``CustomMeasurement`` subclasses clients may create (:mod:`rpc_bridge.plugins`).
    """
    if insecure_no_auth and (auth_key or auth_key_file):
        raise ValueError("--insecure-no-auth and a key exclude each other")
    check_exposure(host, insecure_no_auth, tls_context is not None)
    if insecure_no_auth:
        key_origin, authenticator = "OFF (--insecure-no-auth)", None
    else:
        key = keys.Key(auth_key, "given by the caller") if auth_key else keys.server_key(auth_key_file)
        key_origin, authenticator = key.origin, security.Authenticator(key.secret)
    directory = DataDirectory(data_dir or default_data_dir())
    codec.install()
    memory.keep_large_buffers_warm()
    config.MAX_MESSAGE_SIZE = max_message_size
    measurements = load_plugins(plugins, provider)
    daemon = BridgeDaemon(host, port, authenticator, tls_context, limits)
    bridge = Bridge(inspect_provider(provider, remote_sim_control, measurements), daemon,
                    directory, preexisting_taggers, RecordingBudget(directory, max_recording_bytes))
    daemon.bridge = bridge
    uri = str(daemon.register(build_root(bridge), ROOT_ID))
    if hasattr(provider, "setFrontend") and hasattr(provider, "FrontendType"):
        provider.setFrontend(provider.FrontendType.Pyro5RPC)
    thread = threading.Thread(target=daemon.requestLoop, name="rpc_bridge", daemon=True)
    thread.start()
    log.info("serving %s at %s (key: %s; data directory %s)", provider.__name__, uri, key_origin,
             directory.root)
    return ServerHandle(uri, daemon, bridge, thread, key_origin, directory.root)


def select_backend(name: str) -> tuple[ModuleType, str]:
    """(provider module, description) for ``auto``, ``swabian`` or ``sim``."""
    def swabian() -> ModuleType:
        try:
            return importlib.import_module("Swabian.TimeTagger")
        except ImportError:
            return importlib.import_module("TimeTagger")

    if name == "sim":
        return importlib.import_module("timetagger_sim"), "simulator (timetagger_sim)"
    if name == "swabian":
        return swabian(), "Swabian Time Tagger library"
    try:
        module = swabian()
        if module.scanTimeTagger():
            return module, "Swabian Time Tagger library (auto: hardware found)"
        reason = "no Time Tagger hardware found"
    except Exception as exc:  # noqa: BLE001 - any failure means: use the simulator
        reason = f"Swabian library unavailable ({exc})"
    return importlib.import_module("timetagger_sim"), f"simulator (auto: {reason})"


def _parser() -> argparse.ArgumentParser:
    limits = Limits()
    parser = argparse.ArgumentParser(
        prog="timetagger-rpc-server",
        description="Serve the Time Tagger API (real library or simulator) over Pyro5. Every client "
                    "must hold the shared key (default: the per-user key file "
                    f"{keys.default_key_file()}, created on first start; clients of the same "
                    "user find it).")
    parser.add_argument("--host", default="127.0.0.1",
                        help="address to listen on (default 127.0.0.1: this machine only)")
    parser.add_argument("--port", type=int, default=DEFAULT_PORT,
                        help=f"TCP port (default {DEFAULT_PORT}; 0 picks a free one)")
    parser.add_argument("--backend", choices=("auto", "swabian", "sim"), default="auto",
                        help="auto: hardware if the Swabian library finds some, else the simulator")
    parser.add_argument("--auth-key-file", metavar="F",
                        help=f"file holding the shared secret (else ${keys.KEY_ENV}, else the "
                             "per-user key file)")
    parser.add_argument("--insecure-no-auth", action="store_true",
                        help="serve WITHOUT authentication, for Swabian's TimeTaggerRPC client: every "
                             "local user controls the tagger; refused off 127.0.0.1")
    parser.add_argument("--tls-cert", metavar="C", help="server certificate (PEM) to enable TLS")
    parser.add_argument("--tls-key", metavar="K", help="private key (PEM) of --tls-cert")
    parser.add_argument("--tls-ca", metavar="A", help="CA (PEM): require client certificates signed by it")
    parser.add_argument("--data-dir", metavar="D", type=Path,
                        help=f"the only directory whose files clients may name (default {default_data_dir()})")
    parser.add_argument("--max-recording-mb", type=float, metavar="MB",
                        help="stop clients' recorders when the data directory holds more (default: no limit)")
    parser.add_argument("--max-message-mb", type=int, default=DEFAULT_MAX_MESSAGE_SIZE // 2**20,
                        help="largest accepted request in MiB, after authentication")
    parser.add_argument("--max-connections", type=int, default=limits.connections,
                        help=f"authenticated connections served at once (default {limits.connections})")
    parser.add_argument("--plugin", action="append", default=[], metavar="MODULE",
                        help="serve the CustomMeasurement subclasses of this module (a dotted name or a "
                             ".py file; repeatable)")
    parser.add_argument("--allow-sim-control", action="store_true",
                        help="let clients call the simulator's simUnplug/simConnect (off by default)")
    parser.add_argument("-v", "--verbose", action="store_true", help="debug logging (bridge and Pyro5)")
    return parser


def main(argv: list[str] | None = None) -> int:
    """Console entry point ``timetagger-rpc-server``; exits 0 on SIGINT/SIGTERM."""
    parser = _parser()
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.DEBUG if args.verbose else logging.INFO,
                        format="%(asctime)s %(name)s %(levelname)s %(message)s")
    if bool(args.tls_cert) != bool(args.tls_key):
        parser.error("--tls-cert and --tls-key go together")
    if args.tls_ca and not args.tls_cert:
        parser.error("--tls-ca needs --tls-cert/--tls-key")
    if args.max_connections < 1:
        parser.error("--max-connections must be at least 1")
    try:
        tls = security.server_context(args.tls_cert, args.tls_key, args.tls_ca) if args.tls_cert else None
    except (ValueError, OSError) as exc:
        parser.error(f"TLS: {exc}")
    provider, description = select_backend(args.backend)
    stop = threading.Event()
    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, lambda *_: stop.set())
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # the banner is printed to stderr already
            handle = serve_in_thread(
                provider, args.host, args.port, auth_key_file=args.auth_key_file, tls_context=tls,
                max_message_size=args.max_message_mb * 2**20, insecure_no_auth=args.insecure_no_auth,
                data_dir=args.data_dir, max_recording_bytes=None if args.max_recording_mb is None
                else int(args.max_recording_mb * 2**20),
                remote_sim_control=args.allow_sim_control, plugins=args.plugin,
                limits=Limits(connections=args.max_connections))
    except (ValueError, OSError, ImportError) as exc:  # refused exposure; bad key file, data dir, plugin
        parser.error(str(exc))
    print(f"backend: {description}", flush=True)
    print(f"authentication: {handle.key_origin}; TLS: "
          f"{'on' + (' (client certificates required)' if args.tls_ca else '') if tls else 'off'}",
          flush=True)
    print(f"data directory: {handle.data_dir}", flush=True)
    print(f"URI: {handle.uri}", flush=True)
    try:
        while not stop.wait(0.5):
            if not handle.thread.is_alive():
                log.error("request loop ended unexpectedly")
                return 1
    finally:
        released = handle.shutdown()
        with contextlib.suppress(OSError):  # stdout may be gone (parent closed the pipe)
            print(f"stopped; released {released['objects']} client objects, "
                  f"freed {released['taggers']} taggers", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
