"""One block of the tag stream: time-ordered tags of stream time [t0, t1) and its overflow gaps.

In an overflow interval (a ``Gap``) the hardware loses the timing of every tag and reports only how
many tags each channel missed, as the library's ``OverflowBegin`` / ``MissedEvents`` /
``OverflowEnd`` tags do. Tags never lie inside a gap. ``records`` turns a block into the library's
16-byte tag records (``CustomMeasurement.INCOMING_TAGS_DTYPE``).
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from ..constants import TagType

EMPTY_TS = np.empty(0, np.int64)
EMPTY_CH = np.empty(0, np.int32)
#: Channel number of the OverflowBegin/OverflowEnd records (they belong to no input).
OVERFLOW_CHANNEL = 0
#: The library's tag record: type, (a reserved byte), missed_events, channel, time; 16 bytes,
#: little-endian (``CustomMeasurement.INCOMING_TAGS_DTYPE``).
TAG_DTYPE = np.dtype({"names": ["type", "missed_events", "channel", "time"],
                      "formats": ["u1", "<u2", "<i4", "<i8"], "offsets": [0, 2, 4, 8], "itemsize": 16},
                     align=True)
_MAX_MISSED_PER_RECORD = np.iinfo(np.uint16).max


@dataclass
class Gap:
    """An overflow interval [begin, end): its tags are lost, only their number per channel is known."""

    begin: int
    end: int
    channels: np.ndarray = field(default_factory=lambda: EMPTY_CH)   #: int32
    missed: np.ndarray = field(default_factory=lambda: EMPTY_TS)     #: int64 tags missed per channel

    def total_missed(self) -> int:
        return int(self.missed.sum())

    def missed_on(self, channels: np.ndarray) -> np.ndarray:
        """Tags missed on each of ``channels`` (int64, 0 for channels without losses)."""
        counts = np.zeros(channels.size, np.int64)
        for channel, missed in zip(self.channels.tolist(), self.missed.tolist()):
            counts[channels == channel] += missed
        return counts


def gap_from_tags(begin: int, end: int, ch: np.ndarray) -> Gap:
    """A gap that lost the tags of channels ``ch`` (one entry per lost tag)."""
    channels, counts = np.unique(ch, return_counts=True)
    return Gap(int(begin), int(end), channels.astype(np.int32), counts.astype(np.int64))


class Block:
    """Stream time [t0, t1): time-ordered tags (``ts`` int64 ps, ``ch`` int32) and overflow gaps."""

    __slots__ = ("t0", "t1", "ts", "ch", "gaps")

    def __init__(self, t0: int, t1: int, ts: np.ndarray = EMPTY_TS, ch: np.ndarray = EMPTY_CH,
                 gaps: list[Gap] | None = None) -> None:
        self.t0 = int(t0)
        self.t1 = int(t1)
        self.ts = ts
        self.ch = ch
        self.gaps = gaps or []

    def segments(self) -> list:
        """Tag runs ``(ts, ch, a, b)`` between the gaps, and the ``Gap`` objects, in time order."""
        if not self.gaps:
            return [(self.ts, self.ch, self.t0, self.t1)]
        parts: list = []
        start, lo = self.t0, 0
        for gap in self.gaps:
            hi = int(np.searchsorted(self.ts, gap.begin, side="left"))
            if gap.begin > start:
                parts.append((self.ts[lo:hi], self.ch[lo:hi], start, gap.begin))
            parts.append(gap)
            start, lo = gap.end, int(np.searchsorted(self.ts, gap.end, side="left"))
        if self.t1 > start:
            parts.append((self.ts[lo:], self.ch[lo:], start, self.t1))
        return parts

    def split(self, max_tags: int) -> list[Block]:
        """Consecutive blocks of at most ``max_tags`` tags (the stream block size of the library)."""
        if self.ts.size <= max_tags:
            return [self]
        cuts = [self.t0] + self.ts[max_tags::max_tags].tolist() + [self.t1]
        blocks, lo = [], 0
        for a, b in zip(cuts[:-1], cuts[1:]):
            if b <= a:
                continue
            hi = int(np.searchsorted(self.ts, b, side="left"))
            gaps = [g for g in self.gaps if a <= g.begin < b]
            blocks.append(Block(a, b, self.ts[lo:hi], self.ch[lo:hi], gaps))
            lo = hi
        return blocks


def gap_records(gap: Gap) -> np.ndarray:
    """OverflowBegin, then MissedEvents per channel (split at 65535), then OverflowEnd."""
    counts, channels = [], []
    for channel, missed in zip(gap.channels.tolist(), gap.missed.tolist()):
        while missed > 0:
            counts.append(min(missed, _MAX_MISSED_PER_RECORD))
            channels.append(channel)
            missed -= counts[-1]
    out = np.zeros(len(counts) + 2, TAG_DTYPE)
    out["type"] = TagType.MissedEvents
    out["type"][0], out["type"][-1] = TagType.OverflowBegin, TagType.OverflowEnd
    out["channel"] = [OVERFLOW_CHANNEL, *channels, OVERFLOW_CHANNEL]
    out["missed_events"][1:-1] = counts
    out["time"] = gap.end
    out["time"][0] = gap.begin
    return out


def records(segments: list) -> np.ndarray:
    """The library's tag records of a list of segments (see ``Block.segments``)."""
    parts = []
    for segment in segments:
        if isinstance(segment, Gap):
            parts.append(gap_records(segment))
        else:
            ts, ch = segment[0], segment[1]
            part = np.zeros(ts.size, TAG_DTYPE)
            part["channel"] = ch
            part["time"] = ts
            parts.append(part)
    return np.concatenate(parts) if len(parts) != 1 else parts[0]


def merged_gaps(gaps: list[Gap]) -> list[Gap]:
    """Time-ordered gaps with overlapping ones joined (their missed counts added)."""
    out: list[Gap] = []
    for gap in sorted(gaps, key=lambda g: g.begin):
        if out and gap.begin <= out[-1].end:
            last = out[-1]
            out[-1] = Gap(last.begin, max(last.end, gap.end), np.concatenate((last.channels, gap.channels)),
                          np.concatenate((last.missed, gap.missed)))
        else:
            out.append(gap)
    return out
