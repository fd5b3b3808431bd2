"""Caption cues built from word timestamps (owned by the transcribe stage; read by the video stage)."""

from __future__ import annotations

from dataclasses import dataclass

from pipeline.formats.transcript import Word


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
        return "\n".join(" ".join(word.text for word in line) for line in self.lines)
