"""Burned-in captions: layout, drawing, and the timeline of caption states.

Why it is fast: a video has few distinct caption pictures (one per cue, plus one per highlighted word),
but thousands of frames. Each distinct picture is drawn and converted to the pipe's pixel format once;
every other frame returns the very same array. Only the band where captions go is piped, never the
full frame: ffmpeg decodes and scales the picture and blends the band on top.
"""

from __future__ import annotations

import bisect
import functools
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from pipeline.formats.captions import Cue
from pipeline.video.planar import PlanarFrame
from pipeline.video.style import Box, CaptionStyle, safe_area

if TYPE_CHECKING:
    from PIL import ImageFont

MAX_BAND_LINES = 4  # the band holds this many lines; a cue that needs more is drawn smaller
MIN_SCALE = 0.5  # never shrink text below half the configured size
NAME_SCALE = 0.6  # the speaker's name above the caption, this much of the caption's size
HIGHLIGHT_HOLD = 0.25  # keep a word highlighted across a pause shorter than this, so it doesn't flicker

State = tuple[int, int] | None  # (cue index, highlighted word index or -1), or None: no caption on screen


@dataclass(frozen=True)
class PlacedWord:
    index: int  # position in cue.words
    text: str
    x: int  # left edge of the text, in band coordinates
    baseline: int


@dataclass(frozen=True)
class CueLayout:
    words: tuple[PlacedWord, ...]
    font_size: int
    speaker: PlacedWord | None = None  # the speaker's name, smaller, above the lines (index -1)


@functools.cache
def _font(path: str, size: int) -> ImageFont.FreeTypeFont:
    from PIL import ImageFont

    return ImageFont.truetype(path, size)


def reflow(words: Sequence[str], font: ImageFont.FreeTypeFont, max_width: float) -> list[list[int]]:
    """Greedy line breaking of word indexes so each line fits `max_width`."""
    lines: list[list[int]] = []
    current: list[int] = []
    for index in range(len(words)):
        candidate = " ".join(words[i] for i in [*current, index])
        if current and font.getlength(candidate) > max_width:
            lines.append(current)
            current = [index]
        else:
            current.append(index)
    if current:
        lines.append(current)
    return lines


