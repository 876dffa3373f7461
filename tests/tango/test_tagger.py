"""The TimeTagger device itself: overflows, configuration, Reset and memorized input settings."""
from __future__ import annotations

import json

import numpy as np
import pytest
import tango
from ds_helpers import PAIR_DELAY_PS, context, wait_until

TAGGER = "test/tt20/1"
#: Time Tagger 20 transfers at most 9e6 tags/s (simulator model, as the hardware) and buffers
#: 8 Mi tags on board: a flood overflows once the buffer is full.
MAX_TAG_RATE = 9e6
BUFFER_TAGS = 8 * 2**20
FLOOD_HZ = 1.2e7
SIGNALS = json.dumps([
    {"class": "ExponentialSignalGenerator", "id": "pairs", "rate": 2e4, "seed": 1},
    {"class": "SimDetector", "input_channel": "@pairs", "jitter": 2e-11, "connect": 2,
     "delay": PAIR_DELAY_PS, "seed": 2},
    {"class": "SimDetector", "input_channel": "@pairs", "jitter": 2e-11, "connect": 3, "seed": 3},
    {"class": "ExponentialSignalGenerator", "rate": FLOOD_HZ, "connect": 4, "seed": 4},
])


@pytest.fixture(scope="module")
def server():
    """A simulated Time Tagger 20 with a photon-pair source and an input flooded beyond USB rate."""
    with context({"TimeTagger": [(TAGGER, {"Backend": "sim", "Serial": "SIM-TT20-0001",
                                           "SimSignals": SIGNALS})],
                  "Countrate": [("test/tt20/flood", {"channels": ["4"]})],
                  "Correlation": [("test/tt20/pairs", {"channel_1": "2", "channel_2": "3",
                                                       "binwidth": 100, "n_bins": 200})]}) as ctx:
        yield ctx


def assert_set_points_in_effect(tagger: tango.DeviceProxy) -> None:
    """Each input setting's write value (Jive's and Taurus' write field) is its value."""
    for name in ("trigger_levels", "input_delays", "deadtimes", "test_signal_channels"):
        reading = tagger.read_attribute(name)
        assert np.array_equal(reading.w_value if reading.w_value is not None else [],
                              reading.value if reading.value is not None else []), name


def acquire(device: tango.DeviceProxy, seconds: float) -> None:
    device.StartFor(seconds)
    wait_until(lambda: device.state() == tango.DevState.ON)


def peak_delay(corr: tango.DeviceProxy) -> int:
    acquire(corr, 0.3)
    return int(corr.index[int(np.argmax(corr.data))])


def test_overflows_count_lost_tags_and_clear(server):
    tagger, flood = server.get_device(TAGGER), server.get_device("test/tt20/flood")
    assert tagger.overflows == 0
    acquire(flood, 4.0)  # the excess 3e6 tags/s fill the buffer in 2.8 s
    lost = tagger.overflows
    duration = flood.capture_duration
    assert lost > 0.5 * ((FLOOD_HZ - MAX_TAG_RATE) * duration - BUFFER_TAGS)  # above the USB limit
    assert tagger.overflows == lost                                  # idle: no more tags lost
    tagger.ClearOverflows()
    assert tagger.overflows == 0


def test_configuration_describes_the_tagger(server):
    tagger = server.get_device(TAGGER)
    config = json.loads(tagger.configuration)
    assert config["serial"] == tagger.serial == "SIM-TT20-0001"
    assert config["model"] == tagger.model == "Time Tagger 20"
    assert tagger.get_attribute_config("configuration").disp_level == tango.DispLevel.EXPERT


def test_memorized_settings_survive_init(server):
    tagger = server.get_device(TAGGER)
    tagger.SetTriggerLevel([5, 0.3])
    tagger.test_signal_channels = [1, 6]
    tagger.input_delays = [0, 0, 0, 0, 0, 0, 0, 1234]
    tagger.Init()
    assert tagger.state() == tango.DevState.ON
    assert tagger.trigger_levels[4] == pytest.approx(0.3)
    assert list(tagger.test_signal_channels) == [1, 6] and tagger.input_delays[7] == 1234
    assert_set_points_in_effect(tagger)                  # restored, not Tango's zeros
    assert tagger.read_attribute("input_delays").w_value[7] == 1234


def test_reset_restores_defaults_for_good_and_keeps_the_cables(server):
    tagger, corr = server.get_device(TAGGER), server.get_device("test/tt20/pairs")
    tagger.SetTriggerLevel([5, 0.4])
    tagger.SetTestSignal([7, 1])
    tagger.Reset()
    assert_set_points_in_effect(tagger)
    defaults = (tagger.trigger_levels.copy(), list(tagger.test_signal_channels),
                tagger.input_delays.copy())
    assert defaults[0][4] != pytest.approx(0.4) and defaults[1] == [] and not defaults[2].any()
    tagger.Init()                                        # as a server restart: nothing comes back
    assert np.array_equal(tagger.trigger_levels, defaults[0])
    assert list(tagger.test_signal_channels) == [] and not tagger.input_delays.any()
    # the 2 ns of the longer cable are part of the signal path, not an input setting
    assert abs(peak_delay(corr) - PAIR_DELAY_PS) <= 100
