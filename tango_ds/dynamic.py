"""CreateMeasurement / DeleteMeasurement: add and remove devices in a running server.

A request is checked completely before anything is written: the JSON (bounded in
size and depth), the Tango name rules, every parameter, the memory budget, the
virtual-channel references (no cycles), and finally a trial build of the library
object.  Only then is the device written to the Tango database (its properties
first, so it starts with them) and created in this process with
``Util.create_device``; if that fails, what was written is removed again.  Deleting
uses ``Util.delete_device`` (which also removes it from the database), or the
database alone for a device of this server that never started.  Both therefore
survive a restart of the server.

The same request twice is harmless: a device that exists with the same class and
settings is left as it is and its name returned; with other settings the request is
refused, naming the differences.
"""

from __future__ import annotations

import json
import re
from typing import Any

import tango

from . import errors, memorize, registry
from .budget import BudgetError
from .iterator_device import build_object, stored_form, virtual_channel_names
from .messages import shown
from .params import DependencyPending, ParamError, to_property
from .properties import PropertyError, check_range
from .specs import BY_NAME, MEASUREMENT_PROPERTIES, ClassSpec

#: The JSON argument of CreateMeasurement, as its command documentation shows it.
REQUEST_DOC = (
    'JSON object: {"class": one of the measurement or virtual-channel classes, '
    '"name": "domain/family/member" (ASCII letters, digits, _ . -; 1-85 characters per '
    'field, 255 in all), "params": {library parameter name: value, ...} (channels as '
    'numbers or virtual-channel device names; a missing one takes the library default), '
    '"properties": {"EventPeriodMs": ms} (optional), "autostart": true|false (optional, '
    'measurements: acquire now and after every restart)}. An identical device that exists '
    'is kept and its name returned.')
#: Longest CreateMeasurement argument (a request is a few hundred characters).
MAX_REQUEST = 65536
_FIELD = r"[A-Za-z0-9_.\-]{1,85}"
_DEVICE_NAME = re.compile(rf"^{_FIELD}/{_FIELD}/{_FIELD}$")
_MAX_NAME = 255
_KEYS = ("class", "name", "params", "properties", "autostart")


def check_name(name: Any) -> str:
    """``name`` when it follows the Tango naming rules this server uses, else DevFailed."""
    if not isinstance(name, str) or len(name) > _MAX_NAME or not _DEVICE_NAME.match(name) \
            or name.lower().startswith("dserver/"):
        errors.fail(errors.INVALID_VALUE, f"name = {shown(name)} is not allowed: use a Tango "
                    "device name domain/family/member of ASCII letters, digits, '_', '.' and "
                    f"'-', 1 to 85 characters per field and {_MAX_NAME} in all (not dserver/...)")
    return name


def _request(text: str) -> tuple[ClassSpec, str, dict[str, Any], dict[str, Any]]:
    """Parse and check the JSON argument; returns (spec, name, params, properties)."""
    if len(text) > MAX_REQUEST:
        errors.fail(errors.INVALID_VALUE, f"CreateMeasurement got {len(text)} characters: at "
                    f"most {MAX_REQUEST} are allowed ({REQUEST_DOC})")
    try:
        request = json.loads(text)
    except (ValueError, RecursionError) as exc:  # not JSON, too deep, or an endless number
        errors.fail(errors.INVALID_VALUE, f"CreateMeasurement needs JSON, got {shown(text)} "
                    f"({type(exc).__name__}: {shown(str(exc))[1:-1]})")
    if not isinstance(request, dict):
        errors.fail(errors.INVALID_VALUE, f"CreateMeasurement needs a JSON object, got "
                    f"{shown(request)}: {REQUEST_DOC}")
    unknown = sorted(set(request) - set(_KEYS))
    if unknown:
        errors.fail(errors.INVALID_VALUE, f"CreateMeasurement: keys {shown(unknown)} are not "
                    f"allowed: use {', '.join(_KEYS)}")
    spec = BY_NAME.get(request.get("class")) if isinstance(request.get("class"), str) else None
    if spec is None:
        errors.fail(errors.INVALID_VALUE, f"class = {shown(request.get('class'))} is not "
                    f"allowed: use one of {', '.join(BY_NAME)}")
    name = check_name(request.get("name"))
    params, props = request.get("params", {}), dict(request.get("properties", {}) or {})
    if not isinstance(params, dict):
        errors.fail(errors.INVALID_VALUE, f"params = {shown(params)} is not allowed: use a JSON "
                    "object of parameter names and values")
    autostart = request.get("autostart")
    if autostart is not None:
        if spec.family != "measurement" or not isinstance(autostart, bool):
            errors.fail(errors.INVALID_VALUE, f"autostart = {shown(autostart)} is not allowed: "
                        "use true or false, for a measurement class")
        props["AutoStart"] = autostart
    return spec, name, params, props


