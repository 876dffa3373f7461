"""Virtual channels that generate tags from triggers: ``EventGenerator``, ``FrequencyMultiplier``,
``SyntheticSingleTag`` and ``TriggerOnCountrate``."""
from __future__ import annotations

import numpy as np

from .. import validation
from ..constants import CHANNEL_UNUSED
from ..engine.blocks import EMPTY_CH, EMPTY_TS
from ..kernels import logic as km
from ..kernels.stream import NEVER
from ..taggers.base import TimeTaggerBase
from .base import VirtualChannel

#: Most tags one ``EventGenerator`` pattern may hold.
MAX_PATTERN_TAGS = 1 << 20
#: Largest ``FrequencyMultiplier`` factor.
MAX_MULTIPLIER = 1 << 16


class EventGenerator(VirtualChannel):
    """The ``pattern`` (ps after the trigger, each >= 0) after every ``trigger_divider``-th
    ``trigger_channel`` tag, starting with tag number ``divider_offset``. Patterns may overlap; a
    ``stop_channel`` tag aborts every pattern still running (its times after the stop tag are
    dropped; a stop tag that is also the trigger first aborts, then starts the new pattern).

    Simulator difference: the library allows no negative pattern times either in practice (the
    past cannot be emitted); the simulator refuses them with an error. An overflow drops the
    pattern times inside it.
    """

    def __init__(self, tagger: TimeTaggerBase, trigger_channel: int, pattern: list[int], trigger_divider: int = 1,
                 divider_offset: int = 0, stop_channel: int = CHANNEL_UNUSED) -> None:
        super().__init__(tagger)
        self._trigger = tagger._check_channel("trigger_channel", trigger_channel)
        self._stop = tagger._check_channel("stop_channel", stop_channel, optional=True)
        values = [validation.integer("pattern", p) for p in np.atleast_1d(np.asarray(pattern, dtype=object)).tolist()]
        if not values or len(values) > MAX_PATTERN_TAGS or min(values) < 0:
            raise ValueError(f"pattern must hold 1 to {MAX_PATTERN_TAGS} times >= 0 ps, got "
                             f"{len(values)} times" + (f", smallest {min(values)}" if values else ""))
        self._pattern = np.sort(np.array(values, np.int64))
        self._divider = validation.positive_int("trigger_divider", trigger_divider)
        self._offset = validation.integer("divider_offset", divider_offset)
        if not 0 <= self._offset:
            raise ValueError(f"divider_offset {self._offset} is out of range: allowed 0 or more")
        self._channel = tagger._allocate_virtual_channel()
        self._counter = np.zeros(1, np.int64)
        self._pending = EMPTY_TS
        self._register()

    def getChannel(self) -> int:
        """The virtual channel of the generated tags."""
        return self._channel

    def _channels(self) -> set[int]:
        return {self._trigger} | ({self._stop} if self._stop != CHANNEL_UNUSED else set())

    def _gap(self, gap) -> None:
        self._pending = self._pending[(self._pending < gap.begin) | (self._pending >= gap.end)]

    def _transform(self, ts, ch, t0, t1):
        times = km.event_generator(ts, ch, self._trigger, self._stop, self._pattern, self._divider,
                                   self._offset, self._counter, self._pending)
        times.sort(kind="stable")
        cut = int(np.searchsorted(times, t1, side="left"))
        self._pending = times[cut:]
        return self._emit(times[:cut], self._channel)

    def _clear_data(self) -> None:
        self._pending = EMPTY_TS

    def _parameters(self) -> dict:
        return {"trigger_channel": self._trigger, "pattern": self._pattern.tolist(),
                "trigger_divider": self._divider, "divider_offset": self._offset, "stop_channel": self._stop}


class FrequencyMultiplier(VirtualChannel):
    """Each ``input_channel`` tag and ``multiplier - 1`` tags after it, evenly spaced over the
    interval since the previous input tag (the frequency is assumed constant). An extrapolated
    tag not yet reached when the next input tag arrives is replaced by the new tag's ones; after
    an overflow the next interval is unknown, so the first tag after it is copied alone."""

    def __init__(self, tagger: TimeTaggerBase, input_channel: int, multiplier: int) -> None:
        super().__init__(tagger)
        self._input = tagger._check_channel("input_channel", input_channel)
        self._factor = validation.positive_int("multiplier", multiplier)
        if self._factor > MAX_MULTIPLIER:
            raise ValueError(f"multiplier {self._factor} is out of range: allowed 1 to {MAX_MULTIPLIER}")
        self._channel = tagger._allocate_virtual_channel()
        self._state = np.array([NEVER], np.int64)
        self._pending = EMPTY_TS
        self._register()

    def getChannel(self) -> int:
        """The virtual channel of the multiplied signal."""
        return self._channel

    def getMultiplier(self) -> int:
        """The upscaling factor."""
        return self._factor

    def _channels(self) -> set[int]:
        return {self._input}

    def _gap(self, gap) -> None:
        self._pending = self._pending[self._pending < gap.begin]
        self._state[0] = NEVER

    def _transform(self, ts, ch, t0, t1):
        times = km.multiply(ts, ch, self._input, self._factor, self._state, self._pending)
        cut = int(np.searchsorted(times, t1, side="left"))
        self._pending = times[cut:]
        return self._emit(times[:cut], self._channel)

    def _parameters(self) -> dict:
        return {"input_channel": self._input, "multiplier": self._factor}


