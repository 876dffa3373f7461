"""``IteratorBase``: what every measurement and virtual channel shares (start/stop/capture time)."""
from __future__ import annotations

import json
import threading
import numpy as np

from . import validation
from .engine.engine import Role
from .taggers.base import TimeTaggerBase


class IteratorBase:
    """Base class of all measurements and virtual channels, attached to one tagger.

    A measurement starts running when created, as in the library. Data accumulates only from
    blocks of the stream that arrive while it runs; ``startFor`` stops it after exactly the
    requested capture duration (the block is cut at that instant).
    """

    #: Where the iterator sits in the signal chain (the engine serves each role in turn).
    _role = Role.MEASUREMENT
    #: False for classes that must be started explicitly.
    _starts_on_creation = True

    def __init__(self, tagger: TimeTaggerBase) -> None:
        if not isinstance(tagger, TimeTaggerBase):
            raise TypeError(f"tagger must be a TimeTagger object, got {type(tagger).__name__}")
        self._tagger = tagger
        self._engine = tagger._live_engine()
        self._running = False
        self._capture_ps = 0
        self._stop_at: int | None = None
        self._finished = threading.Event()
        self._finished.set()
        self._attached = True
        self._failure: Exception | None = None

    def _register(self) -> None:
        """Attach to the stream; subclasses call this at the end of ``__init__``."""
        self._engine.register(self)
        if self._starts_on_creation and self._role is Role.MEASUREMENT:
            self.start()

    # -- hooks for subclasses -----------------------------------------------------------------
    def _channels(self) -> set[int]:
        """Channel numbers this iterator reads (the engine produces only those)."""
        return set()

    def _process(self, ts: np.ndarray, ch: np.ndarray, t0: int, t1: int) -> None:
        """Consume a time-ordered block of tags covering stream time [t0, t1)."""

    def _transform(self, ts: np.ndarray, ch: np.ndarray, t0: int,
                   t1: int) -> tuple[np.ndarray, np.ndarray]:
        """Virtual channels: the tags this iterator adds to the block (time-ordered)."""
        return np.empty(0, np.int64), np.empty(0, np.int32)

    def _clear_data(self) -> None:
        """Reset accumulated data."""

    def _parameters(self) -> dict:
        """Constructor parameters, for ``getConfiguration``."""
        return {}

    # -- engine side --------------------------------------------------------------------------
    def _wants_stream(self) -> bool:
        return self._running

    def _feed(self, ts: np.ndarray, ch: np.ndarray, t0: int, t1: int) -> None:
        end = t1
        if self._stop_at is not None and self._stop_at < t1:
            end = self._stop_at
            cut = int(np.searchsorted(ts, end, side="left"))
            ts, ch = ts[:cut], ch[:cut]
        if end > t0:
            self._process(ts, ch, t0, end)
            self._capture_ps += end - t0
        if self._stop_at is not None and end >= self._stop_at:
            self._running = False
            self._stop_at = None
            self._finished.set()

    def _fail(self, exc: Exception) -> None:
        """Stop this iterator after an internal error; the stream goes on for the others."""
        self._failure = exc
        self._detach()

    def _detach(self) -> None:
        self._running = False
        self._attached = False
        self._finished.set()

    def _check_attached(self) -> None:
        self._tagger._check_alive()
        if self._failure is not None:
            raise RuntimeError(f"This {type(self).__name__} stopped after an internal error: "
                               f"{type(self._failure).__name__}: {self._failure}")
        if not self._attached:
            raise RuntimeError(f"This {type(self).__name__} was detached from its Time Tagger.")

    # -- public API ---------------------------------------------------------------------------
    def start(self) -> None:
        """Start (or continue) accumulating data."""
        with self._engine.lock:
            self._check_attached()
            self._stop_at = None
            self._running = True
            self._finished.clear()
            self._engine.changed.notify_all()

    def startFor(self, capture_duration: int, clear: bool = True) -> None:
        """Accumulate for ``capture_duration`` ps of stream time, then stop."""
        duration = validation.positive_int("capture_duration", capture_duration, unit="ps")
        with self._engine.lock:
            self._check_attached()
            if clear:
                self.clear()
            self._running = True
            self._stop_at = self._engine.now + duration
            self._finished.clear()
            self._engine.changed.notify_all()

    def stop(self) -> None:
        """Stop accumulating; data are kept."""
        with self._engine.lock:
            self._running = False
            self._stop_at = None
            self._finished.set()

    def abort(self) -> None:
        """Stop immediately, as ``stop`` does here (the simulator has no pending hardware data)."""
        self.stop()

    def clear(self) -> None:
        """Discard accumulated data and reset the capture duration."""
        with self._engine.lock:
            self._capture_ps = 0
            self._clear_data()

    def isRunning(self) -> bool:
        """True while accumulating."""
        with self._engine.lock:
            return self._running

    def getCaptureDuration(self) -> int:
        """Stream time (ps) accumulated since the last clear."""
        with self._engine.lock:
            return int(self._capture_ps)

    def waitUntilFinished(self, timeout: float = -1) -> bool:
        """Wait until a ``startFor`` acquisition ends; ``timeout`` in ms (-1: forever).

        Returns False if the timeout expired first.
        """
        seconds = -1.0 if timeout is None or timeout < 0 else timeout / 1000.0
        done = self._engine.wait_for(lambda: not self._running, seconds)
        failure = self._engine.failure
        if failure is not None:
            raise RuntimeError(f"The simulated Time Tagger stopped streaming: {failure}") from failure
        if self._failure is not None:
            self._check_attached()
        return done

    def getConfiguration(self) -> str:
        """JSON description of the iterator and its parameters."""
        return json.dumps({"name": type(self).__name__, "params": self._parameters()})

    def __enter__(self):
        return self

    def __exit__(self, *exc) -> None:
        self.stop()
        self._engine.unregister(self)
        self._attached = False

    def __del__(self) -> None:
        try:
            if self._attached:
                self._engine.unregister(self)
        except Exception:
            pass
