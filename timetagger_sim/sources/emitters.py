"""Simulated quantum emitters: ``TwoStateExponentialSignalGenerator`` (a two-level system under
continuous excitation), ``SimLifetime`` (photons after excitation pulses, with lifetime and
emission-rate reactors for FLIM-like scans) and ``MarkovProcessGenerator`` (a multi-state
emitter as a continuous-time Markov chain, e.g. blinking)."""
from __future__ import annotations

import numpy as np

from .. import validation
from ..constants import CHANNEL_UNUSED
from ..iterator import IteratorBase
from ..kernels import sources as ks
from ..taggers.base import TimeTaggerBase
from .base import Carry, SignalGeneratorBase, SignalNode, merge_sorted

_EMPTY = np.empty(0, np.int64)
#: Most states of a ``MarkovProcessGenerator``.
MAX_MARKOV_STATES = 64


class TwoStateExponentialSignalGenerator(SignalGeneratorBase):
    """Photons of a two-level emitter: it is excited after an exponential time of mean
    ``excitation_time`` and emits after an exponential time of mean ``life_time`` (seconds), then
    starts over. Intervals are the sum of both, so the stream is antibunched:
    g2(t) = 1 - exp(-t (1/excitation_time + 1/life_time)), rate 1 / (excitation_time + life_time)."""

    def __init__(self, tagger: TimeTaggerBase, excitation_time: float, life_time: float,
                 base_channel: int = CHANNEL_UNUSED, seed: int = -1) -> None:
        self._excitation = validation.in_range("excitation_time", excitation_time, 1e-15, 1e3, "s")
        self._life = validation.in_range("life_time", life_time, 1e-15, 1e3, "s")
        if self._excitation + self._life < 1e-12:
            raise ValueError("excitation_time + life_time is the mean interval: allowed 1 ps or more")
        super().__init__(tagger, base_channel, seed)

    def _times(self, a0: int, a1: int) -> np.ndarray:
        e, life = self._excitation * 1e12, self._life * 1e12
        return self._renewal(a0, a1, lambda n: self._rng.exponential(e, n) + self._rng.exponential(life, n))

    def _parameters(self) -> dict:
        return {"excitation_time": self._excitation, "life_time": self._life, "base_channel": self._channel}


class _Reactor:
    """Values that step on each pulse of a trigger channel (``repeat``: cycle, else keep the last)."""

    def __init__(self, tagger: TimeTaggerBase, trigger_channel: int, values: list[float], repeat: bool,
                 name: str, low: float, high: float, unit: str) -> None:
        self.channel = tagger._check_channel("trigger_channel", trigger_channel)
        self.values = np.array([validation.in_range(name, v, low, high, unit) for v in values], np.float64)
        if not self.values.size:
            raise ValueError(f"{name} must list at least one value")
        self.repeat = bool(repeat)
        self.steps = 0

    def values_at(self, times: np.ndarray, triggers: np.ndarray, initial: float) -> np.ndarray:
        """The value in force at each of ``times`` (after ``self.steps`` earlier triggers)."""
        index = self.steps + np.searchsorted(triggers, times, side="right") - 1
        self.steps += triggers.size
        if self.repeat:
            picked = self.values[np.maximum(index, 0) % self.values.size]
        else:
            picked = self.values[np.clip(index, 0, self.values.size - 1)]
        return np.where(index >= 0, picked, initial)


class SimLifetime(SignalNode, IteratorBase):
    """Photons from an emitter excited by each pulse of ``input_channel``: a Poisson number of mean
    ``emission_rate`` per pulse, each after an exponential delay of mean ``lifetime`` (seconds).
    Output on a new channel (``getChannel``).

    ``registerLifetimeReactor(trigger_channel, lifetimes, repeat)`` and
    ``registerEmissionReactor(trigger_channel, emissions, repeat)``: each pulse of
    ``trigger_channel`` (e.g. a pixel clock) switches to the next lifetime (s) / emission rate of
    the list; at the end of the list it starts over (``repeat``) or keeps the last value. Until the
    first trigger the constructor's values apply. The channels are the simulated signals (sources
    of this module and ``SignalGeneratorBase`` generators), as for the other transforms.
    """

    def __init__(self, tagger: TimeTaggerBase, input_channel: int, lifetime: float, emission_rate: float = 0.1,
                 seed: int = -1) -> None:
        IteratorBase.__init__(self, tagger)
        self._init_node(tagger, seed)
        self._input = tagger._check_channel("input_channel", input_channel)
        self._lifetime = validation.in_range("lifetime", lifetime, 0.0, 1.0, "s")
        self._emission = validation.in_range("emission_rate", emission_rate, 0.0, 1e3)
        self._channel = tagger._allocate_virtual_channel()
        self._lifetime_reactor: _Reactor | None = None
        self._emission_reactor: _Reactor | None = None
        self._carry = Carry()
        self._register()

    def getChannel(self) -> int:
        """The channel of the emitted photons."""
        return self._channel

    def registerLifetimeReactor(self, trigger_channel: int, lifetimes: list[float], repeat: bool) -> None:
        """Step through ``lifetimes`` (s) on each pulse of ``trigger_channel``."""
        reactor = _Reactor(self._tagger, trigger_channel, lifetimes, repeat, "lifetimes", 0.0, 1.0, "s")
        with self._engine.lock:
            self._lifetime_reactor = reactor

    def registerEmissionReactor(self, trigger_channel: int, emissions: list[float], repeat: bool) -> None:
        """Step through ``emissions`` (mean photons per pulse) on each pulse of ``trigger_channel``."""
        reactor = _Reactor(self._tagger, trigger_channel, emissions, repeat, "emissions", 0.0, 1e3, "")
        with self._engine.lock:
            self._emission_reactor = reactor

    def _simulate(self, a0: int, a1: int, signals: dict[int, np.ndarray]) -> None:
        pulses = signals.get(self._input, _EMPTY)
        photons = _EMPTY
        if pulses.size:
            lifetimes = np.full(pulses.size, self._lifetime)
            emissions = np.full(pulses.size, self._emission)
            if self._lifetime_reactor is not None:
                r = self._lifetime_reactor
                lifetimes = r.values_at(pulses, signals.get(r.channel, _EMPTY), self._lifetime)
            if self._emission_reactor is not None:
                r = self._emission_reactor
                emissions = r.values_at(pulses, signals.get(r.channel, _EMPTY), self._emission)
            counts = self._rng.poisson(emissions)
            origin = np.repeat(pulses, counts)
            delays = self._rng.exponential(1.0, origin.size) * np.repeat(lifetimes * 1e12, counts)
            photons = origin + np.floor(delays).astype(np.int64)
        out = self._carry.release(photons, a1)
        if out.size:
            signals[self._channel] = merge_sorted(signals.get(self._channel), out)

    def _parameters(self) -> dict:
        return {"input_channel": self._input, "lifetime": self._lifetime, "emission_rate": self._emission}


