"""A provider's own (non-builtin) exception types reach the client with their name, module and message.

The simulator only raises builtin exceptions, so this serves a small provider module,
written to the test's tmp dir and imported from there, through a real daemon.
"""
from __future__ import annotations

import importlib.util

import pytest

from rpc_bridge.client import createProxy
from rpc_bridge.server import serve_in_thread

from .conftest import port_of

PROVIDER = '''
"""A minimal Time Tagger provider whose calls raise the provider's own exception types."""


class TaggerOverheated(RuntimeError):
    """The provider's own error type (the bridge must not need to know it)."""


class CalibrationError(TaggerOverheated):
    """A subclass with its own constructor signature."""

    def __init__(self, channel: int, celsius: float) -> None:
        super().__init__(f"channel {channel} at {celsius} C")
        self.channel = channel


class TimeTaggerBase:
    """Base of the provider's taggers (required by the bridge)."""


class IteratorBase:
    """Base of the provider's measurements (required by the bridge)."""


class Thermometer(IteratorBase):
    """A measurement whose method raises the provider's exception."""

    def __init__(self, limit: float = 80.0) -> None:
        self.limit = limit

    def read(self, celsius: float) -> float:
        """``celsius`` if it is within the limit, else CalibrationError."""
        if celsius > self.limit:
            raise CalibrationError(3, celsius)
        return celsius


def overheat(celsius: float) -> None:
    """Always raises TaggerOverheated."""
    raise TaggerOverheated(f"{celsius} C is above the limit")
'''


@pytest.fixture
def hot(tmp_path):
    """The provider module, imported from a real file (module name ``hot_provider``)."""
    path = tmp_path / "hot_provider.py"
    path.write_text(PROVIDER)
    spec = importlib.util.spec_from_file_location("hot_provider", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture
def HOT(hot):
    """A client of a real daemon serving ``hot``."""
    handle = serve_in_thread(hot, host="127.0.0.1", port=0)
    try:
        with createProxy("127.0.0.1", port_of(handle.uri)) as proxy:
            yield proxy
    finally:
        handle.shutdown()


def test_module_function_raises_the_providers_own_type(HOT, hot):
    with pytest.raises(RuntimeError) as caught:
        HOT.overheat(95.5)
    exc = caught.value
    assert type(exc).__name__ == "TaggerOverheated" and type(exc).__module__ == "hot_provider"
    assert exc.remote_type == "hot_provider.TaggerOverheated"
    assert str(exc) == "95.5 C is above the limit"
    assert not isinstance(exc, hot.TaggerOverheated)  # rebuilt on the client, not unpickled


def test_method_raises_a_subclass_with_its_own_constructor(HOT):
    meter = HOT.Thermometer(limit=50.0)
    assert meter.read(20.0) == 20.0
    with pytest.raises(RuntimeError) as first:
        meter.read(70.0)
    assert type(first.value).__name__ == "CalibrationError"
    assert first.value.remote_type == "hot_provider.CalibrationError"
    assert str(first.value) == "channel 3 at 70.0 C"
    # the rebuilt type is stable: it can be caught by type on the next call
    with pytest.raises(type(first.value), match="channel 3 at 99.0 C"):
        meter.read(99.0)
    assert meter.read(49.0) == 49.0  # the object and the server keep working
