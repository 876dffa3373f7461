"""The client's one connection to a bridge: Pyro5's wire protocol, the handshake, thread-safe calls.

Pyro5 proxies open a connection (and the server a thread) per remote object. A client of
the bridge instead sends every call over one connection, naming the object in each
request as Pyro5's protocol allows; the server ties the objects a connection creates to
it (:mod:`rpc_bridge.ownership`) and releases them when it closes. Calls from several
threads are sent one at a time under a lock.

The handshake is that of :mod:`rpc_bridge.security`; against a server that does not ask
for a key (Swabian's ``TimeTaggerRPC`` server, or ours with ``--insecure-no-auth``) the
hello alone opens the connection. The hello offers bulk arrays (:mod:`rpc_bridge.bulk`),
with compression if asked for; arrays travel beside the messages once the server agrees.
"""
from __future__ import annotations

import ipaddress
import socket
import ssl
import threading
from typing import Any, NoReturn

from Pyro5 import errors, protocol, serializers, socketutil

from . import codec, keys, security
from .bulk import COMPRESSIONS, BulkChannel

ROOT_ID = "TimeTaggerRPC"
#: Longest wait for connecting and for the handshake when no call timeout is set (s).
HANDSHAKE_TIMEOUT_S = 10.0
#: Most bytes of arrays one reply may bring (a server we connected to is trusted that far).
_REPLY_ARRAYS_BUDGET = 64 * 2**30


def is_loopback(host: str) -> bool:
    """True if ``host`` names only this machine."""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(socket.gethostbyname(host)).is_loopback
    except (OSError, ValueError):
        return False


