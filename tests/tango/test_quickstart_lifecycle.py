"""``timetagger-quickstart`` as a process: stop signals, one instance per data directory, ``--reset``.

The quickstarts here are started as a shell starts a background job (its own session,
SIGINT and SIGHUP ignored, as ``setsid nohup ./run.sh &`` leaves them).  This process
talks no Tango itself (see ``test_quickstart.py`` why): it reads the database file
with sqlite3, watches processes with psutil and reads devices through a child python.
"""
from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import psutil
import pytest

from tango_ds.directory_lock import DirectoryInUse, DirectoryLock

TEST_SIGNAL_HZ = 403.2e6 / 504
SERVER = "dserver/TimeTaggerDS/quickstart"
START_TIMEOUT_S = 90


def _as_background_job() -> None:
    """In the child, before exec: what ``setsid nohup CMD &`` leaves behind."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)   # a non-interactive shell's background job
    signal.signal(signal.SIGHUP, signal.SIG_IGN)   # nohup


class Background:
    """A quickstart started as a background job; its output goes to a file."""

    def __init__(self, data_dir: Path, *args: str) -> None:
        self.log = data_dir.parent / f"{data_dir.name}-{time.monotonic_ns()}.log"
        with open(self.log, "w") as out:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "tango_ds.quickstart", "--port", "0", "--data-dir",
                 str(data_dir), *args], stdout=out, stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL, start_new_session=True, preexec_fn=_as_background_job)

    def output(self) -> str:
        return self.log.read_text()

    def wait_ready(self) -> str:
        """The TANGO_HOST of the banner, once printed."""
        deadline = time.monotonic() + START_TIMEOUT_S
        while "Ctrl-C stops" not in self.output():
            assert self.process.poll() is None, self.output()
            assert time.monotonic() < deadline, self.output()
            time.sleep(0.2)
        return next(line.split("=", 1)[1] for line in self.output().splitlines()
                    if line.startswith("TANGO_HOST="))

    def children(self) -> list[psutil.Process]:
        return psutil.Process(self.process.pid).children()

    def stop(self, sig: int = signal.SIGTERM) -> int:
        if self.process.poll() is None:
            self.process.send_signal(sig)
            try:
                self.process.wait(45)
            except subprocess.TimeoutExpired:
                for child in self.children():
                    child.kill()
                self.process.kill()
                self.process.wait()
        return self.process.returncode


@pytest.fixture
def background(tmp_path):
    """Start background quickstarts; whatever a test leaves running is stopped at the end."""
    started: list[Background] = []

    def start(data_dir: Path, *args: str) -> Background:
        started.append(Background(data_dir, *args))
        return started[-1]

    yield start
    for job in started:
        job.stop(signal.SIGKILL)


def exported(database: Path) -> tuple[int, int]:
    """(exported flag, PID) of the quickstart's device server in the database file."""
    with sqlite3.connect(database) as db:
        return db.execute("SELECT exported, pid FROM device WHERE name = ?", (SERVER,)).fetchone()


def read_rate(tango_host: str) -> float:
    """Input 1 of the quickstart's Countrate, read by a separate client process."""
    code = ("import tango; print(float(tango.DeviceProxy("
            "'timetagger/sim/countrate').data[0]))")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                            timeout=60, env=dict(os.environ, TANGO_HOST=tango_host))
    assert result.returncode == 0, result.stderr[-2000:]
    return float(result.stdout)


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM, signal.SIGHUP],
                         ids=lambda s: signal.Signals(s).name)
def test_background_quickstart_stops_in_order(background, tmp_path, sig):
    job = background(tmp_path / "data")
    job.wait_ready()
    children = job.children()
    commands = [" ".join(child.cmdline()) for child in children]
    assert len(children) == 2 and any("tango.databaseds" in c for c in commands) \
        and any("tango_ds quickstart" in c for c in commands), commands

    assert job.stop(sig) == 0, job.output()
    gone, alive = psutil.wait_procs(children, timeout=30)
    assert not alive, alive
    log = job.output()
    name = signal.Signals(sig).name
    assert f"{name}: stopping" in log
    assert log.index("stopping the device server") < log.index("stopping the Tango database")
    # the device server unexported itself: the database was still up when it stopped
    assert exported(tmp_path / "data" / "tango_database.db")[0] == 0
    DirectoryLock(tmp_path / "data").release()  # and the directory is free again


def test_second_quickstart_is_refused_and_reset_spares_the_live_database(background, tmp_path):
    data = tmp_path / "data"
    first = background(data)
    host = first.wait_ready()
    database = data / "tango_database.db"
    assert f"Database: {database}" in first.output()
    inode = database.stat().st_ino
    server_pid = exported(database)[1]

    for args in ((), ("--reset",)):
        second = subprocess.run(
            [sys.executable, "-m", "tango_ds.quickstart", "--port", "0", "--data-dir", str(data),
             *args], capture_output=True, text=True, timeout=60)
        assert second.returncode == 1, second.stdout + second.stderr
        assert "TANGO_HOST=" not in second.stdout            # no banner of its own
        assert f"PID {first.process.pid}" in second.stderr
        assert f"TANGO_HOST={host}" in second.stderr
        assert "--data-dir" in second.stderr

    # the first one is untouched: same database file, same server, still measuring
    assert database.stat().st_ino == inode
    assert exported(database) == (1, server_pid)
    assert read_rate(host) == pytest.approx(TEST_SIGNAL_HZ, rel=0.01)
    assert first.stop(signal.SIGTERM) == 0, first.output()
    assert "readonly" not in first.output()
    assert exported(database)[0] == 0

    # the directory is free now: --reset starts from a new database file
    again = background(data, "--reset")
    assert again.wait_ready()
    assert database.stat().st_ino != inode
    assert again.stop(signal.SIGINT) == 0, again.output()


def test_lock_names_its_holder_and_lives_in_children(tmp_path):
    lock = DirectoryLock(tmp_path)
    lock.record(pid=os.getpid(), tango_host="127.0.0.1:1")
    with pytest.raises(DirectoryInUse) as refused:
        DirectoryLock(tmp_path)
    assert refused.value.holder == {"pid": os.getpid(), "tango_host": "127.0.0.1:1"}

    # a child given the descriptor keeps the directory locked after this process lets go
    child = subprocess.Popen([sys.executable, "-c", "import sys; sys.stdin.read()"],
                             stdin=subprocess.PIPE, pass_fds=(lock.fd,))
    try:
        lock.release()
        with pytest.raises(DirectoryInUse):
            DirectoryLock(tmp_path)
    finally:
        child.stdin.close()
        child.wait(30)
    DirectoryLock(tmp_path).release()
