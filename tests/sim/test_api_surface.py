"""The simulator's API is the library's: names, hierarchy, parameter names and defaults.

Compared against the installed ``Swabian.TimeTagger`` (imported only; nothing is opened).
Where the library's SWIG signature is ``(*args, **kwargs)``, the parameter names come from
its docstring's ``:param name:`` lines.
"""
from __future__ import annotations

import inspect
import re

import pytest

import timetagger_sim as SIM

Swabian = pytest.importorskip("Swabian.TimeTagger", reason="Swabian-TimeTagger is part of the test extra")

MODULE_NAMES = [
    "scanTimeTagger", "createTimeTagger", "freeTimeTagger", "getVersion", "CHANNEL_UNUSED",
    "Resolution", "ChannelEdge", "CoincidenceTimestamp", "GatedChannelInitial", "TestSignalSource",
    "AccessMode",
]
TAGGER_METHODS = [
    "getSerial", "getModel", "getChannelList", "setTestSignal", "getTestSignal", "setTestSignalDivider",
    "getTestSignalDivider", "setTriggerLevel", "getTriggerLevel", "setInputDelay", "getInputDelay",
    "setDeadtime", "getDeadtime", "setEventDivider", "getEventDivider", "setConditionalFilter",
    "clearConditionalFilter", "getOverflows", "clearOverflows", "getOverflowsAndClear", "sync", "reset",
    "getConfiguration", "getPsPerClock", "getFirmwareVersion",
]
ITERATOR_METHODS = ["start", "startFor", "stop", "clear", "abort", "isRunning", "getCaptureDuration",
                    "waitUntilFinished", "getConfiguration"]
ITERATORS = [
    "Countrate", "Counter", "Correlation", "Histogram", "StartStop", "TimeDifferences",
    "CountBetweenMarkers", "HistogramLogBins", "Histogram2D", "TimeTagStream", "FileWriter",
    "DelayedChannel", "GatedChannel", "Coincidence", "Coincidences", "Combiner",
]
OTHER_CLASSES = ["CounterData", "TimeTagStreamBuffer", "SynchronizedMeasurements", "FileReader",
                 "HistogramLogBinsData"]
EXPERIMENTAL = ["ExponentialSignalGenerator", "GaussianSignalGenerator", "UniformSignalGenerator",
                "SimSignalSplitter", "SimDetector", "TransformGaussianBroadening", "TransformDeadtime",
                "TransformEfficiency"]


def documented_parameters(func) -> list[str] | None:
    """Parameter names of ``func`` from its signature, else from its docstring."""
    try:
        params = [p for p in inspect.signature(func).parameters.values() if p.name != "self"]
    except (TypeError, ValueError):
        params = None
    if params is not None and not any(p.kind in (p.VAR_POSITIONAL, p.VAR_KEYWORD) for p in params):
        return [p.name for p in params]
    doc = inspect.getdoc(func) or ""
    if "*Overload" in doc:
        return None        # several signatures: nothing single to compare
    names = re.findall(r"^:param (\w+):", doc, flags=re.MULTILINE)
    return names or None


def defaults(func) -> dict[str, object]:
    try:
        params = inspect.signature(func).parameters.values()
    except (TypeError, ValueError):
        return {}
    return {p.name: p.default for p in params if p.default is not inspect.Parameter.empty}


def our_parameters(func) -> list[str]:
    return [p for p in inspect.signature(func).parameters if p != "self"]


def lookup(module, dotted):
    obj = module
    for part in dotted.split("."):
        obj = getattr(obj, part)
    return obj


@pytest.mark.parametrize("name", MODULE_NAMES)
def test_module_names_exist_in_both(name):
    ours, theirs = getattr(SIM, name), getattr(Swabian, name)
    if inspect.isclass(theirs) and hasattr(theirs, "__members__"):
        assert {k: int(v) for k, v in ours.__members__.items() if k in theirs.__members__} == \
               {k: int(v) for k, v in theirs.__members__.items()}
    elif callable(theirs):
        expected = documented_parameters(theirs)
        if expected is not None and expected != ["args", "kwargs"]:
            assert our_parameters(ours) == expected
    else:
        assert ours == theirs


def test_create_time_tagger_takes_the_documented_parameters():
    assert documented_parameters(Swabian.createTimeTagger) == our_parameters(SIM.createTimeTagger)


def test_class_hierarchy_matches():
    assert issubclass(SIM.TimeTagger, SIM.TimeTaggerBase)
    for name in ITERATORS:
        assert issubclass(getattr(Swabian, name), Swabian.IteratorBase)
        assert issubclass(getattr(SIM, name), SIM.IteratorBase), name
    for name in EXPERIMENTAL:
        theirs = issubclass(getattr(Swabian.Experimental, name), Swabian.IteratorBase)
        assert issubclass(getattr(SIM.Experimental, name), SIM.IteratorBase) == theirs, name


@pytest.mark.parametrize("method", TAGGER_METHODS)
def test_tagger_methods(method):
    theirs = getattr(Swabian.TimeTagger, method)
    ours = getattr(SIM.TimeTagger, method)
    expected = documented_parameters(theirs)
    if expected is not None:
        assert our_parameters(ours) == expected
    for key, value in defaults(theirs).items():
        assert defaults(ours)[key] == value


@pytest.mark.parametrize("name", ITERATORS + OTHER_CLASSES + [f"Experimental.{n}" for n in EXPERIMENTAL])
def test_constructor_parameters_and_defaults(name):
    theirs, ours = lookup(Swabian, name), lookup(SIM, name)
    expected = documented_parameters(theirs.__init__)
    if expected is not None:
        assert our_parameters(ours.__init__) == expected
    for key, value in defaults(theirs.__init__).items():
        assert defaults(ours.__init__).get(key) == value, key


@pytest.mark.parametrize("name", ITERATORS + OTHER_CLASSES)
def test_public_methods_exist_with_the_same_parameters(name):
    theirs, ours = getattr(Swabian, name), getattr(SIM, name)
    required = ITERATOR_METHODS if issubclass(theirs, Swabian.IteratorBase) else []
    own = [a.name for a in inspect.classify_class_attrs(theirs)
           if a.defining_class is theirs and not a.name.startswith(("_", "this"))]
    for method in required + own:
        assert hasattr(ours, method), f"{name}.{method}"
        member = getattr(theirs, method)
        if callable(member):
            expected = documented_parameters(member)
            if expected is not None:
                assert our_parameters(getattr(ours, method)) == expected, f"{name}.{method}"
            for key, value in defaults(member).items():
                assert defaults(getattr(ours, method)).get(key) == value, f"{name}.{method}({key})"
