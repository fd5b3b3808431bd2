"""The plan of an edit: where each cut, insert, intro and outro goes in the recording, on word boundaries, and
the time map they make. Pure: the words, sentences and quiet stretches come in, the plan goes out.

Times given in episode.yaml (`cuts`, `inserts[].at`, `corrections[].at`) are times in the recording. Every
published time comes from the plan's `time_map`.

Where a cut meets speech, it is moved to the middle of the pause beside the words it takes (a cut never ends
inside a word), so the join lies in a pause and the crossfade there is inaudible.
"""

from __future__ import annotations

import bisect
import itertools
from collections.abc import Sequence
from dataclasses import dataclass, replace

from pipeline.formats.corrections import nearest_heard, occurrences
from pipeline.formats.timemap import RECORDING, EditError, Insert, TimeMap
from pipeline.formats.times import timestamp
from pipeline.formats.transcript import Word, bare_word
from pipeline.notes.sentences import TimedSentence

LEAD_SECONDS = 0.3  # with an intro, the recording starts this long before its first word
TAIL_SECONDS = 0.5  # with an outro, it ends this long after its last word
CLEAR_OF_WORDS = 0.02  # a cut through a pause ends at least this far from a word (the crossfade's half is 0.01 s)
INTRO, OUTRO = "intro", "outro"
ADDED = ("insert", "intro", "outro")  # the kinds of change that add sound; the others take it away


@dataclass(frozen=True)
class CutRequest:
    where: str  # the field, for messages: "cuts[0]"
    start: float | None = None  # a time range of the recording
    end: float | None = None
    quote: str | None = None  # or the sentences holding these words


@dataclass(frozen=True)
class InsertRequest:
    where: str  # "inserts[0]"
    source: str  # the file, as the creator wrote it
    length: float  # seconds
    at: float  # a time of the recording; the insert goes to the sentence boundary nearest it


@dataclass(frozen=True)
class MusicRequest:
    source: str
    length: float
    overlap: float  # seconds of it under the speech


@dataclass(frozen=True)
class Change:
    """One line of edits.txt: what was cut or inserted, where in the recording, why, and how long."""

    kind: str  # cut, pause, trim, insert, intro, outro
    start: float  # recording time
    end: float  # recording time (an insert: its place, start == end)
    length: float  # seconds removed (cut, pause, trim) or added
    reason: str
    source: str = ""  # an insert's file
    published: float | None = None  # where the cut joins, or the insert begins, in the published sound


@dataclass(frozen=True)
class Music:
    """An intro or outro as it sounds: `source` (INTRO or OUTRO) from its start at published `start`, `length` s, ducked under the
    speech from `ducked_from` to `ducked_until` (published seconds)."""

    source: str
    start: float
    length: float
    ducked_from: float
    ducked_until: float


@dataclass(frozen=True)
class Plan:
    time_map: TimeMap
    changes: tuple[Change, ...]
    music: tuple[Music, ...] = ()

    @property
    def is_identity(self) -> bool:
        return self.time_map.is_identity and not self.music


