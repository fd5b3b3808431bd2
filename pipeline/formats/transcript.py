"""The transcript model shared by every stage after `transcribe` (notes, video, feed, site)."""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from pipeline.atomic import write_text


@dataclass(frozen=True)
class Word:
    text: str  # stripped of Whisper's leading space
    start: float
    end: float
    probability: float = 1.0
    speaker: str | None = None  # who says it, when the episode's speakers are known


@dataclass(frozen=True)
class Segment:
    text: str
    start: float
    end: float
    words: tuple[Word, ...] = ()
    speaker: str | None = None


# A word piece that continues the one before it: ".org", "-related", "'s", "n't", closing punctuation.
ATTACHED = re.compile(r"^(?:[.,;:!?%)\]}]|-\w|'\w|’\w|n't)")
ENDS_SENTENCE = re.compile(r"[.?!…。！？؟।][\"'”’)\]」』]*$")  # Latin, CJK, Arabic and Devanagari sentence ends
SEGMENT_PAUSE_SECONDS = 1.0  # a longer pause between two words starts a new segment
SEGMENT_MAX_SECONDS = 20.0


def bare_word(text: str) -> str:
    """A word as it is said: lower case, no punctuation but the apostrophe ("Country!" and "country" are one word)."""
    return re.sub(r"[^\w']", "", text.lower().replace("’", "'"))


# Scripts written without spaces between words: Han, kana, CJK punctuation and full-width forms, Thai, Lao,
# Tibetan, Myanmar, Khmer. Between two of their characters no space is put; Korean (Hangul) uses spaces.
UNSPACED = re.compile("[\u3000-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\uff00-\uffef"
                      "\u0e00-\u0eff\u0f00-\u0fff\u1000-\u109f\u1780-\u17ff]")


def join_words(words: Iterable[Word]) -> str:
    """The text of `words`: a space between them, except before a piece that continues the previous word, and
    between two words of a script written without spaces ("東京" + "に" → "東京に")."""
    text = ""
    for word in words:
        piece = word.text.strip()
        if piece:
            unspaced = bool(text) and UNSPACED.match(text[-1]) is not None and UNSPACED.match(piece[0]) is not None
            text += piece if (not text or unspaced or ATTACHED.match(piece)) else " " + piece
    return text


def group_words(words: Sequence[Word]) -> list[Segment]:
    """Words in time order → segments that end at a speaker change, a sentence end, a pause, or SEGMENT_MAX_SECONDS."""
    segments: list[Segment] = []
    current: list[Word] = []

    def close() -> None:
        segments.append(Segment(join_words(current), current[0].start, current[-1].end, tuple(current), current[0].speaker))

    for word in sorted(words, key=lambda w: (w.start, w.end)):
        if current and (word.speaker != current[-1].speaker
                        or word.start - current[-1].end > SEGMENT_PAUSE_SECONDS
                        or word.end - current[0].start > SEGMENT_MAX_SECONDS
                        or (ENDS_SENTENCE.search(current[-1].text) and not ATTACHED.match(word.text))):
            close()
            current = []
        current.append(word)
    if current:
        close()
    return segments


@dataclass(frozen=True)
class Transcript:
    segments: tuple[Segment, ...]
    engine: str
    model: str
    language: str
    duration: float  # seconds of audio transcribed
    input_hash: str  # cache key: hash of the audio, engine, model and glossary
    glossary: tuple[str, ...] = ()
    gaps: tuple[tuple[float, float], ...] = ()  # speech that got no words: (start, end) seconds, for a person to hear
    turns: tuple[tuple[float, float, str], ...] = ()  # who speaks when, as found (labels before names are given)
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def words(self) -> list[Word]:
        return [word for segment in self.segments for word in segment.words]

    @property
    def text(self) -> str:
        return " ".join(segment.text.strip() for segment in self.segments if segment.text.strip())

    @property
    def speakers(self) -> list[str]:
        """The named speakers, in order of first appearance."""
        return list(dict.fromkeys(word.speaker for word in self.words if word.speaker))

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["gaps"] = [{"start": start, "end": end} for start, end in self.gaps]
        data["turns"] = [{"start": start, "end": end, "label": label} for start, end, label in self.turns]
        data["word_count"] = len(self.words)
        return data

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Transcript:
        segments = tuple(
            Segment(
                text=s["text"], start=float(s["start"]), end=float(s["end"]),
                words=tuple(Word(**w) for w in s.get("words", ())), speaker=s.get("speaker"),
            )
            for s in data["segments"]
        )
        return cls(
            segments=segments, engine=data["engine"], model=data["model"], language=data["language"],
            duration=float(data["duration"]), input_hash=data["input_hash"],
            glossary=tuple(data.get("glossary", ())), extra=dict(data.get("extra", {})),
            gaps=tuple((float(gap["start"]), float(gap["end"])) for gap in data.get("gaps", ())),
            turns=tuple((float(t["start"]), float(t["end"]), str(t["label"])) for t in data.get("turns", ())),
        )

    def save(self, path: Path) -> Path:
        return write_text(path, json.dumps(self.to_dict(), indent=1, ensure_ascii=False) + "\n")

    @classmethod
    def load(cls, path: Path) -> Transcript:
        from pipeline.errors import InputError

        try:
            return cls.from_dict(json.loads(Path(path).read_text(encoding="utf-8")))
        except FileNotFoundError as exc:
            raise InputError(f"{path}: no transcript yet", hint="run the transcribe stage first") from exc
        except (KeyError, TypeError, ValueError) as exc:
            raise InputError(f"{path}: not a transcript this version can read ({exc})",
                             hint="delete it and run the transcribe stage again") from exc
