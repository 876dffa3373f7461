"""The simulator's API is the library's: every public name of ``Swabian.TimeTagger`` exists, or is excluded.

Compared against the installed ``Swabian.TimeTagger`` (imported only; nothing is opened):
module functions, classes, enums, constants and the ``Experimental`` classes; for each class
every public member (inherited ones included), the public ancestors, and the parameter names and
defaults of every callable. A name that is neither implemented nor in
``timetagger_sim.exclusions.EXCLUDED`` (with its reason) fails the test; the coverage is printed.

Where the library's SWIG signature is ``(*args, **kwargs)``, parameter names come from its
docstring (``:param name:`` lines, ``name(a, b=1) -> T`` lines, ``*Overload n:*`` sections) and
defaults from the signature lines or the ``(default: X)`` notes of the parameter descriptions.
"""
from __future__ import annotations

import ast
import inspect
import re
from dataclasses import dataclass
from pathlib import Path

import pytest

import timetagger_sim as SIM
from timetagger_sim.exclusions import EXCLUDED

Swabian = pytest.importorskip("Swabian.TimeTagger", reason="Swabian-TimeTagger is part of the test extra")

UNKNOWN = object()           #: a default the library does not document
SIMULATOR_ONLY = {"setSimulationOptions", "getSimulationOptions"}
README = Path(__file__).resolve().parents[2] / "README.md"


# -- the library's public names -------------------------------------------------------------------
def library_names() -> dict[str, object]:
    """Public module-level names (modules left out) and ``Experimental.X`` classes."""
    names = {}
    for name in dir(Swabian):
        obj = getattr(Swabian, name)
        if name.startswith("_") or inspect.ismodule(obj):
            continue
        if name == "Experimental":
            names |= {f"Experimental.{n}": getattr(obj, n) for n in dir(obj)
                      if not n.startswith("_") and inspect.isclass(getattr(obj, n))}
        else:
            names[name] = obj
    return names


def display_name(cls: type) -> str:
    return cls.__name__.replace("Experimental_", "Experimental.")


def ours(name: str) -> object | None:
    obj = SIM
    for part in name.split("."):
        obj = getattr(obj, part, None)
        if obj is None:
            return None
    return obj


def kind(obj: object) -> str:
    if inspect.isclass(obj):
        return "enum" if hasattr(obj, "__members__") else "class"
    return "function" if callable(obj) else "constant"


def public_members(cls: type) -> dict[str, inspect.Attribute]:
    return {a.name: a for a in inspect.classify_class_attrs(cls)
            if not a.name.startswith("_") and a.name not in ("thisown", "this")}


LIBRARY = library_names()
IMPLEMENTED = {n: o for n, o in LIBRARY.items() if ours(n) is not None}
CLASSES = sorted(n for n, o in IMPLEMENTED.items() if kind(o) == "class")


# -- signatures ----------------------------------------------------------------------------------
@dataclass
class Overload:
    names: list[str]
    defaults: dict[str, object]


def literal(text: str) -> object:
    """A default written in a docstring, as a value (UNKNOWN when it is not a plain value)."""
    text = text.strip().strip("'\"`").rstrip(".")
    text = re.sub(r"^\w+::", "", text)                      # GatedChannelInitial::Closed
    if text in ("CHANNEL_UNUSED", "TimeTag", "empty", "empty string", '""'):
        return {"CHANNEL_UNUSED": Swabian.CHANNEL_UNUSED, "TimeTag": 0}.get(text, "")
    if text in ("Closed", "Open"):
        return int(getattr(Swabian.GatedChannelInitial, text))
    try:
        return ast.literal_eval(text)
    except (ValueError, SyntaxError):
        return UNKNOWN


def param_sections(doc: str) -> list[str]:
    return re.split(r"\*Overload \d+:\*", doc)[1:] if "*Overload" in doc else [doc]


