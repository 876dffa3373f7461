"""Simulator-only switches: virtual time and the random seed.

They apply to taggers created afterwards. Environment variables set the defaults, so a
device server or RPC server started as a subprocess can be switched without code:
``TIMETAGGER_SIM_VIRTUAL_TIME=1`` and ``TIMETAGGER_SIM_SEED=<int>``.
"""
from __future__ import annotations

import os
from dataclasses import dataclass


@dataclass
class SimulationOptions:
    """How a newly created simulated tagger produces its stream."""

    #: False: the stream follows the wall clock (1 s of tags per second, like hardware).
    #: True: time advances as fast as the CPU allows while a measurement runs.
    virtual_time: bool = False
    #: Seed of every random source of the tagger (None: fresh entropy).
    seed: int | None = None
    #: Stream block length in virtual time (ps); real time uses the elapsed wall time.
    block_ps: int = 10_000_000_000


def _from_environment() -> SimulationOptions:
    seed = os.environ.get("TIMETAGGER_SIM_SEED")
    return SimulationOptions(
        virtual_time=os.environ.get("TIMETAGGER_SIM_VIRTUAL_TIME", "0").lower() in ("1", "true", "yes"),
        seed=int(seed) if seed not in (None, "") else None,
    )


_current = _from_environment()


def setSimulationOptions(virtual_time: bool | None = None, seed: int | None = None,
                         block_ps: int | None = None) -> None:
    """Simulator only: choose virtual or real time, the seed and the block length for new taggers."""
    if virtual_time is not None:
        _current.virtual_time = bool(virtual_time)
    if seed is not None:
        _current.seed = None if seed < 0 else int(seed)
    if block_ps is not None:
        if block_ps <= 0:
            raise ValueError(f"block_ps must be a positive number of picoseconds, got {block_ps}")
        _current.block_ps = int(block_ps)


def getSimulationOptions() -> SimulationOptions:
    """Simulator only: a copy of the options new taggers will use."""
    return SimulationOptions(**vars(_current))
