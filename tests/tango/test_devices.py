"""The device families in one real server process: physics, parameters, events, bad input."""
from __future__ import annotations

import math

import numpy as np
import pytest
import tango

from tango_ds.specs import BY_NAME

from ds_helpers import PAIR_DELAY_PS, POISSON_RATE_HZ, SIM_SIGNALS, context, wait_until

TAGGER = "test/tagger/1"
DEVICES = {
    "TimeTagger": [(TAGGER, {"Backend": "sim", "Serial": "SIM-ULTRA8-0001",
                             "SimSignals": SIM_SIGNALS})],
    "DelayedChannel": [("test/delayed/1", {"input_channel": "1", "delay": 5000})],
    "Countrate": [("test/countrate/1", {"channels": ["1", "2", "3", "4", "test/delayed/1"]}),
                  ("test/countrate/bad", {"channels": ["1", "no/such/device"]})],
    "Correlation": [("test/correlation/1", {"channel_1": "2", "channel_2": "3",
                                            "binwidth": 100, "n_bins": 200})],
    "Counter": [("test/counter/1", {"channels": ["1", "4"], "binwidth": 10**10, "n_values": 50,
                                    "EventPeriodMs": 50})],
    "Histogram": [("test/histogram/1", {"click_channel": "2", "start_channel": "3",
                                        "binwidth": 100, "n_bins": 100}),
                  ("test/histogram/bad", {"click_channel": "2", "binwidth": -5})],
}


@pytest.fixture(scope="module")
def server():
    """One device server with a simulated tagger and one device of each family."""
    ctx = context(DEVICES)
    with ctx:
        ctx.get_device(TAGGER).test_signal_channels = [1]
        yield ctx


def acquire(device: tango.DeviceProxy, seconds: float = 0.5) -> None:
    """StartFor and wait until the measurement is idle again."""
    device.StartFor(seconds)
    wait_until(lambda: device.state() == tango.DevState.ON)


def test_tagger_identity_and_inputs(server):
    tagger = server.get_device(TAGGER)
    assert tagger.state() == tango.DevState.ON
    assert tagger.serial == "SIM-ULTRA8-0001" and tagger.model == "Time Tagger Ultra"
    assert list(tagger.channel_list) == list(range(1, 9))
    assert list(tagger.test_signal_channels) == [1]
    assert tagger.input_delays.dtype == np.int64
    assert not tagger.input_delays.any()             # the pair's cable delay is no input setting
    assert len(tagger.trigger_levels) == 8 and tagger.trigger_levels.dtype == np.float64


def test_countrate_matches_test_signal_and_poisson_rate(server):
    rate = server.get_device("test/countrate/1")
    acquire(rate)
    data, counts = rate.data, rate.counts_total
    assert data.dtype == np.float64 and counts.dtype == np.int64
    assert data[0] == pytest.approx(403.2e6 / 504, rel=1e-3)          # Ultra test signal
    assert data[4] == pytest.approx(data[0], rel=1e-3)                # delayed copy of input 1
    duration = rate.capture_duration
    assert duration == pytest.approx(0.5, rel=0.05)
    expected = POISSON_RATE_HZ * duration
    assert abs(counts[3] - expected) < 5 * math.sqrt(expected)        # Poisson, 5 sigma
    assert counts[1] == counts[2] > 0                                 # both detectors of a pair


def test_virtual_channel_number_is_virtual(server):
    channel = server.get_device("test/delayed/1").channel
    assert channel not in range(-8, 9)


def test_correlation_peak_at_pair_delay(server):
    corr = server.get_device("test/correlation/1")
    tagger = server.get_device(TAGGER)
    tagger.input_delays = np.zeros(8, dtype=np.int64)  # user settings: the cable stays as it is
    acquire(corr)
    data, index = corr.data, corr.index
    assert data.dtype == np.int32 and index.dtype == np.int64 and len(data) == 200
    peak = int(np.argmax(data))
    assert abs(index[peak] - PAIR_DELAY_PS) <= 100                    # one bin
    assert data[peak - 1:peak + 2].sum() > 0.9 * data.sum()           # pairs, not background
    assert corr.data_normalized.max() > 10