class SyntheticSingleTag(VirtualChannel):
    """A tag on ``base_channel`` (or on a new virtual channel) for every call of ``trigger``.

    The tag carries the stream time at which the stream next gets processed after the call
    (the start of the next block), as the library stamps it with its current stream time.
    """

    def __init__(self, tagger: TimeTaggerBase, base_channel: int = CHANNEL_UNUSED) -> None:
        super().__init__(tagger)
        base = tagger._check_channel("base_channel", base_channel, optional=True)
        self._channel = tagger._allocate_virtual_channel() if base == CHANNEL_UNUSED else base
        self._requests = 0
        self._register()

    def getChannel(self) -> int:
        """The channel the tags appear on."""
        return self._channel

    def trigger(self) -> None:
        """Generate one tag (at the stream's current time)."""
        with self._engine.lock:
            self._requests += 1
            self._engine.changed.notify_all()

    def _transform(self, ts, ch, t0, t1):
        if not self._requests:
            return EMPTY_TS, EMPTY_CH
        n, self._requests = self._requests, 0
        return self._emit(np.full(n, t0, np.int64), self._channel)

    def _parameters(self) -> dict:
        return {"base_channel": self._channel}


class TriggerOnCountrate(VirtualChannel):
    """A tag on the *above* channel when the count rate of ``input_channel`` in a rolling
    ``time_window`` (ps) rises to ``reference_countrate + hysteresis`` (Hz) or more, on the
    *below* channel when it falls to ``reference_countrate - hysteresis`` or less. The tag comes
    at the instant of the crossing (a tag entering or leaving the window: the end of the
    integration window). The first tag, ``time_window`` after creation, reports the current state
    (above when the rate is at least ``reference_countrate``).

    Simulator difference: after an overflow the rate is unknown; the state is reported again one
    ``time_window`` after the overflow ended.
    """

    def __init__(self, tagger: TimeTaggerBase, input_channel: int, reference_countrate: float, hysteresis: float,
                 time_window: int) -> None:
        super().__init__(tagger)
        self._input = tagger._check_channel("input_channel", input_channel)
        self._reference = validation.in_range("reference_countrate", reference_countrate, 0.0, 1e13, "Hz")
        self._hysteresis = validation.in_range("hysteresis", hysteresis, 0.0, 1e13, "Hz")
        self._window = validation.positive_int("time_window", time_window, "ps")
        self._above, self._below = tagger._allocate_virtual_channel(), tagger._allocate_virtual_channel()
        self._state = np.zeros(1, np.int64)
        self._window_tags = EMPTY_TS
        self._overflow = False
        self._inject = 0
        with self._engine.lock:
            self._t_init = self._engine.now + self._window
            self._t_now = self._engine.now
        self._register()

    def getChannelAbove(self) -> int:
        """The channel of the below-to-above transitions."""
        return self._above

    def getChannelBelow(self) -> int:
        """The channel of the above-to-below transitions."""
        return self._below

    def getChannels(self) -> list[int]:
        """[``getChannelAbove()``, ``getChannelBelow()``]."""
        return [self._above, self._below]

    def getCurrentCountrate(self) -> float:
        """The count rate (Hz) in the time window ending where the stream is now."""
        with self._engine.lock:
            inside = np.count_nonzero(self._window_tags > self._t_now - self._window)
            return inside * 1e12 / self._window

    def isAbove(self) -> bool:
        """Whether the channel is in the *above* state (False before the first report)."""
        return int(self._state[0]) == 1

    def isBelow(self) -> bool:
        """Whether the channel is in the *below* state (False before the first report)."""
        return int(self._state[0]) == 2

    def injectCurrentState(self) -> bool:
        """Emit a tag on the channel of the current state (at the next block); False when the
        state is not known (overflow, or the first time window has not passed)."""
        with self._engine.lock:
            if self._overflow or self._state[0] == 0:
                return False
            self._inject += 1
            self._engine.changed.notify_all()
            return True

    def _channels(self) -> set[int]:
        return {self._input}

    def _gap(self, gap) -> None:
        self._overflow = True
        self._window_tags = EMPTY_TS
        self._state[0] = 0
        self._t_init = gap.end + self._window
        self._t_now = gap.end

    def _transform(self, ts, ch, t0, t1):
        self._overflow = False
        state_before = int(self._state[0])
        entries = ts[ch == self._input]
        times, signs, self._window_tags = km.countrate_trigger(
            entries, self._window_tags, self._window, t0, t1, self._t_init, self._reference + self._hysteresis,
            self._reference - self._hysteresis, self._reference, self._state)
        self._t_now = t1
        out_c = np.where(signs > 0, self._above, self._below).astype(np.int32)
        if self._inject and state_before != 0:
            n, self._inject = self._inject, 0
            channel = self._above if state_before == 1 else self._below
            times = np.concatenate((np.full(n, t0, np.int64), times))
            out_c = np.concatenate((np.full(n, channel, np.int32), out_c))
        return times, out_c

    def _parameters(self) -> dict:
        return {"input_channel": self._input, "reference_countrate": self._reference,
                "hysteresis": self._hysteresis, "time_window": self._window}
