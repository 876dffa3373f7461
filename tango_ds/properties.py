"""Read a device's properties from the Tango database; every failure becomes a sentence.

``get_device_properties`` raises a CORBA error when the database is down and a bare
``ValueError`` when a value cannot be converted; either used to leave a device in
``INIT`` with no reason.  :func:`load` turns them, and numeric values outside
:data:`~tango_ds.specs.PROPERTY_RANGES`, into :class:`PropertyError` (the device
shows it as FAULT) or :class:`DatabaseUnreachable` (the device retries by itself).
"""

from __future__ import annotations

import numbers
from typing import Any

import tango
from tango.utils import seqStr_2_obj

from . import memorize
from .messages import shown
from .specs import PROPERTY_RANGES

#: Seconds between two attempts to read the properties while the database is unreachable.
RETRY_S = 2.0


class PropertyError(ValueError):
    """A property value is not allowed; the message names it, its value and the range."""


class DatabaseUnreachable(PropertyError):
    """The Tango database could not be read (the device retries every :data:`RETRY_S`)."""


def database_failure(exc: tango.DevFailed, what: str) -> DatabaseUnreachable:
    """The sentence for a database call that failed while doing ``what``."""
    return DatabaseUnreachable(f"the Tango database could not be reached while {what} "
                               f"({shown(memorize.reason(exc), 160)[1:-1]})")


def load(device: tango.server.Device) -> None:
    """Fetch and check every device property of ``device`` (it then reads them as attributes)."""
    try:
        device.get_device_properties()
    except tango.DevFailed as exc:
        raise database_failure(exc, "reading the properties") from None
    except Exception:  # noqa: BLE001 - pytango's conversion failed: find which value
        raise PropertyError(_unconvertible(device)) from None
    for name in PROPERTY_RANGES:
        if _declared(device, name):
            check_range(name, getattr(device, name))


def check_range(name: str, value: Any) -> None:
    """PropertyError when the numeric property ``name`` is outside its range."""
    allowed = PROPERTY_RANGES[name]
    if value is None:
        return
    if not (isinstance(value, numbers.Real) and allowed.minimum <= value <= allowed.maximum):
        raise PropertyError(f"{name} = {shown(value)} is not allowed: use "
                            f"{allowed.allowed(isinstance(value, numbers.Integral))}")


def _declared(device: tango.server.Device, name: str) -> bool:
    return name in device.get_device_class().device_property_list


def _unconvertible(device: tango.server.Device) -> str:
    """'<property> = <value> is not a <type>' for the first value pytango could not convert."""
    declared: dict[str, Any] = device.get_device_class().device_property_list
    db = memorize.database()
    if db is None:
        return "a device property could not be converted to its type"
    try:
        stored = db.get_device_property(device.get_name(), list(declared))
    except tango.DevFailed as exc:
        raise database_failure(exc, "reading the properties") from None
    for name, (dtype, *_rest) in declared.items():
        values = list(stored.get(name, []))
        if not values:
            continue
        try:
            seqStr_2_obj(values, dtype)
        except Exception:  # noqa: BLE001 - the value we are looking for
            what = tango.CmdArgType(dtype).name.replace("DevVar", "").replace("Dev", "")
            value = values[0] if len(values) == 1 else values
            allowed = PROPERTY_RANGES.get(name)
            hint = f": use {allowed.allowed(what not in ('Double', 'Float'))}" if allowed else ""
            return f"{name} = {shown(value)} is not a valid {what} value{hint}"
    return "a device property could not be converted to its type"
