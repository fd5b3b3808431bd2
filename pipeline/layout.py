"""Where a show lives on disk (`Project`), and where every artefact lives: in build/<id>/ while building, and
under which key once published.

Stages never invent file names: they ask here, so the Makefile, the feed and the publisher agree.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # only named in annotations: the configuration imports Project from here
    from pipeline.config.episode import Episode


class Project:
    """Where a show lives on disk: config/, episodes/, build/ and the local publish folder."""

    def __init__(self, root: Path) -> None:
        self.root = Path(root).resolve()
        self.config_dir = self.root / "config"
        self.show_file = self.config_dir / "show.yaml"
        self.episodes_dir = self.root / "episodes"
        self.build_dir = self.root / "build"

    def episode_ids(self) -> list[str]:
        if not self.episodes_dir.is_dir():
            return []
        return sorted(
            p.name for p in self.episodes_dir.iterdir() if p.is_dir() and (p / "episode.yaml").is_file()
        )

    def relative(self, path: Path) -> Path:
        """A path as a creator would type it: relative to the project root when inside it."""
        try:
            return Path(path).resolve().relative_to(self.root)
        except ValueError:
            return Path(path)

    def resolve(self, relative: str) -> Path:
        path = Path(relative)
        return path if path.is_absolute() else self.root / path


@dataclass(frozen=True)
class EpisodePaths:
    """Files in build/<id>/. Public ones are listed in `public_files`."""

    build: Path
    slug: str

    # stage config slices: written only when their content changes, so Make rebuilds only what a change affects
    def config_slice(self, stage: str) -> Path:
        return self.build / "config" / f"{stage}.json"

    @property
    def asr_wav(self) -> Path:  # 16 kHz mono, for Whisper
        return self.build / "asr.wav"

    @property
    def tracks_json(self) -> Path:  # who speaks when, from a multitrack recording's tracks (none: an empty list)
        return self.build / "tracks.json"

    @property
    def produced_wav(self) -> Path:  # the whole recording denoised and levelled, before loudness: what the edit cuts
        return self.build / "produced.wav"

    @property
    def produced_json(self) -> Path:  # its loudness and peak
        return self.build / "produced.json"

    @property
    def heard_json(self) -> Path:  # the transcript in recording time, as the model heard it, with speaker turns
        return self.build / "heard.json"

    @property
    def heard_en_json(self) -> Path:  # Whisper's English translation of a non-English episode, as heard
        return self.build / "heard.en.json"

    @property
    def edit_json(self) -> Path:  # the edit: what was cut and inserted, and the time map
        return self.build / "edit.json"

    @property
    def edits_txt(self) -> Path:  # the edit for a person: every cut and insert, its reason and length
        return self.build / "edits.txt"

    @property
    def edit_otio(self) -> Path:  # the edit for a video editor (OpenTimelineIO)
        return self.build / "edit.otio"

    @property
    def edited_mp3(self) -> Path:  # the published sound, edited and loudness-normalised, untagged
        return self.build / "edited.mp3"

    @property
    def edited_m4a(self) -> Path:  # the same sound as AAC, for the videos to copy
        return self.build / "edited.m4a"

    @property
    def podcast_mp3(self) -> Path:  # the published MP3: tags, cover art, chapters
        return self.build / f"{self.slug}.mp3"

    @property
    def transcript_json(self) -> Path:
        return self.build / "transcript.json"

    @property
    def captions_vtt(self) -> Path:
        return self.build / "captions.vtt"

    @property
    def captions_en_vtt(self) -> Path:  # the English track of a non-English episode
        return self.build / "captions.en.vtt"

    @property
    def captions_srt(self) -> Path:
        return self.build / "captions.srt"

    @property
    def transcript_txt(self) -> Path:
        return self.build / "transcript.txt"

    @property
    def transcript_p20_json(self) -> Path:
        return self.build / "transcript.p20.json"

    @property
    def shownotes_md(self) -> Path:
        return self.build / "shownotes.md"

    @property
    def shownotes_html(self) -> Path:
        return self.build / "shownotes.html"

    @property
    def chapters_json(self) -> Path:
        return self.build / "chapters.json"

    def video_mp4(self, format_name: str = "landscape") -> Path:
        suffix = "" if format_name == "landscape" else f"-{format_name}"
        return self.build / f"{self.slug}{suffix}.mp4"

    @property
    def clips_json(self) -> Path:  # the clips picked, why, and their files (written last by the clips stage)
        return self.build / "clips.json"

    def clip_mp4(self, number: int, format_name: str, first: bool = True) -> Path:
        return self.build / "clips" / (f"{number}.mp4" if first else f"{number}-{format_name}.mp4")

    def clip_poster(self, number: int) -> Path:
        return self.build / "clips" / f"{number}.jpg"

    def clip_vtt(self, number: int) -> Path:
        return self.build / "clips" / f"{number}.vtt"

    def listed_clips(self) -> list[dict]:  # type: ignore[type-arg]
        """What clips.json lists (none before the clips stage ran): start, end, title, and files under build/<id>/."""
        import json

        if not self.clips_json.is_file():
            return []
        return list(json.loads(self.clips_json.read_text(encoding="utf-8")).get("clips", []))

    def clip_files(self) -> list[Path]:
        """The clips' videos, posters and captions."""
        return [self.build / name for clip in self.listed_clips()
                for name in (*clip["videos"].values(), clip["poster"], clip["captions"])]

    @property
    def video_vtt(self) -> Path:  # the WebVTT beside the MP4, for web players
        return self.build / f"{self.slug}.vtt"


