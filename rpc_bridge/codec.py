"""Wire codec for numpy values over Pyro5, installed once per process by :func:`install`.

Why: Pyro5 knows nothing about numpy. TimeTaggerRPC (the official bridge) sends arrays
as ``.npy`` files in base64 inside serpent text, about 50 MB/s. We send them as raw
bytes next to their dtype and shape over msgpack. An array of at least
:data:`OUT_OF_BAND_MIN_BYTES` on a connection that carries bulk data
(:mod:`rpc_bridge.bulk`, active in the thread by :func:`carried_by`) leaves only its dtype,
shape and index in the message and travels after it, without a copy; smaller ones are
copied out of the message. Either way a received array is writable, like the library's.

Both formats are understood on receipt, so a serpent client of the official
``TimeTaggerRPC`` package talks to our server unchanged and our client talks to the
official server. Nothing is ever pickled: ``np.load`` runs with ``allow_pickle=False``
and dtypes holding Python objects are refused.
"""
from __future__ import annotations

import base64
import contextlib
import io
import threading
from typing import Any, Iterator, Protocol

import numpy as np
import serpent
from Pyro5 import serializers

CLASS_TAG = "numpy.ndarray"
SNAPSHOT_TAG = "rpc_bridge.Snapshot"
#: Arrays at least this large travel out of band on connections that carry bulk data.
OUT_OF_BAND_MIN_BYTES = 64 * 1024
MAX_DIMENSIONS = 32
_installed = False
_lock = threading.Lock()
_current = threading.local()


class ArrayStream(Protocol):
    """What carries arrays beside the messages of a connection (:class:`rpc_bridge.bulk.BulkChannel`)."""

    def put_array(self, array: np.ndarray) -> int:
        """Queue an array to follow the message; its index."""

    def take_array(self, dtype: np.dtype, shape: tuple[int, ...]) -> np.ndarray:
        """The next array following the message, received into a new array."""


@contextlib.contextmanager
def carried_by(stream: ArrayStream | None) -> Iterator[None]:
    """Within the block, this thread's (de)serialization moves large arrays through ``stream``."""
    previous = getattr(_current, "stream", None)
    _current.stream = stream
    try:
        yield
    finally:
        _current.stream = previous


def array_to_raw(array: np.ndarray) -> dict:
    """msgpack form: dtype string, shape and either the bytes (a copy-free view) or an out-of-band index."""
    array = np.ascontiguousarray(array)
    if array.dtype.hasobject:
        raise TypeError(f"cannot send a numpy array of dtype {array.dtype}: it holds Python objects")
    described = {"__class__": CLASS_TAG, "dtype": array.dtype.str, "shape": list(array.shape)}
    stream = getattr(_current, "stream", None)
    if stream is not None and array.nbytes >= OUT_OF_BAND_MIN_BYTES:
        return dict(described, out_of_band=stream.put_array(array))
    return dict(described, raw=memoryview(array.reshape(-1).view(np.uint8)))


def _dtype(text: Any) -> np.dtype:
    dtype = np.dtype(str(text))
    if dtype.hasobject or dtype.kind not in "biufcSUVmM":
        raise TypeError(f"refusing numpy dtype {dtype}: only plain numeric and byte data travel")
    return dtype


def _shape(value: Any) -> tuple[int, ...]:
    shape = tuple(int(n) for n in value)
    if len(shape) > MAX_DIMENSIONS or any(n < 0 for n in shape):
        raise ValueError(f"refusing array shape {shape[:8]}: at most {MAX_DIMENSIONS} non-negative sizes")
    return shape


def array_to_npy(array: np.ndarray) -> dict:
    """serpent form, identical to TimeTaggerRPC's: an .npy file in base64 text."""
    buffer = io.BytesIO()
    np.save(buffer, np.asarray(array), allow_pickle=False)
    return {"__class__": CLASS_TAG, "data": base64.b64encode(buffer.getvalue()).decode("ascii")}


def dict_to_array(classname: str, data: dict) -> np.ndarray:
    """Rebuild a writable array from any wire form; refuses object dtypes and size mismatches."""
    if "out_of_band" in data:
        stream = getattr(_current, "stream", None)
        if stream is None:
            raise ValueError("an out-of-band array on a connection that carries none")
        return stream.take_array(_dtype(data["dtype"]), _shape(data["shape"]))
    if "raw" in data:
        dtype, shape = _dtype(data["dtype"]), _shape(data["shape"])
        array = np.frombuffer(data["raw"], dtype=dtype)
        size = 1
        for n in shape:
            size *= n
        if array.size != size:
            raise ValueError(f"numpy payload of {array.size} elements does not fit shape {shape}")
        return array.reshape(shape).copy()  # small (the large ones come out of band): own the memory
    return np.load(io.BytesIO(base64.b64decode(data["data"])), allow_pickle=False)


class Snapshot:
    """A library data object sent by value: its class (wire name) and what each getter returned."""

    __slots__ = ("wire", "values")

    def __init__(self, wire: str, values: dict) -> None:
        self.wire, self.values = wire, values


def _snapshot_to_dict(snapshot: Snapshot) -> dict:
    return {"__class__": SNAPSHOT_TAG, "wire": snapshot.wire, "values": snapshot.values}


def _dict_to_snapshot(classname: str, data: dict) -> Snapshot:
    if not isinstance(data.get("values"), dict):
        raise ValueError("malformed snapshot")
    return Snapshot(str(data.get("wire")), data["values"])


def _serpent_npy(array: np.ndarray, serializer: Any, stream: Any, level: int) -> None:
    serializer.ser_builtins_dict(array_to_npy(array), stream, level)


def install() -> None:
    """Register the codec with Pyro5 (idempotent, process wide).

    serpent gets the official base64 ``.npy`` form; msgpack (and the other binary
    serializers) the raw form, and :class:`Snapshot` data objects. numpy scalars never
    reach the serializer: the bridge turns them into Python numbers first.
    """
    global _installed
    with _lock:
        if _installed:
            return
        serializers.SerializerBase.register_class_to_dict(np.ndarray, array_to_raw, serpent_too=False)
        serpent.register_class(np.ndarray, _serpent_npy)
        serializers.SerializerBase.register_dict_to_class(CLASS_TAG, dict_to_array)
        serializers.SerializerBase.register_class_to_dict(Snapshot, _snapshot_to_dict, serpent_too=False)
        serializers.SerializerBase.register_dict_to_class(SNAPSHOT_TAG, _dict_to_snapshot)
        _installed = True
