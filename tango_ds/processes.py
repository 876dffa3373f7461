"""Ports, starting and stopping helper processes (Tango database, device servers, MariaDB) in order."""
from __future__ import annotations

import signal
import socket
import subprocess
import time
from pathlib import Path
from typing import Callable


def free_port(host: str = "127.0.0.1") -> int:
    """A TCP port that is free on ``host`` right now."""
    with socket.socket() as sock:
        sock.bind((host, 0))
        return sock.getsockname()[1]


class ProcessError(RuntimeError):
    """A helper process died or did not become ready."""


def wait_ready(what: str, check: Callable[[], object], process: subprocess.Popen,
               timeout: float = 60.0, log: Path | None = None) -> None:
    """Poll ``check()`` until it returns without raising; fail early if ``process`` exits.

    ``log``: a file whose tail goes into the error when the process died.
    """
    deadline = time.monotonic() + timeout
    while True:
        if process.poll() is not None:
            tail = log.read_text(errors="replace")[-2000:] if log and log.exists() else ""
            raise ProcessError(f"{what} exited with code {process.returncode}. {tail}".strip())
        try:
            check()
            return
        except Exception:  # noqa: BLE001 - not ready yet
            if time.monotonic() > deadline:
                raise ProcessError(f"{what} did not become ready within {timeout:.0f} s") from None
            time.sleep(0.1)


def stop_process(process: subprocess.Popen | None, first: int = signal.SIGINT,
                 timeout: float = 15.0) -> None:
    """Ask a child to stop with ``first`` (its clean-shutdown signal), then SIGTERM, then SIGKILL,
    waiting ``timeout`` seconds after each."""
    if process is None or process.poll() is not None:
        return
    for sig in dict.fromkeys((first, signal.SIGTERM, signal.SIGKILL)):
        process.send_signal(sig)
        try:
            process.wait(timeout)
            return
        except subprocess.TimeoutExpired:
            continue
