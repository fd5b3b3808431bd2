"""Gather what a feed says about a project: URLs, sizes, durations and guids, from the built files."""

from __future__ import annotations

import functools
import html
import json
from pathlib import Path

from pipeline.config.episode import Episode, EpisodeConfig
from pipeline.config.show import ShowConfig
from pipeline.config.vocab import Soundbite
from pipeline.edit.document import load_time_map, published_times
from pipeline.feed.builder import Enclosure, FeedChannel, FeedItem
from pipeline.feed.guid import item_guid
from pipeline.feed.podcasting20 import AlternateEnclosureTag, ChannelTags, ItemTags, TrailerTag, TranscriptTag
from pipeline.formats.chapters import ChapterMark, marks_from_document
from pipeline.formats.languages import AUTO
from pipeline.layout import Project, cover_key, episode_paths, page_key, public_key, public_url
from pipeline.notes.sentences import format_time
from pipeline.speakers.people import episode_people, transcript_speakers
from pipeline.tools.media import MediaInfo

DESCRIPTION_LIMIT = 4000  # characters: Apple Podcasts cuts <description> beyond this


def channel_tags(show: ShowConfig, trailers: list[TrailerTag]) -> ChannelTags:
    return ChannelTags(
        license=show.license,
        txt=show.txt,
        update_frequency=show.update_frequency,
        podroll=show.podroll,
        location=show.location,
        chat=show.chat,
        trailers=trailers,
        hub=show.notify.websub_hub,
    )


def trailer_tags(items: list[FeedItem]) -> list[TrailerTag]:
    """podcast:trailer for every trailer episode in the feed, with its enclosure."""
    return [TrailerTag(item.title, item.enclosure.url, item.published, item.enclosure.length, item.enclosure.type,
                       item.season)
            for item in items if item.episode_type == "trailer"]


def show_channel(show: ShowConfig, cover: Path, feed_key: str, podcast_guid: str, medium: str = "podcast",
                 items: list[FeedItem] | None = None) -> FeedChannel:
    base = show.public_base
    locked = show.locked
    return FeedChannel(
        title=show.title if medium == "podcast" else f"{show.title} (video)",
        description=show.description,
        link=show.website,
        feed_url=public_url(base, feed_key),
        language=show.language,
        image_url=public_url(base, cover_key(cover)),
        categories=show.categories,
        author=show.author,
        owner=show.owner,
        explicit=show.explicit,
        podcast_guid=podcast_guid,
        medium=medium,
        copyright=show.copyright,
        locked=locked.locked if locked else None,
        locked_owner=(locked.owner or show.owner.email) if locked else None,
        persons=show.persons,
        funding=show.funding,
        tags=channel_tags(show, trailer_tags(items or [])),
    )


def notes_html(project: Project, episode: Episode) -> str:
    """The show-notes fragment from the notes stage, or the episode's description as a paragraph."""
    notes = episode_paths(project, episode).shownotes_html
    if notes.is_file():
        text = notes.read_text(encoding="utf-8").strip()
        if text:
            return text
    return f"<p>{html.escape(episode.config.description)}</p>"


def chapter_marks(chapters_json: Path, duration: float) -> list[ChapterMark]:
    if not chapters_json.is_file():
        return []
    document = json.loads(chapters_json.read_text(encoding="utf-8"))
    return marks_from_document(document, duration)


def short_description(text: str, chapters: list[ChapterMark], limit: int = DESCRIPTION_LIMIT) -> str:
    """<description>: the episode's summary, then one chapter per line starting with its time (Spotify, YouTube
    and several apps make those links), within Apple's limit: the summary is shortened, never the chapters."""
    lines = "<br>\n".join(f"{format_time(mark.start)} {html.escape(mark.title)}" for mark in chapters)
    chapters_html = f"\n<p>{lines}</p>" if lines else ""
    room = limit - len(chapters_html) - len("<p></p>")
    words = text.split()
    summary = html.escape(" ".join(words))
    while words and len(summary) > room:
        words.pop()
        summary = html.escape(" ".join(words)) + "…"
    return f"<p>{summary}</p>{chapters_html}"


@functools.lru_cache(maxsize=4096)
def _probed(path: Path, _mtime_ns: int, _size: int) -> MediaInfo:
    from pipeline.tools.media import probe

    return probe(path)


def media_info(path: Path) -> MediaInfo:
    """A built file's duration and picture, probed once per content (the audio feed, the video feed and the site ask)."""
    stat = path.stat()
    return _probed(path, stat.st_mtime_ns, stat.st_size)


def media_duration(path: Path) -> float:
    return media_info(path).duration


