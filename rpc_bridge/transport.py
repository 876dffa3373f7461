"""The bridge's transport server: how a connection gets in, and what it may send once in.

Pyro5's own servers deserialize (and decompress) a connection's handshake before it is
authenticated, run the TLS handshake on the accept thread and give every connection a
thread before it has proved anything. :class:`GuardedServer` replaces the transport of a
Pyro5 ``Daemon`` (the daemon still dispatches every call):

* one selector thread accepts without blocking and takes each new connection through TLS
  and the handshake of :mod:`rpc_bridge.security` in non-blocking steps, reading at most
  :attr:`Limits.handshake_bytes` per message and never decompressing anything;
* at most :attr:`Limits.pending` connections are unauthenticated at any time (a new one
  evicts the oldest), each for at most :attr:`Limits.auth_deadline_s`, so idle, slow or
  hostile peers never delay a client that holds the key;
* an authenticated connection gets its own thread (at most :attr:`Limits.connections`)
  where the daemon serves its requests, each header checked by :class:`WirePolicy` first.
"""
from __future__ import annotations

import contextlib
import logging
import selectors
import socket
import ssl
import threading
import time
from collections import OrderedDict
from dataclasses import dataclass
from typing import Any, Callable

from Pyro5 import config, errors, protocol, serializers, socketutil
from Pyro5.svr_threads import ClientConnectionJob

from . import codec
from .bulk import BulkChannel


log = logging.getLogger(__name__)
HEADER_SIZE = 40  # Pyro5 wire protocol 502
_MSGPACK = serializers.serializers["msgpack"].serializer_id
_SERIALIZER_NAMES = {s.serializer_id: name for name, s in serializers.serializers.items()}
_READ_CHUNK = 65536


@dataclass(frozen=True)
class Limits:
    """What one server grants before and after authentication."""

    handshake_bytes: int = 16 * 1024  #: largest handshake message (payload and annotations)
    auth_deadline_s: float = 5.0  #: time a new connection has to authenticate
    pending: int = 512  #: unauthenticated connections at a time
    connections: int = 64  #: authenticated connections (one thread each)


class PolicyViolation(errors.SecurityError):
    """A request the wire policy refuses; carries what is needed to answer it."""

    def __init__(self, reason: str, seq: int, serializer_id: int, oneway: bool) -> None:
        super().__init__(reason)
        self.seq, self.serializer_id, self.oneway = seq, serializer_id, oneway


@dataclass(frozen=True)
class WirePolicy:
    """Which messages a connection may send: serializers, no compression, no oneway calls."""

    serializers: frozenset[int]

    def serializer_names(self) -> str:
        """The accepted serializers, for error messages."""
        return ", ".join(sorted(_SERIALIZER_NAMES[i] for i in self.serializers))

    def check(self, header: bytes, types: tuple[int, ...], max_bytes: int) -> protocol.ReceivingMessage:
        """The parsed header, or :class:`PolicyViolation` saying what is not accepted."""
        try:
            message = protocol.ReceivingMessage(bytes(header))
        except (errors.ProtocolError, ValueError) as exc:  # not Pyro5, or over MAX_MESSAGE_SIZE
            raise PolicyViolation(f"message refused: {exc}", 0, _MSGPACK, True) from None
        oneway = bool(message.flags & protocol.FLAGS_ONEWAY)

        def refuse(reason: str) -> None:
            answer_with = message.serializer_id if message.serializer_id in serializers.serializers_by_id \
                else _MSGPACK
            raise PolicyViolation(reason, message.seq, answer_with, oneway)

        if message.type not in types:
            refuse(f"message type {message.type} is not expected here")
        if message.serializer_id not in self.serializers:
            name = _SERIALIZER_NAMES.get(message.serializer_id, f"number {message.serializer_id}")
            refuse(f"serializer {name} is not accepted by this server: use {self.serializer_names()}")
        if message.flags & protocol.FLAGS_COMPRESSED:
            refuse("compressed messages are not accepted by this server (COMPRESSION must be off)")
        if oneway:
            refuse("oneway calls are not accepted by this server: every call is answered")
        if message.data_size + message.annotations_size > max_bytes:
            refuse(f"message of {message.data_size + message.annotations_size} bytes is larger "
                   f"than the {max_bytes} bytes accepted here")
        return message


