"""The spec table against the real library (introspection only) and the simulator."""
from __future__ import annotations

import json
import re

import pytest
import Swabian.TimeTagger as swabian

import timetagger_sim
from tango_ds import sim_signals, specs
from tango_ds.params import ParamError, to_library, to_property
from tango_ds.providers import BackendError, open_provider
from tango_ds.stopped_data import StoppedData


def library_params(cls: type) -> list[str]:
    """Constructor parameter names, in order, from the library's own docstring."""
    names = re.findall(r":param (\w+):", cls.__init__.__doc__ or "")
    return [n for n in names if n not in ("tagger", "click_gate", "start_gate")]


@pytest.mark.parametrize("spec", specs.ALL_CLASSES, ids=lambda s: s.name)
def test_parameters_are_the_library_constructor(spec):
    assert [p.name for p in spec.params] == library_params(getattr(swabian, spec.name))


@pytest.mark.parametrize("spec", specs.ALL_CLASSES, ids=lambda s: s.name)
def test_getters_exist_in_the_library(spec):
    cls = getattr(swabian, spec.name)
    for data in spec.data:
        assert hasattr(cls, data.getter), data.getter
    for action in spec.actions:
        assert hasattr(cls, action.method), action.method


def test_constants_match_the_library():
    assert specs.CHANNEL_UNUSED == swabian.CHANNEL_UNUSED
    for name, labels in specs.ENUMS.items():
        assert tuple(m.name for m in sorted(getattr(swabian, name), key=int)) == labels
    for setting in specs.CHANNEL_SETTINGS:
        assert hasattr(swabian.TimeTagger, setting.getter)
        assert hasattr(swabian.TimeTagger, setting.setter)


def test_parameter_conversion_and_messages():
    binwidth = specs.BY_NAME["Correlation"].param("binwidth")
    channel_2 = specs.BY_NAME["Correlation"].param("channel_2")
    resolve = {"a/b/c": 101}.__getitem__
    assert to_library(binwidth, "250", resolve, timetagger_sim) == 250
    assert to_library(channel_2, "unused", resolve, timetagger_sim) == specs.CHANNEL_UNUSED
    assert to_library(channel_2, "a/b/c", resolve, timetagger_sim) == 101
    timestamp = specs.BY_NAME["Coincidence"].param("timestamp")
    assert to_library(timestamp, "first", resolve, timetagger_sim) == \
        timetagger_sim.CoincidenceTimestamp.First
    with pytest.raises(ParamError, match=r"binwidth = 0 is not allowed: use an integer in "
                                         r"\[1, 2\*\*62\] ps, with binwidth x n_bins <= 2\*\*62 ps"):
        to_library(binwidth, 0, resolve, timetagger_sim)
    with pytest.raises(ParamError, match="channel_1 is not set"):
        to_library(specs.BY_NAME["Correlation"].param("channel_1"), None, resolve, timetagger_sim)


def test_backend_selection():
    assert open_provider("sim").module is timetagger_sim
    assert open_provider("auto").module is timetagger_sim          # no hardware on this machine
    assert open_provider("swabian").module is swabian
    with pytest.raises(BackendError, match="rpc://host:port"):
        open_provider("rpc://nohost")


def test_sim_signals_errors_name_the_step():
    tagger = timetagger_sim.createTimeTagger()
    try:
        with pytest.raises(sim_signals.SimSignalsError, match="class = 'Laser' is not allowed"):
            sim_signals.apply(timetagger_sim, tagger, '[{"class": "Laser"}]')
        with pytest.raises(sim_signals.SimSignalsError, match="'@nope' names no earlier step"):
            sim_signals.apply(timetagger_sim, tagger,
                              json.dumps([{"class": "SimDetector", "input_channel": "@nope"}]))
        with pytest.raises(sim_signals.SimSignalsError, match="not valid JSON"):
            sim_signals.apply(timetagger_sim, tagger, "[{")
    finally:
        timetagger_sim.freeTimeTagger(tagger)


def test_enum_values_are_stored_as_labels_and_read_back_from_any_spelling():
    timestamp = specs.BY_NAME["Coincidence"].param("timestamp")
    first = timetagger_sim.CoincidenceTimestamp.First
    assert to_property(timestamp, 2) == to_property(timestamp, "first") == ["First"]
    for raw in (2, "2", " 2 ", "First", "first"):          # what clients and old servers wrote
        assert to_library(timestamp, raw, int, timetagger_sim) == first
    with pytest.raises(ParamError, match="timestamp = '7' is not allowed: use one of Last"):
        to_library(timestamp, "7", int, timetagger_sim)
    assert to_property(specs.BY_NAME["Countrate"].param("channels"), [1, "a/b/c"]) == ["1", "a/b/c"]


@pytest.mark.parametrize("name", ["Correlation", "Histogram"])
def test_index_documentation_matches_the_library(name):
    tagger = timetagger_sim.createTimeTagger()
    try:
        index = getattr(timetagger_sim, name)(tagger, 1, 2, binwidth=10, n_bins=4).getIndex()
    finally:
        timetagger_sim.freeTimeTagger(tagger)
    doc = next(d.doc for d in specs.BY_NAME[name].data if d.name == "index")
    if index[0] == 0:
        assert "start" in doc and "centre" not in doc
    else:
        assert list(index) == [-15, -5, 5, 15]                  # symmetric: bin centres
        assert "centre" in doc and "start" not in doc


def test_stopped_data_keeps_no_snapshot_taken_while_running():
    """A StartFor that ends during a read must not leave that read's partial data cached."""
    tagger = timetagger_sim.createTimeTagger()
    try:
        tagger.setTestSignal(1, True)
        rate = timetagger_sim.Countrate(tagger, [1])           # running from creation
        cache, reads = StoppedData(), []

        def read_while_it_stops():
            reads.append(rate.getCountsTotal().copy())
            rate.stop()                                         # the acquisition ends mid-read
            return reads[-1]

        cache.read("counts_total", rate.isRunning, read_while_it_stops)
        final = cache.read("counts_total", rate.isRunning, lambda: rate.getCountsTotal().copy())
        assert len(reads) == 1 and final is not reads[0]        # read again once stopped
        again = cache.read("counts_total", rate.isRunning, lambda: pytest.fail("not cached"))
        assert again is final
    finally:
        timetagger_sim.freeTimeTagger(tagger)


@pytest.mark.parametrize("spec", specs.ALL_CLASSES, ids=lambda s: s.name)
def test_labels_are_words_and_tell_attributes_apart(spec):
    """Jive and Taurus show labels, not names: no "N bins" abbreviations, no two alike."""
    labels = [p.display_label for p in spec.params] + [d.label for d in spec.data]
    assert len(set(labels)) == len(labels), labels
    for label in labels:
        assert not re.match(r"N\b", label), label
    counts = {p.name: p.display_label for p in spec.params if p.name.startswith("n_")}
    expected = {"n_bins": "Number of bins", "n_values": "Number of values",
                "n_histograms": "Number of histograms", "n_bins_1": "Bins along axis 1",
                "n_bins_2": "Bins along axis 2"}
    assert counts == {name: expected[name] for name in counts}
