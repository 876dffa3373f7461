"""End to end on the embedded database: ``timetagger-quickstart`` up, used, restarted.

Run by ``test_quickstart.py`` in an interpreter of its own (see there why).
"""
from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import tango
from ds_helpers import wait_until

TEST_SIGNAL_HZ = 403.2e6 / 504
PAIR_DELAY_PS = 2000  # tango_ds/default_layout.json: input 2 sees the pairs 2 ns late
README = Path(__file__).resolve().parents[2] / "README.md"


class Running:
    """A quickstart process and the TANGO_HOST it printed."""

    def __init__(self, data_dir: Path) -> None:
        self.process = subprocess.Popen(
            [sys.executable, "-m", "tango_ds.quickstart", "--port", "0", "--data-dir", str(data_dir)],
            stdout=subprocess.PIPE, text=True)
        self.lines: list[str] = []
        for line in self.process.stdout:
            self.lines.append(line.rstrip())
            if "Ctrl-C stops" in line:
                break
        hosts = [line.split("=", 1)[1] for line in self.lines if line.startswith("TANGO_HOST=")]
        assert hosts, self.lines
        self.host = hosts[0]

    def proxy(self, name: str) -> tango.DeviceProxy:
        return tango.DeviceProxy(f"tango://{self.host}/{name}")

    def database(self) -> tango.Database:
        host, port = self.host.rsplit(":", 1)
        return tango.Database(host, int(port))

    def stop(self) -> None:
        """Ctrl-C, as a user would; the quickstart stops server then database."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGINT)
            try:
                self.process.wait(30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.process.stdout.close()


@pytest.fixture
def quickstart(tmp_path):
    """Start quickstarts on one database file; every one is stopped at the end."""
    started: list[Running] = []

    def start() -> Running:
        running = Running.__new__(Running)
        started.append(running)
        running.__init__(tmp_path / "db")
        return running

    yield start
    for running in started:
        running.stop()


def test_quickstart_end_to_end(quickstart):
    first = quickstart()
    names = " ".join(first.lines)
    for name in ("timetagger/sim/tagger", "timetagger/sim/countrate", "timetagger/sim/correlation",
                 "timetagger/sim/counter", "timetagger/sim/histogram", "DeviceProxy"):
        assert name in names

    # reads: the layout's test signal and photon pairs are there
    rate = first.proxy("timetagger/sim/countrate")
    assert rate.state() == tango.DevState.RUNNING
    wait_until(lambda: rate.capture_duration > 0.3)
    assert rate.data[0] == pytest.approx(TEST_SIGNAL_HZ, rel=0.01)

    # change events arrive while RUNNING, without polling
    corr = first.proxy("timetagger/sim/correlation")
    events: list[np.ndarray] = []
    event_id = corr.subscribe_event("data", tango.EventType.CHANGE_EVENT,
                                    lambda e: events.append(e.attr_value.value) if not e.err else None)
    try:
        wait_until(lambda: len(events) >= 3)
    finally:
        corr.unsubscribe_event(event_id)
    assert events[-1].dtype == np.int32 and events[-1].sum() >= events[1].sum() > 0

    # CreateMeasurement: a working device, without restarting the server
    tagger = first.proxy("timetagger/sim/tagger")
    created = tagger.CreateMeasurement(json.dumps({
        "class": "Countrate", "name": "timetagger/sim/extra", "params": {"channels": [1, 4]},
        "properties": {"AutoStart": True}}))
    extra = first.proxy(created)
    wait_until(lambda: extra.state() == tango.DevState.RUNNING and extra.capture_duration > 0.2)
    assert extra.data[0] == pytest.approx(TEST_SIGNAL_HZ, rel=0.01)
    tagger.CreateMeasurement(json.dumps({"class": "DelayedChannel", "name": "timetagger/sim/gone",
                                         "params": {"input_channel": 1, "delay": 100}}))
    assert first.proxy("timetagger/sim/gone").channel > 8
    delay = first.proxy("timetagger/sim/gone").read_attribute("delay")
    assert delay.w_value == delay.value == 100          # a created device shows its set-points
    tagger.DeleteMeasurement("timetagger/sim/gone")
    # an enum parameter given and written as its value (as Tango writes enums)
    tagger.CreateMeasurement(json.dumps({"class": "Coincidence", "name": "timetagger/sim/coinc",
                                         "params": {"channels": [2, 3], "timestamp": 1}}))
    coinc = first.proxy("timetagger/sim/coinc")
    assert coinc.state() == tango.DevState.ON, coinc.status()
    coinc.timestamp = 2

    # a bad property puts a measurement in FAULT; fixed in the database, Init brings it back
    db, hist = first.database(), first.proxy("timetagger/sim/histogram")
    db.put_device_property("timetagger/sim/histogram", {"n_bins": ["0"]})
    hist.Init()
    assert hist.state() == tango.DevState.FAULT and "n_bins = 0 is not allowed" in hist.status()
    db.put_device_property("timetagger/sim/histogram", {"n_bins": ["500"]})
    hist.Init()
    assert hist.state() == tango.DevState.RUNNING and len(hist.data) == 500

    # settings written by clients, and bad input that changes nothing
    corr.binwidth = 20
    tagger.SetTriggerLevel([5, 0.3])
    with pytest.raises(tango.DevFailed, match="n_bins = 0 is not allowed"):
        corr.n_bins = 0
    with pytest.raises(tango.DevFailed, match="channel_1=99 is not a channel"):
        corr.channel_1 = 99                             # in no range: the device's own check
    with pytest.raises(tango.DevFailed, match="exists already"):
        tagger.CreateMeasurement('{"class": "Counter", "name": "timetagger/sim/extra", '
                                 '"params": {"channels": [1]}}')
    with pytest.raises(tango.DevFailed, match="has no parameter"):
        tagger.CreateMeasurement('{"class": "Counter", "name": "a/b/c", "params": {"chanels": [1]}}')
    assert corr.state() == tango.DevState.RUNNING and corr.n_bins == 1000
    first.stop()
    assert first.process.returncode is not None

    # restart on the same database: created devices and client settings are back
    second = quickstart()
    assert "timetagger/sim/extra" in " ".join(second.lines)
    assert "timetagger/sim/gone" not in " ".join(second.lines)
    assert second.proxy("timetagger/sim/correlation").binwidth == 20
    assert second.proxy("timetagger/sim/tagger").trigger_levels[4] == pytest.approx(0.3)
    assert list(second.proxy("timetagger/sim/tagger").test_signal_channels) == [1]
    coinc = second.proxy("timetagger/sim/coinc")
    assert coinc.state() == tango.DevState.ON and coinc.timestamp == 2, coinc.status()
    extra = second.proxy("timetagger/sim/extra")
    wait_until(lambda: extra.state() == tango.DevState.RUNNING)

    # the device server dies: the quickstart stops the database and reports a failure
    os.kill(second.database().get_device_info("dserver/TimeTaggerDS/quickstart").pid,
            signal.SIGKILL)
    assert second.process.wait(30) == 1


def readme_block(heading: str, opening: str) -> str:
    """The first fenced block of README section ``heading`` that starts with ``opening``."""
    text = README.read_text()
    section = text[text.index(heading):]
    start = section.index(opening) + len(opening)
    return section[start:section.index("```", start)]


def test_readme_scripting_examples(quickstart):
    running = quickstart()

    # the DeviceProxy example, as a user would paste it
    code = readme_block("## Scripting", "```python\n")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                            timeout=120, env=dict(os.environ, TANGO_HOST=running.host))
    assert result.returncode == 0, result.stderr[-3000:]
    assert "np." not in result.stdout, result.stdout              # plain numbers
    rates = re.search(r"^input 1: (\d+) Hz since start, (\d+) Hz now$", result.stdout, re.M)
    assert rates, result.stdout
    assert [float(v) for v in rates.groups()] == pytest.approx([TEST_SIGNAL_HZ] * 2, rel=0.01)
    delay = re.search(r"^pair delay: (-?\d+) ps$", result.stdout, re.M)
    assert delay and abs(int(delay[1]) - PAIR_DELAY_PS) <= 30, result.stdout

    # the itango session up to the peak read after StartFor ("once ON")
    session = readme_block("## Scripting", "```\n$ TANGO_HOST=127.0.0.1:10000 itango\n")
    lines = dict(re.findall(r"^ITango \[(\d+)\]: (.*?)(?:\s{2,}#.*)?$", session, re.M))
    namespace = {"Device": lambda name: running.proxy(name)}
    for number in ("1", "2", "3"):
        exec(lines[number], namespace)
    wait_until(lambda: eval(lines["4"], namespace) == tango.DevState.ON)
    assert abs(eval(lines["5"], namespace) - PAIR_DELAY_PS) <= 30
