"""Fixtures for simulator tests: seeded taggers in virtual time, always freed."""
from __future__ import annotations

import pytest

import timetagger_sim as TT


@pytest.fixture
def make_tagger():
    """Factory of seeded virtual-time taggers; every tagger is freed after the test."""
    created = []

    def make(serial: str = "", seed: int = 12345, virtual_time: bool = True):
        TT.setSimulationOptions(virtual_time=virtual_time, seed=seed)
        try:
            tagger = TT.createTimeTagger(serial)
        finally:
            TT.setSimulationOptions(virtual_time=False)
        created.append(tagger)
        return tagger

    yield make
    for tagger in created:
        TT.freeTimeTagger(tagger)


@pytest.fixture
def tagger(make_tagger):
    """A seeded Time Tagger Ultra (8 inputs) streaming in virtual time."""
    return make_tagger()
