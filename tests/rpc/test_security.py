"""Authentication always on: key files, the challenge-response handshake, replay, TLS, exposure."""
from __future__ import annotations

import os
import socket
import stat
import subprocess
import sys
import threading

import numpy as np
import pytest
from Pyro5 import errors, protocol

from rpc_bridge import keys, security
from rpc_bridge.client import createProxy
from rpc_bridge.server import check_exposure

from . import wire
from .conftest import ROOT, bridge_process, process, sim_env

KEY = "correct horse battery staple"


@pytest.fixture
def key_file(tmp_path):
    path = tmp_path / "key"
    path.write_text(KEY + "\n")
    os.chmod(path, 0o600)
    return path


def test_default_key_file_is_created_private_and_found_by_clients_of_the_user(tmp_path):
    config = tmp_path / "config"
    env = sim_env(XDG_CONFIG_HOME=str(config))
    with bridge_process(env=env) as (proc, port):
        key_path = config / "tango-timetagger" / "rpc.key"
        assert stat.S_IMODE(key_path.stat().st_mode) == 0o600
        assert stat.S_IMODE(key_path.parent.stat().st_mode) == 0o700
        assert len(key_path.read_text().strip()) >= 40  # 256 random bits
        script = ("import sys\nfrom rpc_bridge.client import createProxy\n"
                  f"with createProxy('127.0.0.1', {port}) as TT:\n"
                  "    t = TT.createTimeTagger(); t.setTestSignal([1], True)\n"
                  "    print(TT.Countrate(t, [1]).getData().shape)\n")
        done = subprocess.run([sys.executable, "-c", script], cwd=ROOT, env=env, capture_output=True,
                              text=True, timeout=60)
        assert done.returncode == 0 and done.stdout.strip() == "(1,)", done.stderr
        other_user = sim_env(XDG_CONFIG_HOME=str(tmp_path / "elsewhere"))  # no key to be found
        refused = subprocess.run([sys.executable, "-c", script], cwd=ROOT, env=other_user,
                                 capture_output=True, text=True, timeout=60)
        assert refused.returncode != 0 and "No key was found" in refused.stderr
    with bridge_process(env=env) as (_, port2):  # a restart keeps using the same file
        assert key_path.read_text().strip() == keys.read_key_file(key_path).decode()


def test_without_the_key_no_call_succeeds(key_file):
    with bridge_process("--auth-key-file", str(key_file)) as (_, port):
        with pytest.raises(errors.CommunicationError, match="wrong shared key"):
            createProxy("127.0.0.1", port, auth_key="guess")
        with pytest.raises(errors.CommunicationError, match="wrong shared key|No key was found"):
            createProxy("127.0.0.1", port)  # the per-user default key differs, or there is none
        with createProxy("127.0.0.1", port, auth_key_file=str(key_file)) as TT:
            assert TT.createTimeTagger().getSerial()


def test_key_from_environment_variable():
    with bridge_process(env=sim_env(TIMETAGGER_RPC_KEY=KEY)) as (_, port):
        os.environ[keys.KEY_ENV] = KEY
        try:
            with createProxy("127.0.0.1", port) as TT:
                assert TT.getVersion()
        finally:
            del os.environ[keys.KEY_ENV]
        with pytest.raises(errors.CommunicationError, match="wrong shared key|No key was found"):
            createProxy("127.0.0.1", port)


@pytest.mark.parametrize("make, message", [
    (lambda p: (p.write_text(KEY), os.chmod(p, 0o644)), "accessible to other users"),
    (lambda p: (p.write_text(KEY), os.chmod(p, 0o640)), "accessible to other users"),
    (lambda p: os.mkfifo(p, 0o600), "is a FIFO"),
    (lambda p: p.symlink_to("/dev/zero"), "is a device"),
    (lambda p: p.mkdir(mode=0o700), "is a directory"),
    (lambda p: (p.write_bytes(b"k" * 5_000_000), os.chmod(p, 0o600)), "at most 4096 bytes"),
    (lambda p: (p.write_text("\n"), os.chmod(p, 0o600)), "is empty"),
])
def test_unsafe_key_files_are_refused_without_blocking_or_reading_them(tmp_path, make, message):
    path = tmp_path / "key"
    make(path)
    with pytest.raises(keys.KeyFileError, match=message):
        keys.read_key_file(path)  # a FIFO with no writer would block a plain open(): this returns
    done = subprocess.run([sys.executable, "-m", "rpc_bridge.server", "--backend", "sim", "--port", "0",
                           "--auth-key-file", str(path)], cwd=ROOT, env=sim_env(), capture_output=True,
                          text=True, timeout=60)
    assert done.returncode == 2 and message in done.stderr  # argparse's error exit, with the reason


def test_key_file_of_another_user_is_refused(tmp_path):
    path = tmp_path / "key"
    path.write_text(KEY)
    os.chmod(path, 0o600)
    if os.geteuid() == 0:  # root can hand the file to another uid; others cannot make one
        os.chown(path, 4321, -1)
        with pytest.raises(keys.KeyFileError, match="belongs to uid 4321"):
            keys.read_key_file(path)
    else:
        assert keys.read_key_file(path) == KEY.encode()  # own file passes the owner check


def test_a_recorded_handshake_fails_on_any_other_connection_and_after_a_restart(key_file):
    with bridge_process("--auth-key-file", str(key_file)) as (_, port):
        with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
            recorded, _ = wire.authenticate(sock, KEY.encode())
        for _ in range(2):  # the same server, then the restarted one
            with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
                sock.sendall(wire.connect_message(security.hello()))
                assert wire.read_message(sock)[0] == protocol.MSG_CONNECTFAIL  # a fresh challenge
                sock.sendall(recorded)
                msgtype, _, text = wire.read_message(sock)
                assert msgtype == protocol.MSG_CONNECTFAIL and "wrong shared key" in text
    with bridge_process("--auth-key-file", str(key_file)) as (_, port):
        with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
            sock.sendall(wire.connect_message(security.hello()))
            wire.read_message(sock)
            sock.sendall(recorded)
            assert wire.read_message(sock)[0] == protocol.MSG_CONNECTFAIL