class CaptionPainter:
    """Lays out and draws cues into a fixed band of a `width`×`height` frame."""

    def __init__(self, style: CaptionStyle, width: int, height: int, cues: Sequence[Cue]) -> None:
        self.style = style
        self.frame_width, self.frame_height = width, height
        self.area = safe_area(width, height)
        self.font_size = style.size_for(width, height)
        self.outline = style.outline_for(width, height)
        self.max_text_width = self.area.width - 2 * self.outline
        lines_needed = 1
        widest = 0.0
        font = self.font(self.font_size)
        for cue in cues:
            lines = self._lines(cue, self.font_size)
            lines_needed = max(lines_needed, len(lines))
            widest = max([widest, *(font.getlength(" ".join(cue.words[i].text for i in line)) for line in lines)])
        self.band_lines = min(lines_needed, MAX_BAND_LINES)
        self.name_size = max(8, round(self.font_size * NAME_SCALE))
        names = {cue.speaker for cue in cues if cue.speaker}
        self.name_height = self.line_height(self.name_size) if names else 0  # a row for who is speaking
        widest = max([widest, *(self.font(self.name_size).getlength(name) for name in names)])
        band_width = min(self.area.width, int(widest) + 2 * self.outline + 8)
        band_width += band_width % 2
        band_height = self.band_lines * self.line_height(self.font_size) + self.name_height + 2 * self.outline + 8
        band_height += -band_height % 4
        self.band = self._place_band(band_width, band_height)

    def font(self, size: int) -> ImageFont.FreeTypeFont:
        return _font(str(self.style.font), size)

    def line_height(self, size: int) -> int:
        ascent, descent = self.font(size).getmetrics()
        return round((ascent + descent) * 1.08)

    def _place_band(self, band_width: int, band_height: int) -> Box:
        area = self.area
        x = (self.frame_width - band_width) // 4 * 2
        if self.style.position == "top":
            y = area.y
        elif self.style.position == "middle":
            y = area.y + (area.height - band_height) // 2
        else:
            y = area.bottom - band_height
        return Box(x, max(0, y // 2 * 2), band_width, min(band_height, self.frame_height // 4 * 4))

    def _lines(self, cue: Cue, size: int) -> list[list[int]]:
        """Word indexes per line: the cue's own lines when they fit the frame, re-flowed when they don't."""
        font = self.font(size)
        texts = [word.text for word in cue.words]
        lines, start = [], 0
        for line in cue.lines:
            lines.append(list(range(start, start + len(line))))
            start += len(line)
        if all(font.getlength(" ".join(texts[i] for i in line)) <= self.max_text_width for line in lines):
            return lines
        return reflow(texts, font, self.max_text_width)

    def _fits(self, cue: Cue, lines: list[list[int]], size: int) -> bool:
        font = self.font(size)
        return len(lines) <= self.band_lines and all(
            font.getlength(" ".join(cue.words[i].text for i in line)) <= self.max_text_width for line in lines
        )

    def layout(self, cue: Cue) -> CueLayout:
        """Where each word goes; a cue that needs more lines than the band holds, or has a word wider than
        the frame (a long URL in a portrait frame), is drawn smaller, down to MIN_SCALE."""
        size = self.font_size
        lines = self._lines(cue, size)
        while not self._fits(cue, lines, size) and size > self.font_size * MIN_SCALE:
            size = max(int(size * 0.9), 8)
            lines = self._lines(cue, size)
        font = self.font(size)
        line_height = self.line_height(size)
        ascent, _ = font.getmetrics()
        block = len(lines) * line_height
        inner = self.band.height - 2 * self.outline - 8 - self.name_height
        top = {"top": 0, "middle": (inner - block) // 2}.get(self.style.position, inner - block) + self.outline + 4
        top += self.name_height
        texts = [word.text for word in cue.words]
        placed: list[PlacedWord] = []
        for row, line in enumerate(lines):
            line_text = " ".join(texts[i] for i in line)
            left = (self.band.width - font.getlength(line_text)) / 2
            baseline = top + row * line_height + ascent
            for position, index in enumerate(line):
                prefix = " ".join(texts[i] for i in line[:position])
                x = left + (font.getlength(prefix + " ") if prefix else 0.0)
                placed.append(PlacedWord(index, texts[index], round(x), baseline))
        speaker = None
        if cue.speaker and self.name_height:
            name_font = self.font(self.name_size)
            name_left = (self.band.width - name_font.getlength(cue.speaker)) / 2
            speaker = PlacedWord(-1, cue.speaker, round(name_left), top - round(self.name_height * 0.25))
        return CueLayout(tuple(placed), size, speaker)


class CueDrawing:
    """One cue drawn once; its plain frame and each highlighted-word frame derived from the same masks."""

    def __init__(self, painter: CaptionPainter, cue: Cue) -> None:
        from PIL import Image, ImageDraw

        self.painter = painter
        self.layout = painter.layout(cue)
        style = painter.style
        band = painter.band
        font = painter.font(self.layout.font_size)
        stroke_image = Image.new("L", (band.width, band.height), 0)
        fill_image = Image.new("L", (band.width, band.height), 0)
        stroke_draw, fill_draw = ImageDraw.Draw(stroke_image), ImageDraw.Draw(fill_image)
        self.boxes: dict[int, tuple[int, int, int, int]] = {}
        for word in self.layout.words:
            position = (word.x, word.baseline)
            stroke_draw.text(position, word.text, font=font, fill=255, anchor="ls", stroke_width=painter.outline)
            fill_draw.text(position, word.text, font=font, fill=255, anchor="ls")
            left, top, right, bottom = stroke_draw.textbbox(position, word.text, font=font, anchor="ls",
                                                            stroke_width=painter.outline)
            self.boxes[word.index] = (
                max(0, left // 2 * 2), max(0, top // 2 * 2),
                min(band.width, right + right % 2), min(band.height, bottom + bottom % 2),
            )
        name = self.layout.speaker
        if name is not None:
            name_font = painter.font(painter.name_size)
            position = (name.x, name.baseline)
            stroke_draw.text(position, name.text, font=name_font, fill=255, anchor="ls", stroke_width=painter.outline)
            fill_draw.text(position, name.text, font=name_font, fill=255, anchor="ls")
            left, top, right, bottom = stroke_draw.textbbox(position, name.text, font=name_font, anchor="ls",
                                                            stroke_width=painter.outline)
            self.boxes[-1] = (max(0, left // 2 * 2), max(0, top // 2 * 2),
                              min(band.width, right + right % 2), min(band.height, bottom + bottom % 2))
        self.alpha = np.maximum(np.asarray(stroke_image), np.asarray(fill_image))
        self.coverage = np.asarray(fill_image).astype(np.float32)[..., None] / 255.0
        self.outline_rgb = np.array(style.outline_color, dtype=np.float32)
        self.plain = PlanarFrame(band.width, band.height)
        if self.boxes:  # paint only the box around the text; the rest of the band stays transparent
            left = min(box[0] for box in self.boxes.values())
            top = min(box[1] for box in self.boxes.values())
            right = max(box[2] for box in self.boxes.values())
            bottom = max(box[3] for box in self.boxes.values())
            region = np.s_[top:bottom, left:right]
            self.plain.paint(self._colour(style.text_color, region), self.alpha[region], left, top)
        self._highlighted: dict[int, PlanarFrame] = {}

    def _colour(self, fill: tuple[int, int, int], region: tuple[slice, slice]) -> np.ndarray:
        fill_rgb = np.array(fill, dtype=np.float32)
        return self.outline_rgb + (fill_rgb - self.outline_rgb) * self.coverage[region]

    def frame(self, highlighted: int) -> PlanarFrame:
        if highlighted < 0 or highlighted not in self.boxes:  # -1: nothing highlighted (the name's box is -1 too)
            return self.plain
        cached = self._highlighted.get(highlighted)
        if cached is None:
            left, top, right, bottom = self.boxes[highlighted]
            region = np.s_[top:bottom, left:right]
            cached = self.plain.copy()
            cached.paint(self._colour(self.painter.style.highlight_color, region), self.alpha[region], left, top)
            self._highlighted[highlighted] = cached
        return cached


class CaptionTimeline:
    """Which caption state is on screen at any time: a sorted list of change points, looked up by bisection."""

    def __init__(self, cues: Sequence[Cue], highlight_words: bool) -> None:
        changes: list[tuple[float, State]] = []
        for index, cue in enumerate(cues):
            changes.append((cue.start, (index, -1)))
            words = cue.words
            if highlight_words:
                for number, word in enumerate(words):
                    start = max(word.start, cue.start)
                    following = words[number + 1].start if number + 1 < len(words) else cue.end
                    end = following if following - word.end < HIGHLIGHT_HOLD else word.end
                    if start < min(end, cue.end):
                        changes.append((start, (index, number)))
                        if end < following:
                            changes.append((end, (index, -1)))
            changes.append((cue.end, None))
        changes.sort(key=lambda change: change[0])  # stable: at equal times the later entry (next cue) wins
        self.times = [time for time, _ in changes]
        self.states = [state for _, state in changes]

    def state_at(self, t: float) -> State:
        position = bisect.bisect_right(self.times, t) - 1
        return self.states[position] if position >= 0 else None

    def distinct_states(self) -> int:
        return len({state for state in self.states if state is not None})
