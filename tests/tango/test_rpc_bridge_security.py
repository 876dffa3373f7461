"""The Tango server's in-process RPC bridge follows the bridge's rules: a key always, no keyless
bridge off loopback, key files checked without blocking, file names inside DataDir."""
from __future__ import annotations

import os

import pytest
import tango
from ds_helpers import context, wait_until
from Pyro5.errors import CommunicationError
from rpc_bridge.client import createProxy

from tango_ds.processes import free_port


def _tagger(properties: dict) -> tuple:
    port = free_port()
    return port, context({"TimeTagger": [("test/rpcsec/tagger", {"Backend": "sim", "RpcPort": port,
                                                                  **properties})]})


def test_the_bridge_needs_the_key_and_confines_files_to_data_dir(tmp_path):
    key_file = tmp_path / "key"
    key_file.write_text("tango bridge key\n")
    key_file.chmod(0o600)
    port, ctx = _tagger({"RpcKeyFile": str(key_file), "DataDir": str(tmp_path / "data")})
    with ctx:
        tagger = ctx.get_device("test/rpcsec/tagger")
        assert tagger.state() == tango.DevState.ON
        assert f"key: key file {key_file}" in tagger.status() and str(tmp_path / "data") in tagger.status()
        with pytest.raises(CommunicationError, match="wrong shared key|No key was found"):
            createProxy("127.0.0.1", port, timeout=10)
        with createProxy("127.0.0.1", port, auth_key_file=str(key_file), timeout=10) as TT:
            remote = TT.createTimeTagger()
            with pytest.raises(PermissionError, match="data directory"):
                TT.FileWriter(remote, "/tmp/from-tango.ttbin", [1])
            TT.FileWriter(remote, "inside.ttbin", [1]).stop()
            assert not hasattr(remote, "simUnplug")  # RpcAllowSimControl is off by default
        assert (tmp_path / "data" / "inside.ttbin").is_file()


def test_insecure_mode_is_refused_off_loopback_with_a_fault_naming_it():
    _, ctx = _tagger({"RpcAddress": "0.0.0.0", "RpcInsecureNoAuth": True})
    with ctx:
        tagger = ctx.get_device("test/rpcsec/tagger")
        assert tagger.state() == tango.DevState.FAULT
        assert "--insecure-no-auth is refused on 0.0.0.0" in tagger.status()


@pytest.mark.parametrize("make, reason", [
    (lambda p: os.mkfifo(p, 0o600), "is a FIFO"),
    (lambda p: p.symlink_to("/dev/zero"), "is a device"),
    (lambda p: (p.write_text("k"), p.chmod(0o644)), "accessible to other users"),
])
def test_unsafe_key_files_give_a_fault_at_once(tmp_path, make, reason):
    path = tmp_path / "key"
    make(path)
    _, ctx = _tagger({"RpcKeyFile": str(path)})
    with ctx:  # a FIFO used to block Init for good, /dev/zero to exhaust memory
        tagger = ctx.get_device("test/rpcsec/tagger")
        wait_until(lambda: tagger.state() == tango.DevState.FAULT)
        assert reason in tagger.status() and "RpcPort" in tagger.status()
