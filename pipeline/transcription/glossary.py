"""Glossary spelling: the engine gets the glossary as a prompt; near misses it still makes are corrected here.

A small model may hear "piriformis" and write "perriformis": the glossary prompt makes the right
spelling likely, and this pass replaces a word that is within a small edit distance of a one-word
glossary term (rapidfuzz ratio ≥ 84, both at least 7 letters). Inflections of a term (massages,
hamstring) and words that merely contain a term are left alone.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence

from pipeline.formats.transcript import Segment, Word, join_words

MIN_LENGTH = 7
MIN_SIMILARITY = 84.0
_WORD = re.compile(r"^(\W*)([\w'-]+?)(\W*)$")


def _single_terms(glossary: Iterable[str]) -> dict[str, str]:
    """Lower-case → spelling, for glossary terms that are one word long enough to be worth matching."""
    terms: dict[str, str] = {}
    for term in glossary:
        term = term.strip()
        if " " not in term and len(term) >= MIN_LENGTH and term.isalpha():
            terms.setdefault(term.lower(), term)
    return terms


def correct_word(text: str, terms: dict[str, str]) -> str:
    """`text` with its core replaced by the closest glossary term, or unchanged."""
    from rapidfuzz import fuzz, process

    match = _WORD.match(text)
    if not match or not terms:
        return text
    before, core, after = match.groups()
    lower = core.lower()
    if len(core) < MIN_LENGTH or lower in terms:
        return text
    best = process.extractOne(lower, list(terms), scorer=fuzz.ratio, score_cutoff=MIN_SIMILARITY)
    if best is None:
        return text
    term = best[0]
    if lower.startswith(term) or term.startswith(lower):  # an inflection (massages, hamstring), not a misspelling
        return text
    spelling = terms[term]
    if core[:1].isupper() and spelling.islower():
        spelling = spelling[0].upper() + spelling[1:]
    return before + spelling + after


def correct_spelling(segments: Sequence[Segment], glossary: Iterable[str]) -> list[Segment]:
    terms = _single_terms(glossary)
    if not terms:
        return list(segments)
    corrected = []
    for segment in segments:
        words = tuple(Word(correct_word(w.text, terms), w.start, w.end, w.probability) for w in segment.words)
        if words != segment.words:
            segment = Segment(join_words(words), segment.start, segment.end, words)
        corrected.append(segment)
    return corrected
