"""Read a provider module (``Swabian.TimeTagger``, legacy ``TimeTagger``, ``timetagger_sim``)
into a :class:`ProviderSpec`: what the bridge serves and what it leaves out, and why.

Nothing here is per measurement: classes are sorted by their place in the library's
class hierarchy (``TimeTaggerBase``, ``IteratorBase``, ``enum.Enum``) so a new
measurement in a new library version is served without touching this code. Every
public name ends up either in the spec or in :data:`EXCLUDED` with a reason, which the
coverage test checks against the real library.
"""
from __future__ import annotations

import enum
import inspect
from dataclasses import dataclass, field
from types import ModuleType
from typing import Any, Callable

from .paths import PATH_ARGUMENTS, takes_file_name
from .signatures import signature_of

#: Module-level names the bridge does not serve, each with the reason.
EXCLUDED: dict[str, str] = {
    "IteratorBase": "abstract base of every measurement; only its subclasses are constructed",
    "FlimAbstract": "abstract base of Flim and FlimBase",
    "SignalGeneratorBase": "abstract base of the Experimental signal generators",
    "CustomMeasurement": "a client's subclass would run client code in the server; the server "
                         "operator installs CustomMeasurement subclasses as plugins instead "
                         "(--plugin MODULE, Tango RpcPlugins) and clients create them by name",
    "CustomMeasurementBase": "base of CustomMeasurement (see there)",
    "CustomMeasurementBase_stop_all_custom_measurements": "belongs to CustomMeasurement (see there)",
    "CustomLogger": "callback into client code (setLogger); Pyro5 has no safe callbacks here",
    "setLogger": "installs a callback into client code; the server logs itself",
    "SwigPyIterator": "SWIG implementation detail, not part of the Time Tagger API",
    "setFrontend": "the bridge declares itself as frontend; clients must not change it",
    "setLanguageInfo": "usage-statistics metadata of the server process, set by the server",
    "addUsageStatisticsFrontendData": "usage-statistics metadata of the server process",
    "setUsageStatisticsStatus": "would let a remote client enable uploads of the server "
                                "host's usage statistics; a local administrator's choice",
    "setCustomBitFileName": "selects the FPGA firmware file on the server host; local administration",
    "flashLicense": "writes a licence into the hardware; local administration",
    "addSearchPath": "changes where the server process loads libraries from; local administration",
    "factoryAccess": "raw register access for the factory; can damage the device",
    "setSimulationOptions": "process-wide switches of the simulator (virtual time, seed) in the "
                            "server process; they would change every client's tagger",
}

#: Simulator-only tagger methods served only with ``remote_sim_control`` (CLI --allow-sim-control).
SIM_CONTROL: dict[str, str] = {
    "simUnplug": "simulates a lost USB connection of a tagger the server may share (the Tango "
                 "server's) with every client; served with --allow-sim-control only",
    "simConnect": "recables the simulated inputs of a tagger the server may share; served with "
                  "--allow-sim-control only",
}
#: Reason given for a call taking a file name that :data:`~rpc_bridge.paths.PATH_ARGUMENTS` lacks.
UNCONFINED_FILE = ("takes a file name that the bridge does not know how to keep inside the data "
                   "directory (add it to rpc_bridge.paths.PATH_ARGUMENTS)")

#: Classes that are not measurements but are constructed by the user.
CONSTRUCTIBLE = frozenset({"SynchronizedMeasurements", "FileReader", "SimDetector", "ChannelGate"})

#: Function names whose result is a tagger the calling connection owns (and frees).
TAGGER_FACTORY_PREFIX = "create"
FREE_FUNCTION = "freeTimeTagger"
NAMESPACES = ("Experimental",)


@dataclass
class ClassSpec:
    """One adapted class: how the client names it and what it offers."""

    name: str  #: client-side name, e.g. ``Correlation`` or ``Experimental.PhotonGenerator``
    wire_name: str  #: attribute of the server's root object, e.g. ``Experimental_PhotonGenerator``
    cls: type
    constructible: bool
    methods: dict[str, Callable] = field(default_factory=dict)
    properties: dict[str, Any] = field(default_factory=dict)
    excluded_members: dict[str, str] = field(default_factory=dict)
    #: A data snapshot (``TimeTagStreamBuffer``, ``HistogramLogBinsData``, clock states, ...):
    #: made by the library, every method a getter without arguments. Sent by value.
    value: bool = False


@dataclass
class ProviderSpec:
    """Everything the bridge serves from one provider module."""

    module: ModuleType
    functions: dict[str, Callable] = field(default_factory=dict)
    classes: dict[str, ClassSpec] = field(default_factory=dict)
    enums: dict[str, type] = field(default_factory=dict)
    constants: dict[str, Any] = field(default_factory=dict)
    excluded: dict[str, str] = field(default_factory=dict)

    @property
    def tagger_base(self) -> type:
        """The provider's ``TimeTaggerBase``."""
        return self.module.TimeTaggerBase

    @property
    def iterator_base(self) -> type:
        """The provider's ``IteratorBase``."""
        return self.module.IteratorBase

    def coverage(self) -> tuple[int, int, int]:
        """(adapted, excluded, total) public classes and functions."""
        adapted = len(self.functions) + len(self.classes) + len(self.enums)
        return adapted, len(self.excluded), adapted + len(self.excluded)


