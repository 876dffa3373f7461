"""Pogo descriptions (``pogo/<Class>.xmi``) of every Tango class of the device server.

``python -m tango_ds.pogo`` rewrites the files; ``python -m tango_ds.pogo --check``
exits with 1 when the committed files differ from what the code generates.

The source is the Tango class definitions themselves, the way ``tango.server`` sees
them (``TangoClassClass``: device properties, commands, attributes), which
:mod:`tango_ds.factory` builds from the spec table in :mod:`tango_ds.specs`.  So the
generated classes, the hand-written ``TimeTagger`` class and their Pogo files share
one source; the events each attribute pushes come from the spec table directly.
Nothing here is written per class.

Conventions of the files (PogoDsl 9, ``language="Python"``):

* ``memorized="true"`` marks every writable attribute: the device keeps what a client
  writes in the Tango database and applies it again at start-up (see
  :mod:`tango_ds.memorize`), which is what memorized means to an operator, although
  the device does it itself (Tango memorizes scalars only).
* A property without a default is ``mandatory``: the device goes to ``FAULT``, naming
  the property, when it is not set.
* ``State`` and ``Status`` are listed as Pogo lists them (inherited); ``Init`` is implicit.
"""

from __future__ import annotations

import argparse
import inspect
import re
import sys
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any, Sequence

from tango import AttrDataFormat, AttrWriteType, CmdArgType, DispLevel

NAMESPACE = "http://www.esrf.fr/tango/pogo/PogoDsl"
XMI = "http://www.omg.org/XMI"
XSI = "http://www.w3.org/2001/XMLSchema-instance"
POGO_REVISION = "9.8"
POGO_DIR = Path(__file__).resolve().parent.parent / "pogo"

#: Tango types -> Pogo types of command arguments and attribute data.
POGO_TYPES: dict[CmdArgType, str] = {
    CmdArgType.DevVoid: "VoidType",
    CmdArgType.DevBoolean: "BooleanType",
    CmdArgType.DevShort: "ShortType",
    CmdArgType.DevUShort: "UShortType",
    CmdArgType.DevLong: "IntType",
    CmdArgType.DevULong: "UIntType",
    CmdArgType.DevLong64: "LongType",
    CmdArgType.DevULong64: "ULongType",
    CmdArgType.DevFloat: "FloatType",
    CmdArgType.DevDouble: "DoubleType",
    CmdArgType.DevString: "StringType",
    CmdArgType.DevEnum: "EnumType",
    CmdArgType.DevState: "StateType",
    CmdArgType.ConstDevString: "ConstStringType",
    CmdArgType.DevUChar: "UCharType",
    CmdArgType.DevVarBooleanArray: "BooleanArrayType",
    CmdArgType.DevVarShortArray: "ShortArrayType",
    CmdArgType.DevVarLongArray: "IntArrayType",
    CmdArgType.DevVarLong64Array: "LongArrayType",
    CmdArgType.DevVarULong64Array: "ULongArrayType",
    CmdArgType.DevVarDoubleArray: "DoubleArrayType",
    CmdArgType.DevVarStringArray: "StringArrayType",
}
#: Tango types -> Pogo types of device properties (arrays become vectors).
PROPERTY_TYPES: dict[CmdArgType, str] = {
    CmdArgType.DevBoolean: "BooleanType",
    CmdArgType.DevShort: "ShortType",
    CmdArgType.DevLong: "IntType",
    CmdArgType.DevLong64: "LongType",
    CmdArgType.DevULong64: "ULongType",
    CmdArgType.DevFloat: "FloatType",
    CmdArgType.DevDouble: "DoubleType",
    CmdArgType.DevString: "StringType",
    CmdArgType.DevVarShortArray: "ShortVectorType",
    CmdArgType.DevVarLongArray: "IntVectorType",
    CmdArgType.DevVarLong64Array: "LongVectorType",
    CmdArgType.DevVarDoubleArray: "DoubleVectorType",
    CmdArgType.DevVarStringArray: "StringVectorType",
}
_FORMATS = {AttrDataFormat.SCALAR: "Scalar", AttrDataFormat.SPECTRUM: "Spectrum",
            AttrDataFormat.IMAGE: "Image"}
_RW = {AttrWriteType.READ: "READ", AttrWriteType.WRITE: "WRITE",
       AttrWriteType.READ_WRITE: "READ_WRITE", AttrWriteType.READ_WITH_WRITE: "READ_WITH_WRITE"}
_FAMILIES = {"tagger": "the instrument", "measurement": "a measurement",
             "virtual_channel": "a virtual channel"}

#: States each kind of device uses, with what they mean for it.
STATES: dict[str, str] = {
    "ON": "Ready: built on the tagger and idle (measurements: not acquiring).",
    "RUNNING": "Acquiring; change, archive and data-ready events are pushed.",
    "FAULT": "A property value or the backend failed; Status says which and what to do. "
             "Init recovers.",
    "INIT": "Connecting, or waiting for the tagger or a virtual channel it uses.",
}
#: Inherited commands as Pogo lists them: (name, argout type, argout description, description).
INHERITED_COMMANDS = (
    ("State", CmdArgType.DevState, "Device state",
     "This command gets the device state (stored in its device_state data member) "
     "and returns it to the caller."),
    ("Status", CmdArgType.ConstDevString, "Device status",
     "This command gets the device status (stored in its device_status data member) "
     "and returns it to the caller."),
)


