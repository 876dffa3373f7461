"""Simulated device information: calibration data, sensor readings and the device licence.

These have no physics in a simulator; the values are plausible for the model, fixed per serial
and marked ``"simulated"`` where the format allows. The calibration describes a TDC delay line
of unequal taps: ``getDistributionCount`` its code-density histogram per channel,
``getDistributionPSecs`` the tap widths derived from it, ``autoCalibration`` the resulting RMS
discretisation error (sqrt(sum(w^3) / (12 sum(w)))).
"""
from __future__ import annotations

import json
import zlib
from dataclasses import dataclass, field

import numpy as np

from .models import Model

#: Hits per channel of the simulated code-density calibration.
CALIBRATION_HITS = 1_000_000
#: Fan setting that means "temperature controlled" (``xtra_setFanSpeed(-1)``), and the simulated
#: duty it settles at (%).
CONTROLLED_FAN_DUTY = 40.0


@dataclass
class DeviceState:
    """Settings without effect on the tag stream, reported back by their getters."""

    led_bitmask: int = 0
    leds_disabled: bool = False
    sound_frequency_hz: int = 0
    fan_speed: float = -1.0
    clock_source: int = 0
    clock_auto_select: bool = False
    clock_out: bool = False
    aux_out: dict[int, bool] = field(default_factory=dict)
    aux_frequency: dict[int, float] = field(default_factory=dict)
    server_address: str = "0.0.0.0"
    network_compression: bool = False


def _rng(serial: str, what: str) -> np.random.Generator:
    return np.random.default_rng(zlib.crc32(f"{serial}/{what}".encode()))


def tap_count(model: Model) -> int:
    """Delay-line taps per clock period: bins of about half the RMS jitter times sqrt(12)."""
    return max(16, int(np.ceil(model.ps_per_clock / (model.jitter_rms_ps * np.sqrt(12) * 0.5))))


def distribution_counts(model: Model, serial: str, channels: list[int]) -> np.ndarray:
    """Code-density histograms, channels x taps (uint64), rows in ``channels`` order."""
    rng = _rng(serial, "calibration")
    taps = tap_count(model)
    rows = []
    for _ in channels:
        widths = np.clip(rng.normal(1.0, 0.3, taps), 0.2, None)
        rows.append(rng.multinomial(CALIBRATION_HITS, widths / widths.sum()))
    return np.array(rows, np.uint64)


def distribution_ps(model: Model, counts: np.ndarray) -> np.ndarray:
    """Tap widths (ps) estimated from the code-density histograms (float64)."""
    totals = counts.sum(axis=1, keepdims=True).astype(np.float64)
    return counts / totals * model.ps_per_clock


def discretisation_rms(widths_ps: np.ndarray) -> np.ndarray:
    """RMS error of timing a uniformly distributed edge with taps of these widths (ps)."""
    return np.sqrt((widths_ps ** 3).sum(axis=1) / (12.0 * widths_ps.sum(axis=1)))


def sensor_data(model: Model, serial: str, state: DeviceState) -> str:
    """JSON of the board's sensors; the fan duty moves the simulated temperatures."""
    if model.family == "TT-20":
        raise RuntimeError("The Time Tagger 20 has no onboard sensors")
    duty = CONTROLLED_FAN_DUTY if state.fan_speed < 0 else state.fan_speed
    base = 30.0 + 2.0 * _rng(serial, "sensors").random()
    heat = 1.0 - duty / 100.0
    return json.dumps({
        "simulated": True,
        "board": {"temperature FPGA": {"value": round(base + 18.0 + 25.0 * heat, 1), "unit": "C"},
                  "temperature PCB": {"value": round(base + 6.0 + 12.0 * heat, 1), "unit": "C"},
                  "voltage 3V3": {"value": 3.31, "unit": "V"},
                  "voltage 1V0 FPGA core": {"value": 1.0, "unit": "V"},
                  "fan duty": {"value": duty, "unit": "%"}},
    })


def device_license(model: Model, serial: str) -> str:
    """JSON of the (simulated) licence: model, edition, channels."""
    return json.dumps({"serial": serial, "model": model.name, "edition": "simulated",
                       "channels": model.n_inputs, "simulated": True})
