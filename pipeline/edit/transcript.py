"""The transcript as heard (recording time) carried into published time through the edit's time map: words in
a cut are gone, everything after an insert moves by its length."""

from __future__ import annotations

from dataclasses import replace

from pipeline.formats.timemap import TimeMap
from pipeline.formats.transcript import Transcript, Word, group_words


def published_transcript(transcript: Transcript, time_map: TimeMap) -> Transcript:
    """`transcript` in published time: its words, turns and gaps mapped (what a cut took is left out), its
    segments grouped again, its duration the published one."""

    def span(start: float, end: float) -> tuple[float, float] | None:
        first, last = time_map.published(start, starting=True), time_map.published(end)
        if first is None or last is None or last < first:
            found = time_map.published_span(start, end)
            if found is None:
                return None
            first, last = found
        return round(first, 3), round(max(first, last), 3)

    words: list[Word] = []
    for word in transcript.words:
        if (mapped := span(word.start, word.end)) is not None:
            words.append(replace(word, start=mapped[0], end=mapped[1]))
    turns = tuple((*mapped, label) for start, end, label in transcript.turns if (mapped := span(start, end)))
    gaps = tuple(mapped for start, end in transcript.gaps if (mapped := span(start, end)))
    return replace(transcript, segments=tuple(group_words(words)), turns=turns, gaps=gaps,
                   duration=round(time_map.duration, 3))
