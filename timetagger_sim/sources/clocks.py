"""Periodic simulated signals: ``PatternSignalGenerator`` (a fixed sequence of intervals, once or
repeated) and ``OscillatorSimulation`` (a clock with the usual oscillator noise types and drift)."""
from __future__ import annotations

import numpy as np

from .. import validation
from ..constants import CHANNEL_UNUSED
from ..kernels import sources as ks
from ..taggers.base import TimeTaggerBase
from .base import SignalGeneratorBase

_EMPTY = np.empty(0, np.int64)
#: Most intervals in one pattern.
MAX_PATTERN_LENGTH = 1 << 20
#: Octaves of the flicker-noise approximation (correlation times 1 .. 2^19 ticks).
FLICKER_OCTAVES = 20
#: Ticks simulated at once (bounds the memory of the noise deviates).
OSCILLATOR_CHUNK = 1 << 15
#: Highest simulated oscillator frequency.
MAX_OSCILLATOR_HZ = 1e9


class PatternSignalGenerator(SignalGeneratorBase):
    """Pulses following ``sequence``, read as successive intervals (ps): the first pulse comes
    ``start_delay`` + ``sequence[0]`` after the generator starts, each next one ``sequence[i]``
    after the previous. With ``repeat`` the sequence starts over ``spacing`` ps after its last
    pulse, else it runs once.

    The library calls ``sequence`` "offsets ... used continuously"; reading them as intervals
    (so a pattern is never emitted twice at one instant) is the simulator's choice.
    """

    def __init__(self, tagger: TimeTaggerBase, sequence: list[int], repeat: bool = False, start_delay: int = 0,
                 spacing: int = 0, base_channel: int = CHANNEL_UNUSED) -> None:
        values = [validation.integer("sequence", v) for v in np.atleast_1d(np.asarray(sequence, dtype=object)).tolist()]
        if not values or len(values) > MAX_PATTERN_LENGTH or min(values) < 0:
            raise ValueError(f"sequence must hold 1 to {MAX_PATTERN_LENGTH} intervals >= 0 ps")
        self._sequence = np.array(values, np.int64)
        self._repeat = bool(repeat)
        self._start_delay = validation.integer("start_delay", start_delay)
        self._spacing = validation.integer("spacing", spacing)
        if self._start_delay < 0 or self._spacing < 0:
            raise ValueError(f"start_delay {self._start_delay} ps and spacing {self._spacing} ps must be >= 0")
        self._offsets = np.cumsum(self._sequence)
        self._period = int(self._offsets[-1]) + self._spacing
        if self._repeat and self._period <= 0:
            raise ValueError("a repeated pattern needs a positive duration: sum(sequence) + spacing > 0")
        self._origin: int | None = None
        self._done = 0                         # pulses emitted so far (counting over repetitions)
        super().__init__(tagger, base_channel, -1)

    def _times(self, a0: int, a1: int) -> np.ndarray:
        if self._origin is None:
            self._origin = a0 + self._start_delay
        size = self._offsets.size
        total = None if self._repeat else size
        out = []
        while total is None or self._done < total:
            rep, index = divmod(self._done, size)
            start = self._origin + rep * self._period
            if start + int(self._offsets[index]) >= a1:
                break
            times = start + self._offsets[index:]
            cut = int(np.searchsorted(times, a1, side="left"))
            out.append(times[:cut])
            self._done += cut
            if cut < times.size:
                break
        if not out:
            return _EMPTY
        return np.concatenate(out)

    def _parameters(self) -> dict:
        return {"sequence": self._sequence.tolist(), "repeat": self._repeat, "start_delay": self._start_delay,
                "spacing": self._spacing, "base_channel": self._channel}


