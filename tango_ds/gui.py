"""``timetagger-gui <tagger device>``: a ready Taurus panel for one Time Tagger.

The panel shows, for the ``TimeTagger`` device given and the measurements of its server
(found in the Tango database):

* a form of the tagger's settings (test signal, trigger levels, delays, dead times)
  that an operator can edit, with state, serial, model and overflows,
* the live count rates of its ``Countrate`` device (values and a trend),
* a plot of its ``Correlation`` histogram against the delay (``index``, in ps).

Every widget follows the devices' change events (the devices push them while they
acquire), so nothing polls.  ``--snapshot DIR`` runs the panel for ``--seconds``,
saves one PNG per section and prints what the widgets show as JSON, for headless
checks and documentation.  Needs the ``gui`` extra (taurus, taurus_pyqtgraph, PyQt5).
"""

from __future__ import annotations

import argparse
import json
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Sequence

import tango

#: Attributes of the tagger form, in display order.
TAGGER_ATTRIBUTES = ("state", "serial", "model", "backend_in_use", "test_signal_channels",
                     "trigger_levels", "input_delays", "deadtimes", "overflows")
COUNTRATE_ATTRIBUTES = ("state", "data", "counts_total", "capture_duration")
CORRELATION_ATTRIBUTES = ("state", "binwidth", "n_bins", "capture_duration")
#: Spectra that read better as numbers than behind a plot button.
AS_TEXT = {"test_signal_channels", "trigger_levels", "input_delays", "deadtimes", "data",
           "counts_total"}


@dataclass
class Devices:
    """The tagger and the measurements the panel shows (None when the server has none)."""

    tagger: str
    countrate: str | None
    correlation: str | None


def find_devices(tagger: str, countrate: str | None = None,
                 correlation: str | None = None) -> Devices:
    """The tagger and, unless given, the first Countrate/Correlation of its server using it."""
    proxy = tango.DeviceProxy(tagger)
    if proxy.info().dev_class != "TimeTagger":
        raise SystemExit(f"{tagger} is a {proxy.info().dev_class} device: give a TimeTagger device")
    name = proxy.dev_name()
    if countrate is None or correlation is None:
        found = _measurements_of(name)
        countrate = countrate or found.get("Countrate")
        correlation = correlation or found.get("Correlation")
    return Devices(name, countrate, correlation)


def _measurements_of(tagger: str) -> dict[str, str]:
    """Class -> first device of the tagger's server built on this tagger."""
    db = tango.Database()
    server = db.get_device_info(tagger).ds_full_name
    flat = list(db.get_device_class_list(server))
    found: dict[str, str] = {}
    for device, cls in zip(flat[0::2], flat[1::2]):
        if cls in ("Countrate", "Correlation") and cls not in found:
            uses = list(db.get_device_property(device, "Tagger")["Tagger"])
            if not uses or uses[0].lower() in ("", tagger.lower()):
                found[cls] = device
    return found


def build_panel(devices: Devices) -> Any:
    """The panel widget (call after the TaurusApplication exists)."""
    from taurus.external.qt import Qt
    from taurus.qt.qtgui.display import TaurusLabel
    from taurus.qt.qtgui.panel import TaurusForm
    from taurus_pyqtgraph import TaurusPlot, TaurusPlotDataItem, TaurusTrend

    def form(device: str, attributes: Sequence[str], title: str) -> TaurusForm:
        widget = TaurusForm(withButtons=False)
        widget.setWindowTitle(title)
        widget.setModel([f"{device}/{a}" for a in attributes])
        for item in widget:
            if item.getModelName().rsplit("/", 1)[-1] in AS_TEXT:
                item.setReadWidgetClass(TaurusLabel)
                item.readWidget().setAutoTrim(False)  # the values, not a "..." link
                if not item.getModelObj().isWritable():
                    item.setUnitsWidgetClass(None)  # the label shows the unit already
        widget.setMinimumHeight(36 * len(attributes) + 24)  # all rows, no scrolling
        return widget

    def group(title: str, *widgets: Any) -> Any:
        box = Qt.QGroupBox(title)
        layout = Qt.QVBoxLayout(box)
        for widget in widgets:
            layout.addWidget(widget)
        return box

    def missing(cls: str) -> Any:
        return Qt.QLabel(f"No {cls} device on this tagger's server: create one with the "
                         f"tagger's CreateMeasurement command, then restart this panel.")

    panel = Qt.QWidget()
    panel.setWindowTitle(f"Time Tagger {devices.tagger}")
    panel.sections = {}
    settings = form(devices.tagger, TAGGER_ATTRIBUTES, "Tagger")
    panel.sections["settings"] = group("Tagger settings", settings)
    if devices.countrate:
        trend = TaurusTrend()
        trend.setModel([f"{devices.countrate}/data"])
        trend.setLabel("left", "Count rate", units="Hz")
        panel.sections["countrate"] = group(f"Count rates ({devices.countrate})",
                                            form(devices.countrate, COUNTRATE_ATTRIBUTES,
                                                 "Count rates"), trend)
    else:
        panel.sections["countrate"] = group("Count rates", missing("Countrate"))
    if devices.correlation:
        plot = TaurusPlot()
        curve = TaurusPlotDataItem(name="Correlation")
        curve.setModel(f"{devices.correlation}/data")
        curve.setXModel(f"{devices.correlation}/index")
        plot.addItem(curve)
        plot.setLabel("bottom", "Delay", units="ps")
        plot.getAxis("bottom").enableAutoSIPrefix(False)   # "kps" reads badly: keep ps
        plot.setLabel("left", "Counts per bin")
        correlation = form(devices.correlation, CORRELATION_ATTRIBUTES, "Correlation")
        panel.sections["correlation"] = group(f"Correlation ({devices.correlation})",
                                              correlation, plot)
        plot.setMinimumHeight(300)
    else:
        panel.sections["correlation"] = group("Correlation", missing("Correlation"))
    layout = Qt.QGridLayout(panel)
    layout.addWidget(panel.sections["settings"], 0, 0)
    layout.addWidget(panel.sections["countrate"], 0, 1)
    layout.addWidget(panel.sections["correlation"], 1, 0, 1, 2)
    layout.setColumnStretch(0, 4)
    layout.setColumnStretch(1, 3)
    panel.resize(1700, 1000)
    return panel


