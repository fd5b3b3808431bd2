"""Small real build artefacts for feed, validate and site tests (no tests here).

The stages that normally write these are tested elsewhere; here a tiny MP3 and MP4 come from
ffmpeg's lavfi sources, and the transcript, captions, chapters and notes are written by hand.
"""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from pathlib import Path

import yaml

from pipeline.config import Episode, Project, load_project
from pipeline.formats.transcript import Segment, Transcript, Word
from pipeline.layout import episode_paths
from pipeline.video.subtitles import vtt_timestamp
from tests.media import tone, tone_with_video

NOTES_HTML = (
    '<p>Fish &amp; chips, <em>2 &lt; 3 &gt; 1</em>, café crème, naïve 日本語.</p>\n'
    '<ul><li><a href="https://example.com/?a=1&amp;b=2">A link with a query</a></li></ul>\n'
)

SEGMENTS = (
    ("Welcome to the show, fish & chips.", 0.0, 1.2),
    ("Here is the middle part.", 1.2, 2.4),
    ("And here is the end, café.", 2.4, 3.6),
)


def write_episode_yaml(project: Project, episode_id: str, **fields: object) -> None:
    """A new episode folder (or changed fields of an existing one), with a short tone as its recording."""
    folder = project.episodes_dir / episode_id
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "episode.yaml"
    data = yaml.safe_load(path.read_text(encoding="utf-8")) if path.is_file() else {
        "number": int(episode_id) if episode_id.isdigit() else 1,
        "title": f"Episode {episode_id}",
        "date": "2026-12-01T09:00:00-08:00",
        "recording": "recording.mp3",
        "description": f"Description of episode {episode_id}.",
    }
    data.update(fields)
    if not (folder / str(data["recording"])).is_file():
        tone(folder / str(data["recording"]), seconds=1.0)
    path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")


def episode_of(project: Project, episode_id: str) -> Episode:
    return load_project(project, environ={}).episodes[episode_id]


def build_artefacts(project: Project, episode_id: str, *, video: bool = True, seconds: float = 3.6) -> Episode:
    """What ingest, transcribe, notes and video would leave in build/<id>/, in miniature."""
    episode = episode_of(project, episode_id)
    paths = episode_paths(project, episode)
    paths.build.mkdir(parents=True, exist_ok=True)
    tone(paths.podcast_mp3, seconds=seconds)
    segments = tuple(
        Segment(text=text, start=start, end=end,
                words=tuple(Word(text=w, start=start, end=end) for w in text.split()))
        for text, start, end in SEGMENTS
    )
    Transcript(segments=segments, engine="hand-made", model="none", language="en", duration=seconds,
               input_hash="test").save(paths.transcript_json)
    vtt = "WEBVTT\n\n" + "\n".join(
        f"{i}\n{vtt_timestamp(start)} --> {vtt_timestamp(end)}\n{text.replace('&', '&amp;')}\n"
        for i, (text, start, end) in enumerate(SEGMENTS, 1)
    )
    paths.captions_vtt.write_text(vtt, encoding="utf-8")
    paths.captions_srt.write_text("\n".join(
        f"{i}\n{vtt_timestamp(start).replace('.', ',')} --> {vtt_timestamp(end).replace('.', ',')}\n{text}\n"
        for i, (text, start, end) in enumerate(SEGMENTS, 1)
    ), encoding="utf-8")
    paths.transcript_txt.write_text(" ".join(text for text, _, _ in SEGMENTS) + "\n", encoding="utf-8")
    paths.transcript_p20_json.write_text(json.dumps({"version": "1.0.0", "segments": [
        {"speaker": "Host", "startTime": start, "endTime": end, "body": text} for text, start, end in SEGMENTS
    ]}), encoding="utf-8")
    paths.chapters_json.write_text(json.dumps({"version": "1.2.0", "chapters": [
        {"startTime": 0, "title": "Welcome"},
        {"startTime": 2.4, "title": "The end & after", "url": "https://example.com/end"},
    ]}), encoding="utf-8")
    paths.shownotes_html.write_text(NOTES_HTML, encoding="utf-8")
    if video:
        tone_with_video(paths.video_mp4("landscape"), seconds=seconds, width=320, height=180)
        paths.video_vtt.write_text(vtt, encoding="utf-8")
    return episode


def small_show(root: Path, episode_ids: tuple[str, ...] = ("463",), **episode_fields: object) -> Project:
    """config/ of the demo show and one or more tiny episodes, each with built artefacts."""
    from tests.conftest import REPO

    project = Project(root)
    (root / "config" / "voices").mkdir(parents=True)
    for name in ("show.yaml", "cover.jpg", "voices/dana.mp3"):
        (root / "config" / name).write_bytes((REPO / "config" / name).read_bytes())
    for index, episode_id in enumerate(episode_ids):
        source = yaml.safe_load((REPO / "episodes" / "463" / "episode.yaml").read_text(encoding="utf-8"))
        source.update(number=int(episode_id), date=(datetime(2026, 11, 23, 9) + timedelta(days=index)).isoformat() + "-08:00")
        source.update(episode_fields)
        write_episode_yaml(project, episode_id, **source)
        build_artefacts(project, episode_id)
    return project
