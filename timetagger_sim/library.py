"""Module functions about the library itself: version, build, channel numbering, usage statistics.

The simulator collects and uploads no usage statistics: the status is kept in memory only
(``persistent_config`` writes nothing), the report says there is no data, and the front-end and
language information is recorded but never sent anywhere.
"""
from __future__ import annotations

import json
import platform
import sys

import numba
import numpy as np

from . import validation
from .constants import FrontendType, LanguageUsed, UsageStatisticsStatus

_VERSION = "2.22.6-sim"
#: Channel numbering schemes (the library's TT_CHANNEL_NUMBER_SCHEME_AUTO/ZERO/ONE).
SCHEME_AUTO, SCHEME_ZERO, SCHEME_ONE = 0, 1, 2
#: When this simulator release was made (seconds since 1970), reported as the compilation time.
_BUILD_TIMESTAMP = 1_764_547_200
_NO_REPORT = "Info: No report data available yet (the simulator collects no usage statistics)"

_state = {"scheme": SCHEME_AUTO, "statistics": UsageStatisticsStatus.Disabled,
          "frontend": FrontendType.Undefined, "language": (LanguageUsed.Python, sys.version.split()[0])}


def getVersion() -> str:
    """The simulated library version: the Swabian version it mirrors, marked as simulator."""
    return _VERSION


def getCompilationTimestamp() -> int:
    """When this simulator release was built (seconds since 1970-01-01)."""
    return _BUILD_TIMESTAMP


def getCompilerVersion() -> str:
    """What runs the simulator's compiled loops: numba, numpy and the Python implementation."""
    return (f"numba {numba.__version__}, numpy {np.__version__}, "
            f"{platform.python_implementation()} {platform.python_version()}")


def checkSystemLibraries() -> None:
    """Nothing to check: the simulator needs no MSVCP or okFrontPanel system libraries."""


def hasTimeTaggerVirtualLicense() -> bool:
    """True: the simulator's TimeTaggerVirtual needs no licence."""
    return True


def setTimeTaggerChannelNumberScheme(scheme: int) -> None:
    """Channel numbering: 0 automatic, 2 from 1 (the simulator's); 1 (from 0, very old TT20s) is refused."""
    value = validation.integer("scheme", scheme)
    if value not in (SCHEME_AUTO, SCHEME_ONE):
        raise ValueError(f"scheme {value} is not supported: the simulator numbers channels from 1 "
                         f"(use {SCHEME_AUTO}, automatic, or {SCHEME_ONE}, one-based)")
    _state["scheme"] = value


def getTimeTaggerChannelNumberScheme() -> int:
    """The channel numbering scheme (0 automatic, 2 one-based)."""
    return _state["scheme"]


def setUsageStatisticsStatus(new_status: UsageStatisticsStatus, persistent_config: bool = True) -> None:
    """Record the usage-statistics consent (in memory only: the simulator never collects or uploads)."""
    try:
        _state["statistics"] = UsageStatisticsStatus(validation.integer("new_status", new_status))
    except ValueError:
        raise ValueError(f"new_status={new_status!r} is not a UsageStatisticsStatus "
                         f"({[m.name for m in UsageStatisticsStatus]})") from None


def getUsageStatisticsStatus() -> UsageStatisticsStatus:
    """The recorded usage-statistics status (Disabled unless set)."""
    return _state["statistics"]


def getUsageStatisticsReport() -> str:
    """The usage-statistics report: there is never data, the simulator collects none."""
    return _NO_REPORT


def addUsageStatisticsFrontendData(frontend_session_id: int, json_payload: str, tagger=None) -> None:
    """Accept front-end telemetry and drop it (the payload must be JSON, as the library expects)."""
    validation.integer("frontend_session_id", frontend_session_id)
    if not isinstance(json_payload, str):
        raise TypeError(f"json_payload must be JSON text, got {type(json_payload).__name__}")
    json.loads(json_payload)


def setFrontend(frontend: FrontendType) -> None:
    """Record the front end in use (for usage statistics the simulator never sends)."""
    _state["frontend"] = int(validation.integer("frontend", frontend))


def setLanguageInfo(pw: int, language: LanguageUsed, version: str) -> None:
    """Record the language in use (for usage statistics the simulator never sends)."""
    validation.integer("pw", pw)
    if not isinstance(version, str):
        raise TypeError(f"version must be a string, got {type(version).__name__}")
    _state["language"] = (int(validation.integer("language", language)), version)
