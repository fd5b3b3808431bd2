"""edit.json as the later steps read it: the time map of the edit (every published time comes through it), and
the times episode.yaml gives in the recording (chapters, pinned clips, soundbites) carried to published time."""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import TypeVar

from pydantic import BaseModel

from pipeline.formats.timemap import TimeMap

Timed = TypeVar("Timed", bound=BaseModel)


def load_time_map(edit_json: Path) -> TimeMap:
    from pipeline.errors import InputError

    try:
        return TimeMap.from_document(json.loads(edit_json.read_text(encoding="utf-8"))["pieces"])
    except FileNotFoundError as exc:
        raise InputError(f"{edit_json}: not made yet", hint="run the edit stage first") from exc
    except (KeyError, TypeError, ValueError) as exc:
        raise InputError(f"{edit_json}: not readable ({exc})", hint="run the edit stage again") from exc


def published_times(items: Sequence[Timed], time_map: TimeMap, *fields: str) -> list[Timed]:
    """`items` (chapters, clip pins, soundbites) with their `fields` (recording times; None stays None) moved to
    where they are heard; a time that was cut moves to where the sound after the cut is heard."""
    moved = []
    for item in items:
        changes = {name: round(time_map.published_from(value), 3) for name in fields
                   if (value := getattr(item, name)) is not None}
        moved.append(item.model_copy(update=changes))
    return moved
