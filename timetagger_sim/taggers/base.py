"""``TimeTaggerBase``: what every tagger offers measurements, and ``freeTimeTagger``."""
from __future__ import annotations

import json
import threading

from .. import validation
from ..constants import CHANNEL_UNUSED
from ..engine.engine import Engine


class TimeTaggerBase:
    """What every tagger offers measurements: a stream, channel bookkeeping, synchronisation."""

    def __init__(self, *args, **kwargs) -> None:
        raise TypeError("Use createTimeTagger() to open a Time Tagger.")

    # -- internal -----------------------------------------------------------------------------
    def _check_alive(self) -> None:
        if self._freed:
            raise RuntimeError(f"The Time Tagger {self._serial} was freed; create a new one with createTimeTagger().")
        if self._unplugged:
            raise RuntimeError(f"The Time Tagger {self._serial} is disconnected (USB connection lost); "
                               "free it and create it again.")

    def _live_engine(self) -> Engine:
        self._check_alive()
        return self._engine

    def _allocate_virtual_channel(self) -> int:
        with self._engine.lock:
            channel = self._next_virtual
            self._next_virtual += 1
            self._virtual_channels.add(channel)
            return channel

    def _known_channels(self) -> set[int]:
        physical = set(range(1, self._model.n_inputs + 1))
        return physical | {-c for c in physical} | self._virtual_channels

    def _check_channel(self, name: str, channel: object, optional: bool = False) -> int:
        """Validate a channel argument of a measurement or virtual channel."""
        number = validation.integer(name, channel)
        if optional and number == CHANNEL_UNUSED:
            return number
        if number not in self._known_channels():
            n = self._model.n_inputs
            raise ValueError(
                f"{name}={number} is not a channel of this {self._model.name}: allowed are inputs "
                f"1..{n} (rising edges), -1..-{n} (falling edges)"
                + (f", virtual channels {sorted(self._virtual_channels)}" if self._virtual_channels else "")
                + (", or CHANNEL_UNUSED" if optional else ""))
        return number

    def _check_physical(self, channel: object, name: str = "channel") -> int:
        number = validation.integer(name, channel)
        n = self._model.n_inputs
        if not (1 <= abs(number) <= n):
            raise ValueError(f"{name}={number} is not an input of this {self._model.name}: allowed are "
                             f"1..{n} (rising edges) and -1..-{n} (falling edges)")
        return number

    # -- public API ---------------------------------------------------------------------------
    def getConfiguration(self) -> str:
        """JSON description of the tagger and its settings."""
        self._check_alive()
        s = self._inputs.settings
        channels = []
        for ch in self.getChannelList():
            entry = {"channel": ch, "input delay": self.getInputDelay(ch),
                     "deadtime": self.getDeadtime(ch), "event divider": s.event_divider.get(ch, 1)}
            if ch > 0:
                entry.update({"trigger level": self.getTriggerLevel(ch), "test signal": self.getTestSignal(ch)})
            channels.append(entry)
        return json.dumps({
            "serial": self._serial, "model": self._model.name, "simulated": True,
            "resolution": self._resolution.name, "firmware": self._model.firmware,
            "test signal divider": s.test_signal_divider,
            "conditional filter": {"trigger": s.filter_triggers, "filtered": s.filter_filtered},
            "virtual time": self._engine.options.virtual_time, "channels": channels,
        })

    def getFence(self, alloc_fence: bool = True) -> int:
        """A fence: the stream time reached once every tag received so far is processed."""
        self._check_alive()
        with self._engine.lock:
            return self._engine.now + (1 if alloc_fence else 0)

    def waitForFence(self, fence: int, timeout: int = -1) -> bool:
        """Wait until the stream passed ``fence`` (``timeout`` in ms, -1 forever)."""
        engine = self._live_engine()
        seconds = -1.0 if timeout < 0 else timeout / 1000.0
        return engine.wait_for(lambda: engine.now >= fence or not engine._active(), seconds)

    def sync(self, timeout: int = -1) -> bool:
        """Wait until every tag that reached the tagger before this call is processed."""
        return self.waitForFence(self.getFence(), timeout)

    def isUnusedChannel(self, channel: int) -> bool:
        """True if ``channel`` is the CHANNEL_UNUSED marker."""
        return channel == CHANNEL_UNUSED

    def getInvertedChannel(self, channel: int) -> int:
        """The channel of the opposite edge of the same input."""
        return -self._check_physical(channel)

    def __enter__(self):
        return self

    def __exit__(self, *exc) -> None:
        freeTimeTagger(self)


_open_lock = threading.Lock()
_open_taggers: list[TimeTaggerBase] = []


def freeTimeTagger(tagger: TimeTaggerBase) -> bool:
    """Stop everything attached to the tagger and release its stream thread."""
    if not isinstance(tagger, TimeTaggerBase):
        raise TypeError(f"freeTimeTagger needs a TimeTagger object, got {type(tagger).__name__}")
    if tagger._freed:
        return False
    tagger._freed = True
    tagger._engine.close()
    with _open_lock:
        if tagger in _open_taggers:
            _open_taggers.remove(tagger)
    return True


def register_open(tagger: TimeTaggerBase) -> None:
    """Remember an opened tagger (its factory calls this)."""
    with _open_lock:
        _open_taggers.append(tagger)
