"""Per-stage configuration slices, so Make rebuilds only what a configuration change affects.

`pipeline check-config EPISODE` validates everything, then writes build/<id>/config/<stage>.json
holding only the settings that stage reads. A file is rewritten only when its content changes, so
editing an episode's links touches notes.json and feed.json, not transcribe.json or video.json.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from pipeline.atomic import write_text_if_changed
from pipeline.config.episode import Episode
from pipeline.config.show import ShowConfig
from pipeline.feed.guid import effective_podcast_guid
from pipeline.layout import EpisodePaths, Project


def _dump(value: Any) -> Any:
    return value.model_dump(mode="json") if hasattr(value, "model_dump") else value


def stage_slices(show: ShowConfig, episode: Episode) -> dict[str, dict[str, Any]]:
    ep = episode.config
    show_identity = {"title": show.title, "author": show.author, "cover": show.cover}
    return {
        "ingest": {"recording": _dump(ep.recording), "audio": _dump(show.audio),
                   "soundtrack_kbps": show.video.audio_bitrate_kbps},
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
            "episode": ep.model_dump(mode="json", exclude={"recording", "draft", "episode_type", "season", "season_name"}),
        },
        "video": {
            "show": show_identity,
            "title": ep.title,
            "number": ep.number,
            "video": _dump(show.video),
            "slug": episode.slug,
        },
        "clips": {
            "show": show_identity,
            "number": ep.number,
            "title": ep.title,
            "clips": _dump(show.clips),
            "choices": [_dump(choice) for choice in ep.clips],
            "video": {key: value for key, value in _dump(show.video).items() if key != "formats"},
        },
        "feed": {
            "show": show.model_dump(mode="json", exclude={"transcription", "captions", "video", "clips", "audio", "s3",
                                                          "publish_target"})
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


def make_fragment(project: Project, paths: EpisodePaths, show: ShowConfig, episode: Episode) -> str:
    """What Make needs for one episode (build/<id>/episode.mk): the rules of its steps, from pipeline.graph,
    and the file names the show-level rules (feed, publish) use."""
    from pipeline.graph import episode_steps, make_path, make_rules

    steps = episode_steps(project, show, episode, paths)
    by_name = {step.name: step for step in steps}

    def files(paths_: Sequence[Path]) -> str:
        return " ".join(make_path(project, path) for path in paths_)

    return "\n".join([
        make_rules(project, steps, episode.id),
        f"COVER := {files([project.resolve(show.cover)])}",
        f"MP3 := {files(by_name['tags'].writes)}",
        f"VIDEOS := {files(by_name['video'].writes[:-1])}",
        f"VIDEO_VTT := {files(by_name['video'].writes[-1:])}",
        "",
    ])


def write_make_fragment(project: Project, paths: EpisodePaths, show: ShowConfig, episode: Episode) -> Path | None:
    path = paths.build / "episode.mk"
    return path if write_text_if_changed(path, make_fragment(project, paths, show, episode)) else None
