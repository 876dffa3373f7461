"""Every data spectrum/image has an x-axis partner of matching length, so a plot (Taurus,
``timetagger-gui``) can draw data against it: ``index`` (times) or ``channels`` (inputs)."""
from __future__ import annotations

import numpy as np
import pytest
import tango
from facility_helpers import ONE_OF_EACH, wait_until

from tango_ds.specs import MEASUREMENTS


def partners(spec) -> dict[int, str]:
    """Axis of the data -> attribute holding its coordinates."""
    names = {d.name for d in spec.data}
    if "index_1" in names:
        return {0: "index_1", -1: "index_2"}
    return {-1: "index" if "index" in names else "channels"}


@pytest.mark.parametrize("spec", [s for s in MEASUREMENTS if s.name != "StartStop"],
                         ids=lambda s: s.name)
def test_data_has_an_x_axis_partner(every_class, spec):
    device = every_class.get_device(ONE_OF_EACH[spec.name][0])
    device.StartFor(0.2)
    wait_until(lambda: device.state() == tango.DevState.ON)
    axes = {axis: len(device.read_attribute(name).value) for axis, name in partners(spec).items()}
    for data in spec.data:
        if data.shape == "scalar" or not data.name.startswith("data"):
            continue
        shape = np.asarray(device.read_attribute(data.name).value).shape
        for axis, length in axes.items():
            assert shape[axis] == length, (spec.name, data.name, shape, partners(spec)[axis])
