"""The library's ``Experimental`` namespace: simulated signal generators, transforms and detectors."""
from .sources.base import SignalGeneratorBase
from .sources.detectors import SimDetector
from .sources.generators import ExponentialSignalGenerator, GaussianSignalGenerator, UniformSignalGenerator
from .sources.transforms import (SimSignalSplitter, TransformDeadtime, TransformEfficiency,
                                 TransformGaussianBroadening)

__all__ = ["ExponentialSignalGenerator", "GaussianSignalGenerator", "SignalGeneratorBase", "SimDetector",
           "SimSignalSplitter", "TransformDeadtime", "TransformEfficiency",
           "TransformGaussianBroadening", "UniformSignalGenerator"]
