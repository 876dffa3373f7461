"""The simulator's time-tag file format (open, uncompressed), shared by FileWriter, FileReader,
TimeTaggerVirtual and mergeStreamFiles.

The library's ``.ttbin`` format is proprietary and compressed; the simulator writes this one
instead (a deliberate difference: files of one cannot be read by the other).

Sequence layout, as the library's: a ``FileWriter`` on ``run.ttbin`` writes the sequence header
file ``run.ttbin`` (no tags) and the tags into ``run.1.ttbin``, ``run.2.ttbin``, ... A name
without extension gets ``.ttbin``. Reading a sequence header file reads the whole sequence;
reading a numbered file, only that file.

Every file, all integers little-endian::

    header  = magic b"TTSIMBIN" | uint32 version (2) | uint32 kind (0 sequence header, 1 data)
              | uint32 file number (0 for the header file) | uint32 n | n bytes of UTF-8 JSON
              {"configuration": <TimeTagger.getConfiguration() text>, "channels": [int, ...]}
    record* = uint32 type | uint32 reserved (0) | uint64 n | payload
              type 1 (tags):   int64 t0, int64 t1 (the stream time covered), then n int64
                               timestamps (ps) in [t0, t1) and n int32 channel numbers
              type 2 (marker): n bytes of UTF-8 text (``FileWriter.setMarker``)
              type 3 (overflow): int64 begin, int64 end, then n int32 channels and n int64 counts
                               of tags those channels missed in [begin, end)

Readable with numpy alone: ``np.fromfile(f, "<i8", n)`` / ``np.fromfile(f, "<i4", n)``.
"""
from __future__ import annotations

import json
import os
import struct
from dataclasses import dataclass
from typing import BinaryIO, Iterator

import numpy as np

from .engine.blocks import Gap

MAGIC = b"TTSIMBIN"
VERSION = 2
EXTENSION = ".ttbin"
KIND_SEQUENCE, KIND_DATA = 0, 1
RECORD_TAGS, RECORD_MARKER, RECORD_OVERFLOW = 1, 2, 3
HEADER = struct.Struct("<8sIIII")
RECORD = struct.Struct("<IIQ")
SPAN = struct.Struct("<qq")
#: Longest JSON header accepted when reading (bytes): a file cannot make the reader allocate more.
MAX_HEADER_BYTES = 16 << 20
#: Most tags (or overflow entries) one record may claim when reading.
MAX_RECORD_ITEMS = 1 << 28


def with_extension(filename: str) -> str:
    """The library's rule: a name without extension gets ``.ttbin``."""
    return filename if os.path.splitext(filename)[1] else filename + EXTENSION


def numbered_name(filename: str, number: int) -> str:
    """``run.ttbin`` -> ``run.<number>.ttbin`` (the data files of a sequence)."""
    stem, ext = os.path.splitext(filename)
    return f"{stem}.{number}{ext}"


def write_header(path: str, kind: int, number: int, meta: dict) -> BinaryIO:
    text = json.dumps(meta).encode()
    handle = open(path, "wb")
    handle.write(HEADER.pack(MAGIC, VERSION, kind, number, len(text)) + text)
    return handle


def write_tags(handle: BinaryIO, t0: int, t1: int, ts: np.ndarray, ch: np.ndarray) -> None:
    handle.write(RECORD.pack(RECORD_TAGS, 0, ts.size) + SPAN.pack(t0, t1))
    handle.write(ts.astype("<i8").tobytes())
    handle.write(ch.astype("<i4").tobytes())


def write_gap(handle: BinaryIO, gap: Gap) -> None:
    handle.write(RECORD.pack(RECORD_OVERFLOW, 0, gap.channels.size) + SPAN.pack(gap.begin, gap.end))
    handle.write(gap.channels.astype("<i4").tobytes())
    handle.write(gap.missed.astype("<i8").tobytes())


def write_marker(handle: BinaryIO, text: str) -> None:
    data = text.encode()
    handle.write(RECORD.pack(RECORD_MARKER, 0, len(data)) + data)


def read_header(handle: BinaryIO, path: str) -> tuple[int, dict]:
    raw = handle.read(HEADER.size)
    if len(raw) < HEADER.size:
        raise ValueError(f"{path} is not a simulator time-tag file (too short)")
    magic, version, kind, _, n = HEADER.unpack(raw)
    if magic != MAGIC or version != VERSION:
        raise ValueError(f"{path} is not a simulator time-tag file: expected magic {MAGIC!r} version "
                         f"{VERSION}, found {magic!r} version {version}")
    if n > MAX_HEADER_BYTES:
        raise ValueError(f"{path}: header of {n} bytes exceeds the limit of {MAX_HEADER_BYTES}")
    return kind, json.loads(handle.read(n).decode())


def expand(name: str) -> tuple[list[str], dict]:
    """The data files a name stands for (a whole sequence for a header file) and its header."""
    name = with_extension(name)
    if not os.path.isfile(name):
        raise FileNotFoundError(f"Time-tag file {name!r} does not exist")
    with open(name, "rb") as handle:
        kind, meta = read_header(handle, name)
    if kind == KIND_DATA:
        return [name], meta
    paths, number = [], 1
    while os.path.isfile(numbered_name(name, number)):
        paths.append(numbered_name(name, number))
        number += 1
    return paths, meta


@dataclass
class Span:
    """A tags record: the stream time it covers and its tags."""

    t0: int
    t1: int
    ts: np.ndarray
    ch: np.ndarray


def _checked(n: int, path: str) -> int:
    if n > MAX_RECORD_ITEMS:
        raise ValueError(f"{path}: a record claims {n} items, more than the limit of {MAX_RECORD_ITEMS}")
    return n


def records(paths: list[str]) -> Iterator[Span | Gap | str]:
    """The records of the files in order: Span (tags), Gap (overflow) and str (marker)."""
    for path in paths:
        with open(path, "rb") as handle:
            read_header(handle, path)
            while True:
                raw = handle.read(RECORD.size)
                if len(raw) < RECORD.size:
                    break
                kind, _, n = RECORD.unpack(raw)
                if kind == RECORD_MARKER:
                    yield handle.read(_checked(n, path)).decode()
                    continue
                begin, end = SPAN.unpack(handle.read(SPAN.size))
                if kind == RECORD_TAGS:
                    ts = np.fromfile(handle, "<i8", _checked(n, path)).astype(np.int64)
                    yield Span(begin, end, ts, np.fromfile(handle, "<i4", n).astype(np.int32))
                elif kind == RECORD_OVERFLOW:
                    channels = np.fromfile(handle, "<i4", _checked(n, path)).astype(np.int32)
                    yield Gap(begin, end, channels, np.fromfile(handle, "<i8", n).astype(np.int64))
                else:
                    raise ValueError(f"{path}: unknown record type {kind}")
