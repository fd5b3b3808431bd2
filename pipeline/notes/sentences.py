"""Timed sentences and words from a transcript, and the text normalisation the matchers share."""

from __future__ import annotations

import functools
import re
import unicodedata
from dataclasses import dataclass

from pipeline.formats.times import timestamp
from pipeline.formats.transcript import ATTACHED, ENDS_SENTENCE, Transcript, Word, join_words

# Words ending in a full stop that do not end a sentence ("U.S. National Library", "Dr. Smith").
ABBREVIATIONS = frozenset({"mr", "mrs", "ms", "dr", "prof", "st", "vs", "e.g", "i.e", "u.s", "u.k", "jr", "sr"})
INITIALISM = re.compile(r"^(?:[A-Za-z]\.){2,}$")
MAX_SENTENCE_WORDS = 60
PAUSE_BREAK_SECONDS = 2.0


@dataclass(frozen=True)
class TimedSentence:
    text: str
    start: float
    end: float
    index: int  # position in the transcript's sentences
    speaker: str | None = None  # who says its first word, when the episode's speakers are known


def transcript_words(transcript: Transcript) -> list[Word]:
    """Every word with its time. Segments without word timestamps get their words spread evenly."""
    words: list[Word] = []
    for segment in transcript.segments:
        if segment.words:
            words += [word for word in segment.words if word.text.strip()]
            continue
        tokens = segment.text.split()
        if not tokens:
            continue
        step = max(segment.end - segment.start, 0.0) / len(tokens)
        words += [
            Word(text=token, start=segment.start + i * step, end=segment.start + (i + 1) * step, speaker=segment.speaker)
            for i, token in enumerate(tokens)
        ]
    return words


def spoken_tokens(words: list[Word]) -> list[Word]:
    """Whisper's word pieces joined back into written tokens: "Research" "Match" ".org" → "Match.org".

    Whisper marks a new word with a leading space, which the transcript model strips; a piece that
    starts with punctuation ('.org', '-related', "'s") continues the previous word.
    """
    tokens: list[Word] = []
    for word in words:
        text = word.text.strip()
        if not text:
            continue
        if tokens and ATTACHED.match(text):
            last = tokens[-1]
            probability = min(last.probability, word.probability)
            tokens[-1] = Word(text=last.text + text, start=last.start, end=word.end, probability=probability,
                              speaker=last.speaker)
        else:
            tokens.append(Word(text=text, start=word.start, end=word.end, probability=word.probability, speaker=word.speaker))
    return tokens


def _ends_sentence(word: str) -> bool:
    if not ENDS_SENTENCE.search(word):
        return False
    bare = word.rstrip("\"'”’)]").lower()
    return not (bare.endswith(".") and (bare[:-1] in ABBREVIATIONS or INITIALISM.match(bare)))


def split_sentences(transcript: Transcript, tokens: list[Word] | None = None) -> list[TimedSentence]:
    """Sentences at Whisper's punctuation, also broken at long pauses and after MAX_SENTENCE_WORDS words.

    `tokens`: the transcript's spoken tokens, when the caller has them already.
    """
    sentences: list[TimedSentence] = []
    current: list[Word] = []

    def close() -> None:
        if current:
            text = join_words(current)
            sentences.append(TimedSentence(text=text, start=current[0].start, end=current[-1].end, index=len(sentences),
                                           speaker=current[0].speaker))
            current.clear()

    for word in spoken_tokens(transcript_words(transcript)) if tokens is None else tokens:
        if current and word.start - current[-1].end >= PAUSE_BREAK_SECONDS:
            close()
        current.append(word)
        if _ends_sentence(word.text.strip()) or len(current) >= MAX_SENTENCE_WORDS:
            close()
    close()
    return sentences


@functools.lru_cache(maxsize=65536)  # called for every word of the transcript once per phrase looked for
def compact(text: str) -> str:
    """Lower-case letters and digits only, 'dot' read as '.': how a phrase sounds, ignoring spacing.

    "ResearchMatch.org", "Research Match dot org" and "research match.org" all become "researchmatchorg".
    """
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode().lower()
    ascii_text = re.sub(r"\bdot\b", ".", ascii_text)
    return re.sub(r"[^a-z0-9]", "", ascii_text)


def format_time(seconds: float) -> str:
    """12:34, or 1:02:03 past the hour."""
    return timestamp(seconds, "[H:]MM:SS")
