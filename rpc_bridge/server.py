"""Serve a Time Tagger provider over Pyro5: :func:`serve_in_thread` and the ``timetagger-rpc-server`` CLI.

In-process hosting (used by the Tango device server, which already holds the tagger)::

    from rpc_bridge.server import serve_in_thread
    handle = serve_in_thread(provider_module, host="127.0.0.1", port=23000,
                             auth_key=b"...", preexisting_taggers=[tagger])
    print(handle.uri)        # PYRO:TimeTaggerRPC@127.0.0.1:23000
    ...
    handle.shutdown()        # frees what clients created; preexisting taggers stay open

A client's ``createTimeTagger()`` (or ``createTimeTagger(serial)``) then returns the
preexisting tagger instead of opening the device again (a Time Tagger can be opened by
one process only); ``freeTimeTagger`` on it only drops the client's handle.

Process-wide settings: Pyro5 keeps its configuration per process, so serving sets
``Pyro5.config.MAX_MESSAGE_SIZE`` (requests larger than it are refused) and raises
``THREADPOOL_SIZE`` for every Pyro5 user in the process; it also tunes glibc's allocator
for large buffers (:mod:`rpc_bridge.memory`).
"""
from __future__ import annotations

import argparse
import contextlib
import importlib
import ipaddress
import logging
import signal
import socket
import sys
import threading
import warnings
from dataclasses import dataclass, field
from types import ModuleType
from typing import Any, Iterable

from Pyro5 import config
from Pyro5.server import Daemon

from . import codec, memory, security
from .adapters import ROOT_ID, Bridge, build_root
from .introspect import inspect_provider

log = logging.getLogger(__name__)
DEFAULT_PORT = 23000
DEFAULT_MAX_MESSAGE_SIZE = 256 * 1024 * 1024
THREADPOOL_SIZE = 256


class BridgeDaemon(Daemon):
    """A Pyro5 daemon that checks the shared-secret handshake of every new connection."""

    def __init__(self, host: str, port: int, authenticator: security.Authenticator | None) -> None:
        self._authenticator = authenticator
        super().__init__(host=host, port=port)

    def validateHandshake(self, conn: Any, data: Any) -> Any:
        """Pyro5 hook: refuse the connection unless its token proves the shared key."""
        if self._authenticator is not None:
            self._authenticator.check(data)
        return "ok"


@dataclass
class ServerHandle:
    """A running bridge: its URI, and :meth:`shutdown` to stop it."""

    uri: str
    daemon: BridgeDaemon
    bridge: Bridge
    thread: threading.Thread
    _stopped: bool = field(default=False, repr=False)

    def shutdown(self) -> dict:
        """Stop serving and release every client object (frees taggers the clients created).

        Returns ``{"objects": n, "taggers": m}``: client objects released, taggers freed
        (zeros when already stopped).
        """
        if self._stopped:
            return {"objects": 0, "taggers": 0}
        self._stopped = True
        self.daemon.shutdown()
        self.thread.join(timeout=10)
        return self.bridge.close_all()

    def __enter__(self) -> "ServerHandle":
        return self

    def __exit__(self, *exc: Any) -> None:
        self.shutdown()


def is_loopback(host: str) -> bool:
    """True if ``host`` names only this machine."""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(socket.gethostbyname(host)).is_loopback
    except (OSError, ValueError):
        return False


