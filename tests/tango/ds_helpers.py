"""Helpers for the Tango device server tests: real servers on 127.0.0.1, always stopped."""
from __future__ import annotations

import contextlib
import datetime
import ipaddress
import json
import socket
import threading
import time
from pathlib import Path
from typing import Callable, Iterator

import pytest
from tango.test_context import MultiDeviceTestContext

from tango_ds.server import device_classes

#: A photon-pair source on inputs 2 and 3 (the cable of input 2 is 2 ns longer) and
#: Poissonian clicks on 4.
PAIR_DELAY_PS = 2000
POISSON_RATE_HZ = 1e5
SIM_SIGNALS = json.dumps([
    {"class": "ExponentialSignalGenerator", "id": "pairs", "rate": 5e4, "seed": 1},
    {"class": "SimDetector", "input_channel": "@pairs", "jitter": 2e-11, "connect": 2,
     "delay": PAIR_DELAY_PS, "seed": 2},
    {"class": "SimDetector", "input_channel": "@pairs", "jitter": 2e-11, "connect": 3, "seed": 3},
    {"class": "ExponentialSignalGenerator", "rate": POISSON_RATE_HZ, "base_channel": 4, "seed": 4},
])
CLASSES = {cls.__name__: cls for cls in device_classes()}


def wait_until(predicate: Callable[[], bool], timeout: float = 20.0, period: float = 0.05) -> None:
    """Poll ``predicate`` until true; fail the test after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            pytest.fail(f"condition not reached within {timeout} s")
        time.sleep(period)


def context(devices: dict[str, list[tuple[str, dict]]]) -> MultiDeviceTestContext:
    """A process-mode context from {class name: [(device name, properties), ...]}."""
    info = [{"class": CLASSES[cls], "devices": [{"name": n, "properties": p} for n, p in devs]}
            for cls, devs in devices.items()]
    return MultiDeviceTestContext(info, process=True, host="127.0.0.1", timeout=30)


def established_to(port: int) -> int:
    """Open client connections (any process of this host) to 127.0.0.1:``port``."""
    count = 0
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        try:
            lines = open(table).read().splitlines()[1:]
        except OSError:
            continue
        for line in lines:
            fields = line.split()
            if int(fields[2].rsplit(":", 1)[1], 16) == port and fields[3] == "01":
                count += 1
    return count


@contextlib.contextmanager
def silent_server() -> Iterator[int]:
    """A TCP server on 127.0.0.1 that accepts connections and never answers (a hung remote)."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(16)
    accepted: list[socket.socket] = []
    stop = threading.Event()

    def serve() -> None:
        listener.settimeout(0.1)
        while not stop.is_set():
            try:
                accepted.append(listener.accept()[0])
            except OSError:
                continue

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    try:
        yield listener.getsockname()[1]
    finally:
        stop.set()
        thread.join()
        for sock in accepted + [listener]:
            sock.close()


def write_pki(root: Path) -> dict[str, Path]:
    """A throwaway CA with a server certificate for 127.0.0.1 and a client certificate;
    returns {name: path without suffix} (``.crt`` and ``.key`` files)."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    now = datetime.datetime.now(datetime.timezone.utc)
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "test CA")])
    paths = {}
    for name, san in (("ca", None), ("server", "127.0.0.1"), ("client", None)):
        key = ca_key if name == "ca" else ec.generate_private_key(ec.SECP256R1())
        builder = (x509.CertificateBuilder()
                   .subject_name(ca_name if name == "ca" else
                                 x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)]))
                   .issuer_name(ca_name).public_key(key.public_key())
                   .serial_number(x509.random_serial_number())
                   .not_valid_before(now - datetime.timedelta(minutes=5))
                   .not_valid_after(now + datetime.timedelta(days=1))
                   .add_extension(x509.BasicConstraints(ca=name == "ca", path_length=None),
                                  critical=True))
        if san:
            builder = builder.add_extension(x509.SubjectAlternativeName(
                [x509.IPAddress(ipaddress.ip_address(san))]), critical=False)
        cert = builder.sign(ca_key, hashes.SHA256())
        paths[name] = root / name
        paths[name].with_suffix(".crt").write_bytes(cert.public_bytes(serialization.Encoding.PEM))
        paths[name].with_suffix(".key").write_bytes(key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption()))
    return paths
