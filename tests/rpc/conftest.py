"""Fixtures for the RPC bridge: real Pyro5 daemons on 127.0.0.1 and free ports, always stopped."""
from __future__ import annotations

import os
import resource
import signal
import socket
import subprocess
import sys
import time
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

import pytest

ROOT = Path(__file__).resolve().parents[2]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def port_of(uri: str) -> int:
    return int(uri.rsplit(":", 1)[1])


@pytest.fixture(scope="session")
def sim():
    """The simulator in virtual time (startFor(1e12) takes a fraction of a second)."""
    module = pytest.importorskip("timetagger_sim")
    module.setSimulationOptions(virtual_time=True, seed=7)
    return module


@pytest.fixture
def server(sim):
    """Our bridge serving the simulator in this process."""
    from rpc_bridge.server import serve_in_thread

    handle = serve_in_thread(sim, host="127.0.0.1", port=0)
    try:
        yield handle
    finally:
        handle.shutdown()


@pytest.fixture
def insecure_server(sim):
    """Our bridge without authentication (``--insecure-no-auth``), for Swabian's own client."""
    from rpc_bridge.server import serve_in_thread

    with pytest.warns(UserWarning, match="WITHOUT authentication"):
        handle = serve_in_thread(sim, host="127.0.0.1", port=0, insecure_no_auth=True)
    try:
        yield handle
    finally:
        handle.shutdown()


def drop_connection(library) -> None:
    """Vanish like a killed client: close the socket without a word."""
    library._session.connection._conn.sock.close()


def wait_for(predicate, timeout: float = 10.0) -> bool:
    """Poll ``predicate`` until true (the server releases a vanished client's objects asynchronously)."""
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.01)
    return True


@pytest.fixture
def TT(server):
    """A client module proxy connected to :func:`server`."""
    from rpc_bridge.client import createProxy

    proxy = createProxy("127.0.0.1", port_of(server.uri))
    try:
        yield proxy
    finally:
        proxy.close()


def sim_env(**extra: str) -> dict:
    env = dict(os.environ, TIMETAGGER_SIM_VIRTUAL_TIME="1", TIMETAGGER_SIM_SEED="3", PYTHONUNBUFFERED="1")
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH")]))
    env.pop("TIMETAGGER_RPC_KEY", None)
    env.update(extra)
    return env


def address_space_limit(limit: int):
    """A ``preexec_fn`` capping the child's address space, so a memory attack fails inside it."""
    def apply() -> None:
        resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
    return apply


@contextmanager
def process(args: list[str], ready: str, env: dict | None = None, timeout: float = 60,
            memory_limit: int | None = None) -> Iterator[tuple]:
    """Start ``python args...``; yield (popen, first stdout line containing ``ready``); always stop it.

    ``popen.banner`` holds the stdout lines up to and including that one.
    """
    proc = subprocess.Popen([sys.executable, *args], cwd=ROOT, env=env or sim_env(), text=True,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            preexec_fn=address_space_limit(memory_limit) if memory_limit else None)
    proc.banner = []
    try:
        deadline = time.monotonic() + timeout
        while True:
            line = proc.stdout.readline()
            proc.banner.append(line.rstrip("\n"))
            if ready in line:
                break
            if not line and proc.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"{args} did not start: {proc.stderr.read()}")
        yield proc, line.strip()
    finally:
        if proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
            try:
                proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
        proc.stdout.close()
        proc.stderr.close()


@contextmanager
def bridge_process(*options: str, env: dict | None = None, memory_limit: int | None = None) -> Iterator[tuple]:
    """Our CLI server (simulator backend, free port) in a subprocess: yields (popen, port)."""
    with process(["-m", "rpc_bridge.server", "--backend", "sim", "--port", "0", *options],
                 "URI:", env, memory_limit=memory_limit) as (proc, line):
        yield proc, port_of(line)


@contextmanager
def official_process() -> Iterator[int]:
    """The official TimeTaggerRPC server on the simulator: yields its port."""
    port = free_port()
    with process(["-m", "rpc_bridge.reference_server", "--port", str(port)], "Server URI"):
        yield port
