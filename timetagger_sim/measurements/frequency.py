"""Periodic signals: ``FrequencyCounter``, ``FrequencyStability``, ``PhaseNoise`` and ``PulsePerSecondMonitor``.

Each treats every tag of a channel as one period of its signal: the period count is the phase in
cycles. The stability and phase-noise analyses keep running sums and buffers bounded by their
parameters (steps, samples per octave), not by the run length.
"""
from __future__ import annotations

import datetime
import math
import time

import numpy as np

from .. import validation
from ..engine.blocks import Gap
from ..iterator import IteratorBase
from ..kernels import frequency as kf
from ..taggers.base import TimeTaggerBase
from .counting import _checked_channels

#: ``FrequencyCounter(n_values=0)`` keeps at most this many sampling points (older ones go).
MAX_SAMPLES = 1_000_000
_EMPTY = np.empty(0, np.int64)


# -- FrequencyCounter ---------------------------------------------------------------------------------
class FrequencyCounterData:
    """Phase and frequency of each channel at the sampling points of one ``getDataObject`` call."""

    def __init__(self, times: np.ndarray, indices: np.ndarray, phase: np.ndarray, slope: np.ndarray,
                 overflow: np.ndarray, interval: int, divider: int, last_dim: bool, overflow_samples: int,
                 reference_phase: np.ndarray, reference_time: int, aligned: bool) -> None:
        self._times, self._indices = times, indices
        self._phase, self._slope, self._overflow = phase * divider, slope * divider, overflow
        self._interval, self._last_dim = interval, last_dim
        self._overflow_samples = overflow_samples
        self._reference_phase, self._reference_time = reference_phase * divider, reference_time
        self._aligned = aligned

    def _layout(self, array: np.ndarray) -> np.ndarray:
        return np.ascontiguousarray(array.T) if self._last_dim else array

    @property
    def size(self) -> int:
        """Number of sampling points in the object."""
        return int(self._times.size)

    @property
    def sample_offset(self) -> int:
        """Index of the first sampling point of the object."""
        return int(self._indices[0]) if self._indices.size else 0

    @property
    def sampling_interval(self) -> int:
        """The sampling interval (ps)."""
        return self._interval

    @property
    def overflow_samples(self) -> int:
        """Sampling points an overflow touched since the start."""
        return self._overflow_samples

    @property
    def channels_last_dim(self) -> bool:
        """True: arrays are sampling points x channels; False: channels x sampling points."""
        return self._last_dim

    @property
    def align_to_reference(self) -> bool:
        """True if the reference clock was locked (the sampling grid is its time base)."""
        return self._aligned

    def getIndex(self) -> np.ndarray:
        """The index of each sampling point (int64): the grid point number since the start."""
        return self._indices.copy()

    def getTime(self) -> np.ndarray:
        """The timestamps of the sampling points (int64, ps)."""
        return self._times.copy()

    def getPeriodsCount(self) -> np.ndarray:
        """Full periods at each sampling point (int64; the integer part of the phase)."""
        return self._layout(np.floor(np.nan_to_num(self._phase)).astype(np.int64))

    def getPeriodsFraction(self) -> np.ndarray:
        """The fraction of the current period at each sampling point, in [0, 1) (float64)."""
        return self._layout(self._phase - np.floor(self._phase))

    def getPhase(self, reference_frequency: float = 0) -> np.ndarray:
        """Phase (cycles) relative to a reference signal at ``reference_frequency`` Hz that is at
        phase 0 at the first sampling point of the measurement (float64)."""
        ref = float(reference_frequency) * (self._times - self._reference_time) * 1e-12
        origin = np.floor(self._reference_phase)[:, None]
        return self._layout(self._phase - origin - ref[None, :])

    def getFrequency(self, time_scale: int = 1_000_000_000_000) -> np.ndarray:
        """Periods per ``time_scale`` ps between consecutive sampling points (negative: per sampling
        interval); NaN at index 0 (float64)."""
        scale = self._interval if time_scale < 0 else time_scale
        freq = np.full(self._phase.shape, np.nan)
        freq[:, 1:] = np.diff(self._phase, axis=1) * (scale / self._interval)
        return self._layout(freq)

    def getFrequencyInstantaneous(self) -> np.ndarray:
        """The slope of the fit at each sampling point (Hz, float64)."""
        return self._layout(self._slope * 1e12)

    def getOverflowMask(self) -> np.ndarray:
        """1 where an overflow touched the fitting window (the values are invalid) (int8)."""
        return self._layout(np.broadcast_to(self._overflow.astype(np.int8), self._phase.shape).copy())


