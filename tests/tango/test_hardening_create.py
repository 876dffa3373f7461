"""CreateMeasurement is all or nothing, DeleteMeasurement removes what it made (issues 8, 12).

A real database and a real ``TimeTaggerDS``; the database is checked directly for what a
refused request must not leave behind.
"""
from __future__ import annotations

import json

import pytest
import tango
from db_helpers import failure, running
from ds_helpers import wait_until

TAGGER = "cm/tagger/1"
TEST_SIGNAL_HZ = 403.2e6 / 504
LAYOUT = {
    "TimeTagger": [(TAGGER, {"Backend": "sim"})],
    # a cycle as an older version accepted it: each delays the other
    "DelayedChannel": [("cm/cycle/a", {"input_channel": "cm/cycle/b", "delay": 10}),
                       ("cm/cycle/b", {"input_channel": "cm/cycle/a", "delay": 10})],
}


@pytest.fixture(scope="module")
def system(tmp_path_factory):
    with running(tmp_path_factory.mktemp("create"), "create", LAYOUT) as (db, srv):
        srv.proxy(TAGGER).test_signal_channels = [1, 2]
        yield db, srv


def create(srv, request: dict | str) -> str:
    text = request if isinstance(request, str) else json.dumps(request)
    return srv.proxy(TAGGER).CreateMeasurement(text)


def listed(db, srv) -> list[str]:
    """Device names of the server, from the database."""
    return list(db.client().get_device_class_list(srv.name))[0::2]


def registered(db, name: str) -> bool:
    try:
        db.client().get_device_info(name)
    except tango.DevFailed:
        return False
    return True


@pytest.mark.parametrize("name", ["cm/x/\u00e7a", "cm/x/" + "y" * 60_000, "cm/x", "cm/x/y/z",
                                  "cm//y", "dserver/x/y", "cm/x/" + "y" * 86, "cm/x/y z",
                                  "cm/x/y#dbase=no", 7])
def test_names_follow_the_tango_rules(system, name):
    db, srv = system
    error = failure(lambda: create(srv, {"class": "Countrate", "name": name,
                                         "params": {"channels": [1]}}))
    assert error.reason == "TimeTagger_InvalidValue" and "is not allowed" in error.desc
    assert "domain/family/member" in error.desc and len(error.desc) < 800
    if isinstance(name, str) and len(name) < 1000:
        assert not registered(db, name)


@pytest.mark.parametrize("params, words", [
    ({"channel_1": 99}, ["channel_1=99", "rejected by the library"]),
    ({"channel_1": 2, "binwidth": 0}, ["binwidth = 0 is not allowed"]),
    ({"channel_1": 2, "n_bins": 2.5}, ["n_bins = 2.5 is not allowed"]),
    ({"channel_1": "cm/no/such"}, ["'cm/no/such' is not a virtual-channel device"]),
    ({"channel_1": 2, "AutoStart": True}, ["has no parameter", '"autostart": true']),
])
def test_invalid_parameters_create_nothing(system, params, words):
    db, srv = system
    error = failure(lambda: create(srv, {"class": "Correlation", "name": "cm/bad/corr",
                                         "params": params}))
    assert all(word in error.desc for word in words), error.desc
    assert not registered(db, "cm/bad/corr")
    assert not db.client().get_device_property("cm/bad/corr", ["channel_1"])["channel_1"]


