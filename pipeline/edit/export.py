"""The edit written out: edits.txt for a person (every cut and insert, why, how long, and the totals) and an
OpenTimelineIO timeline for a video editor (Resolve, Premiere): the recording's kept stretches and the inserted
files, one after another, on one track."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from pipeline.edit.plan import ADDED, Change, Plan, clock
from pipeline.formats.timemap import RECORDING


def edits_text(plan: Plan, recording_seconds: float, label: str) -> str:
    """edits.txt: one line per change in recording order (recording time → published time), then the totals."""
    time_map = plan.time_map
    lines = [f"Edit of {label}: recording {clock(recording_seconds)}, published {clock(time_map.duration)}", ""]
    for change in plan.changes:
        where = f"{clock(change.start)}" + (f"–{clock(change.end)}" if change.end > change.start else "")
        sign = "+" if change.kind in ADDED else "−"
        heard_at = f" (published at {clock(change.published)})" if change.published is not None else ""
        source = f" {change.source}:" if change.source else ""
        lines.append(f"{change.kind:<7} {where:<24} {sign}{change.length:7.3f} s {source} {change.reason}{heard_at}")
    removed, added = totals(plan.changes)
    lines += ["", f"Removed {removed:.3f} s; added {added:.3f} s."]
    return "\n".join(lines) + "\n"


def totals(changes: Sequence[Change]) -> tuple[float, float]:
    removed = sum(change.length for change in changes if change.kind not in ADDED)
    added = sum(change.length for change in changes if change.kind in ADDED)
    return removed, added


def otio_text(plan: Plan, recording: Path, sources: dict[str, Path], rate: float, name: str) -> str:
    """The edit as an OpenTimelineIO timeline (JSON) at `rate` (frames per second)."""
    import opentimelineio as otio

    def span(start: float, seconds: float) -> otio.opentime.TimeRange:
        return otio.opentime.TimeRange(otio.opentime.RationalTime(start * rate, rate),
                                       otio.opentime.RationalTime(seconds * rate, rate))

    track = otio.schema.Track(name="Edit", kind=otio.schema.TrackKind.Audio)
    for piece in plan.time_map.pieces:
        path = recording if piece.source == RECORDING else sources[piece.source]
        reference = otio.schema.ExternalReference(target_url=path.resolve().as_uri())
        track.append(otio.schema.Clip(name=path.name, media_reference=reference,
                                      source_range=span(piece.source_start, piece.duration)))
    timeline = otio.schema.Timeline(name=name, tracks=[track])
    return str(otio.adapters.write_to_string(timeline, "otio_json"))