def warn_if_exposed(host: str, auth_key: bytes | None, tls: bool) -> None:
    """Loud warning when anyone on the network could drive the Time Tagger."""
    if is_loopback(host):
        return
    if auth_key is None:
        message = (f"rpc_bridge is listening on {host}, reachable from the network, WITHOUT "
                   f"authentication: anyone who can reach this port controls the Time Tagger and "
                   f"the server process. Use --auth-key-file (and TLS) or --host 127.0.0.1.")
    elif not tls:
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
                    max_message_size: int = DEFAULT_MAX_MESSAGE_SIZE) -> ServerHandle:
    """Serve ``provider`` (a module with the Time Tagger API) on a background thread.

    ``port=0`` picks a free port (see ``handle.uri``). ``auth_key`` enables the
    shared-secret handshake; ``tls_context`` is an ``ssl.SSLContext`` from
    :func:`rpc_bridge.security.server_context`. ``preexisting_taggers`` are tagger
    objects the host process already opened; clients share them and cannot free them.
    """
    codec.install()
    memory.keep_large_buffers_warm()
    config.MAX_MESSAGE_SIZE = max_message_size
    config.THREADPOOL_SIZE = max(config.THREADPOOL_SIZE, THREADPOOL_SIZE)
    warn_if_exposed(host, auth_key, tls_context is not None)
    authenticator = security.Authenticator(auth_key) if auth_key else None
    with security.pyro_ssl(tls_context, server_side=True):
        daemon = BridgeDaemon(host, port, authenticator)
    bridge = Bridge(inspect_provider(provider), daemon, preexisting_taggers)
    uri = str(daemon.register(build_root(bridge), ROOT_ID))
    if hasattr(provider, "setFrontend") and hasattr(provider, "FrontendType"):
        provider.setFrontend(provider.FrontendType.Pyro5RPC)
    thread = threading.Thread(target=daemon.requestLoop, name="rpc_bridge", daemon=True)
    thread.start()
    log.info("serving %s at %s", provider.__name__, uri)
    return ServerHandle(uri, daemon, bridge, thread)


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
    parser = argparse.ArgumentParser(
        prog="timetagger-rpc-server",
        description="Serve the Time Tagger API (real library or simulator) over Pyro5.")
    parser.add_argument("--host", default="127.0.0.1",
                        help="address to listen on (default 127.0.0.1: this machine only)")
    parser.add_argument("--port", type=int, default=DEFAULT_PORT,
                        help=f"TCP port (default {DEFAULT_PORT}; 0 picks a free one)")
    parser.add_argument("--backend", choices=("auto", "swabian", "sim"), default="auto",
                        help="auto: hardware if the Swabian library finds some, else the simulator")
    parser.add_argument("--auth-key-file", metavar="F",
                        help=f"file holding the shared secret (or set ${security.KEY_ENV})")
    parser.add_argument("--tls-cert", metavar="C", help="server certificate (PEM) to enable TLS")
    parser.add_argument("--tls-key", metavar="K", help="private key (PEM) of --tls-cert")
    parser.add_argument("--tls-ca", metavar="A", help="CA (PEM): require client certificates signed by it")
    parser.add_argument("--max-message-mb", type=int, default=DEFAULT_MAX_MESSAGE_SIZE // 2**20,
                        help="largest accepted request in MiB")
    parser.add_argument("-v", "--verbose", action="store_true", help="debug logging (bridge and Pyro5)")
    return parser


def main(argv: list[str] | None = None) -> int:
    """Console entry point ``timetagger-rpc-server``; exits 0 on SIGINT/SIGTERM."""
    args = _parser().parse_args(argv)
    logging.basicConfig(level=logging.DEBUG if args.verbose else logging.INFO,
                        format="%(asctime)s %(name)s %(levelname)s %(message)s")
    if bool(args.tls_cert) != bool(args.tls_key):
        _parser().error("--tls-cert and --tls-key go together")
    if args.tls_ca and not args.tls_cert:
        _parser().error("--tls-ca needs --tls-cert/--tls-key")
    key = security.load_key(args.auth_key_file)
    tls = security.server_context(args.tls_cert, args.tls_key, args.tls_ca) if args.tls_cert else None
    provider, description = select_backend(args.backend)
    stop = threading.Event()
    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, lambda *_: stop.set())
    handle = serve_in_thread(provider, args.host, args.port, auth_key=key, tls_context=tls,
                             max_message_size=args.max_message_mb * 2**20)
    print(f"backend: {description}", flush=True)
    print(f"authentication: {'shared key' if key else 'off'}; TLS: "
          f"{'on' + (' (client certificates required)' if args.tls_ca else '') if tls else 'off'}",
          flush=True)
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
