"""``timetagger-gui <tagger device>``: a ready Taurus panel for one Time Tagger.

The panel shows, for the ``TimeTagger`` device given and the measurements of its server
(found in the Tango database):

* a form of the tagger's settings (test signal, trigger levels, delays, dead times)
  that an operator can edit, with state, serial, model and overflows,
* the count rates now: the last complete bin of a ``Counter`` per input, and its trace,
* the mean count rates since start of a ``Countrate``,
* a ``Correlation`` histogram against the delay (``index``, in ps),

each measurement with Start, Stop, Clear and Start-for buttons.  The data widgets follow
the change events the devices push while acquiring; State, the settings and the capture
duration push none yet, so Taurus reads those itself every 3 s.  ``--snapshot DIR`` runs
the panel for ``--seconds``, saves one PNG per section and prints a summary of what the
widgets show as JSON.  Needs the ``gui`` extra (taurus, taurus_pyqtgraph, PyQt5).
"""

from __future__ import annotations

import argparse
import json
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Sequence

import numpy as np
import tango

#: How to get the gui extra; the README gives the same command.
INSTALL_HINT = ".venv/bin/pip install -e '.[gui]'"

#: Attributes of the tagger form, in display order.
TAGGER_ATTRIBUTES = ("state", "serial", "model", "backend_in_use", "test_signal_channels",
                     "trigger_levels", "input_delays", "deadtimes", "overflows")
COUNTER_ATTRIBUTES = ("state", "binwidth", "n_values")
COUNTRATE_ATTRIBUTES = ("state", "data", "counts_total", "capture_duration")
CORRELATION_ATTRIBUTES = ("state", "binwidth", "n_bins", "capture_duration")
#: Spectra that read better as numbers than behind a plot button.
AS_TEXT = {"test_signal_channels", "trigger_levels", "input_delays", "deadtimes", "data",
           "counts_total"}
#: The measurement classes the panel shows.
SHOWN = ("Counter", "Countrate", "Correlation")


@dataclass
class Devices:
    """The tagger and the measurements the panel shows (None when the server has none)."""

    tagger: str
    counter: str | None
    countrate: str | None
    correlation: str | None


def find_devices(tagger: str, counter: str | None = None, countrate: str | None = None,
                 correlation: str | None = None) -> Devices:
    """The tagger and, unless given, the first Counter/Countrate/Correlation of its server
    built on it."""
    proxy = tango.DeviceProxy(tagger)
    if proxy.info().dev_class != "TimeTagger":
        raise SystemExit(f"{tagger} is a {proxy.info().dev_class} device: give a TimeTagger device")
    name = proxy.dev_name()
    found = _measurements_of(name) if None in (counter, countrate, correlation) else {}
    return Devices(name, counter or found.get("Counter"), countrate or found.get("Countrate"),
                   correlation or found.get("Correlation"))


def _measurements_of(tagger: str) -> dict[str, str]:
    """Class -> first device of the tagger's server built on this tagger."""
    db = tango.Database()
    server = db.get_device_info(tagger).ds_full_name
    flat = list(db.get_device_class_list(server))
    found: dict[str, str] = {}
    for device, cls in zip(flat[0::2], flat[1::2]):
        if cls in SHOWN and cls not in found:
            uses = list(db.get_device_property(device, "Tagger")["Tagger"])
            if not uses or uses[0].lower() in ("", tagger.lower()):
                found[cls] = device
    return found


