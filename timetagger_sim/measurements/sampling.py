"""The state of inputs: ``Sampler`` (levels at trigger tags) and ``Scope`` (edge traces), with ``Event``.

An input's level is known from its edges: high after a rising-edge tag, low after a falling-edge
one, unknown from the start (or ``clear``) until its first edge and again after an overflow.
"""
from __future__ import annotations

import numpy as np

from .. import validation
from ..constants import HIGH, LOW, UNKNOWN
from ..engine.blocks import Gap
from ..iterator import IteratorBase
from ..kernels import markers as km
from ..taggers.base import TimeTaggerBase

#: The library's limit of channels one Sampler samples.
MAX_SAMPLER_CHANNELS = 63
_UNDEFINED_BIT = np.int64(-(2**63))


def _physical(tagger: TimeTaggerBase, name: str, channels: object) -> list[int]:
    numbers = validation.channel_list(name, channels)
    if not numbers:
        raise ValueError(f"{name} must name at least one channel, got an empty list")
    return [tagger._check_physical(c, name) for c in numbers]


class Event:
    """An edge in a ``Scope`` trace: ``time`` (ps after the trigger) and the ``state`` it leads to."""

    def __init__(self) -> None:
        self._time = 0
        self._state = UNKNOWN

    @property
    def time(self) -> int:
        """Timestamp in ps (relative to the trace's trigger)."""
        return self._time

    @time.setter
    def time(self, value: int) -> None:
        self._time = int(value)

    @property
    def state(self) -> int:
        """Input state: HIGH, LOW or UNKNOWN."""
        return self._state

    @state.setter
    def state(self, value: int) -> None:
        self._state = int(value)

    def __repr__(self) -> str:
        return f"Event(time={self._time}, state={ {HIGH: 'HIGH', LOW: 'LOW'}.get(self._state, 'UNKNOWN')})"


def _event(time: int, state: int) -> Event:
    event = Event()
    event.time, event.state = time, state
    return event


class Sampler(IteratorBase):
    """The level of ``channels`` (0 low, 1 high, 2 unknown) at every ``trigger`` tag, up to
    ``max_triggers`` kept until ``getData`` takes them (each once)."""

    def __init__(self, tagger: TimeTaggerBase, trigger: int, channels: list[int], max_triggers: int) -> None:
        super().__init__(tagger)
        self._trigger = tagger._check_channel("trigger", trigger)
        numbers = _physical(tagger, "channels", channels)
        if len(numbers) > MAX_SAMPLER_CHANNELS:
            raise ValueError(f"channels lists {len(numbers)} channels: a Sampler samples at most {MAX_SAMPLER_CHANNELS}")
        self._channel_array = np.array(numbers, np.int32)
        self._inverted = -self._channel_array
        self._max = validation.positive_int("max_triggers", max_triggers)
        validation.budget("max_triggers x (channels + 1)", self._max * (len(numbers) + 1), 8)
        self._clear_data()
        self._register()

    def _channels(self) -> set[int]:
        return {self._trigger, *self._channel_array.tolist(), *self._inverted.tolist()}

    def _clear_data(self) -> None:
        self._states = np.full(self._channel_array.size, 2, np.int64)
        self._out = np.zeros((self._max, self._channel_array.size + 1), np.int64)
        self._n = 0

    def _process(self, ts: np.ndarray, ch: np.ndarray, t0: int, t1: int) -> None:
        self._n = km.sample(ts, ch, self._trigger, self._channel_array, self._inverted, self._states,
                            self._out, self._n)

    def _gap(self, gap: Gap) -> None:
        self._states[:] = 2                     # after an overflow every level is unknown

    def _take(self) -> np.ndarray:
        data = self._out[:self._n].copy()
        self._n = 0
        return data

    def getData(self) -> np.ndarray:
        """n x (channels + 1) int64: [trigger time, state of each channel]; the rows are removed."""
        with self._engine.lock:
            return self._take()

    def getDataAsMask(self) -> np.ndarray:
        """n x 2 int64: [trigger time, bit k = channel k high, bit 63 = some channel unknown]; removed."""
        with self._engine.lock:
            data = self._take()
        states = data[:, 1:]
        mask = np.zeros(data.shape[0], np.int64)
        for k in range(states.shape[1]):
            mask |= (states[:, k] == 1).astype(np.int64) << k
        mask[np.any(states == 2, axis=1)] |= _UNDEFINED_BIT
        return np.stack((data[:, 0], mask), axis=1)

    def _parameters(self) -> dict:
        return {"trigger": self._trigger, "channels": self._channel_array.tolist(), "max_triggers": self._max}


