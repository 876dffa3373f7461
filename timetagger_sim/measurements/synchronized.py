"""``SynchronizedMeasurements``: start, stop and clear a group of measurements at one stream instant.

Every group operation runs under the engine lock, between two blocks, so all members see
exactly the same tags. ``getTagger()`` returns a proxy tagger: measurements created on it are
registered with the group and do not start on creation, as in the library.
"""
from __future__ import annotations

import time
import weakref

from .. import validation
from ..engine.engine import Role
from ..iterator import IteratorBase
from ..taggers.base import TimeTaggerBase


class _RegisteringEngine:
    """The engine as seen by a measurement under construction on the proxy tagger.

    Its ``register`` attaches the measurement to the real engine, suppresses the autostart and
    adds it to the group; afterwards the measurement uses the real engine directly.
    """

    def __init__(self, engine, group: SynchronizedMeasurements) -> None:
        self._engine = engine
        self._group = group

    def __getattr__(self, name: str):
        return getattr(self._engine, name)

    def register(self, iterator: IteratorBase) -> None:
        self._engine.register(iterator)
        iterator._engine = self._engine
        if iterator._role is Role.MEASUREMENT:
            iterator._starts_on_creation = False
            self._group.registerMeasurement(iterator)


class _SynchronizedTagger(TimeTaggerBase):
    """Proxy tagger of a ``SynchronizedMeasurements``: the real tagger, but measurements made on
    it join the group instead of starting."""

    def __init__(self, tagger: TimeTaggerBase, group: SynchronizedMeasurements) -> None:
        self.__dict__["_real"] = tagger
        self.__dict__["_group"] = weakref.ref(group)

    def __getattr__(self, name: str):
        return getattr(self.__dict__["_real"], name)

    def __setattr__(self, name: str, value) -> None:
        setattr(self._real, name, value)

    def _live_engine(self):
        engine = self._real._live_engine()
        group = self._group()
        if group is None:
            raise RuntimeError("The SynchronizedMeasurements of this proxy tagger no longer exists.")
        return _RegisteringEngine(engine, group)


def _delegate(name: str):
    def method(self, *args, **kwargs):
        return getattr(self._real, name)(*args, **kwargs)
    method.__name__ = name
    method.__doc__ = getattr(TimeTaggerBase, name).__doc__
    return method


# Every method the proxy inherits acts on the real tagger (its state lives there).
_OWN = set(vars(_SynchronizedTagger)) | {"__init__", "__enter__", "__exit__"}
for _name, _member in vars(TimeTaggerBase).items():
    if callable(_member) and _name not in _OWN:
        setattr(_SynchronizedTagger, _name, _delegate(_name))


class SynchronizedMeasurements:
    """Runs ``start``/``startFor``/``stop``/``clear`` of all registered measurements together."""

    def __init__(self, tagger: TimeTaggerBase) -> None:
        if not isinstance(tagger, TimeTaggerBase):
            raise TypeError(f"tagger must be a TimeTagger object, got {type(tagger).__name__}")
        self._tagger = tagger
        self._engine = tagger._live_engine()
        self._members: list[weakref.ref[IteratorBase]] = []

    def _measurements(self) -> list[IteratorBase]:
        live = [ref() for ref in self._members]
        return [m for m in live if m is not None]

    def registerMeasurement(self, measurement: IteratorBase) -> None:
        """Add ``measurement`` (of the same tagger) to the group; registering twice is harmless."""
        if not isinstance(measurement, IteratorBase):
            raise TypeError("measurement must be a measurement (IteratorBase), got "
                            f"{type(measurement).__name__}")
        if measurement._engine is not self._engine:
            raise ValueError(f"{type(measurement).__name__} belongs to another Time Tagger than this "
                             "SynchronizedMeasurements")
        with self._engine.lock:
            if measurement not in self._measurements():
                self._members.append(weakref.ref(measurement))

    def unregisterMeasurement(self, measurement: IteratorBase) -> None:
        """Remove ``measurement`` from the group; nothing happens if it is not registered."""
        with self._engine.lock:
            self._members = [ref for ref in self._members if ref() not in (None, measurement)]

    def getTagger(self) -> TimeTaggerBase:
        """A proxy tagger: measurements created on it join this group and do not autostart."""
        self._tagger._check_alive()
        return _SynchronizedTagger(self._tagger, self)

    def start(self) -> None:
        """Start every registered measurement at the same stream instant."""
        with self._engine.lock:
            for measurement in self._measurements():
                measurement.start()

    def startFor(self, capture_duration: int, clear: bool = True) -> None:
        """``startFor`` of every registered measurement, all from the same stream instant."""
        validation.positive_int("capture_duration", capture_duration, unit="ps")
        with self._engine.lock:
            for measurement in self._measurements():
                measurement.startFor(capture_duration, clear)

    def stop(self) -> None:
        """Stop every registered measurement at the same stream instant."""
        with self._engine.lock:
            for measurement in self._measurements():
                measurement.stop()

    def clear(self) -> None:
        """Clear every registered measurement at the same stream instant."""
        with self._engine.lock:
            for measurement in self._measurements():
                measurement.clear()

    def isRunning(self) -> bool:
        """True if any registered measurement is running."""
        with self._engine.lock:
            return any(m.isRunning() for m in self._measurements())

    def waitUntilFinished(self, timeout: float = -1) -> bool:
        """Wait until every registered measurement finished (``timeout`` in ms, -1: forever)."""
        deadline = None if timeout is None or timeout < 0 else time.monotonic() + timeout / 1000.0
        for measurement in self._measurements():
            remaining = -1 if deadline is None else max(0.0, (deadline - time.monotonic()) * 1000.0)
            if not measurement.waitUntilFinished(remaining):
                return False
        return True
