"""Recording the stream: ``FileWriter``, ``FileReader``, ``Dump`` and ``mergeStreamFiles``.

``FileWriter`` and ``FileReader`` use the simulator's open format (``timetagger_sim.fileformat``),
which also records the stream time each block covers and the overflows, so ``TimeTaggerVirtual``
replays a recording as it was. As in the library, a ``FileWriter`` starts a new numbered file each
time it starts and on ``split()``, and a name without extension gets ``.ttbin``. ``Dump`` writes
the library's raw 16-byte tag records (``CustomMeasurement.INCOMING_TAGS_DTYPE``), which neither
``FileReader`` nor ``TimeTaggerVirtual`` read, as documented.
"""
from __future__ import annotations

from typing import BinaryIO

import numpy as np

from .. import fileformat as ff
from .. import validation
from ..engine.blocks import TAG_DTYPE, Gap, gap_records, records
from ..iterator import IteratorBase
from ..taggers.base import TimeTaggerBase
from .stream import TimeTagStreamBuffer, buffer_from_records, checked_channels

#: Default of ``setMaxFileSize`` (bytes): about 1 GByte, as the library.
DEFAULT_MAX_FILE_SIZE = 1 << 30


class FileWriter(IteratorBase):
    """Writes the tags of ``channels`` to ``filename`` and its numbered data files (see module doc)."""

    def __init__(self, tagger: TimeTaggerBase, filename: str, channels: list[int]) -> None:
        super().__init__(tagger)
        if not isinstance(filename, str) or not filename:
            raise ValueError(f"filename must be a non-empty path, got {filename!r}")
        self._channel_array = checked_channels(tagger, channels)
        self._meta = {"configuration": tagger.getConfiguration(), "channels": self._channel_array.tolist()}
        self._max_size = DEFAULT_MAX_FILE_SIZE
        self._total_events = 0
        self._total_size = 0
        self._file: BinaryIO | None = None
        self._open_sequence(ff.with_extension(filename))
        self._register()

    # -- files --------------------------------------------------------------------------------
    def _open_sequence(self, filename: str) -> None:
        self._filename = filename
        header = ff.write_header(filename, ff.KIND_SEQUENCE, 0, self._meta)
        self._total_size += header.tell()
        header.close()
        self._number = 0

    def _next_file(self) -> None:
        self._close_file()
        self._number += 1
        self._file = ff.write_header(ff.numbered_name(self._filename, self._number), ff.KIND_DATA,
                                     self._number, self._meta)
        self._total_size += self._file.tell()

    def _close_file(self) -> None:
        handle = getattr(self, "_file", None)
        if handle is not None:
            handle.close()
            self._file = None

    def _written(self, before: int) -> None:
        self._file.flush()
        self._total_size += self._file.tell() - before
        if self._file.tell() > self._max_size:
            self._next_file()

    # -- stream -------------------------------------------------------------------------------
    def _channels(self) -> set[int]:
        return set(self._channel_array.tolist())

    def _on_start(self) -> None:
        self._next_file()

    def _on_stop(self) -> None:
        if self._file is not None:      # kept open for markers until the next start opens a new file
            self._file.flush()

    def _process(self, ts: np.ndarray, ch: np.ndarray, t0: int, t1: int) -> None:
        mine = np.isin(ch, self._channel_array)
        before = self._file.tell()
        ff.write_tags(self._file, t0, t1, ts[mine], ch[mine])
        self._total_events += int(np.count_nonzero(mine))
        self._written(before)

    def _gap(self, gap: Gap) -> None:
        keep = np.isin(gap.channels, self._channel_array)
        before = self._file.tell()
        ff.write_gap(self._file, Gap(gap.begin, gap.end, gap.channels[keep], gap.missed[keep]))
        self._written(before)

    def _detach(self) -> None:
        super()._detach()
        self._close_file()

    def __exit__(self, *exc) -> None:
        super().__exit__(*exc)
        with self._engine.lock:
            self._close_file()

    def __del__(self) -> None:
        super().__del__()
        self._close_file()

    # -- public API ---------------------------------------------------------------------------
    def split(self, new_filename: str = "") -> None:
        """Close the current file and go on in the next numbered one, or in a new sequence
        ``new_filename`` (numbered from 1 again)."""
        with self._engine.lock:
            if new_filename:
                self._close_file()
                self._open_sequence(ff.with_extension(new_filename))
            if self._running:
                self._next_file()

    def setMaxFileSize(self, max_file_size: int) -> None:
        """Start a new file once the current one exceeds ``max_file_size`` bytes (by up to a block)."""
        value = validation.positive_int("max_file_size", max_file_size, "bytes")
        with self._engine.lock:
            self._max_size = value

    def getMaxFileSize(self) -> int:
        """The maximum file size in bytes."""
        return self._max_size

    def getTotalEvents(self) -> int:
        """Tags written into all files so far."""
        with self._engine.lock:
            return self._total_events

    def getTotalSize(self) -> int:
        """Bytes written into all files so far."""
        with self._engine.lock:
            return self._total_size

    def setMarker(self, marker: str) -> None:
        """Write ``marker`` at the current position of the stream; ``FileReader.getLastMarker`` reads it."""
        if not isinstance(marker, str):
            raise TypeError(f"marker must be a string, got {type(marker).__name__}")
        with self._engine.lock:
            if self._file is None:
                raise RuntimeError(f"This FileWriter of {self._filename} has not started: it has no file "
                                   "to write the marker into")
            before = self._file.tell()
            ff.write_marker(self._file, marker)
            self._written(before)

    def _parameters(self) -> dict:
        return {"filename": self._filename, "channels": self._channel_array.tolist()}


