"""Taurus: ``timetagger-gui`` on the quickstart shows live values and the correlation plot.

The panel runs offscreen (``QT_QPA_PLATFORM=offscreen``) in its own process with the
real Qt event loop for a few seconds, saves PNGs, and reports what its widgets show:
the test checks those against physics (the test-signal rate, the pair delay) and that
no widget shows Taurus's "-----" of an unreadable attribute.
"""
from __future__ import annotations

import json
import os
import re
import signal
import struct
import subprocess
import sys
from pathlib import Path
from typing import Iterator

import pytest

for module in ("taurus", "taurus_pyqtgraph", "PyQt5"):
    pytest.importorskip(module, reason="the gui extra is not installed (pip install -e .[gui])")

TEST_SIGNAL_HZ = 403.2e6 / 504
PAIR_DELAY_PS = 2000  # tango_ds/default_layout.json: input 2 sees the pairs 2 ns late
UNREADABLE = "-----"


@pytest.fixture(scope="module")
def tango_host(tmp_path_factory) -> Iterator[str]:
    """The quickstart (database + device server) on free ports; Ctrl-C at the end."""
    data_dir = tmp_path_factory.mktemp("quickstart")
    process = subprocess.Popen([sys.executable, "-m", "tango_ds.quickstart", "--port", "0",
                                "--data-dir", str(data_dir)], stdout=subprocess.PIPE, text=True)
    try:
        lines = []
        for line in process.stdout:
            lines.append(line)
            if "Ctrl-C stops" in line:
                break
        hosts = [line.strip().split("=", 1)[1] for line in lines if line.startswith("TANGO_HOST=")]
        assert hosts, lines
        yield hosts[0]
    finally:
        process.send_signal(signal.SIGINT)
        try:
            process.wait(30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        process.stdout.close()


def run_gui(tango_host: str, *args: str) -> subprocess.CompletedProcess:
    env = dict(os.environ, TANGO_HOST=tango_host, QT_QPA_PLATFORM="offscreen")
    return subprocess.run([sys.executable, "-m", "tango_ds.gui", *args], env=env,
                          capture_output=True, text=True, timeout=120)


def png_size(path: Path) -> tuple[int, int]:
    header = path.read_bytes()[:24]
    assert header[:8] == b"\x89PNG\r\n\x1a\n", path
    return struct.unpack(">II", header[16:24])


def numbers(text: str) -> list[float]:
    return [float(v) for v in re.findall(r"-?\d+(?:\.\d+)?(?:e[-+]?\d+)?", text)]


def test_panel_shows_live_values_and_correlation(tango_host, tmp_path):
    result = run_gui(tango_host, "timetagger/sim/tagger", "--snapshot", str(tmp_path),
                     "--seconds", "4")
    assert result.returncode == 0, result.stderr[-3000:]
    shown = json.loads(result.stdout.strip().splitlines()[-1])
    forms = shown["forms"]

    # forms of the tagger and of two measurements, every value readable
    for device in ("tagger", "countrate", "correlation"):
        assert any(m.startswith(f"timetagger/sim/{device}/") for m in forms), device
    for model, item in forms.items():
        assert item["text"] and UNREADABLE not in item["text"], (model, item)
        assert item["label"] and "_" not in item["label"], model  # labels, not raw names
    assert forms["timetagger/sim/tagger/serial"]["text"] == "SIM-ULTRA8-0001"
    assert forms["timetagger/sim/countrate/state"]["text"].endswith("RUNNING")
    rates = numbers(forms["timetagger/sim/countrate/data"]["text"])
    assert rates[0] == pytest.approx(TEST_SIGNAL_HZ, rel=0.01)
    assert forms["timetagger/sim/countrate/data"]["text"].endswith("Hz")
    assert numbers(forms["timetagger/sim/tagger/trigger_levels"]["text"])[:8] == [0.5] * 8

    # the count-rate trend received several live points per input
    trends = shown["trends"]
    assert len(trends) == 4 and all(t["points"] >= 3 for t in trends.values()), trends.keys()
    assert trends["data[0]"]["y"][-1] == pytest.approx(TEST_SIGNAL_HZ, rel=0.01)

    # the correlation plot: data against its index partner (ps), peak at the pair delay
    curve = shown["plots"]["Correlation"]
    assert curve["points"] == 1000 and sum(curve["y"]) > 0
    assert curve["x"][0] == pytest.approx(-5000, abs=10) and curve["x"][-1] == pytest.approx(5000, abs=10)
    peak = curve["x"][max(range(len(curve["y"])), key=curve["y"].__getitem__)]
    assert abs(abs(peak) - PAIR_DELAY_PS) <= 30

    # screenshots of the panel and of each section
    for name in ("panel", "settings", "countrate", "correlation"):
        width, height = png_size(tmp_path / f"{name}.png")
        assert width > 300 and height > 150, name


def test_gui_explains_a_wrong_device(tango_host):
    result = run_gui(tango_host, "timetagger/sim/correlation", "--snapshot", "/nonexistent")
    assert result.returncode != 0
    assert "is a Correlation device: give a TimeTagger device" in result.stderr
