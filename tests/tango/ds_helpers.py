"""Helpers for the Tango device server tests: real servers on 127.0.0.1, always stopped."""
from __future__ import annotations

import json
import time
from typing import Callable

import pytest
from tango.test_context import MultiDeviceTestContext

from tango_ds.server import device_classes

#: A photon-pair source on inputs 2 and 3 (input 2 is 2 ns late) and Poissonian clicks on 4.
PAIR_DELAY_PS = 2000
POISSON_RATE_HZ = 1e5
SIM_SIGNALS = json.dumps([
    {"class": "ExponentialSignalGenerator", "id": "pairs", "rate": 5e4, "seed": 1},
    {"class": "SimDetector", "input_channel": "@pairs", "jitter": 2e-11, "connect": 2,
     "delay": PAIR_DELAY_PS, "seed": 2},
    {"class": "SimDetector", "input_channel": "@pairs", "jitter": 2e-11, "connect": 3, "seed": 3},
    {"class": "ExponentialSignalGenerator", "rate": POISSON_RATE_HZ, "base_channel": 4, "seed": 4},
])
CLASSES = {cls.__name__: cls for cls in device_classes()}


def wait_until(predicate: Callable[[], bool], timeout: float = 20.0, period: float = 0.05) -> None:
    """Poll ``predicate`` until true; fail the test after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            pytest.fail(f"condition not reached within {timeout} s")
        time.sleep(period)


def context(devices: dict[str, list[tuple[str, dict]]]) -> MultiDeviceTestContext:
    """A process-mode context from {class name: [(device name, properties), ...]}."""
    info = [{"class": CLASSES[cls], "devices": [{"name": n, "properties": p} for n, p in devs]}
            for cls, devs in devices.items()]
    return MultiDeviceTestContext(info, process=True, host="127.0.0.1", timeout=30)
