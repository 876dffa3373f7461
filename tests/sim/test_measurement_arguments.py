"""Bad constructor and setter arguments of the later measurements and virtual channels: clear errors."""
from __future__ import annotations

import pytest

import timetagger_sim as TT

U = TT.CHANNEL_UNUSED

# (call on a tagger, exception type, text the message must contain)
CASES = {
    "StartStop unknown click": (lambda t: TT.StartStop(t, 99), ValueError, "click_channel=99"),
    "StartStop binwidth 0": (lambda t: TT.StartStop(t, 1, 2, 0), ValueError, "binwidth must be a positive"),
    "TimeDifferences unknown next": (lambda t: TT.TimeDifferences(t, 1, 2, 42), ValueError, "next_channel=42"),
    "TimeDifferences n_histograms": (lambda t: TT.TimeDifferences(t, 1, n_histograms=0), ValueError,
                                     "n_histograms must be a positive integer, got 0"),
    "TimeDifferences n_bins": (lambda t: TT.TimeDifferences(t, 1, n_bins=-5), ValueError, "got -5"),
    "TimeDifferences max rollovers": (lambda t: TT.TimeDifferences(t, 1).setMaxRollovers(-1), ValueError,
                                      "max_rollovers must be 0 (unlimited) or positive, got -1"),
    "CountBetweenMarkers begin": (lambda t: TT.CountBetweenMarkers(t, 1, U), ValueError, "begin_channel="),
    "CountBetweenMarkers same": (lambda t: TT.CountBetweenMarkers(t, 1, 2, 2), ValueError, "must differ"),
    "CountBetweenMarkers n_values": (lambda t: TT.CountBetweenMarkers(t, 1, 2, n_values=0), ValueError,
                                     "n_values must be a positive integer"),
    "HistogramLogBins order": (lambda t: TT.HistogramLogBins(t, 1, 2, -6, -9, 10), ValueError,
                               "exp_stop -9.0 must be greater than exp_start -6.0"),
    "HistogramLogBins range": (lambda t: TT.HistogramLogBins(t, 1, 2, -15, -9, 10), ValueError,
                               "exp_start -15 is out of range: allowed -12.0 to 6.0"),
    "HistogramLogBins gate": (lambda t: TT.HistogramLogBins(t, 1, 2, -9, -6, 10, click_gate=object()),
                              TypeError, "click_gate must be a ChannelGate or None"),
    "HistogramLogBins gate channel": (lambda t: TT.HistogramLogBins(t, 1, 2, -9, -6, 10, start_gate=TT.ChannelGate(3, 77)),
                                      ValueError, "start_gate.gate_close_channel=77"),
    "HistogramCustomBins edges": (lambda t: TT.HistogramCustomBins(t, 1, 2, [0, 10, 10]), ValueError,
                                  "strictly increasing"),
    "Histogram n_bins budget": (lambda t: TT.Histogram(t, 1, n_bins=10**12), ValueError,
                                "n_bins = 1000000000000 elements (3814697 MiB) exceed the simulator's limit"),
    "TimeDifferences budget": (lambda t: TT.TimeDifferences(t, 1, n_bins=10**6, n_histograms=10**6), ValueError,
                               "n_histograms x n_bins = 1000000000000 elements"),
    "Histogram2D binwidth": (lambda t: TT.Histogram2D(t, 1, 2, 3, 10, 0, 5, 5), ValueError, "binwidth_2"),
    "Histogram2D stop": (lambda t: TT.Histogram2D(t, 1, 2, 77, 10, 10, 5, 5), ValueError, "stop_channel_2=77"),
    "TimeTagStream size": (lambda t: TT.TimeTagStream(t, 0, [1]), ValueError, "n_max_events"),
    "TimeTagStream empty": (lambda t: TT.TimeTagStream(t, 10, []), ValueError, "at least one channel"),
    "TimeTagStream text": (lambda t: TT.TimeTagStream(t, 10, "1,2"), TypeError, "list of channel numbers"),
    "FileWriter channel": (lambda t: TT.FileWriter(t, "/tmp/never-written.ttbin", [1, 55]), ValueError,
                           "channels=55"),
    "FileReader empty": (lambda t: TT.FileReader([]), ValueError, "non-empty list"),
    "GatedChannel same gates": (lambda t: TT.GatedChannel(t, 1, 2, 2), ValueError,
                                "gate_start_channel and gate_stop_channel are both 2"),
    "GatedChannel initial": (lambda t: TT.GatedChannel(t, 1, 2, 3, initial=5), ValueError, "initial=5"),
    "GatedChannel input": (lambda t: TT.GatedChannel(t, 30, 2, 3), ValueError, "input_channels=30"),
    "Coincidence one channel": (lambda t: TT.Coincidence(t, [1]), ValueError, "at least two different"),
    "Coincidence repeated": (lambda t: TT.Coincidence(t, [1, 1]), ValueError, "at least two different"),
    "Coincidence window": (lambda t: TT.Coincidence(t, [1, 2], -1), ValueError, "coincidenceWindow -1 ps"),
    "Coincidence timestamp": (lambda t: TT.Coincidence(t, [1, 2], 10, 9), ValueError, "timestamp=9"),
    "Coincidences groups": (lambda t: TT.Coincidences(t, [], 10), ValueError, "at least one group"),
    "Coincidences set window": (lambda t: TT.Coincidences(t, [[1, 2]], 10).setCoincidenceWindow(1.5),
                                TypeError, "coincidenceWindow must be an integer"),
    "Combiner channel": (lambda t: TT.Combiner(t, [1, 1000]), ValueError, "channels=1000"),
    "HistogramND budget": (lambda t: TT.HistogramND(t, 1, [2, 3], [10, 10], [10**6, 10**6]), ValueError,
                           "product of n_bins = 1000000000000 elements"),
    "Flim budget": (lambda t: TT.Flim(t, 1, 2, 3, 10**7, 10**4, 10), ValueError, "exceed the simulator's limit"),
    "Sampler budget": (lambda t: TT.Sampler(t, 1, [2], 10**12), ValueError, "max_triggers x (channels + 1)"),
    "Scope budget": (lambda t: TT.Scope(t, [1], 2, 100, 10**12), ValueError, "n_traces x channels x n_max_events"),
    "GatedCounter budget": (lambda t: TT.GatedCounter(t, 1, 2, 3, 10**12), ValueError, "channels x n_values"),
    "FrequencyStability budget": (lambda t: TT.FrequencyStability(t, 1, [10**9] * 10, 10**7, 10**12), ValueError,
                                  "3 x max(steps) + trace_len"),
    "Hardware buffer size": (lambda t: t.setHardwareBufferSize(10**13), ValueError, "allowed 32768 to"),
    "Stream block size": (lambda t: t.setStreamBlockSize(0, 0), ValueError, "max_events 0 events is out of range"),
    "Combinations channels": (lambda t: TT.Combinations(t, list(range(1, 9)) + [-c for c in range(1, 9)] + [1], 10),
                              ValueError, "different channels, at most 20"),
    "EventGenerator pattern": (lambda t: TT.EventGenerator(t, 1, [0] * (2**20 + 1)), ValueError,
                               "pattern must hold 1 to 1048576 times"),
    "FrequencyMultiplier factor": (lambda t: TT.FrequencyMultiplier(t, 1, 10**6), ValueError,
                                   "multiplier 1000000 is out of range"),
    "CFD falling edge": (lambda t: TT.ConstantFractionDiscriminator(t, [-1], 100), ValueError, "rising edges"),
    "TriggerOnCountrate hysteresis": (lambda t: TT.TriggerOnCountrate(t, 1, 1e3, -1, 100), ValueError,
                                      "hysteresis -1 Hz is out of range"),
    "OverflowInjector length": (lambda t: TT.OverflowInjector(t, 0, 0), ValueError, "length 0 ps is out of range"),
    "Markov states": (lambda t: TT.Experimental.MarkovProcessGenerator(t, 100, [0] * 10**4, [-1] * 10**4), ValueError,
                      "num_states 100 is out of range"),
    "PhotonNumber lines": (lambda t: TT.Experimental.PhotonNumber(t, 1, 2, -2, 1.0, [1.0, 2.0], 0), ValueError,
                           "descending order"),
    "Pattern duration": (lambda t: TT.Experimental.PatternSignalGenerator(t, [0], repeat=True), ValueError,
                         "positive duration"),
    "Oscillator frequency": (lambda t: TT.Experimental.OscillatorSimulation(t, 1e10), ValueError,
                             "nominal_frequency 10000000000.0 Hz is out of range"),
    "Synchronized tagger": (lambda t: TT.SynchronizedMeasurements("tagger"), TypeError,
                            "tagger must be a TimeTagger object"),
    "Synchronized duration": (lambda t: TT.SynchronizedMeasurements(t).startFor(0), ValueError,
                              "capture_duration must be a positive integer"),
}


@pytest.mark.parametrize("case", CASES)
def test_bad_argument_raises_naming_value_and_allowed_range(tagger, case):
    call, error, text = CASES[case]
    with pytest.raises(error) as info:
        call(tagger)
    assert text in str(info.value)
    # The tagger keeps working afterwards.
    rate = TT.Countrate(tagger, [1])
    rate.startFor(10**6)
    assert rate.waitUntilFinished(10_000)
