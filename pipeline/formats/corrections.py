"""Transcript corrections (`corrections:` in episode.yaml): words the model misheard, replaced without transcribing
again, and undone exactly, so that the next edit starts again from what the model heard.

A correction's `heard` words match the transcript's words as they are said (lower case, no punctuation: see
`bare_word`), one word after another; the matched words are replaced by the `said` words, which share out the
matched words' time by their length. The first keeps the punctuation around the words it replaces ("Dina," →
"Dana,") and a capital that began a sentence; each takes the speaker of the first word it replaces. With `at`,
only the occurrence nearest that time is corrected, else every one.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Sequence
from dataclasses import dataclass

from pipeline.formats.transcript import Word, bare_word

_EDGES = re.compile(r"^(?P<lead>[^\w']*)(?P<core>.*?)(?P<trail>[^\w']*)$", re.DOTALL)


@dataclass(frozen=True)
class Correction:
    heard: str  # what the model wrote (one or more words)
    said: str  # what was said
    at: float | None = None  # only the occurrence nearest this time (seconds); None: every one


@dataclass(frozen=True)
class Applied:
    """One replacement, enough to undo it: the words at `index` on were `heard`; `count` words took their place."""

    correction: int  # its index among the corrections
    index: int
    count: int
    heard: tuple[Word, ...]


def correct(words: Sequence[Word], corrections: Sequence[Correction]) -> tuple[list[Word], list[Applied], list[int]]:
    """`words` with each correction applied in order (each sees the ones before it): the words, what was replaced
    in the order it was replaced (for `undo`), and the index of each correction that matched nothing."""
    current = list(words)
    applied: list[Applied] = []
    unmatched: list[int] = []
    for number, correction in enumerate(corrections):
        heard = _bare_words(correction.heard)
        said = correction.said.split()
        starts = occurrences(current, heard)
        if not starts or not said:
            unmatched.append(number)
            continue
        if correction.at is not None:
            starts = [min(starts, key=lambda index: abs(current[index].start - correction.at))]  # type: ignore[operator]
        for index in reversed(starts):  # from the end, so the earlier indices stay right
            old = tuple(current[index:index + len(heard)])
            current[index:index + len(heard)] = replacement(old, said)
            applied.append(Applied(number, index, len(said), old))
    return current, applied, unmatched


def undo(words: Sequence[Word], applied: Sequence[Applied]) -> list[Word]:
    """The words before `correct` gave `words` and `applied`."""
    current = list(words)
    for done in reversed(applied):
        current[done.index:done.index + done.count] = done.heard
    return current


def occurrences(words: Sequence[Word], heard: Sequence[str]) -> list[int]:
    """The index of each word from which the `heard` bare words follow one after another."""
    bare = [bare_word(word.text) for word in words]
    size = len(heard)
    return [index for index in range(len(bare) - size + 1) if size and bare[index:index + size] == list(heard)]


def replacement(heard: Sequence[Word], said: Sequence[str]) -> list[Word]:
    """`said` in the time of the `heard` words, each word's share by its length."""
    start, end = heard[0].start, heard[-1].end
    first_word = _EDGES.match(heard[0].text)
    assert first_word is not None  # the pattern matches any text
    lead, first = first_word["lead"], first_word["core"]
    trail = _EDGES.match(heard[-1].text)["trail"]  # type: ignore[index]
    texts = list(said)
    texts[0] = lead + texts[0]
    texts[-1] = texts[-1] + trail
    if first[:1].isupper() and texts[0][len(lead):len(lead) + 1].islower():
        texts[0] = lead + texts[0][len(lead)].upper() + texts[0][len(lead) + 1:]
    weights = [max(1, len(text)) for text in texts]
    total, reached, found = sum(weights), 0, []
    for text, weight in zip(texts, weights, strict=True):
        begin = start + (end - start) * reached / total
        reached += weight
        found.append(Word(text, round(begin, 3), round(start + (end - start) * reached / total, 3), 1.0,
                          heard[0].speaker))
    return found


def nearest_heard(words: Sequence[Word], heard: str) -> tuple[str, float] | None:
    """The run of as many words most like `heard`, and where it starts: to say what a correction may have meant."""
    size = max(1, len(_bare_words(heard)))
    runs: dict[str, float] = {}
    for index in range(len(words) - size + 1):
        runs.setdefault(" ".join(bare_word(word.text) for word in words[index:index + size]), words[index].start)
    close = difflib.get_close_matches(" ".join(_bare_words(heard)), list(runs), n=1, cutoff=0.6)
    return (close[0], runs[close[0]]) if close else None


def _bare_words(text: str) -> list[str]:
    return [bare for piece in text.split() if (bare := bare_word(piece))]
