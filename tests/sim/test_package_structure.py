"""The simulator package has no import cycle, and every public class lives in the package of its family."""
from __future__ import annotations

import ast
import inspect
from pathlib import Path

import timetagger_sim as SIM
from timetagger_sim import Experimental

PACKAGE = Path(SIM.__file__).parent
NAME = "timetagger_sim"


def module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def modules() -> dict[str, Path]:
    return {module_name(p): p for p in PACKAGE.rglob("*.py")}


def resolve(importer: str, is_package: bool, level: int, target: str | None) -> str:
    """The absolute module name of ``from <level dots><target> import ...`` inside ``importer``."""
    base = importer.split(".")
    if not is_package:
        base = base[:-1]
    base = base[:len(base) - level + 1] if level > 1 else base
    return ".".join(base + ([target] if target else []))


def imports_of(name: str, path: Path, known: set[str]) -> set[str]:
    """Package modules ``name`` imports anywhere (module level, functions, TYPE_CHECKING blocks)."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names if alias.name.split(".")[0] == NAME}
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                source = resolve(name, path.name == "__init__.py", node.level, node.module)
            else:
                source = node.module or ""
            if source.split(".")[0] != NAME:
                continue
            for alias in node.names:     # ``from . import x`` imports the submodule x when there is one
                candidate = f"{source}.{alias.name}"
                found.add(candidate if candidate in known else source)
    return found - {name}


def import_graph() -> dict[str, set[str]]:
    known = modules()
    return {name: imports_of(name, path, set(known)) & set(known) for name, path in known.items()}


def find_cycle(graph: dict[str, set[str]]) -> list[str]:
    """One import cycle as a list of modules, or [] (depth-first search)."""
    state: dict[str, int] = {}
    stack: list[str] = []

    def visit(node: str) -> list[str]:
        state[node] = 1
        stack.append(node)
        for nxt in sorted(graph[node]):
            if state.get(nxt) == 1:
                return stack[stack.index(nxt):] + [nxt]
            if nxt not in state and (cycle := visit(nxt)):
                return cycle
        stack.pop()
        state[node] = 2
        return []

    for node in sorted(graph):
        if node not in state and (cycle := visit(node)):
            return cycle
    return []


def test_the_analysis_sees_relative_imports_and_would_report_a_cycle():
    graph = import_graph()
    assert "timetagger_sim.engine.engine" in graph["timetagger_sim.taggers.base"]
    assert "timetagger_sim.validation" in graph["timetagger_sim.iterator"]
    assert find_cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]


def test_no_module_of_the_package_takes_part_in_an_import_cycle():
    cycle = find_cycle(import_graph())
    assert cycle == [], "import cycle: " + " -> ".join(cycle)


def test_subpackages_only_document_their_family():
    """Subpackage ``__init__`` files import nothing, so importing one module never loads its siblings."""
    for name, path in modules().items():
        if path.name == "__init__.py" and name != NAME:
            body = ast.parse(path.read_text()).body
            assert len(body) == 1 and isinstance(body[0], ast.Expr), f"{name} should hold only a docstring"


def family_package(cls: type, experimental: bool) -> str:
    """The subpackage a public class belongs in, from its place in the library's hierarchy."""
    if issubclass(cls, SIM.TimeTaggerBase):
        return "taggers"
    if experimental:
        return "sources"
    if issubclass(cls, SIM.IteratorBase):
        return "virtual_channels" if cls._role.name == "VIRTUAL_CHANNEL" else "measurements"
    return ""


def test_every_public_class_lives_in_the_package_of_its_family():
    misplaced = []
    for namespace, experimental in ((SIM, False), (Experimental, True)):
        for name in namespace.__all__:
            cls = getattr(namespace, name)
            if not inspect.isclass(cls) or not cls.__module__.startswith(NAME + "."):
                continue
            family = family_package(cls, experimental)
            if family and cls.__module__.split(".")[1] != family and name != "IteratorBase":
                misplaced.append(f"{name} in {cls.__module__} (family: {family})")
    assert misplaced == []
