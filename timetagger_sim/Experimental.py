"""The library's ``Experimental`` namespace: simulated signal generators, emitters, transforms and detectors."""
from .sources.base import SignalGeneratorBase
from .sources.clocks import OscillatorSimulation, PatternSignalGenerator
from .sources.detectors import PhotonNumber, SimDetector
from .sources.emitters import MarkovProcessGenerator, SimLifetime, TwoStateExponentialSignalGenerator
from .sources.generators import (ExponentialSignalGenerator, GammaSignalGenerator, GaussianSignalGenerator,
                                 UniformSignalGenerator)
from .sources.photons import DlsSignalGenerator, FcsSignalGenerator, PhotonGenerator
from .sources.transforms import (SimSignalSplitter, TransformCrosstalk, TransformDeadtime, TransformEfficiency,
                                 TransformGaussianBroadening)

__all__ = ["DlsSignalGenerator", "ExponentialSignalGenerator", "FcsSignalGenerator", "GammaSignalGenerator",
           "GaussianSignalGenerator", "MarkovProcessGenerator", "OscillatorSimulation", "PatternSignalGenerator",
           "PhotonGenerator", "PhotonNumber", "SignalGeneratorBase", "SimDetector", "SimLifetime",
           "SimSignalSplitter", "TransformCrosstalk", "TransformDeadtime", "TransformEfficiency",
           "TransformGaussianBroadening", "TwoStateExponentialSignalGenerator", "UniformSignalGenerator"]