def episode_paths(project: Project, episode: Episode) -> EpisodePaths:
    return EpisodePaths(build=project.build_dir / episode.id, slug=episode.slug)


# Published layout: keys relative to the target root, joined to PUBLIC_URL for every URL in the feeds.
FEED_KEY = "feed.xml"
VIDEO_FEED_KEY = "feed-video.xml"
INDEX_KEY = "index.html"
COVER_KEY_PREFIX = "cover"


def episode_prefix(episode: Episode) -> str:
    return f"episodes/{episode.key}/"


def page_key(episode: Episode) -> str:
    """The episode's web page."""
    return episode_prefix(episode) + INDEX_KEY


def public_key(episode: Episode, path: Path) -> str:
    """The key a build file of `episode` is published under (a clip's under clips/)."""
    return episode_prefix(episode) + (f"clips/{path.name}" if path.parent.name == "clips" else path.name)


def public_url(base: str, key: str) -> str:
    return base.rstrip("/") + "/" + key.lstrip("/")


def public_files(paths: EpisodePaths, video_formats: list[str]) -> list[Path]:
    """Every file of an episode that listeners and viewers may fetch. Nothing else is published."""
    files = [
        paths.podcast_mp3,
        paths.captions_vtt,
        paths.captions_en_vtt,
        paths.captions_srt,
        paths.transcript_txt,
        paths.transcript_p20_json,
        paths.transcript_json,
        paths.chapters_json,
        paths.shownotes_html,
        paths.video_vtt,
    ]
    files += [paths.video_mp4(name) for name in video_formats]
    files += [paths.clips_json, *paths.clip_files()]
    return files


# ---------------------------------------------------------------- show-level artefacts


def feed_path(project: Project) -> Path:
    return project.build_dir / FEED_KEY


def archive_key(page: int) -> str:
    """RFC 5005 archive page `page` of the audio feed (1: the oldest episodes)."""
    return f"feed-archive-{page}.xml"


def archive_paths(project: Project) -> list[Path]:
    """The archive pages built, in page order."""
    return sorted(project.build_dir.glob("feed-archive-*.xml"), key=lambda p: int(p.stem.rsplit("-", 1)[1]))


def video_feed_path(project: Project) -> Path:
    return project.build_dir / VIDEO_FEED_KEY


def site_dir(project: Project) -> Path:
    """build/site/ mirrors the published layout: build/site/<key> is published as <key>."""
    return project.build_dir / "site"


def cover_key(cover: Path) -> str:
    return f"{COVER_KEY_PREFIX}{cover.suffix.lower()}"


def published_episodes(project: Project, episodes: dict[str, Episode]) -> list[Episode]:
    """Non-draft episodes whose podcast MP3 has been built, newest first."""
    ready = [
        episode for episode in episodes.values()
        if not episode.config.draft and episode_paths(project, episode).podcast_mp3.is_file()
    ]
    return sorted(ready, key=lambda episode: (episode.date, episode.config.number or 0), reverse=True)


@dataclass(frozen=True)
class Publication:
    """Every file that goes public, with its key. Media first, pages and feeds last."""

    media: list[tuple[Path, str]]  # episode files and the cover: immutable, go up first
    pages: list[tuple[Path, str]]  # the site: goes up after the media
    feeds: list[tuple[Path, str]]  # feed.xml, feed-video.xml: go up last

    @property
    def all(self) -> list[tuple[Path, str]]:
        return [*self.media, *self.pages, *self.feeds]


def publication(project: Project, cover: Path, episodes: dict[str, Episode], video_formats: list[str]) -> Publication:
    media: list[tuple[Path, str]] = [(cover, cover_key(cover))]
    for episode in published_episodes(project, episodes):
        paths = episode_paths(project, episode)
        media += [(path, public_key(episode, path)) for path in public_files(paths, video_formats) if path.is_file()]
    site = site_dir(project)
    pages = sorted(
        ((path, path.relative_to(site).as_posix()) for path in site.rglob("*") if path.is_file()),
        key=lambda item: item[1],
    ) if site.is_dir() else []
    feeds = [(path, path.name) for path in (feed_path(project), video_feed_path(project), *archive_paths(project))
             if path.is_file()]
    return Publication(media=media, pages=pages, feeds=feeds)
