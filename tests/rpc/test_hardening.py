"""A hostile or careless client, on 127.0.0.1: nothing grows before authentication, nothing blocks
other clients, server threads are bounded, and a connection reaches only its own objects.

Attacks on memory run against a server child process under an address-space limit, so a
regression fails the test instead of exhausting the machine.
"""
from __future__ import annotations

import contextlib
import os
import resource
import socket
import ssl

import psutil
import pytest
from Pyro5 import errors, protocol, serializers

from rpc_bridge import keys
from rpc_bridge.client import createProxy
from rpc_bridge.server import serve_in_thread
from rpc_bridge.transport import Limits

from . import wire
from .conftest import bridge_process, port_of, wait_for

KEY = b"hardening test key"
ADDRESS_SPACE = 3 * 2**30  # the attacked server's limit; it needs ~0.5 GiB to run
GROWTH_BOUND = 64 * 2**20  # what an attack may add to the server's resident memory


@pytest.fixture(scope="module")
def victim(tmp_path_factory):
    """A key-protected server child under an address-space limit: yields (psutil process, port)."""
    key_file = tmp_path_factory.mktemp("victim") / "key"
    key_file.write_bytes(KEY)
    key_file.chmod(0o600)
    with bridge_process("--auth-key-file", str(key_file), memory_limit=ADDRESS_SPACE) as (proc, port):
        with createProxy("127.0.0.1", port, auth_key=KEY) as TT:  # warm up: compile the kernels once
            t = TT.createTimeTagger()
            t.setTestSignal([1], True)
            TT.Countrate(t, [1]).getData()
        yield psutil.Process(proc.pid), port
        assert proc.poll() is None, "the attacked server died"


def served(port: int) -> bool:
    """True if a key holder gets a working library from the server right now."""
    with createProxy("127.0.0.1", port, auth_key=KEY, timeout=20) as TT:
        return TT.createTimeTagger().getSerial() != ""


def refusal(port: int, data: bytes) -> str:
    """Send ``data`` on a new connection; the server's CONNECTFAIL text."""
    with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
        with contextlib.suppress(OSError):  # the server may close before taking it all
            sock.sendall(data)
        msgtype, _, text = wire.read_message(sock)
    assert msgtype == protocol.MSG_CONNECTFAIL
    return text


