"""The transcript model shared by every stage after `transcribe` (notes, video, feed, site)."""

from __future__ import annotations

import json
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


@dataclass(frozen=True)
class Segment:
    text: str
    start: float
    end: float
    words: tuple[Word, ...] = ()


@dataclass(frozen=True)
class Transcript:
    segments: tuple[Segment, ...]
    engine: str
    model: str
    language: str
    duration: float  # seconds of audio transcribed
    input_hash: str  # cache key: hash of the audio, engine, model and glossary
    glossary: tuple[str, ...] = ()
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def words(self) -> list[Word]:
        return [word for segment in self.segments for word in segment.words]

    @property
    def text(self) -> str:
        return " ".join(segment.text.strip() for segment in self.segments if segment.text.strip())

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["word_count"] = len(self.words)
        return data

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Transcript:
        segments = tuple(
            Segment(
                text=s["text"], start=float(s["start"]), end=float(s["end"]),
                words=tuple(Word(**w) for w in s.get("words", ())),
            )
            for s in data["segments"]
        )
        return cls(
            segments=segments, engine=data["engine"], model=data["model"], language=data["language"],
            duration=float(data["duration"]), input_hash=data["input_hash"],
            glossary=tuple(data.get("glossary", ())), extra=dict(data.get("extra", {})),
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
