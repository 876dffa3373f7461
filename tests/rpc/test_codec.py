"""numpy over the wire: raw bytes + dtype + shape for msgpack, the official base64 .npy for serpent."""
from __future__ import annotations

import numpy as np
import pytest
from Pyro5 import serializers

from rpc_bridge import codec

codec.install()
ARRAYS = [np.arange(10, dtype=np.int64), np.linspace(0, 1, 12).reshape(3, 4), np.zeros((0, 5), np.int32),
          np.array([True, False]), np.arange(6, dtype=np.uint8)[::2], np.asfortranarray(np.eye(3)),
          np.array([1 + 2j], dtype=np.complex128)]


@pytest.mark.parametrize("name", ["msgpack", "serpent"])
@pytest.mark.parametrize("array", ARRAYS, ids=lambda a: f"{a.dtype}{a.shape}")
def test_round_trip_keeps_dtype_shape_and_values(name, array):
    serializer = serializers.serializers[name]
    back = serializer.loads(serializer.dumps({"a": array}))["a"]
    assert back.dtype == array.dtype and back.shape == array.shape
    np.testing.assert_array_equal(back, array)


def test_msgpack_form_is_raw_bytes_and_decodes_writable():
    array = np.arange(1000, dtype=np.int64)
    wire = codec.array_to_raw(array)
    assert bytes(wire["raw"]) == array.tobytes() and wire["dtype"] == "<i8" and wire["shape"] == [1000]
    data = serializers.serializers["msgpack"].dumps(array)
    assert len(data) < array.nbytes + 100  # no text encoding
    back = serializers.serializers["msgpack"].loads(data)
    assert back.flags.owndata and back.flags.writeable  # like the library's arrays
    np.nan_to_num(back.astype(float), copy=False)


def test_serpent_form_is_the_official_one():
    from TimeTaggerRPC import helper

    array = np.arange(7, dtype=np.int32)
    np.testing.assert_array_equal(helper.load_numpy_array("numpy.ndarray", codec.array_to_npy(array)), array)
    np.testing.assert_array_equal(codec.dict_to_array("numpy.ndarray", helper.save_numpy_array(array)), array)


def test_object_dtypes_and_inconsistent_payloads_are_refused():
    with pytest.raises(TypeError, match="only plain numeric and byte data travel"):
        codec.dict_to_array(codec.CLASS_TAG, {"raw": b"12345678", "dtype": "|O", "shape": [1]})
    with pytest.raises(ValueError, match="non-negative sizes"):
        codec.dict_to_array(codec.CLASS_TAG, {"raw": b"", "dtype": "<i8", "shape": [-1, 0]})
    with pytest.raises(ValueError, match="does not fit"):
        codec.dict_to_array(codec.CLASS_TAG, {"raw": b"12345678", "dtype": "<i8", "shape": [2]})
    with pytest.raises(TypeError):
        codec.array_to_raw(np.array([object()]))
