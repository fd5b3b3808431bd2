"""Writers for captions and transcripts: WebVTT (the one writer of it), SubRip (through pysubs2), plain text,
Podcasting 2.0 JSON.

Pure functions from cues or a transcript to text; the transcribe stage writes the results atomically.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from pipeline.formats.captions import Cue
from pipeline.formats.times import milliseconds, timestamp
from pipeline.formats.transcript import Segment, Transcript, Word, join_words

PARAGRAPH_PAUSE = 2.0  # seconds of silence that start a new paragraph
PARAGRAPH_CHARS = 600  # a paragraph this long ends at the next sentence end
P20_VERSION = "1.0.0"


def _escape(text: str) -> str:
    """WebVTT cue text is markup: &, < and > must be character references."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


RIGHT_TO_LEFT_MARK = "\u200f"  # starts each line of right-to-left captions, so players set it right to left


def line_text(words: Sequence[Word], right_to_left: bool = False) -> str:
    """A caption line: its words joined as the transcript joins them ("l'accident", "ResearchMatch.org")."""
    text = join_words(words)
    return RIGHT_TO_LEFT_MARK + text if right_to_left else text


def srt_text(cues: Sequence[Cue], *, right_to_left: bool = False) -> str:
    """SubRip: numbered cues, `,` before milliseconds (application/x-subrip); a cue whose speaker is not the previous
    cue's starts with a dash."""
    import pysubs2

    subs = pysubs2.SSAFile()
    previous: str | None = None
    for index, cue in enumerate(cues):
        lines = [line_text(line, right_to_left) for line in cue.lines]
        if cue.speaker and index and cue.speaker != previous:
            lines[0] = f"- {lines[0]}"
        previous = cue.speaker
        # pysubs2 keeps SSA text internally: braces would be read as override tags, \N is a line break
        text = r"\N".join(line.replace("{", "(").replace("}", ")") for line in lines)
        subs.append(pysubs2.SSAEvent(start=milliseconds(cue.start), end=milliseconds(cue.end), text=text))
    return subs.to_string("srt")


def vtt_text(cues: Sequence[Cue], *, plain: bool = False, right_to_left: bool = False) -> str:
    """WebVTT (text/vtt, UTF-8): the `WEBVTT` header, then each cue's `start --> end` (`.` before milliseconds) and
    its lines, with &, < and > as character references.

    The transcribe stage's captions.vtt numbers the cues, puts each cue of a named speaker in a `<v Name>` voice
    span and ends every cue with a blank line. `plain` is the form the clips' captions have always had: no numbers,
    no voice spans, a blank line only between cues.
    """
    blocks = ["WEBVTT"]
    for number, cue in enumerate(cues, start=1):
        lines = [_escape(line_text(line, right_to_left)) for line in cue.lines]
        if cue.speaker and not plain:
            lines[0] = f"<v {_escape(cue.speaker)}>{lines[0]}"
        timing = f"{timestamp(cue.start, 'HH:MM:SS.mmm')} --> {timestamp(cue.end, 'HH:MM:SS.mmm')}"
        blocks.append("\n".join([timing, *lines] if plain else [str(number), timing, *lines]))
    return "\n\n".join(blocks) + ("\n" if plain else "\n\n")


def _ends_sentence(text: str) -> bool:
    return text.rstrip("\"'”’)]} ").endswith((".", "?", "!", "…"))


def speaker_paragraphs(transcript: Transcript) -> list[tuple[str | None, list[Segment]]]:
    """The transcript's segments in paragraphs, each with its speaker: a new one at a change of speaker, after a
    long pause, or when one grows long."""
    result: list[tuple[str | None, list[Segment]]] = []
    previous_end: float | None = None
    for segment in transcript.segments:
        text = segment.text.strip()
        if not text:
            continue
        current = result[-1] if result else None
        length = sum(len(part.text) + 1 for part in current[1]) if current else 0
        starts_new = (
            current is None
            or segment.speaker != current[0]
            or (previous_end is not None and segment.start - previous_end > PARAGRAPH_PAUSE)
            or (length >= PARAGRAPH_CHARS and _ends_sentence(current[1][-1].text))
        )
        if starts_new:
            result.append((segment.speaker, [segment]))
        else:
            result[-1][1].append(segment)
        previous_end = segment.end
    return result


def paragraphs(transcript: Transcript) -> list[str]:
    """The paragraphs as text; one whose speaker differs from the paragraph before starts with the name."""
    texts, previous = [], None
    for speaker, segments in speaker_paragraphs(transcript):
        text = " ".join(segment.text.strip() for segment in segments)
        texts.append(f"{speaker}: {text}" if speaker and speaker != previous else text)
        previous = speaker
    return texts


def transcript_text(transcript: Transcript) -> str:
    """transcript.txt: paragraphs separated by blank lines."""
    found = paragraphs(transcript)
    return "\n\n".join(found) + "\n" if found else ""


def podcasting20(cues: Sequence[Cue]) -> dict[str, Any]:
    """The Podcasting 2.0 JSON transcript (application/json): one segment per caption cue."""
    return {
        "version": P20_VERSION,
        "segments": [
            {**({"speaker": cue.speaker} if cue.speaker else {}),
             "startTime": round(cue.start, 3), "endTime": round(cue.end, 3), "body": join_words(cue.words)}
            for cue in cues
        ],
    }


def podcasting20_text(cues: Sequence[Cue]) -> str:
    return json.dumps(podcasting20(cues), indent=1, ensure_ascii=False) + "\n"