class FrequencyCounter(IteratorBase):
    """Phase and frequency of each channel at sampling points ``k * sampling_interval`` (stream time),
    fitted to the tags within ``fitting_window`` around each point (+-window/2)."""

    def __init__(self, tagger: TimeTaggerBase, channels: list[int], sampling_interval: int, fitting_window: int,
                 n_values: int = 0) -> None:
        super().__init__(tagger)
        self._channel_array = _checked_channels(tagger, channels)
        self._interval = validation.positive_int("sampling_interval", sampling_interval, "ps")
        self._half = validation.positive_int("fitting_window", fitting_window, "ps") // 2
        n = validation.integer("n_values", n_values)
        if n < 0:
            raise ValueError(f"n_values must be 0 (up to {MAX_SAMPLES}) or positive, got {n}")
        self._capacity = validation.budget("n_values x channels", (n or MAX_SAMPLES), 24 * self._channel_array.size)
        self._clear_data()
        self._register()

    def _channels(self) -> set[int]:
        return set(self._channel_array.tolist())

    def _clear_data(self) -> None:
        n_ch = self._channel_array.size
        self._tags = [_EMPTY for _ in range(n_ch)]
        self._counts = [_EMPTY for _ in range(n_ch)]
        self._seen = np.zeros(n_ch, np.int64)
        self._next: int | None = None
        self._first_index: int | None = None
        self._gaps: list[tuple[int, int]] = []
        self._rows: list[tuple] = []
        self._overflow_samples = 0
        self._reference: tuple[np.ndarray, int] | None = None

    def _process(self, ts: np.ndarray, ch: np.ndarray, t0: int, t1: int) -> None:
        if self._next is None:
            self._next = -(-(t0 + self._half) // self._interval)
        for k, channel in enumerate(self._channel_array.tolist()):
            mine = ts[ch == channel]
            self._tags[k] = np.concatenate((self._tags[k], mine))
            self._counts[k] = np.concatenate((self._counts[k], self._seen[k] + np.arange(mine.size)))
            self._seen[k] += mine.size
        last = (t1 - 1 - self._half) // self._interval
        if last >= self._next:
            self._sample(np.arange(self._next, last + 1, dtype=np.int64))
            self._next = last + 1
        horizon = self._next * self._interval - self._half
        for k in range(self._channel_array.size):
            keep = int(np.searchsorted(self._tags[k], horizon, side="left"))
            self._tags[k], self._counts[k] = self._tags[k][keep:], self._counts[k][keep:]
        self._gaps = [g for g in self._gaps if g[1] > horizon]

    def _gap(self, gap: Gap) -> None:
        self._gaps.append((gap.begin, gap.end))
        self._process(_EMPTY, np.empty(0, np.int32), gap.begin, gap.end)

    def _sample(self, grid: np.ndarray) -> None:
        times = grid * self._interval
        phase = np.empty((self._channel_array.size, times.size))
        slope = np.empty_like(phase)
        for k in range(self._channel_array.size):
            kf.phase_fits(self._tags[k], self._counts[k], times, self._half, phase[k], slope[k])
        overflow = np.zeros(times.size, bool)
        for begin, end in self._gaps:
            overflow |= (times - self._half < end) & (times + self._half >= begin)
        self._overflow_samples += int(overflow.sum())
        if self._first_index is None:
            self._first_index = int(grid[0])
            self._reference = (phase[:, 0].copy(), int(times[0]))
        self._rows.append((times, grid - self._first_index, phase, slope, overflow))
        while sum(r[0].size for r in self._rows) > self._capacity:
            excess = sum(r[0].size for r in self._rows) - self._capacity
            head = self._rows[0]
            if head[0].size <= excess:
                self._rows.pop(0)
            else:
                self._rows[0] = (head[0][excess:], head[1][excess:], head[2][:, excess:], head[3][:, excess:],
                                 head[4][excess:])

    def getDataObject(self, event_divider: int = 1, remove: bool = False,
                      channels_last_dim: bool = False) -> FrequencyCounterData:
        """The sampling points so far; ``event_divider`` scales periods back to the undivided signal,
        ``remove`` takes them out of the buffer."""
        divider = validation.positive_int("event_divider", event_divider)
        with self._engine.lock:
            n_ch = self._channel_array.size
            if self._rows:
                times, indices = (np.concatenate([r[i] for r in self._rows]) for i in (0, 1))
                phase, slope = (np.concatenate([r[i] for r in self._rows], axis=1) for i in (2, 3))
                overflow = np.concatenate([r[4] for r in self._rows])
            else:
                times = indices = _EMPTY
                phase = slope = np.empty((n_ch, 0))
                overflow = np.empty(0, bool)
            if remove:
                self._rows = []
            reference = self._reference or (np.zeros(n_ch), 0)
            aligned = self._tagger._clock.locked
            return FrequencyCounterData(times, indices, phase, slope, overflow, self._interval, divider,
                                        bool(channels_last_dim), self._overflow_samples, reference[0],
                                        reference[1], aligned)

    def _parameters(self) -> dict:
        return {"channels": self._channel_array.tolist(), "sampling_interval": self._interval,
                "fitting_window": 2 * self._half, "n_values": self._capacity}


# -- FrequencyStability -------------------------------------------------------------------------------
class FrequencyStabilityData:
    """Stability metrics of a ``FrequencyStability`` at one instant (seconds; tau in seconds)."""

    def __init__(self, tau: np.ndarray, steps: np.ndarray, sums: np.ndarray, trace: np.ndarray,
                 average: int) -> None:
        self._tau, self._steps, self._sums = tau, steps.astype(np.float64), sums
        self._trace = trace
        self._average = average

    def _ratio(self, col: int, factor: np.ndarray) -> np.ndarray:
        with np.errstate(divide="ignore", invalid="ignore"):
            return np.where(self._sums[:, col + 1] > 0,
                            np.sqrt(self._sums[:, col] / (factor * np.maximum(self._sums[:, col + 1], 1))), np.nan)

    def getTau(self) -> np.ndarray:
        """tau of each step: step x average x the measured mean period (s)."""
        return self._tau.copy()

    def getADEV(self) -> np.ndarray:
        """The overlapping Allan deviation."""
        return self._ratio(0, 2 * self._tau ** 2)

    def getMDEV(self) -> np.ndarray:
        """The modified Allan deviation."""
        return self._ratio(2, 2 * self._steps ** 2 * self._tau ** 2)

    def getHDEV(self) -> np.ndarray:
        """The overlapping Hadamard deviation (scaled to match ADEV for white period noise)."""
        return self._ratio(4, 6 * self._tau ** 2)

    def getSTDD(self) -> np.ndarray:
        """The standard deviation of the n-sample periods (s)."""
        n = np.maximum(self._sums[:, 8], 1)
        mean = self._sums[:, 6] / n
        with np.errstate(invalid="ignore"):
            return np.where(self._sums[:, 8] > 1, np.sqrt(np.maximum(self._sums[:, 7] / n - mean ** 2, 0)), np.nan)

    def getADEVScaled(self) -> np.ndarray:
        """ADEV * tau / sqrt(3) (time domain)."""
        return self.getADEV() * self._tau / math.sqrt(3)

    def getTDEV(self) -> np.ndarray:
        """The time deviation, MDEV * tau / sqrt(3)."""
        return self.getMDEV() * self._tau / math.sqrt(3)

    def getHDEVScaled(self) -> np.ndarray:
        """HDEV * tau / sqrt(10 / 3)."""
        return self.getHDEV() * self._tau / math.sqrt(10 / 3)

    def getTraceIndex(self) -> np.ndarray:
        """Time (s) of each trace point since the measurement's first tag."""
        return self._trace[1:].copy()

    def getTracePhase(self) -> np.ndarray:
        """Offset (s) of the averaged timestamps from a line fitted through the trace."""
        t = self._trace[1:]
        if t.size < 2:
            return np.zeros(t.size)
        k = np.arange(t.size, dtype=np.float64)
        return t - np.polyval(np.polyfit(k, t, 1), k)

    def _frequencies(self) -> np.ndarray:
        return self._average / np.diff(self._trace)

    def getTraceFrequency(self) -> np.ndarray:
        """Relative frequency offset from the trace's mean frequency (pp1)."""
        f = self._frequencies()
        return f / f.mean() - 1 if f.size else f

    def getTraceFrequencyAbsolute(self, input_frequency: float = 0.0) -> np.ndarray:
        """Frequency (Hz) of each trace point minus ``input_frequency``."""
        return self._frequencies() - float(input_frequency)


class FrequencyStability(IteratorBase):
    """ADEV, MDEV, HDEV, STDD (and scaled forms) of a periodic signal for each of ``steps``, on phase
    samples that average ``average`` timestamps each; a trace of the last ``trace_len`` samples.

    The sums run as the data come, on residuals from a fixed period estimate (precision does not
    degrade with the run length); memory is bounded by 3 x max(steps) samples.
    """

    def __init__(self, tagger: TimeTaggerBase, channel: int, steps: list[int], average: int = 1000,
                 trace_len: int = 1000) -> None:
        super().__init__(tagger)
        self._channel = tagger._check_channel("channel", channel)
        values = [validation.positive_int("steps", s) for s in validation.channel_list("steps", steps)]
        if not values:
            raise ValueError("steps must list at least one step")
        self._steps = np.array(values, np.int64)
        self._average = validation.positive_int("average", average)
        self._trace_len = validation.positive_int("trace_len", trace_len)
        validation.budget("3 x max(steps) + trace_len", 3 * int(self._steps.max()) + 2 + self._trace_len, 16)
        self._clear_data()
        self._register()

    def _channels(self) -> set[int]:
        return {self._channel}

    def _clear_data(self) -> None:
        size = 3 * int(self._steps.max()) + 2
        self._ring = np.zeros(size)
        self._prefix = np.zeros(size)
        self._sums = np.zeros((self._steps.size, 9))
        self._count = 0
        self._pending = _EMPTY                    # timestamps of the group being averaged
        self._origin: int | None = None
        self._period: int | None = None           # per averaged sample (ps), fixed once known
        self._tags, self._first, self._last = 0, 0, 0
        self._trace = np.empty(0)

    def _process(self, ts: np.ndarray, ch: np.ndarray, t0: int, t1: int) -> None:
        mine = ts[ch == self._channel]
        if not mine.size:
            return
        if self._origin is None:
            self._origin, self._first = int(mine[0]), int(mine[0])
        self._tags += mine.size
        self._last = int(mine[-1])
        tags = np.concatenate((self._pending, mine)) if self._pending.size else mine
        n_groups = tags.size // self._average
        self._pending = tags[n_groups * self._average:]
        if not n_groups:
            return
        groups = tags[:n_groups * self._average].reshape(n_groups, self._average) - self._origin
        firsts = groups[:, 0]
        means = firsts + (groups - firsts[:, None]).mean(axis=1)     # exact int part, float remainder
        if self._period is None:
            self._period = int(round(np.mean(np.diff(groups[0])) * self._average)) if self._average > 1 else \
                int(round(np.mean(np.diff(firsts)))) if firsts.size > 1 else int(firsts[0])
            self._period = max(self._period, 1)
        index = self._count + np.arange(n_groups, dtype=np.int64)
        residual = (firsts - index * self._period) + (means - firsts)            # ps, small
        self._count = kf.stability_sums(self._ring, self._prefix, self._count, residual * 1e-12,
                                        self._steps, self._sums)
        self._trace = np.concatenate((self._trace, means * 1e-12))[-(self._trace_len + 1):]

    def getDataObject(self) -> FrequencyStabilityData:
        """The metrics so far."""
        with self._engine.lock:
            period = (self._last - self._first) / (self._tags - 1) * 1e-12 if self._tags > 1 else 0.0
            tau = self._steps * self._average * period
            return FrequencyStabilityData(tau.astype(np.float64), self._steps, self._sums.copy(),
                                          self._trace.copy(), self._average)

    def _parameters(self) -> dict:
        return {"channel": self._channel, "steps": self._steps.tolist(), "average": self._average,
                "trace_len": self._trace_len}


# -- PhaseNoise -----------------------------------------------------------------------------------------
class PhaseNoiseData:
    """The phase-noise spectrum of a ``PhaseNoise`` at one instant."""

    def __init__(self, offsets: np.ndarray, psd_x: np.ndarray, counts: np.ndarray, carrier: float) -> None:
        self._offsets, self._psd_x, self._counts, self._carrier = offsets, psd_x, counts, carrier

    def getOffset(self) -> np.ndarray:
        """The frequency offset of each spectral sample (Hz, ascending)."""
        return self._offsets.copy()

    def getPhaseNoise(self) -> np.ndarray:
        """L(f) in dBc/Hz: 10 log10(S_phi / 2), S_phi = (2 pi f0)^2 S_x."""
        with np.errstate(divide="ignore"):
            return 10 * np.log10((2 * np.pi * self._carrier) ** 2 * self._psd_x / 2)

    def getAveragedSequences(self) -> np.ndarray:
        """How many sequences each spectral sample averages (uint64)."""
        return self._counts.astype(np.uint64)

    def getFrequency(self) -> float:
        """The mean carrier frequency (Hz)."""
        return self._carrier

    def getIntegratedJitter(self, lower_bound: float = 12000.0, upper_bound: float = -1.0) -> float:
        """RMS jitter (s): the square root of the time-fluctuation PSD integrated over the offsets
        from ``lower_bound`` to ``upper_bound`` Hz (negative: up to the Nyquist frequency)."""
        upper = self._carrier / 2 if upper_bound < 0 else upper_bound
        if not self._offsets.size:
            return 0.0
        widths = np.gradient(self._offsets) if self._offsets.size > 1 else np.ones(1)
        inside = (self._offsets >= lower_bound) & (self._offsets <= upper)
        return float(np.sqrt(np.sum(self._psd_x[inside] * widths[inside])))


class PhaseNoise(IteratorBase):
    """Welch phase-noise estimate of a periodic signal, ``samples_per_octave`` samples per octave.

    Sequences of NFFT = 4 x samples_per_octave timestamps, 50% overlap, linear detrend, Hann window;
    the upper half of each FFT is kept; lower octaves come from recursively averaged pairs of
    timestamps, as the library documents.
    """

    def __init__(self, tagger: TimeTaggerBase, channel: int, samples_per_octave: int = 32) -> None:
        super().__init__(tagger)
        self._channel = tagger._check_channel("channel", channel)
        self._spo = validation.positive_int("samples_per_octave", samples_per_octave)
        validation.budget("samples_per_octave", self._spo * 64 * 4, 24)
        self._nfft = 4 * self._spo
        window = np.hanning(self._nfft)
        self._window, self._wsum = window, float(np.sum(window ** 2))
        self._clear_data()
        self._register()

    def _channels(self) -> set[int]:
        return {self._channel}

    def _clear_data(self) -> None:
        self._levels: list[dict] = []
        self._origin: int | None = None
        self._tags, self._first, self._last = 0, 0, 0

    def _level(self, level: int) -> dict:
        while len(self._levels) <= level:
            self._levels.append({"buffer": np.empty(0), "carry": np.empty(0), "psd": np.zeros(self._nfft // 4),
                                 "count": 0})
        return self._levels[level]

    def _feed_level(self, level: int, samples: np.ndarray) -> None:
        """Add timestamps (ps, relative) to a decimation level: spectra of full sequences, then halve."""
        if not samples.size:
            return
        state = self._level(level)
        buffer = np.concatenate((state["buffer"], samples))
        step = self._nfft // 2
        k = np.arange(self._nfft, dtype=np.float64)
        while buffer.size >= self._nfft:
            seq = buffer[:self._nfft] * 1e-12
            detrended = seq - np.polyval(np.polyfit(k, seq, 1), k)
            spectrum = np.abs(np.fft.rfft(detrended * self._window)) ** 2
            state["psd"] += spectrum[self._nfft // 4:self._nfft // 2]
            state["count"] += 1
            buffer = buffer[step:]
        state["buffer"] = buffer
        pairs = np.concatenate((state["carry"], samples))
        n = pairs.size // 2 * 2
        state["carry"] = pairs[n:]
        self._feed_level(level + 1, pairs[:n].reshape(-1, 2).mean(axis=1))

    def _process(self, ts: np.ndarray, ch: np.ndarray, t0: int, t1: int) -> None:
        mine = ts[ch == self._channel]
        if not mine.size:
            return
        if self._origin is None:
            self._origin, self._first = int(mine[0]), int(mine[0])
        self._tags += mine.size
        self._last = int(mine[-1])
        self._feed_level(0, (mine - self._origin).astype(np.float64))

    def getDataObject(self) -> PhaseNoiseData:
        """The spectrum so far."""
        with self._engine.lock:
            if self._tags < 2:
                return PhaseNoiseData(np.empty(0), np.empty(0), np.empty(0), 0.0)
            period = (self._last - self._first) / (self._tags - 1) * 1e-12
            carrier = 1 / period
            offsets, psd, counts = [], [], []
            for level, state in enumerate(self._levels):
                if not state["count"]:
                    continue
                fs = carrier / 2 ** level
                bins = np.arange(self._nfft // 4, self._nfft // 2)
                offsets.append(bins * fs / self._nfft)
                psd.append(2 * state["psd"] / state["count"] / (fs * self._wsum))
                counts.append(np.full(bins.size, state["count"]))
            order = np.argsort(np.concatenate(offsets)) if offsets else np.empty(0, int)
            join = (lambda parts: np.concatenate(parts)[order]) if offsets else (lambda parts: np.empty(0))
            return PhaseNoiseData(join(offsets), join(psd), join(counts), carrier)

    def _parameters(self) -> dict:
        return {"channel": self._channel, "samples_per_octave": self._spo}


# -- PulsePerSecondMonitor ---------------------------------------------------------------------------
class PulsePerSecondData:
    """The reference pulses of a ``PulsePerSecondMonitor`` and the signals' offsets to them."""

    def __init__(self, rows: list[tuple]) -> None:
        self._rows = rows

    @property
    def size(self) -> int:
        """Number of reference pulses in the object."""
        return len(self._rows)

    def _column(self, k: int, dtype) -> np.ndarray:
        return np.array([r[k] for r in self._rows], dtype)

    def getIndices(self) -> np.ndarray:
        """Index of each reference pulse (0: the first; missing pulses are counted) (int64)."""
        return self._column(0, np.int64)

    def getReferenceOffsets(self) -> np.ndarray:
        """Interval to the previous reference pulse minus the period (ps; 0 first, NaN after a missing one)."""
        return self._column(1, np.float64)

    def getSignalOffsets(self) -> np.ndarray:
        """Per reference pulse the offset (ps) of each signal channel's pulse (NaN if missing)."""
        return np.array([r[2] for r in self._rows], np.float64).reshape(self.size, -1)

    def getStatus(self) -> np.ndarray:
        """True where every signal and the reference were present."""
        return self._column(3, bool)

    def getUtcSeconds(self) -> np.ndarray:
        """System time (s since 1970, UTC) at which each reference pulse was processed."""
        return self._column(4, np.float64)

    def getUtcDates(self) -> list[str]:
        """The same as ISO 8601 text, YYYY-MM-DD hh:mm:ss.ssssss (UTC)."""
        return [datetime.datetime.fromtimestamp(r[4], datetime.timezone.utc).strftime("%Y-%m-%d %H:%M:%S.%f")
                for r in self._rows]


class PulsePerSecondMonitor(IteratorBase):
    """Offsets of PPS ``signal_channels`` to each pulse of ``reference_channel``, and of the reference to
    its expected ``period``; a signal pulse belongs to the reference pulse it is within half a period
    of. With ``filename``, each reference pulse is also appended to that CSV file."""

    def __init__(self, tagger: TimeTaggerBase, reference_channel: int, signal_channels: list[int],
                 filename: str = "", period: int = 1_000_000_000_000) -> None:
        super().__init__(tagger)
        self._reference = tagger._check_channel("reference_channel", reference_channel)
        self._signals = _checked_channels(tagger, signal_channels)
        self._period = validation.positive_int("period", period, "ps")
        if not isinstance(filename, str):
            raise TypeError(f"filename must be a string, got {filename!r}")
        self._filename = filename
        if filename:
            with open(filename, "w") as handle:
                handle.write("index,utc," + ",".join(["reference_offset"] + [f"offset_{c}" for c in
                                                                             self._signals.tolist()]) + ",status\n")
        self._clear_data()
        self._register()

    def _channels(self) -> set[int]:
        return {self._reference, *self._signals.tolist()}

    def _clear_data(self) -> None:
        self._rows: list[tuple] = []
        self._pending: list[int] = []                       # reference pulses waiting for their signals
        self._signal_tags = [_EMPTY for _ in self._signals.tolist()]
        self._previous: int | None = None
        self._index = -1

    def _process(self, ts: np.ndarray, ch: np.ndarray, t0: int, t1: int) -> None:
        self._pending += ts[ch == self._reference].tolist()
        half = self._period // 2
        for k, channel in enumerate(self._signals.tolist()):
            self._signal_tags[k] = np.concatenate((self._signal_tags[k], ts[ch == channel]))
        while self._pending and self._pending[0] + half < t1:
            self._decide(self._pending.pop(0), half)
        horizon = (self._pending[0] if self._pending else t1) - half
        for k in range(len(self._signal_tags)):
            self._signal_tags[k] = self._signal_tags[k][self._signal_tags[k] > horizon - half]

    def _decide(self, ref: int, half: int) -> None:
        if self._previous is None:
            self._index, offset, complete = 0, 0.0, True
        else:
            missed = int(round((ref - self._previous) / self._period)) - 1
            self._index += 1 + max(missed, 0)
            offset = float(ref - self._previous - self._period) if missed <= 0 else math.nan
            complete = missed <= 0
        self._previous = ref
        offsets = []
        for tags in self._signal_tags:
            near = tags[(tags > ref - half) & (tags <= ref + half)]
            offsets.append(float(near[np.argmin(np.abs(near - ref))] - ref) if near.size else math.nan)
        complete = complete and not any(math.isnan(o) for o in offsets)
        row = (self._index, offset, offsets, complete, time.time())
        self._rows.append(row)
        if self._filename:
            with open(self._filename, "a") as handle:
                handle.write(",".join(str(v) for v in [row[0], PulsePerSecondData([row]).getUtcDates()[0], offset,
                                                       *offsets, int(complete)]) + "\n")

    def getDataObject(self, remove: bool = False) -> PulsePerSecondData:
        """The reference pulses so far (``remove``: taken out of the internal buffer)."""
        with self._engine.lock:
            data = PulsePerSecondData(list(self._rows))
            if remove:
                self._rows = []
            return data

    def _parameters(self) -> dict:
        return {"reference_channel": self._reference, "signal_channels": self._signals.tolist(),
                "filename": self._filename, "period": self._period}
