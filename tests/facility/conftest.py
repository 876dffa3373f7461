"""Fixtures of the facility-integration tests: real servers on 127.0.0.1, always stopped."""
from __future__ import annotations

from typing import Iterator

import pytest
from facility_helpers import ONE_OF_EACH
from tango.test_context import MultiDeviceTestContext

from tango_ds.server import device_classes


@pytest.fixture(scope="module")
def every_class() -> Iterator[MultiDeviceTestContext]:
    """One server process running a device of every class (stopped at the end)."""
    classes = {cls.__name__: cls for cls in device_classes()}
    assert set(classes) == set(ONE_OF_EACH), "add the new class to ONE_OF_EACH"
    info = [{"class": classes[name], "devices": [{"name": device, "properties": props}]}
            for name, (device, props) in ONE_OF_EACH.items()]
    with MultiDeviceTestContext(info, process=True, host="127.0.0.1", timeout=30) as ctx:
        yield ctx
