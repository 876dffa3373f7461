"""Logic virtual channels: ``GatedChannels``/``GatedChannel``, ``Coincidences``/``Coincidence``, ``Combiner``.

Class hierarchy as in the library (``GatedChannel(GatedChannels)``, ``Coincidence(Coincidences)``,
``Combiner``), all on the simulator's ``VirtualChannel`` base (an ``IteratorBase``).
"""
from __future__ import annotations

import numpy as np

from .. import validation
from ..constants import CoincidenceTimestamp, GatedChannelInitial
from ..kernels import logic as km
from ..kernels.stream import NEVER
from ..taggers.base import TimeTaggerBase
from .base import VirtualChannel

#: The library's limit on distinct channels in one ``Coincidences``.
MAX_COINCIDENCE_CHANNELS = 64


def _input_channels(tagger: TimeTaggerBase, name: str, channels: object) -> list[int]:
    numbers = validation.channel_list(name, channels)
    if not numbers:
        raise ValueError(f"{name} must name at least one channel, got an empty list")
    return [tagger._check_channel(name, c) for c in numbers]


class GatedChannels(VirtualChannel):
    """Copies of ``input_channels`` that pass only while the gate is open.

    A ``gate_start_channel`` tag opens the gate, a ``gate_stop_channel`` tag closes it (edges,
    not levels). An input tag is judged on the gate state before it, then may toggle the gate
    if it is also a gate channel, as the library documents. Simulator difference: the library
    resets the gate to ``initial`` on a stream overflow; the simulator's overflows drop tags
    before the virtual channels and leave the gate as it was.
    """

    def __init__(self, tagger: TimeTaggerBase, input_channels: list[int], gate_start_channel: int,
                 gate_stop_channel: int, initial: GatedChannelInitial = GatedChannelInitial.Closed) -> None:
        super().__init__(tagger)
        self._inputs = np.array(_input_channels(tagger, "input_channels", input_channels), np.int32)
        self._open_ch = tagger._check_channel("gate_start_channel", gate_start_channel)
        self._close_ch = tagger._check_channel("gate_stop_channel", gate_stop_channel)
        if self._open_ch == self._close_ch:
            raise ValueError(f"gate_start_channel and gate_stop_channel are both {self._open_ch}: "
                             "they must be different channels")
        try:
            self._initial = GatedChannelInitial(validation.integer("initial", initial))
        except ValueError:
            raise ValueError(f"initial={initial!r} is not allowed: use GatedChannelInitial.Closed (0) "
                             "or GatedChannelInitial.Open (1)") from None
        self._outputs = np.array([tagger._allocate_virtual_channel() for _ in self._inputs], np.int32)
        self._state = np.array([int(self._initial)], np.int64)
        self._register()

    def getChannels(self) -> list[int]:
        """The virtual channel of each input channel, in order."""
        return self._outputs.tolist()

    def _channels(self) -> set[int]:
        return set(self._inputs.tolist()) | {self._open_ch, self._close_ch}

    def _transform(self, ts, ch, t0, t1):
        return km.gate(ts, ch, self._inputs, self._outputs, self._open_ch, self._close_ch, self._state)

    def _parameters(self) -> dict:
        return {"input_channels": self._inputs.tolist(), "gate_start_channel": self._open_ch,
                "gate_stop_channel": self._close_ch, "initial": int(self._initial)}


class GatedChannel(GatedChannels):
    """Single-channel form of ``GatedChannels``."""

    def __init__(self, tagger: TimeTaggerBase, input_channel: int, gate_start_channel: int,
                 gate_stop_channel: int, initial: GatedChannelInitial = GatedChannelInitial.Closed) -> None:
        super().__init__(tagger, [validation.integer("input_channel", input_channel)], gate_start_channel,
                         gate_stop_channel, initial)

    def getChannel(self) -> int:
        """The gated virtual channel."""
        return int(self._outputs[0])


