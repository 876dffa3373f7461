"""Throw random and malformed values at every attribute and command of every Tango class.

One run against a real ``TimeTaggerDS`` (a device of every generated class and the tagger,
on pytango's database, 127.0.0.1 only, under an address-space limit): for ``--calls``
calls, pick a device and one of its attributes (read or write) or commands, and a value
from the edge cases of its Tango type (empty and huge arrays, NaN and infinities, integers
at and beyond 64 bits, 100 kB and non-ASCII strings, deeply nested and endless JSON,
device names that break Tango's rules, ...).  Prints the counts:

* ``calls``: requests that reached the server;
* ``clean``: answered, or refused with a DevFailed of a reason of this server or of Tango;
* ``uncaught``: refused with an uncaught Python error (``PyDs_*``; must be 0);
* ``hangs``: no answer within Tango's 3 s client timeout (must be 0);
* ``crashes``: the server process died (must be 0);
* ``not sent``: values the client library itself refused to send (not counted as calls);

and the server's resident memory, threads and open files before and after.  Exit code 1
when uncaught, hangs or crashes are not 0.

The inputs carry no signal, and the fuzz leaves the test signal off (``SetTestSignal`` and
``test_signal_channels`` are not fuzzed): with clicks flowing, a valid but enormous window
(HistogramLogBins up to 10^3 s, Correlation spans of days) makes the simulator count every
pair of clicks, a throughput test of the simulator rather than of the device server.

Usage: ``python bench/fuzz_tango.py [--calls 3000] [--seed 1] [--json]``
"""
from __future__ import annotations

import argparse
import collections
import json
import random
import sys
import tempfile
import time
from pathlib import Path
from typing import Any, Callable, Iterator

import numpy as np
import tango

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests" / "tango"))
from db_helpers import running  # noqa: E402 - the real-database harness of the tests

TAGGER = "fuzz/tagger/1"
#: One device of every class; a small budget keeps valid requests cheap.
LAYOUT: dict[str, list[tuple[str, dict]]] = {
    "TimeTagger": [(TAGGER, {"Backend": "sim", "MemoryBudgetMB": 64})],
    "DelayedChannel": [("fuzz/delayedchannel/1", {"input_channel": "1", "delay": 100})],
    "GatedChannel": [("fuzz/gatedchannel/1", {"input_channel": "1", "gate_start_channel": "2",
                                              "gate_stop_channel": "-2"})],
    "Coincidence": [("fuzz/coincidence/1", {"channels": ["1", "2"]})],
    "Combiner": [("fuzz/combiner/1", {"channels": ["1", "fuzz/coincidence/1"]})],
    "Countrate": [("fuzz/countrate/1", {"channels": ["1", "2"], "AutoStart": "true"})],
    "Counter": [("fuzz/counter/1", {"channels": ["1"], "n_values": 10})],
    "Correlation": [("fuzz/correlation/1", {"channel_1": "1", "channel_2": "2"})],
    "Histogram": [("fuzz/histogram/1", {"click_channel": "2", "start_channel": "1"})],
    "StartStop": [("fuzz/startstop/1", {"click_channel": "2", "start_channel": "1"})],
    "TimeDifferences": [("fuzz/timedifferences/1", {"click_channel": "2", "start_channel": "1",
                                                    "n_bins": 100, "n_histograms": 3})],
    "CountBetweenMarkers": [("fuzz/countbetweenmarkers/1", {"click_channel": "1",
                                                           "begin_channel": "2"})],
    "HistogramLogBins": [("fuzz/histogramlogbins/1", {"click_channel": "2", "start_channel": "1",
                                                      "exp_start": -10, "exp_stop": -6,
                                                      "n_bins": 40})],
    "Histogram2D": [("fuzz/histogram2d/1", {"start_channel": "1", "stop_channel_1": "2",
                                            "stop_channel_2": "3", "binwidth_1": 100,
                                            "binwidth_2": 100, "n_bins_1": 20, "n_bins_2": 30})],
}
ADDRESS_SPACE_MB = 3072
#: Controls of the test signal, left alone (see the module documentation).
NOT_FUZZED = ("SetTestSignal", "test_signal_channels")
#: First reasons that mean "a Python error escaped the device" (pytango's wrappers).
UNCAUGHT = ("PyDs_",)
HANG = "API_DeviceTimedOut"

INTS = [0, 1, -1, 2, 7, 99, -134217728, 255, 256, 1000, 2**16, 2**24, 2**24 + 1, 2**31 - 1,
        -2**31, 2**32, 2**53 + 1, 2**62, 2**63 - 1, -2**63, 2**63, 2**64 - 1]
FLOATS = [0.0, -0.0, 1e-15, 1e-12, 0.3, 2.5, 99.0, -1.0, 1e6, 9e6, 1e300, float("inf"),
          -float("inf"), float("nan"), 5e-324]