def overloads_from_params(section: str) -> Overload | None:
    names = re.findall(r"^:param (\w+):", section, flags=re.MULTILINE)
    if not names:
        return None
    defaults = {}
    for name in names:
        text = re.search(rf"^:param {name}:(.*?)(?=^:\w|\Z)", section, flags=re.MULTILINE | re.DOTALL)
        note = re.search(r"\(\s*(?:optional,\s*)?default:?\s*([^()]*?)\)", text.group(1) if text else "")
        if note:
            defaults[name] = literal(note.group(1))
    return Overload(names, defaults)


def overloads_from_lines(doc: str) -> list[Overload]:
    found = []
    for args in re.findall(r"^\s*\w+\(([^)]*)\)\s*->", doc, flags=re.MULTILINE):
        parts = [p.strip() for p in args.split(",") if p.strip() and p.strip() != "self"]
        names = [p.split("=")[0].strip() for p in parts]
        defaults = {p.split("=")[0].strip(): literal(p.split("=", 1)[1]) for p in parts if "=" in p}
        found.append(Overload(names, defaults))
    return found


def library_overloads(func) -> list[Overload] | None:
    """The documented parameter lists of a library callable (None: nothing to compare)."""
    try:
        params = [p for p in inspect.signature(func).parameters.values() if p.name != "self"]
    except (TypeError, ValueError):
        params = None
    if params is not None and not any(p.kind in (p.VAR_POSITIONAL, p.VAR_KEYWORD) for p in params):
        return [Overload([p.name for p in params],
                         {p.name: p.default for p in params if p.default is not p.empty})]
    doc = inspect.getdoc(func) or ""
    if doc.startswith("Initialize self."):
        return None
    lines = overloads_from_lines(doc)
    if lines:
        return lines
    found = [o for o in (overloads_from_params(s) for s in param_sections(doc)) if o is not None]
    return found or None


def our_signature(func) -> Overload | None:
    params = [p for p in inspect.signature(func).parameters.values() if p.name != "self"]
    if any(p.kind in (p.VAR_POSITIONAL, p.VAR_KEYWORD) for p in params):
        return None
    return Overload([p.name for p in params], {p.name: p.default for p in params if p.default is not p.empty})


def signature_problem(theirs, mine) -> str | None:
    """Why ``mine`` does not have the library's signature (None when it does)."""
    expected = library_overloads(theirs)
    if expected is None:
        return None
    got = our_signature(mine)
    if got is None:
        return None if len(expected) > 1 else "takes *args/**kwargs instead of named parameters"
    union = list(dict.fromkeys(n for o in expected for n in o.names))
    for overload in expected:
        if got.names in (overload.names, union):
            wrong = {n: (d, got.defaults.get(n, "no default")) for n, d in overload.defaults.items()
                     if d is not UNKNOWN and n in got.names and got.defaults.get(n, object()) != d}
            if not wrong:
                return None
            return f"defaults differ (library, ours): {wrong}"
    return f"parameters {got.names}, library {[o.names for o in expected]}"


# -- tests ---------------------------------------------------------------------------------------
def test_every_public_name_is_implemented_or_excluded_with_a_reason():
    missing = sorted(n for n in LIBRARY if n not in IMPLEMENTED and n not in EXCLUDED)
    assert missing == [], f"neither implemented nor excluded: {missing}"
    assert sorted(n for n in EXCLUDED if n in IMPLEMENTED) == [], "excluded names must not exist"
    assert all(len(reason) > 30 for reason in EXCLUDED.values())


def test_every_public_member_of_each_class_is_implemented_or_excluded():
    missing, present_but_excluded = [], []
    for name in CLASSES:
        theirs, mine = LIBRARY[name], ours(name)
        for member, attr in public_members(theirs).items():
            key = f"{display_name(attr.defining_class)}.{member}"
            if not hasattr(mine, member):
                if key not in EXCLUDED:
                    missing.append(key)
            elif key in EXCLUDED:
                present_but_excluded.append(key)
    assert sorted(set(missing)) == []
    assert present_but_excluded == []


