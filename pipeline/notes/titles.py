"""Titles that name a topic: a few words from a text's own noun phrases, the ones closest in meaning to it
and furthest from the other texts it is listed with (chapters of an episode, clips of an episode)."""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable, Sequence
from functools import lru_cache
from typing import Any

import numpy as np

MAX_TITLE_WORDS = 4

Embedder = Callable[[Sequence[str]], np.ndarray]


@lru_cache(maxsize=1)
def stop_words() -> frozenset[str]:
    from sumy.utils import get_stop_words

    return frozenset(get_stop_words("english")) | {"gonna", "yeah", "okay", "um", "uh", "like", "really", "just"}


NOUN_TAGS = frozenset({"NN", "NNS", "NNP", "NNPS"})
MODIFIER_TAGS = NOUN_TAGS | {"JJ"}
WORD = re.compile(r"^[a-z][a-z'’-]*[a-z]$", re.IGNORECASE)


@lru_cache(maxsize=1)
def _tagger() -> Any:
    from textblob.en.taggers import PatternTagger  # its lexicon ships in the wheel: nothing is downloaded

    return PatternTagger()


def phrases_of(text: str, max_words: int = MAX_TITLE_WORDS) -> list[str]:
    """Noun phrases, lower case: adjectives and nouns ending in a noun, and their shorter endings; "of" may join
    two ("library of medicine"). Never a fragment ending in a verb or an article."""
    stops = stop_words()
    tagged = [(word.lower(), tag) for word, tag in _tagger().tag(text)]
    found: list[str] = []
    run: list[tuple[str, str]] = []

    def close() -> None:
        while run and run[-1][1] not in NOUN_TAGS:
            run.pop()
        words = [word for word, _ in run]
        found.extend(" ".join(words[first:]) for first in range(len(words))
                     if words[first] != "of" and len(words) - first <= max_words)
        run.clear()

    for index, (word, tag) in enumerate(tagged):
        if tag in MODIFIER_TAGS and WORD.match(word) and len(word) > 2 and word not in stops:
            run.append((word, tag))
        elif word == "of" and run and index + 1 < len(tagged) and tagged[index + 1][1] in MODIFIER_TAGS:
            run.append((word, "IN"))
        else:
            close()
    close()
    return found


def title_case(phrase: str) -> str:
    small = {"a", "an", "and", "as", "at", "but", "by", "for", "in", "of", "on", "or", "the", "to", "with"}
    words = phrase.split()
    return " ".join(w if i and w in small else w[:1].upper() + w[1:] for i, w in enumerate(words))


def topic_titles(texts: Sequence[str], embed: Embedder, fallback: str = "Part") -> list[str]:
    """A short title for each text (a chapter, a clip): the phrase closest in meaning to the chapter and furthest from the
    other texts (KeyBERT-style), with a nudge towards phrases said more than once and of several words. Titles differ."""
    if not texts:
        return []
    centroids = unit_rows(embed(list(texts)))
    titles: list[str] = []
    used: set[str] = set()
    for index, text in enumerate(texts):
        counts = Counter(phrases_of(text))
        candidates = sorted(phrase for phrase in counts if phrase not in used)
        if not candidates:
            titles.append(f"{fallback} {index + 1}")
            continue
        vectors = unit_rows(embed(candidates))
        similarity = vectors @ centroids.T
        own = similarity[:, index]
        others = np.delete(similarity, index, axis=1).max(axis=1) if len(texts) > 1 else np.zeros(len(candidates))
        frequency = np.log([counts[c] for c in candidates])
        length = np.array([len(c.split()) - 1 for c in candidates])
        scores = own - 0.5 * others + 0.02 * frequency + 0.02 * length
        best = candidates[int(np.argmax(scores))]  # argmax takes the first of equals: candidates are sorted
        used.add(best)
        titles.append(" ".join(title_case(best).split()[:MAX_TITLE_WORDS]))
    return titles


def unit_rows(vectors: np.ndarray) -> np.ndarray:
    """Each row scaled to length 1 (rows of zeros stay zero)."""
    vectors = np.asarray(vectors, dtype=float)
    norms = np.linalg.norm(vectors, axis=1, keepdims=True)
    return vectors / np.where(norms == 0, 1, norms)
