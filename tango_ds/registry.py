"""Devices of this server process, found by name.

Measurements find their tagger and the virtual channels they use here (all live in
the same process, so they share the tagger object).  Each entry exposes a
``generation`` that increases whenever the device rebuilds its library object, so
dependents know when to rebuild theirs.
"""

from __future__ import annotations

import threading
from typing import Any

_lock = threading.Lock()
_devices: dict[str, Any] = {}


def register(name: str, device: Any) -> None:
    """Make ``device`` findable under ``name`` (case-insensitive, like Tango names)."""
    with _lock:
        _devices[name.lower()] = device


def unregister(name: str, device: Any) -> None:
    """Forget ``name`` if it still refers to ``device``."""
    with _lock:
        if _devices.get(name.lower()) is device:
            del _devices[name.lower()]


def find(name: str) -> Any | None:
    """The device called ``name``, or None."""
    with _lock:
        return _devices.get(name.lower())


def of_kind(kind: str) -> dict[str, Any]:
    """All devices whose ``registry_kind`` attribute equals ``kind``."""
    with _lock:
        return {n: d for n, d in _devices.items() if getattr(d, "registry_kind", "") == kind}
