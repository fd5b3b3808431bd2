"""The web site: a show page and a page per episode, rendered from Jinja2 templates with autoescaping.

build/site/ mirrors the published layout. An episode page is published in the same folder as its media,
so it links to them by file name; the show page and the cover sit at the root.
"""

from __future__ import annotations

import json
import re
import shutil
from dataclasses import dataclass, field
from datetime import datetime
from functools import cache
from pathlib import Path

from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape
from markupsafe import Markup

from pipeline.atomic import write_text
from pipeline.config.episode import Episode
from pipeline.config.show import ShowConfig
from pipeline.errors import InputError
from pipeline.feed.collect import episode_language, notes_html
from pipeline.formats.chapters import marks_from_document
from pipeline.formats.languages import text_direction
from pipeline.formats.times import timestamp
from pipeline.formats.transcript import Transcript
from pipeline.layout import INDEX_KEY, Project, cover_key, episode_paths, episode_prefix, page_key, public_url, site_dir

TEMPLATES = Path(__file__).resolve().parent.parent / "templates" / "site"


@cache
def environment() -> Environment:
    return Environment(
        loader=FileSystemLoader(TEMPLATES),
        autoescape=select_autoescape(["html"], default_for_string=True),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )


def clock(seconds: float) -> str:
    """0:05, 12:34, 1:02:03: how a player shows a time."""
    return timestamp(seconds, "[H:]M:SS")


PAGE_SECTIONS = ("Chapters", "Transcript")  # the notes' own lists of these: the page has them as sections
NOTE_TIME = re.compile(r"\b(?:(\d{1,2}):)?(\d{1,2}):(\d{2})\b")


def page_notes(fragment: str) -> Markup:
    """The show notes as the episode page shows them: without the Chapters and Transcript lists the page has as
    its own sections, and every time in them ("mentioned at 02:38") a button that seeks the player."""
    from lxml import html as lxml_html

    if not fragment.strip():
        return Markup("")
    root = lxml_html.fragment_fromstring(fragment, create_parent="div")
    for heading in root.iter("h2"):
        if heading.text_content().strip() in PAGE_SECTIONS:
            following = heading.getnext()
            if following is not None and following.tag in ("ul", "ol"):
                following.drop_tree()
            heading.drop_tree()
    for element in list(root.iter()):
        inside_a_link = any(parent.tag in ("a", "button") for parent in element.iterancestors())
        if element.tag not in ("a", "button", "script", "style") and not inside_a_link:
            _seek_buttons(element)
    return Markup("".join(lxml_html.tostring(child, encoding="unicode") for child in root))


def _seek_button(match: re.Match[str]):  # type: ignore[no-untyped-def]
    from lxml import etree

    hours, minutes, seconds = (int(group or 0) for group in match.groups())
    button = etree.Element("button", type="button")
    button.attrib.update({"class": "seek", "data-seek": str(hours * 3600 + minutes * 60 + seconds),
                          "aria-label": f"Play from {match.group(0)}"})
    button.text = match.group(0)
    return button


def _split_times(text: str) -> tuple[str, list]:  # type: ignore[type-arg]
    """The text before the first time, and (button, text after it) for each time."""
    matches = list(NOTE_TIME.finditer(text))
    if not matches:
        return text, []
    ends = [following.start() for following in matches[1:]] + [len(text)]
    return text[:matches[0].start()], [(_seek_button(m), text[m.end():end]) for m, end in zip(matches, ends, strict=True)]


def _seek_buttons(element) -> None:  # type: ignore[no-untyped-def]
    """Times in `element`'s own text, and in the text after each of its children, become seek buttons."""
    def insert(at: int, pieces: list) -> None:  # type: ignore[type-arg]
        for offset, (button, tail) in enumerate(pieces):
            button.tail = tail
            element.insert(at + offset, button)

    if element.text:
        element.text, pieces = _split_times(element.text)
        insert(0, pieces)
    for child in list(element):
        if child.tail and child.tag != "button":
            child.tail, pieces = _split_times(child.tail)
            insert(element.index(child) + 1, pieces)


def date_text(date: datetime) -> str:
    return f"{date:%B} {date.day}, {date.year}"


@dataclass(frozen=True)
class ShowView:
    title: str
    author: str
    description: str
    website: str
    cover: str  # key of the cover, relative to the site root
    feed_url: str
    video_feed_url: str | None
    copyright: str | None


@dataclass(frozen=True)
class Download:
    label: str
    href: str


@dataclass(frozen=True)
class SegmentView:
    start: float
    end: float
    label: str
    text: str
    speaker: str | None = None  # shown at the start of the paragraph when the speaker changes


@dataclass(frozen=True)
class ChapterView:
    start: float
    label: str
    title: str
    url: str | None


@dataclass(frozen=True)
class ClipView:
    video: str  # relative to the episode page
    poster: str
    captions: str
    title: str
    label: str  # where it comes from in the episode


@dataclass(frozen=True)
class EpisodeView:
    label: str  # `#463`, `S2 E1`, `Trailer` or empty (EpisodeConfig.label)
    title: str
    description: str
    date_iso: str
    date_text: str
    duration: str
    href: str  # from the site root
    audio: str  # file names: the page sits beside its media
    video: str | None = None
    captions: str | None = None
    captions_label: str = "Captions"
    language: str = "en"
    direction: str = "ltr"
    english_captions: str | None = None  # the English track of an episode in another language
    notes_html: Markup = field(default_factory=Markup)
    segments: list[SegmentView] = field(default_factory=list)
    chapters: list[ChapterView] = field(default_factory=list)
    downloads: list[Download] = field(default_factory=list)
    clips: list[ClipView] = field(default_factory=list)


