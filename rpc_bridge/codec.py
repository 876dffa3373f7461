"""Wire codec for numpy values over Pyro5, installed once per process by :func:`install`.

Why: Pyro5 knows nothing about numpy. TimeTaggerRPC (the official bridge) sends arrays
as ``.npy`` files in base64 inside serpent text, about 50 MB/s. We send them as raw
bytes next to their dtype and shape over msgpack (binary-safe, accepts a memoryview, so
the array is copied once into the message) and rebuild them with ``np.frombuffer``
without another copy. Arrays received this way are read-only views of the message;
call ``.copy()`` before modifying one in place.

Both formats are understood on receipt, so a serpent client of the official
``TimeTaggerRPC`` package talks to our server unchanged and our client talks to the
official server. Nothing is ever pickled: ``np.load`` runs with ``allow_pickle=False``
and dtypes holding Python objects are refused.
"""
from __future__ import annotations

import base64
import io
import threading
from typing import Any

import numpy as np
import serpent
from Pyro5 import serializers

CLASS_TAG = "numpy.ndarray"
_installed = False
_lock = threading.Lock()


def array_to_raw(array: np.ndarray) -> dict:
    """msgpack form: dtype string, shape and the bytes of a C-contiguous copy-free view."""
    array = np.ascontiguousarray(array)
    if array.dtype.hasobject:
        raise TypeError(f"cannot send a numpy array of dtype {array.dtype}: it holds Python objects")
    return {"__class__": CLASS_TAG, "dtype": array.dtype.str, "shape": list(array.shape),
            "raw": memoryview(array.reshape(-1).view(np.uint8))}


def array_to_npy(array: np.ndarray) -> dict:
    """serpent form, identical to TimeTaggerRPC's: an .npy file in base64 text."""
    buffer = io.BytesIO()
    np.save(buffer, np.asarray(array), allow_pickle=False)
    return {"__class__": CLASS_TAG, "data": base64.b64encode(buffer.getvalue()).decode("ascii")}


def dict_to_array(classname: str, data: dict) -> np.ndarray:
    """Rebuild an array from either wire form; refuses object dtypes and size mismatches."""
    if "raw" in data:
        dtype = np.dtype(data["dtype"])
        if dtype.hasobject:
            raise TypeError(f"refusing numpy dtype {dtype}: it would hold Python objects")
        shape = tuple(int(n) for n in data["shape"])
        array = np.frombuffer(data["raw"], dtype=dtype)
        if array.size != int(np.prod(shape, dtype=np.int64)):
            raise ValueError(f"numpy payload of {array.size} elements does not fit shape {shape}")
        return array.reshape(shape)
    return np.load(io.BytesIO(base64.b64decode(data["data"])), allow_pickle=False)


def _serpent_npy(array: np.ndarray, serializer: Any, stream: Any, level: int) -> None:
    serializer.ser_builtins_dict(array_to_npy(array), stream, level)


def install() -> None:
    """Register the codec with Pyro5 (idempotent, process wide).

    serpent gets the official base64 ``.npy`` form; msgpack (and the other binary
    serializers) the raw form. numpy scalars never reach the serializer: the bridge
    turns them into Python numbers first.
    """
    global _installed
    with _lock:
        if _installed:
            return
        serializers.SerializerBase.register_class_to_dict(np.ndarray, array_to_raw, serpent_too=False)
        serpent.register_class(np.ndarray, _serpent_npy)
        serializers.SerializerBase.register_dict_to_class(CLASS_TAG, dict_to_array)
        _installed = True
