"""Draw the Massage Monday show cover (3000×3000 would be allowed; 1400×1400 keeps it small).

Run once: `.venv/bin/python scripts/make_cover.py config/cover.jpg`. The result is committed.
"""

from __future__ import annotations

import sys
from pathlib import Path

from PIL import Image, ImageDraw, ImageFont

from pipeline.video.style import DEFAULT_FONT, REGULAR_FONT

SIZE = 1400


def draw_cover(target: Path) -> None:
    image = Image.new("RGB", (SIZE, SIZE))
    draw = ImageDraw.Draw(image)
    for y in range(SIZE):  # vertical gradient, teal to deep blue
        t = y / SIZE
        draw.line([(0, y), (SIZE, y)], fill=(int(20 + 10 * t), int(150 - 90 * t), int(150 - 20 * t)))
    draw.ellipse([250, 180, 1150, 1080], outline=(255, 255, 255), width=18)
    bold = ImageFont.truetype(str(DEFAULT_FONT), 190)
    regular = ImageFont.truetype(str(REGULAR_FONT), 80)
    draw.text((SIZE // 2, 520), "Massage", font=bold, fill="white", anchor="mm")
    draw.text((SIZE // 2, 740), "Monday", font=bold, fill=(255, 212, 0), anchor="mm")
    draw.text((SIZE // 2, 1230), "a weekly podcast on massage", font=regular, fill="white", anchor="mm")
    image.save(target, "JPEG", quality=88, optimize=True)


if __name__ == "__main__":
    draw_cover(Path(sys.argv[1] if len(sys.argv) > 1 else "config/cover.jpg"))
