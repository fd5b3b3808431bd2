"""Gather what a feed says about a project: URLs, sizes, durations and guids, from the built files."""

from __future__ import annotations

import html
from pathlib import Path

from pipeline.config import Episode, Person, Project, ShowConfig
from pipeline.feed.builder import Enclosure, FeedChannel, FeedItem
from pipeline.feed.guid import item_guid
from pipeline.feed.podcasting20 import FundingTag, PersonTag, TranscriptTag
from pipeline.layout import cover_key, episode_paths, page_key, public_key, public_url
from pipeline.speakers import episode_people, transcript_speakers


def person_tags(persons: list[Person]) -> list[PersonTag]:
    return [PersonTag(name=p.name, role=p.role, group=p.group, img=p.img, href=p.href) for p in persons]


def show_channel(show: ShowConfig, cover: Path, feed_key: str, podcast_guid: str, medium: str = "podcast") -> FeedChannel:
    base = show.public_base
    locked = show.locked
    return FeedChannel(
        title=show.title if medium == "podcast" else f"{show.title} (video)",
        description=show.description,
        link=show.website,
        feed_url=public_url(base, feed_key),
        language=show.language,
        image_url=public_url(base, cover_key(cover)),
        categories=[(c.category, c.subcategory) for c in show.categories],
        author=show.author,
        owner_name=show.owner.name,
        owner_email=show.owner.email,
        explicit=show.explicit,
        podcast_guid=podcast_guid,
        medium=medium,
        copyright=show.copyright,
        locked=locked.locked if locked else None,
        locked_owner=(locked.owner or show.owner.email) if locked else None,
        persons=person_tags(show.persons),
        funding=[FundingTag(url=f.url, text=f.text) for f in show.funding],
    )


def description_html(project: Project, episode: Episode) -> str:
    """The show-notes fragment from the notes stage, or the episode's description as a paragraph."""
    notes = episode_paths(project, episode).shownotes_html
    if notes.is_file():
        text = notes.read_text(encoding="utf-8").strip()
        if text:
            return text
    return f"<p>{html.escape(episode.config.description)}</p>"


def episode_item(project: Project, show: ShowConfig, cover: Path, episode: Episode, podcast_guid: str,
                 media: Path, media_type: str) -> FeedItem:
    """One feed item whose enclosure is `media` (the MP3, or an MP4 for the video feed)."""
    from pipeline.tools.media import probe

    base = show.public_base
    paths = episode_paths(project, episode)
    language = show.transcription.language
    transcripts = [
        TranscriptTag(url=public_url(base, public_key(episode, path)), type=kind, language=language, rel=rel)
        for path, kind, rel in (
            (paths.captions_vtt, "text/vtt", "captions"),
            (paths.captions_srt, "application/x-subrip", None),
            (paths.transcript_p20_json, "application/json", None),
        )
        if path.is_file()
    ]
    chapters = paths.chapters_json
    config = episode.config
    return FeedItem(
        title=config.title,
        description_html=description_html(project, episode),
        published=config.date,
        guid=config.guid or item_guid(podcast_guid, config.number),
        enclosure=Enclosure(url=public_url(base, public_key(episode, media)), length=media.stat().st_size, type=media_type),
        duration_seconds=probe(media).duration,
        number=config.number,
        page_url=public_url(base, page_key(episode)),
        image_url=public_url(base, cover_key(cover)),
        episode_type=config.episode_type,
        season=config.season,
        explicit=config.explicit,
        transcripts=transcripts,
        chapters_url=public_url(base, public_key(episode, chapters)) if chapters.is_file() else None,
        persons=person_tags(episode_people(config.persons or show.persons, transcript_speakers(paths.transcript_json))),
    )