def _check_params(spec: ClassSpec, params: dict[str, Any]) -> None:
    allowed = [p.name for p in spec.params]
    unknown = sorted(set(params) - set(allowed))
    if unknown:
        hint = ' (use "autostart": true to start acquiring)' if "AutoStart" in unknown else ""
        errors.fail(errors.INVALID_VALUE, f"{spec.name} has no parameter {shown(unknown)}{hint}: "
                    f"use {', '.join(allowed)}")


def _check_properties(spec: ClassSpec, props: dict[str, Any]) -> dict[str, list[str]]:
    """The properties as database text, each checked."""
    allowed = set(MEASUREMENT_PROPERTIES) if spec.family == "measurement" else set()
    if set(props) - allowed:
        errors.fail(errors.INVALID_VALUE, f"properties {shown(sorted(set(props) - allowed))} "
                    f"are not allowed for {spec.name}: use "
                    f"{', '.join(sorted(allowed)) or 'none'}")
    text: dict[str, list[str]] = {}
    for key, value in props.items():
        kind = MEASUREMENT_PROPERTIES[key][0]
        if kind == "bool" and not isinstance(value, bool):
            errors.fail(errors.INVALID_VALUE, f"{key} = {shown(value)} is not allowed: use true "
                        "or false")
        if kind == "int":
            if not isinstance(value, int) or isinstance(value, bool):
                errors.fail(errors.INVALID_VALUE, f"{key} = {shown(value)} is not allowed: use an "
                            "integer")
            try:
                check_range(key, value)
            except PropertyError as exc:
                errors.fail(errors.INVALID_VALUE, str(exc))
        text[key] = [str(value).lower() if isinstance(value, bool) else str(value)]
    return text


def _parameter_text(spec: ClassSpec, params: dict[str, Any]) -> dict[str, list[str]]:
    names = virtual_channel_names()
    try:
        return {key: to_property(spec.param(key), stored_form(spec.param(key), value, names))
                for key, value in params.items()}
    except (ParamError, TypeError, ValueError) as exc:
        errors.fail(errors.INVALID_VALUE, f"{spec.name}: {exc}")


def _trial(spec: ClassSpec, name: str, tagger_device: Any, values: dict[str, Any]) -> None:
    """Build (and release) the library object once, with every check a device makes."""
    try:
        obj, _, _, undo = build_object(spec, name, values, tagger_device)
    except DependencyPending as exc:
        errors.fail(errors.NOT_READY, f"CreateMeasurement is not possible now: {exc}")
    except BudgetError as exc:
        errors.fail(errors.OVER_BUDGET, f"CreateMeasurement({spec.name} {name}): {exc}. "
                    "Nothing was created.")
    except ParamError as exc:
        errors.fail(errors.INVALID_VALUE, f"CreateMeasurement({spec.name} {name}): {exc}. "
                    "Nothing was created.")
    try:
        obj.stop()
    except Exception:  # noqa: BLE001 - released anyway
        pass
    undo()


def create(tagger_device: Any, text: str) -> str:
    """Create the device described by ``text`` (see ``CreateMeasurement``); returns its name."""
    spec, name, params, props = _request(text)
    _check_params(spec, params)
    values = {"Tagger": [tagger_device.get_name()], **_check_properties(spec, props),
              **_parameter_text(spec, params)}
    db = memorize.database()
    if db is None:
        errors.fail(errors.NO_DATABASE, "CreateMeasurement needs a Tango database, and this "
                    "server runs with -nodb: list the device with -dlist instead, or start the "
                    "server with TANGO_HOST set")
    existing = _existing(db, name)
    if existing is not None:
        return _same_or_fail(db, spec, name, existing, values)
    names = virtual_channel_names()
    _trial(spec, name, tagger_device,
           {key: stored_form(spec.param(key), value, names) for key, value in params.items()})
    try:
        db.put_device_property(name, values)
    except tango.DevFailed as exc:
        errors.fail(errors.NO_DATABASE, f"CreateMeasurement could not write {name} to the Tango "
                    f"database ({memorize.reason(exc)}): nothing was created")
    try:
        tango.Util.instance().create_device(spec.name, name)
    except tango.DevFailed as exc:
        _forget(db, name, values)
        errors.fail(errors.INVALID_VALUE, f"CreateMeasurement could not create {name}: "
                    f"{shown(exc.args[0].desc.strip())[1:-1]}; nothing was kept")
    if registry.find(name) is None:
        # pytango's create_device drops the device and its database entry when the device's
        # own start-up fails, without raising: report it instead of returning a ghost name
        _forget(db, name, values)
        errors.fail(errors.INVALID_VALUE, f"CreateMeasurement could not start {name}: the "
                    "device failed during start-up (see the server log); nothing was kept")
    return name