class Scope(IteratorBase):
    """Edge traces of ``event_channels`` (physical; both edges) for ``window_size`` ps after a trigger.

    Each trace of a channel starts with an Event at time 0 giving the level at the trigger
    (UNKNOWN before the channel's first edge), then one Event per edge (HIGH after a rising, LOW
    after a falling edge), at most ``n_max_events`` per channel. A trigger during a trace is
    ignored. ``n_traces`` >= 1 traces are recorded, then ``ready()``; below 1 the scope re-triggers
    forever and keeps the latest trace. ``getData`` lists the traces as trace-major tuples:
    element ``trace * len(event_channels) + k`` is channel k's trace.
    """

    def __init__(self, tagger: TimeTaggerBase, event_channels: list[int], trigger_channel: int,
                 window_size: int = 1_000_000_000, n_traces: int = 1, n_max_events: int = 1000) -> None:
        super().__init__(tagger)
        numbers = _physical(tagger, "event_channels", event_channels)
        self._inputs = np.array([abs(c) for c in numbers], np.int32)
        self._trigger = tagger._check_channel("trigger_channel", trigger_channel)
        self._window = validation.positive_int("window_size", window_size, "ps")
        self._n_traces = validation.integer("n_traces", n_traces)
        self._n_max = validation.positive_int("n_max_events", n_max_events)
        validation.budget("n_traces x channels x n_max_events",
                          max(1, self._n_traces) * self._inputs.size * self._n_max, 64)
        self._clear_data()
        self._register()

    def _channels(self) -> set[int]:
        return {self._trigger, *self._inputs.tolist(), *(-self._inputs).tolist()}

    def _clear_data(self) -> None:
        self._level = {int(n): UNKNOWN for n in self._inputs}
        self._traces: list[list[list[Event]]] = []
        self._active: tuple[int, list[list[Event]]] | None = None
        self._triggered = 0

    def _record(self, ts: np.ndarray, ch: np.ndarray) -> None:
        begin, trace = self._active
        for k, n in enumerate(self._inputs.tolist()):
            mine = (ch == n) | (ch == -n)
            room = self._n_max + 1 - len(trace[k])          # the level at time 0 plus n_max edges
            for t, c in zip(ts[mine][:room].tolist(), ch[mine][:room].tolist()):
                trace[k].append(_event(t - begin, HIGH if c > 0 else LOW))

    def _follow(self, ts: np.ndarray, ch: np.ndarray) -> None:
        for n in self._inputs.tolist():
            edges = ch[(ch == n) | (ch == -n)]
            if edges.size:
                self._level[n] = HIGH if edges[-1] > 0 else LOW

    def _process(self, ts: np.ndarray, ch: np.ndarray, t0: int, t1: int) -> None:
        position = 0
        while position < ts.size:
            if self._active is None:
                if 0 < self._n_traces <= len(self._traces):
                    return
                hits = np.flatnonzero(ch[position:] == self._trigger)
                if not hits.size:
                    self._follow(ts[position:], ch[position:])
                    return
                at = position + int(hits[0])
                self._follow(ts[position:at], ch[position:at])
                begin = int(ts[at])
                self._active = (begin, [[_event(0, self._level[n])] for n in self._inputs.tolist()])
                self._triggered += 1
                position = at
            begin, trace = self._active
            end = int(np.searchsorted(ts, begin + self._window, side="left"))
            self._record(ts[position:end], ch[position:end])
            self._follow(ts[position:end], ch[position:end])
            if end >= ts.size and t1 < begin + self._window:
                return                            # the trace goes on in the next block
            self._traces = (self._traces + [trace])[-1:] if self._n_traces < 1 else self._traces + [trace]
            self._active = None
            position = end

    def _gap(self, gap: Gap) -> None:
        for n in self._level:
            self._level[n] = UNKNOWN

    def getData(self) -> tuple:
        """The recorded traces: tuples of ``Event``, trace-major (see the class docstring)."""
        with self._engine.lock:
            return tuple(tuple(channel) for trace in self._traces for channel in trace)

    def getWindowSize(self) -> int:
        """The ``window_size`` parameter (ps)."""
        return self._window

    def ready(self) -> bool:
        """True once all ``n_traces`` traces are recorded."""
        with self._engine.lock:
            return 0 < self._n_traces <= len(self._traces)

    def triggered(self) -> int:
        """How many trigger events started a trace so far."""
        with self._engine.lock:
            return self._triggered

    def _parameters(self) -> dict:
        return {"event_channels": self._inputs.tolist(), "trigger_channel": self._trigger,
                "window_size": self._window, "n_traces": self._n_traces, "n_max_events": self._n_max}
