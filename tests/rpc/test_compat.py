"""Compatibility both ways with the official TimeTaggerRPC package (Pyro5 + serpent, base64 .npy)."""
from __future__ import annotations

import json
import subprocess
import sys
import time

import numpy as np

from rpc_bridge.client import createProxy

from .conftest import ROOT, official_process, port_of, sim_env

OFFICIAL_CLIENT = """
import json, sys
from TimeTaggerRPC import client
TT = client.createProxy('127.0.0.1', int(sys.argv[1]))
t = TT.createTimeTagger()
t.setTestSignal([1, 2], True)
c = TT.Correlation(t, 1, 2, binwidth=10, n_bins=1000)
c.startFor(int(1e12))
c.waitUntilFinished()
y = c.getData()
TT.freeTimeTagger(t)
print(json.dumps({"type": type(y).__name__, "dtype": str(y.dtype), "shape": list(y.shape),
                  "sum": int(y.sum()), "standard": int(TT.Resolution.Standard),
                  "rising": int(TT.ChannelEdge.Rising)}))
"""


def test_official_client_unchanged_against_our_server(insecure_server, sim):
    server = insecure_server
    done = subprocess.run([sys.executable, "-c", OFFICIAL_CLIENT, str(port_of(server.uri))], cwd=ROOT,
                          env=sim_env(), capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout.strip().splitlines()[-1])
    assert result["type"] == "ndarray" and result["shape"] == [1000]
    assert result["dtype"] == str(np.dtype(np.int32))
    assert result["sum"] > 0.5 * 800e3
    assert result["standard"] == int(sim.Resolution.Standard)
    assert result["rising"] == int(sim.ChannelEdge.Rising)
    assert len(server.bridge.live) == 0  # freed, and its connections' objects released


def test_official_client_is_refused_by_a_server_with_a_key_and_told_why(server):
    done = subprocess.run([sys.executable, "-c", OFFICIAL_CLIENT, str(port_of(server.uri))], cwd=ROOT,
                          env=sim_env(), capture_output=True, text=True, timeout=120)
    assert done.returncode != 0
    assert "serializer serpent is not accepted by this server" in done.stderr
    assert len(server.bridge.live) == 0


def test_our_client_against_official_server(sim):
    with official_process() as port:
        TT = createProxy("127.0.0.1", port)
        try:
            assert TT.Resolution.Standard == sim.Resolution.Standard
            t = TT.createTimeTagger()
            t.setTestSignal([1, 2], True)
            c = TT.Correlation(t, 1, 2, binwidth=10, n_bins=1000)
            c.startFor(int(1e12))
            while c.isRunning():  # the official server does not offer waitUntilFinished
                time.sleep(0.02)
            y = c.getData()
            assert isinstance(y, np.ndarray) and y.shape == (1000,) and y.sum() > 0.5 * 800e3
            TT.freeTimeTagger(t)
        finally:
            TT.close()
