"""``VirtualChannel``: the base of every iterator that adds tags of new channels to the stream."""
from __future__ import annotations

import numpy as np

from ..engine.engine import Role
from ..iterator import IteratorBase
from ..taggers.base import TimeTaggerBase


class VirtualChannel(IteratorBase):
    """Base of the virtual channels: owns one or more output channel numbers."""

    _role = Role.VIRTUAL_CHANNEL

    def __init__(self, tagger: TimeTaggerBase) -> None:
        super().__init__(tagger)

    def _emit(self, times: np.ndarray, channel: int) -> tuple[np.ndarray, np.ndarray]:
        return times, np.full(times.size, channel, np.int32)
