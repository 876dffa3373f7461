"""The library's ``Experimental`` namespace: simulated signal generators and transforms."""
from .signals import (ExponentialSignalGenerator, GaussianSignalGenerator, SignalGeneratorBase,  # noqa: F401
                      SimDetector, SimSignalSplitter, TransformDeadtime, TransformEfficiency,
                      TransformGaussianBroadening, UniformSignalGenerator)
