"""Shared helper of the measurement tests: one seeded acquisition seen by many measurements at once."""
from __future__ import annotations

import contextlib

import numpy as np

import timetagger_sim as TT

N_MAX_EVENTS = 10**7
#: Poisson click rates (Hz) cabled into inputs 1..4.
RATES = {1: 300e3, 2: 200e3, 3: 100e3, 4: 50e3}


@contextlib.contextmanager
def poisson_tagger(seed: int = 7, rates: dict[int, float] = RATES):
    """A virtual-time tagger with independent Poisson sources on its inputs; freed afterwards."""
    TT.setSimulationOptions(virtual_time=True, seed=seed)
    try:
        tagger = TT.createTimeTagger()
    finally:
        TT.setSimulationOptions(virtual_time=False)
    try:
        tagger._sources = [TT.Experimental.ExponentialSignalGenerator(tagger, rate, base_channel=channel,
                                                                      seed=seed + channel)
                           for channel, rate in rates.items()]
        yield tagger
    finally:
        TT.freeTimeTagger(tagger)


def acquire(group: TT.SynchronizedMeasurements, stream: TT.TimeTagStream,
            duration: int) -> tuple[np.ndarray, np.ndarray]:
    """Run the group for ``duration`` ps and return the tags the stream recorded (ts, ch)."""
    group.startFor(duration)
    assert group.waitUntilFinished(60_000)
    buffer = stream.getData()
    assert buffer.size < N_MAX_EVENTS, "stream buffer overflowed: the reference would be incomplete"
    return buffer.getTimestamps(), buffer.getChannels()
