"""``TimeTaggerVirtual`` and ``createTimeTaggerVirtual``: replaying recordings (and simulated signals).

The simulator's virtual tagger replays the simulator's own files (``timetagger_sim.fileformat``)
with the library's API: ``appendFile``/``replay`` queue files, ``run(speed)`` plays them (speed 1:
real time, negative: as fast as possible, stopping at the end of the data), ``waitForCompletion``
waits for one file or all. Measurements see the recorded stream: the same tags, the same overflows,
the recorded time (see ``replay``). Without a file it is a simulated 18-input tagger that runs at
``run(speed)`` (a negative speed becomes real time, as documented, unless the simulator's virtual
time is on): ``Experimental`` generators feed its inputs and ``setTestSignal`` connects an
800 kHz test signal with 9 ps RMS jitter. Dead time, conditional filter and input delays apply in
software; the event divider is not supported (as in the library).
"""
from __future__ import annotations

from typing import Iterable

from .. import fileformat as ff
from .. import validation
from ..constants import FIRST_VIRTUAL_CHANNEL
from ..engine.blocks import Block
from ..engine.engine import Engine, Role
from ..options import getSimulationOptions
from .base import TimeTaggerBase, register_open
from .clock import ClockStage
from .inputs import InputSettings, InputStage
from .models import VIRTUAL
from .replay import ReplayQueue, VirtualInputs
from .software import SoftwareDelays

_SERIAL = "TimeTaggerVirtual"


class VirtualSource:
    """The stream of a virtual tagger: replay and simulation -> software delays -> reference clock."""

    def __init__(self, inputs: VirtualInputs, virtual_time: bool) -> None:
        self.inputs = inputs
        self.queue = inputs.queue
        self.delays = SoftwareDelays(inputs, lambda: inputs.settings)
        self.clock = ClockStage(self.delays, _SERIAL)
        self._virtual_time = virtual_time

    def produce(self, t0: int, t1: int, needed: set[int]) -> Block:
        return self.clock.produce(t0, t1, needed)

    def _replaying(self) -> bool:
        return self.queue.active()

    def window(self, now: int, t1: int) -> tuple[int, int] | None:
        if not self.queue.running:
            return None
        if self._replaying():
            return self.queue.window(now, t1)
        return None if self.queue.ever_queued else (now, t1)   # end of the data, or a simulation

    def busy(self) -> bool:
        return self.queue.running and self._replaying()

    def pace(self) -> float | None:
        speed = self.queue.speed
        if self._replaying():
            return None if speed < 0 else speed
        if self._virtual_time:
            return None
        return 1.0 if speed < 0 else speed

    def free_running(self) -> bool:
        return False


