"""The Pogo files: up to date with the code, valid PogoDsl, and true to the running devices.

The last test reads what a running server reports about itself (the C++ side of
Tango: ``get_attribute_config_ex``, ``command_list_query``, and the admin device's
``QueryWizardDevProperty``, which is what Jive's property wizard shows) and compares
every .xmi with it, field by field.
"""
from __future__ import annotations

import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import tango
from facility_helpers import ONE_OF_EACH, ROOT, wait_until

from tango_ds import pogo

POGO_DIR = ROOT / "pogo"
NS = {"pogoDsl": pogo.NAMESPACE, "xsi": pogo.XSI}
XSI_TYPE = f"{{{pogo.XSI}}}type"
#: Pogo type names -> Tango types (inverse of the generator's table, written out independently).
TANGO_OF = {
    "VoidType": tango.CmdArgType.DevVoid, "BooleanType": tango.CmdArgType.DevBoolean,
    "IntType": tango.CmdArgType.DevLong, "LongType": tango.CmdArgType.DevLong64,
    "ULongType": tango.CmdArgType.DevULong64, "DoubleType": tango.CmdArgType.DevDouble,
    "StringType": tango.CmdArgType.DevString, "ConstStringType": tango.CmdArgType.DevString,
    "EnumType": tango.CmdArgType.DevEnum, "StateType": tango.CmdArgType.DevState,
    "IntArrayType": tango.CmdArgType.DevVarLongArray,
    "LongArrayType": tango.CmdArgType.DevVarLong64Array,
    "DoubleArrayType": tango.CmdArgType.DevVarDoubleArray,
    "StringArrayType": tango.CmdArgType.DevVarStringArray,
}
FORMATS = {"Scalar": tango.AttrDataFormat.SCALAR, "Spectrum": tango.AttrDataFormat.SPECTRUM,
           "Image": tango.AttrDataFormat.IMAGE}
NOT_SET = {"", "Not specified", "No standard unit", "No display unit"}
#: Tango's own format of text attributes when none is given.
TEXT_TYPES = {tango.CmdArgType.DevString, tango.CmdArgType.DevEnum}


def xmi_files() -> list[Path]:
    return sorted(POGO_DIR.glob("*.xmi"))


def pogo_class(path: Path) -> ET.Element:
    root = ET.parse(path).getroot()
    assert root.tag == f"{{{pogo.NAMESPACE}}}PogoSystem"
    classes = root.findall("classes")
    assert len(classes) == 1
    return classes[0]


def test_committed_files_are_generated_from_the_code(tmp_path):
    """Regenerating changes nothing (else: run ``python -m tango_ds.pogo`` and commit)."""
    assert pogo.stale(POGO_DIR) == [], "pogo/*.xmi are out of date: run python -m tango_ds.pogo"
    check = subprocess.run([sys.executable, "-m", "tango_ds.pogo", "--check"], cwd=ROOT,
                           capture_output=True, text=True)
    assert check.returncode == 0, check.stderr
    # the checker notices a change
    copy = tmp_path / "pogo"
    copy.mkdir()
    for path in xmi_files():
        (copy / path.name).write_bytes(path.read_bytes())
    edited = copy / "Correlation.xmi"
    edited.write_text(edited.read_text().replace('unit="counts"', 'unit="cts"', 1))
    (copy / "Removed.xmi").write_text("<x/>")
    assert pogo.stale(copy) == ["Correlation.xmi", "Removed.xmi"]


def test_one_valid_pogo_file_per_class():
    assert sorted(p.stem for p in xmi_files()) == sorted(ONE_OF_EACH)
    for path in xmi_files():
        cls = pogo_class(path)
        assert cls.get("name") == path.stem
        description = cls.find("description")
        assert description.get("language") == "Python"
        assert description.get("description"), path
        assert cls.findall("states"), path
        for prop in cls.findall("deviceProperties"):
            assert prop.get("description") and prop.find("type").get(XSI_TYPE), (path, prop.get("name"))
        for attr in cls.findall("attributes"):
            props = attr.find("properties")
            assert props.get("label") and props.get("description"), (path, attr.get("name"))
            # every writable attribute is a setting the database keeps
            assert attr.get("memorized") == str(attr.get("rwType") != "READ").lower()
            if attr.get("attType") != "Scalar":
                assert int(attr.get("maxX")) > 0


