"""The generator on the installed real Swabian.TimeTagger: everything public is adapted or excluded.

Import and introspection only: no tagger is created and nothing reaches the network.
"""
from __future__ import annotations

import inspect

import pytest

from rpc_bridge.adapters import Bridge, build_root
from rpc_bridge.introspect import EXCLUDED, NAMESPACES, inspect_provider
from rpc_bridge.paths import DataDirectory

TT = pytest.importorskip("Swabian.TimeTagger")


def public_names(module) -> list[str]:
    """Every public class and function of the library, namespaced classes as ``Experimental.X``."""
    names = []
    for name, obj in inspect.getmembers(module):
        if name.startswith("_") or getattr(obj, "__module__", "").split(".")[0] != "Swabian":
            continue
        if name in NAMESPACES:
            names += [f"{name}.{n}" for n, c in inspect.getmembers(obj, inspect.isclass) if not n.startswith("_")]
        elif inspect.isclass(obj) or callable(obj):
            names.append(name)
    return names


class _NoDaemon:
    """Only register() is needed to build adapters; nothing is served here."""

    objectsById: dict = {}

    def register(self, obj, name):
        return name


def test_every_public_class_and_function_is_adapted_or_excluded_with_a_reason():
    spec = inspect_provider(TT)
    served = set(spec.functions) | set(spec.classes) | set(spec.enums)
    names = public_names(TT)
    missing = [n for n in names if n not in served and n not in spec.excluded]
    assert missing == []
    assert all(len(EXCLUDED[n.rsplit(".", 1)[-1]]) > 20 for n in spec.excluded)
    adapted, excluded, total = spec.coverage()
    assert total == len(names)
    methods = sum(len(c.methods) + len(c.properties) for c in spec.classes.values())
    print(f"\nSwabian.TimeTagger {TT.getVersion()}: {adapted}/{total} public classes and functions adapted "
          f"({100 * adapted / total:.0f}%), {excluded} excluded with reasons; {methods} methods/properties:")
    for name, reason in sorted(spec.excluded.items()):
        print(f"  excluded {name}: {reason}")


def test_measurements_virtual_channels_and_experimental_are_constructible():
    spec = inspect_provider(TT)
    for name in ("Correlation", "Counter", "DelayedChannel", "Coincidences", "SynchronizedMeasurements",
                 "TimeTagStream", "Experimental.PhotonGenerator"):
        assert spec.classes[name].constructible, name
    for name in ("CounterData", "TimeTagger", "TimeTaggerBase", "TimeTagStreamBuffer"):
        assert not spec.classes[name].constructible, name
    assert "factoryAccess" in spec.classes["TimeTagger"].excluded_members
    assert {"Resolution", "ChannelEdge", "CoincidenceTimestamp"} <= set(spec.enums)
    assert spec.constants["CHANNEL_UNUSED"] == TT.CHANNEL_UNUSED


def test_generated_root_carries_docs_and_signatures(tmp_path):
    bridge = Bridge(inspect_provider(TT), _NoDaemon(), DataDirectory(tmp_path))
    root = build_root(bridge)
    assert type(root).createTimeTagger.__doc__ == inspect.getdoc(TT.createTimeTagger)
    assert type(root).Correlation.__doc__ == inspect.getdoc(TT.Correlation)
    adapter = bridge.adapter_classes[TT.Counter]
    assert adapter.getData.__doc__ == inspect.getdoc(TT.Counter.getData)
    assert inspect.signature(adapter.getData) == inspect.signature(TT.Counter.getData)
    described = bridge.describe()
    assert described["classes"]["Experimental.PhotonGenerator"]["wire"] == "Experimental_PhotonGenerator"
    assert described["enums"]["Resolution"][1][0] == ("Standard", 0)


def test_every_simulator_class_and_function_is_served_or_excluded_with_a_reason():
    import timetagger_sim as sim

    spec = inspect_provider(sim)
    served = set(spec.functions) | set(spec.classes) | set(spec.enums) | set(spec.constants)
    names = [n for n in sim.__all__ if n != "Experimental"]
    names += [f"Experimental.{n}" for n, c in inspect.getmembers(sim.Experimental, inspect.isclass)
              if not n.startswith("_")]
    missing = [n for n in names if n not in served and n not in spec.excluded]
    assert missing == []
    library = public_names(TT)
    unserved = [n for n in library if n in names and n not in served]
    assert set(unserved) <= set(spec.excluded)  # what the simulator has of the library, the bridge serves
    for name in ("Flim", "Sampler", "FrequencyCounter", "CustomMeasurement", "TimeTaggerVirtual"):
        assert name in names
    for name in ("Flim", "Sampler", "FrequencyCounter", "GatedCounter", "HistogramND", "Combinations"):
        assert spec.classes[name].constructible, name
    print(f"\ntimetagger_sim: {len(names) - len(spec.excluded)}/{len(names)} public names served, "
          f"excluded: {sorted(spec.excluded)}")
