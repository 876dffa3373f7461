"""The device server: every Tango class of this package in one process."""

from __future__ import annotations

from typing import Sequence

from tango.server import run

from .factory import build_all
from .tagger_device import TimeTagger


def device_classes() -> list[type]:
    """The classes in start-up order: tagger, virtual channels, measurements."""
    return [TimeTagger, *build_all().values()]


def main(args: Sequence[str]) -> None:
    """Run the server: ``TimeTaggerDS <instance> [Tango options]``.

    Without a database (``-nodb``) Tango gives the ``-dlist`` devices to the first class
    only, and measurements could not keep their parameters anyway: such a server runs
    the ``TimeTagger`` class alone (CreateMeasurement then explains why it cannot).
    """
    classes = [TimeTagger] if "-nodb" in args else device_classes()
    run(classes, args=list(args))
