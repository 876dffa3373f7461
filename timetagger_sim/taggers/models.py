"""Hardware models the simulator can impersonate, chosen by serial number.

Figures come from Swabian's documentation (test signal, dead time limits, jitter, trigger ranges,
hardware delay ranges, buffer sizes, transfer rates). Values a simulator cannot measure (firmware
and PCB versions, sensor readings) are plausible per model and marked simulated where reported.
"""
from __future__ import annotations

from dataclasses import dataclass

MEBI = 1 << 20


@dataclass(frozen=True)
class Model:
    """Static description of one Time Tagger model."""

    name: str                   #: value of ``getModel()``
    family: str                 #: "TT-20", "TT-Ultra", "TT-X" (firmware identifier) or "Virtual"
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
    hardware_delay_ps: int      #: setDelayHardware range +-this (0: not available, TT20)
    buffer_default: int         #: hardware buffer (tags) at start-up
    buffer_max: int
    time_tagger_x: bool         #: hysteresis, input impedance, clock trim, test signal source
    firmware: str
    pcb: str


BUFFER_MIN = 32 * 1024          #: smallest hardware buffer (tags) of every model

MODELS: tuple[Model, ...] = (
    Model("Time Tagger Ultra", "TT-Ultra", "SIM-ULTRA8-", 8, 2000, 403.2e6, 504, 9.0,
          2000, 2_147_000_000, False, (-2.5, 2.5), 80e6, 2_000_000, 64 * MEBI, 512 * MEBI, False,
          "TT-Ultra, FW 5, TS 2025-03-04 10:00:00, OK 1.30, simulated", "1.3 (simulated)"),
    Model("Time Tagger Ultra", "TT-Ultra", "SIM-ULTRA18-", 18, 2000, 403.2e6, 504, 9.0,
          2000, 2_147_000_000, False, (-2.5, 2.5), 80e6, 2_000_000, 64 * MEBI, 512 * MEBI, False,
          "TT-Ultra, FW 5, TS 2025-03-04 10:00:00, OK 1.30, simulated", "1.3 (simulated)"),
    Model("Time Tagger 20", "TT-20", "SIM-TT20-", 8, 6000, 62.5e6, 74, 34.0,
          6000, 393_000_000, True, (0.0, 2.5), 9e6, 0, 8 * MEBI, 8 * MEBI, False,
          "TT-20, FW 3, TS 2021-06-01 10:00:00, OK 1.30, simulated", "1.1 (simulated)"),
    Model("Time Tagger X", "TT-X", "SIM-X16-", 16, 1333, 403.2e6, 504, 2.0,
          1333, 716_000_000, False, (-1.0, 1.0), 80e6, 2_500_000, 64 * MEBI, 512 * MEBI, True,
          "TT-X, FW 2, TS 2025-03-04 10:00:00, OK 1.30, simulated", "1.4 (simulated)"),
)

#: The source of a ``TimeTaggerVirtual``: no hardware limits, the library's 18 simulated inputs.
VIRTUAL = Model("TimeTaggerVirtual", "Virtual", "", 18, 1, 403.2e6, 504, 9.0, 0, 2_147_000_000,
                False, (-2.5, 2.5), float("inf"), 0, 1 << 62, 1 << 62, False, "", "")

#: Pulse height of every simulated input signal into 50 Ohm (V): a trigger level at or above it,
#: or at or below the 0 V baseline, sees no edges. An unterminated (high-Z) input sees twice it.
PULSE_HEIGHT_V = 1.0
#: Width of every simulated pulse (ps), from the start of its rising to the start of its falling edge.
PULSE_WIDTH_PS = 3000
#: Duration of each (linear) edge of a simulated pulse (ps): the trigger level moves the tag
#: along it, and the hysteresis moves the rising and falling thresholds apart.
PULSE_EDGE_PS = 100
#: The reference oscillator an input multiplexer can select (mode 3), derived from the internal clock.
REFERENCE_OSCILLATOR_HZ = 10e6

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