def build_panel(devices: Devices) -> Any:
    """The panel widget (call after the TaurusApplication exists).

    ``panel.sections`` maps section names to their group boxes, ``panel.controls``
    section names to their :class:`~tango_ds.gui_widgets.AcquisitionControls`, and
    ``panel.traces`` holds the count-rate curves.
    """
    from taurus.external.qt import Qt
    from taurus.qt.qtgui.display import TaurusLabel
    from taurus.qt.qtgui.panel import TaurusForm
    from taurus_pyqtgraph import TaurusPlot, TaurusPlotDataItem

    from .gui_widgets import AcquisitionControls, CounterTrace, RateReadout, input_names

    def form(device: str, attributes: Sequence[str]) -> TaurusForm:
        widget = TaurusForm(withButtons=False)
        widget.setModel([f"{device}/{a}" for a in attributes])
        for item in widget:
            if item.getModelName().rsplit("/", 1)[-1] in AS_TEXT:
                item.setReadWidgetClass(TaurusLabel)
                item.readWidget().setAutoTrim(False)  # the values, not a "..." link
                item.setUnitsWidgetClass(None)        # the label shows the unit already
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

    def controls(section: str, device: str, models: Sequence[str]) -> Any:
        panel.controls[section] = AcquisitionControls(device, models)
        return panel.controls[section]

    panel = Qt.QWidget()
    panel.setWindowTitle(f"Time Tagger {devices.tagger}")
    panel.sections, panel.controls, panel.traces = {}, {}, []
    panel.sections["settings"] = group("Tagger settings", form(devices.tagger, TAGGER_ATTRIBUTES))

    if devices.counter:
        counter = devices.counter
        plot = TaurusPlot()
        readouts = Qt.QHBoxLayout()
        readouts.setSpacing(30)
        for row, name in enumerate(input_names(counter)):
            trace = CounterTrace(counter, row, name)
            plot.addItem(trace)
            panel.traces.append(trace)
            readouts.addWidget(RateReadout(trace))
        readouts.addStretch(1)
        readout_row = Qt.QWidget()
        readout_row.setLayout(readouts)
        plot.setLabel("left", "Count rate", units="Hz")
        plot.setLabel("bottom", "Time before the newest bin", units="s")
        plot.setMinimumHeight(260)
        models = [f"{counter}/{a}" for a in (*COUNTER_ATTRIBUTES, "data_normalized")]
        panel.sections["rates"] = group(
            f"Count rates now: last complete bin of {counter}",
            controls("rates", counter, models), form(counter, COUNTER_ATTRIBUTES), readout_row,
            plot)
    else:
        panel.sections["rates"] = group("Count rates now", missing("Counter"))

    if devices.countrate:
        models = [f"{devices.countrate}/{a}" for a in COUNTRATE_ATTRIBUTES]
        panel.sections["average"] = group(
            f"Mean count rates since start ({devices.countrate})",
            controls("average", devices.countrate, models),
            form(devices.countrate, COUNTRATE_ATTRIBUTES))
    else:
        panel.sections["average"] = group("Mean count rates since start", missing("Countrate"))

    if devices.correlation:
        correlation = devices.correlation
        plot = TaurusPlot()
        curve = TaurusPlotDataItem(name="Correlation")
        curve.setModel(f"{correlation}/data")
        curve.setXModel(f"{correlation}/index")
        plot.addItem(curve)
        plot.setLabel("bottom", "Delay", units="ps")
        plot.getAxis("bottom").enableAutoSIPrefix(False)   # "kps" reads badly: keep ps
        plot.setLabel("left", "Counts per bin")
        plot.setMinimumHeight(300)
        models = [f"{correlation}/{a}" for a in (*CORRELATION_ATTRIBUTES, "data")]
        panel.sections["correlation"] = group(
            f"Correlation ({correlation})", controls("correlation", correlation, models),
            form(correlation, CORRELATION_ATTRIBUTES), plot)
    else:
        panel.sections["correlation"] = group("Correlation", missing("Correlation"))

    layout = Qt.QGridLayout(panel)
    layout.addWidget(panel.sections["settings"], 0, 0)
    layout.addWidget(panel.sections["average"], 1, 0)
    layout.addWidget(panel.sections["rates"], 0, 1, 2, 1)
    layout.addWidget(panel.sections["correlation"], 2, 0, 1, 2)
    layout.setColumnStretch(0, 4)
    layout.setColumnStretch(1, 4)
    panel.resize(1700, 1250)
    return panel


def _number(value: Any) -> float:
    """A plain float, rounded to 6 significant digits (no float noise in the summary)."""
    return float(f"{float(value):.6g}")


def _curve_summary(x: Any, y: Any, arrays: bool) -> dict[str, Any]:
    """Points, x range, peak, latest value and sum of a curve (and its data if ``arrays``)."""
    x = np.asarray([] if x is None else x, dtype=float)
    y = np.asarray([] if y is None else y, dtype=float)
    finite = np.isfinite(y)
    summary: dict[str, Any] = {"points": int(y.size), "finite": int(finite.sum())}
    if finite.any():
        peak = int(np.argmax(np.where(finite, y, -np.inf)))
        summary.update(x_range=[_number(x[0]), _number(x[-1])],
                       peak={"x": _number(x[peak]), "y": _number(y[peak])},
                       latest=_number(y[finite][-1]), sum=_number(y[finite].sum()))
    if arrays:
        summary.update(x=x.tolist(), y=y.tolist())
    return summary


