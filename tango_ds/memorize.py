"""Settings written by clients, kept in the Tango database so a restart brings them back.

Measurement parameters: the device property of the same name is the memory; an
attribute write updates it (see :func:`store_property`).

Input settings of the TimeTagger device: Tango memorizes scalar attributes only, yet
the per-input settings of the tagger
(``trigger_levels``, ``input_delays``, ``deadtimes``, ``test_signal_channels``) are
spectra.  Every write of one of them, by attribute or by command, stores the full
spectrum in the database as the attribute property ``__value`` (Tango's own place for memorized values); the device
applies it again when it (re)opens the tagger, so a restarted server comes back with
the settings clients last made.

Each of these raises ``DevFailed`` when the database cannot be reached; callers store
*before* they apply a setting, so a setting the database did not take is not applied.
"""

from __future__ import annotations

from typing import Any, Sequence

import tango

PROPERTY = "__value"  # where Tango keeps memorized values; dsconfig knows it


def database() -> tango.Database | None:
    """The Tango database of this server, or None when it runs with -nodb."""
    util = tango.Util.instance()
    return util.get_database() if util._UseDb else None


def reason(exc: tango.DevFailed) -> str:
    """The telling line of a database error (not the bare CORBA one), short enough for a message."""
    errors = [e for e in exc.args if getattr(e, "desc", "").strip()]
    telling = [e for e in errors if e.reason != "API_CorbaException"] or errors
    if not telling:
        return type(exc).__name__
    return telling[0].desc.strip().splitlines()[0][:160]


def store(device: tango.server.Device, attribute: str, values: Sequence[Any]) -> None:
    """Record ``values`` as the memorized value of ``attribute`` of ``device``."""
    db = database()
    if db is not None:
        db.put_device_attribute_property(
            device.get_name(), {attribute: {PROPERTY: [str(v) for v in values] or ["[]"]}})


def restore(device: tango.server.Device, attribute: str) -> list[str] | None:
    """The memorized value of ``attribute`` (strings), or None when there is none."""
    db = database()
    if db is None:
        return None
    stored = db.get_device_attribute_property(device.get_name(), [attribute])
    values = list(stored.get(attribute, {}).get(PROPERTY, []))
    if not values:
        return None
    return [] if values == ["[]"] else values


def forget(device: tango.server.Device, attributes: Sequence[str]) -> None:
    """Drop the memorized values of ``attributes`` (after a reset, defaults are the truth)."""
    db = database()
    if db is not None:
        db.delete_device_attribute_property(device.get_name(), {a: [PROPERTY] for a in attributes})


def store_property(device: tango.server.Device, name: str, values: Sequence[Any]) -> None:
    """Write device property ``name`` (used by parameter attributes: the property is their memory)."""
    db = database()
    if db is not None:
        db.put_device_property(device.get_name(), {name: [str(v) for v in values]})
