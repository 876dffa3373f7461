"""A real Tango database and ``TimeTaggerDS`` processes on 127.0.0.1, for the hardening tests.

:class:`Database` is pytango's own database server on a free port with its sqlite file in
a temporary directory; it can be stopped and started again on the same port and file (a
database outage).  :class:`Server` registers devices in it and runs ``python -m tango_ds``
as a child process, optionally under an address-space limit, so a memory regression fails
the test instead of the machine.  Both are always stopped (server first, as Tango wants).
"""
from __future__ import annotations

import contextlib
import os
import resource
import subprocess
import sys
from pathlib import Path
from typing import Iterable, Iterator

import psutil
import tango

from tango_ds.processes import free_port, stop_process, wait_ready


class Database:
    """pytango's database server (``python -m tango.databaseds.database``) on 127.0.0.1."""

    def __init__(self, directory: Path) -> None:
        self.file = directory / "tango.db"
        self.port = free_port()
        self.process: subprocess.Popen | None = None

    @property
    def host(self) -> str:
        """``TANGO_HOST`` of this database."""
        return f"127.0.0.1:{self.port}"

    def start(self) -> None:
        """Start (again) on the same port and file."""
        env = dict(os.environ, PYTANGO_DATABASE_NAME=str(self.file))
        self.process = subprocess.Popen(
            [sys.executable, "-m", "tango.databaseds.database", "--host", "127.0.0.1",
             "--port", str(self.port), "2"], env=env, stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL)
        wait_ready("the Tango database", lambda: self.client().get_server_list(), self.process,
                   30)

    def stop(self) -> None:
        """Stop the database server (the file stays)."""
        stop_process(self.process, timeout=10)

    def client(self) -> tango.Database:
        """A client of this database."""
        return tango.Database("127.0.0.1", self.port)


def limit_address_space(megabytes: int):
    """A ``preexec_fn`` that caps the child's address space (RLIMIT_AS) at ``megabytes``."""
    def apply() -> None:
        limit = megabytes << 20
        resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
    return apply


class Server:
    """``TimeTaggerDS <instance>`` on ``database`` with the devices of ``layout``.

    ``layout``: {Tango class: [(device name, {property: value or list of values})]}.
    """

    def __init__(self, database: Database, instance: str,
                 layout: dict[str, list[tuple[str, dict]]], address_space_mb: int | None = None,
                 log: Path | None = None) -> None:
        self.database = database
        self.instance = instance
        self.layout = layout
        self.address_space_mb = address_space_mb
        self.log = log
        self.process: subprocess.Popen | None = None
        self.register()

    @property
    def name(self) -> str:
        """Server name in the database."""
        return f"TimeTaggerDS/{self.instance}"

    def register(self) -> None:
        db = self.database.client()
        for cls, devices in self.layout.items():
            for device, props in devices:
                info = tango.DbDevInfo()
                info.name, info._class, info.server = device, cls, self.name
                db.add_device(info)
                if props:
                    db.put_device_property(device, {k: v if isinstance(v, list) else [str(v)]
                                                    for k, v in props.items()})

    def devices(self) -> list[str]:
        """The server's devices, as the database lists them now (clients may add or remove)."""
        listed = list(self.database.client().get_device_class_list(self.name))
        return [name for name, cls in zip(listed[0::2], listed[1::2]) if cls != "DServer"]

    def start(self, wait_for: Iterable[str] | None = None) -> None:
        """Start the server and wait until each of its devices (or of ``wait_for``) answers."""
        env = dict(os.environ, TANGO_HOST=self.database.host)
        output = open(self.log, "ab") if self.log else subprocess.DEVNULL
        limit = limit_address_space(self.address_space_mb) if self.address_space_mb else None
        self.process = subprocess.Popen(
            [sys.executable, "-m", "tango_ds", self.instance, "-ORBendPoint",
             "giop:tcp:127.0.0.1:0"], env=env, stdout=output, stderr=subprocess.STDOUT,
            preexec_fn=limit)
        for device in (self.devices() if wait_for is None else wait_for):
            wait_ready(f"device {device}", self.proxy(device).ping, self.process, 60, self.log)

    def stop(self) -> None:
        stop_process(self.process, timeout=10)

    def proxy(self, name: str) -> tango.DeviceProxy:
        """A client of device ``name`` of this server."""
        return tango.DeviceProxy(f"tango://{self.database.host}/{name}")

    def alive(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def usage(self) -> dict[str, int]:
        """The server process's resident memory (bytes), threads and open files now."""
        process = psutil.Process(self.process.pid)
        return {"rss": process.memory_info().rss, "threads": process.num_threads(),
                "fds": process.num_fds()}

    def address_space_mb_now(self) -> int:
        """The server's address space in use (MiB), to size a limit above it."""
        return psutil.Process(self.process.pid).memory_info().vms >> 20


@contextlib.contextmanager
def running(directory: Path, instance: str, layout: dict[str, list[tuple[str, dict]]],
            address_space_mb: int | None = None) -> Iterator[tuple[Database, Server]]:
    """A database and one server with ``layout``, both stopped at the end (server first)."""
    database = Database(directory)
    database.start()
    server = None
    try:
        server = Server(database, instance, layout, address_space_mb, directory / "server.log")
        server.start()
        yield database, server
    finally:
        if server is not None:
            server.stop()
        database.stop()


def failure(call) -> tango.DevError:
    """The first error of the DevFailed that ``call()`` raises (the test fails if none)."""
    try:
        call()
    except tango.DevFailed as exc:
        return exc.args[0]
    raise AssertionError("no DevFailed raised")
