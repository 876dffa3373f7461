"""The production deployment: Debian's C++ DataBaseds on MariaDB, two Time Tagger servers.

Runs ``deploy/production_db.py`` for real (MariaDB, DataBaseds and the device servers on
127.0.0.1 and free ports) and checks the devices against physics, the way a facility
would: the test-signal rate of each tagger model, the correlation peak of the pair
source, the delay of a virtual channel, another server added to the same database, and
settings that survive a server restart.  ``scripts/system-deps.sh`` installs the
packages (CI runs as root); without them and without root the test is skipped.
"""
from __future__ import annotations

import importlib.util
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Iterator

import numpy as np
import pytest
import tango
from facility_helpers import ROOT, wait_until

DEPLOY = ROOT / "deploy"
ULTRA_TEST_SIGNAL_HZ = 403.2e6 / 504
TT20_TEST_SIGNAL_HZ = 62.5e6 / 74
PAIR_DELAY_PS = 2000      # deploy/facility.json: input 2 sees the pairs 2 ns late
DELAYED_PS = 5000         # deploy/facility.json: timetagger/lab2/delayed


def _load_deploy_module():
    spec = importlib.util.spec_from_file_location("production_db", DEPLOY / "production_db.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


production_db = _load_deploy_module()
pytestmark = pytest.mark.skipif(
    os.geteuid() != 0 and bool(production_db.missing_packages()),
    reason=f"Debian packages {production_db.missing_packages()} missing and not root "
           "(scripts/system-deps.sh installs them)")


@pytest.fixture
def state_dir() -> Iterator[Path]:
    """A fresh state directory that MariaDB's own user may enter (pytest's tmp is 0700)."""
    path = Path(tempfile.mkdtemp(prefix="tt-production-"))
    path.chmod(0o755)
    try:
        yield path
    finally:
        shutil.rmtree(path, ignore_errors=True)


@pytest.fixture
def deployment(state_dir) -> Iterator[object]:
    production_db.ensure_packages()
    running = production_db.Deployment(state_dir, [DEPLOY / "facility.json"], 0, 0)
    running.start()
    try:
        yield running
    finally:
        running.stop()


def _proxy(deployment, name: str) -> tango.DeviceProxy:
    return tango.DeviceProxy(f"tango://{deployment.tango_host}/{name}")


def _port_open(port: int) -> bool:
    import socket
    with socket.socket() as sock:
        return sock.connect_ex(("127.0.0.1", port)) == 0


def test_check_command_starts_checks_and_stops_everything(state_dir):
    result = subprocess.run([sys.executable, str(DEPLOY / "production_db.py"), "check",
                             "--state-dir", str(state_dir), "--mysql-port", "0",
                             "--tango-port", "0"], capture_output=True, text=True, timeout=180)
    assert result.returncode == 0, result.stdout + result.stderr
    lines = result.stdout.splitlines()
    host = next(line.split("=", 1)[1] for line in lines if line.startswith("TANGO_HOST="))
    checked = [line for line in lines if line.startswith("ok ")]
    assert len(checked) == 7 and all("ping=ok" in line for line in checked), lines
    assert lines[-1] == "stopped"
    assert not _port_open(int(host.rsplit(":", 1)[1]))  # DataBaseds is gone
    assert not (state_dir / "mariadb" / "mysqld.sock").exists()  # MariaDB shut down cleanly


def test_facility_deployment(deployment):
    # the servers' devices live in MariaDB, served by the C++ DataBaseds
    rows = deployment.mariadb.sql(
        "SELECT name, class, server, exported FROM device WHERE server LIKE 'TimeTaggerDS/%' AND class != 'DServer'",
        "tango").split("\n")
    assert {r.split("\t")[0] for r in rows if r} == set(production_db.layout_devices(
        [DEPLOY / "facility.json"]))
    assert all(r.endswith("\t1") for r in rows if r), rows  # all exported
    assert "sys/database/2" in deployment.database().get_info()
    for name in production_db.layout_devices([DEPLOY / "facility.json"]):
        ping = subprocess.run(["tango_admin", "--ping-device", name], env=deployment.env)
        assert ping.returncode == 0, name

    # each tagger model gives its own test-signal rate
    lab1, lab2 = (_proxy(deployment, f"timetagger/{lab}/countrate") for lab in ("lab1", "lab2"))
    wait_until(lambda: lab1.capture_duration > 0.3 and lab2.capture_duration > 0.3)
    assert lab1.data[0] == pytest.approx(ULTRA_TEST_SIGNAL_HZ, rel=0.01)
    assert lab2.data == pytest.approx([TT20_TEST_SIGNAL_HZ] * 2, rel=0.01)
    assert _proxy(deployment, "timetagger/lab2/tagger").model == "Time Tagger 20"

    # the pair source's delay on lab1, the virtual channel's delay on lab2
    corr = _proxy(deployment, "timetagger/lab1/correlation")
    wait_until(lambda: corr.data.sum() > 200)
    assert abs(abs(corr.index[corr.data.argmax()]) - PAIR_DELAY_PS) <= 30
    histogram = _proxy(deployment, "timetagger/lab2/histogram")
    wait_until(lambda: histogram.data.sum() > 200)
    assert histogram.index[int(np.argmax(histogram.data))] == pytest.approx(DELAYED_PS, abs=100)


def test_another_host_and_restart(deployment):
    """A third instance joins the same database; client settings survive a restart."""
    deployment.apply(DEPLOY / "another_host.json")
    deployment.start_server("lab3")
    extra = _proxy(deployment, "timetagger/lab3/countrate")
    wait_until(lambda: extra.state() == tango.DevState.RUNNING and extra.capture_duration > 0.2)
    assert extra.data[0] == pytest.approx(ULTRA_TEST_SIGNAL_HZ, rel=0.01)
    assert _proxy(deployment, "timetagger/lab3/tagger").serial == "SIM-ULTRA18-0001"

    corr = _proxy(deployment, "timetagger/lab1/correlation")
    corr.binwidth = 20
    _proxy(deployment, "timetagger/lab1/tagger").SetTriggerLevel([3, 0.25])
    deployment.stop_server("lab1")
    exported = deployment.mariadb.sql(
        "SELECT exported FROM device WHERE server = 'TimeTaggerDS/lab1'", "tango").split()
    assert exported and set(exported) == {"0"}  # a clean stop unexports from the database
    deployment.start_server("lab1")
    assert corr.binwidth == 20
    assert _proxy(deployment, "timetagger/lab1/tagger").trigger_levels[2] == pytest.approx(0.25)
    wait_until(lambda: corr.state() == tango.DevState.RUNNING)

    # re-applying the layout sets what it names (binwidth), keeps what it does not
    deployment.apply(DEPLOY / "facility.json")
    db = deployment.database()
    assert list(db.get_device_property("timetagger/lab1/correlation", "binwidth")["binwidth"]) == ["10"]
    kept = db.get_device_attribute_property("timetagger/lab1/tagger", "trigger_levels")
    assert float(kept["trigger_levels"]["__value"][2]) == pytest.approx(0.25)


def test_up_serves_until_sigterm(state_dir):
    """``up`` keeps everything running and stops it in order on SIGTERM (as on Ctrl-C)."""
    process = subprocess.Popen([sys.executable, str(DEPLOY / "production_db.py"), "up",
                                "--state-dir", str(state_dir), "--mysql-port", "0",
                                "--tango-port", "0"], stdout=subprocess.PIPE, text=True)
    try:
        lines = []
        for line in process.stdout:
            lines.append(line.rstrip())
            if line.startswith("Serving"):
                break
        host = next(line.split("=", 1)[1] for line in lines if line.startswith("TANGO_HOST="))
        assert tango.DeviceProxy(f"tango://{host}/timetagger/lab2/tagger").serial == "SIM-TT20-0001"
    finally:
        process.terminate()
        rest, _ = process.communicate(timeout=120)
    assert process.returncode == 0 and rest.strip().endswith("stopped")
    assert not _port_open(int(host.rsplit(":", 1)[1]))
