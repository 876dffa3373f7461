"""Taurus: ``timetagger-gui`` on the quickstart shows live values, plots and working controls.

The panel runs offscreen (``QT_QPA_PLATFORM=offscreen``) in its own process with the
real Qt event loop: ``--snapshot`` runs it a few seconds, saves PNGs and reports what its
widgets show, which the tests check against physics (the test-signal rate, the pair
delay) and for Taurus's "-----" of an unreadable attribute; ``gui_scenario.py`` clicks
its buttons and watches the devices and the widgets follow.
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
SCENARIO = Path(__file__).with_name("gui_scenario.py")
ROOT = Path(__file__).resolve().parents[2]


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
    assert len(result.stdout) < 8000              # a summary, not the arrays
    shown = json.loads(result.stdout)
    forms = shown["forms"]

    # forms of the tagger and of three measurements, every value readable, units once
    for device in ("tagger", "counter", "countrate", "correlation"):
        assert any(m.startswith(f"timetagger/sim/{device}/") for m in forms), device
    for model, item in forms.items():
        assert item["text"] and UNREADABLE not in item["text"], (model, item)
        assert item["label"] and "_" not in item["label"], model  # labels, not raw names
        assert "units" not in item or item["units"] not in item["text"], (model, item)
    assert forms["timetagger/sim/tagger/serial"]["text"] == "SIM-ULTRA8-0001"
    assert forms["timetagger/sim/countrate/state"]["text"].endswith("RUNNING")
    rates = numbers(forms["timetagger/sim/countrate/data"]["text"])
    assert rates[0] == pytest.approx(TEST_SIGNAL_HZ, rel=0.01)
    assert forms["timetagger/sim/countrate/data"]["text"].endswith("Hz")
    assert forms["timetagger/sim/tagger/trigger_levels"]["text"].count("V") == 1
    assert numbers(forms["timetagger/sim/tagger/trigger_levels"]["text"])[:8] == [0.5] * 8

    # the rates now: the Counter's last complete 10 ms bin per input, and its 10 s trace
    assert shown["rates_now_hz"]["input 1"] == pytest.approx(TEST_SIGNAL_HZ, rel=0.01)
    curves = shown["curves"]
    traces = {name: c for name, c in curves.items() if name.startswith("rates/")}
    assert sorted(traces) == [f"rates/input {n}" for n in (1, 2, 3, 4)]
    for trace in traces.values():
        assert trace["points"] == 1000 and trace["x_range"] == [-9.99, 0.0], trace
    assert traces["rates/input 1"]["latest"] == shown["rates_now_hz"]["input 1"]

    # the correlation plot: data against its index partner (ps), peak at the pair delay
    curve = curves["correlation/Correlation"]
    assert curve["points"] == 1000 and curve["sum"] > 0
    assert curve["x_range"][0] == pytest.approx(-5000, abs=10)
    assert curve["x_range"][1] == pytest.approx(5000, abs=10)
    assert abs(abs(curve["peak"]["x"]) - PAIR_DELAY_PS) <= 30
    assert "x" not in curve and set(shown["messages"].values()) == {""}

    # screenshots of the panel and of each section
    for name in ("panel", "settings", "rates", "average", "correlation"):
        width, height = png_size(tmp_path / f"{name}.png")
        assert width > 300 and height > 150, name


def test_snapshot_arrays_on_request(tango_host, tmp_path):
    result = run_gui(tango_host, "timetagger/sim/tagger", "--snapshot", str(tmp_path),
                     "--seconds", "2", "--arrays")
    assert result.returncode == 0, result.stderr[-3000:]
    curve = json.loads(result.stdout)["curves"]["correlation/Correlation"]
    assert len(curve["x"]) == len(curve["y"]) == 1000 and sum(curve["y"]) == curve["sum"]


def test_panel_controls_drive_the_devices(tango_host):
    """Start/Stop/Clear/StartFor clicked offscreen, rates watched (gui_scenario.py)."""
    env = dict(os.environ, TANGO_HOST=tango_host, QT_QPA_PLATFORM="offscreen")
    result = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", str(SCENARIO)],
        env=env, capture_output=True, text=True, timeout=240, cwd=SCENARIO.parents[2])
    assert result.returncode == 0, result.stdout[-6000:] + result.stderr[-2000:]
    assert " passed" in result.stdout and "failed" not in result.stdout


def test_gui_explains_a_wrong_device(tango_host):
    result = run_gui(tango_host, "timetagger/sim/correlation", "--snapshot", "/nonexistent")
    assert result.returncode != 0
    assert "is a Correlation device: give a TimeTagger device" in result.stderr


def test_missing_gui_extra_gives_the_readme_install_command(tmp_path):
    """Without taurus the panel says how to install it, with the README's own command."""
    (tmp_path / "taurus").mkdir()
    (tmp_path / "taurus" / "__init__.py").write_text("raise ImportError('No module named taurus')\n")
    env = dict(os.environ, PYTHONPATH=str(tmp_path))
    result = subprocess.run([sys.executable, "-m", "tango_ds.gui", "a/b/c"], env=env,
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 2
    from tango_ds.gui import INSTALL_HINT
    assert INSTALL_HINT in result.stderr
    assert INSTALL_HINT in (ROOT / "README.md").read_text()
