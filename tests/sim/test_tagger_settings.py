"""Tagger settings that have physics act on the stream: delays, comparators, jitter, multiplexers, clock trim.

Expectations come from the input model the simulator documents (``timetagger_sim.taggers.inputs``):
pulses 1 V high into 50 Ohm, ``PULSE_WIDTH_PS`` wide, with linear edges of ``PULSE_EDGE_PS``.
"""
from __future__ import annotations

import json

import numpy as np
import pytest

import timetagger_sim as TT
from timetagger_sim.taggers.models import PULSE_EDGE_PS, PULSE_WIDTH_PS

SECOND = 10**12
MS = 10**9


#: Edge offsets are whole picoseconds (tags are integers), so expectations hold within this.
ROUNDING_PS = 1.0


def mean_delay(tagger, channel_1, channel_2, duration=SECOND // 20, span=20_000):
    """Mean of t(channel_1) - t(channel_2) over the pairs within +-span/2 ps (bin width 1 ps)."""
    corr = TT.Correlation(tagger, channel_1, channel_2, binwidth=1, n_bins=span)
    corr.startFor(duration)
    corr.waitUntilFinished()
    data, index = corr.getData().astype(float), corr.getIndex()     # 1 ps bins: index = the delay
    assert data.sum() > 1000
    return float(np.sum(index * data) / data.sum()), data, index


def periods(tagger, channel, duration=SECOND // 100):
    stream = TT.TimeTagStream(tagger, 10**7, [channel])
    stream.startFor(duration)
    stream.waitUntilFinished()
    return np.diff(stream.getData().getTimestamps())


# -- delays ------------------------------------------------------------------------------------------
def test_input_delay_goes_on_board_within_the_hardware_range_and_to_software_beyond(tagger):
    assert tagger.getDelayHardwareRange(1) == [-2_000_000, 2_000_000]
    tagger.setInputDelay(1, 1_500)
    tagger.setInputDelay(2, -5_000_000)                      # beyond +-2 us: software
    assert (tagger.getDelayHardware(1), tagger.getDelaySoftware(1)) == (1_500, 0)
    assert (tagger.getDelayHardware(2), tagger.getDelaySoftware(2)) == (0, -5_000_000)
    assert tagger.getInputDelay(2) == -5_000_000
    tagger.setDelaySoftware(1, 250)
    assert tagger.getInputDelay(1) == 1_750


@pytest.mark.parametrize("delay", [-7_000_000, 4_321_000])
def test_software_delay_shifts_tags_positive_or_negative(tagger, delay):
    source = TT.Experimental.ExponentialSignalGenerator(tagger, 100e3, seed=3)
    tagger.simConnect(source.getChannel(), 1)
    tagger.simConnect(source.getChannel(), 2)
    tagger.setDelaySoftware(2, delay)
    corr = TT.Correlation(tagger, 1, 2, binwidth=10, n_bins=2 * 10_000 + 2 * abs(delay) // 10)
    corr.startFor(SECOND // 10)
    corr.waitUntilFinished()
    peak = corr.getIndex()[np.argmax(corr.getData())]
    assert abs(peak + delay) <= 20                              # t1 - t2 = -delay


def test_time_tagger_20_has_no_hardware_delay(make_tagger):
    tagger = make_tagger("SIM-TT20-0001")
    assert tagger.getDelayHardwareRange(1) == [0, 0]
    with pytest.raises(RuntimeError, match="not available on the Time Tagger 20"):
        tagger.setDelayHardware(1, 100)
    tagger.setInputDelay(1, 100)
    assert tagger.getDelaySoftware(1) == 100


def filtered_count(make_tagger, setup) -> int:
    """Tags of channel 1 (800 kHz) that pass a conditional filter triggered by Poisson channel 2."""
    tagger = make_tagger(seed=21)
    tagger.setTestSignal(1, True)
    trigger = TT.Experimental.ExponentialSignalGenerator(tagger, 200e3, base_channel=2, seed=4)  # noqa: F841
    tagger.setConditionalFilter(trigger=[2], filtered=[1])
    setup(tagger)
    rate = TT.Countrate(tagger, [1, 2])
    rate.startFor(SECOND // 20)
    rate.waitUntilFinished()
    return int(rate.getCountsTotal()[0])


def test_hardware_delay_acts_before_the_conditional_filter_and_software_delay_after(make_tagger):
    plain = filtered_count(make_tagger, lambda t: None)
    software = filtered_count(make_tagger, lambda t: t.setDelaySoftware(2, 1_000_000))
    hardware = filtered_count(make_tagger, lambda t: t.setDelayHardware(2, 1_000_000))
    assert software == plain
    assert hardware != plain


def test_event_divider_applies_after_the_conditional_filter(make_tagger):
    plain = filtered_count(make_tagger, lambda t: None)
    divided = filtered_count(make_tagger, lambda t: t.setEventDivider(1, 3))
    assert divided == (plain + 2) // 3


# -- comparators ---------------------------------------------------------------------------------------
def test_trigger_level_moves_the_tag_along_the_pulse_edge(tagger):
    tagger.setTestSignal([1, 2], True)
    tagger.setTriggerLevel(2, 0.8)
    rising, _, _ = mean_delay(tagger, 1, 2)
    falling, _, _ = mean_delay(tagger, -1, -2)
    # A higher threshold is crossed later on the rising edge, earlier on the falling edge.
    assert rising == pytest.approx(-0.3 * PULSE_EDGE_PS, abs=ROUNDING_PS)
    assert falling == pytest.approx(+0.3 * PULSE_EDGE_PS, abs=ROUNDING_PS)
    assert tagger.xtra_measureTriggerLevel(2) == pytest.approx(0.8, abs=5 / 4095)


def test_hysteresis_moves_both_thresholds_apart_on_a_time_tagger_x(make_tagger):
    tagger = make_tagger("SIM-X16-0001")
    tagger.setTestSignal([1, 2], True)
    assert tagger.getInputHysteresis(1) == 20
    tagger.setInputHysteresis(1, 1)
    tagger.setInputHysteresis(2, 70)
    # Rising threshold level + h/2 (crossed later), falling threshold level - h/2 (crossed later
    # on the falling edge too): both edges of input 2 come E * (70 - 1) mV / 2 / 1 V later.
    rising, _, _ = mean_delay(tagger, 1, 2)
    falling, _, _ = mean_delay(tagger, -1, -2)
    assert rising == pytest.approx(-PULSE_EDGE_PS * 0.069 / 2, abs=ROUNDING_PS)
    assert falling == pytest.approx(-PULSE_EDGE_PS * 0.069 / 2, abs=ROUNDING_PS)
    width, _, _ = mean_delay(tagger, -2, 2)
    assert width == pytest.approx(PULSE_WIDTH_PS, abs=ROUNDING_PS)
    # With 70 mV of hysteresis a 0.98 V level no longer fits under the 1 V pulse.
    tagger.setTriggerLevel(1, 0.98)
    tagger.setTriggerLevel(2, 0.98)
    rate = TT.Countrate(tagger, [1, 2])
    rate.startFor(MS)
    rate.waitUntilFinished()
    assert rate.getCountsTotal()[0] > 700 and rate.getCountsTotal()[1] == 0
    with pytest.raises(ValueError, match="allowed"):
        tagger.setInputHysteresis(1, 5)


def test_high_impedance_input_sees_twice_the_voltage(make_tagger):
    tagger = make_tagger("SIM-X16-0001")
    tagger.setTestSignal([1, 2], True)
    tagger.setInputImpedanceHigh(2, True)
    assert tagger.getInputImpedanceHigh(2) and not tagger.getInputImpedanceHigh(1)
    delay, _, _ = mean_delay(tagger, 1, 2)
    # 0.51 V (level plus half the 20 mV hysteresis) is 51% of a 1 V edge but 25.5% of a 2 V one.
    assert delay == pytest.approx(PULSE_EDGE_PS * (0.51 - 0.255), abs=ROUNDING_PS)


@pytest.mark.parametrize("method, args", [("setInputHysteresis", (1, 20)), ("setInputImpedanceHigh", (1, True)),
                                          ("setInternalClockTrim", (1.0,)),
                                          ("setTestSignalSource", (TT.TestSignalSource.Analog,))])
def test_time_tagger_x_settings_are_refused_on_other_models(tagger, method, args):
    with pytest.raises(RuntimeError, match="only available on the Time Tagger X"):
        getattr(tagger, method)(*args)


# -- jitter and built-in delays -------------------------------------------------------------------------
def excess_kurtosis(data, index):
    weights = data / data.sum()
    mean = np.sum(weights * index)
    variance = np.sum(weights * (index - mean) ** 2)
    return np.sum(weights * (index - mean) ** 4) / variance**2 - 3, np.sqrt(variance)


def test_normalisation_off_leaves_the_raw_uniform_jitter_of_the_same_rms(tagger):
    tagger.setTestSignal([1, 2, 3, 4], True)
    tagger.setNormalization([3, 4], False)
    assert tagger.getNormalization(1) and not tagger.getNormalization(3)
    _, gauss, index = mean_delay(tagger, 1, 2, span=400)
    _, uniform, _ = mean_delay(tagger, 3, 4, span=400)
    k_gauss, rms_gauss = excess_kurtosis(gauss, index)
    k_uniform, rms_uniform = excess_kurtosis(uniform, index)
    # Difference of two normals: normal (0); of two uniforms: triangular (-0.6); same RMS.
    assert k_gauss == pytest.approx(0.0, abs=0.1)
    assert k_uniform == pytest.approx(-0.6, abs=0.1)
    assert rms_uniform == pytest.approx(rms_gauss, rel=0.03)
    assert rms_gauss == pytest.approx(9.0 * np.sqrt(2), rel=0.03)


def test_built_in_input_delays_show_when_compensation_is_off(tagger):
    tagger.setTestSignal([1, 2], True)
    built_in = [tagger.getHardwareDelayCompensation(c) for c in (1, 2)]
    assert built_in[0] != built_in[1]
    compensated, _, _ = mean_delay(tagger, 1, 2)
    tagger.setHardwareDelayCompensationActive(False)
    assert tagger.getHardwareDelayCompensation(1) == 0
    exposed, _, _ = mean_delay(tagger, 1, 2)
    assert compensated == pytest.approx(0, abs=0.5)
    assert exposed == pytest.approx(built_in[0] - built_in[1], abs=0.5)
    tagger.setHardwareDelayCompensationActive(True)


def test_averaging_rising_and_falling_edges_puts_the_tag_mid_pulse(tagger):
    tagger.setTestSignal([1, 2], True)
    tagger.xtra_setAvgRisingFalling(1, True)
    assert tagger.xtra_getAvgRisingFalling(1) and not tagger.xtra_getAvgRisingFalling(2)
    delay, _, _ = mean_delay(tagger, 1, 2)
    assert delay == pytest.approx(PULSE_WIDTH_PS / 2, abs=ROUNDING_PS)


# -- multiplexers and clock ------------------------------------------------------------------------
def test_input_multiplexer_feeds_an_input_with_its_neighbour_or_the_reference(tagger):
    source = TT.Experimental.ExponentialSignalGenerator(tagger, 100e3, base_channel=1, seed=5)  # noqa: F841
    tagger.setInputMux(2, 1)                      # input 2 takes input 1's signal
    tagger.setInputMux(3, 1)                      # cascades: input 3 takes input 2's, i.e. input 1's
    tagger.setInputMux(5, 3)                      # the 10 MHz reference oscillator
    assert [tagger.getInputMux(c) for c in (1, 2, 3, 5)] == [0, 1, 1, 3]
    rate = TT.Countrate(tagger, [1, 2, 3, 5])
    rate.startFor(SECOND // 100)
    rate.waitUntilFinished()
    counts = rate.getCountsTotal()
    assert counts[0] == counts[1] == counts[2] > 500
    assert counts[3] == pytest.approx(10e6 / 100, abs=1)
    with pytest.raises(ValueError, match="beyond"):
        tagger.setInputMux(1, 1)


def test_internal_clock_trim_scales_external_signals_not_the_test_signal(make_tagger):
    tagger = make_tagger("SIM-X16-0001")
    external = TT.Experimental.UniformSignalGenerator(tagger, 1_000_000, 1_000_000, base_channel=1)  # noqa: F841
    tagger.setTestSignal(2, True)
    tagger.setInternalClockTrim(50.0)
    assert tagger.getInternalClockTrim() == 50.0
    assert np.mean(periods(tagger, 1)) == pytest.approx(1_000_000 * (1 + 50e-6), abs=0.05)
    assert np.mean(periods(tagger, 2)) == pytest.approx(504 / 403.2e6 * 1e12, abs=0.05)


# -- information without physics -------------------------------------------------------------------
def test_sensor_data_follows_the_fan_and_the_time_tagger_20_has_none(tagger, make_tagger):
    tagger.xtra_setFanSpeed(100)
    cool = json.loads(tagger.getSensorData())
    tagger.xtra_setFanSpeed(0)
    warm = json.loads(tagger.getSensorData())
    assert cool["simulated"] is True and cool["board"]["fan duty"]["value"] == 100
    assert warm["board"]["temperature FPGA"]["value"] > cool["board"]["temperature FPGA"]["value"]
    with pytest.raises(RuntimeError, match="no onboard sensors"):
        make_tagger("SIM-TT20-0001").getSensorData()


def test_calibration_data_are_consistent_per_channel(tagger):
    channels = tagger.getChannelList()
    counts, widths, rms = tagger.getDistributionCount(), tagger.getDistributionPSecs(), tagger.autoCalibration()
    assert counts.dtype == np.uint64 and counts.shape[0] == len(channels) == rms.size == 16
    np.testing.assert_allclose(widths.sum(axis=1), tagger.getPsPerClock())
    np.testing.assert_allclose(rms, np.sqrt((widths**3).sum(axis=1) / (12 * widths.sum(axis=1))))
    # Unequal taps discretise worse than equal ones (w / sqrt(12)), and below the model's jitter.
    equal = tagger.getPsPerClock() / counts.shape[1] / np.sqrt(12)
    assert np.all(rms > equal) and np.all(rms < 9.0)
    np.testing.assert_array_equal(tagger.getDistributionCount(), counts)     # fixed per device


def test_stored_settings_report_back(tagger):
    tagger.setLED(0x01FF0000)
    tagger.disableLEDs(True)
    tagger.setSoundFrequency(440)
    tagger.setServerAddress("127.0.0.1")
    tagger.xtra_setClockSource(1)
    assert tagger.xtra_getClockSource() == 1
    tagger.xtra_setClockAutoSelect(True)
    assert tagger.xtra_getClockSource() == -1 and tagger.xtra_getClockAutoSelect()
    assert tagger.getServerAddress() == "127.0.0.1" and not tagger.isServerRunning()
    assert tagger.getConnectedClients() == []
    assert json.loads(tagger.getConfiguration())["leds"] == {"bitmask": 0x01FF0000, "disabled": True}
    assert tagger.getDACRange() == tagger.getTriggerLevelRange(1) == [-2.5, 2.5]
    license = json.loads(tagger.getDeviceLicense())
    assert license["channels"] == 8 and license["simulated"]
    tagger.setStreamBlockSize(max_events=4096, max_latency=5)
    assert (tagger.getStreamBlockSizeEvents(), tagger.getStreamBlockSizeLatency()) == (4096, 5)
    with pytest.raises(ValueError, match="max_latency 0 ms is out of range: allowed 1 to 10000"):
        tagger.setStreamBlockSize(4096, 0)
    with pytest.raises(ValueError, match="size 100 tags is out of range"):
        tagger.setHardwareBufferSize(100)
    tagger.reset()
    assert tagger.getStreamBlockSizeLatency() == 20 and tagger.getHardwareBufferSize() == 64 * 2**20


def test_registrations_and_autostart(tagger):
    rate = TT.Countrate(tagger, [1, 2])
    corr = TT.Correlation(tagger, 1, 3)
    assert tagger.getRegistrations(1) == 2 and tagger.isChannelRegistered(3)
    assert not tagger.isChannelRegistered(4)
    tagger.xtra_setAutoStart(False)
    assert not tagger.xtra_getAutoStart()
    late = TT.Countrate(tagger, [1])
    assert rate.isRunning() and not late.isRunning()
    assert tagger.getInvertedChannel(-3) == 3 and tagger.getInvertedChannel(101) == TT.CHANNEL_UNUSED
    del corr
