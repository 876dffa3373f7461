"""Generate the Tango device classes from the spec table in :mod:`tango_ds.specs`.

One function turns a :class:`~tango_ds.specs.ClassSpec` into a
``tango.server.Device`` subclass named like the library class: a device property
and a memorized writable attribute per constructor parameter, a read-only
attribute per data getter, and a command per extra action.
"""

from __future__ import annotations

from typing import Any

from tango import AttrDataFormat, AttrWriteType, CmdArgType, DeviceClass
from tango.server import attribute, command, device_property

from .budget import MAX_TRANSFER_BYTES, human_bytes
from .iterator_device import MeasurementDevice, VirtualChannelDevice
from .specs import (ALL_CLASSES, COMMON_PROPERTIES, ENUMS, MAX_CHANNELS, MAX_DIM,
                    MEASUREMENT_PROPERTIES, PROPERTY_RANGES, Action, ClassSpec, Data, Param)

#: numpy dtype names of the spec table -> Tango types.
TANGO_TYPES: dict[str, CmdArgType] = {
    "int32": CmdArgType.DevLong,
    "int64": CmdArgType.DevLong64,
    "uint64": CmdArgType.DevULong64,
    "float64": CmdArgType.DevDouble,
    "bool": CmdArgType.DevBoolean,
    "str": CmdArgType.DevString,
    "int": CmdArgType.DevLong,
}
#: Parameter kinds -> (Tango type of the attribute, of the property, attribute format).
PARAM_TYPES: dict[str, tuple[Any, Any, AttrDataFormat]] = {
    "channel": (CmdArgType.DevLong, str, AttrDataFormat.SCALAR),
    "channels": (CmdArgType.DevLong, (str,), AttrDataFormat.SPECTRUM),
    "int32": (CmdArgType.DevLong, CmdArgType.DevLong, AttrDataFormat.SCALAR),
    "int64": (CmdArgType.DevLong64, CmdArgType.DevLong64, AttrDataFormat.SCALAR),
    "float": (CmdArgType.DevDouble, CmdArgType.DevDouble, AttrDataFormat.SCALAR),
    "enum": (CmdArgType.DevEnum, str, AttrDataFormat.SCALAR),
}
_FORMATS = {"int32": "%d", "int64": "%d", "float": "%.6g", "channel": "%d", "channels": "%d"}
#: What a channel attribute shows and takes (its property also takes device names).
_CHANNEL_DOC = (" The attribute shows the channel numbers in use; writing the number of a "
                "virtual channel keeps that device's name in the property, so the setting "
                "survives restarts (where virtual channels get new numbers).")
_DATA_FORMATS = {"scalar": AttrDataFormat.SCALAR, "spectrum": AttrDataFormat.SPECTRUM,
                 "image": AttrDataFormat.IMAGE}


def _property(name: str, dtype: str | Any, default: Any, doc: str) -> device_property:
    kind = {"str": str, "bool": bool, "int": int}.get(dtype, dtype) if isinstance(dtype, str) \
        else dtype
    allowed = PROPERTY_RANGES.get(name)
    if allowed:
        doc = f"{doc} Allowed: {allowed.allowed(dtype == 'int')}."
    return device_property(dtype=kind, default_value=default, doc=doc)


def allowed_doc(spec: ClassSpec, param: Param) -> str:
    """'<doc> Allowed: <values>.', and for a size the limits of the data it sizes."""
    text = f"{param.doc} Allowed: {param.allowed()}."
    if param.kind.startswith("int") and any(param.name in (d.dims or ()) for d in spec.data):
        text += (" The data it sizes must also fit in the tagger's MemoryBudgetMB and in "
                 f"{human_bytes(MAX_TRANSFER_BYTES)} per attribute (what a Tango client reads "
                 "in one call).")
    return text


def param_property(spec: ClassSpec, param: Param) -> device_property:
    """The device property holding ``param`` (no default when the library needs a value)."""
    _, prop_type, _ = PARAM_TYPES[param.kind]
    doc = allowed_doc(spec, param)
    if param.required:
        return device_property(dtype=prop_type, doc=doc)
    return device_property(dtype=prop_type, default_value=param.default, doc=doc)


