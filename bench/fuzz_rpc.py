"""Throw random and malformed calls at every RPC method and at the wire, then count what happened.

Starts ``timetagger-rpc-server`` (simulator, its own key and data directory, under an
address-space limit) and, with a fixed seed:

1. calls every root function and constructor, and every method of one object of each class
   it could construct, with random arguments from a pool of awkward values (huge, negative
   and non-finite numbers, long strings and lists, nested containers, absolute paths, other
   objects, a foreign object id);
2. sends malformed wire messages before and after authentication (random bytes, truncated
   or lying headers, compressed and oneway flags, garbage payloads, odd method names).

Prints: calls, clean errors (the server answered with an exception), answers, hangs (no
answer within the call timeout; must be 0), crashes (the server died or dropped a healthy
connection; must be 0), and the server's RSS, threads and open files before and after.

    python bench/fuzz_rpc.py [--calls N] [--seed S] [--json]
"""
from __future__ import annotations

import argparse
import json
import os
import random
import resource
import socket
import subprocess
import sys
import tempfile
import time
from contextlib import contextmanager, suppress
from pathlib import Path
from typing import Any, Iterator

import psutil
from Pyro5 import errors, protocol, serializers

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from rpc_bridge import security  # noqa: E402
from rpc_bridge.adapters import BOUNDED_WAITS  # noqa: E402
from rpc_bridge.client import RemoteObject, createProxy  # noqa: E402
from tests.rpc.wire import authenticate, header  # noqa: E402  (the raw-protocol helpers of the tests)

MSGPACK = serializers.serializers["msgpack"]
ADDRESS_SPACE = 3 * 2**30
CALL_TIMEOUT_S = 15.0
AWKWARD: list[Any] = [
    None, True, 0, -1, 1, 7, 2**31, 2**63, -(2**63), 2**200,
    0.5, -1e300, float("nan"), float("inf"), "", "x", "x" * 100_000, "é✓\u202e", "/etc/passwd",
    "../../escape", "unused", b"\0\1", [], [1], [1, 2, 3], list(range(10_000)), [[[[]]]],
    {"a": 1}, {"": None}, [None, "a", 1.5],
]
#: Values a real script would pass, so calls get past type checks into the library's own code.
PLAUSIBLE: list[Any] = [1, 2, 3, 4, 8, 10, 100, 1000, 10**6, 10**9, 10**12, 2**24, 2**31 - 1, -1, 0,
                        [1, 2], [1], [2, 3, 4], "run.ttbin", "sub/run.ttbin", True, 0.25, 1e-3]


@contextmanager
def server(workdir: Path) -> Iterator[tuple[psutil.Process, int, bytes]]:
    """Our server in a child process under an address-space limit: (process, port, key)."""
    key = security.new_nonce().encode()
    key_file = workdir / "key"
    key_file.write_bytes(key)
    key_file.chmod(0o600)
    env = dict(os.environ, PYTHONPATH=str(ROOT), TIMETAGGER_SIM_VIRTUAL_TIME="1", PYTHONUNBUFFERED="1")
    proc = subprocess.Popen(
        [sys.executable, "-m", "rpc_bridge.server", "--backend", "sim", "--port", "0",
         "--auth-key-file", str(key_file), "--data-dir", str(workdir / "data"),
         "--max-recording-mb", "64"], cwd=ROOT, env=env, text=True, stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        preexec_fn=lambda: resource.setrlimit(resource.RLIMIT_AS, (ADDRESS_SPACE, ADDRESS_SPACE)))
    try:
        for line in proc.stdout:
            if line.startswith("URI:"):
                break
        yield psutil.Process(proc.pid), int(line.rsplit(":", 1)[1]), key
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def snapshot(process: psutil.Process) -> dict:
    """RSS (MiB), threads and open files of the server."""
    return {"rss_mib": round(process.memory_info().rss / 2**20, 1), "threads": process.num_threads(),
            "fds": process.num_fds()}


class Fuzzer:
    """Random calls through a real client; counts the outcomes."""

    def __init__(self, port: int, key: bytes, seed: int) -> None:
        self.port, self.key = port, key
        self.random = random.Random(seed)
        self.counts = {"calls": 0, "answers": 0, "clean_errors": 0, "hangs": 0, "crashes": 0}
        self.errors: dict[str, int] = {}
        self.examples: dict[str, str] = {}
        self.library = self._connect()

    def _connect(self) -> Any:
        return createProxy("127.0.0.1", self.port, auth_key=self.key, timeout=CALL_TIMEOUT_S)

    def _arguments(self, objects: list, constructor: bool) -> list:
        pool = self.random.choice((AWKWARD, PLAUSIBLE)) + objects[:5]
        arguments = [self.random.choice(pool) for _ in range(self.random.randint(0, 4))]
        if constructor and objects and self.random.random() < 0.7:  # measurements take the tagger first
            arguments.insert(0, objects[0])
        return arguments

    def call(self, target: Any, name: str, objects: list) -> Any:
        """One random call of ``target.name``; returns its result or None."""
        self.counts["calls"] += 1
        member = getattr(target, name)
        if name in BOUNDED_WAITS:  # one server-side slice: the client would honour a 30-year timeout
            connection = self.library._session.connection
            member = lambda *args: connection.call(target._id, name, list(args), {})  # noqa: E731
        try:
            result = member(*self._arguments(objects, isinstance(member, type)))
        except errors.TimeoutError:
            self.counts["hangs"] += 1
            self.library = self._connect()
        except (errors.ConnectionClosedError, ConnectionError):
            self.counts["crashes"] += 1
            self.library = self._connect()
        except Exception as exc:  # noqa: BLE001 - a clean error from the server
            self.counts["clean_errors"] += 1
            kind = type(exc).__name__
            self.errors[kind] = self.errors.get(kind, 0) + 1
            self.examples.setdefault(kind, f"{name}: {str(exc)[:160]}")
        else:
            self.counts["answers"] += 1
            return result
        return None

    def methods_of(self, obj: Any) -> list[str]:
        return [n for n in dir(type(obj)) if not n.startswith("_") and callable(getattr(type(obj), n, None))
                and n not in ("release", "close")]

    def run(self, calls: int) -> None:
        """Random calls until ``calls`` are made: functions, constructors, then methods of what was made."""
        library = self.library
        tagger = library.createTimeTagger()
        tagger.setTestSignal([1, 2], True)
        objects: list = [tagger]
        roots = [n for n in dir(library) if not n.startswith("_") and n not in ("close", "release")
                 and callable(getattr(library, n))]
        while self.counts["calls"] < calls:
            name = self.random.choice(roots)
            made = self.call(self.library, name, objects)
            if isinstance(made, RemoteObject) and len(objects) < 50:
                objects.append(made)
            if objects:
                target = self.random.choice(objects)
                methods = self.methods_of(target)
                if methods:
                    self.call(target, self.random.choice(methods), objects)


