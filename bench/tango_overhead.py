"""Cost of our Tango devices over a bare pytango device, and the event rate they sustain.

One run, all servers real (process-mode test contexts on 127.0.0.1):

1. read a 1e6-bin ``data`` spectrum (Histogram, int32) and a scalar (``capture_duration``)
   through our devices, against a bare device returning a same-size int32 array and a
   float from memory; ratios ours / bare (goals: <= 1.2 spectrum, <= 1.1 scalar), with
   the measurement stopped (data served once fetched) and running (fetched every read);
2. a 1e5-bin Correlation pushing change events every 50 ms while running, with 5
   subscribers: events per second each receives (goal 20 Hz) and the event age at
   reception at the start and the end of the run (growing age = backlog).

Usage: ``python bench/tango_overhead.py [--reads N] [--seconds S]``
"""
from __future__ import annotations

import argparse
import statistics
import threading
import time

import numpy as np
import tango
from tango.server import Device, attribute
from tango.test_context import MultiDeviceTestContext

from tango_ds.server import device_classes

N_BINS = 1_000_000


class Bare(Device):
    """The reference: returns data it already holds."""

    def init_device(self) -> None:
        super().init_device()
        self._data = np.arange(N_BINS, dtype=np.int32)

    @attribute(dtype=(np.int32,), max_dim_x=N_BINS)
    def data(self) -> np.ndarray:
        return self._data

    @attribute(dtype=float)
    def capture_duration(self) -> float:
        return 1.0


def timed_reads(proxies: tuple[tango.DeviceProxy, ...], name: str, reads: int) -> list[float]:
    """Median seconds per read of ``name`` on each proxy, reads interleaved (same load)."""
    samples: list[list[float]] = [[] for _ in proxies]
    for proxy in proxies:
        proxy.read_attribute(name)
    for _ in range(reads):
        for proxy, times in zip(proxies, samples):
            start = time.perf_counter()
            proxy.read_attribute(name)
            times.append(time.perf_counter() - start)
    return [statistics.median(times) for times in samples]


def compare_reads(reads: int) -> None:
    classes = {c.__name__: c for c in device_classes()}
    ours_info = [
        {"class": classes["TimeTagger"], "devices": [
            {"name": "bench/tt/1", "properties": {"Backend": "sim"}}]},
        {"class": classes["Histogram"], "devices": [
            {"name": "bench/hist/1", "properties": {"click_channel": "1", "start_channel": "2",
                                                    "binwidth": 1, "n_bins": N_BINS}}]},
    ]
    bare_info = [{"class": Bare, "devices": [{"name": "bench/bare/1"}]}]
    with MultiDeviceTestContext(ours_info, process=True, host="127.0.0.1") as ours, \
            MultiDeviceTestContext(bare_info, process=True, host="127.0.0.1") as bare:
        hist, ref = ours.get_device("bench/hist/1"), bare.get_device("bench/bare/1")
        assert len(hist.data) == N_BINS
        for state in ("stopped", "running"):
            if state == "running":
                hist.Start()
            for name, goal in (("data", 1.2), ("capture_duration", 1.1)):
                ours_s, bare_s = timed_reads((hist, ref), name, reads)
                print(f"read {name:17s} {state}: ours {ours_s * 1e6:8.1f} us  "
                      f"bare {bare_s * 1e6:8.1f} us  ratio {ours_s / bare_s:5.2f} (goal <= {goal})")


def event_rate(seconds: float, subscribers: int = 5) -> None:
    classes = {c.__name__: c for c in device_classes()}
    info = [
        {"class": classes["TimeTagger"], "devices": [
            {"name": "bench/tt/2", "properties": {"Backend": "sim"}}]},
        {"class": classes["Correlation"], "devices": [
            {"name": "bench/corr/1", "properties": {"channel_1": "1", "channel_2": "2",
                                                    "binwidth": 1, "n_bins": 100_000,
                                                    "EventPeriodMs": 50}}]},
    ]
    with MultiDeviceTestContext(info, process=True, host="127.0.0.1") as ctx:
        ctx.get_device("bench/tt/2").test_signal_channels = [1, 2]
        name = ctx.get_device_access("bench/corr/1")
        proxies = [tango.DeviceProxy(name) for _ in range(subscribers)]
        received: list[list[tuple[float, float]]] = [[] for _ in proxies]
        lock = threading.Lock()

        def callback(index: int):
            def on_event(event: tango.EventData) -> None:
                if not event.err and event.attr_value is not None:
                    with lock:
                        received[index].append((time.time(), event.attr_value.time.totime()))
            return on_event

        ids = [p.subscribe_event("data", tango.EventType.CHANGE_EVENT, callback(i))
               for i, p in enumerate(proxies)]
        proxies[0].Start()
        time.sleep(1.0)  # settle
        with lock:
            start_counts = [len(r) for r in received]
        time.sleep(seconds)
        with lock:
            end = [list(r) for r in received]
        proxies[0].Stop()
        for proxy, event_id in zip(proxies, ids):
            proxy.unsubscribe_event(event_id)
    rates = [(len(e) - s) / seconds for e, s in zip(end, start_counts)]
    ages = [[(t_rx - t_ev) * 1e3 for t_rx, t_ev in e[s:]] for e, s in zip(end, start_counts)]
    first = statistics.mean(a for age in ages for a in age[:10])
    last = statistics.mean(a for age in ages for a in age[-10:])
    print(f"events 1e5-bin Correlation, {subscribers} subscribers: "
          f"{min(rates):.1f}-{max(rates):.1f} Hz each (goal 20 Hz); "
          f"event age first {first:.1f} ms, last {last:.1f} ms (no backlog if similar)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--reads", type=int, default=500)
    parser.add_argument("--seconds", type=float, default=5.0)
    args = parser.parse_args()
    compare_reads(args.reads)
    event_rate(args.seconds)


if __name__ == "__main__":
    main()
