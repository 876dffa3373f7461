"""``IteratorBase``: what every measurement, virtual channel and simulated source shares.

Start/stop/capture time for all of them; for measurements the feeding of blocks (tag runs and
overflow gaps), for virtual channels the transformation of blocks.
"""
from __future__ import annotations

import json
import threading

import numpy as np

from . import logger, validation
from .constants import LOGGER_ERROR
from .engine.blocks import EMPTY_CH, EMPTY_TS, Block, Gap
from .engine.engine import Role, merge_streams
from .taggers.base import TimeTaggerBase


class IteratorBase:
    """Base class of all measurements and virtual channels, attached to one tagger.

    An iterator starts running when created (unless the tagger's ``xtra_setAutoStart(False)`` or
    a ``SynchronizedMeasurements`` proxy says otherwise), as in the library. Data accumulates only
    from blocks of the stream that arrive while it runs; ``startFor`` stops it after exactly the
    requested capture duration (the block is cut at that instant). A stopped virtual channel
    emits nothing.
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
        if self._starts_on_creation and self._tagger._auto_start:
            self.start()

    # -- hooks for subclasses -----------------------------------------------------------------
    def _channels(self) -> set[int]:
        """Channel numbers this iterator reads (the engine produces only those)."""
        return set()

    def _process(self, ts: np.ndarray, ch: np.ndarray, t0: int, t1: int) -> None:
        """Consume a time-ordered run of tags covering stream time [t0, t1)."""

    def _gap(self, gap: Gap) -> None:
        """An overflow interval: measurements see it as time without tags unless they override this."""
        if self._role is Role.MEASUREMENT:
            self._process(EMPTY_TS, EMPTY_CH, gap.begin, gap.end)

    def _transform(self, ts: np.ndarray, ch: np.ndarray, t0: int,
                   t1: int) -> tuple[np.ndarray, np.ndarray]:
        """Virtual channels: the tags this iterator adds to the run [t0, t1) (time-ordered)."""
        return EMPTY_TS, EMPTY_CH

    def _clear_data(self) -> None:
        """Reset accumulated data."""

    def _on_start(self) -> None:
        """Called when the iterator starts running."""

    def _on_stop(self) -> None:
        """Called when the iterator stops running (by ``stop`` or at the end of ``startFor``)."""

    def _parameters(self) -> dict:
        """Constructor parameters, for ``getConfiguration``."""
        return {}

    # -- engine side --------------------------------------------------------------------------
    def _wants_stream(self) -> bool:
        return self._running and self._role is Role.MEASUREMENT

    def _end_of_run(self, t1: int) -> int:
        """Where this block ends for us: ``t1``, or the end of a ``startFor`` inside it."""
        return t1 if self._stop_at is None or self._stop_at >= t1 else self._stop_at

    def _finish_if_due(self, end: int) -> None:
        if self._stop_at is not None and end >= self._stop_at:
            self._running = False
            self._stop_at = None
            self._on_stop()
            self._finished.set()

    def _feed(self, block: Block) -> None:
        """Measurements: consume the block's tag runs and gaps up to the end of the run."""
        end = self._end_of_run(block.t1)
        for segment in block.segments():
            if isinstance(segment, Gap):
                a, b = segment.begin, min(segment.end, end)
                if a >= end:
                    break
                self._gap(segment if segment.end <= end else Gap(a, b))
            else:
                ts, ch, a, b = segment
                if a >= end:
                    break
                if b > end:
                    cut = int(np.searchsorted(ts, end, side="left"))
                    ts, ch, b = ts[:cut], ch[:cut], end
                self._process(ts, ch, a, b)
            self._capture_ps += b - a
        self._finish_if_due(end)

    def _transform_block(self, block: Block) -> Block:
        """Virtual channels: the block with this iterator's tags merged into each run."""
        end = self._end_of_run(block.t1)
        changed, runs_ts, runs_ch = False, [], []
        for segment in block.segments():
            if isinstance(segment, Gap):
                if segment.begin < end:
                    self._gap(segment)
                continue
            ts, ch, a, b = segment
            if a < end:
                cut = ts.size if b <= end else int(np.searchsorted(ts, end, side="left"))
                new_ts, new_ch = self._transform(ts[:cut], ch[:cut], a, min(b, end))
                if new_ts.size:
                    ts, ch = merge_streams(ts, ch, new_ts, new_ch)
                    changed = True
            runs_ts.append(ts)
            runs_ch.append(ch)
        self._finish_if_due(end)
        if not changed:
            return block
        return Block(block.t0, block.t1, np.concatenate(runs_ts), np.concatenate(runs_ch), block.gaps)

    def _fail(self, exc: Exception) -> None:
        """Stop this iterator after an internal error; the stream goes on for the others."""
        self._failure = exc
        self._detach()
        logger.log(LOGGER_ERROR, f"{type(self).__name__} stopped after an internal error: "
                                 f"{type(exc).__name__}: {exc}")

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
    def _start_running(self, stop_at: int | None) -> None:
        was_running = self._running
        self._running = True
        self._stop_at = stop_at
        self._finished.clear()
        if not was_running:
            self._on_start()
        self._engine.changed.notify_all()

    def start(self) -> None:
        """Start (or continue) accumulating data."""
        with self._engine.lock:
            self._check_attached()
            self._start_running(None)

    def startFor(self, capture_duration: int, clear: bool = True) -> None:
        """Accumulate for ``capture_duration`` ps of stream time, then stop."""
        duration = validation.positive_int("capture_duration", capture_duration, unit="ps")
        with self._engine.lock:
            self._check_attached()
            if clear:
                self.clear()
            self._start_running(self._engine.now + duration)

    def stop(self) -> None:
        """Stop accumulating; data are kept."""
        with self._engine.lock:
            was_running = self._running
            self._running = False
            self._stop_at = None
            if was_running:
                self._on_stop()
            self._finished.set()

    def abort(self) -> None:
        """Stop immediately and discard the data, back to the initial state (the library's abort)."""
        with self._engine.lock:
            self.stop()
            self.clear()

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
