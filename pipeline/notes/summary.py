"""An extractive summary of the transcript: sumy's TextRank, offline and deterministic.

TextRank rather than sumy's LexRank: LexRank's undamped power method lets sentences that share no
words with the rest keep their full share of the score, so an aside ("my cat sat on the keyboard")
can outrank the sentences the episode is about; TextRank's damping gives such sentences the least.

sumy's own English tokenizer needs nltk's punkt data, which is downloaded at run time; the
sentences here already come split (with their times) from the transcript, so sumy gets a document
built from them and a word tokenizer that needs no data.
"""

from __future__ import annotations

import re
from typing import Any

from pipeline.formats.languages import SUMMARY_LANGUAGES
from pipeline.notes.sentences import TimedSentence

LANGUAGE = "english"
MIN_WORDS = 6  # greetings and fragments ("See you next Monday.") make poor summary sentences
MAX_WORDS = 45


class OfflineTokenizer:
    """The part of sumy's Tokenizer interface its summarisers use, without nltk data."""

    WORD = re.compile(r"[^\W\d_](?:[^\W\d_]|['’-])*")

    language = LANGUAGE

    def to_words(self, sentence: str) -> tuple[str, ...]:
        return tuple(self.WORD.findall(sentence))

    def to_sentences(self, paragraph: str) -> tuple[str, ...]:
        return tuple(part.strip() for part in re.split(r"(?<=[.?!])\s+", paragraph) if part.strip())


def summary_candidates(sentences: list[TimedSentence]) -> list[TimedSentence]:
    tokenizer = OfflineTokenizer()
    chosen = [s for s in sentences if MIN_WORDS <= len(tokenizer.to_words(s.text)) <= MAX_WORDS]
    return chosen or sentences


def summarize(sentences: list[TimedSentence], count: int, language: str = "en") -> list[TimedSentence]:
    """The `count` most central sentences (TextRank), in the order they are spoken, with the stop words and
    stemmer of `language` (a Whisper code) where sumy has them."""
    from sumy.models.dom import ObjectDocumentModel, Paragraph, Sentence
    from sumy.summarizers.text_rank import TextRankSummarizer
    from sumy.utils import get_stop_words

    candidates = summary_candidates(sentences)
    if len(candidates) <= count:
        return candidates
    tokenizer = OfflineTokenizer()
    document = ObjectDocumentModel([Paragraph([Sentence(s.text, tokenizer) for s in candidates])])
    name = SUMMARY_LANGUAGES.get(language)
    summarizer = TextRankSummarizer(_stemmer(name))
    summarizer.stop_words = get_stop_words(name) if name else frozenset()
    picked = {str(sentence) for sentence in summarizer(document, count)}
    chosen: list[TimedSentence] = []
    for sentence in candidates:  # sumy keys ratings by text: keep the first of any repeated sentence
        if sentence.text in picked:
            chosen.append(sentence)
            picked.discard(sentence.text)
    return chosen


def _stemmer(name: str | None) -> Any:
    from sumy.nlp.stemmers import Stemmer, null_stemmer

    try:
        return Stemmer(name) if name else null_stemmer
    except LookupError:  # sumy has stop words but no stemmer for it
        return null_stemmer


def summary_text(sentences: list[TimedSentence]) -> str:
    return " ".join(s.text for s in sentences)