def param_attribute(spec: ClassSpec, param: Param) -> attribute:
    """The writable attribute mirroring ``param``; a write rebuilds the object and is kept
    in the property of the same name (its memory across restarts)."""
    attr_type, _, fmt = PARAM_TYPES[param.kind]

    def fget(self: Any) -> Any:
        return self._read_param(param.name)

    def fset(self: Any, value: Any) -> None:
        self._write_param(param.name, value)

    extra: dict[str, Any] = {}
    if fmt == AttrDataFormat.SPECTRUM:
        extra["max_dim_x"] = MAX_CHANNELS
    if param.kind == "enum":
        extra["enum_labels"] = list(ENUMS[param.enum or ""])
    if param.kind in _FORMATS:
        extra["format"] = _FORMATS[param.kind]
    # No min_value/max_value: Tango would then refuse an out-of-range write itself with a
    # message naming neither the value nor the range; the device's own check names both
    # (and the range is in the description that Jive and Taurus show).
    channel_doc = _CHANNEL_DOC if param.kind in ("channel", "channels") else ""
    return attribute(name=param.name, dtype=attr_type, dformat=fmt,
                     access=AttrWriteType.READ_WRITE, label=param.display_label, unit=param.unit,
                     doc=f"{allowed_doc(spec, param)} Writing rebuilds the measurement, clears "
                         f"its data and updates the property.{channel_doc}",
                     fget=fget, fset=fset, **extra)


def data_attribute(data: Data) -> attribute:
    """The read-only attribute publishing ``data`` with its native dtype."""

    def fget(self: Any) -> Any:
        return self._read_data(data)

    fmt = _DATA_FORMATS[data.shape]
    dims: dict[str, int] = {}
    if fmt != AttrDataFormat.SCALAR:
        dims["max_dim_x"] = MAX_DIM
    if fmt == AttrDataFormat.IMAGE:
        dims["max_dim_y"] = MAX_DIM
    return attribute(name=data.name, dtype=TANGO_TYPES[data.dtype], dformat=fmt,
                     access=AttrWriteType.READ, label=data.label, unit=data.unit,
                     format=data.format or "%s", doc=data.doc, fget=fget, **dims)


def action_command(action: Action) -> command:
    """A command calling the library method of ``action``."""
    if action.argin is None:
        def run(self: Any) -> None:
            self.run_action(action)
        run.__name__, run.__doc__ = action.name, action.doc
        return command(f=run)

    def run_with(self: Any, argin: Any) -> None:
        self.run_action(action, argin)
    run_with.__name__, run_with.__doc__ = action.name, action.doc
    return command(f=run_with, dtype_in=TANGO_TYPES[action.argin], doc_in=action.argin_doc)


def build_class(spec: ClassSpec) -> type:
    """The Tango device class for ``spec``, named like the library class."""
    base = MeasurementDevice if spec.family == "measurement" else VirtualChannelDevice
    namespace: dict[str, Any] = {"spec": spec, "__doc__": spec.doc,
                                 "__module__": __name__}
    properties = dict(COMMON_PROPERTIES)
    if spec.family == "measurement":
        properties.update(MEASUREMENT_PROPERTIES)
    for name, (dtype, default, doc) in properties.items():
        namespace[name] = _property(name, dtype, default, doc)
    for param in spec.params:
        namespace[param.name] = param_property(spec, param)
        # attribute and property share the library's name: keep the property under it in
        # the Tango class, and the attribute under a private Python name
        namespace[f"_attr_{param.name}"] = param_attribute(spec, param)
    for data in spec.data:
        namespace[f"_attr_{data.name}"] = data_attribute(data)
    for action in spec.actions:
        namespace[action.name] = action_command(action)
    return without_none_defaults(type(spec.name, (base,), namespace))


def without_none_defaults(device_class: type) -> type:
    """``device_class`` with its property wizard showing no default as Tango's "Not specified".

    pytango registers a property without a default in the wizard (what Jive's property
    wizard shows, ``QueryWizardDevProperty``) with the text "None"; C++ servers register
    it without a default, which Tango reports as "Not specified".  Do the same.
    """
    base = device_class.TangoClassClass
    properties = base.device_property_list

    def add_wiz_dev_prop(self: DeviceClass, name: str, desc: str, default: str = "") -> None:
        if properties[name][2] is None:
            DeviceClass.add_wiz_dev_prop(self, name, desc)
        else:
            DeviceClass.add_wiz_dev_prop(self, name, desc, default)

    device_class.TangoClassClass = type(base.__name__, (base,),
                                        {"add_wiz_dev_prop": add_wiz_dev_prop})
    return device_class


def build_all() -> dict[str, type]:
    """Every generated class by Tango class name, virtual channels first."""
    ordered = sorted(ALL_CLASSES, key=lambda s: s.family != "virtual_channel")
    return {spec.name: build_class(spec) for spec in ordered}

