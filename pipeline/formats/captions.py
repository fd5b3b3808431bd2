"""Caption cues built from word timestamps (owned by the transcribe stage; read by the video stage).

`build_cues` follows the subtitle rules in ENGINEERING.md (Netflix timed-text style, BBC timing):
lines of at most `max_chars_per_line`, at most `max_lines` lines, cues of `min_duration` to
`max_duration` seconds, reading speed at most `max_chars_per_second` where the speech allows, breaks
at punctuation and clause boundaries (never between an article and its noun), no cue across a pause
longer than `max_pause`, no cue across a change of speaker, no overlaps, and at least two frames between cues.
A cue rather ends where a sentence ends, and never ends on the first one or two words of a new sentence
("…and even genes. So,"), which read badly.

The words of each stretch of speech between long pauses are split into cues by dynamic programming
over the possible break points: every cue costs a little, a cue that cannot be laid out or lasts too
long is impossible, and each break is scored by where it falls in the sentence.
"""

from __future__ import annotations

import functools
import itertools
import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from pipeline.formats.transcript import Word, bare_word, join_words

if TYPE_CHECKING:  # the settings are read, never built, here: formats import nothing of the configuration
    from pipeline.config.show import CaptionSettings

MIN_GAP = 2 / 24  # two frames at 24 fps between consecutive cues
MAX_LINGER = 1.5  # BBC: a caption stays at most 1.5 s after the speech it shows
MIN_VISIBLE = 0.04  # a cue squeezed between two others is still shown this long

ARTICLES = frozenset({"a", "an", "the"})
# Words that bind to what follows: a line or cue should not end on them.
BINDING = frozenset({
    "my", "your", "his", "her", "its", "our", "their", "this", "these", "those", "some", "any", "no", "every",
    "each", "of", "to", "in", "on", "at", "for", "with", "from", "by", "about", "into", "onto", "as", "than",
    "and", "or", "but", "nor", "mr", "mrs", "ms", "dr", "very", "more", "most", "i", "we", "you", "they",
    "he", "she", "it's", "i'm", "is", "are", "was", "were", "be", "been", "not", "can", "will", "would",
})
# Words a line or cue may well start with: conjunctions and relative words open a clause.
CLAUSE_OPENERS = frozenset({
    "and", "but", "or", "nor", "so", "yet", "because", "although", "though", "while", "whereas", "if", "unless",
    "until", "when", "whenever", "where", "which", "who", "whom", "whose", "that", "since", "after", "before",
    "then", "however", "also", "what", "how", "why",
})
PREPOSITIONS = frozenset({
    "of", "to", "in", "on", "at", "for", "with", "from", "by", "about", "into", "onto", "over", "under",
    "through", "during", "without", "between", "against", "among", "around",
})
_CLOSERS = "\"'”’)]}»"

# Costs (dimensionless; only their ratios matter).
CUE_COST = 3.0
BALANCE_WEIGHT = 4.0
READING_SPEED_WEIGHT = 4.0
TOO_SHORT_COST = 3.0
SENTENCE_SPAN_COST = 1.5  # a cue holding the end of one sentence and the start of the next
STRANDED_START_COST = 60.0  # …and one or two words of that next sentence at its end: only when nothing else fits
STRANDED_WORDS = 2


@dataclass(frozen=True)
class Cue:
    start: float
    end: float
    lines: tuple[tuple[Word, ...], ...]  # each line's words, with their own timestamps

    @property
    def words(self) -> list[Word]:
        return [word for line in self.lines for word in line]

    @property
    def text(self) -> str:
        return "\n".join(join_words(line) for line in self.lines)

    @property
    def speaker(self) -> str | None:
        return self.lines[0][0].speaker if self.lines and self.lines[0] else None


def ends_sentence(word: Word) -> bool:
    return word.text.rstrip(_CLOSERS).endswith((".", "?", "!", "…"))


def sentence_ends(words: Sequence[Word]) -> list[int]:
    """Indexes of the words that end a sentence."""
    return [index for index, word in enumerate(words) if ends_sentence(word)]


def stranded_sentence_start(words: Sequence[Word]) -> bool:
    """Whether a cue of `words` ends on the first one or two words of a sentence that began inside it."""
    inner = sentence_ends(words[:-1])
    return bool(inner) and len(words) - 1 - inner[-1] <= STRANDED_WORDS


def break_cost(before: Word, after: Word | None) -> float:
    """How bad it is to end a line or a cue between `before` and `after` (None: end of speech)."""
    if after is None:
        return 0.0
    tail = before.text.rstrip(_CLOSERS)
    if ends_sentence(before):
        return 0.0
    if tail.endswith((",", ";", ":", "–", "—", "-")):
        return 1.0
    word = bare_word(before.text)
    if word in ARTICLES:
        return 100.0  # never between an article and its noun
    if word in BINDING:
        return 10.0
    following = bare_word(after.text)
    if following in CLAUSE_OPENERS:
        return 2.0
    if following in PREPOSITIONS:
        return 3.0
    return 5.0


