"""The issue's client example and the module-like behaviour of the proxy, against a real daemon."""
from __future__ import annotations

import inspect

import numpy as np
import pytest


def test_issue_example_correlation_peak_at_the_delay(TT):
    t = TT.createTimeTagger()
    t.setTestSignal([1, 2], True)
    d = TT.DelayedChannel(t, 2, 1000)
    c = TT.Correlation(t, 1, d.getChannel(), binwidth=10, n_bins=1000)
    c.startFor(int(1e12))
    c.waitUntilFinished()
    y = c.getData()
    assert isinstance(y, np.ndarray) and y.dtype.kind == "i" and y.shape == (1000,)
    # both channels see the same 800 kHz test signal, channel 2 delayed by 1 ns:
    # the peak sits 1000 ps = 100 bins away from the centre bin.
    assert abs(int(np.argmax(y)) - (500 + 100)) <= 1 or abs(int(np.argmax(y)) - (500 - 100)) <= 1
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


def test_library_exception_keeps_type_and_message(TT, sim):
    t = TT.createTimeTagger()
    with pytest.raises(ValueError) as remote:
        TT.Correlation(t, 1, 2, binwidth=-5)
    with pytest.raises(ValueError) as local:
        sim.Correlation(sim.createTimeTagger(), 1, 2, binwidth=-5)
    assert type(remote.value).__name__ == type(local.value).__name__
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
    assert counts.shape == (1, 3) and np.all(counts > 0)


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
