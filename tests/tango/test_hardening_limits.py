"""Sizes and ranges a client chooses cannot take the server down (issue 8, Tango side).

One real ``TimeTaggerDS`` on a real database, under an address-space limit: a regression
that allocates what the budget should have refused fails here (MemoryError in the child)
instead of exhausting the machine.
"""
from __future__ import annotations

import json
import math
import resource

import numpy as np
import psutil
import pytest
import tango
from db_helpers import failure, running
from ds_helpers import wait_until

from tango_ds.budget import MAX_TRANSFER_BYTES
from tango_ds.specs import CHANNEL_UNUSED, MAX_SPAN_PS

TAGGER = "lim/tagger/1"
LAYOUT = {
    "TimeTagger": [(TAGGER, {"Backend": "sim"})],
    "DelayedChannel": [("lim/delayed/1", {"input_channel": "1", "delay": 1000})],
    "Histogram": [("lim/hist/1", {"click_channel": "2", "start_channel": "1"})],
    "Correlation": [("lim/corr/1", {"channel_1": "2", "channel_2": "3"})],
    "Counter": [("lim/counter/1", {"channels": ["1"], "n_values": 10})],
    "TimeDifferences": [("lim/td/1", {"click_channel": "2", "start_channel": "1",
                                      "n_bins": 100})],
    "Countrate": [("lim/rate/1", {"channels": ["1"]})],
}
#: The server needs about 1.1 GB of address space; 2 GB more is room for everything the
#: tests allow, far less than what the refused requests would take.
ADDRESS_SPACE_MB = 3072


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    with running(tmp_path_factory.mktemp("limits"), "limits", LAYOUT, ADDRESS_SPACE_MB) as (db, srv):
        srv.proxy(TAGGER).test_signal_channels = [1, 2, 3]
        yield db, srv


def test_the_server_runs_under_the_address_space_limit(server):
    _, srv = server
    limit = psutil.Process(srv.process.pid).rlimit(resource.RLIMIT_AS)
    assert limit == (ADDRESS_SPACE_MB << 20, ADDRESS_SPACE_MB << 20)


def create(srv, request: dict) -> str:
    return srv.proxy(TAGGER).CreateMeasurement(json.dumps(request))


def assert_nothing_created(db, srv, name: str) -> None:
    with pytest.raises(tango.DevFailed):
        db.client().get_device_info(name)
    assert not db.client().get_device_property(name, ["Tagger"])["Tagger"]
    assert srv.alive() and srv.proxy("lim/rate/1").state() == tango.DevState.ON


@pytest.mark.parametrize("request_, words", [
    ({"class": "TimeDifferences", "name": "lim/big/td",
      "params": {"click_channel": 2, "start_channel": 1, "n_histograms": 1 << 24}},
     ["n_histograms x n_bins = 16777216 x 1000 = 16777216000 values x 4 bytes = 62.5 GiB",
      "MemoryBudgetMB = 2048"]),
    ({"class": "Histogram2D", "name": "lim/big/h2d",
      "params": {"start_channel": 1, "stop_channel_1": 2, "stop_channel_2": 3, "binwidth_1": 10,
                 "binwidth_2": 10, "n_bins_1": 16384, "n_bins_2": 16384}},
     ["n_bins_1 x n_bins_2 = 16384 x 16384 = 268435456 values x 4 bytes = 1.0 GiB",
      "more than a Tango client can read"]),
    ({"class": "Counter", "name": "lim/big/counter",
      "params": {"channels": [1, 2, 3, 4], "n_values": 1 << 24}},
     ["channels x n_values = 4 x 16777216 = 67108864 values x 4 bytes = 256.0 MiB",
      "more than a Tango client can read"]),
])
def test_sizes_beyond_the_budget_or_the_transfer_limit_are_refused_up_front(server, request_,
                                                                           words):
    db, srv = server
    before = srv.usage()["rss"]
    error = failure(lambda: create(srv, request_))
    assert error.reason == "TimeTagger_OverBudget", error.desc
    assert all(word in error.desc for word in words), error.desc
    assert_nothing_created(db, srv, request_["name"])
    assert srv.usage()["rss"] < before + (256 << 20)          # nothing large was allocated


