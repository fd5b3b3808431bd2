"""ID3v2.4 tags on the podcast MP3 (mutagen): title, artist, album, track, date, genre, description, the
show's website, the cover as APIC, and chapters as CHAP frames under a top-level, ordered CTOC.

Pure: `id3_tags` (the frames, from the episode's fields, the cover's bytes and the chapter marks). With files:
`image_mime`, `mp3_duration`, `write_tags`.
"""

from __future__ import annotations

import datetime
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from pipeline.errors import InputError
from pipeline.formats.chapters import ChapterMark
from pipeline.formats.times import milliseconds

if TYPE_CHECKING:
    from mutagen.id3 import ID3


@dataclass(frozen=True)
class EpisodeTags:
    """The text an episode's MP3 carries."""

    title: str  # TIT2
    artist: str  # TPE1: the show's author
    album: str  # TALB: the show's title
    track: int | None  # TRCK: the episode's number (an imported trailer may have none)
    date: datetime.date  # TDRC, as YYYY-MM-DD
    description: str  # TIT3 and COMM
    website: str  # WOAS: the show's web site


def id3_tags(tags: EpisodeTags, cover_mime: str, cover: bytes, chapters: Sequence[ChapterMark]) -> ID3:
    """The ID3 frames of an episode's MP3, chapters as chp0, chp1… under the table of contents `toc`."""
    from mutagen.id3 import (
        APIC,
        CHAP,
        COMM,
        CTOC,
        ID3,
        TALB,
        TCON,
        TDRC,
        TIT2,
        TIT3,
        TPE1,
        TRCK,
        WOAS,
        WXXX,
        CTOCFlags,
    )

    frames = ID3()
    frames.add(TIT2(encoding=3, text=tags.title))
    frames.add(TPE1(encoding=3, text=tags.artist))
    frames.add(TALB(encoding=3, text=tags.album))
    if tags.track is not None:
        frames.add(TRCK(encoding=3, text=str(tags.track)))
    frames.add(TDRC(encoding=3, text=tags.date.strftime("%Y-%m-%d")))
    frames.add(TCON(encoding=3, text="Podcast"))
    frames.add(TIT3(encoding=3, text=tags.description))
    frames.add(COMM(encoding=3, lang="eng", desc="", text=tags.description))
    frames.add(WOAS(url=tags.website))
    frames.add(APIC(encoding=3, mime=cover_mime, type=3, desc="Cover", data=cover))
    if chapters:
        element_ids = [f"chp{index}" for index in range(len(chapters))]
        frames.add(CTOC(element_id="toc", flags=CTOCFlags.TOP_LEVEL | CTOCFlags.ORDERED, child_element_ids=element_ids,
                        sub_frames=[TIT2(encoding=3, text="Chapters")]))
        for element_id, mark in zip(element_ids, chapters, strict=True):
            sub_frames = [TIT2(encoding=3, text=mark.title)]
            if mark.url:
                sub_frames.append(WXXX(encoding=3, desc="", url=mark.url))
            frames.add(CHAP(element_id=element_id, start_time=milliseconds(mark.start), end_time=milliseconds(mark.end),
                            sub_frames=sub_frames))
    return frames


def image_mime(path: Path) -> str:
    """image/jpeg or image/png for a cover; InputError naming the file for anything else."""
    from PIL import Image

    try:
        with Image.open(path) as image:
            kind = image.format
    except OSError as exc:
        raise InputError(f"{path}: not a readable image ({exc})", hint="use a JPEG or PNG cover") from exc
    if kind not in ("JPEG", "PNG"):
        raise InputError(f"{path}: the cover is {kind}, not JPEG or PNG", hint="save the cover as JPEG or PNG")
    return "image/jpeg" if kind == "JPEG" else "image/png"


def mp3_duration(path: Path) -> float:
    """Seconds of an MP3, as mutagen reads them (the Xing header)."""
    from mutagen.mp3 import MP3

    return float(MP3(path).info.length)


def write_tags(mp3: Path, tags: EpisodeTags, cover: Path, chapters: Sequence[ChapterMark]) -> None:
    """Write ID3v2.4 tags, the cover (JPEG or PNG) and `chapters` into `mp3`, replacing any tags it has."""
    id3_tags(tags, image_mime(cover), cover.read_bytes(), chapters).save(mp3, v2_version=4)
