"""Every class of the spec table runs in a server and publishes its data with the right shape."""
from __future__ import annotations

import numpy as np
import pytest
import tango
from ds_helpers import context, wait_until

from tango_ds.specs import BY_NAME

DEVICES = {
    "TimeTagger": [("all/tagger/1", {"Backend": "sim"})],
    "GatedChannel": [("all/gated/1", {"input_channel": "1", "gate_start_channel": "2",
                                      "gate_stop_channel": "-2"})],
    "Coincidence": [("all/coincidence/1", {"channels": ["1", "2"], "coincidenceWindow": 1000})],
    "Combiner": [("all/combiner/1", {"channels": ["1", "all/coincidence/1"]})],
    "StartStop": [("all/startstop/1", {"click_channel": "2", "start_channel": "1",
                                       "binwidth": 10})],
    "TimeDifferences": [("all/timedifferences/1", {"click_channel": "2", "start_channel": "1",
                                                   "n_bins": 100, "n_histograms": 3})],
    "CountBetweenMarkers": [("all/countbetweenmarkers/1", {"click_channel": "1",
                                                           "begin_channel": "2", "n_values": 10})],
    "HistogramLogBins": [("all/histogramlogbins/1", {"click_channel": "2", "start_channel": "1",
                                                     "exp_start": -10, "exp_stop": -6,
                                                     "n_bins": 40})],
    "Histogram2D": [("all/histogram2d/1", {"start_channel": "1", "stop_channel_1": "2",
                                           "stop_channel_2": "3", "binwidth_1": 100,
                                           "binwidth_2": 100, "n_bins_1": 20, "n_bins_2": 30})],
}


@pytest.fixture(scope="module")
def server():
    with context(DEVICES) as ctx:
        ctx.get_device("all/tagger/1").test_signal_channels = [1, 2, 3]
        yield ctx


@pytest.mark.parametrize("cls, name", [(c, d[0][0]) for c, d in DEVICES.items() if c != "TimeTagger"])
def test_device_runs_and_publishes(server, cls, name):
    proxy = server.get_device(name)
    assert proxy.state() == tango.DevState.ON, proxy.status()
    spec = BY_NAME[cls]
    if spec.family == "measurement":
        proxy.StartFor(0.1)
        wait_until(lambda: proxy.state() == tango.DevState.ON)
    else:
        assert proxy.channel > 8
    for data in spec.data:
        value = proxy.read_attribute(data.name).value
        if data.shape != "scalar":
            value = np.asarray(value) if value is not None else np.empty(0)
            if value.size:
                assert value.dtype == np.dtype(data.dtype), data.name
            assert value.ndim in ((1,) if data.shape == "spectrum" else (0, 1, 2)), data.name


def test_image_shapes(server):
    assert server.get_device("all/timedifferences/1").data.shape == (3, 100)
    assert server.get_device("all/histogram2d/1").data.shape == (20, 30)


@pytest.mark.parametrize("name, param, value, label", [
    ("all/gated/1", "initial", 1, "Open"),
    ("all/coincidence/1", "timestamp", 2, "First"),
])
def test_enum_parameter_write_survives_init(server, name, param, value, label):
    proxy = server.get_device(name)
    proxy.write_attribute(param, value)               # Tango writes enums as their value
    proxy.Init()                                      # re-reads the property the write kept
    assert proxy.state() == tango.DevState.ON, proxy.status()
    assert proxy.read_attribute(param).value == value
    assert label in proxy.get_attribute_config(param).enum_labels


def test_set_max_counts_stops_after_the_rollovers(server):
    proxy = server.get_device("all/timedifferences/1")
    proxy.next_channel = "3"                          # steps through the 3 histograms
    proxy.SetMaxCounts(4)
    proxy.Clear()
    proxy.Start()
    wait_until(lambda: proxy.ready)
    assert proxy.counts == 4                          # no rollover beyond the maximum
    proxy.Stop()
    assert proxy.counts == 4 and proxy.ready