def test_a_parameter_write_beyond_the_budget_keeps_the_device(server):
    _, srv = server
    td = srv.proxy("lim/td/1")
    error = failure(lambda: setattr(td, "n_histograms", 1 << 24))
    assert error.reason == "TimeTagger_OverBudget"
    assert "n_histograms x n_bins = 16777216 x 100" in error.desc and "keeps" in error.desc
    assert td.n_histograms == 1 and td.state() == tango.DevState.ON
    assert td.data.shape == (1, 100)


def test_the_budget_counts_every_measurement_of_the_tagger(server):
    db, srv = server
    tagger = srv.proxy(TAGGER)
    db.client().put_device_property(TAGGER, {"MemoryBudgetMB": ["16"]})
    tagger.Init()
    try:
        wait_until(lambda: tagger.state() == tango.DevState.ON)
        # 2**20 bins: 4 MiB of counts and 8 MiB of bin times; two of them exceed 16 MiB
        request = {"class": "Histogram", "params": {"click_channel": 2, "n_bins": 1 << 20}}
        first = create(srv, dict(request, name="lim/budget/one"))
        error = failure(lambda: create(srv, dict(request, name="lim/budget/two")))
        assert error.reason == "TimeTagger_OverBudget"
        assert "MemoryBudgetMB = 16 (16.0 MiB)" in error.desc
        assert "in use by other measurements" in error.desc
        tagger.DeleteMeasurement(first)
        assert create(srv, dict(request, name="lim/budget/two")) == "lim/budget/two"
        tagger.DeleteMeasurement("lim/budget/two")
    finally:
        db.client().delete_device_property(TAGGER, ["MemoryBudgetMB"])
        tagger.Init()
        wait_until(lambda: tagger.state() == tango.DevState.ON)


def test_the_transfer_limit_is_below_what_omniorb_carries():
    """Measured here (bench/tango_transfer_limit.py): a spectrum of MAX_TRANSFER_SIZE - 92
    bytes is readable, 64 bytes more are not; the limit keeps a margin for long names."""
    assert MAX_TRANSFER_BYTES <= int(tango.constants.MAX_TRANSFER_SIZE) - 92 - 4096


def test_bin_width_spans_stay_inside_int64(server):
    _, srv = server
    hist = srv.proxy("lim/hist/1")
    error = failure(lambda: setattr(hist, "binwidth", 1 << 62))
    assert error.reason == "TimeTagger_InvalidValue"
    assert f"binwidth x n_bins = {1 << 62} x 1000" in error.desc and "2**62 ps" in error.desc
    error = failure(lambda: setattr(hist, "binwidth", (1 << 63) - 1))
    assert f"binwidth = {(1 << 63) - 1} is not allowed: use an integer in [1, 2**62] ps" \
        in error.desc
    assert hist.binwidth == 1000 and hist.state() == tango.DevState.ON
    # the widest spans allowed, on quiet inputs (a multi-start histogram over a 53-day span
    # of an 800 kHz signal would count every pair of clicks)
    tagger = srv.proxy(TAGGER)
    half = MAX_SPAN_PS // 2
    for cls, params in (("Histogram", {"click_channel": 7, "start_channel": 8, "n_bins": 2}),
                        ("Correlation", {"channel_1": 7, "channel_2": 8, "n_bins": 2}),
                        ("Counter", {"channels": [7], "n_values": 2})):
        name = tagger.CreateMeasurement(json.dumps({"class": cls, "name": f"lim/span/{cls}",
                                                    "params": dict(params, binwidth=half)}))
        device = srv.proxy(name)
        try:
            device.StartFor(0.05)
            wait_until(lambda: device.state() == tango.DevState.ON)
            index = device.index.astype(object)               # exact integers
            assert index[1] - index[0] == half, cls
            assert all(abs(i) <= MAX_SPAN_PS for i in index), cls   # no wrap-around
            assert device.data is not None
        finally:
            tagger.DeleteMeasurement(name)