class FileReader:
    """Reads files of ``FileWriter`` back as ``TimeTagStreamBuffer`` objects, every tag once.

    ``filenames``: one name or a list (``filename=`` for one); a sequence header file stands for
    all its numbered data files. Overflows come back as the library's overflow records. In a
    returned buffer ``tStart``/``tGetData`` are the stream positions where the read began and ended.
    """

    def __init__(self, filenames: str | list[str] | None = None, filename: str | None = None) -> None:
        if (filenames is None) == (filename is None):
            raise TypeError("FileReader needs filenames (a name or a list) or filename, not both")
        given = filename if filenames is None else filenames
        names = [given] if isinstance(given, str) else list(given)
        if not names or not all(isinstance(n, str) for n in names):
            raise ValueError(f"filenames must be a file name or a non-empty list of names, got {given!r}")
        paths, metas = [], []
        for name in names:
            found, meta = ff.expand(name)
            paths += found
            metas.append(meta)
        self._configuration = metas[0]["configuration"]
        self._channel_set = {c for meta in metas for c in meta["channels"]}
        self._records = ff.records(paths)
        self._pending: np.ndarray = np.empty(0, TAG_DTYPE)
        self._position = 0               # stream time up to which everything was handed out
        self._pending_end = 0            # stream time the pending records reach to
        self._marker = ""
        self._done = False

    def _fill(self) -> bool:
        """Read records until some tags are pending; False when every file is exhausted."""
        while not self._pending.size and not self._done:
            item = next(self._records, None)
            if item is None:
                self._done = True
            elif isinstance(item, str):
                self._marker = item
            else:
                is_gap = isinstance(item, Gap)
                self._pending = gap_records(item) if is_gap else records([(item.ts, item.ch, item.t0, item.t1)])
                self._pending_end = item.end if is_gap else item.t1
                if not self._pending.size:
                    self._position = self._pending_end
        return bool(self._pending.size)

    def hasData(self) -> bool:
        """True while tags remain to be read."""
        return self._fill()

    def getData(self, n_events: int) -> TimeTagStreamBuffer:
        """The next ``n_events`` tags (fewer at the end of the last file)."""
        wanted = validation.positive_int("n_events", n_events)
        start, parts, have = self._position, [], 0
        while have < wanted and self._fill():
            take = self._pending[:wanted - have]
            parts.append(take)
            self._pending = self._pending[take.size:]
            have += take.size
            self._position = int(take["time"][-1]) + 1 if self._pending.size else self._pending_end
        taken = np.concatenate(parts) if parts else np.empty(0, TAG_DTYPE)
        return buffer_from_records(taken, start, self._position)

    def getChannelList(self) -> list[int]:
        """The channels recorded in the files."""
        return sorted(self._channel_set)

    def getConfiguration(self) -> str:
        """The tagger configuration (JSON text) stored when the files were written."""
        return self._configuration or "{}"

    def getLastMarker(self) -> str:
        """The last marker read so far ("" if none)."""
        return self._marker