def describe(panel: Any) -> dict[str, Any]:
    """What the panel shows: form texts by model, and the data of each plot curve."""
    from taurus.qt.qtgui.panel import TaurusForm
    from taurus_pyqtgraph import TaurusPlot, TaurusTrend

    shown: dict[str, Any] = {"forms": {}, "plots": {}, "trends": {}}
    for form in panel.findChildren(TaurusForm):
        for item in form:
            widget = item.readWidget()
            if hasattr(widget, "text"):
                text = widget.text()
            else:  # a LED (state, booleans): the value it shows
                value = widget.getModelValueObj()
                text = None if value is None else str(value.rvalue)
            shown["forms"][item.getModelName()] = {"label": item.labelWidget().text(),
                                                   "text": text}
    for kind, cls in (("plots", TaurusPlot), ("trends", TaurusTrend)):
        for plot in panel.findChildren(cls):
            for curve in plot.getPlotItem().listDataItems():
                if not curve.name():
                    continue  # pyqtgraph's own helper items
                x, y = curve.getData()
                shown[kind][curve.name()] = {
                    "points": 0 if y is None else int(len(y)),
                    "x": [] if x is None else [float(v) for v in x],
                    "y": [] if y is None else [float(v) for v in y]}
    return shown


def snapshot(panel: Any, directory: Path, seconds: float, app: Any) -> dict[str, Any]:
    """Run the event loop ``seconds``, save a PNG per section, return :func:`describe`."""
    from taurus.external.qt import Qt

    directory.mkdir(parents=True, exist_ok=True)
    panel.show()
    Qt.QTimer.singleShot(int(seconds * 1000), app.quit)
    app.exec_()
    panel.grab().save(str(directory / "panel.png"))
    for name, section in panel.sections.items():
        section.grab().save(str(directory / f"{name}.png"))
    return describe(panel)


def main(argv: Sequence[str] | None = None) -> int:
    """Console entry point of ``timetagger-gui``."""
    parser = argparse.ArgumentParser(description="A ready Taurus panel for one Time Tagger: "
                                     "settings, live count rates, correlation plot.")
    parser.add_argument("tagger", help="TimeTagger device name (TANGO_HOST selects the database)")
    parser.add_argument("--countrate", help="Countrate device (default: found in the database)")
    parser.add_argument("--correlation", help="Correlation device (default: found in the database)")
    parser.add_argument("--snapshot", type=Path, metavar="DIR",
                        help="save PNGs into DIR after --seconds, print what is shown, exit")
    parser.add_argument("--seconds", type=float, default=4.0)
    args = parser.parse_args(argv)
    try:
        from taurus.qt.qtgui.application import TaurusApplication
    except ImportError as exc:
        print(f"timetagger-gui needs the gui extra (pip install 'tango-timetagger[gui]'): {exc}",
              file=sys.stderr)
        return 2
    import taurus
    taurus.setLogLevel(taurus.Warning)
    devices = find_devices(args.tagger, args.countrate, args.correlation)
    app = TaurusApplication(cmd_line_parser=None, app_name="timetagger-gui")
    panel = build_panel(devices)
    if args.snapshot:
        print(json.dumps(snapshot(panel, args.snapshot, args.seconds, app)))
        return 0
    panel.show()
    return app.exec_()


if __name__ == "__main__":
    sys.exit(main())
