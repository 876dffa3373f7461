#!/usr/bin/env python3
"""The production Tango database (Debian's C++ ``DataBaseds`` on MariaDB) with Time Tagger servers.

What a facility runs, started by hand (no systemd needed), in order:

1. installs the Debian packages that are missing (``tango-db``, ``mariadb-server``,
   ``libtango-tools`` for ``tango_admin``; needs root, or install them beforehand),
2. starts ``mariadbd`` on 127.0.0.1 with its own data directory under ``--state-dir``
   (created with ``mariadb-install-db`` on first use), creates the ``tango`` database and
   user and loads Debian's Tango schema (``/usr/share/tango-db``),
3. starts ``/usr/lib/tango/DataBaseds 2`` (the database device ``sys/database/2``),
4. applies the layout, one or more ``dsconfig`` JSON files, with ``json2tango -w -u``
   (adds and updates, never removes what clients stored, e.g. memorized settings),
5. starts ``TimeTaggerDS <instance>`` for every instance of the layout,
6. checks every device with ``tango_admin --ping-device`` and ``DeviceProxy`` reads,
7. ``up`` then serves until Ctrl-C / SIGTERM; ``check`` stops at once.  Either way it
   stops the device servers, then ``DataBaseds``, then MariaDB.

Everything listens on 127.0.0.1 unless ``--network`` is given (then ``DataBaseds`` and the
device servers accept other hosts; MariaDB stays on 127.0.0.1, only ``DataBaseds`` uses it).

Usage::

    sudo .venv/bin/python deploy/production_db.py up              # TANGO_HOST=<host>:10000
    .venv/bin/python deploy/production_db.py check --state-dir /tmp/x --mysql-port 0 --tango-port 0
"""

from __future__ import annotations

import argparse
import json
import os
import pwd
import secrets
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterable, Sequence

from tango_ds.processes import ProcessError, free_port, stop_process, wait_ready

HERE = Path(__file__).resolve().parent
DEFAULT_LAYOUT = HERE / "facility.json"
PACKAGES = ("tango-db", "mariadb-server", "libtango-tools")
SCHEMA = Path("/usr/share/dbconfig-common/data/tango-db/install/mysql")
SCHEMA_DIR = Path("/usr/share/tango-db")  # the schema sources files from here
DATABASEDS = Path("/usr/lib/tango/DataBaseds")
SERVER = "TimeTaggerDS"
READY_TIMEOUT_S = 60.0


class DeployError(ProcessError):
    """A step failed; the message says which and what to do."""


# ----------------------------------------------------------------------------- helpers
def missing_packages() -> list[str]:
    """Debian packages of :data:`PACKAGES` that are not installed."""
    return [p for p in PACKAGES if subprocess.run(["dpkg", "-s", p], capture_output=True).returncode]


def ensure_packages() -> None:
    """Install the missing packages with apt (root), or explain what to install."""
    missing = missing_packages()
    if not missing:
        return
    if os.geteuid() != 0:
        raise DeployError(f"missing Debian packages {missing}: run as root, or "
                          f"apt-get install {' '.join(PACKAGES)}")
    env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
    subprocess.run(["apt-get", "update", "-q"], check=True, env=env)
    subprocess.run(["apt-get", "install", "-y", "-q", *missing], check=True, env=env)


def _tango_server_command(instance: str) -> list[str]:
    """``TimeTaggerDS <instance>`` from this environment (console script or module)."""
    script = Path(sys.executable).with_name(SERVER)
    return [str(script), instance] if script.exists() else [sys.executable, "-m", "tango_ds",
                                                             instance]


def layout_instances(layouts: Iterable[Path]) -> list[str]:
    """The ``TimeTaggerDS`` instances the dsconfig files define."""
    instances: list[str] = []
    for path in layouts:
        servers = json.loads(path.read_text()).get("servers", {})
        instances += [i for i in servers.get(SERVER, {}) if i not in instances]
    return instances


