"""``CustomMeasurementBase`` and ``CustomMeasurement``: measurements written in Python on the raw stream.

As in the library: a subclass registers the channels it needs (``register_channel``), calls
``finalize_init()`` at the end of its constructor (the measurement then starts, unless created on
a ``SynchronizedMeasurements`` proxy), and receives every block of the stream in
``process(incoming_tags, begin_time, end_time)``: a read-only structured array of
``INCOMING_TAGS_DTYPE`` (type, missed_events, channel, time) with all tags of the block, overflow
records included, called on the stream thread with the measurement's lock held (``with
self.mutex:`` takes the same lock from other threads). ``clear_impl``, ``on_start``, ``on_stop``
and ``pre_stop`` are called as their names say.
"""
from __future__ import annotations

import traceback
import weakref

import numpy as np

from .. import validation
from ..engine.blocks import TAG_DTYPE, Block, Gap, records
from ..iterator import IteratorBase
from ..taggers.base import TimeTaggerBase

_all_custom: weakref.WeakSet = weakref.WeakSet()


class CustomMeasurementBase(IteratorBase):
    """Base class for implementing custom measurements: low-overhead access to the raw tag stream."""

    def __init__(self, tagger: TimeTaggerBase) -> None:
        IteratorBase.__init__(self, tagger)
        self._registered: list[int] = []
        self._finalized = False
        _all_custom.add(self)

    # -- the library's interface ----------------------------------------------------------------
    def register_channel(self, channel: int) -> None:
        """Have the tags of ``channel`` transferred and delivered to this measurement."""
        number = self._tagger._check_channel("channel", channel)
        with self._engine.lock:
            self._registered.append(number)

    def unregister_channel(self, channel: int) -> None:
        """Undo one ``register_channel(channel)``."""
        number = validation.integer("channel", channel)
        with self._engine.lock:
            if number not in self._registered:
                raise ValueError(f"channel={number} is not registered (registered: {sorted(set(self._registered))})")
            self._registered.remove(number)

    def finalize_init(self) -> None:
        """End of construction: attach to the stream and start (unless on a SynchronizedMeasurements proxy)."""
        if not self._finalized:
            self._finalized = True
            self._register()

    def is_running(self) -> bool:
        """True while the measurement processes the stream."""
        return self.isRunning()

    def clear_impl(self) -> None:
        """Reset the measurement's data (override; called by ``clear()``)."""

    def on_start(self) -> None:
        """Called when the measurement starts (override)."""

    def on_stop(self) -> None:
        """Called when the measurement has stopped (override)."""

    def pre_stop(self) -> None:
        """Called just before the measurement stops (override)."""

    def next_impl(self, incoming_tags: np.ndarray, begin_time: int, end_time: int) -> bool:
        """Internal processing callback; forwards the block to ``next_impl_cs``."""
        self.next_impl_cs(incoming_tags, incoming_tags.size, begin_time, end_time)
        return False

    def next_impl_cs(self, tags_ptr: np.ndarray, num_tags: int, begin_time: int, end_time: int) -> None:
        """The wrapper-friendly processing callback (override in subclasses)."""

    @staticmethod
    def stop_all_custom_measurements() -> None:
        """Stop every custom measurement (the library does this at interpreter shutdown)."""
        for measurement in list(_all_custom):
            measurement.stop()

    # -- engine side ----------------------------------------------------------------------------
    def _channels(self) -> set[int]:
        return set(self._registered)

    def _clear_data(self) -> None:
        self.clear_impl()

    def _on_start(self) -> None:
        self.on_start()

    def _on_stop(self) -> None:
        self.pre_stop()
        self.on_stop()

    def _lock(self) -> None:
        self._engine.lock.acquire()

    def _unlock(self) -> None:
        self._engine.lock.release()

    def _feed(self, block: Block) -> None:
        """One call per block (up to the end of a ``startFor``), as the library makes."""
        end = self._end_of_run(block.t1)
        segments = []
        for segment in block.segments():
            if isinstance(segment, Gap):
                if segment.begin < end:
                    segments.append(segment)
            elif segment[2] < end:
                ts, ch, a, b = segment
                cut = int(np.searchsorted(ts, end, side="left"))
                segments.append((ts[:cut], ch[:cut], a, min(b, end)))
        if end > block.t0:
            tags = records(segments) if segments else np.empty(0, TAG_DTYPE)
            tags.flags.writeable = False
            self.next_impl(tags, block.t0, end)
            self._capture_ps += end - block.t0
        self._finish_if_due(end)


class CustomMeasurement(CustomMeasurementBase):
    """Base class of Python custom measurements: override ``process(incoming_tags, begin_time, end_time)``."""

    INCOMING_TAGS_DTYPE = TAG_DTYPE

    def __init__(self, time_tagger: TimeTaggerBase) -> None:
        CustomMeasurementBase.__init__(self, time_tagger)
        self._show_error = True
        self.mutex = _Mutex(self)

    def stop(self) -> None:
        """After calling this method, the measurement stops processing incoming tags."""
        super().stop()

    def process(self, incoming_tags: np.ndarray, begin_time: int, end_time: int) -> None:
        """Process one block of tags (override): ``incoming_tags`` has ``INCOMING_TAGS_DTYPE``."""
        if self._show_error:
            print("ERROR: The process() method of the Python-CustomMeasurement must be overwritten!")
            self._show_error = False

    def next_impl_cs(self, incoming_tags: np.ndarray, begin_time: int, end_time: int) -> None:
        """Hands the block to ``process`` (as the library's Python wrapper does)."""
        try:
            self.process(incoming_tags.view(self.INCOMING_TAGS_DTYPE), begin_time, end_time)
        except Exception:
            traceback.print_exc()
            raise

    def next_impl(self, incoming_tags: np.ndarray, begin_time: int, end_time: int) -> bool:
        """Internal processing callback; forwards the block to ``next_impl_cs``."""
        self.next_impl_cs(incoming_tags, begin_time, end_time)
        return False


class _Mutex:
    """``with measurement.mutex:`` holds the measurement's lock (the stream thread's lock here)."""

    def __init__(self, measurement: CustomMeasurementBase) -> None:
        self._measurement = measurement

    def __enter__(self):
        self._measurement._lock()
        return self

    def __exit__(self, *exc) -> bool:
        self._measurement._unlock()
        return False
