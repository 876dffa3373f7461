"""Server-side measurement plugins: the operator installs CustomMeasurement subclasses, clients use them."""
from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest

import timetagger_sim
from rpc_bridge.client import createProxy
from rpc_bridge.introspect import EXCLUDED
from rpc_bridge.plugins import load

from .conftest import ROOT, bridge_process, sim_env

PLUGIN = str(ROOT / "tests" / "rpc" / "plugins" / "tag_counter.py")


def test_a_plugin_measurement_is_created_by_name_and_counts_what_the_library_counts():
    with bridge_process("--plugin", PLUGIN) as (_, port), createProxy("127.0.0.1", port) as TT:
        t = TT.createTimeTagger()
        t.setTestSignal([1, 2], True)
        counter, rate = TT.TagCounter(t, [1, 2]), TT.Countrate(t, [1, 2])
        group = TT.SynchronizedMeasurements(t)
        for measurement in (counter, rate):
            group.registerMeasurement(measurement)
        group.startFor(int(1e11))
        group.waitUntilFinished()
        np.testing.assert_array_equal(counter.getCounts(), rate.getCountsTotal())
        assert counter.getCounts().sum() == 160_000  # 0.1 s of two 800 kHz test signals
        assert 0 < counter.getLastTime() and counter.getCaptureDuration() == int(1e11)
        assert TT.TagCounter.getCounts.__doc__ == "Tags counted per channel."  # help() shows the plugin's docs
        for hook in ("process", "register_channel", "clear_impl", "finalize_init", "next_impl"):
            assert not hasattr(counter, hook)  # the processing hooks stay in the server


def test_without_the_plugin_the_class_is_unknown_and_a_client_subclass_is_pointed_to_plugins():
    with bridge_process() as (_, port), createProxy("127.0.0.1", port) as TT:
        assert not hasattr(TT, "TagCounter") and not hasattr(TT, "CustomMeasurement")
    assert "--plugin MODULE" in EXCLUDED["CustomMeasurement"]


def test_a_module_without_measurements_is_refused_at_start(tmp_path):
    empty = tmp_path / "empty.py"
    empty.write_text("VALUE = 1\n")
    done = subprocess.run([sys.executable, "-m", "rpc_bridge.server", "--backend", "sim", "--port", "0",
                           "--plugin", str(empty)], cwd=ROOT, env=sim_env(), capture_output=True,
                          text=True, timeout=60)
    assert done.returncode == 2 and "defines no subclass of timetagger_sim.CustomMeasurement" in done.stderr
    with pytest.raises(ValueError, match="does not exist"):
        load([str(tmp_path / "missing.py")], timetagger_sim)
