"""The issue's client example and the module-like behaviour of the proxy, against a real daemon."""
from __future__ import annotations

import inspect
import subprocess
import sys

import numpy as np
import pytest

from .conftest import ROOT, port_of, sim_env


def test_issue_example_correlation_peak_at_the_delay(TT):
    t = TT.createTimeTagger()
    t.setTestSignal([1, 2], True)
    d = TT.DelayedChannel(t, 2, 1000)
    c = TT.Correlation(t, 1, d.getChannel(), binwidth=10, n_bins=1000)
    c.startFor(int(1e12))
    c.waitUntilFinished()
    y, index = c.getData(), c.getIndex()
    assert isinstance(y, np.ndarray) and y.dtype.kind == "i" and y.shape == (1000,)
    np.testing.assert_array_equal(index, np.arange(-500, 500) * 10 + 5)  # bin centres, ps
    # Correlation's index is t(channel_1) - t(channel_2). Both inputs see the same 800 kHz
    # test signal and channel_2 is input 2 delayed by 1000 ps, so every pair sits at -1000 ps
    # (plus jitter): the bin edge between bins 399 and 400, never at +1000 ps.
    peak = int(np.argmax(y))
    assert abs(index[peak] - (-1000)) == 5, (peak, index[peak])  # a bin touching -1000 ps
    assert abs((index * y).sum() / y.sum() - (-1000)) < 5  # centroid within half a bin
    assert y[380:421].sum() == y.sum()  # everything within +-200 ps of the delay
    assert y.sum() > 0.5 * 800e3  # ~ one coincidence per test-signal period over 1 s
    TT.freeTimeTagger(t)


def test_enums_constants_and_experimental_namespace(TT, sim):
    assert TT.Resolution.Standard == sim.Resolution.Standard
    assert TT.CHANNEL_UNUSED == sim.CHANNEL_UNUSED
    assert [m.name for m in TT.CoincidenceTimestamp] == [m.name for m in sim.CoincidenceTimestamp]
    t = TT.createTimeTagger(resolution=TT.Resolution.Standard)
    generator = TT.Experimental.UniformSignalGenerator(t, upper_bound=1000, lower_bound=10)
    assert isinstance(generator, TT.Experimental.UniformSignalGenerator)
    assert generator.getChannel() >= sim.FIRST_VIRTUAL_CHANNEL


def test_help_shows_library_docs_and_signatures(TT, sim):
    assert inspect.signature(TT.Correlation) == inspect.signature(sim.Correlation)
    assert TT.Correlation.getData.__doc__ == inspect.getdoc(sim.Correlation.getData)
    assert list(inspect.signature(TT.Counter.getData).parameters) == \
        list(inspect.signature(sim.Counter.getData).parameters)
    text = pydoc_text(TT.Correlation)
    assert "getDataNormalized" in text and "binwidth" in text


def pydoc_text(obj) -> str:
    import pydoc
    return pydoc.render_doc(obj, renderer=pydoc.plaintext)


@pytest.fixture
def local_tagger(sim):
    """A simulated tagger in this process (no RPC), freed afterwards."""
    tagger = sim.createTimeTagger()
    try:
        yield tagger
    finally:
        sim.freeTimeTagger(tagger)


def test_library_exception_keeps_type_and_message(TT, sim, local_tagger):
    t = TT.createTimeTagger()
    with pytest.raises(ValueError) as remote:
        TT.Correlation(t, 1, 2, binwidth=-5)
    with pytest.raises(ValueError) as local:
        sim.Correlation(local_tagger, 1, 2, binwidth=-5)
    assert type(remote.value) is type(local.value) is ValueError
    assert str(remote.value) == str(local.value)


def test_data_object_properties_and_arrays(TT):
    t = TT.createTimeTagger()
    t.setTestSignal(1, True)
    counter = TT.Counter(t, [1], binwidth=int(1e9), n_values=3)
    counter.startFor(int(3e12))
    counter.waitUntilFinished()
    data = counter.getDataObject()
    assert type(data).__name__ == "CounterData"
    assert data.size == 3
    counts = data.getData()
    # 1 ms bins of the 800 kHz test signal: 800 clicks each (+-1 where jitter crosses an edge)
    assert counts.shape == (1, 3) and np.all(np.abs(counts - 800) <= 1), counts


def test_released_objects_are_gone_for_everyone(TT, server):
    t = TT.createTimeTagger()
    c = TT.Countrate(t, [1])
    assert len(server.bridge.live) == 2
    TT.release(c)
    assert len(server.bridge.live) == 1
    TT.freeTimeTagger(t)
    assert len(server.bridge.live) == 0
    with pytest.raises(ReferenceError):
        t.getSerial()


