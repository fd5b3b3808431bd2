"""Helpers shared by the test modules (which never import one another): small real build artefacts and shows,
an old show's feed for the importer, what the video stage reads, and configuration problems.

The stages that normally write the artefacts are tested elsewhere; here a tiny MP3 and MP4 come from
ffmpeg's lavfi sources, and the transcript, captions, chapters and notes are written by hand.
"""

from __future__ import annotations

import json
import shutil
from datetime import datetime, timedelta
from pathlib import Path

import pytest
import yaml

from pipeline.config.episode import Episode
from pipeline.config.load import load_project
from pipeline.errors import ConfigError
from pipeline.formats.timemap import TimeMap
from pipeline.formats.times import timestamp
from pipeline.formats.transcript import Segment, Transcript, Word
from pipeline.layout import EpisodePaths, Project, episode_paths, publication
from tests import media
from tests.conftest import EDIT_KEYS, REPO, make_context, without_denoiser, without_edit
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
        f"{i}\n{timestamp(start, 'HH:MM:SS.mmm')} --> {timestamp(end, 'HH:MM:SS.mmm')}\n{text.replace('&', '&amp;')}\n"
        for i, (text, start, end) in enumerate(SEGMENTS, 1)
    )
    paths.captions_vtt.write_text(vtt, encoding="utf-8")
    paths.captions_srt.write_text("\n".join(
        f"{i}\n{timestamp(start, 'HH:MM:SS,mmm')} --> {timestamp(end, 'HH:MM:SS,mmm')}\n{text}\n"
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
    nothing_edited(paths, seconds)
    if video:
        tone_with_video(paths.video_mp4("landscape"), seconds=seconds, width=320, height=180)
        paths.video_vtt.write_text(vtt, encoding="utf-8")
    return episode


def small_show(root: Path, episode_ids: tuple[str, ...] = ("463",), **episode_fields: object) -> Project:
    """config/ of the demo show and one or more tiny episodes, each with built artefacts."""
    project = Project(root)
    (root / "config" / "voices").mkdir(parents=True)
    for name in ("show.yaml", "cover.jpg", "voices/dana.mp3"):
        (root / "config" / name).write_bytes((REPO / "config" / name).read_bytes())
    without_denoiser(root / "config" / "show.yaml")
    without_edit(project)
    for index, episode_id in enumerate(episode_ids):
        source = yaml.safe_load((REPO / "episodes" / "463" / "episode.yaml").read_text(encoding="utf-8"))
        for key in EDIT_KEYS:
            source.pop(key, None)
        source.update(number=int(episode_id), date=(datetime(2026, 11, 23, 9) + timedelta(days=index)).isoformat() + "-08:00")
        source.update(episode_fields)
        write_episode_yaml(project, episode_id, **source)
        build_artefacts(project, episode_id)
    return project


def publish_to_folder(project: Project, target: Path) -> Path:
    """Copy every published file to its key, as the publish stage does for a folder target."""
    loaded = load_project(project, environ={})
    cover = project.resolve(loaded.show.cover)
    for path, key in publication(project, cover, loaded.episodes, [f.name for f in loaded.show.video.formats]).all:
        (target / key).parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(path, target / key)
    return target


def problems_of(project: Project) -> list[str]:
    with pytest.raises(ConfigError) as caught:
        load_project(project, environ={})
    return caught.value.problems


# ---------------------------------------------------------------- what ingest and transcribe leave for the video stage


def prepare_video(project: Project, words: list[Word], seconds: float = 4.0, formats: list[dict] | None = None) -> None:
    """Small formats in show.yaml, a short normalised audio and a transcript: what ingest and transcribe leave."""
    show_file = project.show_file
    show = yaml.safe_load(show_file.read_text())
    show["video"]["formats"] = formats or [{"name": "landscape", "width": 384, "height": 216}]
    show_file.write_text(yaml.safe_dump(show, allow_unicode=True))
    paths = episode_paths(project, make_context(project, "463").episode)
    paths.build.mkdir(parents=True, exist_ok=True)
    tone(paths.edited_mp3, seconds=seconds)
    tone(paths.edited_m4a, seconds=seconds)
    nothing_edited(paths, seconds)
    segments = (Segment(" ".join(w.text for w in words), words[0].start, words[-1].end, tuple(words)),) if words else ()
    Transcript(segments=segments, engine="test", model="none", language="en", duration=seconds,
               input_hash="test").save(paths.transcript_json)


def nothing_edited(paths: EpisodePaths, seconds: float) -> None:
    """The edit stage's edit.json for an episode with nothing to edit: the whole recording, published."""
    paths.edit_json.write_text(json.dumps({"pieces": TimeMap.identity(seconds).to_document()}), encoding="utf-8")


SPOKEN_TEXT = ["Does", "massage", "help", "restless", "legs", "?"]
SPOKEN = [Word(text, 0.4 + 0.3 * n, 0.4 + 0.3 * n + 0.25) for n, text in enumerate(SPOKEN_TEXT)]


# ---------------------------------------------------------------- an old show's feed, for the importer

HOSTILE_ITEM_TITLE = "<script>alert(1)</script>Ep: 'quotes' & \"more\"\x07 ../../etc/passwd {{ x }}"


def rss(items: list[str], extra: str = "") -> bytes:
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<rss version="2.0" xmlns:itunes="http://www.itunes.com/dtds/podcast-1.0.dtd"
     xmlns:podcast="https://podcastindex.org/namespace/1.0">
<channel><title>Old show</title><link>https://old.example/</link><description>An old show</description>
<podcast:guid>9b024349-ccf0-5f69-a609-6b82873eab3c</podcast:guid>{extra}
{''.join(items)}
</channel></rss>""".encode()


def item(guid: str, title: str, date: str, url: str, *, number: int | None = None, season: int | None = None,
         kind: str | None = None, extra: str = "") -> str:
    from xml.sax.saxutils import escape

    numbered = (f"<itunes:episode>{number}</itunes:episode>" if number is not None else "") + (
        f"<itunes:season>{season}</itunes:season>" if season is not None else "") + (
        f"<itunes:episodeType>{kind}</itunes:episodeType>" if kind else "")
    return (f"<item><title>{escape(title)}</title><guid isPermaLink=\"false\">{guid}</guid><pubDate>{date}</pubDate>"
            f"<description><![CDATA[<p>About <b>{guid}</b>.</p><p>Second paragraph.</p>]]></description>{numbered}"
            f"<enclosure url=\"{url}\" length=\"1000\" type=\"audio/mpeg\"/>{extra}</item>\n")


def old_show(folder: Path) -> tuple[Path, str]:
    """Recordings (real speech), a chapters file and a text file passing for audio; the feed written by the caller."""
    folder.mkdir()
    for name in ("one", "two", "three", "four"):
        media.ffmpeg("-i", Path(__file__).parent / "data" / "jfk.flac", "-t", "3", "-ac", "1", "-b:a", "32k",
                     folder / f"{name}.mp3")
    (folder / "fake.mp3").write_text("<html>not found, but served with status 200</html>")
    (folder / "chapters.json").write_text(json.dumps({"version": "1.2.0", "chapters": [
        {"startTime": 0, "title": "Cold open"}, {"startTime": 1.5, "title": "The question"}]}))
    return folder, "feed.xml"


def write_feed(folder: Path, base: str) -> Path:
    feed = folder / "feed.xml"
    feed.write_bytes(rss([
        item("old-1", "Pilot", "Mon, 02 Nov 2020 09:00:00 -0800", base + "one.mp3", number=1,
             extra=f'<podcast:chapters url="{base}chapters.json" type="application/json+chapters"/>'),
        item("old-2", HOSTILE_ITEM_TITLE, "Mon, 09 Nov 2020 09:00:00 -0800", base + "two.mp3"),
        item("old-gone", "Lost one", "Mon, 16 Nov 2020 09:00:00 -0800", base + "missing.mp3"),
        item("old-fake", "Fake one", "Mon, 23 Nov 2020 09:00:00 -0800", base + "fake.mp3"),
        item("old-5", "Fifth", "Mon, 30 Nov 2020 09:00:00 -0800", base + "three.mp3", number=5),
    ]))
    return feed