def describe(panel: Any, arrays: bool = False) -> dict[str, Any]:
    """What the panel shows: form texts, curve summaries, the rates now, control messages."""
    from taurus.qt.qtgui.panel import TaurusForm
    from taurus_pyqtgraph import TaurusPlot

    shown: dict[str, Any] = {"forms": {}, "curves": {}, "rates_now_hz": {}, "messages": {}}
    for form in panel.findChildren(TaurusForm):
        for item in form:
            widget = item.readWidget()
            if hasattr(widget, "text"):
                text = widget.text()
            else:  # a LED (state, booleans): the value it shows
                value = widget.getModelValueObj()
                text = None if value is None else str(value.rvalue)
            entry = {"label": item.labelWidget().text(), "text": text}
            units = item.unitsWidget()
            if units is not None and hasattr(units, "text") and units.text():
                entry["units"] = units.text()  # shown beside the value
            shown["forms"][item.getModelName()] = entry
    for name, section in panel.sections.items():
        for plot in section.findChildren(TaurusPlot):
            for curve in plot.getPlotItem().listDataItems():
                if curve.name():  # not one of pyqtgraph's own helper items
                    x, y = curve.getData()
                    shown["curves"][f"{name}/{curve.name()}"] = _curve_summary(x, y, arrays)
    for trace in panel.traces:
        shown["rates_now_hz"][trace.name()] = None if np.isnan(trace.latest) else \
            _number(trace.latest)
    for name, controls in panel.controls.items():
        shown["messages"][name] = controls.message.text()
    return shown


def summary_json(shown: dict[str, Any]) -> str:
    """:func:`describe` as JSON, one line per widget."""
    sections = [f" {json.dumps(section)}: {{\n" + ",\n".join(
        f"  {json.dumps(name)}: {json.dumps(value)}" for name, value in entries.items()) + "}"
        for section, entries in shown.items()]
    return "{\n" + ",\n".join(sections) + "\n}"


def run_event_loop(app: Any, seconds: float) -> None:
    """Run the real Qt event loop for ``seconds``."""
    from taurus.external.qt import Qt

    Qt.QTimer.singleShot(int(seconds * 1000), app.quit)
    app.exec_()


def snapshot(panel: Any, directory: Path, seconds: float, app: Any,
             arrays: bool = False) -> dict[str, Any]:
    """Run the event loop ``seconds``, save a PNG per section, return :func:`describe`."""
    directory.mkdir(parents=True, exist_ok=True)
    panel.show()
    run_event_loop(app, seconds)
    panel.grab().save(str(directory / "panel.png"))
    for name, section in panel.sections.items():
        section.grab().save(str(directory / f"{name}.png"))
    return describe(panel, arrays)


def parser() -> argparse.ArgumentParser:
    """The command line of ``timetagger-gui``."""
    result = argparse.ArgumentParser(
        prog="timetagger-gui",
        description="A ready Taurus panel for one Time Tagger: its settings, the count rates "
                    "now and since start, a correlation plot, and Start, Stop, Clear and "
                    "Start-for buttons for each measurement.")
    result.add_argument("tagger", help="TimeTagger device name (TANGO_HOST selects the database)")
    for cls in SHOWN:
        result.add_argument(f"--{cls.lower()}", metavar="DEVICE",
                            help=f"{cls} device to show (default: the first of the tagger's "
                                 "server, from the database)")
    result.add_argument("--snapshot", type=Path, metavar="DIR",
                        help="run without a window for --seconds, save PNGs of the panel into "
                             "DIR, print a JSON summary of what it shows (shapes, peaks, rates), "
                             "exit")
    result.add_argument("--seconds", type=float, default=4.0, metavar="S",
                        help="with --snapshot: how long the panel runs first (default 4)")
    result.add_argument("--arrays", action="store_true",
                        help="with --snapshot: also print every plotted point")
    return result


def main(argv: Sequence[str] | None = None) -> int:
    """Console entry point of ``timetagger-gui``."""
    args = parser().parse_args(argv)
    try:
        from taurus.qt.qtgui.application import TaurusApplication
        import taurus_pyqtgraph  # noqa: F401 - checked here to fail with the hint below
    except ImportError as exc:
        print(f"timetagger-gui needs the gui extra (taurus, taurus_pyqtgraph, PyQt5): in the "
              f"checkout, {INSTALL_HINT} (./run.sh installs it). {exc}", file=sys.stderr)
        return 2
    import taurus
    taurus.setLogLevel(taurus.Warning)
    devices = find_devices(args.tagger, args.counter, args.countrate, args.correlation)
    app = TaurusApplication(cmd_line_parser=None, app_name="timetagger-gui")
    panel = build_panel(devices)
    if args.snapshot:
        print(summary_json(snapshot(panel, args.snapshot, args.seconds, app, args.arrays)))
        return 0
    panel.show()
    return app.exec_()


if __name__ == "__main__":
    sys.exit(main())
