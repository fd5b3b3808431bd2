"""Identifiers that never change: the show's podcast:guid and every item's guid.

podcast:guid follows the Podcasting 2.0 rule: UUIDv5 of the feed URL without its scheme and trailing
slashes. It is computed once and then kept in show.yaml, so moving the feed keeps the show's identity.
Item guids derive from the podcast guid and the episode number: never from a URL or a date, which change.
"""

from __future__ import annotations

import logging
import re
import uuid

from pipeline.config.show import ShowConfig
from pipeline.layout import FEED_KEY, Project, public_url

log = logging.getLogger(__name__)

PODCAST_NAMESPACE = uuid.UUID("ead4c236-bf58-58c6-a2c6-a6b28d128cb6")


def podcast_guid_for(feed_url: str) -> str:
    """The spec's rule: `https://podnews.net/rss/` → uuid5(namespace, "podnews.net/rss")."""
    without_scheme = re.sub(r"^[A-Za-z][A-Za-z0-9+.-]*://", "", feed_url.strip())
    return str(uuid.uuid5(PODCAST_NAMESPACE, without_scheme.rstrip("/")))


def effective_podcast_guid(show: ShowConfig) -> str:
    """The guid the feed carries: the one kept in show.yaml, else the one the feed stage will assign."""
    return show.podcast_guid or podcast_guid_for(public_url(show.public_base, FEED_KEY))


def item_guid(podcast_guid: str, episode_number: int) -> str:
    """Stable per episode: the same show and number always give the same guid."""
    return str(uuid.uuid5(uuid.UUID(podcast_guid), f"episode/{episode_number}"))


def video_feed_guid(podcast_guid: str) -> str:
    """The video feed is a second show; derived from the kept guid so it survives a move as well."""
    return str(uuid.uuid5(uuid.UUID(podcast_guid), "feed-video"))


def ensure_podcast_guid(project: Project, show: ShowConfig, feed_url: str) -> str:
    """The guid from show.yaml; when absent, compute it and append it to show.yaml (never rewriting the file)."""
    if show.podcast_guid:
        return show.podcast_guid
    guid = podcast_guid_for(feed_url)
    show_file = project.show_file
    text = show_file.read_text(encoding="utf-8")
    if re.search(r"^podcast_guid\s*:", text, flags=re.MULTILINE):
        # An empty `podcast_guid:` key is there already; appending would duplicate it.
        log.warning("%s: podcast_guid is empty; using %s for now. Set `podcast_guid: %s` to keep it",
                    project.relative(show_file), guid, guid)
        return guid
    separator = "" if text.endswith("\n") or not text else "\n"
    with show_file.open("a", encoding="utf-8") as handle:
        handle.write(
            f"{separator}\n# Podcasting 2.0 podcast:guid, assigned once from {feed_url}.\n"
            "# Keep it, even when the feed moves: podcast apps identify the show by it.\n"
            f"podcast_guid: {guid}\n"
        )
    log.info("notice: assigned podcast:guid %s and kept it in %s", guid, project.relative(show_file))
    return guid