def _sub(parent: ET.Element, tag: str, **attributes: str) -> ET.Element:
    return ET.SubElement(parent, tag, attributes)


def _typed(parent: ET.Element, tag: str, pogo_type: str, **attributes: str) -> ET.Element:
    element = _sub(parent, tag, **attributes)
    element.set(f"{{{XSI}}}type", f"pogoDsl:{pogo_type}")
    return element


def _status(parent: ET.Element, inherited: bool = False) -> None:
    _sub(parent, "status", abstract="false", inherited=str(inherited).lower(), concrete="true",
         concreteHere=str(not inherited).lower())


def _snake(name: str) -> str:
    return re.sub(r"(?<!^)(?=[A-Z])", "_", name).lower()


def _text(value: Any) -> str:
    return str(value).lower() if isinstance(value, bool) else str(value)


def kind_of(device_class: type) -> str:
    """``tagger``, ``measurement`` or ``virtual_channel`` (the device's registry kind)."""
    return device_class.registry_kind


def states_of(device_class: type) -> list[str]:
    """The states a device of this class goes through."""
    running = ["RUNNING"] if kind_of(device_class) == "measurement" else []
    return ["ON", *running, "FAULT", "INIT"]


def _event_attributes(device_class: type) -> set[str]:
    spec = getattr(device_class, "spec", None)
    if spec is None or kind_of(device_class) != "measurement":
        return set()
    return {data.name for data in spec.data if data.events}


def _description(parent: ET.Element, device_class: type) -> None:
    name = device_class.TangoClassName
    doc = inspect.getdoc(device_class) or ""
    description = _sub(parent, "description", description=doc,
                       title=f"{name}: {_FAMILIES[kind_of(device_class)]} of a Swabian "
                             "Instruments Time Tagger",
                       sourcePath="tango_ds", language="Python", filestogenerate="XMI   file",
                       license="LGPL", copyright="", hasMandatoryProperty=_text(any(
                           default is None for _, _, default, _ in
                           device_class.TangoClassClass.device_property_list.values())),
                       hasConcreteProperty="true", hasAbstractCommand="false",
                       hasAbstractAttribute="false")
    _sub(description, "inheritances", classname="Device_Impl", sourcePath="")
    identification = _sub(description, "identification", contact="at tango-controls.org - "
                          "tango-timetagger", author="tango-timetagger",
                          emailDomain="tango-controls.org", classFamily="CounterTimer",
                          siteSpecific="", platform="Unix Like",
                          bus="USB" if kind_of(device_class) == "tagger" else "Not Applicable",
                          manufacturer="Swabian Instruments", reference=name)
    for word in ("time tagger", "TDC", "photon counting", name):
        ET.SubElement(identification, "keyWords").text = word


def _properties(parent: ET.Element, device_class: type) -> None:
    for name, (dtype, doc, default, _) in device_class.TangoClassClass.device_property_list.items():
        element = _sub(parent, "deviceProperties", name=name, mandatory=_text(default is None),
                       description=doc)
        _typed(element, "type", PROPERTY_TYPES[CmdArgType(dtype)])
        _status(element)
        if default is not None:
            values = default if isinstance(default, (list, tuple)) else [default]
            for value in values:
                ET.SubElement(element, "DefaultPropValue").text = _text(value)


def _command(parent: ET.Element, name: str, argin: tuple[CmdArgType, str],
             argout: tuple[CmdArgType, str], doc: str, level: DispLevel,
             inherited: bool = False) -> None:
    element = _sub(parent, "commands", name=name, description=doc,
                   execMethod=f"dev_{name.lower()}" if inherited else _snake(name),
                   displayLevel=level.name, polledPeriod="0", isDynamic="false")
    for tag, (dtype, text) in (("argin", argin), ("argout", argout)):
        _typed(_sub(element, tag, description=text), "type", POGO_TYPES[CmdArgType(dtype)])
    _status(element, inherited)


def _commands(parent: ET.Element, device_class: type) -> None:
    for name, out_type, out_doc, doc in INHERITED_COMMANDS:
        _command(parent, name, (CmdArgType.DevVoid, "none"), (out_type, out_doc), doc,
                 DispLevel.OPERATOR, inherited=True)
    for name, (argin, argout, options) in sorted(device_class.TangoClassClass.cmd_list.items()):
        method = getattr(device_class, name, None)
        _command(parent, name, tuple(argin), tuple(argout), inspect.getdoc(method) or "",
                 options.get("Display level", DispLevel.OPERATOR))


