"""Per-stage configuration slices, so Make rebuilds only what a configuration change affects.

`pipeline check-config EPISODE` validates everything, then writes build/<id>/config/<stage>.json
holding only the settings that stage reads. A file is rewritten only when its content changes, so
editing an episode's links touches notes.json and feed.json, not transcribe.json or video.json.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from pipeline.atomic import write_text_if_changed
from pipeline.config import Episode, Project, ShowConfig
from pipeline.feed.guid import effective_podcast_guid
from pipeline.layout import EpisodePaths


def _dump(value: Any) -> Any:
    return value.model_dump(mode="json") if hasattr(value, "model_dump") else value


def stage_slices(show: ShowConfig, episode: Episode) -> dict[str, dict[str, Any]]:
    ep = episode.config
    show_identity = {"title": show.title, "author": show.author, "cover": show.cover}
    return {
        "ingest": {"recording": _dump(ep.recording), "audio": _dump(show.audio)},
        "tags": {
            "show": show_identity,
            "episode": {"number": ep.number, "title": ep.title, "date": ep.date.isoformat(),
                        "description": ep.description, "slug": episode.slug},
        },
        "transcribe": {
            "transcription": _dump(show.transcription),
            "glossary": list(ep.glossary),
            "captions": _dump(show.captions),
            "diarization": _dump(show.diarization),
            "voices": [_dump(voice) for voice in show.voices],
            "speakers": ep.speakers,
            "speaker_names": ep.speaker_names,
        },
        "notes": {
            "show": {**show_identity, "public_url": show.public_url, "website": show.website},
            "notes": _dump(show.notes),
            "persons": [_dump(person) for person in show.persons],
            "episode": ep.model_dump(mode="json", exclude={"recording", "draft", "episode_type", "season"}),
        },
        "video": {
            "show": show_identity,
            "title": ep.title,
            "number": ep.number,
            "video": _dump(show.video),
            "slug": episode.slug,
        },
        "feed": {
            "show": show.model_dump(mode="json", exclude={"transcription", "captions", "video", "audio", "s3", "publish_target"})
            # The guid the feed will carry, so that the feed stage appending it to show.yaml changes nothing here.
            | {"podcast_guid": effective_podcast_guid(show)},
            "episode": ep.model_dump(mode="json"),
        },
        "publish": {"publish_target": show.publish_target, "s3": _dump(show.s3), "public_url": show.public_url},
    }


def write_slices(paths: EpisodePaths, show: ShowConfig, episode: Episode) -> list[Path]:
    """Write every slice that changed; return the paths written."""
    written = []
    for stage, data in stage_slices(show, episode).items():
        path = paths.config_slice(stage)
        if write_text_if_changed(path, json.dumps(data, indent=2, sort_keys=True, ensure_ascii=False) + "\n"):
            written.append(path)
    return written


def _make_escape(path: Path | str) -> str:
    return str(path).replace("\\", "\\\\").replace(" ", "\\ ").replace("$", "$$").replace("#", "\\#")


def make_variables(project: Project, paths: EpisodePaths, show: ShowConfig, episode: Episode) -> str:
    """The file names Make needs for one episode, as a makefile fragment (build/<id>/paths.mk)."""

    def rel(path: Path) -> str:
        return _make_escape(project.relative(path))

    videos = " ".join(rel(paths.video_mp4(f.name)) for f in show.video.formats)
    return "\n".join([
        "# Written by `pipeline check-config`; do not edit.",
        f"RECORDING := {' '.join(rel(path) for path in episode.recordings)}",
        f"VOICES := {' '.join(rel(project.resolve(voice.sample)) for voice in show.voices)}",
        f"COVER := {rel(project.resolve(show.cover))}",
        f"MP3 := {rel(paths.podcast_mp3)}",
        f"VIDEOS := {videos}",
        f"VIDEO_VTT := {rel(paths.video_vtt)}",
        "",
    ])


def write_make_variables(project: Project, paths: EpisodePaths, show: ShowConfig, episode: Episode) -> Path | None:
    path = paths.build / "paths.mk"
    return path if write_text_if_changed(path, make_variables(project, paths, show, episode)) else None
