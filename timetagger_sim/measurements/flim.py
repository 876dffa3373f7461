"""Fluorescence-lifetime imaging: ``FlimAbstract``, ``FlimBase``, ``Flim`` and ``FlimFrameInfo``.

A frame is a line of ``n_pixels`` pixels; each pixel holds a multiple-start histogram of click
times after ``start_channel`` tags (``n_bins`` x ``binwidth``). A ``pixel_begin_channel`` tag
begins the next pixel; it ends at a ``pixel_end_channel`` tag (clicks after it are ignored) or, without
one, at the next pixel begin. A ``frame_begin_channel`` tag starts a frame (a partial one is
discarded); without it the pixels run on from frame to frame. ``n_frame_average`` input frames add
up to one output frame; ``finish_after_outputframe`` > 0 stores that many output frames and then
stops acquiring, 0 keeps the latest one and runs on. Each output frame goes to ``frameReady`` (the
callback subclasses override; ``Flim`` stores frames first). Histograms are n_pixels x n_bins
(pixel i, bin j at [i, j]: the layout of ``frameReady``'s flat data, index i * n_bins + j);
intensities are counts per second of each pixel's integration time (float32).
"""
from __future__ import annotations

import numpy as np

from .. import validation
from ..constants import CHANNEL_UNUSED
from ..iterator import IteratorBase
from ..kernels import markers as km
from ..taggers.base import TimeTaggerBase

_NO_STARTS = np.empty(0, np.int64)


def _intensities(counts: np.ndarray, begins: np.ndarray, ends: np.ndarray) -> np.ndarray:
    duration = (ends - begins).astype(np.float64) * 1e-12
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(duration > 0, counts / np.where(duration > 0, duration, 1.0), 0.0).astype(np.float32)


class FlimFrameInfo:
    """One FLIM frame with the times of its pixels (a snapshot)."""

    def __init__(self, histograms: np.ndarray | None = None, begins: np.ndarray | None = None,
                 ends: np.ndarray | None = None, frame_number: int = -1, pixel_position: int = 0) -> None:
        self._hist = np.zeros((0, 0), np.uint32) if histograms is None else histograms
        self._begins = np.zeros(self._hist.shape[0], np.int64) if begins is None else begins
        self._ends = np.zeros(self._hist.shape[0], np.int64) if ends is None else ends
        self._number = int(frame_number)
        self._position = int(pixel_position)

    @property
    def bins(self) -> int:
        """Number of bins of each histogram."""
        return int(self._hist.shape[1])

    @property
    def pixels(self) -> int:
        """Number of pixels in the frame."""
        return int(self._hist.shape[0])

    @property
    def frame_number(self) -> int:
        """The frame number (0: the first frame acquired; -1: invalid)."""
        return self._number

    @property
    def pixel_position(self) -> int:
        """How many pixels of this frame were processed."""
        return self._position

    @property
    def valid(self) -> bool:
        """False for the invalid frame returned when there is none."""
        return self._number >= 0

    def getFrameNumber(self) -> int:
        """The frame number (0: the first frame acquired; -1: invalid)."""
        return self._number

    def getHistograms(self) -> np.ndarray:
        """All histograms of the frame, n_pixels x n_bins (uint32)."""
        return self._hist.copy()

    def getSummedCounts(self) -> np.ndarray:
        """Counts of each pixel's histogram (uint64)."""
        return self._hist.sum(axis=1, dtype=np.uint64)

    def getIntensities(self) -> np.ndarray:
        """Counts of each pixel divided by its integration time, in counts per second (float32)."""
        return _intensities(self.getSummedCounts(), self._begins, self._ends)

    def getPixelBegins(self) -> np.ndarray:
        """The begin timestamp of each pixel (int64, ps)."""
        return self._begins.copy()

    def getPixelEnds(self) -> np.ndarray:
        """The end timestamp of each pixel (int64, ps)."""
        return self._ends.copy()

    def getPixelPosition(self) -> int:
        """How many pixels of this frame were processed."""
        return self._position

    def isValid(self) -> bool:
        """False for the invalid frame returned when there is none."""
        return self.valid


