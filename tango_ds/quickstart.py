"""``timetagger-quickstart``: a complete Tango system with a simulated Time Tagger, one command.

1. locks its data directory (one quickstart per directory; a second one is refused and
   told which process runs there),
2. starts pytango's own Tango database server (sqlite file in the data directory),
3. on first use (or with ``--reset``) applies the default layout, a ``dsconfig`` JSON file
   (``default_layout.json``), with ``json2tango``; later runs keep the database as clients
   left it (created devices, written settings),
4. starts the device server ``TimeTaggerDS quickstart``,
5. prints ``TANGO_HOST``, the database file, the devices and a ``DeviceProxy`` example,
6. on SIGINT (Ctrl-C), SIGTERM or SIGHUP stops the device server, then the database.

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
import textwrap
import time
from pathlib import Path
from typing import Any, Sequence

import platformdirs
import tango

from .directory_lock import DirectoryInUse, DirectoryLock
from .processes import free_port, stop_process, wait_ready

SERVER = "TimeTaggerDS"
INSTANCE = "quickstart"
DEFAULT_LAYOUT = Path(__file__).with_name("default_layout.json")
DEFAULT_DATA_DIR = Path(platformdirs.user_data_dir("tango-timetagger"))
STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)
_READY_TIMEOUT_S = 60.0

DESCRIPTION = """\
Start a complete Tango system with a simulated Time Tagger: a Tango database (sqlite),
the default device layout and the device server "TimeTaggerDS quickstart", all on
127.0.0.1, and print TANGO_HOST and the devices."""

EPILOG = "\n\n".join(textwrap.fill(paragraph, 88) for paragraph in (
    "The database file (tango_database.db) lives in the data directory and keeps created "
    "devices and written settings between runs. Every quickstart of this user shares the "
    f"default one ({DEFAULT_DATA_DIR}): give each checkout or experiment its own with "
    "--data-dir. One quickstart at a time may use a data directory: a second one is refused "
    "and told the PID and TANGO_HOST of the running one, and --reset never touches a running "
    "one's database.",
    "SIGINT (Ctrl-C), SIGTERM and SIGHUP stop the device server, then the database, however "
    "the quickstart was started (also as a background job). Exit status: 0 after such a "
    "signal, 1 if the device server died on its own or the data directory is in use."))


class StopRequested(BaseException):
    """A stop signal arrived (a BaseException, like KeyboardInterrupt, so no handler swallows it)."""


def ignore_stop_signals() -> None:
    """While stopping: further signals must not interrupt the ordered stop."""
    for sig in STOP_SIGNALS:
        signal.signal(sig, signal.SIG_IGN)


def _on_stop_signal(signum: int, _frame: Any) -> None:
    ignore_stop_signals()
    raise StopRequested(signal.Signals(signum).name)


def install_stop_handlers() -> None:
    """Our own handlers for SIGINT, SIGTERM and SIGHUP, whatever the inherited dispositions
    (a background job starts with SIGINT ignored).  Children then start with the default
    dispositions, as exec resets caught signals."""
    for sig in STOP_SIGNALS:
        signal.signal(sig, _on_stop_signal)


def _port_free(host: str, port: int) -> bool:
    with socket.socket() as sock:
        return sock.connect_ex((host, port)) != 0


def _die_with_parent() -> None:
    """In the child: get SIGTERM if the quickstart itself dies (Linux), so nothing is orphaned."""
    try:
        ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG
    except OSError:
        pass


def _log(message: str) -> None:
    print(f"timetagger-quickstart: {message}", file=sys.stderr, flush=True)


class Quickstart:
    """The database, the layout and the device server, started and stopped in order.

    Holds the lock on ``data_dir`` from construction (raises :class:`DirectoryInUse`)
    until :meth:`stop`; the children hold it too, so it outlives a killed quickstart
    until they are gone.
    """

    def __init__(self, data_dir: Path, port: int, network: bool, layout: Path) -> None:
        self.data_dir = data_dir
        self.lock = DirectoryLock(data_dir)
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
        self.lock.record(pid=os.getpid(), tango_host=self.tango_host,
                         database=str(self.database_file))

    @property
    def database_file(self) -> Path:
        """The sqlite file of the embedded Tango database."""
        return self.data_dir / "tango_database.db"

    def reset(self) -> None:
        """Forget devices and settings (safe: nobody else uses the directory, we hold its lock)."""
        self.database_file.unlink(missing_ok=True)

    def start(self) -> None:
        """Start the database, apply the layout if new, start the device server.

        Call :meth:`stop` afterwards in any case (also when this raises).
        """
        self._start_database()
        self._apply_layout()
        self._start_server()

    def _spawn(self, args: list[str], **kwargs: Any) -> subprocess.Popen:
        """A child in its own session (a terminal's Ctrl-C reaches us only: we stop the
        children in order), killed with us, holding the directory lock."""
        return subprocess.Popen([sys.executable, *args], start_new_session=True,
                                preexec_fn=_die_with_parent, pass_fds=(self.lock.fd,), **kwargs)

    def _start_database(self) -> None:
        env = dict(self.env, PYTANGO_DATABASE_NAME=str(self.database_file))
        self.database = self._spawn(["-m", "tango.databaseds.database", "--host", self.bind,
                                     "--port", str(self.port), "2"], env=env,
                                    stdout=subprocess.DEVNULL)
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

    def _server_exported(self) -> None:
        """Raise until *our* server process has exported itself in the database."""
        info = self._db().get_device_info(f"dserver/{SERVER}/{INSTANCE}")
        if not info.exported or info.pid != self.server.pid:
            raise ProcessLookupError(f"exported by PID {info.pid}, not {self.server.pid}")

    def _start_server(self) -> None:
        endpoint = [] if self.network else ["-ORBendPoint", "giop:tcp:127.0.0.1:0"]
        # its stdout only says "Ready to accept request": the banner says more
        self.server = self._spawn(["-m", "tango_ds", INSTANCE, *endpoint], env=self.env,
                                  stdout=subprocess.DEVNULL)
        wait_ready(f"{SERVER}/{INSTANCE}", self._server_exported, self.server, _READY_TIMEOUT_S)
        for name, _ in self.devices():
            wait_ready(f"device {name}", lambda n=name: tango.DeviceProxy(n).ping(), self.server,
                       _READY_TIMEOUT_S)

    def stop(self) -> None:
        """Device server first (it unregisters from the database), then the database."""
        for what, process in ((f"device server {SERVER}/{INSTANCE}", self.server),
                              ("Tango database", self.database)):
            if process is not None and process.poll() is None:
                _log(f"stopping the {what} (PID {process.pid})")
                stop_process(process)
        self.lock.release()

    def banner(self) -> str:
        """What to tell the user: TANGO_HOST, the database file, devices, an example."""
        devices = self.devices()
        example = next((n for n, c in devices if c == "Countrate"), devices[0][0])
        tagger = next((n for n, c in devices if c == "TimeTagger"), None)
        lines = [f"TANGO_HOST={self.tango_host}",
                 f"Database: {self.database_file}",
                 "  (kept between runs; --reset starts afresh, --data-dir DIR uses another)",
                 "Devices:"]
        lines += [f"  {name:34s} {cls}" for name, cls in devices]
        lines += ["Try:",
                  f"  export TANGO_HOST={self.tango_host}",
                  f"  {sys.executable} -c \"import tango; "
                  f"print(tango.DeviceProxy('{example}').data)\""]
        gui = Path(sys.executable).with_name("timetagger-gui")
        if tagger and gui.exists():
            lines.append(f"  {gui} {tagger}")
        lines.append("Browse with jive or taurus form, with the same TANGO_HOST. "
                     f"Ctrl-C stops (or kill -INT/-TERM/-HUP {os.getpid()}).")
        return "\n".join(lines)


def in_use_message(error: DirectoryInUse) -> str:
    """Why a second quickstart refuses, and what the user can do instead."""
    holder = error.holder
    pid, host = holder.get("pid", "unknown"), holder.get("tango_host", "unknown")
    lines = [f"{error.directory} is in use by another timetagger-quickstart "
             f"(PID {pid}, TANGO_HOST={host})."]
    if isinstance(pid, int) and not _alive(pid):
        lines.append(f"PID {pid} has exited; its database or device server still holds the "
                     "directory and stops within seconds: try again then.")
    else:
        lines.append(f"Use it (export TANGO_HOST={host}), stop it (Ctrl-C in its terminal, or "
                     f"kill -INT {pid}), or start another quickstart with --data-dir DIR.")
    return "\n".join(lines)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        pass  # it exists, as another user's process
    return True


def parser() -> argparse.ArgumentParser:
    """The command line of ``timetagger-quickstart``."""
    result = argparse.ArgumentParser(prog="timetagger-quickstart", description=DESCRIPTION,
                                     epilog=EPILOG,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    result.add_argument("--port", type=int, default=10000,
                        help="database port (default 10000; a free one if taken; 0: any)")
    result.add_argument("--data-dir", type=Path, default=DEFAULT_DATA_DIR, metavar="DIR",
                        help=f"directory of the database file (default {DEFAULT_DATA_DIR})")
    result.add_argument("--layout", type=Path, default=DEFAULT_LAYOUT, metavar="FILE",
                        help="dsconfig JSON layout applied to a new database "
                             "(default: the packaged default_layout.json)")
    result.add_argument("--reset", action="store_true",
                        help="forget the database (devices, settings) and apply the layout again")
    result.add_argument("--network", action="store_true",
                        help="listen on all interfaces instead of 127.0.0.1 only")
    return result


def main(argv: Sequence[str] | None = None) -> int:
    """Console entry point of ``timetagger-quickstart``.

    Returns (and, run as a module, exits with) 0 after a stop signal, 1 when the device
    server died on its own or the data directory is in use, so supervisors and scripts
    see the failure.
    """
    args = parser().parse_args(argv)
    install_stop_handlers()
    try:
        quick = Quickstart(args.data_dir, args.port, args.network, args.layout)
    except DirectoryInUse as exc:
        print(in_use_message(exc), file=sys.stderr)
        return 1
    except StopRequested:
        return 0
    try:
        if args.reset:
            quick.reset()
        quick.start()
        print(quick.banner(), flush=True)
        while quick.server.poll() is None:
            time.sleep(0.5)
        _log(f"the device server exited with code {quick.server.returncode}")
        return 1
    except StopRequested as stop:
        _log(f"{stop}: stopping")
        return 0
    finally:
        ignore_stop_signals()
        quick.stop()
        _log("stopped")


if __name__ == "__main__":
    sys.exit(main())