def _is_own(obj: Any, module: ModuleType) -> bool:
    """True for classes and functions defined by the provider package (not re-exported stdlib)."""
    owner = getattr(obj, "__module__", None) or ""
    return owner.split(".")[0] == module.__name__.split(".")[0]


def _has_no_constructor(cls: type) -> bool:
    """SWIG marks classes without a public constructor in the generated ``__init__``."""
    try:
        return "No constructor defined" in inspect.getsource(cls.__init__)
    except (OSError, TypeError):
        return False


def _confinable(owners: tuple[type, ...], name: str | None, func: Any) -> bool:
    """False for a call taking a file name that no PATH_ARGUMENTS entry covers."""
    keys = [c.__name__ if name is None else f"{c.__name__}.{name}" for c in owners] if owners else [name]
    return any(key in PATH_ARGUMENTS for key in keys) or not takes_file_name(func)


def _members(cls: type, excluded_names: dict[str, str]) -> tuple[dict[str, Callable], dict[str, Any], dict[str, str]]:
    """Public methods and properties of a class (inherited ones included)."""
    methods: dict[str, Callable] = {}
    properties: dict[str, Any] = {}
    excluded: dict[str, str] = {}
    for attr in inspect.classify_class_attrs(cls):
        name = attr.name
        if name.startswith("_") or name == "thisown":
            continue
        if name in excluded_names:
            excluded[name] = excluded_names[name]
        elif attr.kind == "method" and not _confinable(cls.__mro__, name, attr.object):
            excluded[name] = UNCONFINED_FILE
        elif attr.kind == "method":
            methods[name] = attr.object
        elif attr.kind == "property":
            properties[name] = attr.object
    return methods, properties, excluded


def _takes_no_arguments(func: Callable) -> bool:
    sig = signature_of(func)
    return sig is not None and all(p.name == "self" for p in sig.parameters.values())


def _class_spec(name: str, wire_name: str, cls: type, spec: ProviderSpec,
                excluded_names: dict[str, str]) -> ClassSpec:
    is_iterator = issubclass(cls, spec.iterator_base)
    is_tagger = issubclass(cls, spec.tagger_base)
    constructible = ((is_iterator or name.rsplit(".", 1)[-1] in CONSTRUCTIBLE)
                     and not is_tagger and not _has_no_constructor(cls))
    methods, properties, excluded = _members(cls, excluded_names)
    value = (not constructible and not is_iterator and not is_tagger and bool(methods or properties)
             and all(_takes_no_arguments(f) for f in methods.values()))
    return ClassSpec(name, wire_name, cls, constructible, methods, properties, excluded, value)


def _add_class(name: str, cls: type, spec: ProviderSpec, excluded_names: dict[str, str],
               prefix: str = "") -> None:
    full = prefix + name
    if name in EXCLUDED:
        spec.excluded[full] = EXCLUDED[name]
    elif not issubclass(cls, enum.Enum) and not _confinable(cls.__mro__, None, cls.__init__):
        spec.excluded[full] = UNCONFINED_FILE
    elif issubclass(cls, enum.Enum):
        spec.enums[full] = cls
    else:
        spec.classes[full] = _class_spec(full, full.replace(".", "_"), cls, spec, excluded_names)


def _plugin_spec(name: str, cls: type, spec: ProviderSpec, excluded_names: dict[str, str]) -> ClassSpec:
    """A plugin measurement: its own public methods and those of every measurement."""
    hooks = {n for n in dir(spec.module.CustomMeasurement) if not hasattr(spec.iterator_base, n)}
    methods, properties, excluded = _members(cls, excluded_names)
    return ClassSpec(name, name, cls, True, {n: f for n, f in methods.items() if n not in hooks},
                     properties, excluded)


def inspect_provider(module: ModuleType, remote_sim_control: bool = False,
                     plugins: dict[str, type] | None = None) -> ProviderSpec:
    """Sort every public name of ``module`` into functions, classes, enums, constants or exclusions.

    ``remote_sim_control`` serves the simulator's :data:`SIM_CONTROL` methods too;
    ``plugins`` (:func:`rpc_bridge.plugins.load`) are served as constructible classes.
    """
    spec = ProviderSpec(module)
    excluded_names = EXCLUDED if remote_sim_control else {**EXCLUDED, **SIM_CONTROL}
    for name, cls in (plugins or {}).items():
        spec.classes[name] = _plugin_spec(name, cls, spec, excluded_names)
    for name, obj in inspect.getmembers(module):
        if name.startswith("_"):
            continue
        if name in NAMESPACES:  # a class (SWIG) or a submodule (simulator) grouping classes
            for inner, inner_cls in inspect.getmembers(obj, inspect.isclass):
                if not inner.startswith("_") and _is_own(inner_cls, module):
                    _add_class(inner, inner_cls, spec, excluded_names, prefix=name + ".")
        elif inspect.isclass(obj) and _is_own(obj, module):
            _add_class(name, obj, spec, excluded_names)
        elif callable(obj) and not inspect.isclass(obj) and _is_own(obj, module):
            if name in EXCLUDED:
                spec.excluded[name] = EXCLUDED[name]
            elif not _confinable((), name, obj):
                spec.excluded[name] = UNCONFINED_FILE
            else:
                spec.functions[name] = obj
        elif isinstance(obj, enum.Enum):  # the flat aliases (ChannelEdge_Rising), ints in SWIG
            spec.constants[name] = obj.value
        elif isinstance(obj, (bool, int, float, str)):
            spec.constants[name] = obj
    return spec
