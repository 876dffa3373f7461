"""The ``Experimental`` simulation sources: signal generators, transforms and detectors."""
