"""Bad client input: an exception at the client, and the server keeps serving."""
from __future__ import annotations

import pytest

from rpc_bridge.client import createProxy
from rpc_bridge.server import serve_in_thread

from .conftest import port_of


def test_unknown_method(TT):
    t = TT.createTimeTagger()
    with pytest.raises(AttributeError):
        TT.noSuchFunction()
    with pytest.raises(AttributeError):
        t._session.call(t._id, "noSuchMethod", (), {})
    assert t.getSerial()


def test_wrong_argument_types_name_the_value(TT):
    t = TT.createTimeTagger()
    with pytest.raises(TypeError, match="binwidth"):
        TT.Correlation(t, 1, 2, binwidth="wide")
    with pytest.raises(TypeError):
        TT.Correlation(t, 1, 2, 3, 4, 5, 6, 7)
    with pytest.raises(TypeError, match="tagger"):
        TT.Correlation("not a tagger", 1)
    assert TT.Countrate(t, [1]).getData().shape == (1,)


def test_proxy_from_another_server_is_refused(TT, sim):
    other = serve_in_thread(sim, port=0)
    try:
        with createProxy("127.0.0.1", port_of(other.uri)) as OTHER:
            foreign = OTHER.createTimeTagger()
            with pytest.raises(ValueError, match="not an object of this connection"):
                TT.Countrate(foreign, [1])
    finally:
        other.shutdown()
    assert TT.createTimeTagger().getSerial()
