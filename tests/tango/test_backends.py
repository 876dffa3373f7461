"""Providers and failures: rpc:// backend, in-process RPC bridge, unplugged tagger, -nodb."""
from __future__ import annotations

import subprocess
import sys

import pytest
import tango
from ds_helpers import context, established_to, silent_server, wait_until, write_pki
from Pyro5.errors import CommunicationError
from rpc_bridge.client import createProxy

from tango_ds.processes import free_port, stop_process

TEST_SIGNAL_HZ = 403.2e6 / 504


@pytest.fixture(scope="module")
def host_server():
    """A tagger sharing itself over the in-process RPC bridge, with a Countrate."""
    port = free_port()
    ctx = context({
        "TimeTagger": [("test/host/tagger", {"Backend": "sim", "RpcPort": port,
                                             "RpcAllowSimControl": True})],
        "Countrate": [("test/host/rate", {"channels": ["1"]})],
    })
    with ctx:
        ctx.get_device("test/host/tagger").test_signal_channels = [1]
        yield ctx, port


def test_in_process_bridge_shares_the_tagger(host_server):
    ctx, port = host_server
    tagger = ctx.get_device("test/host/tagger")
    assert tagger.rpc_uri.endswith(f"127.0.0.1:{port}")
    with createProxy("127.0.0.1", port) as library:
        remote = library.createTimeTagger()
        assert remote.getSerial() == tagger.serial
        tagger.SetInputDelay([1, 4321])                   # set through Tango ...
        assert remote.getInputDelay(1) == 4321            # ... seen through RPC: same object
        rate = library.Countrate(remote, [1])             # a script's own measurement
        rate.startFor(int(2e11))
        rate.waitUntilFinished()
        assert rate.getData()[0] == pytest.approx(TEST_SIGNAL_HZ, rel=1e-3)


def test_rpc_backend_drives_a_remote_tagger(host_server):
    _, port = host_server
    with context({"TimeTagger": [("test/remote/tagger", {"Backend": f"rpc://127.0.0.1:{port}"})],
                  "Countrate": [("test/remote/rate", {"channels": ["1"]})]}) as remote:
        tagger = remote.get_device("test/remote/tagger")
        assert tagger.state() == tango.DevState.ON and tagger.backend_in_use.startswith("rpc://")
        rate = remote.get_device("test/remote/rate")
        rate.StartFor(0.2)
        wait_until(lambda: rate.state() == tango.DevState.ON)
        assert rate.data[0] == pytest.approx(TEST_SIGNAL_HZ, rel=1e-2)


def test_bad_backend_gives_fault_and_measurements_wait_in_init():
    with context({"TimeTagger": [("test/bad/tagger", {"Backend": "usb3"})],
                  "Countrate": [("test/bad/rate", {"channels": ["1"]})]}) as ctx:
        tagger = ctx.get_device("test/bad/tagger")
        assert tagger.state() == tango.DevState.FAULT
        assert "Backend = 'usb3' is not allowed" in tagger.status()
        assert "rpc://host:port" in tagger.status()
        rate = ctx.get_device("test/bad/rate")
        assert rate.state() == tango.DevState.INIT
        assert "Waiting" in rate.status() and "test/bad/tagger" in rate.status()
        with pytest.raises(tango.DevFailed, match="TimeTagger_NotReady|not available"):
            rate.data


def test_hung_remote_gives_fault_not_a_frozen_device():
    with silent_server() as port:
        with context({"TimeTagger": [("test/hung/tagger", {"Backend": f"rpc://127.0.0.1:{port}",
                                                           "RpcTimeout": 0.5})]}) as ctx:
            tagger = ctx.get_device("test/hung/tagger")
            assert tagger.state() == tango.DevState.FAULT
            assert f"rpc://127.0.0.1:{port}" in tagger.status() and "Init" in tagger.status()


def test_failed_open_releases_the_rpc_connection(host_server):
    _, port = host_server
    before = established_to(port)
    with context({"TimeTagger": [("test/noserial/tagger", {"Backend": f"rpc://127.0.0.1:{port}",
                                                           "Serial": "NOPE"})]}) as ctx:
        tagger = ctx.get_device("test/noserial/tagger")
        assert tagger.state() == tango.DevState.FAULT and "'NOPE'" in tagger.status()
        wait_until(lambda: established_to(port) <= before, timeout=5)


def test_in_process_bridge_can_require_client_certificates(tmp_path):
    pki = write_pki(tmp_path)
    port = free_port()
    tls = {"RpcTlsCert": f"{pki['server']}.crt", "RpcTlsKey": f"{pki['server']}.key",
           "RpcTlsCa": f"{pki['ca']}.crt"}
    with context({"TimeTagger": [("test/tls/tagger", {"Backend": "sim", "RpcPort": port,
                                                      **tls})]}) as ctx:
        tagger = ctx.get_device("test/tls/tagger")
        assert tagger.state() == tango.DevState.ON, tagger.status()
        with pytest.raises(CommunicationError):
            createProxy("127.0.0.1", port, tls_ca=f"{pki['ca']}.crt", timeout=10)
        with createProxy("127.0.0.1", port, tls_ca=f"{pki['ca']}.crt", timeout=10,
                         tls_cert=f"{pki['client']}.crt", tls_key=f"{pki['client']}.key") as library:
            assert library.createTimeTagger().getSerial() == tagger.serial


def test_unplugged_tagger_faults_and_init_recovers(host_server):
    ctx, port = host_server
    tagger, rate = ctx.get_device("test/host/tagger"), ctx.get_device("test/host/rate")
    with createProxy("127.0.0.1", port) as library:
        library.createTimeTagger().simUnplug()              # failure injection (RpcAllowSimControl)
    wait_until(lambda: tagger.state() == tango.DevState.FAULT)
    assert "Init" in tagger.status()
    wait_until(lambda: rate.state() == tango.DevState.FAULT)
    with pytest.raises(tango.DevFailed):
        rate.Start()
    tagger.Init()
    assert tagger.state() == tango.DevState.ON
    wait_until(lambda: rate.state() == tango.DevState.ON)  # rebuilt on the new tagger
    rate.StartFor(0.2)
    wait_until(lambda: rate.state() == tango.DevState.ON)
    assert rate.data[0] == pytest.approx(TEST_SIGNAL_HZ, rel=1e-2)


def test_entry_point_without_database():
    port = free_port()
    server = subprocess.Popen([sys.executable, "-m", "tango_ds", "nodb", "-nodb", "-ORBendPoint",
                               f"giop:tcp:127.0.0.1:{port}", "-dlist", "test/nodb/tagger"],
                              stdout=subprocess.DEVNULL)
    try:
        proxy = tango.DeviceProxy(f"tango://127.0.0.1:{port}/test/nodb/tagger#dbase=no")

        def ready() -> bool:
            try:
                return proxy.state() == tango.DevState.ON
            except tango.DevFailed:
                return False

        wait_until(ready, timeout=30)
        with pytest.raises(tango.DevFailed, match="needs a Tango database"):
            proxy.CreateMeasurement('{"class": "Countrate", "name": "a/b/c", '
                                    '"params": {"channels": [1]}}')
        assert proxy.state() == tango.DevState.ON
    finally:
        stop_process(server)
