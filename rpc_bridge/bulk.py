"""Large arrays beside the Pyro5 messages of a connection, at the speed of the socket.

Inside a message an array costs a copy into the msgpack payload and another into the
message bytes, and arrives as a read-only view. A connection whose two ends negotiated it
(:func:`negotiate`) carries every array of at least :data:`~rpc_bridge.codec.OUT_OF_BAND_MIN_BYTES`
*after* the message that names it: the sender queues the array while the message is
serialized and then hands its buffer to the socket without copying; the receiver allocates
the array when the message names it and receives the bytes straight into it. Received
arrays are ordinary writable numpy arrays.

With compression negotiated (``blosc2``: shuffle + zstd, made for typed arrays), each
slice of :data:`SLICE_BYTES` travels as ``uint64 length`` + a blosc2 chunk and is
decompressed straight into its place in the array; nothing expands beyond the size the
message announced, which the receiver checked against its budget before allocating. An
array whose first :data:`SAMPLE_BYTES` do not compress (noise) travels in stored chunks,
so compression never costs much more than it could save.
"""
from __future__ import annotations

import socket
import struct
from typing import Any

import numpy as np
from Pyro5 import errors

try:
    import blosc2
except ImportError:  # compression is then simply not offered
    blosc2 = None

SLICE_BYTES = 64 * 1024 * 1024
SAMPLE_BYTES = 256 * 1024
#: Below this compression ratio on the sample, an array is sent in stored (uncompressed) chunks.
WORTHWHILE_RATIO = 2.0
_LENGTH = struct.Struct("<Q")
COMPRESSIONS = ("blosc2",) if blosc2 is not None else ()


def negotiate(offer: Any, available: tuple[str, ...] = COMPRESSIONS) -> dict | None:
    """The server's answer to a client's bulk offer (None: the client made none)."""
    if not isinstance(offer, dict):
        return None
    wanted = offer.get("compression")
    compression = next((c for c in available if isinstance(wanted, list) and c in wanted), None)
    return {"compression": compression}


def _compress(data: memoryview, typesize: int, clevel: int) -> bytes:
    """A blosc2 chunk of ``data`` (``clevel`` 0: stored, a plain copy)."""
    return blosc2.compress2(data, typesize=typesize, clevel=clevel, codec=blosc2.Codec.ZSTD,
                            filters=[blosc2.Filter.SHUFFLE])


class BulkChannel:
    """The out-of-band arrays of one connection (see the module docstring)."""

    def __init__(self, sock: socket.socket, compression: str | None = None) -> None:
        if compression not in (None, *COMPRESSIONS):
            raise ValueError(f"compression {compression!r} is not available here (have {COMPRESSIONS})")
        self.sock, self.compression = sock, compression
        self._queue: list[np.ndarray] = []
        self._budget = 0
        self._plain = not hasattr(sock, "getpeercert")  # recv flags are not allowed on TLS sockets

    # -- sending ----------------------------------------------------------------------
    def put_array(self, array: np.ndarray) -> int:
        """Queue ``array`` (C-contiguous) to follow the message being serialized; its index."""
        self._queue.append(array)
        return len(self._queue) - 1

    def flush(self) -> None:
        """Send the queued arrays (after their message)."""
        queue, self._queue = self._queue, []
        for array in queue:
            data = memoryview(array.reshape(-1)).cast("B")
            if self.compression is None:
                self.sock.sendall(data)
                continue
            clevel = 1 if self._compresses(data, array.itemsize) else 0
            for start in range(0, len(data), SLICE_BYTES):
                chunk = _compress(data[start:start + SLICE_BYTES], array.itemsize, clevel)
                self.sock.sendall(_LENGTH.pack(len(chunk)))
                self.sock.sendall(chunk)

    @staticmethod
    def _compresses(data: memoryview, typesize: int) -> bool:
        """True if a sample of ``data`` shrinks enough to be worth compressing it all."""
        sample = data[:SAMPLE_BYTES]
        return len(sample) >= WORTHWHILE_RATIO * len(_compress(sample, typesize, 1))

    def discard(self) -> None:
        """Forget queued arrays whose message will not be sent (a serialization failed)."""
        self._queue.clear()

    # -- receiving --------------------------------------------------------------------
    def allow(self, nbytes: int) -> None:
        """Set the budget for the arrays of the next message (bytes)."""
        self._budget = nbytes

    def take_array(self, dtype: np.dtype, shape: tuple[int, ...]) -> np.ndarray:
        """Receive the next array of the message straight into a new writable array."""
        nbytes = dtype.itemsize
        for n in shape:
            nbytes *= n
        if nbytes > self._budget:
            raise errors.SecurityError(f"an array of {nbytes} bytes ({dtype}, shape {shape}) exceeds "
                                       f"the {self._budget} bytes this message may still carry")
        self._budget -= nbytes
        array = np.empty(shape, dtype)
        view = memoryview(array.reshape(-1)).cast("B")
        if self.compression is None:
            self._receive_into(view)
            return array
        for start in range(0, nbytes, SLICE_BYTES):
            part = view[start:start + SLICE_BYTES]
            header = bytearray(_LENGTH.size)
            self._receive_into(memoryview(header))
            (length,) = _LENGTH.unpack(header)
            if length > len(part) + blosc2.MAX_OVERHEAD:
                raise errors.SecurityError(f"a compressed slice of {length} bytes for {len(part)} "
                                           "bytes of data: refused")
            chunk = bytearray(length)
            self._receive_into(memoryview(chunk))
            if blosc2.get_cbuffer_sizes(chunk)[0] != len(part):
                raise errors.ProtocolError("a compressed slice does not match its place in the array")
            blosc2.decompress2(chunk, dst=part)
        return array

    def _receive_into(self, view: memoryview) -> None:
        flags = socket.MSG_WAITALL if self._plain else 0
        received = 0
        while received < len(view):
            try:
                n = self.sock.recv_into(view[received:], len(view) - received, flags)
            except socket.timeout:
                raise errors.TimeoutError("receiving an array: timeout") from None
            except OSError as exc:
                raise errors.ConnectionClosedError(f"receiving an array: {exc}") from None
            if n == 0:
                raise errors.ConnectionClosedError("receiving an array: connection closed")
            received += n
