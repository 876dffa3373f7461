"""File names from clients stay inside the server's data directory; recordings stay within a budget."""
from __future__ import annotations

import inspect
import os
import types

import numpy as np
import pytest

from rpc_bridge.client import createProxy
from rpc_bridge.introspect import UNCONFINED_FILE, inspect_provider
from rpc_bridge.paths import PATH_ARGUMENTS, DataDirectory, takes_file_name
from rpc_bridge.server import serve_in_thread

from .conftest import port_of, wait_for


@pytest.fixture
def data_dir(tmp_path):
    return tmp_path / "data"


@pytest.fixture
def TT(sim, data_dir):
    with serve_in_thread(sim, port=0, data_dir=data_dir) as handle:
        with createProxy("127.0.0.1", port_of(handle.uri)) as proxy:
            yield proxy


def test_relative_names_land_in_the_data_directory_and_read_back(TT, data_dir):
    t = TT.createTimeTagger()
    t.setTestSignal([1], True)
    writer = TT.FileWriter(t, "runs/first.ttbin", [1])
    writer.startFor(int(1e10))
    writer.waitUntilFinished()
    writer.stop()
    TT.release(writer)
    assert (data_dir / "runs" / "first.ttbin").is_file() and (data_dir / "runs" / "first.1.ttbin").is_file()
    reader = TT.FileReader("runs/first.ttbin")
    stream = reader.getData(10**6)
    assert stream.size > 0 and set(np.unique(stream.getChannels())) == {1}


@pytest.mark.parametrize("name, why", [
    ("/tmp/planted.pth", "no absolute paths"),
    ("../outside.ttbin", "no absolute paths, no '..'"),
    ("runs/../../outside.ttbin", "no absolute paths, no '..'"),
    ("", "non-empty name"),
    ("a\0b", "non-empty name"),
])
def test_names_outside_the_data_directory_are_refused_naming_it(TT, data_dir, name, why):
    t = TT.createTimeTagger()
    with pytest.raises(PermissionError, match=why) as refused:
        TT.FileWriter(t, name, [1])
    assert str(data_dir.resolve()) in str(refused.value)
    with pytest.raises(PermissionError, match=why):
        TT.FileReader(name)
    with pytest.raises(PermissionError, match=why):
        TT.FileReader(filenames=[name])
    assert not os.path.exists("/tmp/planted.pth") and not (data_dir.parent / "outside.ttbin").exists()


def test_reading_any_file_of_the_host_is_refused_before_it_is_opened(TT):
    for name in ("/etc/shadow", "/etc/passwd", "/nonexistent/file"):
        with pytest.raises(PermissionError, match="no absolute paths") as refused:
            TT.FileReader(name)
        assert "No such file" not in str(refused.value)  # tells nothing about the path


def test_a_symlink_leading_out_is_refused(TT, data_dir, tmp_path):
    (tmp_path / "elsewhere").mkdir()
    data_dir.mkdir(exist_ok=True)
    (data_dir / "escape").symlink_to(tmp_path / "elsewhere")
    t = TT.createTimeTagger()
    with pytest.raises(PermissionError, match="through a symbolic link"):
        TT.FileWriter(t, "escape/run.ttbin", [1])
    assert list((tmp_path / "elsewhere").iterdir()) == []


def test_split_to_a_new_name_is_confined_too(TT, data_dir):
    t = TT.createTimeTagger()
    writer = TT.FileWriter(t, "run.ttbin", [1])
    with pytest.raises(PermissionError, match="no absolute paths"):
        writer.split("/tmp/other.ttbin")
    writer.split("")  # the library's "keep the name": allowed
    writer.split("moved.ttbin")
    writer.stop()
    assert (data_dir / "moved.ttbin").is_file()


def test_the_recording_budget_stops_recorders_and_refuses_new_ones(sim, data_dir):
    budget = 1 << 20
    rate = 2 * 800e3 * 12  # bytes/s: two inputs of test signal, 12 bytes per tag in the sim format
    sim.setSimulationOptions(virtual_time=False)  # real time: a physical data rate
    try:
        with serve_in_thread(sim, port=0, data_dir=data_dir, max_recording_bytes=budget) as handle:
            with createProxy("127.0.0.1", port_of(handle.uri)) as TT:
                t = TT.createTimeTagger()
                t.setTestSignal([1, 2], True)
                writer = TT.FileWriter(t, "big.ttbin", [1, 2])
                assert wait_for(lambda: not writer.isRunning(), timeout=60)  # stopped by the budget
                used = DataDirectory(data_dir).usage()
                assert budget <= used < budget + rate * 0.5  # within a few budget periods of crossing
                with pytest.raises(PermissionError, match="over the recording budget"):
                    TT.FileWriter(t, "more.ttbin", [1])
                assert not (data_dir / "more.ttbin").exists()
    finally:
        sim.setSimulationOptions(virtual_time=True)


def test_every_file_taking_call_of_the_real_library_is_confined_or_excluded():
    TT = pytest.importorskip("Swabian.TimeTagger")
    spec = inspect_provider(TT)
    taking: list[str] = []
    for name, obj in inspect.getmembers(TT):
        if name.startswith("_"):
            continue
        if inspect.isclass(obj):
            if takes_file_name(obj.__init__):
                taking.append(name)
            taking += [f"{name}.{m}" for m, f in inspect.getmembers(obj)
                       if not m.startswith("_") and callable(f) and takes_file_name(f)
                       and m not in getattr(obj.__base__, "__dict__", {})]
        elif callable(obj) and takes_file_name(obj):
            taking.append(name)
    assert {"FileWriter", "FileReader", "FileWriter.split", "TimeTaggerVirtual.replay"} <= set(taking)
    for name in taking:
        owner, _, member = name.partition(".")
        served = (owner in spec.classes and (not member or member in spec.classes[owner].methods)) \
            or owner in spec.functions
        assert (name in PATH_ARGUMENTS and served) or name in spec.excluded or \
            member in spec.classes.get(owner, types.SimpleNamespace(excluded_members={})).excluded_members, name


def test_an_unknown_file_taking_call_is_left_out_not_served_unconfined(sim):
    class Recorder(sim.IteratorBase):
        """A measurement a future library version might add."""

        def __init__(self, tagger, logfile: str) -> None:
            super().__init__(tagger)

    provider = types.ModuleType("timetagger_sim")  # the simulator plus one new class
    provider.__dict__.update({n: getattr(sim, n) for n in dir(sim) if not n.startswith("__")})
    Recorder.__module__ = "timetagger_sim.future"
    provider.Recorder = Recorder
    spec = inspect_provider(provider)
    assert spec.excluded["Recorder"] == UNCONFINED_FILE
    assert "FileWriter" in spec.classes
