"""A virtual Swabian Instruments Time Tagger with the API of ``Swabian.TimeTagger`` 2.22.6.

``import timetagger_sim as TT`` can replace ``from Swabian import TimeTagger as TT``: the same
module functions, classes (``TimeTaggerBase`` > ``TimeTagger``; measurements and virtual
channels subclass ``IteratorBase``), parameter names, defaults, units (ps, V, Hz) and dtypes.

The simulated inputs behave like the hardware's: the built-in test signal (Ultra: 403.2 MHz /
504 = 800 kHz; Time Tagger 20: 62.5 MHz / 74), per-model jitter, and the input stage (trigger
level, dead time, event divider, input delay, conditional filter, transfer-rate overflows).
Signals are made with the library's own simulation classes in ``Experimental``
(see :mod:`timetagger_sim.sources.base` for units).

Simulator-only additions, all marked so in their docstrings:

* ``setSimulationOptions(virtual_time=..., seed=...)`` (or ``TIMETAGGER_SIM_VIRTUAL_TIME=1``,
  ``TIMETAGGER_SIM_SEED=n``): virtual time runs the stream as fast as the CPU allows while a
  measurement runs; a seed makes every random stream reproducible. Default: real time.
* ``TimeTagger.simConnect(source_channel, input_channel, delay=0)``: cable a simulated signal
  into a physical input, with a cable delay (ps) that is part of the signal path; ``TimeTagger.simUnplug()``: simulate a lost USB connection;
  ``TimeTagger.simIsVirtualTime()``.
* Serials select the model: ``SIM-ULTRA8-*``, ``SIM-ULTRA18-*``, ``SIM-TT20-*``, ``SIM-X16-*``.

Deliberate differences are noted in the docstring of each class concerned; what the library has
and the simulator leaves out is listed, with reasons, in :mod:`timetagger_sim.exclusions`.

Layout, by the library's families (each class lives in the module of its family)::

    taggers/            the tagger hierarchy: TimeTaggerSource > TimeTaggerBase > TimeTaggerHardware >
                        TimeTagger (hardware.py), TimeTaggerVirtual (virtual.py, replay.py), and the
                        signal chain of a simulated device: inputs, transfer, software delays, clock
    measurements/       measurements by kind: counting, correlation, timing, log_bins, markers,
                        sampling, frequency, flim, stream, files, custom, synchronized
    virtual_channels/   virtual channels by kind: delays, logic, pulses, generators, overflows
    sources/            the Experimental signal models: generators (renewal processes), emitters,
                        photons (intensity models), clocks, transforms, detectors
    engine/             the stream thread that produces blocks and feeds the iterators (no back-imports)
    kernels/            compiled inner loops (numba), one module per family
    iterator.py         IteratorBase, the base of measurements, virtual channels and sources
    library.py          module functions about the library itself (version, usage statistics, ...)
    logger.py           setLogger / CustomLogger and the simulator's own messages
    constants.py        enums and constants;  fileformat.py  the simulator's recording format
"""
from . import Experimental
from .constants import *  # noqa: F401,F403  (enums, CHANNEL_UNUSED and the flat enum aliases)
from .constants import CHANNEL_UNUSED
from .iterator import IteratorBase
from .measurements.correlation import Correlation, CorrelationPairs, CorrelationPairsData, Histogram
from .measurements.counting import Counter, CounterData, Countrate
from .measurements.custom import CustomMeasurement, CustomMeasurementBase
from .measurements.flim import Flim, FlimAbstract, FlimBase, FlimFrameInfo
from .measurements.files import Dump, FileReader, FileWriter, mergeStreamFiles
from .measurements.frequency import (FrequencyCounter, FrequencyCounterData, FrequencyStability,
                                     FrequencyStabilityData, PhaseNoise, PhaseNoiseData, PulsePerSecondData,
                                     PulsePerSecondMonitor)
from .measurements.log_bins import ChannelGate, HistogramCustomBins, HistogramLogBins, HistogramLogBinsData
from .measurements.markers import CountBetweenMarkers, GatedCounter
from .measurements.sampling import Event, Sampler, Scope
from .measurements.stream import Iterator, Tag, TimeTagStream, TimeTagStreamBuffer
from .measurements.synchronized import SynchronizedMeasurements
from .measurements.timing import Histogram2D, HistogramND, StartStop, TimeDifferences, TimeDifferencesND
from .options import getSimulationOptions, setSimulationOptions
from .library import (addUsageStatisticsFrontendData, checkSystemLibraries, getCompilationTimestamp,
                      getCompilerVersion, getTimeTaggerChannelNumberScheme, getUsageStatisticsReport,
                      getUsageStatisticsStatus, getVersion, hasTimeTaggerVirtualLicense, setFrontend,
                      setLanguageInfo, setTimeTaggerChannelNumberScheme, setUsageStatisticsStatus)
from .logger import CustomLogger, setLogger
from .taggers.base import TimeTaggerBase, TimeTaggerSource, freeTimeTagger
from .taggers.clock import ReferenceClockState, SoftwareClockState
from .taggers.hardware import (TimeTagger, TimeTaggerHardware, createTimeTagger, getTimeTaggerModel,
                               scanTimeTagger)
from .taggers.virtual import TimeTaggerVirtual, createTimeTaggerVirtual
from .virtual_channels.delays import DelayedChannel, DelayedChannels
from .virtual_channels.generators import EventGenerator, FrequencyMultiplier, SyntheticSingleTag, TriggerOnCountrate
from .virtual_channels.logic import (Coincidence, Coincidences, Combinations, Combiner, ConditionalFilterChannel,
                                     GatedChannel, GatedChannels)