def plan_edit(words: Sequence[Word], sentences: Sequence[TimedSentence], duration: float, *,
              cuts: Sequence[CutRequest] = (), inserts: Sequence[InsertRequest] = (),
              intro: MusicRequest | None = None, outro: MusicRequest | None = None,
              max_pause: float | None = None, quiet: Sequence[tuple[float, float]] = ()) -> Plan:
    """The edit of a `duration`-second recording heard as `words` (in time order) and `sentences`; `quiet`: its
    silent stretches (where a long pause may be shortened)."""
    words = [word for word in words if bare_word(word.text)]
    changes: list[Change] = []
    for request in cuts:
        changes += cut_changes(request, words, sentences, duration)
    asked = [(change.start, change.end) for change in changes]
    if words and intro is not None and words[0].start - LEAD_SECONDS > 0:
        changes.append(Change("trim", 0.0, words[0].start - LEAD_SECONDS, words[0].start - LEAD_SECONDS,
                              "before the first word, for the intro"))
    if words and outro is not None and words[-1].end + TAIL_SECONDS < duration:
        start = words[-1].end + TAIL_SECONDS
        changes.append(Change("trim", start, duration, duration - start, "after the last word, for the outro"))
    if max_pause is not None:
        changes += pause_changes(words, quiet, max_pause, [(c.start, c.end) for c in changes])
    removed = [(change.start, change.end) for change in changes]
    kept = TimeMap.from_edit(duration, removed)  # raises EditError when nothing is left
    first, last = kept.recording_pieces[0].source_start, kept.recording_pieces[-1].source_end
    placed: list[Insert] = []
    if intro is not None:
        placed.append(Insert(first, INTRO, music_timeline(intro, INTRO)))
        changes.append(Change("intro", first, first, intro.length - intro.overlap,
                              f"audio.intro, {intro.overlap:g} s of it under the speech", intro.source))
    for request in inserts:
        at = insert_place(request, sentences, words, asked, kept)
        placed.append(Insert(at, request.source, request.length))
        changes.append(Change("insert", at, at, request.length,
                              f"{request.where}: at the sentence boundary nearest {clock(request.at)}", request.source))
    if outro is not None:
        placed.append(Insert(last, OUTRO, music_timeline(outro, OUTRO), outro.overlap))
        changes.append(Change("outro", last, last, outro.length - outro.overlap,
                              f"audio.outro, {outro.overlap:g} s of it under the speech", outro.source))
    time_map = TimeMap.from_edit(duration, removed, placed)
    return Plan(time_map, located(changes, time_map), music_layers(time_map, intro, outro))


def located(changes: Sequence[Change], time_map: TimeMap) -> tuple[Change, ...]:
    """The changes in recording order, each with its published time. The inserted pieces follow the order
    `from_edit` gives them: by recording time, those at one time in the order they were added."""
    added = sorted((change for change in changes if change.kind in ADDED), key=lambda change: change.start)
    pieces = [piece for piece in time_map.pieces if piece.source != RECORDING]
    where = {id(change): piece.start for change, piece in zip(added, pieces, strict=True)}
    found = [replace(change, published=where.get(id(change), time_map.published(change.start))) for change in changes]
    return tuple(sorted(found, key=lambda change: (change.start, change.end)))


def music_timeline(music: MusicRequest, name: str) -> float:
    """The seconds an intro or outro adds: its length less what plays under the speech."""
    if music.overlap >= music.length:
        raise EditError(f"audio.{name}.overlap: {music.overlap:g} s is not shorter than {music.source} "
                        f"({music.length:.1f} s); give a smaller overlap")
    return music.length - music.overlap


def music_layers(time_map: TimeMap, intro: MusicRequest | None, outro: MusicRequest | None) -> tuple[Music, ...]:
    layers = []
    for piece in time_map.pieces:
        if piece.source == INTRO and intro is not None:
            layers.append(Music(INTRO, piece.start, intro.length, piece.end, piece.start + intro.length))
        elif piece.source == OUTRO and outro is not None:
            start = piece.start - outro.overlap
            layers.append(Music(OUTRO, start, outro.length, start, piece.start))
    return tuple(layers)


def cut_changes(request: CutRequest, words: Sequence[Word], sentences: Sequence[TimedSentence],
                duration: float) -> list[Change]:
    if request.quote is None:
        assert request.start is not None and request.end is not None
        if request.start >= duration:
            raise EditError(f"{request.where}: starts at {clock(request.start)}, after the end of the recording "
                            f"({clock(duration)}); give a time inside it")
        start, end = word_bounds(words, request.start, min(request.end, duration), duration)
        if end - start < 0.001:
            raise EditError(f"{request.where}: {clock(request.start)}–{clock(request.end)} holds no whole word and no "
                            "pause; give a range that does")
        return [Change("cut", start, end, end - start, f"{request.where}: {clock(request.start)}–{clock(request.end)}")]
    wanted = [bare for piece in request.quote.split() if (bare := bare_word(piece))]
    found = occurrences(words, wanted)
    if not found:
        near = nearest_heard(words, request.quote)
        hint = f'the nearest words are "{near[0]}" at {clock(near[1])}' if near else "nothing near it either"
        raise EditError(f'{request.where}.quote: "{request.quote}" is not in the transcript ({hint}); quote the '
                        "words as transcript.txt writes them")
    changes = []
    for index in found:
        first, last = words[index], words[index + len(wanted) - 1]
        holding = [s for s in sentences if s.end > first.start and s.start < last.end] or [
            TimedSentence("", first.start, last.end, -1)]
        start, end = word_bounds(words, holding[0].start, holding[-1].end, duration)
        text = " ".join(s.text for s in holding)
        changes.append(Change("cut", start, end, end - start, f'{request.where}: "{request.quote}": {text}'))
    return changes