class GuardedConnection(socketutil.SocketConnection):
    """An authenticated connection: every request header passes the policy before its payload is read.

    Pyro5's ``protocol.recv_stub`` reads a message as ``recv(6)``, ``recv(34)``, then the
    payload; at a message boundary this reads the whole header at once and checks it.
    With ``bulk`` negotiated, large arrays follow the messages (:mod:`rpc_bridge.bulk`);
    those of one request may total at most ``Pyro5.config.MAX_MESSAGE_SIZE`` bytes.
    """

    def __init__(self, sock: socket.socket, policy: WirePolicy, scope: object,
                 bulk: dict | None = None) -> None:
        super().__init__(sock)
        self.policy, self.scope = policy, scope
        self.bulk = BulkChannel(sock, bulk.get("compression")) if bulk is not None else None
        self._rest_of_header = b""
        self._payload_next = False

    def send(self, data: bytes) -> None:
        """Send a message, then the arrays it queued."""
        super().send(data)
        if self.bulk is not None:
            self.bulk.flush()

    def recv(self, size: int) -> bytes:
        """Pyro5's reads, with the header checked as a whole first."""
        if self._rest_of_header:
            part, self._rest_of_header = self._rest_of_header[:size], self._rest_of_header[size:]
            self._payload_next = not self._rest_of_header
            return part
        if self._payload_next:
            self._payload_next = False
            return super().recv(size)
        header = super().recv(HEADER_SIZE)
        self.policy.check(header, (protocol.MSG_INVOKE, protocol.MSG_PING), config.MAX_MESSAGE_SIZE)
        if self.bulk is not None:
            self.bulk.allow(config.MAX_MESSAGE_SIZE)
            self.bulk.discard()
        self._rest_of_header = bytes(header[size:])
        return bytes(header[:size])


class _Notices:
    """Admission events logged at most once per period as counts, so a flood of hostile
    connections cannot flood the log (or block the loop on a slow log stream)."""

    PERIOD_S = 5.0

    def __init__(self) -> None:
        self._counts: dict[str, int] = {}
        self._examples: dict[str, str] = {}
        self._next = 0.0

    def note(self, kind: str, example: str) -> None:
        """Count one event of ``kind``; ``example`` describes it (the first one is logged)."""
        self._counts[kind] = self._counts.get(kind, 0) + 1
        self._examples.setdefault(kind, example)
        self.flush()

    def flush(self, force: bool = False) -> None:
        """Log the counts if a period has passed (or ``force``)."""
        now = time.monotonic()
        if not self._counts or (now < self._next and not force):
            return
        for kind, count in self._counts.items():
            log.warning("%s: %d connection(s) in the last %.0f s (e.g. %s)", kind, count,
                        self.PERIOD_S, self._examples[kind])
        self._counts.clear()
        self._examples.clear()
        self._next = now + self.PERIOD_S


class _Pending:
    """A connection on its way in: TLS, hello, challenge, answer."""

    __slots__ = ("sock", "address", "deadline", "tls_done", "buffer", "message", "hello", "challenge")

    def __init__(self, sock: socket.socket, address: Any, deadline: float, tls: bool) -> None:
        self.sock, self.address, self.deadline = sock, address, deadline
        self.tls_done = not tls
        self.buffer = bytearray()
        self.message: protocol.ReceivingMessage | None = None
        self.hello: Any = None
        self.challenge: str | None = None


@dataclass(frozen=True)
class Challenge:
    """Gate verdict: send ``text`` (which carries ``challenge``) and wait for the answer."""

    challenge: str
    text: str


@dataclass(frozen=True)
class Admit:
    """Gate verdict: the connection is in; answer with ``handshake``; its objects belong to
    ``scope``; ``bulk`` is the negotiated :mod:`rpc_bridge.bulk` setting (None: arrays inline)."""

    handshake: Any
    scope: object
    bulk: dict | None = None


#: Decides on a handshake: ``gate(hello, challenge sent so far or None, token) -> Challenge | Admit``
#: (``hello`` is the connection's first token); raises :class:`Pyro5.errors.SecurityError` to refuse.
Gate = Callable[[Any, str | None, Any], "Challenge | Admit"]