def layout_devices(layouts: Iterable[Path]) -> dict[str, str]:
    """Device name -> Tango class, from the dsconfig files."""
    devices: dict[str, str] = {}
    for path in layouts:
        for classes in json.loads(path.read_text()).get("servers", {}).get(SERVER, {}).values():
            for cls, members in classes.items():
                devices.update({name: cls for name in members})
    return devices


# ----------------------------------------------------------------------------- MariaDB
@dataclass
class MariaDB:
    """``mariadbd`` with its own data directory, on 127.0.0.1:``port``."""

    home: Path
    port: int
    process: subprocess.Popen | None = None

    @property
    def socket(self) -> Path:
        return self.home / "mysqld.sock"

    @property
    def datadir(self) -> Path:
        return self.home / "data"

    def _account(self) -> list[str]:
        # mariadbd refuses to run as root; run it as Debian's mysql user then
        return ["--user=mysql"] if os.geteuid() == 0 else []

    def _initialise(self) -> None:
        self.home.mkdir(parents=True, exist_ok=True)
        if os.geteuid() == 0:
            user = pwd.getpwnam("mysql")
            os.chown(self.home, user.pw_uid, user.pw_gid)
        if (self.datadir / "mysql").is_dir():
            return
        result = subprocess.run(["mariadb-install-db", f"--datadir={self.datadir}",
                                 "--auth-root-authentication-method=socket", "--skip-test-db",
                                 *self._account()], capture_output=True, text=True)
        if result.returncode:
            raise DeployError(f"mariadb-install-db failed: {result.stderr.strip()[-2000:]}")

    def start(self) -> None:
        """Create the data directory on first use and start the server."""
        self._initialise()
        log = self.home / "error.log"
        self.process = subprocess.Popen(
            ["mariadbd", "--no-defaults", f"--datadir={self.datadir}", f"--socket={self.socket}",
             f"--pid-file={self.home / 'mysqld.pid'}", f"--port={self.port}",
             "--bind-address=127.0.0.1", "--skip-log-bin", f"--log-error={log}",
             *self._account()], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
            start_new_session=True)
        wait_ready("MariaDB", lambda: self.sql("SELECT 1"), self.process, READY_TIMEOUT_S, log)

    def sql(self, statements: str, database: str = "", cwd: Path | None = None) -> str:
        """Run SQL as the administrator (socket authentication); returns the output."""
        result = subprocess.run(["mariadb", f"--socket={self.socket}", "--batch",
                                 "--skip-column-names", *([database] if database else [])],
                                input=statements, capture_output=True, text=True, cwd=cwd)
        if result.returncode:
            raise DeployError(f"SQL failed: {result.stderr.strip()}")
        return result.stdout

    def ensure_tango_schema(self, password: str) -> None:
        """Create database ``tango`` and its user, and load Debian's schema (first use only)."""
        self.sql("CREATE DATABASE IF NOT EXISTS tango;"
                 + "".join(f"CREATE USER IF NOT EXISTS 'tango'@'{host}' IDENTIFIED BY '{password}';"
                           f"ALTER USER 'tango'@'{host}' IDENTIFIED BY '{password}';"
                           f"GRANT ALL ON tango.* TO 'tango'@'{host}';"
                           for host in ("localhost", "127.0.0.1")))
        if "device" not in self.sql("SHOW TABLES", "tango").split():
            self.sql(SCHEMA.read_text(), "tango", cwd=SCHEMA_DIR)

    def stop(self) -> None:
        stop_process(self.process, signal.SIGTERM, timeout=60)