def test_virtual_channel_cycles_are_refused(system):
    db, srv = system
    first = create(srv, {"class": "DelayedChannel", "name": "cm/vc/x",
                         "params": {"input_channel": 1, "delay": 100}})
    second = create(srv, {"class": "DelayedChannel", "name": "cm/vc/y",
                          "params": {"input_channel": first, "delay": 100}})
    x, y = srv.proxy(first), srv.proxy(second)
    assert y.state() == tango.DevState.ON
    error = failure(lambda: setattr(x, "input_channel", y.channel))
    assert "cm/vc/x -> cm/vc/y -> cm/vc/x" in error.desc, error.desc
    assert x.input_channel == 1 and x.state() == tango.DevState.ON
    error = failure(lambda: create(srv, {"class": "DelayedChannel", "name": "cm/vc/z",
                                         "params": {"input_channel": "cm/vc/z", "delay": 1}}))
    assert "cm/vc/z -> cm/vc/z" in error.desc and not registered(db, "cm/vc/z")
    error = failure(lambda: srv.proxy(TAGGER).DeleteMeasurement(first))
    assert "is used by cm/vc/y" in error.desc                  # it would break y
    for name in (second, first):
        srv.proxy(TAGGER).DeleteMeasurement(name)
        assert not registered(db, name)


def test_a_cycle_left_by_an_older_version_faults_with_the_reason_and_can_be_deleted(system):
    db, srv = system
    for name in ("cm/cycle/a", "cm/cycle/b"):
        proxy = srv.proxy(name)
        wait_until(lambda p=proxy: p.state() == tango.DevState.FAULT)
        assert "refer back" in proxy.status() and "cm/cycle/" in proxy.status()
    for name in ("cm/cycle/a", "cm/cycle/b"):
        srv.proxy(TAGGER).DeleteMeasurement(name)
        assert not registered(db, name)


def test_odd_names_of_older_versions_can_be_deleted(system):
    """An older CreateMeasurement registered non-ASCII names (after a restart pytango's
    database then even stops the server from starting): DeleteMeasurement removes them."""
    db, srv = system
    tagger = srv.proxy(TAGGER)
    odd = "cm/odd/\u00e9t\u00e9"
    info = tango.DbDevInfo()
    info.name, info._class, info.server = odd, "Countrate", srv.name
    db.client().add_device(info)
    db.client().put_device_property(odd, {"channels": ["1"]})
    assert odd in listed(db, srv)
    tagger.DeleteMeasurement(odd)
    assert odd not in listed(db, srv)
    assert not db.client().get_device_property(odd, ["channels"])["channels"]
    for name in (odd, "cm/odd/" + "\u00e9" * 50_000, "cm/odd/\u00ff\u0001"):
        error = failure(lambda n=name: tagger.DeleteMeasurement(n))
        assert error.reason == "TimeTagger_InvalidValue" and len(error.desc) < 800


def test_autostart_and_the_same_request_twice(system):
    """``"autostart": true`` acquires at once and after restarts; an identical request is
    harmless (the README's example can run twice); a different one is refused."""
    db, srv = system
    request = {"class": "Countrate", "name": "cm/auto/rate", "params": {"channels": [1, 2]},
               "autostart": True}
    name = create(srv, request)
    rate = srv.proxy(name)
    assert rate.state() == tango.DevState.RUNNING
    wait_until(lambda: rate.capture_duration > 0.2)
    assert rate.data[0] == pytest.approx(TEST_SIGNAL_HZ, rel=0.01)
    assert create(srv, request) == name                      # again: nothing changes
    assert rate.state() == tango.DevState.RUNNING
    error = failure(lambda: create(srv, dict(request, params={"channels": [1]})))
    assert "exists already with other settings" in error.desc and "channels" in error.desc
    error = failure(lambda: create(srv, dict(request, **{"class": "Counter"})))
    assert "a Countrate device of that name exists already" in error.desc
    for bad in ({"autostart": "yes"},
                {"class": "DelayedChannel", "params": {"input_channel": 1, "delay": 1}}):
        error = failure(lambda b=bad: create(srv, dict(request, name="cm/auto/other", **b)))
        assert "autostart = " in error.desc and not registered(db, "cm/auto/other")
    srv.stop()
    srv.start()
    rate = srv.proxy(name)
    wait_until(lambda: rate.state() == tango.DevState.RUNNING)   # property AutoStart
    srv.proxy(TAGGER).DeleteMeasurement(name)
    assert not registered(db, name)
