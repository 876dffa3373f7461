"""Every numeric property is range-checked; a bad one gives FAULT naming it (recovery with
Init is in test_hardening_database.py, which has a database a test can write to)."""
from __future__ import annotations

import pytest
import tango
from ds_helpers import context, wait_until

GOOD = "prop/tagger/good"
DEVICES = {
    "TimeTagger": [(GOOD, {"Backend": "sim"}),
                   ("prop/tagger/budget", {"Backend": "sim", "MemoryBudgetMB": 0}),
                   ("prop/tagger/port", {"Backend": "sim", "RpcPort": 70000}),
                   ("prop/tagger/timeout", {"Backend": "sim", "RpcTimeout": "nan"})],
    "Countrate": [("prop/rate/huge", {"channels": ["1"], "Tagger": GOOD,
                                      "EventPeriodMs": "1" * 30, "AutoStart": "true"}),
                  ("prop/rate/text", {"channels": ["1"], "Tagger": GOOD,
                                      "EventPeriodMs": "often"}),
                  ("prop/rate/ok", {"channels": ["1"], "Tagger": GOOD, "EventPeriodMs": 50})],
    "Histogram": [("prop/hist/text", {"click_channel": "1", "Tagger": GOOD, "n_bins": "many"})],
}


@pytest.fixture(scope="module")
def server():
    with context(DEVICES) as ctx:
        yield ctx


@pytest.mark.parametrize("device, words", [
    ("prop/tagger/budget", ["MemoryBudgetMB = 0 is not allowed", "[1, 2**30] MiB"]),
    ("prop/tagger/port", ["RpcPort = 70000 is not allowed", "[0, 65535]"]),
    ("prop/tagger/timeout", ["RpcTimeout = nan is not allowed", "[0.1, 3600] s"]),
    ("prop/rate/huge", [f"EventPeriodMs = {'1' * 30} is not allowed", "[10, 3600000] ms"]),
    ("prop/rate/text", ["EventPeriodMs = 'often' is not", "[10, 3600000] ms"]),
    ("prop/hist/text", ["n_bins = 'many' is not"]),
])
def test_a_bad_numeric_property_gives_fault_naming_it(server, device, words):
    proxy = server.get_device(device)
    wait_until(lambda: proxy.state() == tango.DevState.FAULT, timeout=10)
    status = proxy.status()
    assert all(word in status for word in words), status
    assert "Init" in status
