"""The device server: every Tango class of this package in one process."""

from __future__ import annotations

from typing import Sequence

from tango.server import run

from .factory import build_all
from .tagger_device import TimeTagger


def device_classes() -> list[type]:
    """The classes in start-up order: tagger, virtual channels, measurements."""
    return [TimeTagger, *build_all().values()]


def main(args: Sequence[str] | None = None) -> None:
    """Run the server: ``TimeTaggerDS <instance> [Tango options]``."""
    run(device_classes(), args=list(args) if args is not None else None)
