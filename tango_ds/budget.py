"""Sizes a client chooses, checked before the library allocates anything.

A measurement's data attributes have sizes given by its parameters (the ``dims`` of
each :class:`~tango_ds.specs.Data`: bins x histograms x channels).  Before a library
object is built, :func:`check_transfer` refuses an attribute no Tango client could
read in one call, and :class:`Ledger` refuses a measurement whose data would take the
tagger's measurements past the memory budget (``MemoryBudgetMB`` of the TimeTagger
device).  Both messages name the product and the limit.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from typing import Any, Callable

import numpy as np
from tango.constants import MAX_TRANSFER_SIZE

from .params import ParamError
from .specs import ClassSpec, Data

#: Largest attribute value (bytes) a Tango client can read in one call.  omniORB refuses
#: any GIOP message larger than giopMaxMsgSize, which Tango sets to MAX_TRANSFER_SIZE
#: (256 MiB) on servers and clients; measured here: a 256 MiB - 92 bytes uint8 spectrum
#: reads, 64 bytes more fail (the header holds the attribute name, quality, time, ...).
#: The margin leaves room for long names and for the read of several attributes at once.
MAX_TRANSFER_BYTES = int(MAX_TRANSFER_SIZE) - (64 << 10)


class BudgetError(ParamError):
    """A size beyond what this server allows (memory budget or transfer limit)."""


@dataclass(frozen=True)
class Array:
    """One data attribute's size as the parameters give it."""

    data: Data
    dims: tuple[tuple[str, int], ...]

    @property
    def values(self) -> int:
        """Number of values."""
        count = 1
        for _, size in self.dims:
            count *= size
        return count

    @property
    def nbytes(self) -> int:
        """Size in bytes."""
        return self.values * np.dtype(self.data.dtype).itemsize

    def product(self) -> str:
        """'data: n_histograms x n_bins = 16777216 x 1000 = ... values x 4 bytes = 62.5 GiB'."""
        names = " x ".join(name for name, _ in self.dims)
        sizes = " x ".join(str(size) for _, size in self.dims)
        equation = f"{names} = {sizes}" + (f" = {self.values}" if len(self.dims) > 1 else "")
        itemsize = np.dtype(self.data.dtype).itemsize
        return (f"{self.data.name}: {equation} values x {itemsize} bytes = "
                f"{human_bytes(self.nbytes)}")


def human_bytes(count: float) -> str:
    """'62.5 GiB' (binary units, one decimal)."""
    for unit in ("bytes", "KiB", "MiB", "GiB", "TiB"):
        if count < 1024 or unit == "TiB":
            return f"{count:.0f} {unit}" if unit == "bytes" else f"{count:.1f} {unit}"
        count /= 1024
    raise AssertionError("unreachable")


def arrays(spec: ClassSpec, args: dict[str, Any]) -> list[Array]:
    """The data attributes of ``spec`` whose size the constructor arguments ``args`` fix."""
    def size(name: str) -> int:
        value = args[name]
        return len(value) if isinstance(value, (list, tuple)) else int(value)

    return [Array(data, tuple((name, size(name)) for name in data.dims))
            for data in spec.data if data.dims]


def check_transfer(spec: ClassSpec, found: list[Array]) -> None:
    """BudgetError when one attribute would be too large to read through Tango."""
    for array in found:
        if array.nbytes > MAX_TRANSFER_BYTES:
            raise BudgetError(
                f"{spec.name} {array.product()}, more than a Tango client can read in one call "
                f"({human_bytes(MAX_TRANSFER_BYTES)}: omniORB's giopMaxMsgSize as Tango sets "
                "it): use fewer bins, histograms or channels")


def check_reading(name: str, value: np.ndarray) -> None:
    """BudgetError when data the library produced (e.g. StartStop's rows) is too large to send."""
    if value.nbytes > MAX_TRANSFER_BYTES:
        raise BudgetError(f"{name} is {'x'.join(map(str, value.shape))} values = "
                          f"{human_bytes(value.nbytes)}, more than a Tango client can read in one "
                          f"call ({human_bytes(MAX_TRANSFER_BYTES)}): Clear the measurement or "
                          "use a coarser bin width")


class Ledger:
    """Memory the measurements of each tagger hold, checked against its budget."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._held: dict[str, tuple[str, int]] = {}

    def claim(self, device: str, tagger: str, spec: ClassSpec, found: list[Array],
              budget_bytes: int, budget_name: str) -> Callable[[], None]:
        """Hold the memory of ``found`` for ``device``; returns the undo (restores the old claim).

        The device's previous claim is replaced, not added to: its old object is released
        as soon as the new one is installed.
        """
        need = sum(array.nbytes for array in found)
        with self._lock:
            previous = self._held.get(device)
            others = sum(nbytes for name, (owner, nbytes) in self._held.items()
                         if owner == tagger and name != device)
            if others + need > budget_bytes:
                largest = max(found, key=lambda array: array.nbytes)
                total = (f" ({human_bytes(need)} for all its data)" if len(found) > 1 else "")
                in_use = f", {human_bytes(others)} of it in use by other measurements" \
                    if others else ""
                raise BudgetError(
                    f"{spec.name} needs {largest.product()}{total}; the memory budget of "
                    f"{tagger} is {budget_name} ({human_bytes(budget_bytes)}){in_use}: use fewer "
                    "bins, histograms or channels, or raise the budget")
            self._held[device] = (tagger, need)

        def undo() -> None:
            with self._lock:
                if previous is None:
                    self._held.pop(device, None)
                else:
                    self._held[device] = previous

        return undo

    def release(self, device: str) -> None:
        """Forget the memory of ``device`` (deleted, or its object released)."""
        with self._lock:
            self._held.pop(device, None)

    def held(self, tagger: str) -> int:
        """Bytes the measurements on ``tagger`` hold."""
        with self._lock:
            return sum(nbytes for owner, nbytes in self._held.values() if owner == tagger)


#: The one ledger of this server process.
LEDGER = Ledger()