class FlimAbstract(IteratorBase):
    """The common part of the FLIM measurements: pixels and frames from marker channels."""

    def __init__(self, tagger: TimeTaggerBase, start_channel: int, click_channel: int, pixel_begin_channel: int,
                 n_pixels: int, n_bins: int, binwidth: int, pixel_end_channel: int = CHANNEL_UNUSED,
                 frame_begin_channel: int = CHANNEL_UNUSED, finish_after_outputframe: int = 0,
                 n_frame_average: int = 1, pre_initialize: bool = True) -> None:
        IteratorBase.__init__(self, tagger)
        self._start = tagger._check_channel("start_channel", start_channel)
        self._click = tagger._check_channel("click_channel", click_channel)
        self._pixel_begin = tagger._check_channel("pixel_begin_channel", pixel_begin_channel)
        self._pixel_end = tagger._check_channel("pixel_end_channel", pixel_end_channel, optional=True)
        self._frame_begin = tagger._check_channel("frame_begin_channel", frame_begin_channel, optional=True)
        self._n_pixels = validation.positive_int("n_pixels", n_pixels)
        self._n_bins = validation.positive_int("n_bins", n_bins)
        self._binwidth = validation.positive_int("binwidth", binwidth, "ps")
        self._finish_after = validation.integer("finish_after_outputframe", finish_after_outputframe)
        if self._finish_after < 0:
            raise ValueError(f"finish_after_outputframe must be 0 (run on) or positive, got {self._finish_after}")
        self._average = validation.positive_int("n_frame_average", n_frame_average)
        stored = max(1, self._finish_after) + 3       # stored frames, the current, the output sum, the total
        validation.budget("n_pixels x n_bins x stored frames", self._n_pixels * self._n_bins * stored, 4)
        self._initialized = False
        self._clear_data()
        if pre_initialize:
            self._initialize()

    def _initialize(self) -> None:
        if not self._initialized:
            self._initialized = True
            self._register()

    def _channels(self) -> set[int]:
        return {self._start, self._click, self._pixel_begin, self._pixel_end, self._frame_begin} - {CHANNEL_UNUSED}

    def _new_input_frame(self) -> None:
        self._hist = np.zeros((self._n_pixels, self._n_bins), np.uint32)
        self._begins = np.zeros(self._n_pixels, np.int64)
        self._ends = np.zeros(self._n_pixels, np.int64)
        self._state = np.array([-1, 0, 0 if self._frame_begin != CHANNEL_UNUSED else 1, -1, self._resume], np.int64)

    def _clear_data(self) -> None:
        self._resume = 0
        self._new_input_frame()
        self._starts = _NO_STARTS
        self._output = np.zeros((self._n_pixels, self._n_bins), np.uint32)
        self._output_begins: np.ndarray | None = None
        self._inputs_in_output = 0
        self._frames_out = 0
        self._acquiring = True

    def _process(self, ts: np.ndarray, ch: np.ndarray, t0: int, t1: int) -> None:
        position = 0
        while self._acquiring:
            done, self._starts = km.flim(ts, ch, position, self._start, self._click, self._pixel_begin,
                                         self._pixel_end, self._frame_begin, self._binwidth, self._starts,
                                         self._state, self._hist, self._begins, self._ends)
            if done < 0:
                return
            self._resume = int(self._state[km.FLIM_RESUME])
            self._input_frame_complete(int(self._state[km.FLIM_FRAME_BEGIN]))
            position = done if self._resume else done + 1

    def _input_frame_complete(self, frame_begin: int) -> None:
        self._output += self._hist
        if self._output_begins is None:
            self._output_begins, self._output_frame_begin = self._begins.copy(), frame_begin
        self._inputs_in_output += 1
        ends = self._ends.copy()
        self._new_input_frame()
        if self._inputs_in_output < self._average:
            return
        data, begins = self._output, self._output_begins
        self._output = np.zeros((self._n_pixels, self._n_bins), np.uint32)
        self._output_begins, self._inputs_in_output = None, 0
        number = self._frames_out
        self._frames_out += 1
        self._store(number, data, begins, ends)
        self.frameReady(number, data.reshape(-1), begins, ends, self._output_frame_begin, int(ends[-1]))
        if 0 < self._finish_after <= self._frames_out:
            self._acquiring = False
            self._running = False
            self._on_stop()
            self._finished.set()

    def _store(self, number: int, data: np.ndarray, begins: np.ndarray, ends: np.ndarray) -> None:
        """Keep an output frame (``Flim``); ``FlimBase`` keeps nothing."""

    def _wants_stream(self) -> bool:
        return super()._wants_stream() and self._acquiring

    def isAcquiring(self) -> bool:
        """False once ``finish_after_outputframe`` frames are acquired (then it cannot start again)."""
        with self._engine.lock:
            return self._acquiring

    def _parameters(self) -> dict:
        return {"start_channel": self._start, "click_channel": self._click,
                "pixel_begin_channel": self._pixel_begin, "n_pixels": self._n_pixels, "n_bins": self._n_bins,
                "binwidth": self._binwidth, "pixel_end_channel": self._pixel_end,
                "frame_begin_channel": self._frame_begin, "finish_after_outputframe": self._finish_after,
                "n_frame_average": self._average}


