"""Shared-secret authentication and TLS for the bridge.

Authentication rides on Pyro5's connection handshake: the client sends
``{nonce, time, mac}`` with ``mac = HMAC-SHA256(key, nonce:time)``; the server checks
the MAC, refuses tokens older than :data:`MAX_TOKEN_AGE` and any nonce it has seen, so
the key itself never crosses the network and a recorded handshake cannot be replayed.
Without a valid token no call at all reaches the library. The key comes from a file or
the environment variable :data:`KEY_ENV`, never from the command line (where ``ps``
would show it).

TLS uses Pyro5's SSL support. Pyro5 keeps its SSL settings and contexts process wide,
so :func:`pyro_ssl` installs ours just while a daemon socket is created or a client
connects (under one lock). Consequence: within one process, connections are opened
one at a time, and other Pyro5 code must not change ``Pyro5.config.SSL`` concurrently.
"""
from __future__ import annotations

import contextlib
import hashlib
import hmac
import os
import secrets
import ssl
import stat
import threading
import time
from collections import OrderedDict
from pathlib import Path
from typing import Iterator

from Pyro5 import config, errors, socketutil

KEY_ENV = "TIMETAGGER_RPC_KEY"
MAX_TOKEN_AGE = 300.0
_SSL_LOCK = threading.RLock()


def load_key(key_file: str | os.PathLike | None = None, env: str = KEY_ENV) -> bytes | None:
    """The shared secret from ``key_file`` (first line, stripped), else from ``$env``, else None."""
    if key_file:
        path = Path(key_file)
        if path.stat().st_mode & (stat.S_IRWXG | stat.S_IRWXO):
            import warnings
            warnings.warn(f"auth key file {path} is readable by other users; chmod 600 it", stacklevel=2)
        key = path.read_text().strip().encode()
        if not key:
            raise ValueError(f"auth key file {path} is empty")
        return key
    value = os.environ.get(env, "").strip()
    return value.encode() if value else None


def _mac(key: bytes, nonce: str, stamp: float) -> str:
    return hmac.new(key, f"{nonce}:{stamp!r}".encode(), hashlib.sha256).hexdigest()


def make_token(key: bytes) -> dict:
    """A fresh handshake token for one connection."""
    nonce, stamp = secrets.token_hex(16), time.time()
    return {"nonce": nonce, "time": stamp, "mac": _mac(key, nonce, stamp)}


class Authenticator:
    """Server-side token check with a bounded replay cache."""

    def __init__(self, key: bytes, cache_size: int = 100_000) -> None:
        self._key = key
        self._seen: OrderedDict[str, float] = OrderedDict()
        self._cache_size = cache_size
        self._lock = threading.Lock()

    def check(self, token: object) -> None:
        """Raise :class:`Pyro5.errors.SecurityError` unless ``token`` is fresh and valid."""
        try:
            nonce, stamp, mac = str(token["nonce"]), float(token["time"]), str(token["mac"])  # type: ignore[index]
        except (TypeError, KeyError, ValueError):
            raise errors.SecurityError("authentication required: this server needs the shared key") from None
        if not hmac.compare_digest(mac, _mac(self._key, nonce, stamp)):
            raise errors.SecurityError("authentication failed: wrong shared key")
        now = time.time()
        if abs(now - stamp) > MAX_TOKEN_AGE:
            raise errors.SecurityError("authentication failed: token expired (check both clocks)")
        with self._lock:
            if nonce in self._seen:
                raise errors.SecurityError("authentication failed: replayed token")
            self._seen[nonce] = now
            while len(self._seen) > self._cache_size or (
                    self._seen and now - next(iter(self._seen.values())) > MAX_TOKEN_AGE):
                self._seen.popitem(last=False)


def server_context(cert: str, key: str, ca: str | None = None) -> ssl.SSLContext:
    """Server TLS context; with ``ca``, clients must present a certificate signed by it."""
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(cert, key)
    if ca:
        context.load_verify_locations(cafile=ca)
        context.verify_mode = ssl.CERT_REQUIRED
    return context


def client_context(ca: str | None = None, cert: str | None = None, key: str | None = None) -> ssl.SSLContext:
    """Client TLS context verifying the server against ``ca`` (system store if None)."""
    context = ssl.create_default_context(ssl.Purpose.SERVER_AUTH, cafile=ca)
    if cert:
        context.load_cert_chain(cert, key)
    return context


@contextlib.contextmanager
def pyro_ssl(context: ssl.SSLContext | None, server_side: bool = False) -> Iterator[None]:
    """Make Pyro5 use ``context`` (None: plain TCP) for sockets created inside the block."""
    slot = "__ssl_server_context" if server_side else "__ssl_client_context"
    with _SSL_LOCK:
        saved = (config.SSL, config.SSL_SERVERCERT, config.SSL_CLIENTCERT, getattr(socketutil, slot))
        config.SSL = context is not None
        config.SSL_SERVERCERT = "<rpc_bridge>" if server_side else ""
        config.SSL_CLIENTCERT = ""
        setattr(socketutil, slot, context)
        try:
            yield
        finally:
            config.SSL, config.SSL_SERVERCERT, config.SSL_CLIENTCERT, cached = saved
            setattr(socketutil, slot, cached)