def wire_attacks(port: int, key: bytes, seed: int, rounds: int) -> dict:
    """Malformed messages, half of them after authentication: how the server reacted.

    ``refused_or_closed``: it answered or closed the connection; ``waiting``: it waits for
    the rest of a message an authenticated peer announced (until that peer goes away).
    """
    rng = random.Random(seed)
    counts = {"sent": 0, "refused_or_closed": 0, "waiting": 0}
    for i in range(rounds):
        authenticated = bool(i % 2)
        invoke_or_connect = protocol.MSG_INVOKE if authenticated else protocol.MSG_CONNECT
        with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
            if authenticated:
                authenticate(sock, key)
            kind = rng.randrange(6)
            if kind == 0:
                data = rng.randbytes(rng.randint(1, 4096))
            elif kind == 1:
                data = header(invoke_or_connect, rng.randint(0, 2**32 - 1))
            elif kind == 2:
                data = header(rng.randrange(256), 10, flags=rng.randrange(2**16)) + b"\0" * 10
            elif kind == 3:
                payload = rng.randbytes(rng.randint(0, 2000))
                data = header(invoke_or_connect, len(payload)) + payload
            elif kind == 4:
                name = rng.choice(["__init__", "__class__", "_target", "_release", "__getattr__",
                                   "__setattr__", "x" * 10000, ""])
                payload = MSGPACK.dumpsCall(rng.choice(["TimeTaggerRPC", "Pyro.Daemon", "nope"]), name,
                                            [rng.choice(AWKWARD)], {})
                data = header(protocol.MSG_INVOKE, len(payload)) + payload
            else:
                data = header(invoke_or_connect, 40)[:rng.randint(1, 39)]
            counts["sent"] += 1
            with suppress(OSError):
                sock.sendall(data)
            sock.settimeout(1.0 if authenticated else 10.0)  # unauthenticated: the deadline is 5 s
            try:
                sock.recv(65536)
                counts["refused_or_closed"] += 1
            except socket.timeout:
                counts["waiting" if authenticated else "stuck_before_authentication"] = \
                    counts.get("waiting" if authenticated else "stuck_before_authentication", 0) + 1
            except OSError:
                counts["refused_or_closed"] += 1
    return counts


def main(argv: list[str] | None = None) -> int:
    """Run the fuzzer; exit 1 if anything crashed or hung."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=3000, help="random library calls (default 3000)")
    parser.add_argument("--wire", type=int, default=300, help="malformed wire messages (default 300)")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--json", action="store_true", help="print one JSON line only")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp, server(Path(tmp)) as (process, port, key):
        fuzzer = Fuzzer(port, key, args.seed)
        fuzzer.library.getVersion()
        before = snapshot(process)
        started = time.monotonic()
        fuzzer.run(args.calls)
        wire = wire_attacks(port, key, args.seed, args.wire)
        fuzzer.library.close()
        time.sleep(1)  # let the server release the fuzzer's objects
        with createProxy("127.0.0.1", port, auth_key=key, timeout=CALL_TIMEOUT_S) as check:
            alive = bool(check.getVersion()) and check.serverInfo()["objects"] == 0
        result = {**fuzzer.counts, "error_types": fuzzer.errors, "examples": fuzzer.examples, "wire": wire,
                  "server_alive_and_clean": alive, "before": before, "after": snapshot(process),
                  "seconds": round(time.monotonic() - started, 1)}
    if args.json:
        print(json.dumps(result))
    else:
        print(f"calls {result['calls']}: answers {result['answers']}, clean errors {result['clean_errors']}, "
              f"hangs {result['hangs']}, crashes {result['crashes']} ({result['seconds']} s)")
        print(f"error types: {result['error_types']}")
        for kind, example in result["examples"].items():
            print(f"  e.g. {kind}: {example}")
        print(f"wire messages {wire['sent']}: refused or closed {wire['refused_or_closed']}, "
              f"authenticated peers' announced payload awaited {wire['waiting']}, "
              f"unauthenticated peers kept past the deadline {wire.get('stuck_before_authentication', 0)}")
        print(f"server alive, no objects left: {alive}; before {before}; after {result['after']}")
    bad = result["hangs"] or result["crashes"] or wire.get("stuck_before_authentication") or not alive
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