class Connection:
    """An open, authenticated connection to ``host:port`` (raises CommunicationError if refused)."""

    def __init__(self, host: str, port: int, key: bytes | None, tls: ssl.SSLContext | None,
                 timeout: float | None, compress: bool = False) -> None:
        self.host, self.port, self.timeout = host, port, timeout
        self._serializer = serializers.serializers["msgpack"]
        self._lock = threading.Lock()
        self._seq = 0
        self._conn: socketutil.SocketConnection | None = None
        self._lost: str | None = None
        self.bulk: BulkChannel | None = None
        self.root_metadata = self._open(key, tls, list(COMPRESSIONS) if compress else [])

    @property
    def location(self) -> str:
        """``host:port``, for messages."""
        return f"{self.host}:{self.port}"

    def _open(self, key: bytes | None, tls: ssl.SSLContext | None, compressions: list[str]) -> dict:
        try:
            sock = socket.create_connection((self.host, self.port),
                                            timeout=self.timeout or HANDSHAKE_TIMEOUT_S)
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            if tls is not None:
                sock = tls.wrap_socket(sock, server_hostname=self.host)
        except (OSError, ssl.SSLError) as exc:
            raise errors.CommunicationError(f"cannot connect to {self.location}: {exc}") from None
        self._conn = socketutil.SocketConnection(sock)
        try:
            metadata, agreed = self._handshake(key, compressions)
        except BaseException:
            self.close()
            raise
        handshake = agreed if isinstance(agreed, dict) else {}
        if isinstance(handshake.get("bulk"), dict):
            self.bulk = BulkChannel(sock, handshake["bulk"].get("compression"))
        sock.settimeout(self.timeout)
        return metadata

    @property
    def compression(self) -> str | None:
        """The compression of bulk arrays agreed with the server (None: none)."""
        return self.bulk.compression if self.bulk is not None else None

    def _handshake(self, key: bytes | None, compressions: list[str]) -> tuple[dict, Any]:
        """(metadata of the root object, the server's handshake answer)."""
        hello = security.hello(bulk={"compression": compressions})
        kind, answer = self._connect_message(hello)
        if kind == protocol.MSG_CONNECTFAIL:
            text = str(answer)
            challenge = security.challenge_in(text)
            if challenge is None:
                raise errors.CommunicationError(f"connection to {self.location} rejected: {text}")
            if key is None:
                raise errors.CommunicationError(
                    f"connection to {self.location} rejected: {text}. No key was found: pass "
                    f"auth_key or auth_key_file, set ${keys.KEY_ENV}, or copy the server's key "
                    f"file to {keys.default_key_file()} (mode 600)")
            kind, answer = self._connect_message(security.response(key, challenge, hello))
            if kind == protocol.MSG_CONNECTFAIL:
                raise errors.CommunicationError(f"connection to {self.location} rejected: {answer}")
            security.verify_server(key, challenge, hello, answer.get("handshake"))
        return answer.get("meta", {}), answer.get("handshake")

    def _connect_message(self, token: Any) -> tuple[int, Any]:
        data = self._serializer.dumps({"handshake": token, "object": ROOT_ID})
        self._conn.send(protocol.SendingMessage(protocol.MSG_CONNECT, 0, 0, self._serializer.serializer_id,
                                                data).data)
        reply = protocol.recv_stub(self._conn, [protocol.MSG_CONNECTOK, protocol.MSG_CONNECTFAIL])
        return reply.type, self._serializer.loads(reply.data)

    def call(self, object_id: str, method: str, args: tuple | list, kwargs: dict) -> Any:
        """Invoke ``method`` of remote object ``object_id``; raises what the server raised."""
        with self._lock:
            if self._conn is None:
                raise errors.ConnectionClosedError(
                    f"the connection to {self.location} is closed"
                    + (f" ({self._lost}); the server released this client's objects: connect "
                       "again with createProxy" if self._lost else ""))
            self._seq = (self._seq + 1) & 0xFFFF
            with codec.carried_by(self.bulk):
                try:
                    payload = self._serializer.dumpsCall(object_id, method, list(args), kwargs)
                except BaseException:
                    if self.bulk is not None:
                        self.bulk.discard()
                    raise
                request = protocol.SendingMessage(protocol.MSG_INVOKE, 0, self._seq,
                                                  self._serializer.serializer_id, payload)
                try:
                    self._send(request.data)
                    del request, payload
                    reply = protocol.recv_stub(self._conn, [protocol.MSG_RESULT])
                    if reply.seq != self._seq:
                        raise errors.ProtocolError(f"reply {reply.seq} to request {self._seq}")
                    if self.bulk is not None:
                        self.bulk.allow(_REPLY_ARRAYS_BUDGET)
                    result = self._serializer.loads(reply.data)
                except (OSError, errors.CommunicationError) as exc:  # the stream is out of step now
                    self._fail(exc)
                except BaseException:  # a reply that cannot be read leaves the stream out of step too
                    if self._conn is not None:
                        self._lost = "a reply could not be read"
                        self._close_socket()
                    raise
        if reply.flags & protocol.FLAGS_EXCEPTION:
            raise result
        return result

    def _send(self, message: bytes) -> None:
        """Send a request and its arrays; if the server refused it midway, raise its reason."""
        try:
            self._conn.sock.sendall(message)
            if self.bulk is not None:
                self.bulk.flush()
        except OSError as exc:  # the server may have answered why before closing the connection
            self._conn.sock.settimeout(1.0)
            try:
                refusal = protocol.recv_stub(self._conn, [protocol.MSG_RESULT])
                reason = self._serializer.loads(refusal.data)
            except Exception:  # noqa: BLE001 - no answer: report the broken send
                raise exc from None
            self._lost = f"the server refused a request: {reason}"
            self._close_socket()
            raise reason if isinstance(reason, BaseException) else exc from None

    def _fail(self, exc: BaseException) -> NoReturn:
        """Close the connection after a broken exchange and raise what the caller should see."""
        self._lost = f"{type(exc).__name__}: {exc}"
        self._close_socket()
        if isinstance(exc, (socket.timeout, errors.TimeoutError)):
            raise errors.TimeoutError(f"no reply from {self.location} within {self.timeout} s") from None
        if isinstance(exc, errors.CommunicationError):
            raise exc
        raise errors.ConnectionClosedError(f"connection to {self.location} lost: {exc}") from None

    def _close_socket(self) -> None:
        conn, self._conn = self._conn, None
        if conn is not None:
            conn.close()

    def close(self) -> None:
        """Close the connection (the server then releases what this client created)."""
        with self._lock:
            self._close_socket()
