"""Speaker turns: pure functions from frame decisions to turns, from turns to words, and from labels to names.

A turn is (start, end, label) in seconds. Labels are what a diarizer or the tracks call a voice ("S1",
a track's speaker); names are what the listener reads ("Dana Reyes", "Speaker 2").
"""

from __future__ import annotations

import bisect
import itertools
from collections.abc import Callable, Hashable, Mapping, Sequence
from dataclasses import replace
from typing import TypeVar

from pipeline.formats.transcript import Word

Turn = tuple[float, float, str]
Label = TypeVar("Label", bound=Hashable)  # a voice as a labeller names it: a track's speaker, a cluster's index

MIN_TURN_SECONDS = 0.8  # a shorter run of one voice between another's is a flicker of the labeller, not a turn
NEAREST_TURN_SECONDS = 1.0  # a word outside every turn takes the nearest turn within this distance


def runs(labels: Sequence[str | None], hop: float) -> list[Turn]:
    """Frame labels (one per `hop` seconds; None: nobody speaks) → turns of consecutive equal labels."""
    return [(round(start * hop, 3), round(end * hop, 3), label) for start, end, label in _label_spans(labels)
            if label is not None]


def smooth(labels: Sequence[Label | None], hop: float, shortest: float = MIN_TURN_SECONDS) -> list[Label | None]:
    """Runs of one voice shorter than `shortest` that sit inside speech are given to the voice around them.

    Shortest runs first, each to the longer of its neighbouring voices, so a flicker never splits a turn.
    Silence (None) is never relabelled and never spreads.
    """
    smoothed = list(labels)
    frames = max(1, round(shortest / hop))
    while True:
        spans = _label_spans(smoothed)
        touched: set[int] = set()
        short = sorted((end - start, index) for index, (start, end, label) in enumerate(spans)
                       if label is not None and end - start < frames)
        for _length, index in short:
            if {index - 1, index, index + 1} & touched:
                continue  # a neighbour changed in this pass: look again in the next
            start, end, label = spans[index]
            neighbours = [spans[i] for i in (index - 1, index + 1)
                          if 0 <= i < len(spans) and spans[i][2] is not None and spans[i][2] != label]
            if not neighbours:
                continue
            donor = max(neighbours, key=lambda s: s[1] - s[0])
            smoothed[start:end] = [donor[2]] * (end - start)
            touched.add(index)
        if not touched:
            return smoothed


def _label_spans(labels: Sequence[Label | None]) -> list[tuple[int, int, Label | None]]:
    """(first frame, frame after the last, label) of each run of equal labels."""
    spans: list[tuple[int, int, Label | None]] = []
    start = 0
    for label, run in itertools.groupby(labels):
        length = sum(1 for _ in run)
        spans.append((start, start + length, label))
        start += length
    return spans


def second_voices(turns: Sequence[Turn], overlaps: Sequence[tuple[float, float]]) -> list[Turn]:
    """Turns for the second voice where two people speak at once: within a turn, an overlap is given to the
    nearest other voice in time (who has just spoken or is about to: the one who interrupts or is interrupted)."""
    found: list[Turn] = []
    for a, b in overlaps:
        for start, end, label in turns:
            shared_start, shared_end = max(start, a), min(end, b)
            if shared_end <= shared_start:
                continue
            others = [(max(t[0] - shared_end, shared_start - t[1], 0.0), t[2]) for t in turns if t[2] != label]
            if others:
                found.append((shared_start, shared_end, min(others)[1]))
    return sorted(found)


def speaker_of(start: float, end: float, turns: Sequence[Turn]) -> str | None:
    """The label that covers most of [start, end] (on a tie, the turn that began first); none covering it: the
    nearest turn's within NEAREST_TURN_SECONDS."""
    overlap: dict[str, float] = {}
    began: dict[str, float] = {}
    for a, b, label in turns:
        shared = min(end, b) - max(start, a)
        if shared > 0:
            overlap[label] = overlap.get(label, 0.0) + shared
            began[label] = min(a, began.get(label, a))
    if overlap:
        return max(overlap, key=lambda label: (round(overlap[label], 6), -began[label]))
    distance, label = min(((max(a - end, start - b), label) for a, b, label in turns), default=(float("inf"), None))
    return label if distance <= NEAREST_TURN_SECONDS else None


