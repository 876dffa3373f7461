"""Renewal-process signal generators: exponential (Poisson), Gaussian, uniform and gamma intervals."""
from __future__ import annotations

import numpy as np

from .. import validation
from ..constants import CHANNEL_UNUSED
from ..taggers.base import TimeTaggerBase
from .base import SignalGeneratorBase


class ExponentialSignalGenerator(SignalGeneratorBase):
    """Poissonian clicks at ``rate`` Hz (exponential intervals)."""

    def __init__(self, tagger: TimeTaggerBase, rate: float, base_channel: int = CHANNEL_UNUSED,
                 seed: int = -1) -> None:
        self._rate = validation.in_range("rate", rate, 1e-9, 1e12, "Hz")
        super().__init__(tagger, base_channel, seed)

    def _times(self, a0: int, a1: int) -> np.ndarray:
        scale = 1e12 / self._rate
        return self._renewal(a0, a1, lambda n: self._rng.exponential(scale, n))

    def _parameters(self) -> dict:
        return {"rate": self._rate, "base_channel": self._channel}


class GaussianSignalGenerator(SignalGeneratorBase):
    """Pulses whose intervals are normal with ``mean`` and ``standard_deviation`` (seconds)."""

    def __init__(self, tagger: TimeTaggerBase, mean: float, standard_deviation: float,
                 base_channel: int = CHANNEL_UNUSED, seed: int = -1) -> None:
        self._mean = validation.in_range("mean", mean, 1e-12, 1e3, "s")
        self._sigma = validation.in_range("standard_deviation", standard_deviation, 0.0, 1e3, "s")
        super().__init__(tagger, base_channel, seed)

    def _times(self, a0: int, a1: int) -> np.ndarray:
        mean, sigma = self._mean * 1e12, self._sigma * 1e12
        return self._renewal(a0, a1, lambda n: np.maximum(self._rng.normal(mean, sigma, n), 1.0))

    def _parameters(self) -> dict:
        return {"mean": self._mean, "standard_deviation": self._sigma, "base_channel": self._channel}


class UniformSignalGenerator(SignalGeneratorBase):
    """Pulses whose intervals are uniform in [``lower_bound``, ``upper_bound``] ps."""

    def __init__(self, tagger: TimeTaggerBase, upper_bound: int, lower_bound: int = 1,
                 base_channel: int = CHANNEL_UNUSED, seed: int = -1) -> None:
        self._upper = validation.positive_int("upper_bound", upper_bound, "ps")
        self._lower = validation.positive_int("lower_bound", lower_bound, "ps")
        if self._lower > self._upper:
            raise ValueError(f"lower_bound {self._lower} ps must not exceed upper_bound {self._upper} ps")
        super().__init__(tagger, base_channel, seed)

    def _times(self, a0: int, a1: int) -> np.ndarray:
        return self._renewal(a0, a1, lambda n: self._rng.uniform(self._lower, self._upper, n))

    def _parameters(self) -> dict:
        return {"upper_bound": self._upper, "lower_bound": self._lower, "base_channel": self._channel}


class GammaSignalGenerator(SignalGeneratorBase):
    """Pulses whose intervals follow a gamma distribution of shape ``alpha`` and scale ``beta``
    (seconds; mean ``alpha * beta``, variance ``alpha * beta**2``), as ``std::gamma_distribution``
    parametrises it. ``alpha`` = 1 is a Poisson process, larger ``alpha`` more regular."""

    def __init__(self, tagger: TimeTaggerBase, alpha: float, beta: float, base_channel: int = CHANNEL_UNUSED,
                 seed: int = -1) -> None:
        self._alpha = validation.in_range("alpha", alpha, 1e-3, 1e6)
        self._beta = validation.in_range("beta", beta, 1e-15, 1e3, "s")
        if self._alpha * self._beta < 1e-12:
            raise ValueError(f"alpha * beta = {self._alpha * self._beta} s is the mean interval: allowed 1 ps or more")
        super().__init__(tagger, base_channel, seed)

    def _times(self, a0: int, a1: int) -> np.ndarray:
        scale = self._beta * 1e12
        return self._renewal(a0, a1, lambda n: self._rng.gamma(self._alpha, scale, n))

    def _parameters(self) -> dict:
        return {"alpha": self._alpha, "beta": self._beta, "base_channel": self._channel}
