"""Stage `feed`: build/feed.xml (MP3s), build/feed-video.xml (MP4s) and the web site in build/site/.

Every non-draft episode whose MP3 is built goes in, newest first, whichever episode was named: the feed
describes the whole show. The podcast:guid is assigned once and kept in show.yaml.
"""

from __future__ import annotations

import logging
from pathlib import Path

from pipeline.context import Context
from pipeline.layout import FEED_KEY, VIDEO_FEED_KEY, feed_path, public_url, published_episodes, site_dir, video_feed_path

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
    written = [write_bytes(feed_path(project), render_feed(show_channel(show, cover, FEED_KEY, podcast_guid), audio_items))]

    video_format = show.video.feed_format
    videos = [(episode, ctx.paths_of(episode).video_mp4(video_format)) for episode in episodes] if video_format else []
    video_guid = video_feed_guid(podcast_guid)
    video_items = [episode_item(project, show, cover, episode, video_guid, mp4, "video/mp4")
                   for episode, mp4 in videos if mp4.is_file()]
    video_feed: str | None = None
    if video_items:
        channel = show_channel(show, cover, VIDEO_FEED_KEY, video_guid, medium="video")
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
