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
from pipeline.config.episode import Episode
from pipeline.config.show import ShowConfig
from pipeline.feed.guid import effective_podcast_guid
from pipeline.layout import EpisodePaths, Project

EDIT_AUDIO = ("intro", "outro", "max_pause")  # audio settings only the edit reads: changing them never denoises again


def _dump(value: Any) -> Any:
    return value.model_dump(mode="json") if hasattr(value, "model_dump") else value


def stage_slices(show: ShowConfig, episode: Episode) -> dict[str, dict[str, Any]]:
    ep = episode.config
    show_identity = {"title": show.title, "author": show.author, "cover": show.cover}
    return {
        "ingest": {"recording": _dump(ep.recording),
                   "audio": show.audio.overridden(ep.audio).model_dump(mode="json", exclude=set(EDIT_AUDIO)),
                   "soundtrack_kbps": show.video.audio_bitrate_kbps},
        "tags": {
            "show": show_identity,
            "episode": {"number": ep.number, "title": ep.title, "date": ep.date.isoformat(),
                        "description": ep.description, "slug": episode.slug},
        },
        "transcribe": {
            "language": episode.spoken_language(show.language),
            "transcription": _dump(show.transcription),
            "glossary": list(ep.glossary),
            "diarization": _dump(show.diarization),
            "voices": [_dump(voice) for voice in show.voices],
            "speakers": ep.speakers,
            "speaker_names": ep.speaker_names,
        },
        "edit": {
            "cuts": [_dump(cut) for cut in ep.cuts],
            "inserts": [_dump(insert) for insert in ep.inserts],
            "corrections": [_dump(correction) for correction in ep.corrections],
            "chapters": [_dump(chapter) for chapter in ep.chapters or []],  # an insert may be placed at one
            "audio": _dump(show.audio.overridden(ep.audio)),
            "captions": _dump(show.captions),
            "soundtrack_kbps": show.video.audio_bitrate_kbps,
            "title": ep.title,
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
            "writer": _dump(show.notes.writer),
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
    """What Make needs for one episode (build/<id>/episode.mk): the rules of its steps and of the show's, from
    pipeline.graph. The show's steps read this episode's files and those of every other episode built so far
    (its feed slice exists: check-config has run for it)."""
    from pipeline.graph import episode_steps, make_rules, published_files, show_steps

    steps = episode_steps(project, show, episode, paths)
    episode_files = list(published_files(steps, paths))
    for other in sorted(project.build_dir.glob("*/config/feed.json")):
        build = other.parent.parent
        if build != paths.build:  # what exists of it: make has no rule for another episode's files
            episode_files += [other, *(path for path in sorted(build.glob("*.mp3")) if path.name != "edited.mp3")]
    return make_rules(project, [*steps, *show_steps(project, show, episode_files, paths.config_slice("publish"))],
                      episode.id) + "\n"


def write_make_fragment(project: Project, paths: EpisodePaths, show: ShowConfig, episode: Episode) -> Path | None:
    path = paths.build / "episode.mk"
    return path if write_text_if_changed(path, make_fragment(project, paths, show, episode)) else None
