"""Data of a stopped measurement, read from the library once.

Reading a large spectrum from the library costs time; while a measurement is stopped
its data only changes through its device (Start, Clear, parameter writes), and each
of those empties the cache.  A snapshot is kept only if the measurement was already
stopped *before* the read began: a ``StartFor`` that ends during a read would
otherwise leave a partial snapshot in the cache for good.
"""

from __future__ import annotations

from typing import Any, Callable


class StoppedData:
    """Values by attribute name, valid until :meth:`clear`."""

    def __init__(self) -> None:
        self._values: dict[str, Any] = {}

    def clear(self) -> None:
        """Forget every snapshot (the data may change now)."""
        self._values.clear()

    def read(self, name: str, running: Callable[[], bool], fetch: Callable[[], Any]) -> Any:
        """``fetch()`` while running; once stopped, the first complete snapshot."""
        if running():
            return fetch()
        if name not in self._values:
            self._values[name] = fetch()  # stopped before the read began: the final data
        return self._values[name]
