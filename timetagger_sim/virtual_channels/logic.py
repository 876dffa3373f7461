"""Logic virtual channels: ``GatedChannels``/``GatedChannel``, ``Coincidences``/``Coincidence``,
``Combiner``, ``Combinations`` and ``ConditionalFilterChannel``.

Class hierarchy as in the library (``GatedChannel(GatedChannels)``, ``Coincidence(Coincidences)``,
``Combiner``), all on the simulator's ``VirtualChannel`` base (an ``IteratorBase``).
"""
from __future__ import annotations

import numpy as np

from .. import validation
from ..constants import CoincidenceTimestamp, GatedChannelInitial
from ..kernels import logic as km
from ..kernels.stream import NEVER, conditional_filter_mask
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


class ConditionalFilterChannel(VirtualChannel):
    """The conditional filter in software: a virtual copy of each ``filter_channels`` channel whose
    tags pass only if a ``trigger_channels`` tag came since that channel's previous passed tag."""

    def __init__(self, tagger: TimeTaggerBase, filter_channels: list[int] | int, trigger_channels: list[int]) -> None:
        super().__init__(tagger)
        self._filters = np.array(_input_channels(tagger, "filter_channels", filter_channels), np.int32)
        self._triggers = np.array(_input_channels(tagger, "trigger_channels", trigger_channels), np.int32)
        self._outputs = np.array([tagger._allocate_virtual_channel() for _ in self._filters], np.int32)
        order = np.argsort(self._filters)
        self._sorted_filters, self._sorted_outputs = self._filters[order], self._outputs[order]
        self._armed = np.zeros(self._filters.size, np.bool_)
        self._register()

    def getChannel(self) -> int:
        """The filtered copy of the first filter channel."""
        return int(self._outputs[0])

    def getChannels(self) -> list[int]:
        """The filtered copy of each filter channel, in order."""
        return self._outputs.tolist()

    def _channels(self) -> set[int]:
        return set(self._filters.tolist()) | set(self._triggers.tolist())

    def _transform(self, ts, ch, t0, t1):
        keep = conditional_filter_mask(ch, self._triggers, self._filters, self._armed)
        passed = keep & np.isin(ch, self._filters)
        return ts[passed], self._sorted_outputs[np.searchsorted(self._sorted_filters, ch[passed])]

    def _parameters(self) -> dict:
        return {"filter_channels": self._filters.tolist(), "trigger_channels": self._triggers.tolist()}


#: Most channels one ``Combinations`` may monitor (2^N - 1 + N virtual channels are reserved).
MAX_COMBINATION_CHANNELS = 20


class Combinations(VirtualChannel):
    """A tag for each combination of ``channels`` clicking together: clicks within ``window_size``
    of each other, with no click on these channels for ``window_size`` before and after. The tag
    (at the combination's last click) goes to the combination's virtual channel, once enabled by
    ``getChannel``/``getChannels``/``getChannelByMask``, and to the sum channel of its size.
    Multiple clicks of one channel in a combination count once.

    Simulator difference: the library emits the tag after the guard window has passed; a tag
    whose guard window ends in the next block is moved to that block's start, as for Coincidences.
    """

    def __init__(self, tagger: TimeTaggerBase, channels: list[int], window_size: int) -> None:
        super().__init__(tagger)
        inputs = _input_channels(tagger, "channels", channels)
        if len(set(inputs)) != len(inputs) or len(inputs) > MAX_COMBINATION_CHANNELS:
            raise ValueError(f"channels must list different channels, at most {MAX_COMBINATION_CHANNELS}, "
                             f"got {inputs}")
        self._inputs = np.array(inputs, np.int32)
        self._window = validation.integer("window_size", window_size)
        if self._window <= 0:
            raise ValueError(f"window_size {self._window} ps is out of range: allowed 1 ps or more")
        n = len(inputs)
        self._base = tagger._allocate_virtual_channels(2 ** n - 1 + n)
        self._enabled = np.zeros(2 ** n, np.bool_)
        offset = int(self._inputs.min())
        self._lookup = np.full(int(self._inputs.max()) - offset + 1, -1, np.int64)
        self._lookup[self._inputs - offset] = np.arange(n)
        self._lookup_offset = offset
        self._state = np.zeros(4, np.int64)
        self._register()

    def _mask_of(self, input_channels: object) -> int:
        numbers = validation.channel_list("input_channels", input_channels)
        unknown = [c for c in numbers if c not in self._inputs.tolist()]
        if not numbers or unknown:
            raise ValueError(f"input_channels {numbers} must be a non-empty subset of {self._inputs.tolist()}")
        return sum(1 << self._inputs.tolist().index(c) for c in set(numbers))

    def getChannelByMask(self, input_mask: int) -> int:
        """The virtual channel of the combination whose bit i is ``channels[i]`` (enables it)."""
        mask = validation.integer("input_mask", input_mask)
        if not 0 < mask < self._enabled.size:
            raise ValueError(f"input_mask {mask} is out of range: allowed 1 to {self._enabled.size - 1}")
        with self._engine.lock:
            self._enabled[mask] = True
        return self._base + mask - 1

    def getChannel(self, input_channels: list[int]) -> int:
        """The virtual channel of the combination of exactly ``input_channels`` (enables it)."""
        return self.getChannelByMask(self._mask_of(input_channels))

    def getChannels(self, list_of_input_channel_sets: list[list[int]]) -> list[int]:
        """The virtual channels of several combinations (enables them all)."""
        return [self.getChannel(group) for group in list_of_input_channel_sets]

    def getCombination(self, virtual_channel: int) -> list[int]:
        """The input channels of the combination a virtual channel monitors."""
        mask = validation.integer("virtual_channel", virtual_channel) - self._base + 1
        if not 0 < mask < self._enabled.size:
            raise ValueError(f"virtual_channel={virtual_channel} is not a combination channel of this object: "
                             f"allowed {self._base} to {self._base + self._enabled.size - 2}")
        return [int(c) for i, c in enumerate(self._inputs.tolist()) if mask >> i & 1]

    def getSumChannel(self, n_channels: int) -> int:
        """The virtual channel that gets a tag for every combination of exactly ``n_channels`` channels."""
        n = validation.integer("n_channels", n_channels)
        if not 1 <= n <= self._inputs.size:
            raise ValueError(f"n_channels {n} is out of range: allowed 1 to {self._inputs.size}")
        return self._base + self._enabled.size - 1 + n - 1

    def _channels(self) -> set[int]:
        return set(self._inputs.tolist())

    def _gap(self, gap) -> None:
        self._state[3] = 0                      # an overflow ends any combination in progress

    def _transform(self, ts, ch, t0, t1):
        times, masks = km.combinations(ts, ch, self._lookup, self._lookup_offset, self._window, self._state, t1)
        if not times.size:
            return times, np.empty(0, np.int32)
        times = np.maximum(times, t0)
        sizes = np.array([bin(int(m)).count("1") for m in masks.tolist()], np.int64)
        enabled = self._enabled[masks]
        out_t = np.concatenate((times[enabled], times))
        out_c = np.concatenate((self._base + masks[enabled] - 1, self._base + self._enabled.size - 2 + sizes))
        order = np.argsort(out_t, kind="stable")
        return out_t[order], out_c[order].astype(np.int32)

    def _parameters(self) -> dict:
        return {"channels": self._inputs.tolist(), "window_size": self._window}