@dataclass
class Admission:
    """An authenticated connection: the object it asked for and the handshake answer to send."""

    object_id: str
    seq: int
    serializer_id: int
    handshake: Any


class _ConnectionJob(ClientConnectionJob):
    """Pyro5's per-connection request loop, after sending the handshake answer."""

    def __init__(self, conn: GuardedConnection, address: Any, daemon: Any, admission: Admission) -> None:  # noqa: D107
        self.csock, self.caddr, self.daemon, self.admission = conn, address, daemon, admission

    def __call__(self) -> None:
        """Serve the connection, its large arrays beside the messages if it negotiated that."""
        with codec.carried_by(self.csock.bulk):
            super().__call__()

    def handleConnection(self) -> bool:
        """Send CONNECTOK with the metadata of the object the client asked for (or refuse it)."""
        admission = self.admission
        serializer = serializers.serializers_by_id[admission.serializer_id]
        try:
            meta = self.daemon.metadata_for(admission.object_id, self.csock.scope)
        except errors.DaemonError as exc:
            send_refusal(self.csock.sock, str(exc), admission.seq, admission.serializer_id)
            self.csock.close()
            return False
        data = serializer.dumps({"handshake": admission.handshake, "meta": meta})
        socketutil.SocketConnection.send(self.csock, protocol.SendingMessage(
            protocol.MSG_CONNECTOK, 0, admission.seq, admission.serializer_id, data).data)
        return True


def send_refusal(sock: socket.socket, reason: str, seq: int, serializer_id: int) -> None:
    """Try to tell the peer why (CONNECTFAIL); never block on a peer that does not read."""
    serializer = serializers.serializers_by_id.get(serializer_id) or serializers.serializers_by_id[_MSGPACK]
    message = protocol.SendingMessage(protocol.MSG_CONNECTFAIL, 0, seq, serializer.serializer_id,
                                      serializer.dumps(reason)).data
    with contextlib.suppress(OSError, ValueError):
        blocking = sock.getblocking()
        sock.setblocking(False)
        sock.send(message)
        sock.setblocking(blocking)


