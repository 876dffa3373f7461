"""Constants and enumerations of the Time Tagger API, with the library's names and values."""
from __future__ import annotations

import enum

#: Channel number that marks an optional channel parameter as not used.
CHANNEL_UNUSED: int = -134217728

#: First channel number handed out to virtual channels (documented simulator choice:
#: the real library also numbers virtual channels above the physical inputs).
FIRST_VIRTUAL_CHANNEL: int = 101


class Resolution(enum.IntEnum):
    Standard = 0
    HighResA = 1
    HighResB = 2
    HighResC = 3


class ChannelEdge(enum.IntFlag):
    All = 0
    Rising = 1
    Falling = 2
    HighResAll = 4
    HighResRising = 5
    HighResFalling = 6
    StandardAll = 8
    StandardRising = 9
    StandardFalling = 10


class CoincidenceTimestamp(enum.IntEnum):
    Last = 0
    Average = 1
    First = 2
    ListedFirst = 3


class GatedChannelInitial(enum.IntEnum):
    Closed = 0
    Open = 1


class TestSignalSource(enum.IntEnum):
    Digital = 0
    Analog = 1


class AccessMode(enum.IntFlag):
    Listen = 0
    SynchronousListen = 1
    Control = 2
    SynchronousControl = 3


def _flat_aliases() -> dict[str, object]:
    """The SWIG-style flat aliases (``Resolution_Standard``, ...) the library also exports."""
    aliases: dict[str, object] = {}
    for enum_class in (Resolution, ChannelEdge, CoincidenceTimestamp, GatedChannelInitial,
                       TestSignalSource, AccessMode):
        for member in enum_class.__members__.values():
            aliases[f"{enum_class.__name__}_{member.name}"] = member
    return aliases


globals().update(_flat_aliases())
