"""The stream engine: one background thread per tagger that produces tag blocks and feeds iterators.

Each block covers stream time [t0, t1). The engine asks the tagger's input stage for the
physical tags of that interval, lets the virtual channels add their tags in creation order,
and hands the merged, time-ordered block to every running measurement. All of it happens under
one lock, so reading data from another thread always sees whole blocks.
"""
from __future__ import annotations

import enum
import sys
import threading
import time
import weakref
from typing import Callable, Protocol

import numpy as np

from ..kernels import stream as kernels
from ..options import SimulationOptions

#: Longest block in real-time mode (ps): bounds latency and the time the lock is held.
REALTIME_MAX_BLOCK_PS = 20_000_000_000
#: Shortest block worth processing in real-time mode (ps).
REALTIME_MIN_BLOCK_PS = 2_000_000_000
#: GIL switch interval while a stream runs (s). The hardware library streams in C++ threads
#: that never hold the GIL; the simulator streams in Python, and with the default 5 ms
#: interval a client thread (a Tango or RPC request) could wait that long for the GIL.
GIL_SWITCH_INTERVAL_S = 0.0002


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
    """What the engine asks of every registered object (``StreamClient`` implements it)."""

    _role: Role
    _running: bool

    def _wants_stream(self) -> bool: ...
    def _channels(self) -> set[int]: ...
    def _detach(self) -> None: ...


class Engine:
    """Runs the stream of one simulated tagger on a background thread."""

    def __init__(self, produce_physical: Callable[[int, int, set[int]], tuple[np.ndarray, np.ndarray]],
                 options: SimulationOptions, name: str) -> None:
        self._produce_physical = produce_physical
        self.options = options
        self.lock = threading.RLock()
        self.changed = threading.Condition(self.lock)
        self.now = 0                      #: stream time delivered so far (ps)
        # Weak references: a measurement nobody holds any more is detached, as in the library.
        self._iterators: list[weakref.ref[StreamClient]] = []
        self._closing = False
        self._failure: BaseException | None = None
        self._wall_origin = time.monotonic()
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

    # -- the loop -----------------------------------------------------------------------------
    def _wall_ps(self) -> int:
        return int((time.monotonic() - self._wall_origin) * 1e12)

    def _active(self) -> bool:
        return any(it._wants_stream() for it in self.iterators())

    def _run(self) -> None:
        try:
            while True:
                with self.lock:
                    if self._closing:
                        return
                    if not self._active():
                        if not self.options.virtual_time:
                            self.now = max(self.now, self._wall_ps())
                        self.changed.wait(0.01)
                        continue
                    t0 = self.now
                    if self.options.virtual_time:
                        t1 = t0 + self.options.block_ps
                    else:
                        target = self._wall_ps()
                        if target - t0 < REALTIME_MIN_BLOCK_PS:
                            t1 = None
                        else:
                            t1 = min(target, t0 + REALTIME_MAX_BLOCK_PS)
                    if t1 is not None:
                        self._process_block(t0, t1)
                        self.now = t1
                        self.changed.notify_all()
                # Outside the lock: let client threads in between blocks.
                if t1 is None:
                    time.sleep(0.002)
                else:
                    time.sleep(0)
        except BaseException as exc:  # the stream died: make every waiter see it
            with self.lock:
                self._failure = exc
                self.changed.notify_all()
            raise

    def _process_block(self, t0: int, t1: int) -> None:
        iterators = self.iterators()
        needed: set[int] = set()
        for it in iterators:
            if it._wants_stream() or it._role is Role.VIRTUAL_CHANNEL:
                needed |= it._channels()
        ts, ch = self._produce_physical(t0, t1, needed)
        for it in iterators:
            if it._role is Role.VIRTUAL_CHANNEL:
                try:
                    new_ts, new_ch = it._transform(ts, ch, t0, t1)
                except Exception as exc:  # one broken iterator must not stop the stream
                    it._fail(exc)
                    continue
                ts, ch = merge_streams(ts, ch, new_ts, new_ch)
        for it in iterators:
            if it._running and it._role is Role.MEASUREMENT:
                try:
                    it._feed(ts, ch, t0, t1)
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
