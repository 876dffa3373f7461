"""Large arrays beside the messages: zero-copy send, received writable, compressed or not, bounded."""
from __future__ import annotations

import socket
import threading

import numpy as np
import pytest
from Pyro5 import errors, serializers

from rpc_bridge import bulk, codec

codec.install()
MSGPACK = serializers.serializers["msgpack"]
ARRAYS = {
    "sparse histogram": np.bincount(np.random.default_rng(1).integers(0, 500, 10_000), minlength=10**6),
    "counter image": np.random.default_rng(2).poisson(800, (4, 100_000)).astype(np.int32),
    "dense random": np.random.default_rng(3).random(300_000),
}


def exchange(value, compression=None, budget=2**30):
    """Serialize ``value`` on one end of a socket pair and read it on the other, as a connection does."""
    left, right = socket.socketpair()
    sender, receiver = bulk.BulkChannel(left, compression), bulk.BulkChannel(right, compression)
    with codec.carried_by(sender):
        message = MSGPACK.dumps(value)

    def send() -> None:
        try:
            left.sendall(len(message).to_bytes(8, "little") + message)
            sender.flush()
        except OSError:  # the receiver gave up (a refused array)
            pass

    thread = threading.Thread(target=send)
    thread.start()
    try:
        size = int.from_bytes(right.recv(8, socket.MSG_WAITALL), "little")
        data = right.recv(size, socket.MSG_WAITALL)
        receiver.allow(budget)
        with codec.carried_by(receiver):
            return len(message), MSGPACK.loads(data)
    finally:
        right.close()
        thread.join(timeout=30)
        left.close()


@pytest.mark.parametrize("compression", [None, "blosc2"])
@pytest.mark.parametrize("name", list(ARRAYS))
def test_large_arrays_leave_the_message_and_arrive_equal_and_writable(name, compression):
    array = ARRAYS[name]
    size, back = exchange({"data": array, "small": np.arange(3)}, compression)
    assert size < 200  # only dtype, shape and an index travel in the message
    np.testing.assert_array_equal(back["data"], array)
    assert back["data"].dtype == array.dtype and back["data"].flags.writeable and back["data"].flags.owndata
    np.testing.assert_array_equal(back["small"], [0, 1, 2])


def test_the_receiver_checks_the_announced_size_against_its_budget_before_allocating():
    with pytest.raises(errors.SecurityError, match="exceeds the 1000 bytes"):
        exchange({"data": np.zeros(10**6)}, budget=1000)


def test_a_lying_compressed_slice_is_refused():
    left, right = socket.socketpair()
    receiver = bulk.BulkChannel(right, "blosc2")
    receiver.allow(2**20)
    left.sendall((10**9).to_bytes(8, "little"))  # announces a gigabyte for 800 kB of data
    with pytest.raises(errors.SecurityError, match="refused"):
        receiver.take_array(np.dtype("<i8"), (100_000,))
    left.close()
    right.close()


def test_out_of_band_arrays_without_a_channel_are_refused():
    with pytest.raises(ValueError, match="carries none"):
        codec.dict_to_array(codec.CLASS_TAG, {"dtype": "<i8", "shape": [10], "out_of_band": 0})


def test_negotiation_picks_what_both_ends_have():
    assert bulk.negotiate({"compression": ["blosc2"]}) == {"compression": "blosc2"}
    assert bulk.negotiate({"compression": []}) == {"compression": None}
    assert bulk.negotiate({"compression": ["zip"]}) == {"compression": None}
    assert bulk.negotiate("hello") is None
