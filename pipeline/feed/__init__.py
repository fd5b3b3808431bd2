"""RSS feeds: feedgen builders, the Podcasting 2.0 extension and the guid rules."""

from pipeline.feed.builder import Enclosure, FeedChannel, FeedItem, format_duration, render_feed
from pipeline.feed.guid import ensure_podcast_guid, item_guid, podcast_guid_for, video_feed_guid
from pipeline.feed.podcasting20 import PODCAST_NS, TranscriptTag

__all__ = [
    "PODCAST_NS",
    "Enclosure",
    "FeedChannel",
    "FeedItem",
    "TranscriptTag",
    "ensure_podcast_guid",
    "format_duration",
    "item_guid",
    "podcast_guid_for",
    "render_feed",
    "video_feed_guid",
]
