"""Session-wide test hygiene: per-user directories of the tests are temporary, never the user's own.

The RPC key file (config directory), the quickstart database and the bridge's data directory
(data directory) live in platformdirs' per-user locations; pointing ``XDG_CONFIG_HOME`` and
``XDG_DATA_HOME`` at a temporary tree keeps the tests (and every server they start, which
inherits the environment) away from the real home directory and from each other's runs.
"""
from __future__ import annotations

import atexit
import datetime
import ipaddress
import os
import shutil
import tempfile

import pytest

_HOME = tempfile.mkdtemp(prefix="tango-timetagger-tests-")
atexit.register(shutil.rmtree, _HOME, ignore_errors=True)
for _name in ("XDG_CONFIG_HOME", "XDG_DATA_HOME", "XDG_STATE_HOME", "XDG_CACHE_HOME"):
    os.environ[_name] = os.path.join(_HOME, _name.split("_")[1].lower())
    os.makedirs(os.environ[_name], exist_ok=True)


@pytest.fixture(scope="session")
def user_dirs_root() -> str:
    """The temporary root holding the tests' per-user config, data, state and cache directories."""
    return _HOME


@pytest.fixture(scope="session")
def pki(tmp_path_factory) -> dict[str, str]:
    """A throwaway CA, a server certificate for 127.0.0.1 and a client certificate signed by it:
    {"ca" | "server" | "client": path without suffix} of ``.crt`` and ``.key`` PEM files."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    root = tmp_path_factory.mktemp("pki")
    now = datetime.datetime.now(datetime.timezone.utc)
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "test CA")])
    paths = {}
    for name in ("ca", "server", "client"):
        key = ca_key if name == "ca" else ec.generate_private_key(ec.SECP256R1())
        subject = ca_name if name == "ca" else x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)])
        builder = (x509.CertificateBuilder().subject_name(subject).issuer_name(ca_name)
                   .public_key(key.public_key()).serial_number(x509.random_serial_number())
                   .not_valid_before(now - datetime.timedelta(minutes=5))
                   .not_valid_after(now + datetime.timedelta(days=1))
                   .add_extension(x509.BasicConstraints(ca=name == "ca", path_length=None), critical=True))
        if name == "server":
            builder = builder.add_extension(x509.SubjectAlternativeName(
                [x509.IPAddress(ipaddress.ip_address("127.0.0.1")), x509.DNSName("localhost")]),
                critical=False)
        cert = builder.sign(ca_key, hashes.SHA256())
        stem = root / name
        stem.with_suffix(".crt").write_bytes(cert.public_bytes(serialization.Encoding.PEM))
        stem.with_suffix(".key").write_bytes(key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()))
        paths[name] = str(stem)
    return paths