def _attribute(parent: ET.Element, attr: Any, events: bool, data_ready: bool) -> None:
    fmt, prop = attr.attr_format, attr.att_prop
    writable = attr.attr_write != AttrWriteType.READ
    element = _sub(parent, "attributes", name=attr.attr_name, attType=_FORMATS[fmt],
                   rwType=_RW[attr.attr_write], displayLevel=attr.display_level.name,
                   polledPeriod="0",
                   maxX="" if fmt == AttrDataFormat.SCALAR else str(attr.dim_x),
                   maxY=str(attr.dim_y) if fmt == AttrDataFormat.IMAGE else "",
                   allocReadMember="false", isDynamic="false", memorized=_text(writable),
                   memorizedAtInit=_text(writable))
    _typed(element, "dataType", POGO_TYPES[CmdArgType(attr.attr_type)])
    for tag, fire in (("changeEvent", events), ("archiveEvent", events),
                      ("dataReadyEvent", data_ready)):
        _sub(element, tag, fire=_text(fire), libCheckCriteria="false")
    _status(element)
    _sub(element, "properties", description=prop.description, label=prop.label,
         unit=prop.unit, standardUnit=prop.standard_unit, displayUnit=prop.display_unit,
         format=prop.format, maxValue=prop.max_value, minValue=prop.min_value,
         maxAlarm=prop.max_alarm, minAlarm=prop.min_alarm, maxWarning=prop.max_warning,
         minWarning=prop.min_warning, deltaTime=prop.delta_t, deltaValue=prop.delta_val)
    labels = prop.enum_labels
    for label in (labels.split(",") if isinstance(labels, str) and labels else labels or ()):
        ET.SubElement(element, "enumLabels").text = label


def _attributes(parent: ET.Element, device_class: type) -> None:
    events = _event_attributes(device_class)
    for name, attr in sorted(device_class.TangoClassClass.attr_list.items()):
        _attribute(parent, attr, name in events, bool(events) and name == "data")


def class_element(device_class: type) -> ET.Element:
    """The ``<classes>`` element describing one Tango class."""
    element = ET.Element("classes", name=device_class.TangoClassName,
                         pogoRevision=POGO_REVISION)
    _description(element, device_class)
    _properties(element, device_class)
    _commands(element, device_class)
    _attributes(element, device_class)
    for state in states_of(device_class):
        _status(_sub(element, "states", name=state, description=STATES[state]))
    _sub(element, "preferences", docHome="./doc_html", makefileHome="")
    return element


def document(device_class: type) -> bytes:
    """The complete .xmi file of ``device_class`` (deterministic bytes)."""
    ET.register_namespace("xmi", XMI)
    ET.register_namespace("xsi", XSI)
    ET.register_namespace("pogoDsl", NAMESPACE)
    root = ET.Element(f"{{{NAMESPACE}}}PogoSystem", {f"{{{XMI}}}version": "2.0"})
    root.append(class_element(device_class))
    ET.indent(root)
    body = ET.tostring(root, encoding="us-ascii", xml_declaration=False)
    return b'<?xml version="1.0" encoding="ASCII"?>\n' + body + b"\n"


def device_classes() -> list[type]:
    """Every Tango class the device server runs."""
    from .server import device_classes as classes
    return classes()


def generate() -> dict[str, bytes]:
    """File name -> content, for every class."""
    return {f"{cls.TangoClassName}.xmi": document(cls) for cls in device_classes()}


def stale(directory: Path = POGO_DIR) -> list[str]:
    """Files in ``directory`` that are missing, different or not generated any more."""
    wanted = generate()
    present = {path.name for path in directory.glob("*.xmi")}
    differ = [name for name, text in wanted.items()
              if name not in present or (directory / name).read_bytes() != text]
    return sorted(differ + sorted(present - set(wanted)))


def write(directory: Path = POGO_DIR) -> list[Path]:
    """Write every file into ``directory``, removing .xmi files of classes that are gone."""
    directory.mkdir(parents=True, exist_ok=True)
    wanted = generate()
    for path in directory.glob("*.xmi"):
        if path.name not in wanted:
            path.unlink()
    written = []
    for name, text in wanted.items():
        path = directory / name
        path.write_bytes(text)
        written.append(path)
    return written


def main(argv: Sequence[str] | None = None) -> int:
    """``python -m tango_ds.pogo [--check] [--output DIR]``."""
    parser = argparse.ArgumentParser(description="Write pogo/*.xmi, the Pogo files of every "
                                     "Tango class of TimeTaggerDS.")
    parser.add_argument("--check", action="store_true",
                        help="do not write; exit 1 and list the files that are out of date")
    parser.add_argument("--output", type=Path, default=POGO_DIR,
                        help=f"directory of the .xmi files (default {POGO_DIR})")
    args = parser.parse_args(argv)
    if args.check:
        outdated = stale(args.output)
        for name in outdated:
            print(f"out of date: {args.output / name}", file=sys.stderr)
        if outdated:
            print("regenerate with: python -m tango_ds.pogo", file=sys.stderr)
        return 1 if outdated else 0
    for path in write(args.output):
        print(path)
    return 0


if __name__ == "__main__":
    sys.exit(main())
