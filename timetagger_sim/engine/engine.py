"""The stream engine: one background thread per tagger that produces tag blocks and feeds iterators.

Each block covers stream time [t0, t1). The engine asks the tagger's source (its input stages, or
a file replay) for the block, lets the virtual channels add their tags in creation order, and hands
the merged, time-ordered block to every running measurement. All of it happens under one lock, so
reading data from another thread always sees whole blocks.

Pacing: a source's ``pace()`` is the stream time per wall-clock time (1.0: real time, like
hardware) or None (as fast as the CPU allows: virtual time). The stream advances only while a
measurement runs, a source is ``busy()`` (a replay) or a caller ``demand()``s it.
"""
from __future__ import annotations

import contextlib
import enum
import sys
import threading
import time
import weakref
from typing import Callable, Iterator, Protocol

import numpy as np

from .. import logger
from ..constants import LOGGER_ERROR
from ..kernels import stream as kernels
from .blocks import Block

#: Longest block in real-time mode (ps): bounds latency and the time the lock is held.
REALTIME_MAX_BLOCK_PS = 20_000_000_000
#: Shortest block worth processing in real-time mode (ps).
REALTIME_MIN_BLOCK_PS = 2_000_000_000
#: GIL switch interval while a stream runs (s). The hardware library streams in C++ threads
#: that never hold the GIL; the simulator streams in Python, and with the default 5 ms
#: interval a client thread (a Tango or RPC request) could wait that long for the GIL.
GIL_SWITCH_INTERVAL_S = 0.0002
#: The library's default stream block size: at most 1 M events (1048576) and 20 ms per block.
DEFAULT_BLOCK_EVENTS = 1 << 20
DEFAULT_BLOCK_LATENCY_MS = 20


