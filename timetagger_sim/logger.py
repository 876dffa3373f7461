"""``setLogger`` and ``CustomLogger``: where the simulator reports its warnings and errors.

As in the library, one logger is active at a time: ``setLogger(callback)`` installs a callback
``callback(level, message)`` (``LOGGER_ERROR``, ``LOGGER_WARNING``, ``LOGGER_INFO``), a
``CustomLogger`` subclass installs itself with ``enable()``. The simulator reports overflows,
a lost connection, dropped data and clock locking this way; callbacks run on the stream thread.
Without a logger, messages go to Python's ``logging`` (logger ``timetagger_sim``).
"""
from __future__ import annotations

import logging
import threading
import time
from typing import Callable

from .constants import LOGGER_ERROR, LOGGER_INFO, LOGGER_WARNING

_python_logger = logging.getLogger("timetagger_sim")
_PYTHON_LEVELS = {LOGGER_ERROR: logging.ERROR, LOGGER_WARNING: logging.WARNING, LOGGER_INFO: logging.INFO}
_lock = threading.Lock()
_active: CustomLogger | None = None
_last_sent: dict[str, float] = {}


class CustomLogger:
    """Helper class for setLogger: override ``Log(level, msg)`` and call ``enable()``."""

    def __init__(self) -> None:
        pass

    def enable(self) -> None:
        """Make this the logger that receives the library's messages."""
        global _active
        with _lock:
            _active = self

    def disable(self) -> None:
        """Stop receiving messages (if this is the active logger)."""
        global _active
        with _lock:
            if _active is self:
                _active = None

    def Log(self, level: int, msg: str) -> None:
        """Receive one message; the default passes it to Python's ``logging``."""
        _python_logger.log(_PYTHON_LEVELS.get(level, logging.INFO), msg)


class _CallbackLogger(CustomLogger):
    def __init__(self, callback: Callable[[int, str], object]) -> None:
        self.callback = callback
        self.enable()

    def Log(self, level: int, msg: str) -> None:
        self.callback(level, msg)


def setLogger(callback) -> None:
    """Sets the notifier callback which is called for each log message (None: back to the default)."""
    if callback is not None and not callable(callback):
        raise TypeError(f"callback must be callable as callback(level, message), got {callback!r}")
    if setLogger.logger is not None:
        setLogger.logger.disable()
    setLogger.logger = _CallbackLogger(callback) if callback else None


setLogger.logger = None


def log(level: int, message: str, *, once_per_s: float = 0.0, key: str = "") -> None:
    """Report ``message`` to the active logger; with ``once_per_s``, at most that often per ``key``."""
    if once_per_s > 0:
        now = time.monotonic()
        with _lock:
            if now - _last_sent.get(key or message, -once_per_s) < once_per_s:
                return
            _last_sent[key or message] = now
    with _lock:
        target = _active
    try:
        (target or CustomLogger()).Log(level, message)
    except Exception:  # a user's logger must never stop the stream
        _python_logger.exception("The installed Time Tagger logger raised while handling: %s", message)
