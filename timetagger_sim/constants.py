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


class TagType(enum.IntEnum):
    """``Tag.type`` / ``TimeTagStreamBuffer.getEventTypes()`` values."""

    TimeTag = 0
    Error = 1
    OverflowBegin = 2
    OverflowEnd = 3
    MissedEvents = 4


class FpgaLinkInterface(enum.IntEnum):
    SFPP_10GE = 0
    QSFPP_40GE = 1


class FrontendType(enum.IntEnum):
    Undefined = 0
    WebApp = 1
    Firefly = 2
    Pyro5RPC = 3
    UserFrontend = 4


class LanguageUsed(enum.IntEnum):
    Cpp = 0
    Python = 1
    Csharp = 2
    Matlab = 3
    Labview = 4
    Mathematica = 5
    Unknown = 255


class UsageStatisticsStatus(enum.IntEnum):
    Disabled = 0
    Collecting = 1
    CollectingAndUploading = 2


#: Levels of the messages ``setLogger`` callbacks receive.
LOGGER_ERROR: int = 40
LOGGER_WARNING: int = 30
LOGGER_INFO: int = 10

#: ``Event.state`` values of ``Scope.getData``.
UNKNOWN: int = 0
HIGH: int = 1
LOW: int = 2

#: Edge selections of the older ``getChannelList`` API.
TT_CHANNEL_RISING_AND_FALLING_EDGES: int = 0
TT_CHANNEL_RISING_EDGES: int = 1
TT_CHANNEL_FALLING_EDGES: int = 2

#: Platform format specifier for paths (the library's C++ ``PRI_STR``).
PRI_STR: str = "%s"

#: A front end of the library's usage statistics that has no ``FrontendType`` member.
FrontendType_DLScat: int = 5


def _flat_aliases() -> dict[str, object]:
    """The SWIG-style flat aliases (``Resolution_Standard``, ...) the library also exports."""
    aliases: dict[str, object] = {}
    for enum_class in (Resolution, ChannelEdge, CoincidenceTimestamp, GatedChannelInitial,
                       TestSignalSource, AccessMode, FpgaLinkInterface, FrontendType, LanguageUsed,
                       UsageStatisticsStatus):
        for member in enum_class.__members__.values():
            aliases[f"{enum_class.__name__}_{member.name}"] = member
    return aliases


globals().update(_flat_aliases())
