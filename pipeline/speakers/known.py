"""What is known of an episode's speakers before diarisation: how many there are (episode.yaml `speakers`) and
whose voices the found ones are (the show's voice samples, matched by similarity)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from pipeline.speakers.voices import SpeakerCount

if TYPE_CHECKING:
    import numpy as np

    from pipeline.speakers.diarize import Diarization

VOICE_MATCH = 0.72  # cosine similarity from which a found voice is taken to be a known one (see match_voices)


def count_from_config(speakers: int | str | list[str] | None) -> SpeakerCount:
    """episode.yaml `speakers` (2, "2-4", a list of names, or nothing) → the bounds on the number of voices."""
    if isinstance(speakers, int):
        return SpeakerCount(speakers, speakers)
    if isinstance(speakers, list):
        return SpeakerCount(len(speakers), len(speakers))
    if isinstance(speakers, str):
        least, most = (int(part) for part in speakers.split("-"))
        return SpeakerCount(least, most)
    return SpeakerCount()


@dataclass(frozen=True)
class VoiceMatch:
    label: str  # the found voice
    name: str  # the known voice it is
    similarity: float
    next_best: float | None  # the similarity of the known voice to the closest other found voice

    def describe(self) -> str:
        other = f", the next voice {self.next_best:.2f}" if self.next_best is not None else ""
        return f"{self.name} is {self.label} (similarity {self.similarity:.2f}, bar {VOICE_MATCH:.2f}{other})"


def match_voices(diarization: Diarization, voices: Sequence[tuple[str, np.ndarray]]) -> list[VoiceMatch]:
    """The found voices close enough to a known one, each found and known voice used once, best first.

    Measured on the real dev clips with CAM++: the two halves of one person's recording score 0.82–0.92, two
    people of different recordings 0.33–0.69. VOICE_MATCH sits between, nearer the people, since a sample recorded on
    another day sounds less like the episode than two halves of one recording do."""
    pairs = sorted(((float(embedding @ centroid), label, name)
                    for name, embedding in voices for label, centroid in diarization.voices.items()), reverse=True)
    matches: list[VoiceMatch] = []
    for similarity, label, name in pairs:
        if similarity >= VOICE_MATCH and all(label != m.label and name != m.name for m in matches):
            others = [s for s, other_label, other_name in pairs if other_name == name and other_label != label]
            matches.append(VoiceMatch(label, name, similarity, max(others, default=None)))
    return matches