NESTED = "[" * 50_000
STRINGS = ["", " ", "unused", "1", "-1", "2", "a/b/c", "fuzz/delayedchannel/1",
           "fuzz/countrate/1", "fuzz/tagger/1", "x" * 100_000, "é" * 300, "\x00\x01\x7f",
           "9" * 5000, "1e400", "nan", "../../etc/passwd", "rpc://127.0.0.1:1", NESTED,
           "{}", "[]", "null", '{"class": "Countrate"}', "dserver/a/b", "a//b", "a/b/c/d",
           "fuzz/new/é", "fuzz/new/" + "y" * 300, "'; DROP TABLE device; --"]
CLASSES = [c for c in LAYOUT if c != "TimeTagger"]


def random_request(rng: random.Random) -> str:
    """A CreateMeasurement argument: valid, nearly valid or broken."""
    cls = rng.choice(CLASSES + ["Nope", 3, None])
    params = {key: rng.choice(INTS + FLOATS[:6] + STRINGS[:8] + [[1, 2], [], {"a": 1}])
              for key in rng.sample(["channels", "channel_1", "click_channel", "start_channel",
                                     "binwidth", "n_bins", "n_values", "input_channel", "delay",
                                     "n_histograms", "AutoStart", "exp_start"],
                                    rng.randint(0, 4))}
    request: dict[str, Any] = {"class": cls, "name": rng.choice(
        ["fuzz/new/" + str(rng.randint(0, 20)), "fuzz/new/é", "bad", "dserver/x/y"])}
    for key, value in (("params", params), ("autostart", rng.choice([True, False, "yes", 1])),
                       ("properties", {"EventPeriodMs": rng.choice(INTS)}), ("bogus", 1)):
        if rng.random() < 0.4:
            request[key] = value
    text = json.dumps(request, allow_nan=True)
    return text if rng.random() < 0.85 else rng.choice(STRINGS)


def scalar(dtype: tango.CmdArgType, rng: random.Random) -> Any:
    if dtype in (tango.CmdArgType.DevDouble, tango.CmdArgType.DevFloat):
        return rng.choice(FLOATS + [rng.uniform(-1e3, 1e3)])
    if dtype == tango.CmdArgType.DevBoolean:
        return rng.choice([True, False])
    if dtype == tango.CmdArgType.DevString:
        return rng.choice(STRINGS)
    return rng.choice(INTS + [rng.randint(-10, 10)])


ELEMENT = {tango.CmdArgType.DevVarDoubleArray: tango.CmdArgType.DevDouble,
           tango.CmdArgType.DevVarLong64Array: tango.CmdArgType.DevLong64,
           tango.CmdArgType.DevVarLongArray: tango.CmdArgType.DevLong,
           tango.CmdArgType.DevVarStringArray: tango.CmdArgType.DevString}
NUMPY = {tango.CmdArgType.DevDouble: np.float64, tango.CmdArgType.DevLong64: np.int64,
         tango.CmdArgType.DevLong: np.int32, tango.CmdArgType.DevULong64: np.uint64,
         tango.CmdArgType.DevBoolean: np.bool_}