class _Layout:
    """Line layout of any run of words of one stretch of speech, with prefix sums for O(1) line widths."""

    def __init__(self, words: Sequence[Word], settings: CaptionSettings) -> None:
        self.words = words
        self.width = settings.max_chars_per_line
        self.max_lines = settings.max_lines
        self.offsets = [0]
        for word in words:
            self.offsets.append(self.offsets[-1] + len(word.text))

    def chars(self, start: int, end: int) -> int:
        """Characters of words[start:end] on one line, spaces included."""
        return self.offsets[end] - self.offsets[start] + (end - start - 1)

    @functools.cache  # noqa: B019 - one _Layout per call of build_cues; the cache dies with it
    def best(self, start: int, end: int, lines: int) -> tuple[float, tuple[int, ...]]:
        """(cost, line starts) of the best layout of words[start:end] in at most `lines` lines."""
        if end - start == 1:
            return 0.0, (start,)  # a single word always fits: a longer one is allowed its own line
        if self.chars(start, end) <= self.width:
            slack = (self.width - self.chars(start, end)) / self.width
            return BALANCE_WEIGHT * slack * slack, (start,)
        if lines == 1:
            return math.inf, ()
        best: tuple[float, tuple[int, ...]] = (math.inf, ())
        for split in range(start + 1, end):
            if self.chars(start, split) > self.width:
                break
            rest_cost, rest_starts = self.best(split, end, lines - 1)
            if math.isinf(rest_cost):
                continue
            slack = (self.width - self.chars(start, split)) / self.width
            cost = BALANCE_WEIGHT * slack * slack + break_cost(self.words[split - 1], self.words[split]) + rest_cost
            if cost < best[0]:
                best = (cost, (start, *rest_starts))
        return best

    def fits(self, start: int, end: int) -> bool:
        """Whether words[start:end] fill at most `max_lines` lines (greedy filling needs the fewest lines)."""
        lines, used = 1, -1
        for index in range(start, end):
            length = len(self.words[index].text)
            if length > self.width:
                return end - start == 1
            if used + 1 + length <= self.width:
                used += 1 + length
            else:
                lines, used = lines + 1, length
                if lines > self.max_lines:
                    return False
        return True

    def lines(self, start: int, end: int) -> tuple[tuple[Word, ...], ...]:
        _cost, starts = self.best(start, end, self.max_lines)
        bounds = [*starts, end]
        return tuple(tuple(self.words[a:b]) for a, b in itertools.pairwise(bounds))


def _stretches(words: Sequence[Word], max_pause: float) -> list[list[Word]]:
    """Split the words wherever the speech pauses for longer than `max_pause` or the speaker changes: no cue may
    span either."""
    stretches: list[list[Word]] = []
    for word in words:
        if stretches and word.start - stretches[-1][-1].end <= max_pause and word.speaker == stretches[-1][-1].speaker:
            stretches[-1].append(word)
        else:
            stretches.append([word])
    return stretches


def _segment(words: list[Word], settings: CaptionSettings) -> list[tuple[int, int, tuple[tuple[Word, ...], ...]]]:
    """Best split of one stretch of speech into cues: (start, end, lines) word ranges."""
    layout = _Layout(words, settings)
    count = len(words)
    last_end = []  # last_end[i]: the last word at or before i that ends a sentence (-1: none)
    for index, word in enumerate(words):
        last_end.append(index if ends_sentence(word) else (last_end[-1] if last_end else -1))
    best = [0.0] + [math.inf] * count
    choice = [0] * (count + 1)
    for end in range(1, count + 1):
        next_start = words[end].start if end < count else math.inf
        for start in range(end - 1, -1, -1):
            single = end - start == 1
            if not single and not layout.fits(start, end):
                break  # adding earlier words never makes it fit again
            span = max(w.end for w in words[start:end]) - words[start].start
            if not single and span > settings.max_duration:
                break
            if math.isinf(best[start]):
                continue
            layout_cost, _ = layout.best(start, end, settings.max_lines)
            shown = min(settings.max_duration, next_start - MIN_GAP - words[start].start, max(span, 0.0) + MAX_LINGER)
            shown = max(shown, 1e-3)
            chars = layout.chars(start, end)
            cost = CUE_COST + layout_cost + break_cost(words[end - 1], words[end] if end < count else None)
            if chars / shown > settings.max_chars_per_second:
                cost += READING_SPEED_WEIGHT * (chars / shown / settings.max_chars_per_second - 1)
            if shown < settings.min_duration:
                cost += TOO_SHORT_COST
            inner_end = last_end[end - 2] if end - start > 1 else -1
            if inner_end >= start:
                cost += STRANDED_START_COST if end - 1 - inner_end <= STRANDED_WORDS else SENTENCE_SPAN_COST
            if best[start] + cost < best[end]:
                best[end], choice[end] = best[start] + cost, start
    cues = []
    end = count
    while end > 0:
        start = choice[end]
        cues.append((start, end, layout.lines(start, end)))
        end = start
    return cues[::-1]


def build_cues(words: Sequence[Word], settings: CaptionSettings) -> list[Cue]:
    """Caption cues for `words` (in spoken order). Pure: the same words and settings give the same cues.

    Words with blank text are skipped; every other word appears in exactly one cue, in order.
    """
    spoken = [word for word in words if word.text.strip()]
    groups: list[tuple[tuple[Word, ...], ...]] = []
    for stretch in _stretches(spoken, settings.max_pause):
        groups += [lines for _start, _end, lines in _segment(stretch, settings)]

    cues: list[Cue] = []
    previous_end = -math.inf
    for index, lines in enumerate(groups):
        cue_words = [word for line in lines for word in line]
        start = max(cue_words[0].start, previous_end + MIN_GAP)
        speech_end = max(word.end for word in cue_words)
        chars = sum(len(word.text) for word in cue_words) + len(cue_words) - 1
        wanted = max(speech_end, start + settings.min_duration, start + chars / settings.max_chars_per_second)
        wanted = min(wanted, max(speech_end + MAX_LINGER, start + settings.min_duration))
        wanted = min(wanted, max(start + settings.max_duration, speech_end))
        if index + 1 < len(groups):
            wanted = min(wanted, groups[index + 1][0][0].start - MIN_GAP)
        end = max(wanted, start + MIN_VISIBLE)
        cues.append(Cue(start=round(start, 3), end=round(end, 3), lines=lines))
        previous_end = end
    return cues
