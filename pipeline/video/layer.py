"""The caption band as a moviepy clip whose frames are ready for the pipe, and the pipe's stream of them.

A still picture (an audiogram) changes only when its captions do: `changed_frames` picks those frames out
of the constant-rate grid, and `timed_stream` sends them to ffmpeg with their times (NUT, raw yuva420p), so
ffmpeg composes and encodes a few frames a second instead of every frame of the grid.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Iterator, Sequence
from fractions import Fraction

import numpy as np
from moviepy import VideoClip

from pipeline.formats.captions import Cue
from pipeline.video.captions import CaptionPainter, CaptionTimeline, CueDrawing, State
from pipeline.video.planar import PlanarFrame
from pipeline.video.style import CaptionStyle

PIXEL_FORMAT = "yuva420p"


class CaptionClip(VideoClip):
    """A moviepy VideoClip of the caption band (`painter.band` of the output frame).

    Its frames are yuva420p planes (a (height·5/2)×width uint8 array, see PlanarFrame), the pixel format
    ffmpeg reads from the pipe. While the caption state does not change, `get_frame` returns the identical
    array, so consecutive frames cost a dictionary lookup. Only the cue on screen is kept drawn: memory
    does not grow with the length of the episode.
    """

    def __init__(self, style: CaptionStyle, width: int, height: int, cues: Sequence[Cue], duration: float) -> None:
        super().__init__(duration=duration)
        self.cues = list(cues)
        self.painter = CaptionPainter(style, width, height, self.cues)
        self.timeline = CaptionTimeline(self.cues, style.highlight_words)
        band = self.painter.band
        self.size = (band.width, band.height)
        self.blank = PlanarFrame(band.width, band.height)
        self._drawing: tuple[int, CueDrawing] | None = None
        self.frame_function = self.frame_at

    def planar_at(self, t: float) -> PlanarFrame:
        return self.planar_for(self.timeline.state_at(t))

    def planar_for(self, state: State) -> PlanarFrame:
        if state is None:
            return self.blank
        cue_index, word_index = state
        if self._drawing is None or self._drawing[0] != cue_index:
            self._drawing = (cue_index, CueDrawing(self.painter, self.cues[cue_index]))
        return self._drawing[1].frame(word_index)

    def frame_at(self, t: float) -> np.ndarray:
        return self.planar_at(t).buffer

    def rgba_at(self, t: float) -> np.ndarray:
        """The band as RGBA, for previews and tests."""
        return self.planar_at(t).to_rgba()


def frame_times(duration: float, fps: float) -> Iterator[float]:
    """Times of the frames of a `duration`-second video at `fps`: 0, 1/fps, … (the last one starts before the end)."""
    for number in range(frame_count(duration, fps)):
        yield number / fps


def frame_count(duration: float, fps: float) -> int:
    return max(1, int(np.ceil(duration * fps - 1e-6)))


def changed_frames(clip: CaptionClip, fps: float, every: int) -> Iterator[tuple[int, PlanarFrame]]:
    """(number, band) of the frames of the constant-rate grid at `fps` where the band changes, of every
    `every`-th frame (whatever else moves, the progress bar, moves then), and of the last frame (the video
    lasts as long as the audio). Frame n shows the caption state at n / fps, as in a constant-rate video."""
    count = frame_count(clip.duration, fps)
    candidates = {0, count - 1, *range(0, count, every)}
    for t in clip.timeline.times:
        if t < clip.duration:  # the first frame at or after a change, whichever way the product rounds
            candidates.update((min(count - 1, math.floor(t * fps)), min(count - 1, math.ceil(t * fps))))
    previous = None
    for number in sorted(candidates):
        state = clip.timeline.state_at(number / fps)
        if number == 0 or state != previous or number % every == 0 or number == count - 1:
            yield number, clip.planar_for(state)
        previous = state


def timed_stream(frames: Iterable[tuple[int, PlanarFrame]], width: int, height: int, fps: Fraction) -> Iterator[bytes]:
    """`frames` (grid number, band) muxed as NUT: raw yuva420p frames, each with its time, ready for ffmpeg's stdin."""
    import av

    class Collected:  # PyAV writes the container into this; each write is passed on as it comes
        def __init__(self) -> None:
            self.parts: list[bytes] = []

        def write(self, data: bytes) -> int:
            self.parts.append(bytes(data))
            return len(data)

        def take(self) -> bytes:
            taken, self.parts = b"".join(self.parts), []
            return taken

    sink = Collected()
    with av.open(sink, "w", format="nut") as container:
        stream = container.add_stream("rawvideo", rate=fps)
        stream.width, stream.height, stream.pix_fmt = width, height, PIXEL_FORMAT
        tick = 1 / fps
        for number, frame in frames:
            packet = av.Packet(frame.buffer.tobytes())
            packet.pts = packet.dts = number
            packet.duration = 1
            packet.time_base = tick
            packet.stream = stream
            container.mux(packet)
            yield sink.take()
    yield sink.take()
