"""One owner per data directory: an exclusive ``flock`` on a file that names its holder.

The lock lives as long as its file descriptor is open in some process: pass ``fd`` to
child processes (``subprocess.Popen(pass_fds=...)``) and the directory stays locked
until the last of them exits, even if the owner itself was killed.
"""
from __future__ import annotations

import fcntl
import json
import os
from pathlib import Path
from typing import Any

LOCK_FILE = "quickstart.lock"


class DirectoryInUse(RuntimeError):
    """Another process holds the directory; ``holder`` is what it recorded (may be empty)."""

    def __init__(self, directory: Path, holder: dict[str, Any]) -> None:
        super().__init__(f"{directory} is in use by {holder or 'another process'}")
        self.directory = directory
        self.holder = holder


class DirectoryLock:
    """Exclusive lock on ``directory`` (created if missing); raises :class:`DirectoryInUse`."""

    def __init__(self, directory: Path) -> None:
        directory.mkdir(parents=True, exist_ok=True)
        self.path = directory / LOCK_FILE
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = _read(fd)
            os.close(fd)
            raise DirectoryInUse(directory, holder) from None
        self.fd: int | None = fd

    def record(self, **facts: Any) -> None:
        """Write what a refused second owner should be told (PID, addresses, ...)."""
        if self.fd is None:
            raise RuntimeError("the lock was released")
        data = json.dumps(facts).encode()
        os.ftruncate(self.fd, 0)
        os.pwrite(self.fd, data, 0)

    def release(self) -> None:
        """Close this process's descriptor (children it was passed to may still hold it)."""
        if self.fd is not None:
            os.close(self.fd)
            self.fd = None


def _read(fd: int) -> dict[str, Any]:
    try:
        text = os.pread(fd, 4096, 0).decode(errors="replace")
        holder = json.loads(text) if text.strip() else {}
    except (OSError, ValueError):
        return {}
    return holder if isinstance(holder, dict) else {}