def word_bounds(words: Sequence[Word], start: float, end: float, duration: float) -> tuple[float, float]:
    """The cut of recording `start`–`end` on word boundaries: every word whose middle is inside goes whole, and
    the cut reaches to the middle of the pauses around them. A cut with no word in it stays clear of the words."""
    inside = [i for i, word in enumerate(words) if start <= (word.start + word.end) / 2 <= end]
    if not inside:  # only a pause, or less than half a word: the words it touches stay whole
        near = [(word.start - CLEAR_OF_WORDS, word.end + CLEAR_OF_WORDS) for word in words]
        begin = max([start] + [after for before, after in near if before < start < after])
        finish = min([end] + [before for before, after in near if before < end < after])
        return begin, max(begin, finish)
    first, last = inside[0], inside[-1]
    begin = 0.0 if first == 0 else (words[first - 1].end + words[first].start) / 2
    finish = duration if last == len(words) - 1 else (words[last].end + words[last + 1].start) / 2
    return max(0.0, min(begin, words[first].start)), min(duration, max(finish, words[last].end))


def pause_changes(words: Sequence[Word], quiet: Sequence[tuple[float, float]], max_pause: float,
                  removed: Sequence[tuple[float, float]]) -> list[Change]:
    """A cut from the middle of every silent stretch longer than `max_pause` between two words, leaving
    `max_pause` of it (half each side); none where something else is cut already."""
    changes = []
    quiet = sorted(quiet)
    starts = [span[0] for span in quiet]
    for before, after in itertools.pairwise(words):
        if after.start - before.end <= max_pause:
            continue
        index = max(0, bisect.bisect_right(starts, before.end) - 1)
        runs = [(max(a, before.end), min(b, after.start)) for a, b in quiet[index:]
                if a < after.start and b > before.end]
        longest = max(runs, key=lambda run: run[1] - run[0], default=None)
        if longest is None or longest[1] - longest[0] <= max_pause:
            continue
        start, end = longest[0] + max_pause / 2, longest[1] - max_pause / 2
        if any(a < end and start < b for a, b in removed):
            continue
        changes.append(Change("pause", start, end, end - start,
                              f"a pause of {longest[1] - longest[0]:.1f} s shortened to {max_pause:g} s (audio.max_pause)"))
    return changes


def insert_place(request: InsertRequest, sentences: Sequence[TimedSentence], words: Sequence[Word],
                 asked: Sequence[tuple[float, float]], kept: TimeMap) -> float:
    """The recording time where an insert goes: the sentence boundary (the middle of the pause between two
    sentences, or before the first) nearest `request.at`, moved out of any pause cut to its edge. An `at` inside
    a cut the creator asked for is an error."""
    for start, end in asked:
        if start < request.at < end:
            raise EditError(f"{request.where}.at: {clock(request.at)} is inside a cut ({clock(start)}–{clock(end)}); "
                            "move the insert or the cut")
    boundaries = [max(0.0, sentences[0].start - 0.05)] if sentences else [0.0]
    boundaries += [(a.end + b.start) / 2 for a, b in itertools.pairwise(sentences)]
    if words and not sentences:
        boundaries.append(words[-1].end)
    candidates = [time for time in boundaries if not any(a < time < b for a, b in asked)] or [0.0]
    at = min(candidates, key=lambda time: abs(time - request.at))
    if kept.published(at) is None:  # inside a pause or trim: to the edge of what is kept just before it
        at = max((p.source_end for p in kept.recording_pieces if p.source_end <= at),
                 default=kept.recording_pieces[0].source_start)
    return at


def clock(seconds: float) -> str:
    return timestamp(seconds, "[H:]MM:SS.mmm")
