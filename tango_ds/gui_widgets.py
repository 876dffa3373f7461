"""Widgets of ``timetagger-gui`` that Taurus does not have: acquisition controls and live rates.

Import after a ``TaurusApplication`` exists (needs the ``gui`` extra).
"""

from __future__ import annotations

from typing import Any, Sequence

import numpy as np
import tango
import taurus
from pyqtgraph import siFormat
from taurus.core import TaurusEventType
from taurus.external.qt import Qt
from taurus_pyqtgraph import TaurusPlotDataItem
from taurus_pyqtgraph.curveproperties import CURVE_COLORS

#: Longest StartFor the devices accept (s).
MAX_DURATION_S = 9e6
#: After a command the section is read at once and again this much later (ms), past the
#: device's next event: an event already under way when the command ran would otherwise
#: leave a stopped measurement's plot showing the data from before the command.
REFRESH_AGAIN_MS = 600


def _magnitude(value: Any) -> np.ndarray:
    """The numbers of a Taurus value (a pint Quantity or a plain array)."""
    return np.asarray(getattr(value, "magnitude", value), dtype=float)


class AcquisitionControls(Qt.QWidget):
    """Start, Stop, Clear and Start for [duration] for one measurement device.

    A refused command shows the device's own message next to the buttons.  After each
    command the ``refresh`` attributes are read (see :data:`REFRESH_AGAIN_MS`), so state
    and data show the result at once instead of at the next event or Taurus poll.
    """

    def __init__(self, device: str, refresh: Sequence[str] = (), parent: Any = None) -> None:
        super().__init__(parent)
        self.device = device
        self._refresh = list(refresh)
        layout = Qt.QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        self.buttons: dict[str, Any] = {}
        for command, tip in (("Start", "Start acquiring (data is kept)"),
                             ("Stop", "Stop acquiring (data is kept)"),
                             ("Clear", "Clear the accumulated data")):
            self.buttons[command] = self._button(command, tip, lambda c=command: self.run(c))
            layout.addWidget(self.buttons[command])
        self.duration = Qt.QDoubleSpinBox()
        self.duration.setRange(0.001, MAX_DURATION_S)
        self.duration.setDecimals(3)
        self.duration.setValue(1.0)
        self.duration.setSuffix(" s")
        self.duration.setToolTip("Acquisition time of Start for")
        self.buttons["StartFor"] = self._button(
            "Start for", "Clear, then acquire for the duration given on the right",
            lambda: self.run("StartFor", self.duration.value()))
        layout.addWidget(self.buttons["StartFor"])
        layout.addWidget(self.duration)
        self.message = Qt.QLabel()
        self.message.setStyleSheet("color: #b00000")
        self.message.setWordWrap(True)
        layout.addWidget(self.message, 1)

    def _button(self, text: str, tip: str, action: Any) -> Any:
        button = Qt.QPushButton(text)
        button.setToolTip(f"{tip} ({self.device})")
        button.clicked.connect(lambda _checked=False: action())
        return button

    def run(self, command: str, *args: Any) -> bool:
        """Run ``command`` on the device; True if it was accepted."""
        try:
            taurus.Device(self.device).command_inout(command, *args)
        except tango.DevFailed as exc:
            self.message.setText(f"{command}: {exc.args[0].desc}")
            accepted = False
        else:
            self.message.clear()
            accepted = True
        self.refresh()
        Qt.QTimer.singleShot(REFRESH_AGAIN_MS, self.refresh)
        return accepted

    def refresh(self) -> None:
        """Read the section's attributes now; their widgets update from the reading."""
        for model in self._refresh:
            taurus.Attribute(model).poll()


class CounterTrace(TaurusPlotDataItem):
    """One row (input) of a ``Counter``'s ``data_normalized`` against time, newest bin at 0 s.

    ``latest`` is the rate of the last complete bin (Hz; NaN before the first one): the
    instantaneous rate, unlike ``Countrate`` (the mean since start).  ``latestChanged``
    carries it to a readout.
    """

    latestChanged = Qt.pyqtSignal(float)

    def __init__(self, counter: str, row: int, name: str) -> None:
        super().__init__(name=name, pen=CURVE_COLORS[row % len(CURVE_COLORS)], connect="finite")
        self.row = row
        self.latest = float("nan")
        self.setXModel(f"{counter}/index")
        self.setModel(f"{counter}/data_normalized")

    def handleEvent(self, evt_src: Any, evt_type: Any, evt_value: Any) -> None:
        """Take this row of the image and the bin times in seconds before the newest bin."""
        if evt_type not in (TaurusEventType.Change, TaurusEventType.Periodic) or evt_value is None:
            return
        values = _magnitude(evt_value.rvalue)
        if evt_src == self.getModelObj():
            self._y = values[self.row] if values.ndim == 2 and self.row < len(values) else None
            finite = self._y[np.isfinite(self._y)] if self._y is not None else ()
            self.latest = float(finite[-1]) if len(finite) else float("nan")
            self.latestChanged.emit(self.latest)
        elif evt_src == self.xModel and values.size:
            self._x = (values - values[-1]) * 1e-12
        if self._x is not None and self._y is not None and len(self._x) == len(self._y):
            self.setData(x=self._x, y=self._y)


class RateReadout(Qt.QLabel):
    """``input 1: 800 kHz``: the latest value of a :class:`CounterTrace`."""

    def __init__(self, trace: CounterTrace) -> None:
        super().__init__(f"{trace.name()}: -")
        self.trace = trace
        trace.latestChanged.connect(self.show_rate)
        font = self.font()
        font.setPointSizeF(font.pointSizeF() * 1.4)
        self.setFont(font)

    def show_rate(self, hz: float) -> None:
        """Show ``hz`` with an SI prefix (``-`` before the first complete bin)."""
        shown = siFormat(hz, precision=4, suffix="Hz") if np.isfinite(hz) else "-"
        self.setText(f"{self.trace.name()}: {shown}")


def input_names(counter: str) -> list[str]:
    """Legend names of a measurement's channels: ``input N``, or the virtual-channel device."""
    channels = taurus.Attribute(f"{counter}/channels").read(cache=False).rvalue
    return [f"input {c}" if str(c).lstrip("-").isdigit() else str(c) for c in channels]