class TimeTaggerVirtual(TimeTaggerBase):
    """Replays files of ``FileWriter`` as the stream of a tagger (see the module docstring)."""

    def __init__(self, *args, **kwargs) -> None:  # pragma: no cover - mirrors the library
        raise TypeError("Use createTimeTaggerVirtual() to open a virtual Time Tagger.")

    @classmethod
    def _open(cls, filename: str, begin: int, duration: int) -> TimeTaggerVirtual:
        self = object.__new__(cls)
        options = getSimulationOptions()
        self._init_base(VIRTUAL, _SERIAL, options.seed)
        channels = ({c for n in range(1, VIRTUAL.n_inputs + 1) for c in (n, -n)} if not filename
                    else set(ff.expand(filename)[1]["channels"]))
        self._recorded = channels
        self._next_virtual = max([FIRST_VIRTUAL_CHANNEL - 1, *channels]) + 1
        self._queue = ReplayQueue(channels)
        simulation = InputStage(InputSettings(VIRTUAL), _SERIAL, self._make_rng(), self._signal_nodes)
        self._inputs = VirtualInputs(simulation.settings, self._queue, simulation)
        self._source = VirtualSource(self._inputs, options.virtual_time)
        self._clock = self._source.clock
        self._engine = Engine(self._source, options.block_ps, _SERIAL)
        if filename:
            self._queue.append(filename, begin, duration, False)
        return self

    def _signal_nodes(self) -> list:
        return [node for node in self._engine.iterators(Role.SIGNAL) if node._running]

    def _physical_channels(self) -> set[int]:
        return {c for c in self._recorded if abs(c) < FIRST_VIRTUAL_CHANNEL}

    def _is_known(self, channel: int) -> bool:
        return channel in self._recorded or super()._is_known(channel)

    def _check_physical(self, channel: object, name: str = "channel") -> int:
        number = validation.integer(name, channel)
        if number not in self._physical_channels():
            raise ValueError(f"{name}={number} is not an input of this TimeTaggerVirtual: allowed are "
                             f"{sorted(self._physical_channels())}")
        return number

    def _configuration(self) -> dict:
        return {"replay": {"running": self._queue.running, "speed": self._queue.speed,
                           "queued": self._queue.pending()}}

    def setEventDivider(self, channel: int, divider: int) -> None:
        """Not supported on the TimeTaggerVirtual (as in the library): raises."""
        raise RuntimeError("The event divider is not supported on the TimeTaggerVirtual")

    # -- the replay API -----------------------------------------------------------------------
    @staticmethod
    def _checked_speed(speed: float) -> float:
        value = float(validation.in_range("speed", speed, -1e300, 1e300))
        if 0.0 <= value < 0.1:
            raise ValueError(f"speed {value} is not supported: use a speed >= 0.1, or a negative one for "
                             "as fast as possible")
        return value

    def appendFile(self, filename: str, begin: int = 0, duration: int = -1, clear: bool = False) -> int:
        """Queue a file (or sequence) for replay; returns its ID. Channels the initial file lacks are ignored."""
        self._check_alive()
        if not isinstance(filename, str) or not filename:
            raise ValueError(f"filename must be a non-empty path, got {filename!r}")
        begin_ps, duration_ps = validation.integer("begin", begin), validation.integer("duration", duration)
        with self._engine.lock:
            ident = self._queue.append(filename, begin_ps, duration_ps, bool(clear))
            self._engine.changed.notify_all()
            return ident

    def run(self, speed: float = -1.0) -> list[int]:
        """Start (or continue) the replay at ``speed`` (1: real time, negative: as fast as possible);
        returns the IDs of the queued files."""
        self._check_alive()
        value = self._checked_speed(speed)
        with self._engine.lock:
            self._queue.speed = value
            self._queue.running = True
            self._queue.start(self._engine.now)
            self._engine.repace()
            return self._queue.pending()

    def replay(self, file: str, begin: int = 0, duration: int = -1, queue: bool = True) -> int:
        """Queue ``file`` (``queue=False``: replace the queue) and play it (deprecated: appendFile and run)."""
        ident = self.appendFile(file, begin, duration, clear=not queue)
        self.run(self._queue.speed)
        return ident

    def setReplaySpeed(self, speed: float) -> None:
        """The replay speed factor (deprecated: give it to run())."""
        self._check_alive()
        value = self._checked_speed(speed)
        with self._engine.lock:
            self._queue.speed = value
            self._engine.repace()

    def getReplaySpeed(self) -> float:
        """The current replay speed factor."""
        self._check_alive()
        return self._queue.speed

    def stop(self) -> None:
        """Stop the current file and clear the replay queue."""
        self._check_alive()
        with self._engine.lock:
            self._queue.stop()
            self._engine.changed.notify_all()

    def reset(self) -> None:
        """Stop the replay, clear the queue and return every setting to its default."""
        self.stop()
        with self._engine.lock:
            self._inputs.settings = InputSettings(VIRTUAL)
            self._inputs.reset_state()
            self._clock.configure(None)

    def waitForCompletion(self, ID: int = 0, timeout: int = -1) -> bool:
        """Wait until file ``ID`` (0: every queued file) has been replayed; ``timeout`` in ms (-1: forever)."""
        engine = self._live_engine()
        ident = validation.integer("ID", ID)
        if ident < 0:
            raise ValueError(f"ID {ident} is not a replay ID: use 0 (all files) or an ID appendFile returned")
        seconds = -1.0 if timeout < 0 else timeout / 1000.0
        return engine.wait_for(lambda: self._queue.finished(ident), seconds)

    def waitUntilFinished(self, ID: int = 0, timeout: int = -1) -> bool:
        """The same as ``waitForCompletion``."""
        return self.waitForCompletion(ID, timeout)

    def getChannelList(self) -> list[int]:
        """The channels of the initial file (the 18 simulated inputs without one)."""
        self._check_alive()
        return sorted(self._recorded, key=lambda c: (c < 0, abs(c)))

    def setTestSignal(self, channel: int | Iterable[int], enabled: bool) -> None:
        """Deprecated in the library: connect an 800 kHz test signal with 9 ps RMS jitter to inputs."""
        self._check_alive()
        inputs = [abs(self._check_physical(c)) for c in validation.channel_list("channel", channel)]
        with self._engine.lock:
            for n in inputs:
                (self._settings.test_signal.add if enabled else self._settings.test_signal.discard)(n)

    def getTestSignal(self, channel: int) -> bool:
        """Deprecated in the library: True if the test signal feeds ``channel``'s input."""
        self._check_alive()
        return abs(self._check_physical(channel)) in self._settings.test_signal


def createTimeTaggerVirtual(filename: str = "", begin: int = 0, duration: int = -1) -> TimeTaggerVirtual:
    """A virtual tagger replaying ``filename`` (queued; ``run()`` starts it), or a simulated 18-input
    tagger without one."""
    if not isinstance(filename, str):
        raise TypeError(f"filename must be a string, got {filename!r}")
    tagger = TimeTaggerVirtual._open(filename, validation.integer("begin", begin),
                                     validation.integer("duration", duration))
    register_open(tagger)
    return tagger