def _forget(db: tango.Database, name: str, values: dict[str, list[str]]) -> None:
    """Remove what a failed creation wrote (best effort: the database may be gone)."""
    for call in (lambda: db.delete_device_property(name, list(values)),
                 lambda: db.delete_device(name)):
        try:
            call()
        except tango.DevFailed:
            continue


def _existing(db: tango.Database, name: str) -> str | None:
    """The class of the device called ``name`` in the database (or this server), or None."""
    device = registry.find(name)
    if device is not None:
        return type(device).__name__
    try:
        return db.get_device_info(name).class_name
    except tango.DevFailed:
        return None


def _same_or_fail(db: tango.Database, spec: ClassSpec, name: str, existing: str,
                  wanted: dict[str, list[str]]) -> str:
    """``name`` when the existing device has the requested class and settings, else DevFailed."""
    device = registry.find(name)
    if existing != spec.name or device is None:
        errors.fail(errors.INVALID_VALUE, f"name = {shown(name)} is not allowed: a {existing} "
                    "device of that name exists already (DeleteMeasurement removes it)")
    try:
        stored = db.get_device_property(device.get_name(), list(wanted))
    except tango.DevFailed as exc:
        errors.fail(errors.NO_DATABASE, f"CreateMeasurement could not compare with the existing "
                    f"{name} ({memorize.reason(exc)})")
    differ = [key for key, value in wanted.items()
              if key != "Tagger" and [v.lower() for v in stored.get(key, [])]
              != [v.lower() for v in value]]
    if differ:
        shown_now = ", ".join(f"{key} = {shown(list(stored.get(key, [])) or 'default')}"
                              for key in differ)
        errors.fail(errors.INVALID_VALUE, f"{name} exists already with other settings "
                    f"({shown_now}): DeleteMeasurement it first, or choose another name")
    return device.get_name()


def delete(name: str) -> None:
    """Remove the generated device ``name`` from this server and from the database."""
    db = memorize.database()
    if db is None:
        errors.fail(errors.NO_DATABASE, "DeleteMeasurement needs a Tango database, and this "
                    "server runs with -nodb")
    device = registry.find(name)
    if device is None or device.registry_kind not in ("measurement", "virtual_channel"):
        if device is None and _never_started(db, name):
            return
        known = sorted(registry.of_kind("measurement")) + sorted(registry.of_kind("virtual_channel"))
        errors.fail(errors.INVALID_VALUE, f"name = {shown(name)} is not allowed: use a measurement "
                    f"or virtual-channel device of this server ({shown(known)})")
    users = sorted(other for other, dev in list(registry.of_kind("measurement").items())
                   + list(registry.of_kind("virtual_channel").items())
                   if dev is not device and device.get_name().lower() in dev.references()
                   and dev.dev_state() != tango.DevState.FAULT)
    if users:  # working devices would break; ones in FAULT (e.g. a cycle) are broken already
        errors.fail(errors.INVALID_VALUE, f"{device.get_name()} is used by {', '.join(users)}: "
                    "change their channels or delete them first")
    try:
        tango.Util.instance().delete_device(device.spec.name, device.get_name())
    except tango.DevFailed as exc:
        errors.fail(errors.NO_DATABASE, f"DeleteMeasurement could not remove {shown(name)}: "
                    f"{memorize.reason(exc)}")


def _never_started(db: tango.Database, name: str) -> bool:
    """Remove ``name`` from the database if it is a generated device of this server that is
    not running (it failed to start, or an older version created it); True when done.

    The server's own device list is searched (rather than ``get_device_info``, which
    pytango cannot decode for the non-ASCII names older versions accepted).
    """
    try:
        listed = list(db.get_device_class_list(tango.Util.instance().get_ds_name()))
    except tango.DevFailed as exc:
        errors.fail(errors.NO_DATABASE, f"DeleteMeasurement could not read this server's "
                    f"devices from the Tango database ({memorize.reason(exc)})")
    ours = {device: cls for device, cls in zip(listed[0::2], listed[1::2]) if cls in BY_NAME}
    found = next((device for device in ours if device.lower() == name.lower()), None)
    if found is None:
        return False
    try:
        db.delete_device_property(found, list(db.get_device_property_list(found, "*")))
        db.delete_device(found)
    except (tango.DevFailed, UnicodeError) as exc:
        text = memorize.reason(exc) if isinstance(exc, tango.DevFailed) else str(exc)
        errors.fail(errors.NO_DATABASE, f"DeleteMeasurement could not remove {shown(name)}: "
                    f"{shown(text)[1:-1]}")
    return True