def merge_streams(ts_a: np.ndarray, ch_a: np.ndarray, ts_b: np.ndarray,
                  ch_b: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Merge two time-ordered tag streams; on equal times the tags of ``a`` come first."""
    if ts_b.size == 0:
        return ts_a, ch_a
    if ts_a.size == 0:
        return ts_b, ch_b
    bounds = np.array([0, ts_a.size, ts_a.size + ts_b.size])
    return kernels.merge_sorted_runs(np.concatenate((ts_a, ts_b)), np.concatenate((ch_a, ch_b)), bounds)


class Role(enum.Enum):
    """Where a client sits in the signal chain of a block."""

    SIGNAL = "signal"                    #: shapes the simulated analog signals (``Experimental``)
    VIRTUAL_CHANNEL = "virtual channel"  #: adds tags of new channels to the stream
    MEASUREMENT = "measurement"          #: consumes the stream


class StreamClient(Protocol):
    """What the engine asks of every registered object (``IteratorBase`` implements it)."""

    _role: Role
    _running: bool

    def _wants_stream(self) -> bool: ...
    def _channels(self) -> set[int]: ...
    def _detach(self) -> None: ...
    def _fail(self, exc: Exception) -> None: ...
    def _transform_block(self, block: Block) -> Block: ...
    def _feed(self, block: Block) -> None: ...


class StreamSource(Protocol):
    """Where the blocks of a tagger come from (its input stages, or a replayed file)."""

    def produce(self, t0: int, t1: int, needed: set[int]) -> Block: ...
    def window(self, now: int, t1: int) -> tuple[int, int] | None: ...
    def busy(self) -> bool: ...
    def pace(self) -> float | None: ...
    def free_running(self) -> bool: ...


class Engine:
    """Runs the stream of one simulated tagger on a background thread."""

    def __init__(self, source: StreamSource, block_ps: int, name: str) -> None:
        self._source = source
        self._block_ps = block_ps
        self.lock = threading.RLock()
        self.changed = threading.Condition(self.lock)
        self.now = 0                      #: stream time delivered so far (ps)
        self.block_events = DEFAULT_BLOCK_EVENTS
        self.block_latency_ps = DEFAULT_BLOCK_LATENCY_MS * 1_000_000_000
        # Weak references: a measurement nobody holds any more is detached, as in the library.
        self._iterators: list[weakref.ref[StreamClient]] = []
        self._closing = False
        self._failure: BaseException | None = None
        self._demand = 0
        self._anchor = (time.monotonic(), 0)   # (wall s, stream ps) the pacing counts from
        sys.setswitchinterval(min(sys.getswitchinterval(), GIL_SWITCH_INTERVAL_S))
        self._thread = threading.Thread(target=self._run, name=f"timetagger-sim-{name}", daemon=True)
        self._thread.start()

    # -- registration -------------------------------------------------------------------------
    def register(self, iterator: StreamClient) -> None:
        """Attach an iterator to the stream (held weakly)."""
        with self.lock:
            self._iterators.append(weakref.ref(iterator))
            self.changed.notify_all()

    def unregister(self, iterator: StreamClient) -> None:
        """Detach an iterator from the stream."""
        with self.lock:
            self._iterators = [r for r in self._iterators if r() not in (None, iterator)]
            self.changed.notify_all()

    def iterators(self, role: Role | None = None) -> list[StreamClient]:
        """The live iterators in creation order (only those of ``role`` if given)."""
        with self.lock:
            live = [r() for r in self._iterators]
            return [it for it in live if it is not None and (role is None or it._role is role)]

    def close(self) -> None:
        """Stop the thread; every iterator is stopped first."""
        with self.lock:
            for iterator in self.iterators():
                iterator._detach()
            self._iterators.clear()
            self._closing = True
            self.changed.notify_all()
        if threading.current_thread() is not self._thread:
            self._thread.join(timeout=10)

    @property
    def failure(self) -> BaseException | None:
        """The exception that stopped the stream, if any."""
        return self._failure

    @property
    def closed(self) -> bool:
        return self._closing

    @contextlib.contextmanager
    def demand(self) -> Iterator[None]:
        """Keep the stream advancing while the block runs (for calls that wait on the stream)."""
        with self.lock:
            self._demand += 1
            self.changed.notify_all()
        try:
            yield
        finally:
            with self.lock:
                self._demand -= 1

    def repace(self) -> None:
        """Count the pacing from now on (after the source's pace changed)."""
        with self.lock:
            self._anchor = (time.monotonic(), self.now)
            self.changed.notify_all()

    # -- the loop -----------------------------------------------------------------------------
    def _paced_target(self, pace: float) -> int:
        wall, stream = self._anchor
        return stream + int((time.monotonic() - wall) * 1e12 * pace)

    def _active(self) -> bool:
        return self._demand > 0 or any(it._wants_stream() for it in self.iterators())

    def _next_window(self) -> tuple[int, int] | None:
        """The next block to process, or None when the stream waits (for the wall clock or data)."""
        pace = self._source.pace()
        longest = min(self._block_ps if pace is None else REALTIME_MAX_BLOCK_PS, self.block_latency_ps)
        t0 = self.now
        if pace is None:
            t1 = t0 + longest
        else:
            target = self._paced_target(pace)
            if target - t0 < min(REALTIME_MIN_BLOCK_PS, longest):
                return None
            t1 = min(target, t0 + longest)
        return self._source.window(t0, t1)

    def _run(self) -> None:
        try:
            while True:
                with self.lock:
                    if self._closing:
                        return
                    window = None
                    if self._active() or self._source.busy():
                        window = self._next_window()
                    elif self._source.free_running():   # real-time hardware: stream time is wall time
                        self.now = max(self.now, self._paced_target(1.0))
                    if window is not None:
                        t0, t1 = window
                        if t0 > self.now:              # a replay skips time nobody processes
                            self.now = t0
                            self._anchor = (time.monotonic(), t0)
                        if t1 > t0:
                            self._process_block(t0, t1)
                            self.now = t1
                        self.changed.notify_all()
                    else:
                        self.changed.wait(0.002 if self._active() else 0.01)
                        continue
                time.sleep(0)        # outside the lock: let client threads in between blocks
        except BaseException as exc:  # the stream died: make every waiter see it
            with self.lock:
                self._failure = exc
                self.changed.notify_all()
            logger.log(LOGGER_ERROR, f"The simulated Time Tagger stopped streaming: {exc!r}")
            raise

    def _process_block(self, t0: int, t1: int) -> None:
        iterators = self.iterators()
        needed: set[int] = set()
        for it in iterators:
            if it._wants_stream() or it._role is Role.VIRTUAL_CHANNEL:
                needed |= it._channels()
        for block in self._source.produce(t0, t1, needed).split(self.block_events):
            for it in iterators:
                if it._role is Role.VIRTUAL_CHANNEL and it._running:
                    try:
                        block = it._transform_block(block)
                    except Exception as exc:  # one broken iterator must not stop the stream
                        it._fail(exc)
            for it in iterators:
                if it._running and it._role is Role.MEASUREMENT:
                    try:
                        it._feed(block)
                    except Exception as exc:
                        it._fail(exc)

    # -- waiting ------------------------------------------------------------------------------
    def wait_for(self, predicate: Callable[[], bool], timeout: float) -> bool:
        """Wait until ``predicate()`` holds (checked under the lock); False on timeout."""
        deadline = None if timeout < 0 else time.monotonic() + timeout
        with self.lock:
            while not predicate():
                if self._failure is not None or self._closing:
                    return predicate()
                remaining = 0.05 if deadline is None else deadline - time.monotonic()
                if remaining <= 0:
                    return False
                self.changed.wait(min(remaining, 0.05))
            return True
