"""Flim and FlimBase against a brute-force replay of the documented pixel and frame logic."""
from __future__ import annotations

import bisect

import numpy as np
import pytest
from sim_stream import N_MAX_EVENTS

import timetagger_sim as TT

MS = 10**9
LASER, PHOTONS, PIXEL, FRAME = 1, 2, 3, 4
N_PIXELS, N_BINS, BINWIDTH = 8, 16, 800          # 16 x 0.8 ns = 12.8 ns, one laser period of 12.5 ns


def brute_frames(ts, ch, pixel_end, frame_begin):
    """Complete input frames as (histograms, pixel begins, pixel ends) in order."""
    frames, starts = [], []
    hist, begins, ends = np.zeros((N_PIXELS, N_BINS), np.int64), [0] * N_PIXELS, [0] * N_PIXELS
    pixel, in_pixel, frame_open = -1, False, frame_begin is None
    for t, c in zip(ts.tolist(), ch.tolist()):
        if c == PHOTONS and in_pixel:
            for s in starts[bisect.bisect_right(starts, t - N_BINS * BINWIDTH):]:
                hist[pixel, (t - s) // BINWIDTH] += 1
        if c == LASER:
            starts.append(t)
        if c == frame_begin:
            hist[:], pixel, in_pixel, frame_open = 0, -1, False, True
            continue
        if c == pixel_end and in_pixel:
            ends[pixel], in_pixel = t, False
            if pixel == N_PIXELS - 1:
                frames.append((hist.copy(), begins[:], ends[:]))
                hist[:], pixel, frame_open = 0, -1, frame_begin is None
            continue
        if c == PIXEL and frame_open:
            if in_pixel:
                ends[pixel], in_pixel = t, False
                if pixel == N_PIXELS - 1:
                    frames.append((hist.copy(), begins[:], ends[:]))
                    hist[:], pixel, frame_open = 0, -1, frame_begin is None
                    if not frame_open:
                        continue
            if pixel + 1 < N_PIXELS:
                pixel += 1
                begins[pixel], in_pixel = t, True
    return frames


@pytest.fixture
def microscope(tagger):
    """80 MHz laser, Poisson photons, a 10 us pixel clock and a 100 us frame clock."""
    sources = [TT.Experimental.UniformSignalGenerator(tagger, 12_500, 12_500, base_channel=LASER),
               TT.Experimental.ExponentialSignalGenerator(tagger, 5e6, base_channel=PHOTONS, seed=3),
               TT.Experimental.UniformSignalGenerator(tagger, 10_000_000, 10_000_000, base_channel=PIXEL),
               TT.Experimental.UniformSignalGenerator(tagger, 97_000_000, 97_000_000, base_channel=FRAME)]
    yield tagger
    del sources


class Recording(TT.Flim):
    def __init__(self, *args, **kwargs):
        self.calls = []
        super().__init__(*args, **kwargs)

    def frameReady(self, frame_number, data, pixel_begin_times, pixel_end_times, frame_begin_time, frame_end_time):
        self.calls.append((frame_number, data.copy(), pixel_begin_times.copy(), pixel_end_times.copy(),
                           frame_begin_time, frame_end_time))


@pytest.mark.parametrize("with_end, with_frame", [(False, False), (True, True), (False, True)])
def test_flim_frames_equal_brute_force(microscope, with_end, with_frame):
    tagger = microscope
    end_channel = TT.DelayedChannel(tagger, PIXEL, 7_000_000) if with_end else None
    group = TT.SynchronizedMeasurements(tagger)
    flim = Recording(group.getTagger(), LASER, PHOTONS, PIXEL, N_PIXELS, N_BINS, BINWIDTH,
                     pixel_end_channel=end_channel.getChannel() if with_end else TT.CHANNEL_UNUSED,
                     frame_begin_channel=FRAME if with_frame else TT.CHANNEL_UNUSED,
                     finish_after_outputframe=3, n_frame_average=2)
    channels = [LASER, PHOTONS, PIXEL, FRAME] + ([end_channel.getChannel()] if with_end else [])
    stream = TT.TimeTagStream(group.getTagger(), N_MAX_EVENTS, channels)
    group.startFor(2 * MS)
    group.waitUntilFinished()
    data = stream.getData()
    frames = brute_frames(data.getTimestamps(), data.getChannels(),
                          end_channel.getChannel() if with_end else None, FRAME if with_frame else None)
    assert len(frames) >= 6
    assert not flim.isAcquiring() and flim.getFramesAcquired() == 3
    for k in range(3):
        (h1, b1, _), (h2, _, e2) = frames[2 * k], frames[2 * k + 1]
        expected = h1 + h2                                   # two input frames per output frame
        np.testing.assert_array_equal(flim.getReadyFrame(k), expected)
        info = flim.getReadyFrameEx(k)
        assert info.isValid() and info.getFrameNumber() == k and info.pixels == N_PIXELS and info.bins == N_BINS
        np.testing.assert_array_equal(info.getPixelBegins(), b1)
        np.testing.assert_array_equal(info.getPixelEnds(), e2)
        np.testing.assert_allclose(info.getIntensities(),
                                   expected.sum(axis=1) / ((np.array(e2) - np.array(b1)) * 1e-12), rtol=1e-6)
        number, flat, begins, ends, _, frame_end = flim.calls[k]
        assert number == k and flat.dtype == np.uint32
        np.testing.assert_array_equal(flat, expected.reshape(-1))     # pixel i, bin j at i * n_bins + j
        assert frame_end == e2[-1]
    np.testing.assert_array_equal(flim.getSummedFrames(), sum(f[0] for f in frames[:6]))
    assert expected.sum() > 500
    np.testing.assert_array_equal(flim.getIndex(), np.arange(N_BINS) * BINWIDTH)
    with pytest.raises(ValueError, match="index 3 is out of range"):
        flim.getReadyFrame(3)


class Renderer(TT.FlimBase):
    """The library's pattern for subclasses: pre_initialize=False, then initialize()."""

    def __init__(self, tagger):
        super().__init__(tagger, LASER, PHOTONS, PIXEL, N_PIXELS, N_BINS, BINWIDTH, pre_initialize=False)
        self.intensity = []
        self.initialize()

    def frameReady(self, frame_number, data, pixel_begin_times, pixel_end_times, frame_begin_time, frame_end_time):
        self.intensity.append(data.reshape(N_PIXELS, N_BINS).sum(axis=1))


def test_flim_base_hands_every_frame_to_frame_ready(microscope):
    renderer = Renderer(microscope)
    assert renderer.isRunning() and renderer.isAcquiring()
    renderer.startFor(MS)
    renderer.waitUntilFinished()
    assert len(renderer.intensity) == pytest.approx(1e9 / (N_PIXELS * 1e7), abs=1)   # a frame per 80 us
    assert all(frame.sum() > 0 for frame in renderer.intensity)
    empty = TT.Flim(microscope, LASER, PHOTONS, PIXEL, N_PIXELS, N_BINS, BINWIDTH)
    assert not empty.getReadyFrameEx().isValid() and empty.getReadyFrameEx().getFrameNumber() == -1
