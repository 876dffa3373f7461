"""Does one stalled event subscriber freeze a pytango device server?  (Found while hardening.)

A bare device pushes change events of N int32 values every 2 ms from a thread; a subscriber
process subscribes, then is stopped with SIGSTOP (a suspended laptop, a frozen GUI, a
saturated link look the same to the server).  Every second another device of the same server
is read.  For N >= 2048 (cppTango's LARGE_DATA_THRESHOLD) the supplier sends the event with
ZMQ zero-copy and waits until ZMQ releases the buffer; a subscriber that reads nothing never
lets it go, and pytango holds the GIL and the device monitor during the push, so the whole
server stops answering (Tango's 3 s client timeout).  Below the threshold events are copied
and dropped at the high-water mark: the server keeps answering.

Usage: ``python bench/stalled_subscriber.py [--seconds 6]``; prints, per N, how many reads
of the other device were answered.
"""
from __future__ import annotations

import argparse
import signal
import subprocess
import sys
import threading
import time

import numpy as np
import tango
from tango.server import Device, attribute, command
from tango.test_context import MultiDeviceTestContext


class Pusher(Device):
    """Pushes change events of ``size`` values (SetSize) as fast as a client could ask for."""

    def init_device(self) -> None:
        super().init_device()
        self.set_change_event("data", True, False)
        self.size = 0
        threading.Thread(target=self._push, daemon=True).start()

    def _push(self) -> None:
        with tango.EnsureOmniThread():
            while True:
                if self.size:
                    self.push_change_event("data", np.zeros(self.size, np.int32))
                time.sleep(0.002)

    @attribute(dtype=(np.int32,), max_dim_x=1 << 24)
    def data(self) -> np.ndarray:
        return np.zeros(self.size, np.int32)

    @command(dtype_in=int)
    def SetSize(self, size: int) -> None:
        self.size = size


class Other(Device):
    """Another device of the same server."""

    @attribute(dtype=float)
    def now(self) -> float:
        return time.time()


SUBSCRIBER = """
import sys, time, tango
proxy = tango.DeviceProxy(sys.argv[1])
proxy.subscribe_event("data", tango.EventType.CHANGE_EVENT, lambda event: None)
print("subscribed", flush=True)
time.sleep(600)
"""


def answered_reads(size: int, seconds: float) -> tuple[int, int]:
    info = [{"class": Pusher, "devices": [{"name": "bench/stall/pusher"}]},
            {"class": Other, "devices": [{"name": "bench/stall/other"}]}]
    with MultiDeviceTestContext(info, process=True, host="127.0.0.1", timeout=30) as ctx:
        pusher, other = ctx.get_device("bench/stall/pusher"), ctx.get_device("bench/stall/other")
        subscriber = subprocess.Popen([sys.executable, "-c", SUBSCRIBER,
                                       ctx.get_device_access("bench/stall/pusher")],
                                      stdout=subprocess.PIPE, text=True)
        try:
            subscriber.stdout.readline()
            pusher.SetSize(size)
            time.sleep(0.5)
            subscriber.send_signal(signal.SIGSTOP)
            answered = asked = 0
            deadline = time.monotonic() + seconds
            while time.monotonic() < deadline:
                asked += 1
                try:
                    other.now
                    answered += 1
                except tango.DevFailed:
                    pass
                time.sleep(1)
            return answered, asked
        finally:
            subscriber.kill()
            subscriber.wait()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seconds", type=float, default=6)
    args = parser.parse_args()
    for size in (1000, 2047, 2048, 100_000):
        answered, asked = answered_reads(size, args.seconds)
        print(f"events of {size:6d} int32 values, one stalled subscriber: "
              f"{answered}/{asked} reads of another device answered")


if __name__ == "__main__":
    main()
