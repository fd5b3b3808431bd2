"""Pick an episode's highlights: stretches of whole sentences that stand on their own. Pure, offline.

Candidates are runs of consecutive sentences lasting `min_seconds` to `max_seconds`, so a clip starts at
the beginning of a sentence, ends at the end of one and never cuts a word. Each is scored on what makes a
clip stand alone, and the score is kept with its reasons:
- a question and its answer (a question, then at least one sentence that is not), better still opening on it;
- a claim with a number (digits, per cent, "twice", "half", …) or a named study (study, trial, researchers…);
- one thought: the sentences' embeddings (the bundled all-MiniLM-L6-v2) are close to each other;
- a clean start and end: not opening on "and", "but", "so", "it", "that" …, and ending on a full stop;
- little silence: seconds between words are a cost.
A speaker change inside is fine. The best clips that overlap neither each other nor a veto are chosen;
pinned clips (episode.yaml `clips:`) come first. Never a clip of the greeting or the sign-off (`framing`), nor
of sound the edit put in (an intro, outro or insert: no words of the episode, so no captions).
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace

import numpy as np

from pipeline.config.episode import ClipChoice
from pipeline.errors import InputError
from pipeline.formats.transcript import Word, join_words
from pipeline.notes.sentences import TimedSentence, compact
from pipeline.notes.titles import keyword_titles, topic_titles

NUMBER = re.compile(r"\d|\b(per ?cent|percent|half|twice|double|triple|thousand|million|billion|hundred|dozen)\b", re.I)
STUDY = re.compile(r"\b(study|studies|trial|trials|researchers?|published|journal|university|paper|meta-analysis)\b", re.I)
DANGLING = frozenset({"and", "but", "so", "because", "also", "then", "which", "that", "it", "this", "they", "or",
                      "he", "she", "those", "these", "there"})
SILENCE_FROM = 0.5  # a pause between words longer than this counts as silence
FRAMING_SECONDS = 60.0  # the greeting is in the first minute, the sign-off in the last
GREETING = re.compile(r"\b(welcome (to|back)|hello (and|everyone|everybody)|hi (everyone|everybody)|this is episode)\b")
SIGN_OFF = re.compile(r"\b(see you (next|soon|then)|thanks? (you )?for (listening|watching)|that's it for|until next time|"
                      r"bye|subscribe)\b")

WEIGHTS = {"opens on a question": 0.7, "question and answer": 1.0, "a number": 0.6, "a named study": 0.8, "one thought": 1.5,
           "clean start": 0.5, "ends a sentence": 0.3, "silence": -3.0}


@dataclass(frozen=True)
class Clip:
    start: float
    end: float
    title: str
    score: float
    reasons: tuple[str, ...]
    pinned: bool = False
    words: tuple[Word, ...] = field(default=(), repr=False)

    @property
    def seconds(self) -> float:
        return self.end - self.start

    def overlaps(self, start: float, end: float) -> bool:
        return self.start < end and start < self.end


def clip_text(clip: Clip) -> str:
    return join_words(clip.words)


def first_word(text: str) -> str:
    match = re.match(r"\W*([\w']+)", text)
    return match.group(1).lower() if match else ""


def silence_seconds(words: Sequence[Word]) -> float:
    return sum(max(0.0, b.start - a.end - SILENCE_FROM) for a, b in itertools.pairwise(words))


def score(sentences: Sequence[TimedSentence], words: Sequence[Word], cohesion: float) -> tuple[float, tuple[str, ...]]:
    """The clip's score and what it was given for (each reason with its points)."""
    texts = [s.text.strip() for s in sentences]
    found: dict[str, float] = {}
    if texts[0].endswith("?") and len(texts) > 1:
        found["opens on a question"] = 1.0
    if any(text.endswith("?") for text in texts[:-1]) and not texts[-1].endswith("?"):
        found["question and answer"] = 1.0
    joined = " ".join(texts)
    if NUMBER.search(joined):
        found["a number"] = 1.0
    if STUDY.search(joined):
        found["a named study"] = 1.0
    found["one thought"] = cohesion
    if first_word(texts[0]) not in DANGLING:
        found["clean start"] = 1.0
    if texts[-1].endswith((".", "!", "?")):
        found["ends a sentence"] = 1.0
    duration = max(sentences[-1].end - sentences[0].start, 1e-6)
    found["silence"] = silence_seconds(words) / duration
    points = {reason: WEIGHTS[reason] * value for reason, value in found.items()}
    total = sum(points.values())
    return round(total, 3), tuple(f"{reason} ({value:+.2f})" for reason, value in points.items() if abs(value) >= 0.005)


def _words_in(words: Sequence[Word], start: float, end: float) -> tuple[Word, ...]:
    return tuple(word for word in words if start - 1e-3 <= word.start and word.end <= end + 1e-3)


def candidates(sentences: Sequence[TimedSentence], words: Sequence[Word], min_seconds: float, max_seconds: float,
               similarities: np.ndarray) -> list[Clip]:
    """Every run of whole sentences of `min_seconds` to `max_seconds`, scored. `similarities[i]`: cosine similarity
    of sentence i and i+1."""
    found = []
    for first in range(len(sentences)):
        for last in range(first, len(sentences)):
            seconds = sentences[last].end - sentences[first].start
            if seconds > max_seconds:
                break
            if seconds < min_seconds:
                continue
            run = sentences[first:last + 1]
            cohesion = float(np.mean(similarities[first:last])) if last > first else 0.5
            inside = _words_in(words, run[0].start, run[-1].end)
            total, reasons = score(run, inside, cohesion)
            found.append(Clip(run[0].start, run[-1].end, "", total, reasons, words=inside))
    return found


