"""Photons from a fluctuating intensity: ``PhotonGenerator`` (the base: override ``get_intensity``),
``FcsSignalGenerator`` (particles diffusing through a focus) and ``DlsSignalGenerator`` (light
scattered by moving particles).

A ``PhotonGenerator`` divides time into periods of ``get_T_PERIOD()`` ps. For each period it asks
for the relative intensity (mean 1 for a source of ``countrate`` Hz on average) and emits a
Poisson number of photons of mean ``countrate * intensity * T`` at uniform times in the period.
A Python subclass either overrides ``get_intensity()`` (called once per period, in time order)
or ``get_next()`` (the time of each next photon, ps). The built-in models compute their
intensities block-wise; their photon statistics are those of the physics they model:

* FCS: the number of particles in the focus is that of an M/M/infinity queue (Poisson arrivals,
  exponential stay of mean ``correlation_time``), mean ``N_focus``; intensity = N / N_focus, so
  g2(tau) = 1 + exp(-tau / correlation_time) / N_focus.
* DLS: the scattered field is a complex Gaussian (many scatterers) with exponential field
  correlation; intensity = |E|^2 (exponentially distributed, speckle), so by the Siegert relation
  g2(tau) = 1 + exp(-tau / decay_time) for one decay time; several decay times are independent
  field components of equal weight: g2 - 1 = (mean_k exp(-tau / (2 decay_time_k)))^2.

Times (``correlation_time``, ``decay_time``) are in seconds, rates in Hz, ``T_PERIOD`` in ps.
"""
from __future__ import annotations

import numpy as np

from .. import validation
from ..constants import CHANNEL_UNUSED
from ..kernels import sources as ks
from ..taggers.base import TimeTaggerBase
from .base import SignalGeneratorBase

_EMPTY = np.empty(0, np.int64)
#: Period of the intensity updates unless a model or ``set_T_PERIOD`` chooses another (ps).
DEFAULT_T_PERIOD_PS = 1_000_000
#: Periods computed at once (bounds the memory per block).
PERIOD_CHUNK = 1 << 16
#: ``get_next`` gives up after this many chunks of periods without a photon (and returns NO_PHOTON).
GET_NEXT_MAX_CHUNKS = 16
#: What ``get_next`` returns when the intensity stays 0.
NO_PHOTON = (1 << 62)
#: Intensity periods per correlation/decay time of the built-in models.
PERIODS_PER_CORRELATION_TIME = 50


