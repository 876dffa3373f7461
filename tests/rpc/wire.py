"""Raw Pyro5 wire messages for the hardening tests: what a hostile or broken client can send."""
from __future__ import annotations

import socket
import struct
import zlib

from Pyro5 import protocol, serializers

from rpc_bridge import security

MSGPACK = serializers.serializers["msgpack"]
HEADER = "!4sHBBHHII16sHH"


def header(msgtype: int, size: int, serializer_id: int = MSGPACK.serializer_id, flags: int = 0,
           seq: int = 0, annotations: int = 0) -> bytes:
    """A Pyro5 protocol-502 header announcing ``size`` payload bytes (which need not follow)."""
    return struct.pack(HEADER, b"PYRO", protocol.PROTOCOL_VERSION, msgtype, serializer_id, flags, seq,
                       size, annotations, b"\0" * 16, 0, 0x4DC5)


def message(msgtype: int, payload: bytes, serializer_id: int = MSGPACK.serializer_id, flags: int = 0,
            seq: int = 0) -> bytes:
    """A whole message with ``payload`` as its data."""
    return header(msgtype, len(payload), serializer_id, flags, seq) + payload


def connect_message(token: object, object_id: str = "TimeTaggerRPC") -> bytes:
    """A MSG_CONNECT carrying ``token`` as the handshake (msgpack)."""
    return message(protocol.MSG_CONNECT, MSGPACK.dumps({"handshake": token, "object": object_id}))


def zlib_bomb(size: int) -> bytes:
    """A compressed MSG_CONNECT whose payload inflates to ``size`` bytes."""
    return message(protocol.MSG_CONNECT, zlib.compress(b"\0" * size, 9), flags=protocol.FLAGS_COMPRESSED)


def read_message(sock: socket.socket) -> tuple[int, int, object]:
    """(type, flags, deserialized data) of the next message."""
    head = _recv_exactly(sock, 40)
    _, _, msgtype, serializer_id, flags, _, size, annotations, _, _, _ = struct.unpack(HEADER, head)
    payload = _recv_exactly(sock, size + annotations)[annotations:]
    return msgtype, flags, serializers.serializers_by_id[serializer_id].loads(payload)


def _recv_exactly(sock: socket.socket, size: int) -> bytes:
    data = bytearray()
    while len(data) < size:
        chunk = sock.recv(size - len(data))
        if not chunk:
            raise ConnectionError("closed by the server")
        data += chunk
    return bytes(data)


def authenticate(sock: socket.socket, key: bytes) -> tuple[bytes, dict]:
    """Do the handshake by hand; returns (the answer message sent, the server's reply data)."""
    hello = security.hello()
    sock.sendall(connect_message(hello))
    msgtype, _, text = read_message(sock)
    assert msgtype == protocol.MSG_CONNECTFAIL, text
    challenge = security.challenge_in(text)
    answer = connect_message(security.response(key, challenge, hello))
    sock.sendall(answer)
    msgtype, _, reply = read_message(sock)
    assert msgtype == protocol.MSG_CONNECTOK, reply
    return answer, reply


def invoke(object_id: str, method: str, args: tuple = (), flags: int = 0, serializer: object = MSGPACK,
           seq: int = 1) -> bytes:
    """A MSG_INVOKE for ``object_id.method(*args)``."""
    return message(protocol.MSG_INVOKE, serializer.dumpsCall(object_id, method, list(args), {}),
                   serializer.serializer_id, flags, seq)
