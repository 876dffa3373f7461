"""``timetagger-gui`` driven as an operator would: buttons clicked, rates watched.

Run by ``test_taurus.py`` in an interpreter of its own (offscreen Qt, the quickstart's
``TANGO_HOST`` in the environment).  Between steps the real Qt event loop runs, so
Taurus delivers events and reads exactly as in the running application.
"""
from __future__ import annotations

import time
from typing import Callable

import pytest
import tango

from tango_ds import gui, gui_widgets

TEST_SIGNAL_HZ = 403.2e6 / 504
POISSON_4_HZ = 1e5        # tango_ds/default_layout.json: Poissonian clicks on input 4
PAIR_DELAY_PS = 2000      # input 2 sees the pairs 2 ns late
CORRELATION = "timetagger/sim/correlation"


@pytest.fixture(scope="module")
def app():
    from taurus.qt.qtgui.application import TaurusApplication
    return TaurusApplication(cmd_line_parser=None, app_name="gui-scenario")


@pytest.fixture(scope="module")
def panel(app):
    widget = gui.build_panel(gui.find_devices("timetagger/sim/tagger"))
    widget.show()
    gui.run_event_loop(app, 1.0)
    yield widget
    widget.close()


def run_until(app, predicate: Callable[[], bool], timeout: float = 30.0) -> None:
    """Run the event loop until ``predicate()``; fail after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, "condition not reached"
        gui.run_event_loop(app, 0.1)


def click(button) -> None:
    """A left mouse click delivered to the button through Qt's event system."""
    from PyQt5.QtTest import QTest     # the gui extra's binding (taurus has no QtTest shim)
    from taurus.external.qt import Qt
    QTest.mouseClick(button, Qt.Qt.LeftButton)


def shown_state(panel, device: str) -> str:
    return gui.describe(panel)["forms"][f"{device}/state"]["text"]


@pytest.mark.parametrize("section", ["rates", "average", "correlation"])
def test_stop_and_start_buttons(app, panel, section):
    controls = panel.controls[section]
    device = tango.DeviceProxy(controls.device)
    assert device.state() == tango.DevState.RUNNING
    click(controls.buttons["Stop"])
    assert device.state() == tango.DevState.ON
    gui.run_event_loop(app, 0.3)
    assert shown_state(panel, controls.device).endswith("ON")  # read at once after the click
    click(controls.buttons["Start"])
    assert device.state() == tango.DevState.RUNNING
    gui.run_event_loop(app, 0.3)
    assert shown_state(panel, controls.device).endswith("RUNNING")
    assert controls.message.text() == ""


def test_clear_and_start_for_on_the_correlation(app, panel):
    controls, corr = panel.controls["correlation"], tango.DeviceProxy(CORRELATION)
    curve = "correlation/Correlation"
    click(controls.buttons["Stop"])
    click(controls.buttons["Clear"])
    assert corr.data.sum() == 0
    run_until(app, lambda: gui.describe(panel)["curves"][curve]["sum"] == 0)  # cleared data shown

    controls.duration.setValue(0.5)
    click(controls.buttons["StartFor"])
    assert corr.state() == tango.DevState.RUNNING
    run_until(app, lambda: corr.state() == tango.DevState.ON)
    assert corr.capture_duration == pytest.approx(0.5)      # the library's startFor(0.5 s)
    total = int(corr.data.sum())
    assert total > 0
    run_until(app, lambda: gui.describe(panel)["curves"][curve]["sum"] == total)
    peak = gui.describe(panel)["curves"][curve]["peak"]["x"]
    assert abs(peak - PAIR_DELAY_PS) <= 30
    click(controls.buttons["Start"])
    assert corr.state() == tango.DevState.RUNNING


def test_a_refused_command_shows_the_device_message(app, panel):
    controls, corr = panel.controls["correlation"], tango.DeviceProxy(CORRELATION)
    db = tango.Database()
    db.put_device_property(CORRELATION, {"n_bins": ["0"]})
    try:
        corr.Init()
        assert corr.state() == tango.DevState.FAULT
        click(controls.buttons["Start"])
        assert "Start:" in controls.message.text() and "n_bins" in controls.message.text()
    finally:
        db.put_device_property(CORRELATION, {"n_bins": ["1000"]})
        corr.Init()
    assert corr.state() == tango.DevState.RUNNING
    click(controls.buttons["Start"])
    assert controls.message.text() == ""


def test_rates_now_jump_when_the_test_signal_moves(app, panel):
    tagger = tango.DeviceProxy("timetagger/sim/tagger")
    mean = tango.DeviceProxy("timetagger/sim/countrate")
    names = [trace.name() for trace in panel.traces]
    assert names == ["input 1", "input 2", "input 3", "input 4"]

    def now() -> dict[str, float]:
        return gui.describe(panel)["rates_now_hz"]

    run_until(app, lambda: now()["input 1"] == pytest.approx(TEST_SIGNAL_HZ, rel=0.01))
    try:
        tagger.test_signal_channels = [4]
        # the last complete bin: exactly no clicks on 1, the test signal added on 4 ...
        run_until(app, lambda: now()["input 1"] == 0)
        run_until(app, lambda: now()["input 4"] == pytest.approx(TEST_SIGNAL_HZ + POISSON_4_HZ,
                                                                 rel=0.1))
        # ... while the mean since start only creeps
        assert mean.data[0] > 0.1 * TEST_SIGNAL_HZ
    finally:
        tagger.test_signal_channels = [1]
    run_until(app, lambda: now()["input 1"] == pytest.approx(TEST_SIGNAL_HZ, rel=0.01))
    readout = next(w for w in panel.findChildren(gui_widgets.RateReadout)
                   if w.trace.name() == "input 1")
    assert readout.text() in ("input 1: 800 kHz", "input 1: 799.9 kHz", "input 1: 800.1 kHz")


def test_units_once_and_axis_labels(panel):
    for model, item in gui.describe(panel)["forms"].items():
        if "units" in item:
            assert item["units"] not in item["text"], model   # either in the text or beside it
    from taurus_pyqtgraph import TaurusPlot
    plot = panel.sections["rates"].findChildren(TaurusPlot)[0]
    left = plot.getAxis("left").labelString()
    assert left.count("Hz") == 1 and "Count rate" in left, left