class MarkovProcessGenerator(SignalNode, IteratorBase):
    """A continuous-time Markov chain of ``num_states`` states that emits a tag on each transition.

    ``frequencies[i * num_states + j]`` is the rate (Hz) of the transition i -> j (the diagonal is
    ignored). ``ref_channels[i * num_states + j]`` is the output that transition clicks on: an
    index into ``getChannels()``, or -1 for no tag. The outputs are ``base_channels`` (a physical
    input, or ``CHANNEL_UNUSED`` for a new virtual channel); when ``base_channels`` is empty, one
    new virtual channel per output index used. The chain starts in state 0.

    The library documents ``ref_channels`` only as "the net channel to look at on a state
    transition"; reading it as an index into the outputs is the simulator's choice.
    """

    def __init__(self, tagger: TimeTaggerBase, num_states: int, frequencies: list[float], ref_channels: list[int],
                 base_channels: list[int] = (), seed: int = -1) -> None:
        IteratorBase.__init__(self, tagger)
        self._init_node(tagger, seed)
        n = validation.positive_int("num_states", num_states)
        if n > MAX_MARKOV_STATES:
            raise ValueError(f"num_states {n} is out of range: allowed 1 to {MAX_MARKOV_STATES}")
        rates = np.array([validation.in_range("frequencies", f, 0.0, 1e12, "Hz") for f in frequencies], np.float64)
        refs = np.array([validation.integer("ref_channels", r) for r in ref_channels], np.int64)
        if rates.size != n * n or refs.size != n * n:
            raise ValueError(f"frequencies and ref_channels must hold num_states**2 = {n * n} entries, "
                             f"got {rates.size} and {refs.size}")
        bases = [validation.integer("base_channels", c) for c in base_channels]
        n_out = len(bases) if bases else int(refs.max(initial=-1)) + 1
        if refs.min(initial=0) < -1 or refs.max(initial=-1) >= max(n_out, 1):
            raise ValueError(f"ref_channels must be -1 or an index into the {n_out} output channels, got "
                             f"{refs.tolist()}")
        self._channels_out = np.array([self._output(tagger, c) for c in (bases or [CHANNEL_UNUSED] * n_out)],
                                      np.int64)
        matrix = rates.reshape(n, n).copy()
        np.fill_diagonal(matrix, 0.0)
        self._frequencies, self._refs = rates, refs
        total = matrix.sum(axis=1)
        with np.errstate(invalid="ignore", divide="ignore"):
            cumulative = np.where(total[:, None] > 0, np.cumsum(matrix, axis=1) / total[:, None], 1.0)
        self._total_per_ps = total / 1e12
        self._cumulative = cumulative
        self._state = 0
        self._next: float | None = None
        self._register()

    def getChannel(self) -> int:
        """The first output channel."""
        return int(self._channels_out[0]) if self._channels_out.size else CHANNEL_UNUSED

    def getChannels(self) -> list[int]:
        """The output channels, in the order ``ref_channels`` indexes them."""
        return self._channels_out.tolist()

    def _simulate(self, a0: int, a1: int, signals: dict[int, np.ndarray]) -> None:
        if self._next is None:
            rate = self._total_per_ps[self._state]
            self._next = a0 + self._rng.exponential(1.0) / rate if rate > 0 else np.inf
        times, kinds = [], []
        while self._next < a1:
            expected = int(min((a1 - self._next) * max(self._total_per_ps.max(), 1e-30) * 1.1, 1 << 20)) + 16
            t, k, used, self._next, self._state = ks.markov_chain(
                self._state, self._next, float(a1), self._total_per_ps, self._cumulative,
                self._rng.exponential(1.0, expected), self._rng.random(expected))
            times.append(t)
            kinds.append(k)
        if not times:
            return
        t, k = np.concatenate(times), np.concatenate(kinds)
        out = self._refs[k]
        clicks = out >= 0
        t, out = np.floor(t[clicks]).astype(np.int64), out[clicks]
        for index, channel in enumerate(self._channels_out.tolist()):
            mine = t[out == index]
            if mine.size:
                signals[channel] = merge_sorted(signals.get(channel), mine)

    def _parameters(self) -> dict:
        n = int(np.sqrt(self._frequencies.size))
        return {"num_states": n, "frequencies": self._frequencies.tolist(), "ref_channels": self._refs.tolist(),
                "base_channels": self._channels_out.tolist()}