def test_counter_image_and_events_while_running(server):
    counter = server.get_device("test/counter/1")
    received, archived, ready = [], [], []
    ids = [counter.subscribe_event("data", tango.EventType.CHANGE_EVENT,
                                   lambda e: received.append(e.attr_value) if not e.err else None),
           counter.subscribe_event("data_normalized", tango.EventType.ARCHIVE_EVENT,
                                   lambda e: archived.append(e.attr_value) if not e.err else None),
           counter.subscribe_event("data", tango.EventType.DATA_READY_EVENT,
                                   lambda e: ready.append(e.ctr) if not e.err else None)]
    try:
        received.clear()
        archived.clear()
        counter.Start()
        assert counter.state() == tango.DevState.RUNNING
        wait_until(lambda: len(received) >= 3 and len(ready) >= 3 and len(archived) >= 3)
        counter.Stop()
    finally:
        for event_id in ids:
            counter.unsubscribe_event(event_id)
    assert received[-1].value.shape == (2, 50) and received[-1].value.dtype == np.int32
    assert archived[-1].value.shape == (2, 50) and archived[-1].value.dtype == np.float64
    assert counter.data.shape == (2, 50)
    assert ready == sorted(ready)


def test_parameter_write_rebuilds_and_clears(server):
    hist = server.get_device("test/histogram/1")
    acquire(hist, 0.2)
    assert hist.data.sum() > 0
    hist.n_bins = 50
    assert len(hist.data) == 50 and hist.data.sum() == 0
    assert hist.n_bins == 50 and hist.state() == tango.DevState.ON


def test_bad_attribute_write_keeps_device_and_data(server):
    hist = server.get_device("test/histogram/1")
    acquire(hist, 0.2)
    before = hist.data
    with pytest.raises(tango.DevFailed) as failed:
        hist.binwidth = -5
    error = failed.value.args[0]
    assert error.reason == "TimeTagger_InvalidValue"
    assert "binwidth" in error.desc and "-5" in error.desc and "[1," in error.desc
    with pytest.raises(tango.DevFailed) as failed:
        hist.start_channel = 99                       # neither an input nor a virtual channel
    error = failed.value.args[0]
    assert error.reason == "TimeTagger_InvalidValue"
    assert "start_channel=99" in error.desc and "rejected by the library" in error.desc
    assert hist.state() == tango.DevState.ON
    assert np.array_equal(hist.data, before) and hist.binwidth == 100


def test_bad_command_arguments(server):
    tagger = server.get_device(TAGGER)
    corr = server.get_device("test/correlation/1")
    with pytest.raises(tango.DevFailed, match=r"StartFor\(-1.0\) is not allowed"):
        corr.StartFor(-1)
    with pytest.raises(tango.DevFailed, match=r"in \[-2.5, 2.5\] V"):
        tagger.SetTriggerLevel([1, 99.0])
    with pytest.raises(tango.DevFailed, match="channel one of"):
        tagger.SetInputDelay([42, 100])
    with pytest.raises(tango.DevFailed, match="one value per input"):
        tagger.trigger_levels = [0.1, 0.2]
    with pytest.raises(tango.DevFailed, match="are not inputs|is not an input"):
        tagger.test_signal_channels = [1, 99]
    with pytest.raises(tango.DevFailed, match="class = 'Nope' is not allowed"):
        tagger.CreateMeasurement('{"class": "Nope", "name": "a/b/c"}')
    assert tagger.state() == tango.DevState.ON and corr.state() == tango.DevState.ON


def test_per_channel_commands(server):
    tagger = server.get_device(TAGGER)
    assert tagger.SetTriggerLevel([5, 0.25]) == pytest.approx(0.25)
    assert tagger.trigger_levels[4] == pytest.approx(0.25)
    assert tagger.SetDeadtime([5, 10_000]) == tagger.deadtimes[4] >= 10_000
    tagger.SetTestSignal([6, 1])
    assert list(tagger.test_signal_channels) == [1, 6]
    tagger.SetTestSignal([6, 0])
    assert list(tagger.test_signal_channels) == [1]