def render_show_page(show: ShowView, episodes: list[EpisodeView], language: str) -> str:
    return environment().get_template("index.html").render(show=show, episodes=episodes, language=language, root="")


def render_episode_page(show: ShowView, episode: EpisodeView, language: str) -> str:
    root = "../" * episode_prefix_depth(episode.href)
    return environment().get_template("episode.html").render(show=show, episode=episode, language=language, root=root)


def episode_prefix_depth(href: str) -> int:
    return href.count("/")


def transcript_segments(transcript: Transcript) -> list[SegmentView]:
    """Each segment with its time and, where the speaker changes, the speaker's name."""
    views, previous = [], None
    for s in transcript.segments:
        if s.text.strip():
            views.append(SegmentView(start=round(s.start, 2), end=round(s.end, 2), label=clock(s.start), text=s.text.strip(),
                                     speaker=s.speaker if s.speaker != previous else None))
            previous = s.speaker
    return views


def chapter_views(chapters_json: Path, duration: float) -> list[ChapterView]:
    """Podcasting 2.0 chapters JSON → the page's chapter list (skipping ones marked toc: false)."""
    try:
        marks = marks_from_document(json.loads(chapters_json.read_text(encoding="utf-8")), duration)
    except (OSError, ValueError, KeyError, TypeError, AttributeError) as exc:
        raise InputError(f"{chapters_json}: not a Podcasting 2.0 chapters file ({exc})",
                         hint="run the notes stage again") from exc
    return [ChapterView(start=mark.start, label=clock(mark.start), title=mark.title, url=mark.url) for mark in marks]


def clip_views(listed: list[dict]) -> list[ClipView]:  # type: ignore[type-arg]
    """The clips clips.json lists, with paths relative to the episode page (their files sit in clips/ beside it)."""
    views = []
    for clip in listed:
        video = Path(next(iter(clip["videos"].values()))).name
        views.append(ClipView(video=f"clips/{video}", poster=f"clips/{Path(clip['poster']).name}",
                              captions=f"clips/{Path(clip['captions']).name}", title=clip["title"],
                              label=f"{clock(clip['start'])}–{clock(clip['end'])}"))
    return views


def episode_view(project: Project, show: ShowConfig, episode: Episode, duration_seconds: float,
                 video_format: str | None) -> EpisodeView:
    paths = episode_paths(project, episode)
    config = episode.config
    video = paths.video_mp4(video_format) if video_format else None
    video = video if video is not None and video.is_file() else None
    captions = next((p for p in (paths.video_vtt, paths.captions_vtt) if p.is_file()), None)
    transcript = Transcript.load(paths.transcript_json) if paths.transcript_json.is_file() else None
    language = transcript.language if transcript is not None else episode_language(project, show, episode)
    downloads = [
        Download(label, path.name)
        for label, path in (
            ("MP3 audio", paths.podcast_mp3),
            ("MP4 video", video),
            ("Captions (WebVTT)", paths.captions_vtt),
            ("English captions (WebVTT)", paths.captions_en_vtt),
            ("Captions (SRT)", paths.captions_srt),
            ("Transcript (text)", paths.transcript_txt),
            ("Transcript (JSON)", paths.transcript_p20_json),
            ("Chapters (JSON)", paths.chapters_json),
        )
        if path is not None and path.is_file()
    ]
    return EpisodeView(
        label=config.label,
        title=config.title,
        description=config.description,
        date_iso=config.date.isoformat(),
        date_text=date_text(config.date),
        duration=clock(duration_seconds),
        href=page_key(episode),
        audio=paths.podcast_mp3.name,
        video=video.name if video else None,
        captions=captions.name if captions else None,
        captions_label=f"Captions ({language})",
        language=language,
        direction=text_direction(language),
        english_captions=paths.captions_en_vtt.name if paths.captions_en_vtt.is_file() else None,
        # The notes fragment is HTML the notes stage rendered from the creator's own Markdown.
        notes_html=page_notes(notes_html(project, episode)),
        segments=transcript_segments(transcript) if transcript else [],
        chapters=chapter_views(paths.chapters_json, duration_seconds) if paths.chapters_json.is_file() else [],
        downloads=downloads,
        clips=clip_views(paths.listed_clips()),
    )


def show_view(show: ShowConfig, cover: Path, feed_key: str, video_feed_key: str | None) -> ShowView:
    base = show.public_base
    return ShowView(
        title=show.title,
        author=show.author,
        description=show.description,
        website=show.website,
        cover=cover_key(cover),
        feed_url=public_url(base, feed_key),
        video_feed_url=public_url(base, video_feed_key) if video_feed_key else None,
        copyright=show.copyright,
    )


def build_site(project: Project, show: ShowConfig, cover: Path, episodes: list[Episode], durations: dict[str, float],
               feed_key: str, video_feed_key: str | None) -> list[Path]:
    """Write build/site/: index.html and episodes/<key>/index.html for each episode (newest first).

    Pages of episodes no longer published (drafts again, deleted) are removed, so they are not uploaded.
    """
    site = site_dir(project)
    language = show.language
    video_format = show.video.feed_format
    shown = show_view(show, cover, feed_key, video_feed_key)
    views = [episode_view(project, show, episode, durations[episode.id], video_format) for episode in episodes]
    written = [write_text(site / INDEX_KEY, render_show_page(shown, views, language))]
    for view in views:
        written.append(write_text(site / view.href, render_episode_page(shown, view, view.language)))
    keep = {site / episode_prefix(episode).rstrip("/") for episode in episodes}
    episodes_dir = site / "episodes"
    if episodes_dir.is_dir():
        for folder in episodes_dir.iterdir():
            if folder not in keep:
                shutil.rmtree(folder) if folder.is_dir() else folder.unlink()
    return written