class FlimBase(FlimAbstract):
    """The minimal FLIM measurement: acquires frames and hands each to ``frameReady`` (override it).

    As in the library, a subclass passes ``pre_initialize=False`` and calls ``initialize()`` at
    the end of its own constructor.
    """

    def initialize(self) -> None:
        """Attach to the stream and start; does nothing if already initialised (``pre_initialize``)."""
        self._initialize()

    def frameReady(self, frame_number: int, data: np.ndarray, pixel_begin_times: np.ndarray,
                   pixel_end_times: np.ndarray, frame_begin_time: int, frame_end_time: int) -> None:
        """Called on the stream thread for each completed output frame; override to process frames.

        ``data`` is flat (pixel i, bin j at i * n_bins + j, uint32), the other arrays per pixel (ps).
        """


class Flim(FlimAbstract):
    """FLIM with stored frames: the current, the ready and the summed frames, as arrays or
    ``FlimFrameInfo`` objects (``get...Ex``). ``frameReady`` is still called for each frame."""

    def initialize(self) -> None:
        """Attach to the stream and start; does nothing if already initialised (``pre_initialize``)."""
        self._initialize()

    def frameReady(self, frame_number: int, data: np.ndarray, pixel_begin_times: np.ndarray,
                   pixel_end_times: np.ndarray, frame_begin_time: int, frame_end_time: int) -> None:
        """Called on the stream thread for each completed output frame, after it is stored (override)."""

    def _clear_data(self) -> None:
        super()._clear_data()
        self._ready: list[FlimFrameInfo] = []
        self._summed = np.zeros((self._n_pixels, self._n_bins), np.uint64)
        self._summed_begin = np.zeros(self._n_pixels, np.int64)
        self._summed_time = np.zeros(self._n_pixels, np.int64)

    def _store(self, number: int, data: np.ndarray, begins: np.ndarray, ends: np.ndarray) -> None:
        self._ready = (self._ready + [FlimFrameInfo(data, begins, ends, number, self._n_pixels)])[
            -max(1, self._finish_after):]
        self._summed += data
        self._summed_time += ends - begins

    def _current(self) -> FlimFrameInfo:
        pixel = int(self._state[km.FLIM_PIXEL]) + 1
        return FlimFrameInfo(self._output + self._hist, self._begins.copy(), self._ends.copy(), self._frames_out, pixel)

    def _ready_frame(self, index: int) -> FlimFrameInfo:
        value = validation.integer("index", index)
        if value == -1:
            return self._ready[-1] if self._ready else FlimFrameInfo()
        if self._finish_after == 0 or not 0 <= value < self._finish_after:
            raise ValueError(f"index {value} is out of range: use -1"
                             + (f" or 0 to {self._finish_after - 1}" if self._finish_after else
                                " (finish_after_outputframe is 0: only the last frame is kept)"))
        return self._ready[value] if value < len(self._ready) else FlimFrameInfo()

    def _summed_frame(self, only_ready_frames: bool, clear_summed: bool) -> FlimFrameInfo:
        counts = self._summed.copy()
        durations = self._summed_time.copy()
        if not only_ready_frames:
            current = self._current()
            counts += current.getHistograms()
            durations += np.where(current.getPixelEnds() > current.getPixelBegins(),
                                  current.getPixelEnds() - current.getPixelBegins(), 0)
        frame = FlimFrameInfo(counts.astype(np.uint32), np.zeros(self._n_pixels, np.int64), durations,
                              self._frames_out, self._n_pixels)
        if clear_summed:
            self._summed[:] = 0
            self._summed_time[:] = 0
        return frame

    def getCurrentFrame(self) -> np.ndarray:
        """The histograms of the frame being acquired, n_pixels x n_bins (uint32)."""
        return self.getCurrentFrameEx().getHistograms()

    def getCurrentFrameEx(self) -> FlimFrameInfo:
        """The frame being acquired, with its pixel times."""
        with self._engine.lock:
            return self._current()

    def getCurrentFrameIntensity(self) -> np.ndarray:
        """Intensities (counts per second) of the pixels of the frame being acquired (float32)."""
        return self.getCurrentFrameEx().getIntensities()

    def getReadyFrame(self, index: int = -1) -> np.ndarray:
        """Histograms of a completed frame (-1: the last), n_pixels x n_bins (uint32)."""
        with self._engine.lock:
            frame = self._ready_frame(index)
        return frame.getHistograms() if frame.valid else np.zeros((self._n_pixels, self._n_bins), np.uint32)

    def getReadyFrameEx(self, index: int = -1) -> FlimFrameInfo:
        """A completed frame (-1: the last); an invalid one if there is none yet."""
        with self._engine.lock:
            return self._ready_frame(index)

    def getReadyFrameIntensity(self, index: int = -1) -> np.ndarray:
        """Intensities (counts per second) of a completed frame (float32)."""
        with self._engine.lock:
            frame = self._ready_frame(index)
        return frame.getIntensities() if frame.valid else np.zeros(self._n_pixels, np.float32)

    def getSummedFrames(self, only_ready_frames: bool = True, clear_summed: bool = False) -> np.ndarray:
        """Histograms summed over all frames since the start (or the last clear_summed)."""
        return self.getSummedFramesEx(only_ready_frames, clear_summed).getHistograms()

    def getSummedFramesEx(self, only_ready_frames: bool = True, clear_summed: bool = False) -> FlimFrameInfo:
        """The summed frames with their summed integration times."""
        with self._engine.lock:
            return self._summed_frame(bool(only_ready_frames), bool(clear_summed))

    def getSummedFramesIntensity(self, only_ready_frames: bool = True, clear_summed: bool = False) -> np.ndarray:
        """Intensities (counts per second) of the summed frames (float32)."""
        return self.getSummedFramesEx(only_ready_frames, clear_summed).getIntensities()

    def getFramesAcquired(self) -> int:
        """Output frames completed since creation or clear."""
        with self._engine.lock:
            return self._frames_out

    def getIndex(self) -> np.ndarray:
        """Left edge of each histogram bin in ps (int64)."""
        return np.arange(self._n_bins, dtype=np.int64) * self._binwidth
