"""Writers for captions and transcripts: SubRip, WebVTT (through pysubs2), plain text, Podcasting 2.0 JSON.

Pure functions from cues or a transcript to text; the transcribe stage writes the results atomically.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from pipeline.formats.captions import Cue
from pipeline.formats.transcript import Transcript

PARAGRAPH_PAUSE = 2.0  # seconds of silence that start a new paragraph
PARAGRAPH_CHARS = 600  # a paragraph this long ends at the next sentence end
P20_VERSION = "1.0.0"


def _milliseconds(seconds: float) -> int:
    return round(seconds * 1000)


def _subtitle_file(cues: Sequence[Cue], escape_markup: bool) -> Any:
    import pysubs2

    subs = pysubs2.SSAFile()
    for cue in cues:
        lines = [" ".join(word.text for word in line) for line in cue.lines]
        if escape_markup:  # WebVTT cue text is markup: &, < and > must be character references
            lines = [line.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;") for line in lines]
        # pysubs2 keeps SSA text internally: braces would be read as override tags, \N is a line break
        text = r"\N".join(line.replace("{", "(").replace("}", ")") for line in lines)
        subs.append(pysubs2.SSAEvent(start=_milliseconds(cue.start), end=_milliseconds(cue.end), text=text))
    return subs


def srt_text(cues: Sequence[Cue]) -> str:
    """SubRip: numbered cues, `,` before milliseconds (application/x-subrip)."""
    return _subtitle_file(cues, escape_markup=False).to_string("srt")


def vtt_text(cues: Sequence[Cue]) -> str:
    """WebVTT: `WEBVTT` header, `.` before milliseconds, UTF-8 (text/vtt)."""
    return _subtitle_file(cues, escape_markup=True).to_string("vtt")


def _ends_sentence(text: str) -> bool:
    return text.rstrip("\"'”’)]} ").endswith((".", "?", "!", "…"))


def paragraphs(transcript: Transcript) -> list[str]:
    """The transcript's text in paragraphs: a new one after a long pause, or when one grows long."""
    result: list[list[str]] = []
    previous_end: float | None = None
    for segment in transcript.segments:
        text = segment.text.strip()
        if not text:
            continue
        current = result[-1] if result else None
        length = sum(len(part) + 1 for part in current) if current else 0
        starts_new = (
            current is None
            or (previous_end is not None and segment.start - previous_end > PARAGRAPH_PAUSE)
            or (length >= PARAGRAPH_CHARS and _ends_sentence(current[-1]))
        )
        if starts_new:
            result.append([text])
        else:
            result[-1].append(text)
        previous_end = segment.end
    return [" ".join(parts) for parts in result]


def transcript_text(transcript: Transcript) -> str:
    """transcript.txt: paragraphs separated by blank lines."""
    found = paragraphs(transcript)
    return "\n\n".join(found) + "\n" if found else ""


def podcasting20(cues: Sequence[Cue]) -> dict[str, Any]:
    """The Podcasting 2.0 JSON transcript (application/json): one segment per caption cue."""
    return {
        "version": P20_VERSION,
        "segments": [
            {"startTime": round(cue.start, 3), "endTime": round(cue.end, 3), "body": " ".join(w.text for w in cue.words)}
            for cue in cues
        ],
    }


def podcasting20_text(cues: Sequence[Cue]) -> str:
    return json.dumps(podcasting20(cues), indent=1, ensure_ascii=False) + "\n"
