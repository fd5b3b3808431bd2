"""Caption style and frame geometry: config values resolved for one output size."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from pipeline.config.show import VideoSettings
from pipeline.errors import ConfigError, InputError

FONTS_DIR = Path(__file__).resolve().parent.parent / "assets" / "fonts"
DEFAULT_FONT = FONTS_DIR / "DejaVuSans-Bold.ttf"
REGULAR_FONT = FONTS_DIR / "DejaVuSans.ttf"

RGB = tuple[int, int, int]


@dataclass(frozen=True)
class CaptionStyle:
    font: Path
    font_size: int  # 0 = scaled to the frame
    text_color: RGB
    highlight_color: RGB
    outline_color: RGB
    outline_width: int
    position: str  # bottom | middle | top
    highlight_words: bool

    def size_for(self, width: int, height: int) -> int:
        """Font size in pixels for a frame: the configured size, or about 5.5% of the short side."""
        return self.font_size or max(12, round(min(width, height) * 0.055))

    def outline_for(self, width: int, height: int) -> int:
        """The outline scales with the frame: the configured width is for a 720-pixel short side."""
        if self.outline_width == 0:
            return 0
        return max(1, round(self.outline_width * min(width, height) / 720))


def parse_color(value: str, key: str, source: str = "config/show.yaml") -> RGB:
    from PIL import ImageColor

    try:
        rgb = ImageColor.getrgb(value)
    except ValueError:
        raise ConfigError([f"{source}: video.{key}: {value!r} is not a colour; use #RRGGBB or a name like white"]) from None
    return (rgb[0], rgb[1], rgb[2])


def resolve_font(value: str | None, project_root: Path | None = None) -> Path:
    """The configured TTF (relative to the project root) or the bundled DejaVu Sans Bold; InputError if unusable."""
    from PIL import ImageFont

    if value is None:
        path = DEFAULT_FONT
    else:
        path = Path(value)
        if not path.is_absolute() and project_root is not None:
            path = project_root / path
    if not path.is_file():
        raise InputError(
            f"{path}: caption font not found (config/show.yaml: video.font)",
            hint=f"point video.font at a .ttf file, or remove the key to use the bundled {DEFAULT_FONT.name}",
        )
    try:
        ImageFont.truetype(str(path), 20)
    except OSError as exc:
        raise InputError(f"{path}: not a usable TrueType/OpenType font ({exc})",
                         hint="use a .ttf or .otf file, e.g. the bundled DejaVuSans-Bold.ttf") from exc
    return path


def caption_style(settings: VideoSettings, project_root: Path | None = None) -> CaptionStyle:
    return CaptionStyle(
        font=resolve_font(settings.font, project_root),
        font_size=settings.font_size,
        text_color=parse_color(settings.text_color, "text_color"),
        highlight_color=parse_color(settings.highlight_color, "highlight_color"),
        outline_color=parse_color(settings.outline_color, "outline_color"),
        outline_width=settings.outline_width,
        position=settings.position,
        highlight_words=settings.highlight_words,
    )


def even(value: float) -> int:
    """yuv420p needs even sizes and offsets."""
    return max(2, int(value) // 2 * 2)


@dataclass(frozen=True)
class Box:
    x: int
    y: int
    width: int
    height: int

    @property
    def bottom(self) -> int:
        return self.y + self.height


def safe_area(width: int, height: int) -> Box:
    """Where text may go: 5% margins (graphics-safe), more at the bottom of portrait frames, whose lower
    fifth the players of shorts and reels cover with their own buttons and titles."""
    portrait = height > width
    left = even(width * 0.05)
    top = even(height * (0.08 if portrait else 0.05))
    bottom = even(height * (0.20 if portrait else 0.07))
    return Box(left, top, even(width - 2 * left), even(height - top - bottom))
