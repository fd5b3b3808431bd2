"""Podcasting 2.0 JSON chapters: the one model, writer, reader and checker of the format.

Written by the notes stage, read by ingest (ID3 CHAP frames) and checked by the validate stage.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from pipeline.formats.urls import check_web_url

CHAPTERS_VERSION = "1.2.0"


@dataclass(frozen=True)
class ChapterMark:
    start: float
    end: float
    title: str
    url: str | None = None


def chapters_document(chapters: Sequence[ChapterMark]) -> dict[str, Any]:
    entries = []
    for chapter in chapters:
        entry: dict[str, Any] = {"startTime": round(chapter.start, 3), "title": chapter.title}
        if chapter.url:
            entry["url"] = chapter.url
        entry["endTime"] = round(chapter.end, 3)
        entries.append(entry)
    return {"version": CHAPTERS_VERSION, "chapters": entries}


def check_chapters_document(data: Any, duration: float | None = None) -> list[str]:
    """Problems with a Podcasting 2.0 JSON chapters document (version, ascending startTime, titles, urls)."""
    if not isinstance(data, dict):
        return ["not a JSON object"]
    problems = []
    if data.get("version") != CHAPTERS_VERSION:
        problems.append(f"version: {data.get('version')!r} should be {CHAPTERS_VERSION!r}")
    chapters = data.get("chapters")
    if not isinstance(chapters, list) or not chapters:
        return [*problems, "chapters: must be a non-empty list"]
    previous = -1.0
    for index, chapter in enumerate(chapters):
        where = f"chapters[{index}]"
        start = chapter.get("startTime") if isinstance(chapter, dict) else None
        if not isinstance(start, int | float) or isinstance(start, bool) or start < 0:
            problems.append(f"{where}.startTime: {start!r} must be a number of seconds ≥ 0")
            continue
        if start <= previous:
            problems.append(f"{where}.startTime: {start} is not after the previous chapter's ({previous})")
        previous = float(start)
        title = chapter.get("title")
        if not isinstance(title, str) or not title.strip():
            problems.append(f"{where}.title: must be a non-empty string")
        if "url" in chapter:
            try:
                check_web_url(str(chapter["url"]))
            except ValueError as exc:
                problems.append(f"{where}.url: {chapter['url']!r} {exc}")
        end = chapter.get("endTime")
        if end is not None and (not isinstance(end, int | float) or end <= start):
            problems.append(f"{where}.endTime: {end!r} must be after startTime")
    if chapters and isinstance(chapters[0], dict) and chapters[0].get("startTime") != 0:
        problems.append("chapters[0].startTime: the first chapter must start at 0")
    if duration is not None and previous >= duration:
        problems.append(f"chapters[-1].startTime: {previous} is not before the end of the episode ({duration:.3f})")
    return problems


def marks_from_document(document: dict[str, Any], duration: float) -> list[ChapterMark]:
    """Chapters → marks with end times (the next start; the last one ends with the audio), clipped to `duration`."""
    chapters = sorted(
        (c for c in document.get("chapters", []) if c.get("toc", True) is not False),
        key=lambda c: float(c["startTime"]),
    )
    marks = []
    for index, chapter in enumerate(chapters):
        start = float(chapter["startTime"])
        if start >= duration:
            break
        following = float(chapters[index + 1]["startTime"]) if index + 1 < len(chapters) else duration
        end = min(float(chapter.get("endTime", following)), duration)
        marks.append(ChapterMark(start=start, end=max(end, start), title=str(chapter["title"]), url=chapter.get("url")))
    return marks
