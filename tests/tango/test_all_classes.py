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
    proxy.next_channel = 3                            # steps through the 3 histograms
    proxy.SetMaxCounts(4)
    proxy.Clear()
    proxy.Start()
    wait_until(lambda: proxy.ready)
    assert proxy.counts == 4                          # no rollover beyond the maximum
    proxy.Stop()
    assert proxy.counts == 4 and proxy.ready


def test_log_bins_index_is_the_left_edges(server):
    """``index`` has one value per bin (the x axis of ``data``); ``bin_edges`` all n_bins + 1,
    from 10^exp_start s to 10^exp_stop s."""
    proxy = server.get_device("all/histogramlogbins/1")
    index, edges = proxy.index, proxy.bin_edges
    assert len(index) == len(proxy.data) == 40 and len(edges) == 41
    assert np.array_equal(index, edges[:-1])
    assert edges[0] == pytest.approx(1e-10 * 1e12, rel=1e-6)
    assert edges[-1] == pytest.approx(1e-6 * 1e12, rel=1e-6)
    steps = np.diff(np.log10(edges.astype(float)))     # equal in log, up to 1 ps rounding
    assert steps == pytest.approx(np.full(40, 4 / 40), abs=5e-3)


@pytest.mark.parametrize("name, param, label, allowed", [
    ("all/histogram2d/1", "n_bins_1", "Bins along axis 1", f"[1, {1 << 14}]"),
    ("all/histogram2d/1", "binwidth_2", "Bin width, axis 2", "[1,"),
    ("all/timedifferences/1", "n_histograms", "Number of histograms", f"[1, {1 << 24}]"),
    ("all/countbetweenmarkers/1", "n_values", "Number of values", f"[1, {1 << 24}]"),
    ("all/histogramlogbins/1", "exp_start", "First edge exponent", "[-12"),
])
def test_count_labels_and_ranges(server, name, param, label, allowed):
    """Labels in words; the allowed range is in the description Jive and Taurus show."""
    config = server.get_device(name).get_attribute_config(param)
    assert config.label == label
    assert "Allowed: " in config.description and allowed in config.description


def test_out_of_range_write_names_the_value_and_the_range(server):
    """Not a Tango-side range (its message names neither): the device's own check."""
    proxy = server.get_device("all/histogram2d/1")
    with pytest.raises(tango.DevFailed) as failed:
        proxy.n_bins_2 = 1 << 15
    error = failed.value.args[0]
    assert error.reason == "TimeTagger_InvalidValue"
    assert "n_bins_2" in error.desc and str(1 << 15) in error.desc and f"{1 << 14}]" in error.desc
    assert proxy.n_bins_2 == 30 and proxy.state() == tango.DevState.ON


@pytest.mark.parametrize("cls, name", [(c, d[0][0]) for c, d in DEVICES.items() if c != "TimeTagger"])
def test_parameter_write_values_are_the_settings(server, cls, name):
    """Every parameter attribute's write value is the value in effect (properties or the
    library's defaults), not Tango's initial 0."""
    proxy = server.get_device(name)
    properties = DEVICES[cls][0][1]
    for param in BY_NAME[cls].params:
        reading = proxy.read_attribute(param.name)
        value, w_value = reading.value, reading.w_value
        if param.kind == "channels":
            value, w_value = list(value), list(w_value)
        assert w_value == value, (param.name, w_value, value)
        if param.name in properties and param.kind == "channel":
            assert value == int(properties[param.name]), param.name
        elif param.name in properties and param.kind != "channels":
            assert value == properties[param.name], param.name
        elif param.kind in ("int32", "int64"):
            assert value == param.default, param.name
