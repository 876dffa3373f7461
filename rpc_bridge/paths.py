"""File names from clients stay inside one data directory, and recordings within a budget.

Several library calls take file names (recording, replay, logs). A client of the bridge
must not reach the rest of the server's file system through them, so every such argument
is resolved inside the server's data directory: relative names land in it; absolute paths,
``..`` and symlinks that lead out are refused with an error naming the directory.

:data:`PATH_ARGUMENTS` lists the library calls that take file names, from Swabian's
documentation; :func:`takes_file_name` recognises any other (a new library version), which
the bridge then leaves out rather than serve unconfined.
"""
from __future__ import annotations

import inspect
import logging
import os
import re
import threading
import weakref
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Any, Callable

import platformdirs

from .keys import APP_NAME

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class PathArgument:
    """One file-name argument: its position (after ``self``; constructors count the tagger) and names."""

    index: int
    names: tuple[str, ...]
    empty_means_default: bool = False  #: "" is the library's "no file" / "keep the name"


#: Library calls taking file names -> their file-name arguments (Swabian.TimeTagger 2.22).
PATH_ARGUMENTS: dict[str, tuple[PathArgument, ...]] = {
    "FileWriter": (PathArgument(1, ("filename",)),),
    "FileWriter.split": (PathArgument(0, ("new_filename",), empty_means_default=True),),
    "FileReader": (PathArgument(0, ("filenames", "filename")),),
    "Dump": (PathArgument(1, ("filename",)),),
    "PulsePerSecondMonitor": (PathArgument(3, ("filename",), empty_means_default=True),),
    "TimeTaggerVirtual.replay": (PathArgument(0, ("file",)),),
    "TimeTaggerVirtual.appendFile": (PathArgument(0, ("filename",)),),
    "createTimeTaggerVirtual": (PathArgument(0, ("filename", "file"), empty_means_default=True),),
    "mergeStreamFiles": (PathArgument(0, ("output_filename",)), PathArgument(1, ("input_filenames",))),
}
#: Classes whose objects write files: watched by the recording budget.
RECORDERS = frozenset({"FileWriter", "Dump"})

_FILE_PARAMETER = re.compile(r"file|path|folder|directory", re.I)
_DOC_PARAMETER = re.compile(r":param\s+(\w+)\s*:")
_SIZE = re.compile(r"size$", re.I)


def default_data_dir() -> Path:
    """The per-user data directory of the bridge: ``<user data dir>/tango-timetagger/data``."""
    return platformdirs.user_data_path(APP_NAME) / "data"


def takes_file_name(func: Callable) -> bool:
    """True if ``func``'s signature or documented parameters include a file name."""
    names: list[str] = []
    try:
        names += list(inspect.signature(func).parameters)
    except (TypeError, ValueError):
        pass
    names += _DOC_PARAMETER.findall(inspect.getdoc(func) or "")
    return any(_FILE_PARAMETER.search(n) and not _SIZE.search(n) for n in names)


class DataDirectory:
    """The one directory whose files clients may name (created private to the user)."""

    def __init__(self, root: str | os.PathLike) -> None:
        root = Path(root).expanduser()
        root.mkdir(mode=0o700, parents=True, exist_ok=True)
        self.root = root.resolve(strict=True)

    def resolve(self, name: Any) -> str:
        """The absolute path for a client's file name; PermissionError naming the directory otherwise."""
        if not isinstance(name, str) or not name.strip() or "\0" in name:
            raise PermissionError(f"file name {_short(name)} is not allowed: use a non-empty name "
                                  f"relative to the server's data directory {self.root}")
        relative = PurePosixPath(name)
        if relative.is_absolute() or ".." in relative.parts:
            raise PermissionError(f"file name {_short(name)} is not allowed: use a name relative to "
                                  f"the server's data directory {self.root} (no absolute paths, no '..')")
        target = (self.root / relative).resolve(strict=False)
        if not target.is_relative_to(self.root):
            raise PermissionError(f"file name {_short(name)} is not allowed: it leads out of the "
                                  f"server's data directory {self.root} through a symbolic link")
        target.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        return str(target)

    def confine(self, qualname: str, args: tuple, kwargs: dict) -> tuple[tuple, dict]:
        """``args``/``kwargs`` of the library call ``qualname`` with every file name resolved."""
        specs = PATH_ARGUMENTS.get(qualname, ())
        if not specs:
            return args, kwargs
        args, kwargs = list(args), dict(kwargs)
        for spec in specs:
            if spec.index < len(args):
                args[spec.index] = self._resolve_value(args[spec.index], spec)
            for name in spec.names:
                if name in kwargs:
                    kwargs[name] = self._resolve_value(kwargs[name], spec)
        return tuple(args), kwargs

    def _resolve_value(self, value: Any, spec: PathArgument) -> Any:
        if spec.empty_means_default and value == "":
            return value
        if isinstance(value, (list, tuple)):
            return [self.resolve(item) for item in value]
        return self.resolve(value)

    def usage(self) -> int:
        """Bytes of all files under the data directory."""
        total = 0
        for folder, _, files in os.walk(self.root):
            for file in files:
                try:
                    total += os.lstat(os.path.join(folder, file)).st_size
                except OSError:
                    continue
        return total


class RecordingBudget:
    """Stops every client recorder once the data directory holds more than ``limit`` bytes."""

    PERIOD_S = 0.1

    def __init__(self, directory: DataDirectory, limit: int | None) -> None:
        self.directory, self.limit = directory, limit
        self._recorders: weakref.WeakSet[Any] = weakref.WeakSet()
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None
        self._stop = threading.Event()

    def check_room(self) -> None:
        """Refuse a new recorder while the directory is over the budget."""
        if self.limit is not None and self.directory.usage() >= self.limit:
            raise PermissionError(f"the data directory {self.directory.root} holds "
                                  f"{self.directory.usage()} bytes, over the recording budget of "
                                  f"{self.limit} bytes: delete files or raise --max-recording-mb")

    def watch(self, recorder: Any) -> None:
        """Stop ``recorder`` (it has ``stop()``) when the budget is exhausted."""
        if self.limit is None:
            return
        with self._lock:
            self._recorders.add(recorder)
            if self._thread is None:
                self._thread = threading.Thread(target=self._run, name="rpc_bridge recording budget",
                                                daemon=True)
                self._thread.start()

    def close(self) -> None:
        """End the watcher thread."""
        self._stop.set()

    def _run(self) -> None:
        while not self._stop.wait(self.PERIOD_S):
            with self._lock:
                recorders = list(self._recorders)
            if not recorders or self.directory.usage() < self.limit:
                continue
            log.warning("recording budget of %d bytes reached in %s: stopping %d recorder(s)",
                        self.limit, self.directory.root, len(recorders))
            for recorder in recorders:
                try:
                    recorder.stop()
                except Exception:  # noqa: BLE001 - a freed recorder
                    log.debug("stopping a recorder failed", exc_info=True)


def _short(value: Any, limit: int = 120) -> str:
    text = repr(value)
    return text if len(text) <= limit else f"{text[:limit]}... ({len(text)} characters)"