def alternate_enclosures(project: Project, show: ShowConfig, episode: Episode) -> list[AlternateEnclosureTag]:
    """The MP3 (the default) and every built MP4, so Podcasting 2.0 apps offer the video in the same episode."""
    paths = episode_paths(project, episode)
    base = show.public_base
    found = []
    candidates = [(paths.podcast_mp3, "audio/mpeg"), *((paths.video_mp4(video.name), "video/mp4")
                                                      for video in show.video.formats)]
    for path, kind in candidates:
        if not path.is_file():
            continue
        size, info = path.stat().st_size, media_info(path)
        height = info.height if info.has_video else None
        title = f"Video ({info.width}×{info.height})" if info.has_video else "Audio"
        found.append(AlternateEnclosureTag(kind, size, (public_url(base, public_key(episode, path)),),
                                           bitrate=round(size * 8 / info.duration) if info.duration else None,
                                           height=height, title=title, default=kind == "audio/mpeg"))
    return found


def clip_soundbites(listed: list[dict]) -> list[Soundbite]:  # type: ignore[type-arg]
    """The clips the clips stage picked, as podcast:soundbite. clips.json is the clips stage's own output, so it is
    taken as it is (model_construct, no validation): a clip pinned by a long quote may run past the 300 s that
    episode.yaml's soundbites are held to, and the feed lists it all the same."""
    return [Soundbite.model_construct(start=float(clip["start"]), duration=round(float(clip["end"]) - float(clip["start"]), 3),
                                      title=clip["title"][:128])
            for clip in listed]


def published_soundbites(soundbites: list[Soundbite], edit_json: Path) -> list[Soundbite]:
    """episode.yaml's soundbites (recording times) where they are heard; as given for an episode built before the
    edit step existed (no edit.json)."""
    if not soundbites or not edit_json.is_file():
        return soundbites
    return published_times(soundbites, load_time_map(edit_json), "start")


def item_tags(project: Project, show: ShowConfig, episode: Episode, chapters: list[ChapterMark]) -> ItemTags:
    config = episode.config
    differs = config.license is not None and config.license != show.license
    return ItemTags(
        season=config.season,
        season_name=config.season_name,
        episode=config.number,
        license=config.license if differs else None,
        location=config.location,
        social_interact=config.social_interact,
        soundbites=[*published_soundbites(config.soundbites, episode_paths(project, episode).edit_json),
                    *clip_soundbites(episode_paths(project, episode).listed_clips())],
        alternate_enclosures=alternate_enclosures(project, show, episode),
        chapters=chapters,
    )


def episode_guid(config: EpisodeConfig, podcast_guid: str) -> str:
    """An imported episode's old guid, verbatim; else one made from the show and the number."""
    if config.guid is not None:
        return config.guid
    assert config.number is not None, "EpisodeConfig wants a number or a guid"
    return item_guid(podcast_guid, config.number)


def episode_language(project: Project, show: ShowConfig, episode: Episode) -> str:
    """The language an episode is spoken in, as a tag for feeds and pages: its `language`, else the show's; for
    `auto`, what transcription found (the show's until then)."""
    setting = episode.config.language or show.language
    if setting != AUTO:
        return setting
    path = episode_paths(project, episode).transcript_json
    if path.is_file():
        return str(json.loads(path.read_text(encoding="utf-8")).get("language") or show.language)
    return show.language


def episode_item(project: Project, show: ShowConfig, cover: Path, episode: Episode, podcast_guid: str,
                 media: Path, media_type: str) -> FeedItem:
    """One feed item whose enclosure is `media` (the MP3, or an MP4 for the video feed)."""
    base = show.public_base
    paths = episode_paths(project, episode)
    language = episode_language(project, show, episode)
    transcripts = [
        TranscriptTag(url=public_url(base, public_key(episode, path)), type=kind, language=language, rel=rel)
        for path, kind, rel in (
            (paths.captions_vtt, "text/vtt", "captions"),
            (paths.captions_srt, "application/x-subrip", None),
            (paths.transcript_p20_json, "application/json", None),
        )
        if path.is_file()
    ]
    if paths.captions_en_vtt.is_file():  # the English track of an episode in another language
        transcripts.append(TranscriptTag(url=public_url(base, public_key(episode, paths.captions_en_vtt)), type="text/vtt",
                                         language="en", rel="captions"))
    config = episode.config
    duration = media_duration(media)
    chapters = chapter_marks(paths.chapters_json, duration)
    return FeedItem(
        title=config.title,
        description_html=short_description(config.summary or config.description, chapters),
        content_html=notes_html(project, episode),
        published=config.date,
        guid=episode_guid(config, podcast_guid),
        enclosure=Enclosure(url=public_url(base, public_key(episode, media)), length=media.stat().st_size, type=media_type),
        duration_seconds=duration,
        number=config.number,
        page_url=public_url(base, page_key(episode)),
        image_url=public_url(base, cover_key(cover)),
        episode_type=config.episode_type,
        season=config.season,
        explicit=config.explicit,
        transcripts=transcripts,
        chapters_url=public_url(base, public_key(episode, paths.chapters_json)) if paths.chapters_json.is_file() else None,
        persons=episode_people(config.persons or show.persons, transcript_speakers(paths.transcript_json)),
        tags=item_tags(project, show, episode, chapters),
    )