from .virtual_channels.overflows import OverflowInjector
from .virtual_channels.pulses import ConstantFractionDiscriminator

__all__ = [
    "AccessMode",
    "AccessMode_Control",
    "AccessMode_Listen",
    "AccessMode_SynchronousControl",
    "AccessMode_SynchronousListen",
    "CHANNEL_UNUSED",
    "ChannelEdge",
    "ChannelEdge_All",
    "ChannelEdge_Falling",
    "ChannelEdge_HighResAll",
    "ChannelEdge_HighResFalling",
    "ChannelEdge_HighResRising",
    "ChannelEdge_Rising",
    "ChannelEdge_StandardAll",
    "ChannelEdge_StandardFalling",
    "ChannelEdge_StandardRising",
    "ChannelGate",
    "Coincidence",
    "CoincidenceTimestamp",
    "CoincidenceTimestamp_Average",
    "CoincidenceTimestamp_First",
    "CoincidenceTimestamp_Last",
    "CoincidenceTimestamp_ListedFirst",
    "Coincidences",
    "Combinations",
    "Combiner",
    "ConditionalFilterChannel",
    "ConstantFractionDiscriminator",
    "Correlation",
    "CorrelationPairs",
    "CorrelationPairsData",
    "CountBetweenMarkers",
    "Counter",
    "CounterData",
    "Countrate",
    "CustomLogger",
    "CustomMeasurement",
    "CustomMeasurementBase",
    "DelayedChannel",
    "DelayedChannels",
    "Dump",
    "Event",
    "EventGenerator",
    "Experimental",
    "FileReader",
    "FileWriter",
    "Flim",
    "FlimAbstract",
    "FlimBase",
    "FlimFrameInfo",
    "FpgaLinkInterface",
    "FpgaLinkInterface_QSFPP_40GE",
    "FpgaLinkInterface_SFPP_10GE",
    "FrequencyCounter",
    "FrequencyCounterData",
    "FrequencyMultiplier",
    "FrequencyStability",
    "FrequencyStabilityData",
    "FrontendType",
    "FrontendType_DLScat",
    "FrontendType_Firefly",
    "FrontendType_Pyro5RPC",
    "FrontendType_Undefined",
    "FrontendType_UserFrontend",
    "FrontendType_WebApp",
    "GatedChannel",
    "GatedChannelInitial",
    "GatedChannelInitial_Closed",
    "GatedChannelInitial_Open",
    "GatedChannels",
    "GatedCounter",
    "HIGH",
    "Histogram",
    "Histogram2D",
    "HistogramCustomBins",
    "HistogramLogBins",
    "HistogramLogBinsData",
    "HistogramND",
    "Iterator",
    "IteratorBase",
    "LOGGER_ERROR",
    "LOGGER_INFO",
    "LOGGER_WARNING",
    "LOW",
    "LanguageUsed",
    "LanguageUsed_Cpp",
    "LanguageUsed_Csharp",
    "LanguageUsed_Labview",
    "LanguageUsed_Mathematica",
    "LanguageUsed_Matlab",
    "LanguageUsed_Python",
    "LanguageUsed_Unknown",
    "OverflowInjector",
    "PRI_STR",
    "PhaseNoise",
    "PhaseNoiseData",
    "PulsePerSecondData",
    "PulsePerSecondMonitor",
    "ReferenceClockState",
    "Resolution",
    "Resolution_HighResA",
    "Resolution_HighResB",
    "Resolution_HighResC",
    "Resolution_Standard",
    "Sampler",
    "Scope",
    "SoftwareClockState",
    "StartStop",
    "SynchronizedMeasurements",
    "SyntheticSingleTag",
    "TT_CHANNEL_FALLING_EDGES",
    "TT_CHANNEL_RISING_AND_FALLING_EDGES",
    "TT_CHANNEL_RISING_EDGES",
    "Tag",
    "TagType",
    "TestSignalSource",
    "TestSignalSource_Analog",
    "TestSignalSource_Digital",
    "TimeDifferences",
    "TimeDifferencesND",
    "TimeTagStream",
    "TimeTagStreamBuffer",
    "TimeTagger",
    "TimeTaggerBase",
    "TimeTaggerHardware",
    "TimeTaggerSource",
    "TimeTaggerVirtual",
    "TriggerOnCountrate",
    "UNKNOWN",
    "UsageStatisticsStatus",
    "UsageStatisticsStatus_Collecting",
    "UsageStatisticsStatus_CollectingAndUploading",
    "UsageStatisticsStatus_Disabled",
    "addUsageStatisticsFrontendData",
    "checkSystemLibraries",
    "createTimeTagger",
    "createTimeTaggerVirtual",
    "freeTimeTagger",
    "getCompilationTimestamp",
    "getCompilerVersion",
    "getSimulationOptions",
    "getTimeTaggerChannelNumberScheme",
    "getTimeTaggerModel",
    "getUsageStatisticsReport",
    "getUsageStatisticsStatus",
    "getVersion",
    "hasTimeTaggerVirtualLicense",
    "mergeStreamFiles",
    "scanTimeTagger",
    "setFrontend",
    "setLanguageInfo",
    "setLogger",
    "setSimulationOptions",
    "setTimeTaggerChannelNumberScheme",
    "setUsageStatisticsStatus",
]
