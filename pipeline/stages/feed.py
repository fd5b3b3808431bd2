"""Stage `feed`: build/feed.xml (MP3s), build/feed-video.xml (MP4s) and the web site in build/site/.

Every non-draft episode whose MP3 is built goes in, newest first, whichever episode was named: the feed
describes the whole show. The podcast:guid is assigned once and kept in show.yaml.
"""

from __future__ import annotations

import dataclasses
import functools
import logging
from pathlib import Path
from typing import TYPE_CHECKING

from pipeline.context import Context
from pipeline.layout import (
    FEED_KEY,
    VIDEO_FEED_KEY,
    archive_key,
    archive_paths,
    feed_path,
    public_url,
    published_episodes,
    site_dir,
    video_feed_path,
)

if TYPE_CHECKING:
    from pipeline.feed.builder import FeedChannel, FeedItem
    from pipeline.layout import Project

log = logging.getLogger(__name__)


def run(ctx: Context) -> list[Path]:
    from pipeline.atomic import write_bytes
    from pipeline.feed import ensure_podcast_guid, render_feed, video_feed_guid
    from pipeline.feed.collect import episode_item, show_channel
    from pipeline.site import build_site

    project, show, cover = ctx.project, ctx.show, ctx.cover
    podcast_guid = ensure_podcast_guid(project, show, public_url(show.public_base, FEED_KEY))
    episodes = published_episodes(project, ctx.episodes)
    if ctx.episode not in episodes:
        reason = "it is a draft" if ctx.episode.config.draft else "its MP3 is not built yet (run the ingest stage)"
        log.warning("episode %s is not in the feed: %s", ctx.episode.id, reason)
    if not episodes:
        log.warning("the feed has no episodes yet")

    audio_items = [
        episode_item(project, show, cover, episode, podcast_guid, ctx.paths_of(episode).podcast_mp3, "audio/mpeg")
        for episode in episodes
    ]
    written = write_audio_feeds(project, show_channel(show, cover, FEED_KEY, podcast_guid, items=audio_items),
                                audio_items, show.feed_page_size)

    video_format = show.video.feed_format
    videos = [(episode, ctx.paths_of(episode).video_mp4(video_format)) for episode in episodes] if video_format else []
    video_guid = video_feed_guid(podcast_guid)
    video_items = [episode_item(project, show, cover, episode, video_guid, mp4, "video/mp4")
                   for episode, mp4 in videos if mp4.is_file()]
    video_feed: str | None = None
    if video_items:
        channel = show_channel(show, cover, VIDEO_FEED_KEY, video_guid, medium="video", items=video_items)
        written.append(write_bytes(video_feed_path(project), render_feed(channel, video_items)))
        video_feed = VIDEO_FEED_KEY
    else:
        # No video yet: no empty video feed to publish (and none left over from an earlier build).
        video_feed_path(project).unlink(missing_ok=True)

    durations = {episode.id: item.duration_seconds for episode, item in zip(episodes, audio_items, strict=True)}
    written += build_site(project, show, cover, episodes, durations, FEED_KEY, video_feed)
    log.info("feed: %d episode(s), %d with video; site in %s", len(audio_items), len(video_items),
             project.relative(site_dir(project)))
    return written


def write_audio_feeds(project: Project, channel: FeedChannel, items: list[FeedItem], page_size: int | None) -> list[Path]:
    """feed.xml, and with `feed_page_size` its RFC 5005 archive pages; pages no longer needed are removed."""
    from pipeline.atomic import write_bytes
    from pipeline.feed import render_feed
    from pipeline.feed.builder import archive_pages, with_archive_links

    if not page_size or len(items) <= page_size:
        for stale in archive_paths(project):
            stale.unlink()
        return [write_bytes(feed_path(project), render_feed(channel, items))]
    current, pages = archive_pages(items, page_size)
    url = functools.partial(public_url, channel.feed_url.rsplit("/", 1)[0] + "/")
    written = [write_bytes(feed_path(project), with_archive_links(
        render_feed(channel, current), channel.feed_url, url(archive_key(len(pages))), None, archive=False))]
    for page, page_items in enumerate(pages, start=1):
        previous = url(archive_key(page - 1)) if page > 1 else None
        following = url(archive_key(page + 1)) if page < len(pages) else None  # the newest links rel=current only
        page_channel = dataclasses.replace(channel, feed_url=url(archive_key(page)))
        written.append(write_bytes(project.build_dir / archive_key(page), with_archive_links(
            render_feed(page_channel, page_items), channel.feed_url, previous, following, archive=True)))
    for stale in archive_paths(project)[len(pages):]:
        stale.unlink()
    return written