# ----------------------------------------------------------------------------- deployment
@dataclass
class Deployment:
    """MariaDB, DataBaseds and the device servers, started and stopped in order."""

    state_dir: Path
    layouts: list[Path]
    mysql_port: int = 3306
    tango_port: int = 10000
    network: bool = False
    mariadb: MariaDB = field(init=False)
    databaseds: subprocess.Popen | None = None
    servers: dict[str, subprocess.Popen] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.mysql_port = self.mysql_port or free_port()
        self.tango_port = self.tango_port or free_port()
        self.mariadb = MariaDB(self.state_dir / "mariadb", self.mysql_port)
        host = socket.gethostname() if self.network else "127.0.0.1"
        self.tango_host = f"{host}:{self.tango_port}"
        self.env = dict(os.environ, TANGO_HOST=self.tango_host)

    def _endpoint(self, port: int) -> list[str]:
        return ["-ORBendPoint", f"giop:tcp:{'' if self.network else '127.0.0.1'}:{port}"]

    @property
    def password(self) -> str:
        """The ``tango`` database user's password, made once and kept in the state directory."""
        path = self.state_dir / "tango-db.password"
        if not path.exists():
            path.write_text(secrets.token_urlsafe(18))
            path.chmod(0o600)
        return path.read_text().strip()

    def start(self) -> None:
        """Everything, in order; what was started is stopped again if a step fails."""
        self.state_dir.mkdir(parents=True, exist_ok=True)
        try:
            self.mariadb.start()
            self.mariadb.ensure_tango_schema(self.password)
            self.start_databaseds()
            for layout in self.layouts:
                self.apply(layout)
            for instance in layout_instances(self.layouts):
                self.start_server(instance)
        except BaseException:
            self.stop()
            raise

    def database(self):
        """A ``tango.Database`` client of this deployment."""
        import tango
        host, port = self.tango_host.rsplit(":", 1)
        return tango.Database(host, int(port))

    def start_databaseds(self) -> None:
        env = dict(self.env, MYSQL_USER="tango", MYSQL_PASSWORD=self.password,
                   MYSQL_HOST=f"127.0.0.1:{self.mysql_port}", MYSQL_DATABASE="tango")
        log = self.state_dir / "DataBaseds.log"
        with log.open("w") as out:
            self.databaseds = subprocess.Popen([str(DATABASEDS), "2", *self._endpoint(self.tango_port)],
                                               env=env, stdout=out, stderr=subprocess.STDOUT,
                                               start_new_session=True)
        wait_ready("DataBaseds", lambda: self.database().get_server_list("*"), self.databaseds,
                   READY_TIMEOUT_S, log)

    def apply(self, layout: Path) -> None:
        """Apply a dsconfig file (add and update only)."""
        result = subprocess.run([sys.executable, "-m", "dsconfig.json2tango", "--write",
                                 "--update", "--quiet", "--no-colors", str(layout)],
                                env=self.env, capture_output=True, text=True)
        if result.returncode not in (0, 2):  # dsconfig: nothing to do / applied
            raise DeployError(f"json2tango failed on {layout}: {result.stderr.strip()[-2000:]}")

    def start_server(self, instance: str) -> None:
        """Start ``TimeTaggerDS <instance>`` and wait until its devices answer."""
        log = self.state_dir / f"{SERVER}-{instance}.log"
        with log.open("w") as out:
            process = subprocess.Popen([*_tango_server_command(instance), *self._endpoint(0)],
                                       env=self.env, stdout=out, stderr=subprocess.STDOUT,
                                       start_new_session=True)
        self.servers[instance] = process
        import tango
        for name in self.devices(instance):
            wait_ready(f"{SERVER}/{instance} ({name})",
                       lambda n=name: tango.DeviceProxy(f"tango://{self.tango_host}/{n}").ping(),
                       process, READY_TIMEOUT_S, log)

    def stop_server(self, instance: str) -> None:
        stop_process(self.servers.pop(instance, None), signal.SIGTERM)

    def devices(self, instance: str) -> list[str]:
        """Device names of one server instance, from the database."""
        flat = list(self.database().get_device_class_list(f"{SERVER}/{instance}"))
        return [d for d, c in zip(flat[0::2], flat[1::2]) if c != "DServer"]

    def stop(self) -> None:
        """Device servers, then DataBaseds, then MariaDB."""
        for instance in list(self.servers):
            self.stop_server(instance)
        stop_process(self.databaseds, signal.SIGTERM)
        self.mariadb.stop()

    # ------------------------------------------------------------------------- checks
    def check(self) -> list[str]:
        """Ping every device with tango_admin and read it with DeviceProxy; a line each."""
        import tango
        lines, failures = [], []
        for instance in self.servers:
            for name in self.devices(instance):
                ping = subprocess.run(["tango_admin", "--ping-device", name], env=self.env,
                                      capture_output=True, text=True)
                proxy = tango.DeviceProxy(f"tango://{self.tango_host}/{name}")
                state = proxy.state()
                cls = proxy.info().dev_class
                shown = _shown_attribute(cls)
                try:
                    value = proxy.read_attribute(shown).value
                    summary = f"{shown}={_short(value)}"
                except tango.DevFailed as exc:
                    summary, value = f"{shown}: {exc.args[0].desc}", None
                ok = ping.returncode == 0 and state in (tango.DevState.ON, tango.DevState.RUNNING) \
                    and value is not None
                lines.append(f"{'ok  ' if ok else 'FAIL'} {SERVER}/{instance} {name} ({cls}) "
                             f"ping={'ok' if ping.returncode == 0 else ping.returncode} "
                             f"state={state} {summary}")
                if not ok:
                    failures.append(name)
        if failures:
            raise DeployError("\n".join(lines + [f"failed: {', '.join(failures)}"]))
        return lines


