"""``TimeTagStream`` and its ``TimeTagStreamBuffer``: a copy of the raw tag stream of some channels."""
from __future__ import annotations

import numpy as np

from .. import logger, validation
from ..constants import LOGGER_WARNING, TagType
from ..engine.blocks import Gap, gap_records
from ..iterator import IteratorBase
from ..taggers.base import TimeTaggerBase


def checked_channels(tagger: TimeTaggerBase, channels: object) -> np.ndarray:
    """Validated, non-empty channel list (int32)."""
    numbers = validation.channel_list("channels", channels)
    if not numbers:
        raise ValueError("channels must name at least one channel, got an empty list")
    return np.array([tagger._check_channel("channels", c) for c in numbers], dtype=np.int32)


class TimeTagStreamBuffer:
    """Tags handed out by one ``TimeTagStream.getData`` (or ``FileReader.getData``) call.

    An overflow appears as the library's records: ``OverflowBegin``, one ``MissedEvents`` record
    per channel that lost tags (``getMissedEvents``: how many), ``OverflowEnd`` (``getEventTypes``
    gives each record's ``TagType``).
    """

    def __init__(self, timestamps: np.ndarray, channels: np.ndarray, t_start: int, t_get_data: int,
                 event_types: np.ndarray | None = None, missed_events: np.ndarray | None = None) -> None:
        self._timestamps = timestamps
        self._channels = channels
        self._types = np.zeros(timestamps.size, np.uint8) if event_types is None else event_types
        self._missed = np.zeros(timestamps.size, np.uint16) if missed_events is None else missed_events
        self._t_start = int(t_start)
        self._t_get_data = int(t_get_data)

    @property
    def size(self) -> int:
        """Number of tags in the buffer."""
        return int(self._timestamps.size)

    @property
    def hasOverflows(self) -> bool:
        """True if the buffer holds an overflow (independent of the TimeTagStream's own buffer filling up)."""
        return bool(np.any(self._types != TagType.TimeTag))

    @property
    def tStart(self) -> int:
        """Stream time (ps) from which this buffer collected tags."""
        return self._t_start

    @property
    def tGetData(self) -> int:
        """Stream time (ps) up to which this buffer collected tags (the ``getData`` call)."""
        return self._t_get_data

    def getTimestamps(self) -> np.ndarray:
        """Tag times in ps (int64)."""
        return self._timestamps.copy()

    def getChannels(self) -> np.ndarray:
        """Channel of each tag (int32)."""
        return self._channels.copy()

    def getEventTypes(self) -> np.ndarray:
        """Event type of each record (uint8; ``TagType``: 0 TimeTag, 2/3 OverflowBegin/End, 4 MissedEvents)."""
        return self._types.copy()

    def getMissedEvents(self) -> np.ndarray:
        """Tags missed on the record's channel, for ``MissedEvents`` records (uint16; else 0)."""
        return self._missed.copy()

    def getOverflows(self) -> np.ndarray:
        """Deprecated form of ``getEventTypes`` (uint8)."""
        return self.getEventTypes()


class TimeTagStream(IteratorBase):
    """Collects the tags of ``channels`` until ``getData`` hands them out (at most ``n_max_events``).

    Tags arriving while the buffer is full are discarded, as in the library (and reported once
    per ``getData`` period through the logger).
    """

    def __init__(self, tagger: TimeTaggerBase, n_max_events: int, channels: list[int]) -> None:
        super().__init__(tagger)
        self._n_max = validation.budget("n_max_events", validation.positive_int("n_max_events", n_max_events), 16)
        self._channel_array = checked_channels(tagger, channels)
        self._clear_data()
        self._register()

    def _channels(self) -> set[int]:
        return set(self._channel_array.tolist())

    def _clear_data(self) -> None:
        self._chunks: list[tuple[np.ndarray, ...]] = []
        self._count = 0
        self._discarded = 0
        self._t_start = self._engine.now

    def _keep(self, chunk: tuple[np.ndarray, ...]) -> None:
        room = self._n_max - self._count
        taken = tuple(a[:room] for a in chunk)
        if taken[0].size:
            self._chunks.append(taken)
            self._count += taken[0].size
        if chunk[0].size > room:
            if not self._discarded:
                logger.log(LOGGER_WARNING, f"TimeTagStream: buffer of {self._n_max} events full, "
                                           "tags are discarded until getData() empties it")
            self._discarded += chunk[0].size - room

    def _process(self, ts: np.ndarray, ch: np.ndarray, t0: int, t1: int) -> None:
        mine = np.isin(ch, self._channel_array)
        if mine.any():
            self._keep((ts[mine], ch[mine]))

    def _gap(self, gap: Gap) -> None:
        records = gap_records(Gap(gap.begin, gap.end, *_only(gap, self._channel_array)))
        self._keep((records["time"], records["channel"], records["type"], records["missed_events"]))

    def getCounts(self) -> int:
        """Number of tags stored since the last ``getData``."""
        with self._engine.lock:
            return self._count

    def getData(self) -> TimeTagStreamBuffer:
        """The stored tags; the internal buffer starts empty again, so every tag is delivered once."""
        with self._engine.lock:
            now = self._engine.now
            buffer = TimeTagStreamBuffer(*joined(self._chunks)[:2], self._t_start, now, *joined(self._chunks)[2:])
            self._chunks, self._count, self._discarded, self._t_start = [], 0, 0, now
            return buffer

    def _parameters(self) -> dict:
        return {"n_max_events": self._n_max, "channels": self._channel_array.tolist()}


