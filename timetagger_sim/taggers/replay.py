"""Replaying recorded files: the queue of a ``TimeTaggerVirtual`` and its software input stage.

A recording (``FileWriter``, ``mergeStreamFiles``) knows the stream time each block covered. The
replay keeps the original timestamps whenever the virtual tagger's stream has not passed them yet,
and otherwise moves a file later as a whole, so the stream stays monotonic; time a recording does
not cover (the writer was stopped) is skipped, not processed, so measurements on the replay see the
capture the original measurements saw. ``begin`` skips into a file (negative: an empty pause
first), ``duration`` bounds the replayed stretch. Files are read block by block: memory does not
grow with a recording's length.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Iterator

import numpy as np

from .. import fileformat as ff
from ..engine.blocks import EMPTY_CH, EMPTY_TS, Block, Gap
from ..kernels import stream as kernels
from .inputs import InputSettings, InputStage, outside_gaps

_FOREVER = 1 << 62


@dataclass
class Replay:
    """One queued file (or sequence): its files and the stretch of them to replay."""

    ident: int
    paths: list[str]
    begin: int
    duration: int
    end: int | None = None          #: stream time its replay ends (known once it is read to the end)


@dataclass
class Piece:
    """Stream time [start, end) the replay covers: its tags (stream time), or an overflow, or a pause."""

    start: int
    end: int
    ts: np.ndarray = field(default_factory=lambda: EMPTY_TS)
    ch: np.ndarray = field(default_factory=lambda: EMPTY_CH)
    gap: Gap | None = None
    replay: Replay | None = None


@dataclass
class ReplayQueue:
    """The files a virtual tagger replays, turned into pieces of stream time, read as needed."""

    channels: set[int]
    queue: list[Replay] = field(default_factory=list)
    running: bool = False
    speed: float = -1.0
    missed: int = 0
    base: int = 0                                 #: stream time the next replay may start at
    _pieces: list[Piece] = field(default_factory=list)
    _source: Iterator[Piece] | None = None
    _playing: list[Replay] = field(default_factory=list)
    _done: set[int] = field(default_factory=set)
    _next_id: int = 1
    _now: int = 0

    @property
    def ever_queued(self) -> bool:
        return self._next_id > 1

    def append(self, filename: str, begin: int, duration: int, clear: bool) -> int:
        paths, _ = ff.expand(filename)
        if clear:
            self.stop()
        replay = Replay(self._next_id, paths, begin, duration)
        self._next_id += 1
        self.queue.append(replay)
        return replay.ident

    def pending(self) -> list[int]:
        return [r.ident for r in self._playing + self.queue if r.ident not in self._done]

    def active(self) -> bool:
        return bool(self.pending())

    def stop(self) -> None:
        self._done |= {r.ident for r in self._playing + self.queue}
        self._playing, self.queue, self._pieces, self._source = [], [], [], None

    def finished(self, ident: int) -> bool:
        return not self.pending() if ident == 0 else ident in self._done or ident >= self._next_id

    # -- pieces -------------------------------------------------------------------------------
    def _pieces_of(self, replay: Replay) -> Iterator[Piece]:
        items = (item for item in ff.records(replay.paths) if not isinstance(item, str))
        first = next(items, None)
        if first is None:
            replay.end = self.base
            return
        start = first.t0 if isinstance(first, ff.Span) else first.begin
        f_begin = start + replay.begin
        f_end = f_begin + replay.duration if replay.duration >= 0 else _FOREVER
        offset = max(0, self.base - f_begin)
        if replay.begin < 0:
            yield Piece(f_begin + offset, start + offset, replay=replay)
        last = f_begin + offset
        for item in _chain(first, items):
            is_span = isinstance(item, ff.Span)
            a, b = (item.t0, item.t1) if is_span else (item.begin, item.end)
            a, b = max(a, f_begin), min(b, f_end)
            if a >= f_end:
                break
            if b <= a:
                continue
            if is_span:
                lo, hi = np.searchsorted(item.ts, [a, b], "left")
                ts, ch = item.ts[lo:hi], item.ch[lo:hi]
                keep = np.isin(ch, list(self.channels))
                yield Piece(a + offset, b + offset, ts[keep] + offset, ch[keep], replay=replay)
            else:
                keep = np.isin(item.channels, list(self.channels))
                gap = Gap(a + offset, b + offset, item.channels[keep], item.missed[keep])
                yield Piece(a + offset, b + offset, gap=gap, replay=replay)
            last = b + offset
        replay.end = last

    def _all_pieces(self) -> Iterator[Piece]:
        while self.queue:
            replay = self.queue.pop(0)
            self._playing.append(replay)
            yield from self._pieces_of(replay)
            self.base = replay.end

    def _load_until(self, t: int) -> bool:
        """Read pieces until they reach ``t``; False if the queue ran out first."""
        if self._source is None:
            self._source = self._all_pieces()
        while not self._pieces or self._pieces[-1].end < t:
            piece = next(self._source, None)
            if piece is None:
                self._source = None
                return False
            self._pieces.append(piece)
        return True

    def _complete_until(self, now: int) -> None:
        self._now = now
        for replay in self._playing:
            if replay.end is not None and replay.end <= now and not any(p.replay is replay for p in self._pieces
                                                                         if p.end > now):
                self._done.add(replay.ident)
        self._playing = [r for r in self._playing if r.ident not in self._done]

    def start(self, now: int) -> None:
        """``run()``: the next replay may keep its original times only from ``now`` on."""
        if not self._pieces and self._source is None:
            self.base = max(self.base, now)

    def window(self, now: int, t1: int) -> tuple[int, int] | None:
        """The next stream window with replayed data, starting at ``now`` or later (a skip)."""
        self._pieces = [p for p in self._pieces if p.end > now]
        self._load_until(now + 1)
        self._pieces = [p for p in self._pieces if p.end > now]
        self._complete_until(now)
        if not self._pieces:
            return None
        piece = self._pieces[0]
        if piece.start > now:
            return piece.start, piece.start           # recorded time resumes later: skip to it
        return now, min(t1, piece.end)

    def take(self, t0: int, t1: int) -> tuple[np.ndarray, np.ndarray, list[Gap]]:
        """The replayed tags and overflows in [t0, t1) (ahead of ``window`` if a stage reads ahead)."""
        self._load_until(t1)
        parts_t, parts_c, gaps = [], [], []
        for piece in self._pieces:
            if piece.start >= t1:
                break
            if piece.end <= t0:
                continue
            if piece.gap is not None:
                first = t0 <= piece.gap.begin
                if first:
                    self.missed += piece.gap.total_missed()
                gaps.append(Gap(max(t0, piece.start), min(t1, piece.end), piece.gap.channels if first else EMPTY_CH,
                                piece.gap.missed if first else EMPTY_TS))
            else:
                lo, hi = np.searchsorted(piece.ts, [t0, t1], "left")
                parts_t.append(piece.ts[lo:hi])
                parts_c.append(piece.ch[lo:hi])
        if not parts_t:
            return EMPTY_TS, EMPTY_CH, gaps
        return np.concatenate(parts_t), np.concatenate(parts_c), gaps


def _chain(first, rest):
    yield first
    yield from rest


class VirtualInputs:
    """The input side of a virtual tagger: replayed tags and simulated signals, then the software
    dead time and conditional filter (the settings a virtual tagger applies in software)."""

    def __init__(self, settings: InputSettings, queue: ReplayQueue, simulation: InputStage) -> None:
        self.queue = queue
        self.simulation = simulation
        self._last: dict[int, int] = {}
        self._armed = np.zeros(0, np.bool_)

    @property
    def settings(self) -> InputSettings:
        return self.simulation.settings

    @settings.setter
    def settings(self, value: InputSettings) -> None:
        self.simulation.settings = value

    @property
    def overflows(self) -> int:
        return self.queue.missed

    @overflows.setter
    def overflows(self, value: int) -> None:
        self.queue.missed = value

    def reset_state(self) -> None:
        self.simulation.reset_state()
        self._last.clear()
        self.reset_filter()

    def reset_filter(self) -> None:
        self._armed = np.zeros(len(self.settings.filter_filtered), np.bool_)

    def produce(self, t0: int, t1: int, needed: set[int]) -> Block:
        simulated = self.simulation.produce(t0, t1, needed)
        ts, ch, gaps = self.queue.take(t0, t1)
        if simulated.ts.size:
            if gaps:
                simulated.ts, simulated.ch = outside_gaps(simulated.ts, simulated.ch, gaps)
            bounds = np.array([0, ts.size, ts.size + simulated.ts.size])
            ts, ch = kernels.merge_sorted_runs(np.concatenate((ts, simulated.ts)),
                                               np.concatenate((ch, simulated.ch)), bounds)
        s = self.settings
        deadtimes = {c: d for c, d in s.deadtime.items() if d > 0}
        if deadtimes and ts.size:
            channels = np.array(sorted(deadtimes), np.int32)
            last = np.array([self._last.get(c, -(1 << 62)) for c in channels.tolist()], np.int64)
            keep = kernels.deadtime_by_channel(ts, ch, channels, np.array([deadtimes[c] for c in channels.tolist()],
                                                                           np.int64), last)
            self._last.update(zip(channels.tolist(), last.tolist()))
            ts, ch = ts[keep], ch[keep]
        if s.filter_filtered and ts.size:
            keep = kernels.conditional_filter_mask(ch, np.asarray(s.filter_triggers, np.int32),
                                                   np.asarray(s.filter_filtered, np.int32), self._armed)
            ts, ch = ts[keep], ch[keep]
        return Block(t0, t1, ts, ch, gaps)
