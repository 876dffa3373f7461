"""Acquisition control, real and virtual time, freeing, context managers, and bad input."""
from __future__ import annotations

import threading
import time

import numpy as np
import pytest

import timetagger_sim as TT

SECOND = 10**12
MS = 10**9


@pytest.mark.parametrize("duration", [MS, 123 * MS + 7, 2 * SECOND])
def test_start_for_gives_the_requested_capture_duration(tagger, duration):
    tagger.setTestSignal(1, True)
    rate = TT.Countrate(tagger, [1])
    rate.startFor(duration)
    assert rate.waitUntilFinished()
    assert not rate.isRunning()
    assert rate.getCaptureDuration() == duration
    # Tags are counted up to the exact end: one per 1.25 us test-signal period (jitter may
    # move the tag at either edge of the window in or out).
    assert rate.getCountsTotal()[0] == pytest.approx(duration / 1_250_000, abs=2)


def test_start_for_accepts_float_durations_like_the_library_examples(tagger):
    corr = TT.Correlation(tagger, 1, 2)
    corr.startFor(1e10)
    corr.waitUntilFinished()
    assert corr.getCaptureDuration() == 10**10


def test_real_time_stream_follows_the_wall_clock(make_tagger):
    begin = time.monotonic()
    tagger = make_tagger(virtual_time=False)
    assert not tagger.simIsVirtualTime()
    tagger.setTestSignal(1, True)
    rate = TT.Countrate(tagger, [1])
    rate.startFor(SECOND // 4)
    assert rate.waitUntilFinished()
    # stream time never runs ahead of the wall clock (a stream that lagged under load may
    # catch up, as the hardware's buffered tags do, so only this bound is certain)
    assert time.monotonic() - begin >= 0.25
    assert rate.getCaptureDuration() == SECOND // 4
    assert rate.getData()[0] == pytest.approx(800e3, abs=10)


def test_get_data_returns_copies_promptly_while_running(make_tagger):
    tagger = make_tagger(virtual_time=False)
    tagger.setTestSignal(1, True)
    counter = TT.Counter(tagger, [1], binwidth=10 * MS, n_values=100)
    time.sleep(0.1)
    first = counter.getData()
    first[:] = -1
    second = counter.getData()
    assert np.all(second >= 0)
    assert counter.isRunning()


def test_virtual_time_runs_faster_than_real_time(tagger):
    assert tagger.simIsVirtualTime()
    tagger.setTestSignal(1, True)
    rate = TT.Countrate(tagger, [1])
    rate.startFor(60 * SECOND)
    # A real-time stream would need a minute; virtual time needs a few seconds.
    assert rate.waitUntilFinished(timeout=30_000)
    assert rate.getCaptureDuration() == 60 * SECOND


def test_seeded_streams_are_reproducible(make_tagger):
    def run(seed):
        tagger = make_tagger(seed=seed)
        source = TT.Experimental.ExponentialSignalGenerator(tagger, 1e5, base_channel=1)
        counter = TT.Counter(tagger, [1], binwidth=10 * MS, n_values=20)
        counter.startFor(200 * MS)
        counter.waitUntilFinished()
        del source
        return counter.getData()

    np.testing.assert_array_equal(run(42), run(42))
    assert not np.array_equal(run(42), run(43))


def test_free_stops_everything_and_its_thread(make_tagger):
    tagger = make_tagger(virtual_time=False)
    rate = TT.Countrate(tagger, [1])
    assert rate.isRunning()
    stream_threads = {t for t in threading.enumerate() if t.name.startswith("timetagger-sim-")}
    assert TT.freeTimeTagger(tagger)
    assert not rate.isRunning()
    still_running = {t for t in threading.enumerate() if t.name.startswith("timetagger-sim-")}
    assert len(stream_threads - still_running) == 1        # this tagger's thread ended
    with pytest.raises(RuntimeError, match="freed"):
        tagger.getSerial()
    with pytest.raises(RuntimeError, match="freed"):
        TT.Countrate(tagger, [1])
    with pytest.raises(RuntimeError, match="freed"):
        rate.start()


def test_context_managers_free_the_tagger_and_stop_the_measurement():
    TT.setSimulationOptions(virtual_time=True, seed=1)
    try:
        with TT.createTimeTagger() as tagger:
            tagger.setTestSignal([1, 2], True)
            with TT.Correlation(tagger=tagger, channel_1=1, channel_2=2) as corr:
                corr.startFor(1e10)
                corr.waitUntilFinished()
                assert corr.getData().sum() > 0
            assert not corr.isRunning()
    finally:
        TT.setSimulationOptions(virtual_time=False)
    with pytest.raises(RuntimeError):
        tagger.getModel()


def test_unplugged_tagger_raises_on_every_call(tagger):
    rate = TT.Countrate(tagger, [1])
    tagger.simUnplug()
    with pytest.raises(RuntimeError, match="disconnected"):
        tagger.getSerial()
    with pytest.raises(RuntimeError, match="disconnected"):
        rate.start()


def test_scan_and_models():
    serials = TT.scanTimeTagger()
    assert "SIM-ULTRA8-0001" in serials and "SIM-TT20-0001" in serials
    models = {}
    for serial in serials:
        with TT.createTimeTagger(serial) as tagger:
            models[serial] = (tagger.getModel(), len(tagger.getChannelList(TT.ChannelEdge.Rising)))
    assert models["SIM-TT20-0001"] == ("Time Tagger 20", 8)
    assert models["SIM-ULTRA8-0001"] == ("Time Tagger Ultra", 8)
    assert models["SIM-ULTRA18-0001"] == ("Time Tagger Ultra", 18)


@pytest.mark.parametrize("make, message", [
    (lambda t: TT.Countrate(t, [9]), r"channels=9 .*1\.\.8"),
    (lambda t: TT.Correlation(t, 1, 99), r"channel_2=99"),
    (lambda t: TT.Correlation(t, 1, 2, binwidth=0), r"binwidth must be a positive integer.*got 0"),
    (lambda t: TT.Histogram(t, 1, n_bins=-5), r"n_bins must be a positive integer.*got -5"),
    (lambda t: TT.Counter(t, [1], binwidth=1.5), r"binwidth must be an integer"),
    (lambda t: t.setDeadtime(1, 3_000_000_000), r"deadtime .* allowed 2000 to 2147000000"),
    (lambda t: t.setTriggerLevel(1, 7.0), r"voltage 7.0 V is out of range: allowed -2.5 to 2.5"),
    (lambda t: t.setTestSignal(12, True), r"channel=12 is not an input"),
    (lambda t: TT.DelayedChannel(t, 1, -5), r"delay -5 ps .* 0 ps or more"),
    (lambda t: TT.Countrate(t, "1,2"), r"list of channel numbers"),
])
def test_bad_input_names_the_value_and_the_allowed_range(tagger, make, message):
    with pytest.raises((ValueError, TypeError), match=message):
        make(tagger)
    # The tagger keeps working afterwards.
    tagger.setTestSignal(1, True)
    rate = TT.Countrate(tagger, [1])
    rate.startFor(MS)
    rate.waitUntilFinished()
    assert rate.getCountsTotal()[0] == pytest.approx(800, abs=1)     # 1 ms at 800 kHz


def test_unknown_serial_lists_the_available_ones():
    with pytest.raises(RuntimeError, match="SIM-ULTRA8-0001"):
        TT.createTimeTagger("1234ABC")


def test_a_failing_measurement_stops_alone_and_the_stream_goes_on(tagger):
    tagger.setTestSignal(1, True)
    broken = TT.Countrate(tagger, [1])
    healthy = TT.Countrate(tagger, [1])

    def explode(*args):
        raise ZeroDivisionError("simulated defect")

    broken._process = explode
    healthy.startFor(10 * MS)
    assert healthy.waitUntilFinished()
    assert healthy.getCountsTotal()[0] == pytest.approx(8000, abs=1)
    assert not broken.isRunning()
    with pytest.raises(RuntimeError, match="internal error: ZeroDivisionError: simulated defect"):
        broken.start()
