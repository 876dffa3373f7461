"""The one table that describes every generated Tango class.

Each measurement and virtual-channel class of the Time Tagger library is described
here once, as data: its constructor parameters (library names, kinds, units,
defaults, documentation, allowed ranges) and the data it publishes (library getter,
numpy dtype, SPECTRUM or IMAGE, label, unit, format).  ``tango_ds.factory`` turns
each :class:`ClassSpec` into a ``tango.server.Device`` subclass; the Pogo generator
(``pogo/``) reads the same table to write the ``.xmi`` files, so the device classes,
their documentation and their Pogo descriptions cannot drift apart.

This module imports neither ``tango`` nor any Time Tagger provider, so tools can
use it without a Tango installation.  Constants that the library defines
(``CHANNEL_UNUSED``, the enum members) are repeated here as plain values; a test
checks them against ``Swabian.TimeTagger``.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

#: ``TimeTagger.CHANNEL_UNUSED``: the library's marker for "no channel".
CHANNEL_UNUSED = -134217728

#: Spelling of an unused channel in properties and attributes.
UNUSED = "unused"

#: Library enumerations used as constructor parameters: name -> member labels by value.
ENUMS: dict[str, tuple[str, ...]] = {
    "CoincidenceTimestamp": ("Last", "Average", "First", "ListedFirst"),
    "GatedChannelInitial": ("Closed", "Open"),
}

#: Largest spectrum/image dimension the generated attributes accept.
MAX_DIM = 1 << 24
#: Largest number of channels in a ``channels`` parameter.
MAX_CHANNELS = 256
#: Longest time (ps) a parameter may span: a bin width times its number of bins, a delay,
#: a coincidence window.  Time tags are int64 picoseconds; spans up to 2**62 ps (53 days)
#: keep the library's index arithmetic (bin edges and centres, tag + span) inside int64.
MAX_SPAN_PS = 1 << 62

REQUIRED = object()
"""Default of a parameter the library requires (it has no default)."""


@dataclass(frozen=True)
class Param:
    """One constructor parameter, named exactly as the library names it.

    ``kind`` is one of ``channel`` (a channel number or a virtual-channel device
    name), ``channels`` (a list of those), ``int32``, ``int64``, ``float`` or
    ``enum`` (``enum`` names an entry of :data:`ENUMS`).  ``minimum``/``maximum``
    bound numeric values; ``span_with`` names the number of bins this bin width is
    multiplied by (their product is bounded by :data:`MAX_SPAN_PS`).  The library may
    still reject other combinations.
    """

    name: str
    kind: str
    doc: str
    unit: str = ""
    default: Any = REQUIRED
    minimum: float | None = None
    maximum: float | None = None
    enum: str | None = None
    label: str = ""
    span_with: str | None = None

    @property
    def required(self) -> bool:
        """True when the library has no default, so the property must be set."""
        return self.default is REQUIRED

    @property
    def display_label(self) -> str:
        """Label shown by Jive/Taurus (explicit label or the name in words)."""
        return self.label or self.name.replace("_", " ").capitalize()

    def allowed(self) -> str:
        """Human sentence describing the allowed values (used in error messages)."""
        if self.kind == "channel":
            return ("an input of the tagger (negative: falling edge), or a virtual channel of "
                    "this server (its channel number or its device name)"
                    f"{'' if self.required else f', or {UNUSED} ({CHANNEL_UNUSED})'}")
        if self.kind == "channels":
            return (f"a list of 1 to {MAX_CHANNELS} inputs or virtual channels (numbers or "
                    "virtual-channel device names)")
        if self.kind == "enum":
            return "one of " + ", ".join(ENUMS[self.enum or ""])
        text = number_range(self.kind.startswith("int"), self.minimum, self.maximum, self.unit)
        if self.span_with:
            text += f", with {self.name} x {self.span_with} <= {bound_text(MAX_SPAN_PS)} ps"
        return text


def bound_text(bound: float, integral: bool = True) -> str:
    """A range bound as a reader takes it in: large powers of two as ``2**k``."""
    if not integral:
        return f"{bound:g}"
    value = int(bound)
    if value >= 1 << 30 and value & (value - 1) == 0:
        return f"2**{value.bit_length() - 1}"
    return str(value)


def number_range(integral: bool, minimum: float | None, maximum: float | None,
                 unit: str = "") -> str:
    """'an integer in [1, 2**62] ps' (what a numeric value may be)."""
    low = "-inf" if minimum is None else bound_text(minimum, integral)
    high = "inf" if maximum is None else bound_text(maximum, integral)
    what = "an integer" if integral else "a number"
    return f"{what} in [{low}, {high}]{' ' + unit if unit else ''}"


@dataclass(frozen=True)
class Data:
    """One published value: a Tango attribute filled from a library getter.

    ``getter`` is the library method (called without arguments); ``shape`` is
    ``scalar``, ``spectrum`` or ``image``; ``dims`` names the parameters whose values
    (for ``channels``: their number) give its size, None when the data decides it;
    ``scale`` multiplies the value (for example picoseconds to seconds).  ``events`` marks the attributes the device
    pushes change/archive events on while it runs.  ``drop_last`` publishes all but
    the last value of the getter (the n left edges of n + 1 bin edges, so the
    spectrum has one value per bin and can be the x axis of ``data``).
    """

    name: str
    getter: str
    dtype: str
    shape: str
    label: str
    doc: str
    unit: str = ""
    format: str = ""
    scale: float = 1.0
    events: bool = False
    drop_last: bool = False
    dims: tuple[str, ...] | None = ()


@dataclass(frozen=True)
class Action:
    """An extra command calling a library method with one argument (or none)."""

    name: str
    method: str
    doc: str
    argin: str | None = None
    argin_doc: str = ""
    minimum: float | None = None
    maximum: float | None = None


@dataclass(frozen=True)
class ClassSpec:
    """A Time Tagger class exposed as a Tango class of the same name.

    ``family`` is ``measurement`` (Start/Stop/Clear/StartFor, data events) or
    ``virtual_channel`` (publishes the ``channel`` number the library assigned).
    """

    name: str
    family: str
    doc: str
    params: tuple[Param, ...]
    data: tuple[Data, ...] = ()
    actions: tuple[Action, ...] = ()

    def param(self, name: str) -> Param:
        """The parameter called ``name``."""
        return next(p for p in self.params if p.name == name)


@dataclass(frozen=True)
class ChannelSetting:
    """A per-input setting of the tagger: spectrum attribute plus a per-channel command."""

    attribute: str
    command: str
    getter: str
    setter: str
    dtype: str
    unit: str
    label: str
    format: str
    doc: str
    range_getter: str | None = None


# --------------------------------------------------------------------------- params
def _channel(name: str, doc: str, optional: bool = False) -> Param:
    return Param(name, "channel", doc, default=UNUSED if optional else REQUIRED)


def _binwidth(name: str = "binwidth", default: Any = 1000, label: str = "Bin width",
              span_with: str | None = None) -> Param:
    return Param(name, "int64", "Bin width.", unit="ps", default=default, minimum=1,
                 maximum=MAX_SPAN_PS, label=label, span_with=span_with)


def _count(name: str, label: str, doc: str, default: Any = 1000,
           maximum: float = MAX_DIM) -> Param:
    """A number of bins/values/histograms; ``label`` spells it out for Jive and Taurus."""
    return Param(name, "int32", doc, default=default, minimum=1, maximum=maximum, label=label)


CHANNELS = Param("channels", "channels", "Channels (numbers or virtual-channel device names).")


# --------------------------------------------------------------------------- data
BINS = ("n_bins",)
VALUES = ("n_values",)
PER_CHANNEL = ("channels",)
def _histogram_data(index_doc: str) -> tuple[Data, ...]:
    return (
        Data("data", "getData", "int32", "spectrum", "Counts", "Histogram counts per bin.",
             unit="counts", format="%d", events=True, dims=BINS),
        Data("index", "getIndex", "int64", "spectrum", "Time", index_doc, unit="ps", format="%d",
             dims=BINS),
    )


CAPTURE = Data("capture_duration", "getCaptureDuration", "float64", "scalar", "Capture duration",
               "Time the measurement has been acquiring since the last start/clear.",
               unit="s", format="%.6f", scale=1e-12)

_MEASUREMENTS: tuple[ClassSpec, ...] = (
    ClassSpec(
        "Countrate", "measurement",
        "Average count rate per channel since the first tag after start or clear.",
        (CHANNELS,),
        (Data("data", "getData", "float64", "spectrum", "Count rate", "Mean rate per channel.",
              unit="Hz", format="%.1f", events=True, dims=PER_CHANNEL),
         Data("counts_total", "getCountsTotal", "int64", "spectrum", "Counts",
              "Total counts per channel.", unit="counts", format="%d", events=True,
              dims=PER_CHANNEL)),
    ),
    ClassSpec(
        "Counter", "measurement",
        "Time trace of the count rate: channels x n_values circular buffer, newest last.",
        (CHANNELS, _binwidth(default=1_000_000_000, span_with="n_values"),
         _count("n_values", "Number of values", "Number of bins in the trace.", default=1)),
        (Data("data", "getData", "int32", "image", "Counts", "Counts per bin (rows: channels).",
              unit="counts", format="%d", events=True, dims=("channels", "n_values")),
         Data("data_normalized", "getDataNormalized", "float64", "image", "Count rate",
              "Counts per bin divided by the bin width (NaN while a bin is incomplete).",
              unit="Hz", format="%.1f", events=True, dims=("channels", "n_values")),
         Data("counts_total", "getDataTotalCounts", "uint64", "spectrum", "Total counts",
              "Total counts per channel since start or clear.", unit="counts", format="%d",
              dims=PER_CHANNEL),
         Data("index", "getIndex", "int64", "spectrum", "Time", "Bin times (x axis of data).",
              unit="ps", format="%d", dims=("n_values",))),
    ),
    ClassSpec(
        "Correlation", "measurement",
        "Cross-correlation histogram of two channels, positive and negative delays; "
        "auto-correlation when channel_2 is unused.",
        (_channel("channel_1", "Channel on which (stop) clicks are received."),
         _channel("channel_2", "Channel on which reference (start) clicks are received.", True),
         _binwidth(span_with="n_bins"),
         _count("n_bins", "Number of bins", "Number of histogram bins.")),
        _histogram_data("Bin centres, symmetric around zero delay (x axis of data).") + (
            Data("data_normalized", "getDataNormalized", "float64", "spectrum", "g2",
                 "Histogram normalised to uncorrelated signals (~1 far from a peak).",
                 format="%.4f", events=True, dims=BINS),),
    ),
    ClassSpec(
        "Histogram", "measurement",
        "Multiple-start multiple-stop histogram of click times after start clicks.",
        (_channel("click_channel", "Channel on which clicks are received."),
         _channel("start_channel", "Channel on which start clicks are received.", True),
         _binwidth(span_with="n_bins"),
         _count("n_bins", "Number of bins", "Number of histogram bins.")),
        _histogram_data("Bin start times (x axis of data)."),
    ),
    ClassSpec(
        "StartStop", "measurement",
        "Histogram of start-to-first-stop times with unbounded range; non-empty bins only.",
        (_channel("click_channel", "Channel on which stop clicks are received."),
         _channel("start_channel", "Channel on which start clicks are received.", True),
         _binwidth()),
        (Data("data", "getData", "int64", "image", "Time and counts",
              "One row per non-empty bin: (time in ps, counts).", format="%d", events=True,
              dims=None),),
    ),
    ClassSpec(
        "TimeDifferences", "measurement",
        "Sequence of n_histograms start-stop histograms stepped by next_channel and "
        "reset by sync_channel.",
        (_channel("click_channel", "Channel on which stop clicks are received."),
         _channel("start_channel", "Channel that sets start times.", True),
         _channel("next_channel", "Channel that increments the histogram index.", True),
         _channel("sync_channel", "Channel that resets the histogram index to zero.", True),
         _binwidth(span_with="n_bins"),
         _count("n_bins", "Number of bins", "Number of bins in each histogram."),
         _count("n_histograms", "Number of histograms", "Number of histograms.", default=1)),
        (Data("data", "getData", "int32", "image", "Counts",
              "Counts per bin (rows: histograms).", unit="counts", format="%d", events=True,
              dims=("n_histograms", "n_bins")),
         Data("index", "getIndex", "int64", "spectrum", "Time", "Bin start times.",
              unit="ps", format="%d", dims=BINS),
         Data("histogram_index", "getHistogramIndex", "int32", "scalar", "Histogram index",
              "Current histogram; -2 waiting for sync, -1 waiting for next.", format="%d"),
         Data("counts", "getCounts", "uint64", "scalar", "Rollovers",
              "Number of completed rollovers.", format="%d"),
         Data("ready", "ready", "bool", "scalar", "Ready", "True once max counts is reached.")),
        (Action("SetMaxCounts", "setMaxCounts",
                "Stop after this many rollovers (0: integrate without end).",
                "uint64", "Number of rollovers, in [0, 2**63 - 1].", minimum=0,
                maximum=(1 << 63) - 1),),
    ),
    ClassSpec(
        "CountBetweenMarkers", "measurement",
        "Counts on click_channel between begin and end markers; stops when full.",
        (_channel("click_channel", "Channel on which clicks are counted."),
         _channel("begin_channel", "Channel that starts counting and steps to the next value."),
         _channel("end_channel", "Channel that ends counting.", True),
         _count("n_values", "Number of values", "Number of values stored.")),
        (Data("data", "getData", "int32", "spectrum", "Counts", "Counts per marker interval.",
              unit="counts", format="%d", events=True, dims=VALUES),
         Data("index", "getIndex", "int64", "spectrum", "Time", "Begin time of each interval.",
              unit="ps", format="%d", dims=VALUES),
         Data("bin_widths", "getBinWidths", "int64", "spectrum", "Interval",
              "Duration of each interval.", unit="ps", format="%d", dims=VALUES),
         Data("ready", "ready", "bool", "scalar", "Ready", "True once all values are filled.")),
    ),
    ClassSpec(
        "HistogramLogBins", "measurement",
        "Histogram with logarithmic bins from 10^exp_start s to 10^exp_stop s.",
        (_channel("click_channel", "Channel on which clicks are received."),
         _channel("start_channel", "Channel on which start clicks are received."),
         Param("exp_start", "float", "Exponent of the first bin edge: 10^exp_start seconds.",
               minimum=-12, maximum=3, label="First edge exponent"),
         Param("exp_stop", "float", "Exponent of the last bin edge: 10^exp_stop seconds.",
               minimum=-12, maximum=3, label="Last edge exponent"),
         _count("n_bins", "Number of bins", "Number of histogram bins.", default=REQUIRED)),
        (Data("data", "getData", "uint64", "spectrum", "Counts", "Counts per bin.",
              unit="counts", format="%d", events=True, dims=BINS),
         Data("index", "getBinEdges", "int64", "spectrum", "Time",
              "Left edge of each bin (x axis of data; n_bins values).", unit="ps", format="%d",
              drop_last=True, dims=BINS),
         Data("bin_edges", "getBinEdges", "int64", "spectrum", "Bin edges",
              "All bin edges, from 10^exp_start s to 10^exp_stop s (n_bins + 1 values).",
              unit="ps", format="%d", dims=BINS),
         Data("data_normalized", "getDataNormalizedG2", "float64", "spectrum", "g2",
              "Counts normalised to uncorrelated signals.", format="%.4f", events=True,
              dims=BINS)),
    ),
    ClassSpec(
        "Histogram2D", "measurement",
        "Two-dimensional histogram of stop_channel_1 and stop_channel_2 times after starts.",
        (_channel("start_channel", "Channel on which start clicks are received."),
         _channel("stop_channel_1", "Channel of the first axis."),
         _channel("stop_channel_2", "Channel of the second axis."),
         _binwidth("binwidth_1", REQUIRED, "Bin width, axis 1", span_with="n_bins_1"),
         _binwidth("binwidth_2", REQUIRED, "Bin width, axis 2", span_with="n_bins_2"),
         _count("n_bins_1", "Bins along axis 1", "Bins along the first axis.", default=REQUIRED,
                maximum=1 << 14),
         _count("n_bins_2", "Bins along axis 2", "Bins along the second axis.", default=REQUIRED,
                maximum=1 << 14)),
        (Data("data", "getData", "int32", "image", "Counts", "Counts (rows: axis 1).",
              unit="counts", format="%d", events=True, dims=("n_bins_1", "n_bins_2")),
         Data("index_1", "getIndex_1", "int64", "spectrum", "Time 1", "Bin times of axis 1.",
              unit="ps", format="%d", dims=("n_bins_1",)),
         Data("index_2", "getIndex_2", "int64", "spectrum", "Time 2", "Bin times of axis 2.",
              unit="ps", format="%d", dims=("n_bins_2",))),
    ),
)

#: Measurement classes; every one also publishes its capture duration.
MEASUREMENTS: tuple[ClassSpec, ...] = tuple(
    replace(spec, data=spec.data + (CAPTURE,)) for spec in _MEASUREMENTS)

VIRTUAL_CHANNELS: tuple[ClassSpec, ...] = (
    ClassSpec(
        "DelayedChannel", "virtual_channel",
        "Virtual channel that repeats input_channel delayed by delay.",
        (_channel("input_channel", "Channel to be delayed."),
         Param("delay", "int64", "Delay applied to the input channel.", unit="ps",
               minimum=0, maximum=MAX_SPAN_PS, label="Delay")),
    ),
    ClassSpec(
        "GatedChannel", "virtual_channel",
        "Virtual channel that transmits input_channel while the gate is open.",
        (_channel("input_channel", "Channel to be gated."),
         _channel("gate_start_channel", "Channel whose clicks open the gate."),
         _channel("gate_stop_channel", "Channel whose clicks close the gate."),
         Param("initial", "enum", "Initial gate state (also after an overflow).",
               default="Closed", enum="GatedChannelInitial")),
    ),
    ClassSpec(
        "Coincidence", "virtual_channel",
        "Virtual channel with a click whenever all channels click within the window.",
        (CHANNELS,
         Param("coincidenceWindow", "int64", "Maximum time between all clicks.", unit="ps",
               default=1000, minimum=0, maximum=MAX_SPAN_PS, label="Coincidence window"),
         Param("timestamp", "enum", "Which click gives the coincidence its time.",
               default="Last", enum="CoincidenceTimestamp")),
    ),
    ClassSpec(
        "Combiner", "virtual_channel",
        "Virtual channel with the clicks of all channels merged.",
        (CHANNELS,),
        (Data("channel_counts", "getChannelCounts", "int64", "spectrum", "Counts",
              "Clicks forwarded from each input channel.", unit="counts", format="%d",
              dims=PER_CHANNEL),),
    ),
)

ALL_CLASSES: tuple[ClassSpec, ...] = MEASUREMENTS + VIRTUAL_CHANNELS
BY_NAME: dict[str, ClassSpec] = {spec.name: spec for spec in ALL_CLASSES}

#: Per-input settings of the TimeTagger device.
CHANNEL_SETTINGS: tuple[ChannelSetting, ...] = (
    ChannelSetting("trigger_levels", "SetTriggerLevel", "getTriggerLevel", "setTriggerLevel",
                   "float64", "V", "Trigger levels", "%.3f",
                   "Trigger level of each input of channel_list.", "getTriggerLevelRange"),
    ChannelSetting("input_delays", "SetInputDelay", "getInputDelay", "setInputDelay",
                   "int64", "ps", "Input delays", "%d",
                   "Delay added to the time tags of each input of channel_list."),
    ChannelSetting("deadtimes", "SetDeadtime", "getDeadtime", "setDeadtime",
                   "int64", "ps", "Dead times", "%d",
                   "Dead time of each input of channel_list (rounded by the hardware).",
                   "getDeadtimeRange"),
)


@dataclass(frozen=True)
class TaggerProperty:
    """A device property of the TimeTagger device."""

    name: str
    dtype: str
    default: Any
    doc: str


TAGGER_PROPERTIES: tuple[TaggerProperty, ...] = (
    TaggerProperty("Backend", "str", "auto",
                   "Provider of the Time Tagger library: auto (hardware if found, else the "
                   "simulator), swabian, sim, or rpc://host:port."),
    TaggerProperty("Serial", "str", "", "Serial number to open; empty opens the first found."),
    TaggerProperty("SimSignals", "str", "[]",
                   "JSON list of Experimental signal generator steps (see tango_ds.sim_signals)."),
    TaggerProperty("MemoryBudgetMB", "int", 2048,
                   "Memory (MiB) the data of all measurements on this tagger may take together "
                   "(bins x histograms x channels x bytes per value, summed over their data "
                   "attributes); a measurement beyond it is refused before anything is "
                   "allocated. Default 2048: a measurement that runs, is read and has "
                   "subscribers peaks at about 6 times its data, so 2 GiB of data stay within "
                   "half of a 24 GiB machine."),
    TaggerProperty("RpcPort", "int", 0,
                   "Port of the in-process RPC bridge on this tagger (0 = off)."),
    TaggerProperty("RpcAddress", "str", "127.0.0.1",
                   "Address the RPC bridge listens on (off loopback: use TLS too)."),
    TaggerProperty("RpcKeyFile", "str", "",
                   "File with the RPC shared secret, mode 600 (empty: $TIMETAGGER_RPC_KEY, else the "
                   "server user's per-user key file, created on first start)."),
    TaggerProperty("RpcInsecureNoAuth", "bool", False,
                   "Serve the RPC bridge WITHOUT authentication, for Swabian's TimeTaggerRPC "
                   "client: every local user controls the tagger. Refused off 127.0.0.1."),
    TaggerProperty("RpcTlsCert", "str", "", "TLS certificate file of the RPC bridge (empty: no TLS)."),
    TaggerProperty("RpcTlsKey", "str", "", "TLS private key file of the RPC bridge."),
    TaggerProperty("RpcTlsCa", "str", "",
                   "CA file of the RPC bridge: clients must present a certificate signed by it "
                   "(empty: no client certificate needed; needs RpcTlsCert)."),
    TaggerProperty("RpcAllowSimControl", "bool", False,
                   "Let RPC clients call the simulator's simUnplug/simConnect on this tagger "
                   "(failure injection for tests and demonstrations; off by default)."),
    TaggerProperty("DataDir", "str", "",
                   "The only directory whose files RPC clients may name (recording, replay); "
                   "empty: the server user's data directory (tango-timetagger/data)."),
    TaggerProperty("RpcTimeout", "float", 10.0,
                   "Seconds connecting to a Backend rpc://host:port may take; every later call is "
                   "cut at 2.5 s (under Tango's 3 s client timeout), and a remote that slow counts "
                   "as lost and is reconnected with backoff."),
)

#: Device properties of every generated class: name -> (type, default, doc).
COMMON_PROPERTIES: dict[str, tuple[str, Any, str]] = {
    "Tagger": ("str", "", "Name of the TimeTagger device of this server (empty: the only one)."),
}

#: Most bytes of event data one device pushes per second (change and archive together):
#: a large measurement then pushes less often than EventPeriodMs instead of keeping the
#: server busy serialising events for every other device's clients.
EVENT_BYTES_PER_S = 100_000_000

#: Extra device properties of the measurement classes.
MEASUREMENT_PROPERTIES: dict[str, tuple[str, Any, str]] = {
    "AutoStart": ("bool", False, "Start acquiring as soon as the device is initialised "
                                 "(and after every restart)."),
    "EventPeriodMs": ("int", 200, "Period of change/archive/data-ready events while running "
                                  "(large data is pushed less often: at most "
                                  f"{EVENT_BYTES_PER_S // 10**6} MB/s of events per device)."),
}


@dataclass(frozen=True)
class PropertyRange:
    """Allowed values of a numeric device property (outside them the device goes to FAULT)."""

    minimum: float
    maximum: float
    unit: str = ""

    def allowed(self, integral: bool) -> str:
        """Human sentence describing the allowed values."""
        return number_range(integral, self.minimum, self.maximum, self.unit)


#: Every numeric device property of every class, by name.
PROPERTY_RANGES: dict[str, PropertyRange] = {
    "EventPeriodMs": PropertyRange(10, 3_600_000, "ms"),
    "MemoryBudgetMB": PropertyRange(1, 1 << 30, "MiB"),
    "RpcPort": PropertyRange(0, 65535),
    "RpcTimeout": PropertyRange(0.1, 3600, "s"),
}