def quote_span(sentences: Sequence[TimedSentence], quote: str) -> tuple[int, int] | None:
    """The first and last sentence holding the words of `quote` (as they sound: case, punctuation ignored)."""
    wanted = compact(quote)
    spoken = [compact(s.text) for s in sentences]
    joined = "".join(spoken)
    at = joined.find(wanted)
    if not wanted or at < 0:
        return None
    offsets = np.cumsum([0, *map(len, spoken)])
    first = int(np.searchsorted(offsets, at, side="right") - 1)
    last = int(np.searchsorted(offsets, at + len(wanted) - 1, side="right") - 1)
    return first, last


def resolve_choice(choice: ClipChoice, index: int, sentences: Sequence[TimedSentence], words: Sequence[Word],
                   duration: float, min_seconds: float, where: str) -> tuple[float, float]:
    """A pinned or vetoed clip's (start, end). InputError naming the field when it cannot be one."""
    field_name = f"{where}: clips[{index}]"
    if choice.quote is not None:
        span = quote_span(sentences, choice.quote)
        if span is None:
            raise InputError(f"{field_name}.quote: {choice.quote!r} is not in the transcript",
                             hint="quote words as they are spoken (see transcript.txt), or give start and end")
        first, last = span
        while not choice.veto and last + 1 < len(sentences) and sentences[last].end - sentences[first].start < min_seconds:
            last += 1
        return sentences[first].start, sentences[last].end
    assert choice.start is not None and choice.end is not None
    for name, value in (("start", choice.start), ("end", choice.end)):
        if value > duration + 1e-3:
            raise InputError(f"{field_name}.{name}: {value:g} s is past the end of the episode ({duration:.1f} s)",
                             hint="give a time inside the episode")
        inside = next((w for w in words if w.start + 0.02 < value < w.end - 0.02), None)
        if inside is not None:
            raise InputError(f"{field_name}.{name}: {value:g} s is in the middle of the word {inside.text!r} "
                             f"({inside.start:.2f}–{inside.end:.2f} s)",
                             hint=f"start or end the clip between words, e.g. at {inside.start:.2f} or {inside.end:.2f}")
    return choice.start, choice.end


def framing(sentences: Sequence[TimedSentence], duration: float, show_title: str) -> list[tuple[float, float]]:
    """The greeting and the sign-off: sentences in the first or last FRAMING_SECONDS that name the show or say
    hello or goodbye. A clip of them does not stand alone."""
    name = compact(show_title)
    spans = []
    for sentence in sentences:
        text = sentence.text.lower()
        named = bool(name) and name in compact(sentence.text)
        greeting = sentence.start < FRAMING_SECONDS and (named or GREETING.search(text))
        sign_off = sentence.end > duration - FRAMING_SECONDS and (named or SIGN_OFF.search(text))
        if greeting or sign_off:
            spans.append((sentence.start, sentence.end))
    return spans


def pick_clips(sentences: Sequence[TimedSentence], words: Sequence[Word], count: int, min_seconds: float,
               max_seconds: float, choices: Sequence[ClipChoice], duration: float, where: str,
               embed: Callable[[Sequence[str]], np.ndarray], avoid: Sequence[tuple[float, float]] = (),
               language: str = "en") -> list[Clip]:
    """The pinned clips, then the best-scoring others, none overlapping another, a veto or what to `avoid` (the
    greeting and sign-off, inserted sound); in time order. A clip the creator did not title is named by its own
    most distinctive noun phrase."""
    resolved = [(choice, resolve_choice(choice, i, sentences, words, duration, min_seconds, where))
                for i, choice in enumerate(choices)]
    vetoes = [span for choice, span in resolved if choice.veto] + list(avoid)
    chosen: list[Clip] = []
    for choice, (start, end) in resolved:
        if not choice.veto:
            inside = _words_in(words, start, end)
            run = [s for s in sentences if s.start >= start - 1e-3 and s.end <= end + 1e-3] or list(sentences[:1])
            total, reasons = score(run, inside, 0.5)
            chosen.append(Clip(start, end, choice.title or "", total, ("pinned in episode.yaml", *reasons),
                               pinned=True, words=inside))
    if len(sentences) >= 2 and count > len(chosen):
        vectors = embed([s.text for s in sentences])
        similarities = np.sum(vectors[:-1] * vectors[1:], axis=1)
        for clip in sorted(candidates(sentences, words, min_seconds, max_seconds, similarities),
                           key=lambda c: (-c.score, c.start)):
            if len(chosen) >= count:
                break
            if any(c.overlaps(clip.start, clip.end) for c in chosen) or any(clip.overlaps(*v) for v in vetoes):
                continue
            chosen.append(clip)
    chosen.sort(key=lambda c: c.start)
    texts = [clip_text(c) for c in chosen]
    titles = topic_titles(texts, embed, fallback="Clip") if language == "en" else keyword_titles(texts, language)
    return [c if c.title else replace(c, title=title) for c, title in zip(chosen, titles, strict=True)]
