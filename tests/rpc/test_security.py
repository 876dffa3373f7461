"""Shared-secret handshake, TLS (throwaway certificates), exposure warning, bounded messages."""
from __future__ import annotations

import datetime
import ipaddress
import os

import numpy as np
import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from Pyro5 import errors

from rpc_bridge import security
from rpc_bridge.client import createProxy
from rpc_bridge.server import warn_if_exposed

from .conftest import bridge_process, sim_env

KEY = "correct horse battery staple"


def _write_cert(path, name, key, issuer_name, issuer_key, ca=False, san=()):
    now = datetime.datetime.now(datetime.timezone.utc)
    builder = (x509.CertificateBuilder()
               .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)]))
               .issuer_name(issuer_name).public_key(key.public_key())
               .serial_number(x509.random_serial_number())
               .not_valid_before(now - datetime.timedelta(minutes=5))
               .not_valid_after(now + datetime.timedelta(days=1))
               .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True))
    if san:
        builder = builder.add_extension(x509.SubjectAlternativeName(list(san)), critical=False)
    cert = builder.sign(issuer_key, hashes.SHA256())
    path.with_suffix(".crt").write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    path.with_suffix(".key").write_bytes(key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()))
    return cert


@pytest.fixture(scope="module")
def pki(tmp_path_factory):
    """A throwaway CA, a server certificate for 127.0.0.1 and a client certificate."""
    root = tmp_path_factory.mktemp("pki")
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "test CA")])
    _write_cert(root / "ca", "test CA", ca_key, ca_name, ca_key, ca=True)
    _write_cert(root / "server", "127.0.0.1", ec.generate_private_key(ec.SECP256R1()), ca_name, ca_key,
                san=[x509.IPAddress(ipaddress.ip_address("127.0.0.1")), x509.DNSName("localhost")])
    _write_cert(root / "client", "client", ec.generate_private_key(ec.SECP256R1()), ca_name, ca_key)
    return {n: str(root / n) for n in ("ca", "server", "client")}


def test_without_the_key_no_call_succeeds(tmp_path):
    key_file = tmp_path / "key"
    key_file.write_text(KEY + "\n")
    os.chmod(key_file, 0o600)
    with bridge_process("--auth-key-file", str(key_file)) as (_, port):
        with pytest.raises(errors.CommunicationError, match="authentication required"):
            createProxy("127.0.0.1", port)
        with pytest.raises(errors.CommunicationError, match="wrong shared key"):
            createProxy("127.0.0.1", port, auth_key="guess")
        with createProxy("127.0.0.1", port, auth_key_file=str(key_file)) as TT:
            assert TT.createTimeTagger().getSerial()


def test_key_from_environment_variable():
    with bridge_process(env=sim_env(TIMETAGGER_RPC_KEY=KEY)) as (_, port):
        os.environ[security.KEY_ENV] = KEY
        try:
            with createProxy("127.0.0.1", port) as TT:
                assert TT.getVersion()
        finally:
            del os.environ[security.KEY_ENV]
        with pytest.raises(errors.CommunicationError):
            createProxy("127.0.0.1", port)


def test_handshake_tokens_cannot_be_replayed_or_forged():
    auth = security.Authenticator(KEY.encode())
    token = security.make_token(KEY.encode())
    auth.check(token)
    with pytest.raises(errors.SecurityError, match="replayed"):
        auth.check(token)
    with pytest.raises(errors.SecurityError, match="wrong shared key"):
        auth.check(security.make_token(b"other key"))
    with pytest.raises(errors.SecurityError, match="authentication required"):
        auth.check("hello")
    assert KEY not in repr(security.make_token(KEY.encode()))


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


def test_loud_warning_on_a_network_address_without_authentication(capsys):
    with pytest.warns(UserWarning, match="WITHOUT authentication"):
        warn_if_exposed("192.0.2.1", None, tls=False)
    assert "WARNING" in capsys.readouterr().err
    warn_if_exposed("127.0.0.1", None, tls=False)  # loopback: silent
    assert capsys.readouterr().err == ""


def test_huge_request_is_refused_and_the_server_keeps_serving():
    with bridge_process("--max-message-mb", "1") as (_, port):
        with createProxy("127.0.0.1", port) as TT:
            # the server drops the connection after reading the header: the client sees it
            # closed, whether it was still sending or already waiting for the reply
            with pytest.raises(errors.ConnectionClosedError):
                TT.scanTimeTagger(np.zeros(2**18))  # 2 MiB of float64
        with createProxy("127.0.0.1", port) as TT:
            assert TT.scanTimeTagger() is not None
