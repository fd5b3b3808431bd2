"""Titles that name a topic: a few words from a text's own noun phrases, the ones closest in meaning to it
and furthest from the other texts it is listed with (chapters of an episode, clips of an episode)."""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable, Sequence
from functools import lru_cache
from typing import Any

import numpy as np

from pipeline.formats.languages import SUMMARY_LANGUAGES

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


@lru_cache(maxsize=8)
def language_stop_words(language: str) -> frozenset[str]:
    """sumy's stop words for a language (a Whisper code); none for a language it has no list for."""
    from sumy.utils import get_stop_words

    name = SUMMARY_LANGUAGES.get(language)
    return frozenset(get_stop_words(name)) if name else frozenset()


def keyword_titles(texts: Sequence[str], language: str, max_words: int = 3) -> list[str]:
    """Titles for texts in a language without a tagger or sentence model here: each text's run of 1–3 content
    words said in the most of its sentences and the fewest of the others', preferring capitalised words (nouns
    in German, names everywhere), in its own words and case."""
    stops = language_stop_words(language)
    sentence_sets = [[_content_runs(sentence, stops, max_words) for sentence in re.split(r"(?<=[.!?…])\s+", text)]
                     for text in texts]
    shares = [Counter(run for runs in sets for run in set(runs)) for sets in sentence_sets]
    titles: list[str] = []
    for index, text in enumerate(texts):
        count = max(1, len(sentence_sets[index]))
        capitalised = {word.lower() for word in re.findall(r"(?<=[^.!?…\s]\s)([^\W\d_][\w'’-]*)", text) if word[0].isupper()}

        def score(run: str, index: int = index, count: int = count, capitalised: set[str] = capitalised) -> float:
            others = [share[run] / max(1, len(sets)) for j, (share, sets) in enumerate(zip(shares, sentence_sets,
                                                                                             strict=True)) if j != index]
            words = run.split()
            return (shares[index][run] / count - 0.5 * max(others, default=0.0)
                    + 0.3 * sum(word in capitalised for word in words) / len(words) + 0.05 * (len(words) - 1))

        taken = {title.lower() for title in titles}
        ranked = sorted((run for run in shares[index] if run not in taken), key=lambda run: (-score(run), run))
        titles.append(_as_said(ranked[0], text) if ranked else f"Part {index + 1}")
    return titles


def _content_runs(sentence: str, stops: frozenset[str], max_words: int) -> list[str]:
    """Every run of 1–`max_words` consecutive, different content words (3+ letters, not a stop word), lower case."""
    runs: list[str] = []
    current: list[str] = []
    for word in [*re.findall(r"[^\W\d_][\w'’-]*", sentence.lower()), ""]:
        if len(word) >= 3 and word not in stops:
            current.append(word)
            continue
        runs += [" ".join(current[i:i + size]) for size in range(1, max_words + 1) for i in range(len(current) - size + 1)
                 if len(set(current[i:i + size])) == size]
        current = []
    return runs


def _as_said(phrase: str, text: str) -> str:
    """`phrase` with the capitals it was said with (German nouns), first letter capitalised."""
    match = re.search(r"\b" + r"\W+".join(re.escape(word) for word in phrase.split()) + r"\b", text, re.IGNORECASE)
    said = match.group(0) if match else phrase
    said = " ".join(said.split())
    return said[:1].upper() + said[1:]


def unit_rows(vectors: np.ndarray) -> np.ndarray:
    """Each row scaled to length 1 (rows of zeros stay zero)."""
    vectors = np.asarray(vectors, dtype=float)
    norms = np.linalg.norm(vectors, axis=1, keepdims=True)
    return vectors / np.where(norms == 0, 1, norms)