def test_simulator_additions_are_marked_simulator_only():
    """Our public names that the library lacks are simulator switches, documented as such."""
    extra = [n for n in SIM.__all__ if n not in LIBRARY and n != "Experimental"]
    assert sorted(extra) == sorted(SIMULATOR_ONLY)
    for name in CLASSES:
        theirs = public_members(LIBRARY[name])
        for member in public_members(ours(name)):
            if member not in theirs:
                doc = inspect.getdoc(getattr(ours(name), member)) or ""
                assert member.startswith("sim") and doc.startswith("Simulator only"), f"{name}.{member}"
    for name in SIMULATOR_ONLY:
        assert inspect.getdoc(getattr(SIM, name)).startswith("Simulator only"), name


@pytest.mark.parametrize("name", sorted(n for n, o in IMPLEMENTED.items() if kind(o) == "function"))
def test_module_function_signature(name):
    assert signature_problem(LIBRARY[name], ours(name)) is None


@pytest.mark.parametrize("name", CLASSES)
def test_class_signatures_and_hierarchy(name):
    theirs, mine = LIBRARY[name], ours(name)
    problems = {}
    for member, attr in public_members(theirs).items():
        if attr.kind in ("method", "static method", "class method") and hasattr(mine, member):
            problem = signature_problem(getattr(theirs, member), getattr(mine, member))
            if problem:
                problems[member] = problem
    if inspect.getdoc(theirs.__init__) and not inspect.getdoc(theirs.__init__).startswith("Initialize self"):
        problem = signature_problem(theirs.__init__, mine.__init__)
        if problem:
            problems["__init__"] = problem
    assert problems == {}
    assert public_ancestors(mine) == ({display_name(c) for c in theirs.__mro__[1:]} & LIBRARY_CLASSES)


LIBRARY_CLASSES = {display_name(c) for c in LIBRARY.values() if inspect.isclass(c)}


def public_ancestors(cls: type) -> set[str]:
    """The library classes among our ancestors (our private helper bases left out)."""
    found = set()
    for base in cls.__mro__[1:]:
        for candidate in (base.__name__, "Experimental." + base.__name__):
            if candidate in LIBRARY_CLASSES and ours(candidate) is base:
                found.add(candidate)
    return found


@pytest.mark.parametrize("name", sorted(n for n, o in IMPLEMENTED.items() if kind(o) == "enum"))
def test_enum_members_and_values(name):
    assert {k: int(v) for k, v in ours(name).__members__.items()} == \
           {k: int(v) for k, v in LIBRARY[name].__members__.items()}


@pytest.mark.parametrize("name", sorted(n for n, o in IMPLEMENTED.items() if kind(o) == "constant"))
def test_constant_values(name):
    assert ours(name) == LIBRARY[name]


def test_readme_lists_every_exclusion_with_its_reason():
    text = README.read_text()
    missing = [name for name in EXCLUDED if f"`{name}`" not in text]
    assert missing == []


def coverage(names) -> str:
    names = list(names)
    done = sum(1 for n in names if n in IMPLEMENTED)
    excluded = sum(1 for n in names if n in EXCLUDED)
    return f"{done} of {len(names)} implemented, {excluded} excluded"


def test_print_coverage():
    by_kind = {k: [n for n, o in LIBRARY.items() if kind(o) == k and not n.startswith("Experimental.")]
               for k in ("class", "enum", "function", "constant")}
    methods = public_members(Swabian.TimeTagger)
    done = sum(1 for m in methods if hasattr(SIM.TimeTagger, m))
    excluded = sum(1 for m, a in methods.items() if f"{display_name(a.defining_class)}.{m}" in EXCLUDED)
    print(f"\nSwabian.TimeTagger {Swabian.getVersion()} against timetagger_sim:")
    print(f"  non-enum classes     {coverage(by_kind['class'])}")
    print(f"  enums                {coverage(by_kind['enum'])}")
    print(f"  module functions     {coverage(by_kind['function'])}")
    print(f"  constants            {coverage(by_kind['constant'])}")
    print(f"  TimeTagger methods   {done} of {len(methods)} implemented, {excluded} excluded")
    print(f"  Experimental classes {coverage(n for n in LIBRARY if n.startswith('Experimental.'))}")
    assert done + excluded == len(methods)