@pytest.fixture
def more_files():
    """Room for a thousand sockets in this test process."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (min(hard, max(soft, 8192)), hard))
    yield
    resource.setrlimit(resource.RLIMIT_NOFILE, (soft, hard))


@pytest.mark.parametrize("announced", [2**20, 32 * 2**20, 255 * 2**20])
def test_a_handshake_announcing_megabytes_is_refused_before_it_is_read(victim, announced):
    server, port = victim
    before = server.memory_info().rss
    text = refusal(port, wire.header(protocol.MSG_CONNECT, announced) + b"\0" * 2**20)
    assert f"message of {announced} bytes is larger than the 16384 bytes accepted here" in text
    assert server.memory_info().rss - before < GROWTH_BOUND
    assert served(port)


@pytest.mark.parametrize("inflated", [8 * 2**20, 2**30])
def test_a_compressed_handshake_is_never_inflated(victim, inflated):
    server, port = victim
    before = server.memory_info().rss
    bomb = wire.zlib_bomb(inflated)  # 8 MiB of zeros fit in a handshake-sized message
    text = refusal(port, bomb)
    assert "compressed messages are not accepted" in text or "larger than the 16384 bytes" in text
    assert server.memory_info().rss - before < GROWTH_BOUND
    assert served(port)


@pytest.mark.parametrize("name", ["serpent", "marshal", "json"])
def test_other_serializers_are_refused_before_deserializing(victim, name):
    _, port = victim
    serializer = serializers.serializers[name]
    payload = serializer.dumps({"handshake": "hello", "object": "TimeTaggerRPC"})
    text = refusal(port, wire.message(protocol.MSG_CONNECT, payload, serializer.serializer_id))
    assert f"serializer {name} is not accepted by this server: use msgpack" in text
    assert served(port)


def test_a_thousand_idle_connections_do_not_lock_out_a_key_holder(victim, more_files):
    server, port = victim
    fds = server.num_fds()
    idle = [socket.create_connection(("127.0.0.1", port)) for _ in range(1000)]
    try:
        assert served(port)  # served while they are all open
        assert server.num_fds() < fds + Limits().pending + 16  # the oldest were dropped
        assert server.memory_info().rss < 2**30
    finally:
        for sock in idle:
            sock.close()
    assert wait_for(lambda: server.num_fds() <= fds + 2)
    assert served(port)


def test_unauthenticated_connections_are_dropped_at_their_deadline(sim):
    with serve_in_thread(sim, port=0, auth_key=KEY, limits=Limits(auth_deadline_s=0.3)) as handle:
        port = port_of(handle.uri)
        silent = socket.create_connection(("127.0.0.1", port))
        trickle = socket.create_connection(("127.0.0.1", port))
        trickle.sendall(b"PY")  # a slow peer: part of a header, then nothing
        for sock in (silent, trickle):
            sock.settimeout(10)
            assert sock.recv(1) == b""  # closed by the server
            sock.close()
        assert handle.daemon.transportServer.counts() == {"pending": 0, "connections": 0}


def test_a_silent_peer_never_blocks_tls_clients(pki):
    ca = pki["ca"] + ".crt"
    with bridge_process("--tls-cert", pki["server"] + ".crt", "--tls-key", pki["server"] + ".key") as (_, port):
        silent = [socket.create_connection(("127.0.0.1", port)) for _ in range(5)]  # no TLS hello
        try:
            with createProxy("127.0.0.1", port, tls_ca=ca, timeout=20) as TT:
                assert TT.getVersion()
            context = ssl.create_default_context(cafile=ca)
            with socket.create_connection(("127.0.0.1", port), timeout=10) as raw, \
                    context.wrap_socket(raw, server_hostname="127.0.0.1") as tls:  # TLS, then silence
                assert tls.version()
                with createProxy("127.0.0.1", port, tls_ca=ca, timeout=20) as TT:
                    assert TT.getVersion()
        finally:
            for sock in silent:
                sock.close()


def test_authenticated_connections_are_bounded(sim):
    with serve_in_thread(sim, port=0, auth_key=KEY, limits=Limits(connections=3)) as handle:
        port = port_of(handle.uri)
        clients = [createProxy("127.0.0.1", port, auth_key=KEY) for _ in range(3)]
        with pytest.raises(errors.CommunicationError, match="server busy: 3 connections are open"):
            createProxy("127.0.0.1", port, auth_key=KEY)
        clients.pop().close()
        assert wait_for(lambda: handle.daemon.transportServer.counts()["connections"] == 2)
        with createProxy("127.0.0.1", port, auth_key=KEY) as TT:
            assert TT.getVersion()
        for client in clients:
            client.close()


def test_oneway_calls_are_refused_and_create_no_threads(victim):
    server, port = victim
    threads = server.num_threads()
    for _ in range(200):
        with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
            wire.authenticate(sock, KEY)
            with contextlib.suppress(OSError):
                for _ in range(10):
                    sock.sendall(wire.invoke("TimeTaggerRPC", "getVersion", flags=protocol.FLAGS_ONEWAY))
            sock.settimeout(10)
            with contextlib.suppress(OSError):
                while sock.recv(65536):  # the server closes the connection
                    pass
    assert wait_for(lambda: server.num_threads() <= threads + 2)
    assert served(port)


@pytest.mark.parametrize("flags, expected", [
    (protocol.FLAGS_COMPRESSED, "compressed messages are not accepted"),
])
def test_refused_requests_after_authentication_are_answered_then_closed(victim, flags, expected):
    _, port = victim
    with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
        wire.authenticate(sock, KEY)
        sock.sendall(wire.invoke("TimeTaggerRPC", "getVersion", flags=flags))
        msgtype, reply_flags, exc = wire.read_message(sock)
        assert msgtype == protocol.MSG_RESULT and reply_flags & protocol.FLAGS_EXCEPTION
        assert expected in str(exc)
        assert sock.recv(1) == b""


def test_marshal_requests_after_authentication_are_refused(victim):
    _, port = victim
    with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
        wire.authenticate(sock, KEY)
        sock.sendall(wire.invoke("TimeTaggerRPC", "getVersion", serializer=serializers.serializers["marshal"]))
        _, _, exc = wire.read_message(sock)
        assert "serializer marshal is not accepted by this server: use msgpack" in str(exc)


def test_waits_never_hold_a_server_thread_for_long(TT):
    t = TT.createTimeTagger()
    t.setTestSignal([1], True)
    running = TT.Countrate(t, [1])  # started at creation, never finishes
    raw = TT._session.connection
    assert raw.call(running._id, "waitUntilFinished", [-1], {}) is False  # the server cut it short
    assert raw.call(running._id, "waitUntilFinished", [10**9], {}) is False
    assert running.waitUntilFinished(timeout=1500) is False  # the client honours its timeout
    timed = TT.Countrate(t, [1])
    timed.startFor(int(3e12))  # 3 s of virtual time
    assert timed.waitUntilFinished() is True  # several slices, then done


def test_a_connection_reaches_only_its_own_objects(server):
    port = port_of(server.uri)
    with createProxy("127.0.0.1", port) as A, createProxy("127.0.0.1", port) as B:
        tagger = A.createTimeTagger()
        rate = A.Countrate(tagger, [1])
        mine = B.createTimeTagger()
        raw = B._session.connection
        listed = raw.call("Pyro.Daemon", "registered", [], {})
        assert tagger._id not in listed and rate._id not in listed and mine._id in listed
        assert "objects registered" not in raw.call("Pyro.Daemon", "info", [], {})
        for call in (lambda: raw.call(tagger._id, "getSerial", [], {}),
                     lambda: raw.call(rate._id, "stop", [], {}),
                     lambda: raw.call("Pyro.Daemon", "get_metadata", [tagger._id], {})):
            with pytest.raises(errors.DaemonError, match="not an object of this connection"):
                call()
        foreign = B._session.incoming(B._session.outgoing(tagger))  # A's id in B's hands
        for call in (lambda: B.Countrate(foreign, [1]), lambda: B.freeTimeTagger(foreign),
                     lambda: B.release(foreign)):
            with pytest.raises(ValueError, match="not an object of this connection"):
                call()
        assert rate.getData().shape == (1,) and tagger.getSerial()  # A's objects are untouched
        with pytest.raises(ReferenceError):
            foreign.getSerial()


def test_simulator_switches_are_never_remote(TT, sim):
    t = TT.createTimeTagger()
    for name in ("setSimulationOptions",):
        assert not hasattr(TT, name)
    for name in ("simUnplug", "simConnect"):
        assert not hasattr(t, name)
    with pytest.raises(AttributeError):
        TT._session.connection.call(t._id, "simUnplug", [], {})
    assert t.getSerial()


def test_simulator_control_with_its_flag(sim):
    with serve_in_thread(sim, port=0, remote_sim_control=True) as handle:
        with createProxy("127.0.0.1", port_of(handle.uri)) as TT:
            t = TT.createTimeTagger()
            t.simUnplug()
            with pytest.raises(Exception):
                t.getOverflows()
            assert not hasattr(TT, "setSimulationOptions")


def test_the_default_key_file_is_private(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path))
    monkeypatch.delenv(keys.KEY_ENV, raising=False)
    key = keys.server_key()
    assert key.origin.startswith("new key file") and keys.find_key().secret == key.secret
    assert oct(os.stat(keys.default_key_file()).st_mode & 0o777) == "0o600"
    assert keys.server_key().origin.startswith("key file")  # reused, not recreated


def test_a_client_connection_is_usable_from_several_threads(TT):
    import threading

    t = TT.createTimeTagger()
    rate = TT.Countrate(t, [1, 2])
    shapes: list = []

    def work() -> None:
        for _ in range(50):
            shapes.append(rate.getData().shape)

    threads = [threading.Thread(target=work) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert shapes == [(2,)] * 200