class Dump(IteratorBase):
    """Writes the stream as the library's raw 16-byte tag records (type, reserved, missed events,
    channel, time; little-endian), overflows included, until ``max_tags`` records (negative: forever).
    Without ``channels``, every tag in the stream (the channels other measurements use)."""

    def __init__(self, tagger: TimeTaggerBase, filename: str, max_tags: int, channels: list[int] = ()) -> None:
        super().__init__(tagger)
        if not isinstance(filename, str) or not filename:
            raise ValueError(f"filename must be a non-empty path, got {filename!r}")
        self._max = validation.integer("max_tags", max_tags)
        self._channel_array = checked_channels(tagger, channels) if len(channels) else None
        self._filename = filename
        self._file: BinaryIO | None = open(filename, "wb")
        self._written = 0
        self._register()

    def _channels(self) -> set[int]:
        return set() if self._channel_array is None else set(self._channel_array.tolist())

    def _write(self, data: np.ndarray) -> None:
        if self._file is None:
            return
        if self._max >= 0:
            data = data[:max(0, self._max - self._written)]
        self._file.write(data.tobytes())
        self._file.flush()
        self._written += data.size
        if 0 <= self._max <= self._written:
            self._close()

    def _process(self, ts: np.ndarray, ch: np.ndarray, t0: int, t1: int) -> None:
        if self._channel_array is not None:
            mine = np.isin(ch, self._channel_array)
            ts, ch = ts[mine], ch[mine]
        self._write(records([(ts, ch, t0, t1)]))

    def _gap(self, gap: Gap) -> None:
        if self._channel_array is not None:
            keep = np.isin(gap.channels, self._channel_array)
            gap = Gap(gap.begin, gap.end, gap.channels[keep], gap.missed[keep])
        self._write(gap_records(gap))

    def _close(self) -> None:
        handle, self._file = getattr(self, "_file", None), None
        if handle is not None:
            handle.close()

    def _detach(self) -> None:
        super()._detach()
        self._close()

    def __exit__(self, *exc) -> None:
        super().__exit__(*exc)
        with self._engine.lock:
            self._close()

    def __del__(self) -> None:
        super().__del__()
        self._close()

    def _parameters(self) -> dict:
        return {"filename": self._filename, "max_tags": self._max,
                "channels": [] if self._channel_array is None else self._channel_array.tolist()}


def _shifted(items, channel_offset: int, time_offset: int):
    """The tag spans of one input, moved by the offsets (rising channels up, falling ones down)."""
    for item in items:
        if isinstance(item, ff.Span):
            ch = np.where(item.ch >= 0, item.ch + channel_offset, item.ch - channel_offset).astype(np.int32)
            yield ff.Span(item.t0 + time_offset, item.t1 + time_offset, item.ts + time_offset, ch)


def mergeStreamFiles(output_filename: str, input_filenames: list[str], channel_offsets: list[int],
                     time_offsets: list[int], overlap_only: bool) -> None:
    """Merge recordings into one sequence ``output_filename``, each moved by its channel and time offset.

    The output covers the union of the inputs' recorded time (``overlap_only``: only where all of
    them recorded); a falling-edge channel -c becomes -(c + offset). Memory stays bounded by one
    block per input.
    """
    names = [input_filenames] if isinstance(input_filenames, str) else list(input_filenames)
    if not names or not len(names) == len(channel_offsets) == len(time_offsets):
        raise ValueError(f"input_filenames, channel_offsets and time_offsets must have the same (non-zero) "
                         f"length, got {len(names)}, {len(channel_offsets)}, {len(time_offsets)}")
    sources, metas = [], []
    for name, c_off, t_off in zip(names, channel_offsets, time_offsets):
        paths, meta = ff.expand(name)
        c_off, t_off = validation.integer("channel_offsets", c_off), validation.integer("time_offsets", t_off)
        sources.append(_shifted(ff.records(paths), c_off, t_off))
        metas.append({c + c_off if c >= 0 else c - c_off for c in meta["channels"]})
    output = ff.with_extension(output_filename)
    meta = {"configuration": ff.expand(names[0])[1]["configuration"], "channels": sorted(set().union(*metas))}
    ff.write_header(output, ff.KIND_SEQUENCE, 0, meta).close()
    with ff.write_header(ff.numbered_name(output, 1), ff.KIND_DATA, 1, meta) as handle:
        for t0, t1, ts, ch in _merged_spans(sources, bool(overlap_only)):
            ff.write_tags(handle, t0, t1, ts, ch)


def _merged_spans(sources, overlap_only: bool):
    """Sweep all inputs at once: between consecutive span boundaries each input covers or not."""
    current = [next(s, None) for s in sources]
    position = min((c.t0 for c in current if c is not None), default=None)
    while position is not None:
        live = [c for c in current if c is not None]
        if not live:
            return
        bounds = [b for c in live for b in (c.t0, c.t1) if b > position]
        end = min(bounds) if bounds else position
        covering = [c for c in live if c.t0 <= position < c.t1]
        if covering and (not overlap_only or len(covering) == len(current)):
            parts = [(c.ts[(c.ts >= position) & (c.ts < end)], c.ch[(c.ts >= position) & (c.ts < end)])
                     for c in covering]
            ts = np.concatenate([p[0] for p in parts])
            ch = np.concatenate([p[1] for p in parts])
            order = np.argsort(ts, kind="stable")
            yield position, end, ts[order], ch[order]
        for k, c in enumerate(current):
            while c is not None and c.t1 <= end:
                c = current[k] = next(sources[k], None)
        if end <= position:
            return
        position = end
