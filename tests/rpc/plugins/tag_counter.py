"""A plugin measurement as a server operator would write one: counts the tags of some channels."""
import numpy as np
import TimeTagger


class TagCounter(TimeTagger.CustomMeasurement):
    """Counts the tags of each of ``channels`` and remembers the last timestamp seen."""

    def __init__(self, tagger, channels):
        super().__init__(tagger)
        self.channels = [int(c) for c in channels]
        self.counts = np.zeros(len(self.channels), dtype=np.int64)
        self.last = -1
        for channel in self.channels:
            self.register_channel(channel)
        self.clear_impl()
        self.finalize_init()

    def __del__(self):
        self.stop()

    def getCounts(self):
        """Tags counted per channel."""
        with self.mutex:
            return self.counts.copy()

    def getLastTime(self):
        """Timestamp (ps) of the last tag seen."""
        return int(self.last)

    def clear_impl(self):
        self.counts[:] = 0

    def process(self, incoming_tags, begin_time, end_time):
        for i, channel in enumerate(self.channels):
            self.counts[i] += np.count_nonzero(incoming_tags["channel"] == channel)
        if incoming_tags.size:
            self.last = incoming_tags["time"][-1]