def _shown_attribute(cls: str) -> str:
    """The attribute that shows a device of class ``cls`` works."""
    from tango_ds.specs import BY_NAME
    if cls == "TimeTagger":
        return "serial"
    return "channel" if BY_NAME[cls].family == "virtual_channel" else "data"


def _short(value: object) -> str:
    text = repr(value.tolist() if hasattr(value, "tolist") else value)
    return text if len(text) <= 60 else text[:57] + "..."


def default_state_dir() -> Path:
    """/var/lib/tango-timetagger as root, else a directory in the user's data directory."""
    if os.geteuid() == 0:
        return Path("/var/lib/tango-timetagger")
    return Path.home() / ".local" / "share" / "tango-timetagger" / "production"


def main(argv: Sequence[str] | None = None) -> int:
    """Command line: ``up`` (serve until Ctrl-C) or ``check`` (start, check, stop)."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("command", choices=("up", "check"))
    parser.add_argument("--state-dir", type=Path, default=default_state_dir(),
                        help="MariaDB data, password file and logs (default: %(default)s)")
    parser.add_argument("--layout", type=Path, action="append",
                        help=f"dsconfig JSON file(s) to apply (default: {DEFAULT_LAYOUT.name})")
    parser.add_argument("--mysql-port", type=int, default=3306, help="0: any free port")
    parser.add_argument("--tango-port", type=int, default=10000, help="0: any free port")
    parser.add_argument("--network", action="store_true",
                        help="let other hosts reach DataBaseds and the device servers")
    args = parser.parse_args(argv)
    ensure_packages()
    deployment = Deployment(args.state_dir, args.layout or [DEFAULT_LAYOUT], args.mysql_port,
                            args.tango_port, args.network)
    signal.signal(signal.SIGTERM, signal.default_int_handler)
    try:
        deployment.start()
        print(f"TANGO_HOST={deployment.tango_host}", flush=True)
        print("\n".join(deployment.check()), flush=True)
        if args.command == "up":
            print("Serving; Ctrl-C stops the device servers, DataBaseds and MariaDB.", flush=True)
            while all(p.poll() is None for p in deployment.servers.values()):
                time.sleep(0.5)
            print("a device server exited; stopping", file=sys.stderr)
            return 1
        return 0
    except ProcessError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 0
    finally:
        deployment.stop()
        print("stopped", flush=True)


if __name__ == "__main__":
    sys.exit(main())