def _only(gap: Gap, channels: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The missed counts of ``gap`` restricted to ``channels``."""
    keep = np.isin(gap.channels, channels)
    return gap.channels[keep], gap.missed[keep]


def joined(chunks: list[tuple[np.ndarray, ...]]) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """(timestamps, channels, event types, missed events) of chunks of tags (2 arrays) or records (4)."""
    if not chunks:
        return np.empty(0, np.int64), np.empty(0, np.int32), np.empty(0, np.uint8), np.empty(0, np.uint16)
    ts = np.concatenate([c[0] for c in chunks]).astype(np.int64, copy=False)
    ch = np.concatenate([c[1] for c in chunks]).astype(np.int32, copy=False)
    types = np.concatenate([c[2] if len(c) > 2 else np.zeros(c[0].size, np.uint8) for c in chunks])
    missed = np.concatenate([c[3] if len(c) > 3 else np.zeros(c[0].size, np.uint16) for c in chunks])
    return ts, ch, types.astype(np.uint8, copy=False), missed.astype(np.uint16, copy=False)


def buffer_from_records(records: np.ndarray, t_start: int, t_get_data: int) -> TimeTagStreamBuffer:
    """A buffer of the library's tag records (``TAG_DTYPE``)."""
    return TimeTagStreamBuffer(records["time"].astype(np.int64), records["channel"].astype(np.int32), t_start,
                               t_get_data, records["type"].astype(np.uint8),
                               records["missed_events"].astype(np.uint16))


#: Most timestamps an ``Iterator`` queues before it drops new ones (16 Mi, 128 MiB).
MAX_ITERATOR_QUEUE = 1 << 24


class Iterator(IteratorBase):
    """A first-in first-out queue of the timestamps of one channel (deprecated: use TimeTagStream).

    Holds at most ``MAX_ITERATOR_QUEUE`` timestamps; more are dropped (and reported once).
    """

    def __init__(self, tagger: TimeTaggerBase, channel: int) -> None:
        super().__init__(tagger)
        self._channel = tagger._check_channel("channel", channel)
        self._clear_data()
        self._register()

    def _channels(self) -> set[int]:
        return {self._channel}

    def _clear_data(self) -> None:
        self._chunks: list[np.ndarray] = []
        self._head = 0
        self._count = 0

    def _process(self, ts: np.ndarray, ch: np.ndarray, t0: int, t1: int) -> None:
        mine = ts[ch == self._channel]
        room = MAX_ITERATOR_QUEUE - self._count
        if mine.size > room:
            logger.log(LOGGER_WARNING, f"Iterator on channel {self._channel}: queue full "
                                       f"({MAX_ITERATOR_QUEUE} timestamps), dropping new ones", once_per_s=1.0)
            mine = mine[:room]
        if mine.size:
            self._chunks.append(mine)
            self._count += mine.size

    def next(self) -> int:
        """Take the oldest queued timestamp (ps); raises if the queue is empty (see ``size``)."""
        with self._engine.lock:
            if not self._count:
                raise RuntimeError(f"The Iterator of channel {self._channel} is empty: check size() first")
            value = int(self._chunks[0][self._head])
            self._head += 1
            self._count -= 1
            if self._head == self._chunks[0].size:
                self._chunks.pop(0)
                self._head = 0
            return value

    def size(self) -> int:
        """Number of queued timestamps."""
        with self._engine.lock:
            return self._count

    def _parameters(self) -> dict:
        return {"channel": self._channel}


class Tag:
    """A single event on a channel: ``Tag()``, ``Tag(ts, ch, type=TimeTag)`` or
    ``Tag(type, reserved, missed_events, ch, ts)``, as the library's overloads."""

    Type_TimeTag = int(TagType.TimeTag)
    Type_Error = int(TagType.Error)
    Type_OverflowBegin = int(TagType.OverflowBegin)
    Type_OverflowEnd = int(TagType.OverflowEnd)
    Type_MissedEvents = int(TagType.MissedEvents)

    def __init__(self, *args) -> None:
        if len(args) == 0:
            values = (TagType.TimeTag, 0, 0, 0, 0)
        elif len(args) in (2, 3):
            values = (args[2] if len(args) == 3 else TagType.TimeTag, 0, 0, args[1], args[0])
        elif len(args) == 5:
            values = args
        else:
            raise TypeError(f"Tag takes (), (ts, ch[, type]) or (type, reserved, missed_events, ch, ts); "
                            f"got {len(args)} arguments")
        self.type, self.reserved, self.missed_events, self.channel, self.time = values

    @property
    def type(self) -> int:
        """The TagType of the event."""
        return self._type

    @type.setter
    def type(self, value: int) -> None:
        self._type = int(TagType(validation.integer("type", value)))

    @property
    def reserved(self) -> int:
        """8 bits reserved for future use (0)."""
        return self._reserved

    @reserved.setter
    def reserved(self, value: int) -> None:
        self._reserved = validation.integer("reserved", value) & 0xFF

    @property
    def missed_events(self) -> int:
        """Events missed on the channel in an overflow (MissedEvents tags)."""
        return self._missed

    @missed_events.setter
    def missed_events(self, value: int) -> None:
        self._missed = int(validation.in_range("missed_events", validation.integer("missed_events", value), 0, 65535))

    @property
    def channel(self) -> int:
        """The channel number."""
        return self._channel

    @channel.setter
    def channel(self, value: int) -> None:
        self._channel = validation.integer("channel", value)

    @property
    def time(self) -> int:
        """The timestamp in ps."""
        return self._time

    @time.setter
    def time(self, value: int) -> None:
        self._time = validation.integer("time", value)

    def __repr__(self) -> str:
        return (f"Tag(type={TagType(self._type).name}, missed_events={self._missed}, channel={self._channel}, "
                f"time={self._time})")
