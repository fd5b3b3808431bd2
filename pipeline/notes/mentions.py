"""Where a phrase is spoken: fuzzy matching of written phrases against the transcript's words.

Phrases and transcript windows are compared in their compact form (letters and digits only, see
`compact`), so "ResearchMatch.org" matches "Research Match.org" and "research match dot org".
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

from rapidfuzz import fuzz

from pipeline.formats.transcript import Word
from pipeline.notes.sentences import compact

MIN_PHRASE_CHARS = 4  # shorter phrases ("RLS") match by accident too often


@dataclass(frozen=True)
class Mention:
    start: float
    end: float
    phrase: str  # the phrase looked for
    heard: str  # the transcript's words there
    score: float  # 0–100


def threshold_for(target: str) -> float:
    """Short phrases must match almost exactly; long ones may carry a few recognition errors."""
    if len(target) < 8:
        return 100.0
    if len(target) < 20:
        return 85.0
    return 75.0


def find_phrase(tokens: list[Word], phrase: str) -> list[Mention]:
    """Every place `phrase` is spoken, best window per place, earliest first."""
    target = compact(phrase)
    if len(target) < MIN_PHRASE_CHARS or not tokens:
        return []
    threshold = threshold_for(target)
    size = len(phrase.split())
    compacts = [compact(token.text) for token in tokens]
    found: list[Mention] = []
    for first in range(len(tokens)):
        if not compacts[first]:
            continue
        best: tuple[float, int] | None = None
        for count in range(max(1, size - 1), size + 3):
            last = first + count
            if last > len(tokens):
                break
            score = fuzz.ratio(target, "".join(compacts[first:last]))
            if best is None or score > best[0]:
                best = (score, last)
        if best is None or best[0] < threshold:
            continue
        score, last = best
        heard = " ".join(token.text for token in tokens[first:last])
        mention = Mention(start=tokens[first].start, end=tokens[last - 1].end, phrase=phrase, heard=heard, score=score)
        if found and mention.start < found[-1].end:  # overlapping windows: keep the better one
            if mention.score > found[-1].score:
                found[-1] = mention
            continue
        found.append(mention)
    return found


def first_mention(tokens: list[Word], phrases: Iterable[str], extra: Iterable[Mention] = (),
                  tolerance: float = 10.0) -> Mention | None:
    """The earliest good mention of any of `phrases`: among matches within `tolerance` points of the best."""
    mentions = [m for phrase in dict.fromkeys(phrases) for m in find_phrase(tokens, phrase)]
    mentions += list(extra)
    if not mentions:
        return None
    best = max(m.score for m in mentions)
    return min((m for m in mentions if m.score >= best - tolerance), key=lambda m: (m.start, -m.score))


def title_phrases(title: str) -> list[str]:
    """A title and its parts: "U.S. National Library of Medicine: ClinicalTrials.gov" → the whole, then each side."""
    parts = [part.strip(" \"'“”‘’") for part in re.split(r"[:()|–—]|\s-\s|#", title)]
    return [title, *(part for part in parts if len(compact(part)) >= 8 and part != title)]
