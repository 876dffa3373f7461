"""``FileWriter`` and ``FileReader`` with an open binary format (the simulator's own, uncompressed).

The library's ``.ttbin`` format is proprietary and compressed; the simulator writes this one
instead (a deliberate difference: files of one cannot be read by the other).

Sequence layout, as the library's: ``FileWriter(tagger, "run.ttbin", ...)`` writes the sequence
header file ``run.ttbin`` (no tags) and the tags into ``run.1.ttbin``, ``run.2.ttbin``, ... —
a new file when the current one exceeds ``setMaxFileSize`` or on ``split()``. ``FileReader``
given a sequence header file reads the whole sequence; given a numbered file, only that file.

Every file, all integers little-endian::

    header  = magic b"TTSIMBIN" | uint32 version (1) | uint32 kind (0 sequence header, 1 data)
              | uint32 file number (0 for the header file) | uint32 n | n bytes of UTF-8 JSON
              {"configuration": <TimeTagger.getConfiguration() text>, "channels": [int, ...]}
    record* = uint32 type | uint32 reserved (0) | uint64 n | payload
              type 1 (tags):   n int64 timestamps (ps), then n int32 channel numbers
              type 2 (marker): n bytes of UTF-8 text (``FileWriter.setMarker``)

Readable with numpy alone: ``np.fromfile(f, "<i8", n)`` / ``np.fromfile(f, "<i4", n)``.
"""
from __future__ import annotations

import json
import os
import struct
from typing import BinaryIO

import numpy as np

from .. import validation
from ..iterator import IteratorBase
from ..taggers.base import TimeTaggerBase
from .stream import TimeTagStreamBuffer, checked_channels

MAGIC = b"TTSIMBIN"
VERSION = 1
KIND_SEQUENCE, KIND_DATA = 0, 1
RECORD_TAGS, RECORD_MARKER = 1, 2
_HEADER = struct.Struct("<8sIIII")
_RECORD = struct.Struct("<IIQ")
#: Default of ``setMaxFileSize`` (bytes): about 1 GByte, as the library.
DEFAULT_MAX_FILE_SIZE = 1 << 30


def numbered_name(filename: str, number: int) -> str:
    """``run.ttbin`` -> ``run.<number>.ttbin`` (the data files of a sequence)."""
    stem, ext = os.path.splitext(filename)
    return f"{stem}.{number}{ext}"


def _write_header(path: str, kind: int, number: int, meta: dict) -> BinaryIO:
    text = json.dumps(meta).encode()
    handle = open(path, "wb")
    handle.write(_HEADER.pack(MAGIC, VERSION, kind, number, len(text)) + text)
    return handle


def _read_header(handle: BinaryIO, path: str) -> tuple[int, dict]:
    raw = handle.read(_HEADER.size)
    if len(raw) < _HEADER.size:
        raise ValueError(f"{path} is not a simulator time-tag file (too short)")
    magic, version, kind, _, n = _HEADER.unpack(raw)
    if magic != MAGIC or version != VERSION:
        raise ValueError(f"{path} is not a simulator time-tag file: expected magic {MAGIC!r} version "
                         f"{VERSION}, found {magic!r} version {version}")
    return kind, json.loads(handle.read(n).decode())


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
        self._open_sequence(filename)
        self._register()

    # -- files --------------------------------------------------------------------------------
    def _open_sequence(self, filename: str) -> None:
        self._filename = filename
        header = _write_header(filename, KIND_SEQUENCE, 0, self._meta)
        self._total_size += header.tell()
        header.close()
        self._number = 0
        self._next_file()

    def _next_file(self) -> None:
        self._close_file()
        self._number += 1
        self._file = _write_header(numbered_name(self._filename, self._number), KIND_DATA, self._number,
                                   self._meta)
        self._total_size += self._file.tell()

    def _close_file(self) -> None:
        handle = getattr(self, "_file", None)
        if handle is not None:
            handle.close()
            self._file = None

    def _write(self, kind: int, n: int, *payload: bytes) -> None:
        if self._file is None:
            raise RuntimeError(f"This FileWriter of {self._filename} was closed.")
        before = self._file.tell()
        self._file.write(_RECORD.pack(kind, 0, n))
        for part in payload:
            self._file.write(part)
        self._file.flush()
        self._total_size += self._file.tell() - before
        if self._file.tell() > self._max_size:
            self._next_file()

    # -- stream -------------------------------------------------------------------------------
    def _channels(self) -> set[int]:
        return set(self._channel_array.tolist())

    def _process(self, ts: np.ndarray, ch: np.ndarray, t0: int, t1: int) -> None:
        mine = np.isin(ch, self._channel_array)
        n = int(np.count_nonzero(mine))
        if n:
            self._write(RECORD_TAGS, n, ts[mine].astype("<i8").tobytes(), ch[mine].astype("<i4").tobytes())
            self._total_events += n

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
        """Continue in the next numbered file, or in a new sequence ``new_filename`` (numbering from 1)."""
        with self._engine.lock:
            if new_filename:
                self._close_file()
                self._open_sequence(new_filename)
            else:
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
        text = marker.encode()
        with self._engine.lock:
            self._write(RECORD_MARKER, len(text), text)

    def _parameters(self) -> dict:
        return {"filename": self._filename, "channels": self._channel_array.tolist()}


