"""Hardware models the simulator can impersonate, chosen by serial number.

Figures come from Swabian's documentation (test signal, dead time limits, jitter).
"""
from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Model:
    """Static description of one Time Tagger model."""

    name: str                   #: value of ``getModel()``
    serial_prefix: str          #: simulated serials start with this
    n_inputs: int
    ps_per_clock: int           #: internal clock period in ps (quantises dead time on TT20)
    test_signal_base_hz: float  #: test signal = base / divider
    test_signal_divider: int    #: default divider
    jitter_rms_ps: float        #: RMS timing jitter added to every physical tag
    deadtime_min_ps: int
    deadtime_max_ps: int
    deadtime_quantised: bool    #: TT20 rounds dead time to clock periods
    trigger_range_v: tuple[float, float]
    max_tag_rate: float         #: sustained transfer rate (tags/s); more overflows
    firmware: str


#: Pulse height of every simulated input signal (V): a trigger level at or above it, or at
#: or below the 0 V baseline, sees no edges.
PULSE_HEIGHT_V = 1.0
#: Width of every simulated pulse (ps): the falling edge follows the rising edge by this much.
PULSE_WIDTH_PS = 3000

MODELS: tuple[Model, ...] = (
    Model("Time Tagger Ultra", "SIM-ULTRA8-", 8, 2000, 403.2e6, 504, 9.0,
          2000, 2_147_000_000, False, (-2.5, 2.5), 80e6, "FW 5 OK 1.3 SIM"),
    Model("Time Tagger Ultra", "SIM-ULTRA18-", 18, 2000, 403.2e6, 504, 9.0,
          2000, 2_147_000_000, False, (-2.5, 2.5), 80e6, "FW 5 OK 1.3 SIM"),
    Model("Time Tagger 20", "SIM-TT20-", 8, 6000, 62.5e6, 74, 34.0,
          6000, 393_000_000, True, (0.0, 2.5), 9e6, "FW 3 OK 1.2 SIM"),
)

#: The serials ``scanTimeTagger`` reports, one per model; any serial with a known prefix works.
SERIALS: tuple[str, ...] = tuple(m.serial_prefix + "0001" for m in MODELS)


def model_for_serial(serial: str) -> Model:
    """Return the model a serial designates; '' selects the first model."""
    if serial == "":
        return MODELS[0]
    for model in MODELS:
        if serial.startswith(model.serial_prefix) and len(serial) > len(model.serial_prefix):
            return model
    raise RuntimeError(
        f"No Time Tagger with serial {serial!r}: the simulator provides serials starting with "
        + ", ".join(repr(m.serial_prefix) for m in MODELS) + f" (e.g. {', '.join(SERIALS)})")