@pytest.mark.parametrize("token", [
    None, "hello", {"nonce": "0" * 32}, {"nonce": "0" * 32, "mac": float("nan")},
    {"nonce": "x" * 32, "mac": "0" * 64}, {"nonce": "0" * 32, "mac": "0" * 10**4},
    {"nonce": "0" * 32, "mac": "0" * 64, "time": float("nan")},
])
def test_malformed_or_forged_answers_are_refused(key_file, token):
    with bridge_process("--auth-key-file", str(key_file)) as (_, port):
        with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
            sock.sendall(wire.connect_message(security.hello()))
            assert wire.read_message(sock)[0] == protocol.MSG_CONNECTFAIL
            sock.sendall(wire.connect_message(token))
            msgtype, _, text = wire.read_message(sock)
            assert msgtype == protocol.MSG_CONNECTFAIL
            assert "authentication required" in text or "wrong shared key" in text
        with createProxy("127.0.0.1", port, auth_key=KEY) as TT:
            assert TT.getVersion()


def test_the_client_refuses_a_server_that_cannot_prove_the_key():
    """An impostor on the port that accepts any answer is detected by the client."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(1)

    def impostor() -> None:
        conn, _ = listener.accept()
        with conn:
            wire.read_message(conn)
            conn.sendall(wire.message(protocol.MSG_CONNECTFAIL, wire.MSGPACK.dumps(
                security.challenge_text(security.new_nonce()))))
            wire.read_message(conn)
            conn.sendall(wire.message(protocol.MSG_CONNECTOK, wire.MSGPACK.dumps(
                {"handshake": {"mac": "0" * 64}, "meta": {}})))
            conn.recv(1)

    thread = threading.Thread(target=impostor, daemon=True)
    thread.start()
    try:
        with pytest.raises(errors.SecurityError, match="did not prove the shared key"):
            createProxy("127.0.0.1", listener.getsockname()[1], auth_key=KEY, timeout=10)
    finally:
        thread.join(timeout=10)
        listener.close()


def test_tls_server_refuses_plain_clients_and_keeps_serving(pki):
    with bridge_process("--tls-cert", pki["server"] + ".crt", "--tls-key", pki["server"] + ".key") as (_, port):
        with pytest.raises(errors.CommunicationError):
            createProxy("127.0.0.1", port, timeout=10)
        with createProxy("127.0.0.1", port, tls_ca=pki["ca"] + ".crt") as TT:
            t = TT.createTimeTagger()
            assert isinstance(TT.Countrate(t, [1]).getData(), np.ndarray)


def test_tls_with_required_client_certificates(pki):
    with bridge_process("--tls-cert", pki["server"] + ".crt", "--tls-key", pki["server"] + ".key",
                        "--tls-ca", pki["ca"] + ".crt") as (_, port):
        with pytest.raises(errors.CommunicationError):
            createProxy("127.0.0.1", port, tls_ca=pki["ca"] + ".crt", timeout=10)
        with createProxy("127.0.0.1", port, tls_ca=pki["ca"] + ".crt", tls_cert=pki["client"] + ".crt",
                         tls_key=pki["client"] + ".key") as TT:
            assert TT.getVersion()


def test_insecure_mode_is_refused_off_loopback_and_warned_on_loopback(capsys):
    with pytest.raises(ValueError, match="refused on 192.0.2.1"):
        check_exposure("192.0.2.1", insecure_no_auth=True, tls=False)
    done = subprocess.run([sys.executable, "-m", "rpc_bridge.server", "--backend", "sim", "--port", "0",
                           "--host", "0.0.0.0", "--insecure-no-auth"], cwd=ROOT, env=sim_env(),
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 2 and "--insecure-no-auth is refused on 0.0.0.0" in done.stderr
    with process(["-m", "rpc_bridge.server", "--backend", "sim", "--port", "0", "--insecure-no-auth"],
                 "URI:") as (proc, _):
        proc.send_signal(2)
        proc.wait(timeout=30)
        assert "WITHOUT authentication" in proc.stderr.read()
    with pytest.warns(UserWarning, match="without TLS"):
        check_exposure("192.0.2.1", insecure_no_auth=False, tls=False)
    assert "WARNING" in capsys.readouterr().err
    check_exposure("127.0.0.1", insecure_no_auth=False, tls=False)  # loopback with the key: silent
    assert capsys.readouterr().err == ""


def test_huge_request_is_refused_and_the_server_keeps_serving():
    with bridge_process("--max-message-mb", "1") as (_, port):
        with createProxy("127.0.0.1", port) as TT:
            # the array travels beside the message: its announced size is refused before the
            # server allocates anything, and the connection is closed
            with pytest.raises(errors.SecurityError, match="exceeds the 1048576 bytes"):
                TT.scanTimeTagger(np.zeros(2**18))  # 2 MiB of float64
            with pytest.raises(errors.ConnectionClosedError):
                TT.getVersion()
        with createProxy("127.0.0.1", port) as TT:
            assert TT.scanTimeTagger() is not None


def test_server_banner_says_where_the_key_and_the_data_are(key_file, tmp_path):
    with bridge_process("--auth-key-file", str(key_file), "--data-dir", str(tmp_path / "d")) as (proc, _):
        banner = "\n".join(proc.banner)
    assert f"authentication: key file {key_file}; TLS: off" in banner
    assert f"data directory: {tmp_path / 'd'}" in banner