class GuardedServer:
    """Pyro5 transport server with bounded, deadline-limited, non-blocking admission.

    ``gate`` decides on each handshake (see :data:`Gate`); ``tls`` wraps every connection
    (its handshake runs here, without blocking); ``daemon`` serves admitted connections.
    """

    def __init__(self, daemon: Any, listener: socket.socket, location: str, gate: Gate,
                 policy: WirePolicy, tls: ssl.SSLContext | None, limits: Limits) -> None:
        self.daemon, self.sock, self.locationStr = daemon, listener, location
        self._gate, self._policy, self._tls, self._limits = gate, policy, tls, limits
        self._loop_thread: threading.Thread | None = None
        self._selector = selectors.DefaultSelector()
        self._wake_r, self._wake_w = socket.socketpair()
        self._wake_r.setblocking(False)
        self._wake_w.setblocking(False)
        listener.setblocking(False)
        self._selector.register(listener, selectors.EVENT_READ, "listener")
        self._selector.register(self._wake_r, selectors.EVENT_READ, "wakeup")
        self._pending: OrderedDict[socket.socket, _Pending] = OrderedDict()
        self._slots = threading.BoundedSemaphore(limits.connections)
        self._live: set[GuardedConnection] = set()
        self._live_lock = threading.Lock()
        self._notices = _Notices()
        self._closing = threading.Event()
        self._loop_done = threading.Event()
        self._loop_done.set()
        self._closed = False

    def __repr__(self) -> str:
        return f"<GuardedServer on {self.locationStr}; {len(self._live)} connections>"

    # -- the interface Pyro5's Daemon uses --------------------------------------------
    @property
    def sockets(self) -> list[socket.socket]:
        """The listening socket (connections are served on their own threads)."""
        return [self.sock] if self.sock is not None else []

    def loop(self, loopCondition: Callable[[], bool] = lambda: True) -> None:  # noqa: N803 - Pyro5 name
        """Accept and admit connections until shut down."""
        self._loop_done.clear()
        self._loop_thread = threading.current_thread()
        try:
            while not self._closing.is_set() and loopCondition():
                for key, events in self._selector.select(self._select_timeout()):
                    self._on_event(key, events)
                self._expire()
                self._notices.flush()
        finally:
            self._notices.flush(force=True)
            self._close_pending()
            self._loop_done.set()

    def events(self, eventsockets: Any) -> None:
        """Not supported: this server runs its own loop."""
        raise TypeError("GuardedServer cannot be driven by an external event loop")

    def combine_loop(self, server: Any) -> None:
        """Not supported (as for Pyro5's thread-pool server)."""
        raise TypeError("GuardedServer cannot combine event loops")

    def wakeup(self) -> None:
        """Interrupt the selector."""
        with contextlib.suppress(OSError):
            self._wake_w.send(b"\0")

    def shutdown(self) -> None:
        """Stop accepting; the loop ends at once."""
        self._closing.set()
        self.wakeup()

    def close(self) -> None:
        """Stop everything: listener, pending and authenticated connections (idempotent)."""
        self.shutdown()
        if threading.current_thread() is not self._loop_thread:
            self._loop_done.wait(timeout=5)
        if self._closed:
            return
        self._closed = True
        self._close_pending()
        with contextlib.suppress(Exception):
            self._selector.close()
        for sock in (self.sock, self._wake_r, self._wake_w):
            with contextlib.suppress(OSError, AttributeError):
                sock.close()
        self.sock = None
        with self._live_lock:
            live = list(self._live)
        for conn in live:  # their threads see EOF and release the connection's objects
            with contextlib.suppress(OSError):
                conn.sock.shutdown(socket.SHUT_RDWR)

    def counts(self) -> dict:
        """Pending and authenticated connections now (monitoring, tests)."""
        with self._live_lock:
            return {"pending": len(self._pending), "connections": len(self._live)}

    # -- admission --------------------------------------------------------------------
    def _select_timeout(self) -> float:
        if not self._pending:
            return 1.0
        first = next(iter(self._pending.values()))
        return max(0.0, min(1.0, first.deadline - time.monotonic()))

    def _on_event(self, key: selectors.SelectorKey, events: int) -> None:
        if key.data == "listener":
            self._accept()
        elif key.data == "wakeup":
            with contextlib.suppress(OSError):
                self._wake_r.recv(4096)
        else:
            self._advance(key.data)

    def _accept(self) -> None:
        for _ in range(64):  # a burst at a time, then serve the others
            try:
                sock, address = self.sock.accept()
            except (BlockingIOError, InterruptedError):
                return
            except OSError as exc:
                log.warning("accept failed: %s", exc)
                return
            sock.setblocking(False)
            with contextlib.suppress(OSError):
                sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            if self._tls is not None:
                try:
                    sock = self._tls.wrap_socket(sock, server_side=True, do_handshake_on_connect=False)
                except (OSError, ssl.SSLError):
                    sock.close()
                    continue
            pending = _Pending(sock, address, time.monotonic() + self._limits.auth_deadline_s,
                               self._tls is not None)
            self._pending[sock] = pending
            self._selector.register(sock, selectors.EVENT_READ, pending)
            while len(self._pending) > self._limits.pending:
                oldest = next(iter(self._pending.values()))
                self._notices.note(f"dropped, more than {self._limits.pending} unauthenticated at once",
                                   str(oldest.address))
                self._drop(oldest)

    def _expire(self) -> None:
        now = time.monotonic()
        while self._pending:
            first = next(iter(self._pending.values()))
            if first.deadline > now:
                return
            self._notices.note(f"dropped, not authenticated within {self._limits.auth_deadline_s:g} s",
                               str(first.address))
            self._drop(first)

    def _drop(self, pending: _Pending) -> None:
        self._pending.pop(pending.sock, None)
        with contextlib.suppress(KeyError, ValueError):
            self._selector.unregister(pending.sock)
        with contextlib.suppress(OSError):
            pending.sock.close()

    def _close_pending(self) -> None:
        for pending in list(self._pending.values()):
            self._drop(pending)

    def _advance(self, pending: _Pending) -> None:
        """Take one non-blocking step; drop the connection on any error."""
        try:
            if not pending.tls_done and not self._tls_step(pending):
                return
            self._read_step(pending)
        except PolicyViolation as exc:
            self._notices.note("handshake refused", f"{pending.address}: {exc}")
            send_refusal(pending.sock, str(exc), exc.seq, exc.serializer_id)
            self._drop(pending)
        except Exception as exc:  # noqa: BLE001 - a hostile peer must never end the accept loop
            self._notices.note("handshake failed", f"{pending.address}: {type(exc).__name__}: {exc}")
            self._drop(pending)

    def _tls_step(self, pending: _Pending) -> bool:
        try:
            pending.sock.do_handshake()
        except ssl.SSLWantReadError:
            self._selector.modify(pending.sock, selectors.EVENT_READ, pending)
            return False
        except ssl.SSLWantWriteError:
            self._selector.modify(pending.sock, selectors.EVENT_WRITE, pending)
            return False
        pending.tls_done = True
        self._selector.modify(pending.sock, selectors.EVENT_READ, pending)
        return True

    def _read_step(self, pending: _Pending) -> None:
        while True:
            total = HEADER_SIZE if pending.message is None else \
                HEADER_SIZE + pending.message.data_size + pending.message.annotations_size
            if len(pending.buffer) < total:
                try:
                    chunk = pending.sock.recv(min(_READ_CHUNK, total - len(pending.buffer)))
                except (BlockingIOError, ssl.SSLWantReadError):
                    return
                if not chunk:  # the peer went away: nothing to report
                    self._drop(pending)
                    return
                pending.buffer += chunk
                continue
            if pending.message is None:
                pending.message = self._policy.check(pending.buffer[:HEADER_SIZE], (protocol.MSG_CONNECT,),
                                                     self._limits.handshake_bytes)
                continue
            message, payload = pending.message, bytes(pending.buffer[HEADER_SIZE:])
            pending.message, pending.buffer = None, bytearray()
            self._on_handshake(pending, message, payload)
            return

    def _on_handshake(self, pending: _Pending, message: protocol.ReceivingMessage, payload: bytes) -> None:
        message.add_payload(payload)
        data = serializers.serializers_by_id[message.serializer_id].loads(message.data)
        if not (isinstance(data, dict) and isinstance(data.get("object"), str) and len(data["object"]) < 256):
            raise PolicyViolation("malformed handshake", message.seq, message.serializer_id, False)
        token = data.get("handshake")
        if pending.hello is None:
            pending.hello = token
        try:
            verdict = self._gate(pending.hello, pending.challenge, token)
        except errors.SecurityError as exc:
            raise PolicyViolation(str(exc), message.seq, message.serializer_id, False) from None
        if isinstance(verdict, Challenge):
            pending.challenge = verdict.challenge
            send_refusal(pending.sock, verdict.text, message.seq, message.serializer_id)
            return
        self._admit(pending, Admission(data["object"], message.seq, message.serializer_id,
                                       verdict.handshake), verdict)

    def _admit(self, pending: _Pending, admission: Admission, verdict: Admit) -> None:
        self._pending.pop(pending.sock, None)
        self._selector.unregister(pending.sock)
        if not self._slots.acquire(blocking=False):
            self._notices.note(f"refused, {self._limits.connections} connections open (the limit)",
                               str(pending.address))
            send_refusal(pending.sock, f"server busy: {self._limits.connections} connections are "
                         "open, the most it serves; try again later", admission.seq,
                         admission.serializer_id)
            pending.sock.close()
            return
        sock = pending.sock
        sock.setblocking(True)
        socketutil.set_keepalive(sock)
        conn = GuardedConnection(sock, self._policy, verdict.scope, verdict.bulk)
        with self._live_lock:
            self._live.add(conn)
        job = _ConnectionJob(conn, pending.address, self.daemon, admission)
        threading.Thread(target=self._serve, args=(job,), name=f"rpc_bridge {pending.address}",
                         daemon=True).start()

    def _serve(self, job: _ConnectionJob) -> None:
        try:
            job()
        finally:
            with self._live_lock:
                self._live.discard(job.csock)
            self._slots.release()