class FileReader:
    """Reads files of ``FileWriter`` back as ``TimeTagStreamBuffer`` objects, every tag once.

    ``filenames``: one name or a list; a sequence header file stands for all its numbered data
    files. In the returned buffers ``tStart``/``tGetData`` are the first/last timestamp.
    """

    def __init__(self, filenames: str | list[str]) -> None:
        names = [filenames] if isinstance(filenames, str) else list(filenames)
        if not names or not all(isinstance(n, str) for n in names):
            raise ValueError(f"filenames must be a file name or a non-empty list of names, got {filenames!r}")
        self._paths: list[str] = []
        self._configuration: str | None = None
        self._channel_set: set[int] = set()
        for name in names:
            self._paths += self._expand(name)
        self._file: BinaryIO | None = None
        self._pending_ts = np.empty(0, np.int64)
        self._pending_ch = np.empty(0, np.int32)
        self._marker = ""

    def _expand(self, name: str) -> list[str]:
        if not os.path.isfile(name):
            raise FileNotFoundError(f"Time-tag file {name!r} does not exist")
        with open(name, "rb") as handle:
            kind, meta = _read_header(handle, name)
        if self._configuration is None:
            self._configuration = meta["configuration"]
        self._channel_set |= set(meta["channels"])
        if kind == KIND_DATA:
            return [name]
        paths, number = [], 1
        while os.path.isfile(numbered_name(name, number)):
            paths.append(numbered_name(name, number))
            number += 1
        return paths

    def _fill(self) -> bool:
        """Read records until some tags are pending; False when every file is exhausted."""
        while self._pending_ts.size == 0:
            if self._file is None:
                if not self._paths:
                    return False
                path = self._paths.pop(0)
                self._file = open(path, "rb")
                _read_header(self._file, path)
            raw = self._file.read(_RECORD.size)
            if len(raw) < _RECORD.size:
                self._file.close()
                self._file = None
                continue
            kind, _, n = _RECORD.unpack(raw)
            if kind == RECORD_TAGS:
                self._pending_ts = np.fromfile(self._file, "<i8", n).astype(np.int64)
                self._pending_ch = np.fromfile(self._file, "<i4", n).astype(np.int32)
            else:
                self._marker = self._file.read(n).decode()
        return True

    def hasData(self) -> bool:
        """True while tags remain to be read."""
        return self._fill()

    def getData(self, n_events: int) -> TimeTagStreamBuffer:
        """The next ``n_events`` tags (fewer at the end of the last file)."""
        wanted = validation.positive_int("n_events", n_events)
        parts_ts, parts_ch, have = [], [], 0
        while have < wanted and self._fill():
            take = min(wanted - have, self._pending_ts.size)
            parts_ts.append(self._pending_ts[:take])
            parts_ch.append(self._pending_ch[:take])
            self._pending_ts, self._pending_ch = self._pending_ts[take:], self._pending_ch[take:]
            have += take
        ts = np.concatenate(parts_ts) if parts_ts else np.empty(0, np.int64)
        ch = np.concatenate(parts_ch) if parts_ch else np.empty(0, np.int32)
        return TimeTagStreamBuffer(ts, ch, int(ts[0]) if ts.size else 0, int(ts[-1]) if ts.size else 0)

    def getChannelList(self) -> list[int]:
        """The channels recorded in the files."""
        return sorted(self._channel_set)

    def getConfiguration(self) -> str:
        """The tagger configuration (JSON text) stored when the files were written."""
        return self._configuration or "{}"

    def getLastMarker(self) -> str:
        """The last marker read so far ("" if none)."""
        return self._marker

    def __del__(self) -> None:
        handle = getattr(self, "_file", None)
        if handle is not None:
            handle.close()
