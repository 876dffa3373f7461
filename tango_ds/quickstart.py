"""``timetagger-quickstart``: a complete Tango system with a simulated Time Tagger, one command.

1. starts pytango's own Tango database server (sqlite file in the user data directory),
2. on first use (or with ``--reset``) applies the default layout, a ``dsconfig`` JSON file
   (``default_layout.json``), with ``json2tango``; later runs keep the database as clients
   left it (created devices, written settings),
3. starts the device server ``TimeTaggerDS quickstart``,
4. prints ``TANGO_HOST``, the devices and a ``DeviceProxy`` example,
5. on Ctrl-C stops the device server, then the database.

Everything listens on 127.0.0.1 unless ``--network`` is given.
"""

from __future__ import annotations

import argparse
import ctypes
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Sequence

import platformdirs
import tango

from .processes import free_port, stop_process, wait_ready

SERVER = "TimeTaggerDS"
INSTANCE = "quickstart"
DEFAULT_LAYOUT = Path(__file__).with_name("default_layout.json")
_READY_TIMEOUT_S = 60.0


def _port_free(host: str, port: int) -> bool:
    with socket.socket() as sock:
        return sock.connect_ex((host, port)) != 0


def _die_with_parent() -> None:
    """In the child: get SIGTERM if the quickstart itself dies (Linux), so nothing is orphaned."""
    try:
        ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG
    except OSError:
        pass


class Quickstart:
    """The database, the layout and the device server, started and stopped in order."""

    def __init__(self, data_dir: Path, port: int, network: bool, layout: Path) -> None:
        self.data_dir = data_dir
        self.bind = "0.0.0.0" if network else "127.0.0.1"
        advertised = socket.gethostname() if network else "127.0.0.1"
        if port == 0 or not _port_free("127.0.0.1", port):
            port = free_port()
        self.tango_host = f"{advertised}:{port}"
        self.port = port
        self.network = network
        self.layout = layout
        self.database: subprocess.Popen | None = None
        self.server: subprocess.Popen | None = None
        os.environ["TANGO_HOST"] = self.tango_host  # for our own DeviceProxy checks
        self.env = dict(os.environ)

    def start(self) -> None:
        """Start everything; stops what was started if a step fails."""
        try:
            self._start_database()
            self._apply_layout()
            self._start_server()
        except BaseException:
            self.stop()
            raise

    @property
    def database_file(self) -> Path:
        """The sqlite file of the embedded Tango database."""
        return self.data_dir / "tango_database.db"

    def _start_database(self) -> None:
        self.data_dir.mkdir(parents=True, exist_ok=True)
        env = dict(self.env, PYTANGO_DATABASE_NAME=str(self.database_file))
        self.database = subprocess.Popen(
            [sys.executable, "-m", "tango.databaseds.database", "--host", self.bind,
             "--port", str(self.port), "2"], env=env, stdout=subprocess.DEVNULL,
            start_new_session=True, preexec_fn=_die_with_parent)  # Ctrl-C reaches us only: we stop children in order
        wait_ready("the Tango database", lambda: self._db().get_server_list(), self.database,
                   _READY_TIMEOUT_S)

    def _db(self) -> tango.Database:
        host, port = self.tango_host.rsplit(":", 1)
        return tango.Database(host, int(port))

    def _apply_layout(self) -> None:
        if f"{SERVER}/{INSTANCE}" in self._db().get_server_list(f"{SERVER}/*"):
            return  # the database is as clients left it: do not overwrite their settings
        result = subprocess.run([sys.executable, "-m", "dsconfig.json2tango", "--write",
                                 "--update", "--quiet", str(self.layout)],
                                env=self.env, capture_output=True, text=True)
        if result.returncode not in (0, 2, 3):  # dsconfig: success, applied, nothing to do
            raise RuntimeError(f"json2tango failed on {self.layout}: {result.stderr.strip()}")

    def devices(self) -> list[tuple[str, str]]:
        """(device, class) of the quickstart server, from the database."""
        flat = list(self._db().get_device_class_list(f"{SERVER}/{INSTANCE}"))
        pairs = list(zip(flat[0::2], flat[1::2]))
        return [(d, c) for d, c in pairs if c != "DServer"]

    def _start_server(self) -> None:
        endpoint = [] if self.network else ["-ORBendPoint", "giop:tcp:127.0.0.1:0"]
        self.server = subprocess.Popen([sys.executable, "-m", "tango_ds", INSTANCE, *endpoint],
                                       env=self.env, start_new_session=True, preexec_fn=_die_with_parent)
        for name, _ in self.devices():
            wait_ready(f"device {name}", lambda n=name: tango.DeviceProxy(n).ping(), self.server,
                       _READY_TIMEOUT_S)

    def stop(self) -> None:
        """Device server first (it unregisters from the database), then the database."""
        stop_process(self.server)
        stop_process(self.database)

    def banner(self) -> str:
        """What to tell the user: TANGO_HOST, devices, an example."""
        lines = [f"TANGO_HOST={self.tango_host}", "Devices:"]
        devices = self.devices()
        lines += [f"  {name:34s} {cls}" for name, cls in devices]
        example = next((n for n, c in devices if c == "Countrate"), devices[0][0])
        lines += ["Try:",
                  f"  export TANGO_HOST={self.tango_host}",
                  f"  python -c \"import tango; print(tango.DeviceProxy('{example}').data)\"",
                  "Browse with jive or taurus form, with the same TANGO_HOST. Ctrl-C stops."]
        return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    """Console entry point of ``timetagger-quickstart``.

    Returns (and, run as a module, exits with) 0 after Ctrl-C, 1 when the device server
    died on its own, so supervisors and scripts see the failure.
    """
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--port", type=int, default=10000,
                        help="database port (default 10000; a free one if taken; 0: any)")
    parser.add_argument("--data-dir", type=Path,
                        default=Path(platformdirs.user_data_dir("tango-timetagger")),
                        help="where the sqlite database file lives")
    parser.add_argument("--layout", type=Path, default=DEFAULT_LAYOUT,
                        help="dsconfig JSON layout to apply (default: the packaged one)")
    parser.add_argument("--reset", action="store_true",
                        help="forget the database (devices, settings) and apply the layout again")
    parser.add_argument("--network", action="store_true",
                        help="listen on all interfaces instead of 127.0.0.1 only")
    args = parser.parse_args(argv)
    quick = Quickstart(args.data_dir, args.port, args.network, args.layout)
    if args.reset:
        quick.database_file.unlink(missing_ok=True)
    signal.signal(signal.SIGTERM, signal.default_int_handler)
    try:
        quick.start()
        print(quick.banner(), flush=True)
        while quick.server.poll() is None:
            time.sleep(0.5)
        print(f"device server exited with code {quick.server.returncode}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 0
    finally:
        quick.stop()


if __name__ == "__main__":
    sys.exit(main())