def speaking(turns: Sequence[Turn], words: Sequence[Word]) -> list[Turn]:
    """The turns of the voices that say at least one word. A voice that says none (a jingle, a laugh, a noise
    the diarizer took for a voice) is nobody the listener hears speak, so it is named nowhere. A lone mark is no
    word: the transcriber hears "." in a jingle."""
    near = turns_near(turns)
    heard = {speaker_of(word.start, word.end, near(word)) for word in words if any(c.isalnum() for c in word.text)}
    return [turn for turn in turns if turn[2] in heard]


def label_words(words: Sequence[Word], turns: Sequence[Turn], names: Mapping[str, str | None]) -> list[Word]:
    """Every word with the name of the voice that covers most of its time (a turn never splits a word)."""
    near = turns_near(turns)
    return [replace(word, speaker=names.get(label) if (label := speaker_of(word.start, word.end, near(word))) else None)
            for word in words]


def turns_near(turns: Sequence[Turn]) -> Callable[[Word], list[Turn]]:
    """For a word, the turns within NEAREST_TURN_SECONDS of it, in order: all that `speaker_of` can choose from.
    Found by bisection (a two-hour episode has thousands of turns and words)."""
    ordered = sorted(turns)
    starts = [start for start, _end, _label in ordered]
    reach = list(itertools.accumulate((end for _start, end, _label in ordered), max))  # the latest end so far

    def near(word: Word) -> list[Turn]:
        first, last = word.start - NEAREST_TURN_SECONDS, word.end + NEAREST_TURN_SECONDS
        found = []
        index = bisect.bisect_right(starts, last) - 1
        while index >= 0 and reach[index] >= first:
            if ordered[index][1] >= first:
                found.append(ordered[index])
            index -= 1
        return found[::-1]

    return near


def first_appearance(turns: Sequence[Turn]) -> list[str]:
    return list(dict.fromkeys(label for _start, _end, label in sorted(turns)))


def speaker_names(turns: Sequence[Turn], known: Mapping[str, str], given: Sequence[str] = (),
                  renames: Mapping[str, str] | None = None) -> dict[str, str | None]:
    """Label → the name shown. Known voices (and tracks) keep their names; the others, in order of first
    appearance, take the episode's `given` names, then "Speaker N" (N counting every voice). One unnamed voice
    alone is nobody in particular: no name at all. `renames` (episode.yaml `speaker_names`) maps any shown name
    to another, so a first run's "Speaker 2" can become "Sam Lee" without transcribing again."""
    order = first_appearance(turns)
    names: dict[str, str | None] = {}
    spare = [name for name in given if name not in known.values()]
    for number, label in enumerate(order, start=1):
        if label in known:
            names[label] = known[label]
        elif spare:
            names[label] = spare.pop(0)
        else:
            names[label] = f"Speaker {number}"
    if len(order) == 1 and order[0] not in known and not given:
        names[order[0]] = None
    for label, name in names.items():
        if name is not None and renames and name in renames:
            names[label] = renames[name]
    return names


def active_speakers(levels_db: Sequence[Sequence[float]], speech: Sequence[Sequence[bool]],
                    labels: Sequence[str]) -> list[str | None]:
    """One label per frame from several tracks: of the tracks whose voice detector hears speech, the loudest once
    each track is levelled. `levels_db[track][frame]` is the levelled frame energy.

    Bleed (the same voice, quieter, in another microphone) loses to the track it comes from. When two people
    talk at once the frame goes to the louder: a word has one speaker.
    """
    frames = max((len(level) for level in levels_db), default=0)
    chosen: list[str | None] = []
    for frame in range(frames):
        heard = [(levels_db[track][frame], track) for track in range(len(labels))
                 if frame < len(speech[track]) and frame < len(levels_db[track]) and speech[track][frame]]
        chosen.append(labels[max(heard)[1]] if heard else None)
    return chosen
