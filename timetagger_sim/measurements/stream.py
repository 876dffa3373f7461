"""``TimeTagStream`` and its ``TimeTagStreamBuffer``: a copy of the raw tag stream of some channels."""
from __future__ import annotations

import numpy as np

from .. import validation
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

    The simulator streams no error or overflow tags: every event type is 0 (``TagType.TimeTag``)
    and missed-event counts are 0; overflows are reported by ``TimeTagger.getOverflows``.
    """

    def __init__(self, timestamps: np.ndarray, channels: np.ndarray, t_start: int, t_get_data: int) -> None:
        self._timestamps = timestamps
        self._channels = channels
        self._t_start = int(t_start)
        self._t_get_data = int(t_get_data)

    @property
    def size(self) -> int:
        """Number of tags in the buffer."""
        return int(self._timestamps.size)

    @property
    def hasOverflows(self) -> bool:
        """True if a stream overflow affected these tags (never in the simulator's tag stream)."""
        return False

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
        """Event type of each tag (uint8; 0 = TimeTag)."""
        return np.zeros(self.size, np.uint8)

    def getMissedEvents(self) -> np.ndarray:
        """Missed events per tag during overflows (uint16; always 0 here)."""
        return np.zeros(self.size, np.uint16)

    def getOverflows(self) -> np.ndarray:
        """Deprecated form of ``getEventTypes`` (uint8)."""
        return np.zeros(self.size, np.uint8)


class TimeTagStream(IteratorBase):
    """Collects the tags of ``channels`` until ``getData`` hands them out (at most ``n_max_events``).

    Tags arriving while the buffer is full are discarded, as in the library.
    """

    def __init__(self, tagger: TimeTaggerBase, n_max_events: int, channels: list[int]) -> None:
        super().__init__(tagger)
        self._n_max = validation.positive_int("n_max_events", n_max_events)
        self._channel_array = checked_channels(tagger, channels)
        self._clear_data()
        self._register()

    def _channels(self) -> set[int]:
        return set(self._channel_array.tolist())

    def _clear_data(self) -> None:
        self._chunks: list[tuple[np.ndarray, np.ndarray]] = []
        self._count = 0
        self._t_start = self._engine.now

    def _process(self, ts: np.ndarray, ch: np.ndarray, t0: int, t1: int) -> None:
        room = self._n_max - self._count
        if room <= 0:
            return
        mine = np.isin(ch, self._channel_array)
        sel_ts, sel_ch = ts[mine][:room], ch[mine][:room]
        if sel_ts.size:
            self._chunks.append((sel_ts, sel_ch))
            self._count += sel_ts.size

    def getCounts(self) -> int:
        """Number of tags stored since the last ``getData``."""
        with self._engine.lock:
            return self._count

    def getData(self) -> TimeTagStreamBuffer:
        """The stored tags; the internal buffer starts empty again, so every tag is delivered once."""
        with self._engine.lock:
            if self._chunks:
                ts = np.concatenate([c[0] for c in self._chunks])
                ch = np.concatenate([c[1] for c in self._chunks])
            else:
                ts, ch = np.empty(0, np.int64), np.empty(0, np.int32)
            now = self._engine.now
            buffer = TimeTagStreamBuffer(ts, ch.astype(np.int32, copy=False), self._t_start, now)
            self._chunks, self._count, self._t_start = [], 0, now
            return buffer

    def _parameters(self) -> dict:
        return {"n_max_events": self._n_max, "channels": self._channel_array.tolist()}
