"""The caption band as a moviepy clip whose frames are ready for the pipe."""

from __future__ import annotations

from collections.abc import Iterator, Sequence

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
    count = max(1, int(np.ceil(duration * fps - 1e-6)))
    for number in range(count):
        yield number / fps
