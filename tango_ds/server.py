"""The device server: every Tango class of this package in one process."""

from __future__ import annotations

import textwrap
from typing import Sequence

from tango.server import run

from .factory import build_all
from .specs import (COMMON_PROPERTIES, MEASUREMENT_PROPERTIES, MEASUREMENTS, REQUIRED,
                    TAGGER_PROPERTIES, VIRTUAL_CHANNELS, ClassSpec, Param)
from .tagger_device import TimeTagger

HELP_FLAGS = ("-h", "--help", "-?")


def device_classes() -> list[type]:
    """The classes in start-up order: tagger, virtual channels, measurements."""
    return [TimeTagger, *build_all().values()]


def _signature(spec: ClassSpec) -> str:
    """``Correlation(channel_1, channel_2=unused, binwidth=1000 ps, ...)`` from the spec table."""
    def shown(param: Param) -> str:
        if param.default is REQUIRED:
            return param.name
        return f"{param.name}={param.default}{' ' + param.unit if param.unit else ''}"
    return f"{spec.name}({', '.join(shown(p) for p in spec.params)})"


def _entries(pairs: Sequence[tuple[str, str]], indent: int = 2) -> list[str]:
    """``name  text`` lines, the text wrapped under itself."""
    lines = []
    for name, text in pairs:
        lines += textwrap.wrap(name, 88, initial_indent=" " * indent,
                               subsequent_indent=" " * (indent + 2), break_on_hyphens=False)
        lines += textwrap.wrap(text, 88, initial_indent=" " * (indent + 4),
                               subsequent_indent=" " * (indent + 4), break_on_hyphens=False)
    return lines


def help_text() -> str:
    """What ``TimeTaggerDS -h`` prints before Tango's own options (plain text)."""
    first_line = (TimeTagger.__doc__ or "").strip().splitlines()[0]
    tagger_props = [(f"{p.name} (default {p.default!r})", p.doc) for p in TAGGER_PROPERTIES]
    common = {**COMMON_PROPERTIES, **MEASUREMENT_PROPERTIES}
    other_props = [(f"{name} (default {default!r})", doc)
                   for name, (_, default, doc) in common.items()]
    lines = [
        "usage: TimeTaggerDS INSTANCE [Tango options]",
        "",
        *textwrap.wrap(
            "The Tango device server of tango-timetagger: Swabian Instruments Time Taggers and "
            "their measurements as Tango devices, every class below in one process. The Tango "
            "database (TANGO_HOST) holds the devices of instance INSTANCE and their properties; "
            "add devices with json2tango (a dsconfig file), Jive, or at run time with the "
            "TimeTagger command CreateMeasurement.", 90),
        "",
        "Device classes:",
        f"  TimeTagger    {first_line}",
        "  Measurements (commands Start, Stop, Clear, StartFor; data events while running):",
        *_entries([(_signature(s), s.doc) for s in MEASUREMENTS], 4),
        "  Virtual channels (attribute channel: the number to use in a channel parameter):",
        *_entries([(_signature(s), s.doc) for s in VIRTUAL_CHANNELS], 4),
        "",
        "Backends (TimeTagger property Backend): auto (hardware if found, else the simulator),",
        "  swabian (the Swabian library and hardware), sim (the simulator), rpc://host:port",
        "  (a tagger served by timetagger-rpc-server or another TimeTaggerDS with RpcPort).",
        "",
        "TimeTagger properties:",
        *_entries(tagger_props),
        "Measurement and virtual-channel properties: the parameters above, named as in the",
        "  library (a channel is an input number or a virtual-channel device name), and",
        *_entries(other_props),
        "",
        "Examples:",
        "  TANGO_HOST=127.0.0.1:10000 TimeTaggerDS quickstart",
        "      serve the devices of instance quickstart (timetagger-quickstart sets all up)",
        "  json2tango -w -u deploy/facility.json && TimeTaggerDS lab1",
        "      describe the devices in a dsconfig file, then serve them",
        "  TimeTaggerDS test -nodb -ORBendPoint giop:tcp:127.0.0.1:12345 -dlist test/tt/1",
        "      no database: one TimeTagger device (default properties) on port 12345",
        "",
        "Tango options (pytango):",
    ]
    return "\n".join(lines)


def main(args: Sequence[str]) -> None:
    """Run the server: ``TimeTaggerDS <instance> [Tango options]``.

    Without a database (``-nodb``) Tango gives the ``-dlist`` devices to the first class
    only, and measurements could not keep their parameters anyway: such a server runs
    the ``TimeTagger`` class alone (CreateMeasurement then explains why it cannot).
    """
    if any(arg in HELP_FLAGS for arg in args[1:]):
        print(help_text(), flush=True)  # then Tango's own option list, and exit
    classes = [TimeTagger] if "-nodb" in args else device_classes()
    run(classes, args=list(args))