@pytest.mark.parametrize("device, words", [
    ("test/histogram/bad", ["binwidth", "-5", "[1,"]),
    ("test/countrate/bad", ["no/such/device", "virtual-channel"]),
])
def test_bad_property_gives_fault_with_reason(server, device, words):
    proxy = server.get_device(device)
    # a device name may be one the server has yet to start: known once start-up is over
    wait_until(lambda: proxy.state() == tango.DevState.FAULT, timeout=5)
    assert all(word in proxy.status() for word in words)
    with pytest.raises(tango.DevFailed, match="TimeTagger_NotReady|not available"):
        proxy.data


def test_attributes_follow_the_spec_table(server):
    corr = server.get_device("test/correlation/1")
    spec = BY_NAME["Correlation"]
    for data in spec.data:
        config = corr.get_attribute_config(data.name)
        assert (config.label, config.unit) == (data.label, data.unit)
    assert corr.get_attribute_config("data").data_format == tango.AttrDataFormat.SPECTRUM
    shown = {}
    for param in spec.params:
        config = corr.get_attribute_config(param.name)
        assert config.writable == tango.AttrWriteType.READ_WRITE
        shown[param.name] = (config.label, config.min_value, config.max_value)
    # no Tango-side range: the device's own check names the value and the range (the range
    # is in each description); "Not specified" = no bound
    assert shown == {"channel_1": ("Channel 1", "Not specified", "Not specified"),
                     "channel_2": ("Channel 2", "Not specified", "Not specified"),
                     "binwidth": ("Bin width", "Not specified", "Not specified"),
                     "n_bins": ("Number of bins", "Not specified", "Not specified")}
    assert "Allowed: an integer in [1," in corr.get_attribute_config("binwidth").description


def test_set_points_are_the_values_in_effect(server):
    """Write values start at what the device uses, not at Tango's 0, so the write fields of
    Jive and Taurus offer the setting in effect."""
    corr, rate = server.get_device("test/correlation/1"), server.get_device("test/countrate/1")
    expected = {"channel_1": 2, "channel_2": 3, "binwidth": 100, "n_bins": 200}
    for name, value in expected.items():
        reading = corr.read_attribute(name)
        assert reading.w_value == reading.value == value, name
    delayed = server.get_device("test/delayed/1").channel   # a virtual channel: its number
    assert list(rate.read_attribute("channels").w_value) == [1, 2, 3, 4, delayed]
    tagger = server.get_device(TAGGER)
    for name in ("trigger_levels", "input_delays", "deadtimes", "test_signal_channels"):
        reading = tagger.read_attribute(name)
        assert np.array_equal(reading.w_value, reading.value), name
        assert len(reading.w_value) == (1 if name == "test_signal_channels" else 8), name
    assert tagger.read_attribute("trigger_levels").w_value[0] != 0   # not Tango's initial 0
    tagger.SetDeadtime([8, 9_999])                    # the value in effect, rounded or not
    reading = tagger.read_attribute("deadtimes")
    assert reading.w_value[7] == reading.value[7] >= 9_999
    corr.binwidth = 50                                # a write rebuilds: still the same
    reading = corr.read_attribute("binwidth")
    assert reading.w_value == reading.value == 50
    corr.binwidth = 100


def test_init_brings_a_measurement_back_from_a_bad_property(server):
    proxy = server.get_device("test/histogram/bad")
    assert proxy.state() == tango.DevState.FAULT and "then run Init" in proxy.status()
    proxy.binwidth = 100                      # the attribute write is kept in the property
    proxy.Init()                              # re-reads the properties
    assert proxy.state() == tango.DevState.ON, proxy.status()
    assert proxy.binwidth == 100 and len(proxy.data) == 1000
