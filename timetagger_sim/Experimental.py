"""The library's ``Experimental`` namespace: simulated signal generators and transforms."""
from .signals import (ExponentialSignalGenerator, GaussianSignalGenerator, SignalGeneratorBase,
                      SimDetector, SimSignalSplitter, TransformDeadtime, TransformEfficiency,
                      TransformGaussianBroadening, UniformSignalGenerator)

__all__ = ["ExponentialSignalGenerator", "GaussianSignalGenerator", "SignalGeneratorBase", "SimDetector",
           "SimSignalSplitter", "TransformDeadtime", "TransformEfficiency",
           "TransformGaussianBroadening", "UniformSignalGenerator"]