def test_tiny_start_for_and_huge_max_counts_are_refused_and_the_device_stays_on(server):
    _, srv = server
    hist, td = srv.proxy("lim/hist/1"), srv.proxy("lim/td/1")
    error = failure(lambda: hist.StartFor(1e-15))
    assert error.reason == "TimeTagger_InvalidValue"
    assert "StartFor(1e-15) is not allowed" in error.desc and "[1e-12, 9e+06] s" in error.desc
    assert hist.state() == tango.DevState.ON
    for value in (1 << 63, (1 << 64) - 1):
        error = failure(lambda v=value: td.SetMaxCounts(v))
        assert error.reason == "TimeTagger_InvalidValue"
        assert f"SetMaxCounts({value}) is not allowed" in error.desc
        assert "[0, 2**63 - 1]" in error.desc
        assert td.state() == tango.DevState.ON
    hist.StartFor(1e-12)                                       # one picosecond is allowed
    wait_until(lambda: hist.state() == tango.DevState.ON)
    assert hist.capture_duration == pytest.approx(1e-12, abs=1e-9)


def test_messages_show_plain_numbers_stay_short_and_never_crash(server):
    _, srv = server
    tagger = srv.proxy(TAGGER)
    error = failure(lambda: tagger.SetTriggerLevel([99, 0.3]))
    assert "SetTriggerLevel([99.0, 0.3]) is not allowed" in error.desc and "np." not in error.desc
    for argin in ([math.nan, 0.3], [1, math.nan], [1, math.inf], np.zeros(1_000_000)):
        error = failure(lambda a=argin: tagger.SetTriggerLevel(a))
        assert error.reason == "TimeTagger_InvalidValue", error.desc
        assert len(error.desc) < 800
    requests = ["[" * 100_000, '{"class": "Histogram", "name": "a/b/c", "params": {"n_bins": '
                + "9" * 5000 + "}}", json.dumps({"class": "Histogram", "name": "a/b/c",
                                                "params": {"n_bins": list(range(100_000))}})]
    for text in requests:
        error = failure(lambda t=text: tagger.CreateMeasurement(t))
        assert error.reason == "TimeTagger_InvalidValue", error.desc
        assert len(error.desc) < 800
    error = failure(lambda: tagger.CreateMeasurement('{"class": "Histogramé"}'))
    assert "'Histogramé'" in error.desc                       # non-ASCII text intact
    for name in ("ü/ü/ü", "x" * 100_000, "", "a/b", "a/b/c/d"):
        error = failure(lambda n=name: tagger.DeleteMeasurement(n))
        assert error.reason == "TimeTagger_InvalidValue" and len(error.desc) < 800
    assert tagger.state() == tango.DevState.ON


def test_channels_take_plain_numbers_and_keep_virtual_channels_by_name(server):
    """``corr.channel_1 = 2`` works; writing a virtual channel's number stores its device
    name, so the setting survives a restart, where the number may change."""
    db, srv = server
    corr, rate = srv.proxy("lim/corr/1"), srv.proxy("lim/rate/1")
    delayed = srv.proxy("lim/delayed/1").channel
    corr.channel_1 = 2
    corr.channel_2 = delayed
    rate.channels = [1, delayed]
    assert corr.channel_1 == 2 and corr.channel_2 == delayed
    assert list(rate.channels) == [1, delayed]
    stored = db.client().get_device_property("lim/corr/1", ["channel_1", "channel_2"])
    assert list(stored["channel_1"]) == ["2"] and list(stored["channel_2"]) == ["lim/delayed/1"]
    assert list(db.client().get_device_property("lim/rate/1", ["channels"])["channels"]) == \
        ["1", "lim/delayed/1"]
    error = failure(lambda: setattr(rate, "channels", [delayed, 77]))
    assert "channels=[" in error.desc and f"virtual channel {delayed} is lim/delayed/1" in error.desc
    corr.channel_2 = CHANNEL_UNUSED                           # auto-correlation
    assert list(db.client().get_device_property("lim/corr/1", ["channel_2"])["channel_2"]) == \
        ["unused"]
    corr.channel_2 = delayed
    srv.stop()
    srv.start()
    corr, rate = srv.proxy("lim/corr/1"), srv.proxy("lim/rate/1")
    delayed = srv.proxy("lim/delayed/1").channel
    wait_until(lambda: rate.state() == tango.DevState.ON and corr.state() == tango.DevState.ON)
    assert corr.channel_2 == delayed and list(rate.channels) == [1, delayed]
    rate.StartFor(0.2)
    wait_until(lambda: rate.state() == tango.DevState.ON)
    assert rate.data[0] > 0                                   # the test signal ...
    assert rate.data[1] == pytest.approx(rate.data[0], rel=1e-3)   # ... and its delayed copy
    corr.channel_2 = 3
    rate.channels = [1]