class OscillatorSimulation(SignalGeneratorBase):
    """Ticks of an oscillator at ``nominal_frequency`` Hz whose phase deviation x(t) (seconds) is
    the sum of the usual noise types (IEEE 1139):

    * white phase noise: RMS ``coeff_phase_white`` (s) per tick;
    * flicker phase noise: ``coeff_phase_flicker`` (s) RMS per octave of correlation time;
    * white frequency noise: x random-walks, ``coeff_freq_white`` (sqrt(s)): the Allan deviation is
      ``coeff_freq_white / sqrt(tau)``;
    * flicker frequency noise: ``coeff_freq_flicker`` fractional frequency RMS per octave (flat
      Allan deviation);
    * random-walk frequency noise: the fractional frequency random-walks, ``coeff_random_drift``
      (1/sqrt(s)) per sqrt(s);
    * linear drift: the fractional frequency grows by ``coeff_linear_drift`` (1/s), x = c t^2 / 2.

    Flicker noise is approximated by one first-order process per octave (2^0 .. 2^19 ticks).
    """

    def __init__(self, tagger: TimeTaggerBase, nominal_frequency: float, coeff_phase_white: float = 0.0,
                 coeff_phase_flicker: float = 0.0, coeff_freq_white: float = 0.0, coeff_freq_flicker: float = 0.0,
                 coeff_random_drift: float = 0.0, coeff_linear_drift: float = 0.0,
                 base_channel: int = CHANNEL_UNUSED, seed: int = -1) -> None:
        self._f0 = validation.in_range("nominal_frequency", nominal_frequency, 1e-3, MAX_OSCILLATOR_HZ, "Hz")
        self._c = [validation.in_range(name, value, 0.0, 1.0) for name, value in (
            ("coeff_phase_white", coeff_phase_white), ("coeff_phase_flicker", coeff_phase_flicker),
            ("coeff_freq_white", coeff_freq_white), ("coeff_freq_flicker", coeff_freq_flicker),
            ("coeff_random_drift", coeff_random_drift))]
        self._c_ld = validation.in_range("coeff_linear_drift", coeff_linear_drift, -1.0, 1.0)
        self._octaves = np.exp(-1.0 / 2.0 ** np.arange(FLICKER_OCTAVES))
        self._state = np.zeros(2 + 2 * FLICKER_OCTAVES)
        self._tick = 0
        self._origin: int | None = None
        super().__init__(tagger, base_channel, seed)

    def _times(self, a0: int, a1: int) -> np.ndarray:
        if self._origin is None:
            self._origin = a0
        period_ps = 1e12 / self._f0
        # the ticks whose nominal time falls before a1 (noise moves them by far less than a period)
        last = int(np.ceil((a1 - self._origin) / period_ps))
        parts = []
        while self._tick < last:
            n = min(last - self._tick, OSCILLATOR_CHUNK)
            k = np.arange(self._tick, self._tick + n, dtype=np.float64)
            x = self._phase(k / self._f0)
            self._tick += n
            parts.append(self._origin + np.rint(k * period_ps + x * 1e12).astype(np.int64))
        if not parts:
            return _EMPTY
        return np.sort(np.concatenate(parts))

    def _phase(self, nominal_s: np.ndarray) -> np.ndarray:
        n, m = nominal_s.size, FLICKER_OCTAVES
        c_wp, c_fp, c_wf, c_ff, c_rw = self._c

        def draw(coefficient: float, per_octave: bool = False) -> np.ndarray:
            if coefficient <= 0:
                return np.empty((0, m)) if per_octave else np.empty(0)
            return self._rng.standard_normal((n, m) if per_octave else n)

        return ks.oscillator(nominal_s, 1.0 / self._f0, c_wp, c_fp, c_wf, c_ff, c_rw, self._c_ld, self._state,
                             self._octaves, draw(c_wp), draw(c_fp, True), draw(c_wf), draw(c_ff, True), draw(c_rw))

    def _parameters(self) -> dict:
        names = ("coeff_phase_white", "coeff_phase_flicker", "coeff_freq_white", "coeff_freq_flicker",
                 "coeff_random_drift")
        return {"nominal_frequency": self._f0, **dict(zip(names, self._c)), "coeff_linear_drift": self._c_ld,
                "base_channel": self._channel}
