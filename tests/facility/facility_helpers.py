"""Helpers of the facility-integration tests (imported by name: conftest is not a module to import)."""
from __future__ import annotations

import time
from pathlib import Path
from typing import Callable

import pytest

ROOT = Path(__file__).resolve().parents[2]

#: One device of every Tango class, with the properties its class requires.
ONE_OF_EACH: dict[str, tuple[str, dict]] = {
    "TimeTagger": ("facility/tagger/1", {"Backend": "sim"}),
    "DelayedChannel": ("facility/delayedchannel/1", {"input_channel": "1", "delay": 100}),
    "GatedChannel": ("facility/gatedchannel/1", {"input_channel": "1", "gate_start_channel": "2",
                                                 "gate_stop_channel": "-2"}),
    "Coincidence": ("facility/coincidence/1", {"channels": ["1", "2"]}),
    "Combiner": ("facility/combiner/1", {"channels": ["1", "facility/coincidence/1"]}),
    "Countrate": ("facility/countrate/1", {"channels": ["1", "2"]}),
    "Counter": ("facility/counter/1", {"channels": ["1"], "n_values": 10}),
    "Correlation": ("facility/correlation/1", {"channel_1": "1", "channel_2": "2"}),
    "Histogram": ("facility/histogram/1", {"click_channel": "2", "start_channel": "1"}),
    "StartStop": ("facility/startstop/1", {"click_channel": "2", "start_channel": "1"}),
    "TimeDifferences": ("facility/timedifferences/1", {"click_channel": "2", "start_channel": "1",
                                                       "n_bins": 100, "n_histograms": 3}),
    "CountBetweenMarkers": ("facility/countbetweenmarkers/1", {"click_channel": "1",
                                                               "begin_channel": "2"}),
    "HistogramLogBins": ("facility/histogramlogbins/1", {"click_channel": "2",
                                                         "start_channel": "1", "exp_start": -10,
                                                         "exp_stop": -6, "n_bins": 40}),
    "Histogram2D": ("facility/histogram2d/1", {"start_channel": "1", "stop_channel_1": "2",
                                               "stop_channel_2": "3", "binwidth_1": 100,
                                               "binwidth_2": 100, "n_bins_1": 20,
                                               "n_bins_2": 30}),
}


def wait_until(predicate: Callable[[], bool], timeout: float = 30.0, period: float = 0.1) -> None:
    """Poll ``predicate`` until true; fail the test after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            pytest.fail(f"condition not reached within {timeout} s")
        time.sleep(period)
