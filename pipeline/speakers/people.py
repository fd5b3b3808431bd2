"""The episode's people: who is listed in the configuration, and who a built transcript names as speakers.

Light on purpose: the notes and the feed read it, and a step's code is what it imports (pipeline.code_deps), so
nothing here may pull in the diarizer or the transcription engines.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from pipeline.config.vocab import Person


def episode_people(persons: Sequence[Person], speakers: Sequence[str]) -> list[Person]:
    """The episode's people: those listed in the configuration, then every other named speaker as a guest.
    "Speaker 2" and the like are not people to list."""
    listed = {person.name for person in persons}
    guests = [Person(name=name, role="guest") for name in speakers
              if name not in listed and not name.startswith("Speaker ")]
    return [*persons, *guests]


def transcript_speakers(transcript_json: Path) -> list[str]:
    """The named speakers of a built transcript, in order of appearance (none when it is not built)."""
    from pipeline.errors import InputError
    from pipeline.formats.transcript import Transcript

    if not transcript_json.is_file():
        return []
    try:
        return Transcript.load(transcript_json).speakers
    except InputError:
        return []
