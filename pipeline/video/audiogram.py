"""The audiogram's still picture: the show cover, the show and episode titles, the progress bar's track.

Drawn once with Pillow; ffmpeg draws the progress bar over it and blends the captions on top, only at
the frames where they change (see pipeline.video.renderer).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from pipeline.errors import InputError
from pipeline.video.captions import reflow
from pipeline.video.style import REGULAR_FONT, RGB, Box, CaptionStyle, even, safe_area

if TYPE_CHECKING:
    from PIL import Image, ImageFont

@dataclass(frozen=True)
class AudiogramLayout:
    cover: Box
    titles: Box
    progress: Box  # the bar along the bottom edge
    side_by_side: bool  # titles beside the cover (landscape) or under it (portrait, square)


def load_cover(path: Path) -> Image.Image:
    from PIL import Image, UnidentifiedImageError

    if not path.is_file():
        raise InputError(f"{path}: cover image not found (the audiogram shows it)",
                         hint="set `cover` in config/show.yaml to a JPEG or PNG file in the project")
    try:
        with Image.open(path) as image:
            image.load()
            return image.convert("RGB")
    except (UnidentifiedImageError, OSError) as exc:
        raise InputError(f"{path}: not a readable image ({exc})", hint="save the cover again as JPEG or PNG") from exc


def plan(width: int, height: int, band: Box) -> AudiogramLayout:
    """Cover and titles go in the larger free part of the safe area, above or below the caption band."""
    area = safe_area(width, height)
    bar_height = even(max(4, min(width, height) * 0.012))
    progress = Box(0, height - bar_height, width, bar_height)
    gap = even(min(width, height) * 0.04)
    above = band.y - gap - area.y
    below = area.bottom - band.bottom - gap
    if above >= below:
        free = Box(area.x, area.y, area.width, max(above, 2))
    else:
        free = Box(area.x, band.bottom + gap, area.width, max(below, 2))
    side_by_side = width >= height * 1.2
    if side_by_side:
        size = even(min(free.height, free.width * 0.42))
        cover = Box(free.x, free.y + (free.height - size) // 2, size, size)
        titles_x = cover.x + size + gap
        titles = Box(titles_x, cover.y, free.x + free.width - titles_x, size)
    else:
        titles_height = even(min(free.height * 0.32, height * 0.16))
        size = even(max(2, min(free.width * 0.7, free.height - titles_height - gap)))
        cover = Box((width - size) // 2, free.y, size, size)
        titles = Box(free.x, cover.bottom + gap, free.width, max(2, free.y + free.height - cover.bottom - gap))
    return AudiogramLayout(cover=cover, titles=titles, progress=progress, side_by_side=side_by_side)


def _wrap(text: str, font: ImageFont.FreeTypeFont, width: int) -> list[str]:
    words = text.split()
    return [" ".join(words[i] for i in line) for line in reflow(words, font, width)]


def _fit_text(text: str, font_path: Path, size: int, width: int, max_lines: int) -> tuple[ImageFont.FreeTypeFont, list[str]]:
    """The largest font size (from `size` down to half) at which `text` wraps into `max_lines` lines of `width`."""
    from PIL import ImageFont

    smallest = max(8, size // 2)
    while True:
        font = ImageFont.truetype(str(font_path), size)
        lines = _wrap(text, font, width)
        fits = len(lines) <= max_lines and all(font.getlength(line) <= width for line in lines)
        if fits or size <= smallest:
            if not fits:  # still too long at the smallest size: cut with an ellipsis
                lines = lines[:max_lines]
                while lines and font.getlength(lines[-1] + "…") > width and " " in lines[-1]:
                    lines[-1] = lines[-1].rsplit(" ", 1)[0]
                lines[-1] += "…"
            return font, lines
        size = int(size * 0.9)


def _darken(color: RGB, factor: float) -> RGB:
    return (int(color[0] * factor), int(color[1] * factor), int(color[2] * factor))


def background(cover_path: Path, show_title: str, episode_title: str, width: int, height: int,
               band: Box, style: CaptionStyle) -> tuple[Image.Image, AudiogramLayout]:
    """The still frame under the captions, and where its parts are."""
    from PIL import Image, ImageDraw, ImageFilter, ImageOps

    cover = load_cover(cover_path)
    layout = plan(width, height, band)
    # Backdrop: the cover blurred and darkened to fill the frame (blurred small, then scaled: cheap and smooth).
    small = ImageOps.fit(cover, (max(8, width // 16), max(8, height // 16)), Image.Resampling.BILINEAR)
    small = small.filter(ImageFilter.GaussianBlur(2))
    frame = small.resize((width, height), Image.Resampling.BICUBIC)
    frame = Image.blend(frame, Image.new("RGB", (width, height), (0, 0, 0)), 0.65)
    box = layout.cover
    frame.paste(cover.resize((box.width, box.height), Image.Resampling.LANCZOS), (box.x, box.y))

    draw = ImageDraw.Draw(frame)
    titles = layout.titles
    unit = min(width, height)
    show_font, show_lines = _fit_text(show_title, REGULAR_FONT, round(unit * 0.042), titles.width, 1)
    episode_font, episode_lines = _fit_text(episode_title, style.font, round(unit * 0.062), titles.width, 3)
    show_ascent, show_descent = show_font.getmetrics()
    episode_ascent, episode_descent = episode_font.getmetrics()
    show_line, episode_line = show_ascent + show_descent, round((episode_ascent + episode_descent) * 1.1)
    block = show_line + round(unit * 0.02) + episode_line * len(episode_lines)
    top = titles.y + max(0, (titles.height - block) // 2) if layout.side_by_side else titles.y
    anchor, x = ("la", titles.x) if layout.side_by_side else ("ma", titles.x + titles.width // 2)
    draw.text((x, top), show_lines[0], font=show_font, fill=style.highlight_color, anchor=anchor)
    y = top + show_line + round(unit * 0.02)
    for line in episode_lines:
        draw.text((x, y), line, font=episode_font, fill=style.text_color, anchor=anchor)
        y += episode_line
    bar = layout.progress  # the track the progress bar runs along
    draw.rectangle((bar.x, bar.y, bar.x + bar.width - 1, bar.y + bar.height - 1), fill=_darken(style.highlight_color, 0.3))
    return frame, layout


def title_card(show_title: str, episode_label: str, width: int, height: int, style: CaptionStyle) -> Image.Image:
    """The show title and the episode's number and title on a dark strip at the top of a transparent frame:
    laid over a video recording's picture in a clip, as the audiogram's background has them."""
    from PIL import Image, ImageDraw

    unit = min(width, height)
    margin = round(unit * 0.05)
    show_font, show_lines = _fit_text(show_title, REGULAR_FONT, round(unit * 0.045), width - 2 * margin, 1)
    label_font, label_lines = _fit_text(episode_label, style.font, round(unit * 0.055), width - 2 * margin, 2)
    show_line = sum(show_font.getmetrics())
    label_line = round(sum(label_font.getmetrics()) * 1.1)
    strip = margin + show_line + round(unit * 0.015) + label_line * len(label_lines) + margin
    card = Image.new("RGBA", (width, height), (0, 0, 0, 0))
    draw = ImageDraw.Draw(card)
    draw.rectangle((0, 0, width, strip), fill=(0, 0, 0, 150))
    x, y = width // 2, margin
    draw.text((x, y), show_lines[0], font=show_font, fill=style.highlight_color, anchor="ma")
    y += show_line + round(unit * 0.015)
    for line in label_lines:
        draw.text((x, y), line, font=label_font, fill=style.text_color, anchor="ma")
        y += label_line
    return card