def _pogo_type(element: ET.Element) -> tango.CmdArgType:
    return TANGO_OF[element.get(XSI_TYPE).split(":")[1]]


def _same(xmi_value: str, device_value: str) -> bool:
    return (xmi_value in NOT_SET and device_value in NOT_SET) or xmi_value == device_value


def _check_attributes(cls: ET.Element, device: tango.DeviceProxy) -> None:
    running = {c.name: c for c in device.attribute_list_query_ex()
               if c.name not in ("State", "Status")}
    declared = {a.get("name"): a for a in cls.findall("attributes")}
    assert sorted(declared) == sorted(running)
    for name, attr in declared.items():
        config, props = running[name], attr.find("properties")
        assert _pogo_type(attr.find("dataType")) == config.data_type, name
        assert FORMATS[attr.get("attType")] == config.data_format, name
        assert attr.get("rwType") == config.writable.name, name
        assert attr.get("displayLevel") == config.disp_level.name, name
        if config.data_format != tango.AttrDataFormat.SCALAR:
            assert int(attr.get("maxX")) == config.max_dim_x, name
        if config.data_format == tango.AttrDataFormat.IMAGE:
            assert int(attr.get("maxY")) == config.max_dim_y, name
        for field, value in (("label", config.label), ("unit", config.unit),
                             ("format", config.format), ("description", config.description),
                             ("minValue", config.min_value), ("maxValue", config.max_value)):
            if field == "format" and config.data_type in TEXT_TYPES and value == "%s":
                value = ""  # the format Tango gives text when the class sets none
            assert _same(props.get(field), value), (name, field, props.get(field), value)
        assert [e.text for e in attr.findall("enumLabels")] == list(config.enum_labels), name


def _check_commands(cls: ET.Element, device: tango.DeviceProxy) -> None:
    running = {c.cmd_name: c for c in device.command_list_query() if c.cmd_name != "Init"}
    declared = {c.get("name"): c for c in cls.findall("commands")}
    assert sorted(declared) == sorted(running)
    for name, command in declared.items():
        info = running[name]
        argin, argout = command.find("argin"), command.find("argout")
        assert _pogo_type(argin.find("type")) == info.in_type, name
        assert _pogo_type(argout.find("type")) == info.out_type, name
        assert command.get("displayLevel") == info.disp_level.name, name
        if name not in ("State", "Status"):
            assert argin.get("description") == info.in_type_desc, name
            assert argout.get("description") == info.out_type_desc, name


def _check_properties(cls: ET.Element, device: tango.DeviceProxy) -> None:
    admin = tango.DeviceProxy(device.adm_name())
    flat = admin.command_inout("QueryWizardDevProperty", cls.get("name"))
    wizard = {flat[i]: (flat[i + 1], flat[i + 2]) for i in range(0, len(flat), 3)}
    declared = {p.get("name"): p for p in cls.findall("deviceProperties")}
    assert sorted(declared) == sorted(wizard)
    for name, prop in declared.items():
        description, default = wizard[name]
        assert prop.get("description") == description, name
        values = [v.text or "" for v in prop.findall("DefaultPropValue")]
        if prop.get("mandatory") == "true":  # no default: Tango's own words, as C++ servers
            assert not values and default == "Not specified", (name, default)
        else:
            shown = values[0] if len(values) == 1 else str(values)  # a list is shown as such
            assert shown.lower() == default.lower(), (name, values, default)


def test_files_match_the_running_devices(every_class):
    for path in xmi_files():
        cls = pogo_class(path)
        device = every_class.get_device(ONE_OF_EACH[path.stem][0])
        _check_attributes(cls, device)
        _check_commands(cls, device)
        _check_properties(cls, device)
        states = [s.get("name") for s in cls.findall("states")]
        wait_until(lambda: device.state() != tango.DevState.INIT)
        assert device.state() == tango.DevState.ON and "ON" in states, (path.stem, device.status())
        if "Start" in {c.get("name") for c in cls.findall("commands")}:
            device.Start()
            assert device.state() == tango.DevState.RUNNING and "RUNNING" in states
            device.Stop()
