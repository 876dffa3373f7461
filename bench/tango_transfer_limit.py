"""The largest attribute value a Tango client can read in one call, measured.

omniORB refuses GIOP messages larger than ``giopMaxMsgSize``, which Tango sets to
``MAX_TRANSFER_SIZE`` on servers and clients.  A bare device (process mode, 127.0.0.1)
returns a uint8 spectrum of a size the client chooses; bisection finds the largest one
that reads, for a short and a long attribute name.  Prints those, the message overhead
and ``tango_ds.budget.MAX_TRANSFER_BYTES`` (the limit the device server enforces), which
must lie below the measured maximum.

Usage: ``python bench/tango_transfer_limit.py``  (allocates up to ~1 GiB; takes ~1 min)
"""
from __future__ import annotations

import numpy as np
import tango
from tango.server import Device, attribute, command
from tango.test_context import DeviceTestContext

from tango_ds.budget import MAX_TRANSFER_BYTES

LIMIT = int(tango.constants.MAX_TRANSFER_SIZE)
LONG_NAME = "an_attribute_name_of_sixty_three_characters_to_measure_overhead"


class Sized(Device):
    """Spectra of the size set with SetSize."""

    size = 0

    @command(dtype_in=int)
    def SetSize(self, size: int) -> None:
        Sized.size = size

    @attribute(dtype=(np.uint8,), max_dim_x=1 << 30)
    def data(self) -> np.ndarray:
        return np.zeros(Sized.size, np.uint8)

    @attribute(name=LONG_NAME, dtype=(np.uint8,), max_dim_x=1 << 30)
    def long_named(self) -> np.ndarray:
        return np.zeros(Sized.size, np.uint8)


def largest(proxy: tango.DeviceProxy, name: str) -> int:
    """The largest size (bytes) of ``name`` that reads, by bisection below MAX_TRANSFER_SIZE."""
    def reads(size: int) -> bool:
        proxy.SetSize(size)
        try:
            proxy.read_attribute(name)
            return True
        except tango.DevFailed:
            return False

    low, high = LIMIT - 65536, LIMIT
    assert reads(low) and not reads(high)
    while high - low > 1:
        middle = (low + high) // 2
        low, high = (middle, high) if reads(middle) else (low, middle)
    return low


def main() -> None:
    with DeviceTestContext(Sized, process=True, host="127.0.0.1", timeout=60) as proxy:
        short, long = largest(proxy, "data"), largest(proxy, LONG_NAME)
    print(f"MAX_TRANSFER_SIZE (giopMaxMsgSize as Tango sets it): {LIMIT} bytes")
    print(f"largest readable spectrum, 4-character name:  {short} bytes (overhead {LIMIT - short})")
    print(f"largest readable spectrum, {len(LONG_NAME)}-character name: {long} bytes "
          f"(overhead {LIMIT - long})")
    print(f"tango_ds.budget.MAX_TRANSFER_BYTES: {MAX_TRANSFER_BYTES} bytes "
          f"({'below' if MAX_TRANSFER_BYTES < min(short, long) else 'NOT below'} both)")


if __name__ == "__main__":
    main()