def test_synchronized_measurements_take_proxies_and_return_the_tagger(TT):
    t = TT.createTimeTagger()
    t.setTestSignal(1, True)
    rates = [TT.Countrate(t, [1]) for _ in range(2)]
    group = TT.SynchronizedMeasurements(t)
    for rate in rates:
        group.registerMeasurement(rate)
    group.startFor(int(1e11))
    group.waitUntilFinished()
    first, second = (rate.getCountsTotal()[0] for rate in rates)
    assert first == second > 0  # same instant, same tags
    view = group.getTagger()
    assert isinstance(view, TT.TimeTaggerBase) and isinstance(t, TT.TimeTaggerBase)
    assert not isinstance(view, TT.TimeTagger)
    assert view.getConfiguration() == t.getConfiguration()
    TT.release(view)  # a view: releasing it does not free the tagger
    assert t.getSerial()


def test_unregistered_measurement_no_longer_follows_the_group(TT):
    t = TT.createTimeTagger()
    t.setTestSignal(1, True)
    kept, dropped = TT.Countrate(t, [1]), TT.Countrate(t, [1])
    for rate in (kept, dropped):
        rate.stop()
        rate.clear()
    group = TT.SynchronizedMeasurements(t)
    group.registerMeasurement(kept)
    group.registerMeasurement(dropped)
    group.unregisterMeasurement(dropped)  # a proxy argument, resolved on the server
    group.startFor(int(1e11))
    group.waitUntilFinished()
    assert abs(kept.getCountsTotal()[0] - 80_000) <= 1  # 0.1 s of the 800 kHz test signal (+-1 at the edges)
    assert dropped.getCountsTotal()[0] == 0 and not dropped.isRunning()


TUNING_PROBE = """
import sys
from rpc_bridge import memory
from rpc_bridge.client import createProxy
kwargs = {} if sys.argv[2] == "default" else {"tune_allocator": sys.argv[2] == "True"}
with createProxy("127.0.0.1", int(sys.argv[1]), **kwargs) as TT:
    assert TT.getVersion()
print(memory.is_tuned())
"""


@pytest.mark.parametrize(("choice", "tuned"), [("default", "False"), ("True", "True"), ("False", "False")])
def test_client_allocator_tuning_is_an_explicit_choice(server, choice, tuned):
    # a fresh process each time: this one is already tuned by the in-process server
    done = subprocess.run([sys.executable, "-c", TUNING_PROBE, str(port_of(server.uri)), choice], cwd=ROOT,
                          env=sim_env(), capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == [tuned]


def test_unknown_names_raise_attribute_error_and_library_made_classes_cannot_be_built(TT):
    assert not hasattr(TT, "noSuchFunction")
    t = TT.createTimeTagger()
    assert not hasattr(t, "noSuchMethod") and hasattr(t, "getSerial")
    with pytest.raises(TypeError, match="made by the library"):
        TT.TimeTagStreamBuffer()


def test_context_managers_release_on_exit_as_the_library_does(TT, server):
    with TT.createTimeTagger() as t:
        t.setTestSignal([1], True)
        with TT.Countrate(t, [1]) as rate:
            assert rate.getData().shape == (1,)
        with pytest.raises(ReferenceError):
            rate.getData()
        assert t.getSerial()
    with pytest.raises(ReferenceError):
        t.getSerial()
    assert server.bridge.counts() == {"objects": 0, "taggers": 0}


def test_time_tag_stream_data_arrive_by_value_with_every_tag(TT, server):
    t = TT.createTimeTagger()
    t.setTestSignal([1, 2], True)
    stream, rate = TT.TimeTagStream(t, 10**6, [1, 2]), TT.Countrate(t, [1, 2])
    group = TT.SynchronizedMeasurements(t)
    for measurement in (stream, rate):
        group.registerMeasurement(measurement)
    objects = server.bridge.counts()["objects"]
    group.startFor(int(5e10))  # 50 ms: 80,000 tags in pieces
    received = []
    while True:
        running = group.isRunning()  # before getData: tags may arrive until the group stops
        buffer = stream.getData()
        assert isinstance(buffer, TT.TimeTagStreamBuffer) and buffer._id is None  # a snapshot
        received.append(buffer.getTimestamps())
        if not running and not buffer.size:
            break
    timestamps = np.concatenate(received)
    assert timestamps.size == rate.getCountsTotal().sum() == 80_000  # every tag, once
    assert np.all(np.diff(timestamps) >= 0) and timestamps.flags.writeable
    assert server.bridge.counts()["objects"] == objects  # nothing piles up on the server
    with pytest.raises(TypeError, match="snapshot holds data only"):
        TT.Countrate(buffer, [1])
