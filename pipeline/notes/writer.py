"""Titles and a summary written by a language model the creator runs (`notes.writer` in config/show.yaml).

Optional and off by default. Whatever the model answers is checked (a title per text, each a few words; a
summary of a few sentences); on a failure or a bad answer the extractive result stands, with a warning.
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Sequence

from pipeline.config.show import WriterSettings
from pipeline.errors import ToolError
from pipeline.tools.writer import ChatEndpoint

log = logging.getLogger(__name__)

WORDS_PER_TEXT = 350  # of each chapter or clip, sent to the model: enough to name it, quick on a laptop
SUMMARY_WORDS = 3000
MAX_TITLE_WORDS = 8
SYSTEM = ("You write for a podcast's show notes. Answer exactly in the format asked, in the language of the "
          "transcript, with nothing before or after it.")


def endpoint_of(settings: WriterSettings | None) -> ChatEndpoint | None:
    return ChatEndpoint(**settings.model_dump()) if settings else None


def _excerpt(text: str, words: int) -> str:
    split = text.split()
    return " ".join(split[:words]) + (" …" if len(split) > words else "")


def _json_list(answer: str) -> list[object]:
    match = re.search(r"\[.*\]", answer, re.DOTALL)
    if not match:
        raise ValueError("no JSON list in the answer")
    found = json.loads(match.group(0))
    if not isinstance(found, list):
        raise ValueError("not a list")
    return found


def written_titles(endpoint: ChatEndpoint | None, texts: Sequence[str], fallback: Sequence[str], kind: str) -> list[str]:
    """A title for each text (`kind`: "chapter" or "clip") by the model, else `fallback` (the extractive titles)."""
    if endpoint is None or not texts:
        return list(fallback)
    numbered = "\n\n".join(f"{kind.title()} {i + 1}:\n{_excerpt(text, WORDS_PER_TEXT)}" for i, text in enumerate(texts))
    prompt = (f"Here are the {len(texts)} {kind}s of a podcast episode's transcript. Write a title of two to six "
              f"words for each that names its topic, distinct from the others, in title case. Answer with a JSON "
              f"list of {len(texts)} strings.\n\n{numbered}")
    try:
        titles = _json_list(endpoint.ask(SYSTEM, prompt))
        if len(titles) != len(texts) or not all(isinstance(t, str) and 0 < len(t.split()) <= MAX_TITLE_WORDS
                                                for t in titles):
            raise ValueError(f"expected {len(texts)} titles of 1–{MAX_TITLE_WORDS} words")
    except (ToolError, ValueError) as exc:
        log.warning("notes.writer: no %s titles from %s (%s); the extractive titles are used", kind, endpoint.url, exc)
        return list(fallback)
    return [" ".join(str(title).split()) for title in titles]


def written_summary(endpoint: ChatEndpoint | None, transcript_text: str, fallback: str, sentences: int) -> str:
    """A summary of the episode in `sentences` sentences by the model, else `fallback` (the extractive one)."""
    if endpoint is None or not transcript_text.strip():
        return fallback
    prompt = (f"Summarise this podcast episode for its show notes in {sentences} sentences of plain prose (no list, "
              f"no heading), saying what a listener will learn.\n\nTranscript:\n{_excerpt(transcript_text, SUMMARY_WORDS)}")
    try:
        summary = " ".join(endpoint.ask(SYSTEM, prompt).split())
        count = len(re.findall(r"[.!?](?:\s|$)", summary))
        if not 1 <= count <= sentences + 2 or len(summary) > 1200:
            raise ValueError(f"expected about {sentences} sentences, got {count} in {len(summary)} characters")
    except (ToolError, ValueError) as exc:
        log.warning("notes.writer: no summary from %s (%s); the extractive summary is used", endpoint.url, exc)
        return fallback
    return summary