class Coincidences(VirtualChannel):
    """One virtual channel per group of channels, with a tag whenever a group coincides.

    A tag on a group member completes a coincidence when the latest tag of every other member
    came at most ``coincidenceWindow`` ps before it; tags are not used up, so a further tag
    within the window makes another coincidence. The coincidence's time is that of the
    completing tag (Last), the mean of the members' latest tags (Average), the earliest of them
    (First) or that of the group's first listed channel (ListedFirst).
    Simulator difference: the library delays its output so that First/Average/ListedFirst
    stamps can precede the completing tag; the simulator streams in blocks, so such a stamp
    that would fall into the previous block is moved to the block's start time.
    """

    def __init__(self, tagger: TimeTaggerBase, coincidenceGroups: list[list[int]], coincidenceWindow: int,
                 timestamp: CoincidenceTimestamp = CoincidenceTimestamp.Last) -> None:
        super().__init__(tagger)
        groups = self._checked_groups(tagger, coincidenceGroups)
        self._window = self._checked_window(coincidenceWindow)
        try:
            self._mode = CoincidenceTimestamp(validation.integer("timestamp", timestamp))
        except ValueError:
            raise ValueError(f"timestamp={timestamp!r} is not allowed: use CoincidenceTimestamp.Last, "
                             "Average, First or ListedFirst (0..3)") from None
        self._groups = groups
        slots = sorted({c for group in groups for c in group})
        self._lookup_offset = slots[0]
        self._lookup = np.full(slots[-1] - slots[0] + 1, -1, np.int64)
        self._lookup[np.array(slots) - slots[0]] = np.arange(len(slots))
        width = max(len(g) for g in groups)
        self._group_slots = np.zeros((len(groups), width), np.int64)
        for g, group in enumerate(groups):
            self._group_slots[g, :len(group)] = self._lookup[np.array(group) - slots[0]]
        self._group_sizes = np.array([len(g) for g in groups], np.int64)
        self._last = np.full(len(slots), NEVER, np.int64)
        self._outputs = np.array([tagger._allocate_virtual_channel() for _ in groups], np.int32)
        self._register()

    @staticmethod
    def _checked_groups(tagger: TimeTaggerBase, groups: object) -> list[list[int]]:
        if isinstance(groups, (str, bytes)) or not hasattr(groups, "__iter__"):
            raise TypeError(f"coincidenceGroups must be a list of channel lists, got {groups!r}")
        result = [_input_channels(tagger, "coincidenceGroups", g) for g in groups]
        if not result:
            raise ValueError("coincidenceGroups must contain at least one group of channels")
        for group in result:
            if len(set(group)) != len(group) or len(group) < 2:
                raise ValueError(f"coincidence group {group} must list at least two different channels")
        distinct = {c for group in result for c in group}
        if len(distinct) > MAX_COINCIDENCE_CHANNELS:
            raise ValueError(f"coincidenceGroups use {len(distinct)} different channels: allowed are at most "
                             f"{MAX_COINCIDENCE_CHANNELS}")
        return result

    @staticmethod
    def _checked_window(window: object) -> int:
        value = validation.integer("coincidenceWindow", window)
        if value < 0:
            raise ValueError(f"coincidenceWindow {value} ps is out of range: allowed 0 ps or more")
        return value

    def getChannels(self) -> list[int]:
        """The virtual channel of each coincidence group, in order."""
        return self._outputs.tolist()

    def setCoincidenceWindow(self, coincidenceWindow: int) -> None:
        """Change the coincidence window (ps, >= 0)."""
        value = self._checked_window(coincidenceWindow)
        with self._engine.lock:
            self._window = value

    def _channels(self) -> set[int]:
        return {c for group in self._groups for c in group}

    def _transform(self, ts, ch, t0, t1):
        out_t, out_c = km.coincidences(ts, ch, self._lookup, self._lookup_offset, self._group_slots,
                                       self._group_sizes, self._outputs, self._window, int(self._mode),
                                       self._last)
        if self._mode != CoincidenceTimestamp.Last and out_t.size:
            np.maximum(out_t, t0, out=out_t)
            order = np.argsort(out_t, kind="stable")
            out_t, out_c = out_t[order], out_c[order]
        return out_t, out_c

    def _parameters(self) -> dict:
        return {"coincidenceGroups": self._groups, "coincidenceWindow": self._window,
                "timestamp": int(self._mode)}


class Coincidence(Coincidences):
    """Single-group form of ``Coincidences``."""

    def __init__(self, tagger: TimeTaggerBase, channels: list[int], coincidenceWindow: int = 1000,
                 timestamp: CoincidenceTimestamp = CoincidenceTimestamp.Last) -> None:
        super().__init__(tagger, [validation.channel_list("channels", channels)], coincidenceWindow, timestamp)

    def getChannel(self) -> int:
        """The coincidence virtual channel."""
        return int(self._outputs[0])


class Combiner(VirtualChannel):
    """A virtual channel with a tag for every tag on any of ``channels`` (OR)."""

    def __init__(self, tagger: TimeTaggerBase, channels: list[int]) -> None:
        super().__init__(tagger)
        self._inputs = np.array(_input_channels(tagger, "channels", channels), np.int32)
        self._counts = np.zeros(self._inputs.size, np.int64)
        self._channel = tagger._allocate_virtual_channel()
        self._register()

    def getChannel(self) -> int:
        """The combined virtual channel."""
        return self._channel

    def getChannelCounts(self) -> np.ndarray:
        """Tags passed on from each input channel since creation or ``clear`` (int64)."""
        with self._engine.lock:
            return self._counts.copy()

    def getData(self) -> np.ndarray:
        """Deprecated form of ``getChannelCounts``."""
        return self.getChannelCounts()

    def _clear_data(self) -> None:
        self._counts[:] = 0

    def _channels(self) -> set[int]:
        return set(self._inputs.tolist())

    def _transform(self, ts, ch, t0, t1):
        mine = np.isin(ch, self._inputs)
        picked = ch[mine]
        self._counts += np.array([np.count_nonzero(picked == c) for c in self._inputs], np.int64)
        return self._emit(ts[mine], self._channel)

    def _parameters(self) -> dict:
        return {"channels": self._inputs.tolist()}