class PhotonGenerator(SignalGeneratorBase):
    """Photons at ``countrate`` Hz times the relative intensity ``get_intensity()``, updated every
    ``get_T_PERIOD()`` ps; subclass it and override ``get_intensity`` to model a process."""

    def __init__(self, tagger: TimeTaggerBase, countrate: float, base_channel: int = CHANNEL_UNUSED,
                 seed: int = -1) -> None:
        with tagger._live_engine().lock:          # the stream starts with a complete object
            self._countrate = validation.in_range("countrate", countrate, 0.0, 1e12, "Hz")
            if not hasattr(self, "_period_ps"):
                self._period_ps = DEFAULT_T_PERIOD_PS
            self._period_start: int | None = None
            self._buffer = _EMPTY
            self._next_photon: int | None = None
            self._restart = False
            self._intensity = 1.0
            super().__init__(tagger, base_channel, seed)
            self.finalize_init()

    # -- the library's hooks -------------------------------------------------------------------
    def finalize_init(self) -> None:
        """Called once at the end of construction (override to finish a subclass's setup)."""

    def initialize(self, initial_time: int) -> None:
        """Start the period grid at ``initial_time`` (ps); called before the first photon."""
        self._period_start = validation.integer("initial_time", initial_time)
        self._buffer = _EMPTY
        self._next_photon = None

    def on_restart(self, restart_time: int) -> None:
        """Called when the generator runs again after a stop: the grid restarts at ``restart_time``."""
        self.initialize(restart_time)

    def on_start(self) -> None:
        """Called when the generator starts."""

    def pre_stop(self) -> None:
        """Called before the generator stops."""

    def on_stop(self) -> None:
        """Called when the generator has stopped."""

    def clear_impl(self) -> None:
        """Called by ``clear()``: reset accumulated state (the generator keeps none by default)."""

    def get_T_PERIOD(self) -> int:
        """The intensity update period (ps)."""
        return self._period_ps

    def set_T_PERIOD(self, new_T: int) -> None:
        """Set the intensity update period (ps); applies from the next period on."""
        value = validation.positive_int("new_T", new_T, "ps")
        with self._engine.lock:
            self._period_ps = value

    def get_intensity(self) -> float:
        """The relative intensity of the next period (mean 1 for ``countrate`` on average).
        Constant 1 here: Poissonian photons; the built-in models return their current value."""
        return self._intensity

    def get_next(self) -> int:
        """The time (ps) of the next photon, from the intensity of each period."""
        with self._engine.lock:
            if self._period_start is None:
                self.initialize(0)
            for _ in range(GET_NEXT_MAX_CHUNKS):
                if self._buffer.size:
                    photon, self._buffer = int(self._buffer[0]), self._buffer[1:]
                    return photon
                self._generate(self._period_start + PERIOD_CHUNK * self._period_ps)
            return NO_PHOTON

    def next_impl(self, incoming_tags, begin_time: int, end_time: int) -> bool:
        """Emit the photons of [``begin_time``, ``end_time``) (ps); called by the simulated signal
        chain for each window, with ``incoming_tags`` = the pulse times already on this channel
        there (left unchanged). Returns whether the window holds photons of this generator."""
        if self._overridden("get_next"):
            photons = []
            if self._next_photon is None:
                self._next_photon = int(self.get_next())
            while self._next_photon < end_time:
                if self._next_photon >= begin_time:
                    photons.append(self._next_photon)
                self._next_photon = int(self.get_next())
            self._window_photons = np.array(photons, np.int64)
        else:
            self._generate(end_time)
            cut = int(np.searchsorted(self._buffer, end_time, side="left"))
            self._window_photons, self._buffer = self._buffer[:cut], self._buffer[cut:]
        return bool(self._window_photons.size)

    # -- simulator side ------------------------------------------------------------------------
    def _overridden(self, name: str) -> bool:
        return getattr(type(self), name) is not getattr(PhotonGenerator, name)

    def _on_start(self) -> None:
        self._restart = self._period_start is not None
        self.on_start()

    def _on_stop(self) -> None:
        self.pre_stop()
        self.on_stop()

    def _clear_data(self) -> None:
        self.clear_impl()

    def _intensities(self, n: int) -> np.ndarray:
        """Relative intensities of the next ``n`` periods (models override this vectorised form)."""
        if self._overridden("get_intensity"):
            return np.array([float(self.get_intensity()) for _ in range(n)])
        return np.full(n, self._intensity)

    def _generate(self, until: int) -> None:
        """Photons of every period that starts before ``until`` into the (sorted) buffer."""
        parts = [self._buffer]
        while self._period_start < until:
            period = self._period_ps
            n = min(-(-(until - self._period_start) // period), PERIOD_CHUNK)
            starts = self._period_start + np.arange(n, dtype=np.int64) * period
            intensity = np.maximum(self._intensities(n), 0.0)
            counts = self._rng.poisson(self._countrate * 1e-12 * period * intensity)
            photons = np.repeat(starts, counts) + np.floor(self._rng.random(int(counts.sum())) * period).astype(np.int64)
            parts.append(np.sort(photons))
            self._period_start += n * period
        self._buffer = np.concatenate(parts) if len(parts) > 1 else parts[0]

    def _times(self, a0: int, a1: int) -> np.ndarray:
        if self._period_start is None:
            self.initialize(a0)
        elif self._restart:
            self._restart = False
            self.on_restart(a0)
        self.next_impl(_EMPTY, a0, a1)
        return self._window_photons

    def _parameters(self) -> dict:
        return {"countrate": self._countrate, "base_channel": self._channel}


class FcsSignalGenerator(PhotonGenerator):
    """Fluorescence correlation spectroscopy: photons from ``N_focus`` particles on average in the
    focus, each staying an exponential time of mean ``correlation_time`` (s); ``countrate`` Hz on
    average. g2(tau) = 1 + exp(-tau / correlation_time) / N_focus."""

    def __init__(self, tagger: TimeTaggerBase, correlation_time: float, countrate: float, N_focus: float,
                 output_channel: int = CHANNEL_UNUSED, seed: int = -1) -> None:
        self._tau_ps = validation.in_range("correlation_time", correlation_time, 1e-10, 1e3, "s") * 1e12
        self._n_focus = validation.in_range("N_focus", N_focus, 1e-3, 1e6)
        self._period_ps = max(int(self._tau_ps / PERIODS_PER_CORRELATION_TIME), 1)
        self._boundary = np.inf
        self._deaths = None                      # departure times (ps) of the particles present
        self._n = 0
        super().__init__(tagger, countrate, output_channel, seed)

    def get_N(self) -> int:
        """The number of particles in the focus now."""
        return int(self._n)

    def set_boundary_limit(self, new_boundary: int) -> None:
        """Most particles the focus holds: the intensity saturates at ``new_boundary / N_focus``
        (the library does not document the parameter further; this is the simulator's reading)."""
        value = validation.positive_int("new_boundary", new_boundary)
        with self._engine.lock:
            self._boundary = value

    def _intensities(self, n: int) -> np.ndarray:
        period = self._period_ps
        start = self._period_start
        end = start + n * period
        rng = self._rng
        if self._deaths is None:                 # stationary start: Poisson(N_focus) particles
            self._deaths = start + rng.exponential(self._tau_ps, rng.poisson(self._n_focus))
        arrivals = np.sort(rng.uniform(start, end, rng.poisson(self._n_focus / self._tau_ps * n * period)))
        departures = arrivals + rng.exponential(self._tau_ps, arrivals.size)
        grid = start + np.arange(n, dtype=np.float64) * period
        old = np.sort(self._deaths)
        present = (old.size - np.searchsorted(old, grid, side="right")
                   + np.searchsorted(arrivals, grid, side="right")
                   - np.searchsorted(np.sort(departures), grid, side="right"))
        present = np.minimum(present, self._boundary)
        everyone = np.concatenate((old, departures))
        self._deaths = everyone[everyone > end]
        self._n = int(present[-1])
        self._intensity = float(present[-1]) / self._n_focus
        return present / self._n_focus

    def _parameters(self) -> dict:
        return {"correlation_time": self._tau_ps / 1e12, "countrate": self._countrate, "N_focus": self._n_focus,
                "output_channel": self._channel}


class DlsSignalGenerator(PhotonGenerator):
    """Dynamic light scattering: photons of a speckle intensity whose correlation decays with
    ``decay_time`` (s; or a list of decay times, equal-weight components), ``countrate`` Hz on
    average. g2(tau) = 1 + exp(-tau / decay_time) for one decay time."""

    def __init__(self, tagger: TimeTaggerBase, decay_time: float | list[float], countrate: float,
                 output_channel: int = CHANNEL_UNUSED, seed: int = -1) -> None:
        times = np.atleast_1d(np.asarray(decay_time, dtype=np.float64))
        if not times.size or times.size > 64:
            raise ValueError(f"decay_time must be one time or a list of 1 to 64 times, got {times.size}")
        for t in times.tolist():
            validation.in_range("decay_time", t, 1e-10, 1e3, "s")
        self._decays_ps = times * 1e12
        self._period_ps = max(int(self._decays_ps.min() / PERIODS_PER_CORRELATION_TIME), 1)
        self._field = None                      # (components, 2): real and imaginary parts
        super().__init__(tagger, countrate, output_channel, seed)

    def get_N(self) -> int:
        """The number of independent field components (decay times)."""
        return int(self._decays_ps.size)

    def _intensities(self, n: int) -> np.ndarray:
        k = self._decays_ps.size
        if self._field is None:                 # stationary start
            self._field = self._rng.normal(0.0, np.sqrt(0.5), (k, 2))
        # The field decays with twice the intensity-correlation time (Siegert: g2 - 1 = |g1|^2).
        a = np.exp(-self._period_ps / (2.0 * self._decays_ps))
        total = np.zeros((n, 2))
        for j in range(k):
            noise = self._rng.normal(0.0, np.sqrt(0.5 * (1.0 - a[j] ** 2)), (2, n))
            for part in range(2):
                trace = ks.ar1(float(self._field[j, part]), float(a[j]), noise[part])
                self._field[j, part] = trace[-1]
                total[:, part] += trace
        intensity = (total ** 2).sum(axis=1) / k
        self._intensity = float(intensity[-1])
        return intensity

    def _parameters(self) -> dict:
        decay = self._decays_ps / 1e12
        return {"decay_time": decay.tolist() if decay.size > 1 else float(decay[0]), "countrate": self._countrate,
                "output_channel": self._channel}
