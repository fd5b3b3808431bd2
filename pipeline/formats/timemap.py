"""The time map of an edited episode: where each moment of the recording lands in what is published.

An edit keeps some stretches of the recording (the rest is cut) and puts other sound between them (an intro
before everything, inserts between sentences); the published sound is those pieces one after another. Every
published time (the MP3's chapters, captions, transcripts, notes, clips, the feed) comes from a recording time
through `TimeMap.published`, so they all agree. Pure: the audio assembly follows the same pieces.

A crossfade at a join takes nothing away: it is centred on the join, half on each side, so a cut of 12.0–14.5 s
removes exactly 2.5 s.
"""

from __future__ import annotations

import bisect
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from typing import Any, NamedTuple

RECORDING = "recording"
EPSILON = 1e-9  # seconds: a piece's end, as start + duration, may differ from the cut's edge in the last bit


class Insert(NamedTuple):
    """Other sound played at recording time `at`: `length` s of `source` from `offset` s into it."""

    at: float
    source: str
    length: float
    offset: float = 0.0


@dataclass(frozen=True)
class Piece:
    """`duration` seconds of `source` (the recording, or an inserted file) from `source_start`, published at `start`."""

    start: float
    source: str
    source_start: float
    duration: float

    @property
    def end(self) -> float:
        return self.start + self.duration

    @property
    def source_end(self) -> float:
        return self.source_start + self.duration


class EditError(ValueError):
    """An edit that cannot be made (a cut of everything, an insert inside a cut); the message says which."""


@dataclass(frozen=True)
class TimeMap:
    pieces: tuple[Piece, ...]

    @classmethod
    def identity(cls, duration: float) -> TimeMap:
        return cls((Piece(0.0, RECORDING, 0.0, duration),))

    @classmethod
    def from_edit(cls, duration: float, cuts: Sequence[tuple[float, float]] = (),
                  inserts: Sequence[tuple[float, str, float] | Insert] = ()) -> TimeMap:
        """The recording (`duration` s) without the `cuts` ((start, end) recording seconds, in any order, may
        overlap), with each insert (`Insert`, or (recording time, source, its duration)) played at that moment, in
        the order given where several share one: an insert at 0 plays first (an intro), at `duration` last."""
        kept = kept_stretches(duration, cuts)
        if not kept:
            raise EditError("the cuts remove the whole recording")
        inserts = [Insert(*insert) for insert in inserts]
        for at, source, _length, _offset in inserts:
            if not 0 <= at <= duration:
                raise EditError(f"the insert {source} at {at:.1f} s is outside the recording (0–{duration:.1f} s)")
            if not any(start <= at <= end for start, end in kept):
                raise EditError(f"the insert {source} at {at:.1f} s is inside a cut")
        pieces: list[Piece] = []
        clock = 0.0
        waiting = sorted(inserts, key=lambda insert: insert[0])
        for start, end in kept:
            position = start
            while waiting and waiting[0][0] <= end:
                at, source, length, offset = waiting.pop(0)
                if at > position:
                    pieces.append(Piece(clock, RECORDING, position, at - position))
                    clock += at - position
                    position = at
                pieces.append(Piece(clock, source, offset, length))
                clock += length
            if end > position:
                pieces.append(Piece(clock, RECORDING, position, end - position))
                clock += end - position
        return cls(tuple(pieces))

    @property
    def duration(self) -> float:
        return self.pieces[-1].end if self.pieces else 0.0

    @property
    def is_identity(self) -> bool:
        """Nothing was cut or added: published time is recording time."""
        return len(self.pieces) == 1 and self.pieces[0].source == RECORDING and self.pieces[0].source_start == 0

    def to_document(self) -> list[dict[str, Any]]:
        return [asdict(piece) for piece in self.pieces]

    @classmethod
    def from_document(cls, pieces: Sequence[dict[str, Any]]) -> TimeMap:
        return cls(tuple(Piece(float(p["start"]), str(p["source"]), float(p["source_start"]), float(p["duration"]))
                         for p in pieces))

    @property
    def recording_pieces(self) -> list[Piece]:
        return [piece for piece in self.pieces if piece.source == RECORDING]

    def published(self, time: float, *, starting: bool = False) -> float | None:
        """Where recording `time` is heard in the published sound; None when it was cut. A time at the edge of a
        cut belongs to the stretch it ends or begins. Where an insert splits the recording, the moment just before
        it is meant, or, `starting` (the start of a word, a cue), the moment just after it."""
        pieces = self.recording_pieces
        starts = [piece.source_start for piece in pieces]
        index = bisect.bisect_right(starts, time) - 1
        found = [piece.start + min(max(time - piece.source_start, 0.0), piece.duration)
                 for piece in pieces[max(0, index - 1):index + 2]
                 if piece.source_start - EPSILON <= time <= piece.source_end + EPSILON]
        if not found:
            return None
        return found[-1] if starting else found[0]

    def published_from(self, time: float) -> float:
        """Where recording `time` is heard, or, when it was cut, where what follows the cut is heard (the end of
        the published sound when nothing follows): where a chapter or a soundbite given in recording time starts."""
        found = self.published(time, starting=True)
        if found is not None:
            return found
        later = [piece for piece in self.recording_pieces if piece.source_start > time]
        return later[0].start if later else self.duration

    def published_span(self, start: float, end: float) -> tuple[float, float] | None:
        """A recording stretch (a word, a caption, a chapter) in published time: what of it is kept, from its first
        kept moment to its last; None when all of it was cut."""
        kept = [(max(start, p.source_start), min(end, p.source_start + p.duration)) for p in self.recording_pieces
                if p.source_start <= end and start <= p.source_start + p.duration]
        if not kept:
            return None
        first, last = self.published(kept[0][0], starting=True), self.published(kept[-1][1])
        assert first is not None and last is not None
        return first, last

    def recording(self, time: float) -> float | None:
        """The recording time heard at published `time`; None during an insert."""
        for piece in self.pieces:
            if piece.start <= time <= piece.end and piece.source == RECORDING:
                return piece.source_start + (time - piece.start)
        return None


def kept_stretches(duration: float, cuts: Sequence[tuple[float, float]]) -> list[tuple[float, float]]:
    """The (start, end) stretches of a `duration`-second recording that the `cuts` leave, in order."""
    kept, position = [], 0.0
    for start, end in sorted((max(0.0, a), min(duration, b)) for a, b in cuts):
        if end <= start:
            continue
        if start > position:
            kept.append((position, start))
        position = max(position, end)
    if position < duration:
        kept.append((position, duration))
    return kept
