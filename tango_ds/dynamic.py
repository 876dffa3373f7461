"""CreateMeasurement / DeleteMeasurement: add and remove devices in a running server.

A new device is written to the Tango database (its properties first, so it starts
with them; they are removed again if the device cannot be created) and created in this process with ``Util.create_device``; deleting uses
``Util.delete_device``, which also removes it from the database.  Both therefore
survive a restart of the server.
"""

from __future__ import annotations

import json
import re
from typing import Any

import tango

from . import errors, memorize, registry
from .params import DependencyPending, ParamError, to_library, to_property
from .specs import BY_NAME, COMMON_PROPERTIES, MEASUREMENT_PROPERTIES, ClassSpec

_DEVICE_NAME = re.compile(r"^[\w.\-]+/[\w.\-]+/[\w.\-]+$")


def _request(text: str) -> tuple[ClassSpec, str, dict[str, Any], dict[str, Any]]:
    """Parse and check the JSON argument (class, name, params, properties)."""
    try:
        request = json.loads(text)
    except json.JSONDecodeError as exc:
        errors.fail(errors.INVALID_VALUE, f"CreateMeasurement needs JSON, got {text!r} ({exc})")
    if not isinstance(request, dict):
        errors.fail(errors.INVALID_VALUE, "CreateMeasurement needs a JSON object with class, "
                    "name and params")
    unknown = set(request) - {"class", "name", "params", "properties"}
    if unknown:
        errors.fail(errors.INVALID_VALUE, f"CreateMeasurement: keys {sorted(unknown)} are not "
                    "allowed: use class, name, params, properties")
    spec = BY_NAME.get(str(request.get("class")))
    if spec is None:
        errors.fail(errors.INVALID_VALUE, f"class = {request.get('class')!r} is not allowed: use "
                    f"one of {', '.join(BY_NAME)}")
    name = str(request.get("name", ""))
    if not _DEVICE_NAME.match(name):
        errors.fail(errors.INVALID_VALUE, f"name = {name!r} is not allowed: use a Tango device "
                    "name domain/family/member")
    params, props = request.get("params", {}), request.get("properties", {})
    if not isinstance(params, dict) or not isinstance(props, dict):
        errors.fail(errors.INVALID_VALUE, "params and properties must be JSON objects")
    return spec, name, params, props


def _check_params(spec: ClassSpec, params: dict[str, Any], library: Any) -> None:
    allowed = [p.name for p in spec.params]
    unknown = sorted(set(params) - set(allowed))
    if unknown:
        errors.fail(errors.INVALID_VALUE, f"{spec.name} has no parameter {unknown}: use "
                    f"{', '.join(allowed)}")

    def exists(device_name: str) -> int:
        device = registry.find(device_name)
        if device is None or device.registry_kind != "virtual_channel":
            raise ParamError(f"{device_name!r} is not a virtual-channel device of this server")
        return 0

    for param in spec.params:
        try:
            to_library(param, params.get(param.name), exists, library)
        except (ParamError, DependencyPending) as exc:
            errors.fail(errors.INVALID_VALUE, f"{spec.name}: {exc}")


def _db_value(value: Any) -> list[str]:
    items = value if isinstance(value, (list, tuple)) else [value]
    return [str(v).lower() if isinstance(v, bool) else str(v) for v in items]


def create(tagger_device: Any, text: str) -> str:
    """Create the device described by ``text`` (see ``CreateMeasurement``); returns its name."""
    spec, name, params, props = _request(text)
    allowed_props = set(COMMON_PROPERTIES) | (
        set(MEASUREMENT_PROPERTIES) if spec.family == "measurement" else set())
    if set(props) - allowed_props:
        errors.fail(errors.INVALID_VALUE, f"properties {sorted(set(props) - allowed_props)} are "
                    f"not allowed for {spec.name}: use {', '.join(sorted(allowed_props))}")
    try:
        library = tagger_device.backend()[1]
    except DependencyPending as exc:
        errors.fail(errors.NOT_READY, f"CreateMeasurement is not possible now: {exc}")
    _check_params(spec, params, library)
    db = memorize.database()
    if db is None:
        errors.fail(errors.NO_DATABASE, "CreateMeasurement needs a Tango database, and this "
                    "server runs with -nodb: list the device with -dlist instead, or start the "
                    "server with TANGO_HOST set")
    if registry.find(name) is not None or _registered(db, name):
        errors.fail(errors.INVALID_VALUE, f"name = {name!r} is not allowed: a device of that "
                    "name exists already (DeleteMeasurement removes it)")
    values = {"Tagger": _db_value(tagger_device.get_name()),
              **{k: _db_value(v) for k, v in props.items()},
              **{k: to_property(spec.param(k), v) for k, v in params.items()}}
    db.put_device_property(name, values)
    try:
        tango.Util.instance().create_device(spec.name, name)
    except tango.DevFailed as exc:
        # leave no orphan properties: a later device of that name would inherit them
        db.delete_device_property(name, list(values))
        errors.fail(errors.INVALID_VALUE, f"CreateMeasurement could not create {name!r}: "
                    f"{exc.args[0].desc.strip()}")
    if registry.find(name) is None:
        # pytango's create_device drops the device and its database entry when the device's
        # own start-up fails, without raising: report it instead of returning a ghost name
        db.delete_device_property(name, list(values))
        errors.fail(errors.INVALID_VALUE, f"CreateMeasurement could not start {name!r}: the "
                    "device failed during start-up (see the server log)")
    return name


def _registered(db: tango.Database, name: str) -> bool:
    try:
        db.get_device_info(name)
    except tango.DevFailed:
        return False
    return True


def delete(name: str) -> None:
    """Remove the generated device ``name`` from this server and from the database."""
    device = registry.find(name)
    if device is None or device.registry_kind not in ("measurement", "virtual_channel"):
        known = sorted(registry.of_kind("measurement")) + sorted(registry.of_kind("virtual_channel"))
        errors.fail(errors.INVALID_VALUE, f"name = {name!r} is not allowed: use a measurement or "
                    f"virtual-channel device of this server ({', '.join(known) or 'none'})")
    if memorize.database() is None:
        errors.fail(errors.NO_DATABASE, "DeleteMeasurement needs a Tango database, and this "
                    "server runs with -nodb")
    tango.Util.instance().delete_device(device.spec.name, device.get_name())
