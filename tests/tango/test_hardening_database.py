"""Database outages and bad property values leave no device silently broken (issue 8).

A real Tango database (pytango's, sqlite) that the tests stop and start again on the same
port and file, and a real ``TimeTaggerDS`` that rides it out.
"""
from __future__ import annotations

import contextlib

import numpy as np
import pytest
import tango
from db_helpers import failure, running
from ds_helpers import wait_until

TAGGER, HIST, RATE = "db/tagger/1", "db/hist/1", "db/rate/1"
LAYOUT = {
    "TimeTagger": [(TAGGER, {"Backend": "sim"})],
    "Histogram": [(HIST, {"click_channel": "2", "start_channel": "1"})],
    "Countrate": [(RATE, {"channels": ["1"], "EventPeriodMs": "1" * 30, "AutoStart": "true"})],
}


@pytest.fixture(scope="module")
def system(tmp_path_factory):
    with running(tmp_path_factory.mktemp("database"), "database", LAYOUT) as (db, srv):
        srv.proxy(TAGGER).test_signal_channels = [1, 2]
        yield db, srv


@contextlib.contextmanager
def database_down(db):
    """The database stopped for the block (started again afterwards in any case).

    Clients are made before: a new DeviceProxy asks the database where its device is.
    """
    db.stop()
    try:
        yield
    finally:
        if db.process.poll() is not None:
            db.start()


def test_a_fixed_property_recovers_with_init_and_pushes_events(system):
    """A 30-digit EventPeriodMs used to kill the worker: RUNNING but nothing pushed."""
    db, srv = system
    rate = srv.proxy(RATE)
    assert rate.state() == tango.DevState.FAULT
    assert "EventPeriodMs = 111111111111111111111111111111 is not allowed" in rate.status()
    db.client().put_device_property(RATE, {"EventPeriodMs": ["50"]})
    rate.Init()
    assert rate.state() == tango.DevState.RUNNING, rate.status()           # AutoStart
    received = []
    event_id = rate.subscribe_event("data", tango.EventType.CHANGE_EVENT,
                                    lambda e: received.append(e) if not e.err else None)
    try:
        wait_until(lambda: len(received) >= 3)
    finally:
        rate.unsubscribe_event(event_id)


def test_a_property_that_cannot_be_converted_gives_fault_naming_it(system):
    db, srv = system
    hist = srv.proxy(HIST)
    db.client().put_device_property(HIST, {"n_bins": ["many"]})
    try:
        hist.Init()
        assert hist.state() == tango.DevState.FAULT
        assert "n_bins = 'many' is not" in hist.status() and "Init" in hist.status()
    finally:
        db.client().delete_device_property(HIST, ["n_bins"])
    hist.Init()
    assert hist.state() == tango.DevState.ON and len(hist.data) == 1000


def test_init_during_an_outage_gives_fault_and_recovers_by_itself(system):
    db, srv = system
    tagger, hist = srv.proxy(TAGGER), srv.proxy(HIST)
    with database_down(db):
        for device in (hist, tagger):
            device.Init()                                 # used to raise UNKNOWN CORBA
            wait_until(lambda d=device: d.state() == tango.DevState.FAULT, timeout=10)
            status = device.status()
            assert "Tango database could not be reached" in status, status
            assert "recovers by itself when the database is back" in status
        error = failure(lambda: hist.data)
        assert error.reason == "TimeTagger_NotReady" and "database" in error.desc
    wait_until(lambda: tagger.state() == tango.DevState.ON, timeout=30)
    wait_until(lambda: hist.state() == tango.DevState.ON, timeout=30)
    assert hist.n_bins == 1000 and len(hist.data) == 1000
    assert list(tagger.test_signal_channels) == [1, 2]   # memorized settings restored


def test_a_memorized_write_the_database_cannot_keep_is_refused_and_not_applied(system):
    db, srv = system
    tagger, hist = srv.proxy(TAGGER), srv.proxy(HIST)
    levels = tagger.trigger_levels.copy()
    with database_down(db):
        writes = [lambda: setattr(hist, "n_bins", 500),
                  lambda: tagger.SetTriggerLevel([1, 0.3]),
                  lambda: setattr(tagger, "trigger_levels", np.full(len(levels), 0.2)),
                  lambda: setattr(tagger, "test_signal_channels", [3]),
                  lambda: tagger.SetTestSignal([4, 1]),
                  tagger.Reset]
        for write in writes:
            error = failure(write)
            assert error.reason == "TimeTagger_NoDatabase", error.desc
            assert "Tango database" in error.desc and ("not applied" in error.desc
                                                       or "nothing was reset" in error.desc)
        assert hist.n_bins == 1000 and len(hist.data) == 1000
        assert np.array_equal(tagger.trigger_levels, levels)
        assert list(tagger.test_signal_channels) == [1, 2]
        assert hist.state() == tango.DevState.ON and tagger.state() == tango.DevState.ON
    srv.stop()                                            # a restart sees what was in effect
    srv.start()
    tagger, hist = srv.proxy(TAGGER), srv.proxy(HIST)
    wait_until(lambda: hist.state() == tango.DevState.ON)
    assert hist.n_bins == 1000 and np.array_equal(tagger.trigger_levels, levels)
    assert list(tagger.test_signal_channels) == [1, 2]
    hist.n_bins = 500                                     # with the database: kept
    srv.stop()
    srv.start()
    assert srv.proxy(HIST).n_bins == 500