def array(element: tango.CmdArgType, rng: random.Random) -> Any:
    length = rng.choice([0, 1, 2, 3, 8, 257, 100_000, 1_000_000])
    if element == tango.CmdArgType.DevString:
        return [scalar(element, rng) for _ in range(min(length, 300))]
    dtype = NUMPY.get(element, np.float64)
    if rng.random() < 0.5:
        values = [scalar(element, rng) for _ in range(min(length, 8))] * max(1, length // 8)
        try:
            return np.asarray(values[:length], dtype=dtype)
        except (OverflowError, ValueError):
            return np.zeros(length, dtype=dtype)
    return np.full(length, scalar(element, rng) if dtype is np.float64 else 1, dtype=dtype)


def value_for_command(info: tango.CommandInfo, name: str, rng: random.Random) -> Any:
    if name == "CreateMeasurement":
        return random_request(rng)
    if name == "DeleteMeasurement":
        return rng.choice(STRINGS + ["fuzz/new/" + str(rng.randint(0, 20)),
                                     "fuzz/delayedchannel/1", "fuzz/histogram/1"])
    if info.in_type in ELEMENT:
        return array(ELEMENT[info.in_type], rng)
    if info.in_type == tango.CmdArgType.DevVoid:
        return None
    return scalar(info.in_type, rng)


def value_for_attribute(info: tango.AttributeInfoEx, rng: random.Random) -> Any:
    if info.data_format == tango.AttrDataFormat.SCALAR:
        if info.data_type == tango.CmdArgType.DevEnum:
            return rng.choice([-1, 0, 1, 2, 3, 99, 2**31 - 1])
        return scalar(info.data_type, rng)
    return array(info.data_type, rng)


class Tally:
    """Counts of outcomes, and the first examples of the bad ones."""

    def __init__(self) -> None:
        self.counts: collections.Counter[str] = collections.Counter()
        self.examples: dict[str, list[str]] = collections.defaultdict(list)
        self._recent: collections.deque[str] = collections.deque(maxlen=12)

    def record(self, outcome: str, what: str) -> None:
        self.counts[outcome] += 1
        if outcome in ("uncaught", "hangs", "crashes") and len(self.examples[outcome]) < 5:
            if not self.examples[outcome]:  # what led to the first one
                self.examples[f"before the first {outcome}"] = list(self._recent)
            self.examples[outcome].append(what[:300])
        if outcome != "not sent":
            self._recent.append(what[:160])


def classify(call: Callable[[], Any]) -> tuple[str, str]:
    """('clean' | 'uncaught' | 'hangs' | 'not sent', detail) for one call."""
    try:
        call()
    except tango.DevFailed as exc:
        reasons = [error.reason for error in exc.args]
        if HANG in reasons:
            return "hangs", reasons[0]
        if reasons[0].startswith(UNCAUGHT):  # pytango adds PyDs_UnexpectedFailure after ours
            return "uncaught", f"{reasons}: {exc.args[0].desc}"
        return "clean", reasons[0]
    except (TypeError, ValueError, OverflowError, UnicodeError) as exc:
        return "not sent", type(exc).__name__
    return "clean", "ok"


def targets(server) -> Iterator[tuple[str, tango.DeviceProxy, list, list]]:
    for name in server.devices():
        proxy = server.proxy(name)
        commands = [c for c in proxy.command_list_query()
                    if c.cmd_name not in ("State", "Status", *NOT_FUZZED)]
        attributes = [a for a in proxy.attribute_list_query_ex() if a.name not in NOT_FUZZED]
        yield name, proxy, attributes, commands


def fuzz(server, calls: int, seed: int) -> Tally:
    """Make ``calls`` malformed calls on ``server``'s devices; stop early if it dies."""
    rng = random.Random(seed)
    devices = list(targets(server))
    tally = Tally()
    while sum(tally.counts[k] for k in ("clean", "uncaught", "hangs")) < calls:
        name, proxy, attributes, commands = rng.choice(devices)
        roll = rng.random()
        if roll < 0.45 and commands:
            info = rng.choice(commands)
            if info.cmd_name == "Init" and rng.random() < 0.8:
                continue
            argin = value_for_command(info, info.cmd_name, rng)
            what = f"{name}.{info.cmd_name}({str(argin)[:80]})"
            outcome, detail = classify(lambda: proxy.command_inout(info.cmd_name, argin)
                                       if argin is not None else proxy.command_inout(info.cmd_name))
        elif roll < 0.8:
            writable = [a for a in attributes if a.writable != tango.AttrWriteType.READ]
            if not writable:
                continue
            info = rng.choice(writable)
            value = value_for_attribute(info, rng)
            what = f"{name}.{info.name} = {str(value)[:80]}"
            outcome, detail = classify(lambda: proxy.write_attribute(info.name, value))
        else:
            info = rng.choice(attributes)
            what = f"{name}.{info.name}"
            outcome, detail = classify(lambda: proxy.read_attribute(info.name))
        tally.record(outcome, f"{what}: {detail}")
        if not server.alive():
            tally.record("crashes", what)
            break
    return tally


def state_of(proxy: tango.DeviceProxy) -> str:
    """The device's state, or how asking for it failed."""
    try:
        return str(proxy.state())
    except tango.DevFailed as exc:
        return exc.args[-1].reason


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--calls", type=int, default=3000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--json", action="store_true", help="print the result as JSON")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="fuzz-tango-") as directory:
        with running(Path(directory), "fuzz", LAYOUT, ADDRESS_SPACE_MB) as (_, server):
            before = server.usage()
            started = time.monotonic()
            tally = fuzz(server, args.calls, args.seed)
            seconds = time.monotonic() - started
            after = server.usage() if server.alive() else {"rss": 0, "threads": 0, "fds": 0}
            states = collections.Counter(state_of(server.proxy(n)) for n in server.devices()
                                         ) if server.alive() else {}
    result = {"calls": sum(tally.counts[k] for k in ("clean", "uncaught", "hangs")),
              "clean": tally.counts["clean"], "uncaught": tally.counts["uncaught"],
              "hangs": tally.counts["hangs"], "crashes": tally.counts["crashes"],
              "not sent": tally.counts["not sent"], "seconds": round(seconds, 1),
              "rss MiB before/after": [before["rss"] >> 20, after["rss"] >> 20],
              "threads before/after": [before["threads"], after["threads"]],
              "fds before/after": [before["fds"], after["fds"]],
              "device states after": dict(states), "examples": dict(tally.examples)}
    if args.json:
        print(json.dumps(result))
    else:
        for key, value in result.items():
            print(f"{key:22s} {value}")
    return 1 if result["uncaught"] or result["hangs"] or result["crashes"] else 0


if __name__ == "__main__":
    sys.exit(main())
