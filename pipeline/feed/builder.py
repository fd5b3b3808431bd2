"""Build an RSS 2.0 podcast feed (iTunes + Podcasting 2.0) from plain data, with feedgen.

Pure: `render_feed(channel, items)` turns the dataclasses below into feed XML bytes. Where show.yaml or
episode.yaml states a fact (the owner, a category, a person, funding), the field holds that configuration model;
the rest is collected from a project (file sizes, URLs, durations) by pipeline.feed.collect.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from feedgen.feed import FeedGenerator

from pipeline.config.vocab import Category, Funding, Owner, Person
from pipeline.feed.podcasting20 import ChannelTags, ItemTags, PodcastingEntryExtension, PodcastingExtension, TranscriptTag
from pipeline.formats.times import timestamp

EXTENSION_NAME = "podcasting20"
GENERATOR = "episode-pipeline (python-feedgen)"


@dataclass(frozen=True)
class Enclosure:
    url: str
    length: int  # bytes
    type: str  # audio/mpeg, video/mp4


@dataclass(frozen=True)
class FeedItem:
    title: str
    description_html: str  # short, within Apple's limit, chapter times at the start of lines: <description>
    content_html: str  # the whole show notes: <content:encoded>
    published: datetime  # time-zone aware
    guid: str
    enclosure: Enclosure
    duration_seconds: float
    number: int | None  # None: an imported item that had no itunes:episode
    page_url: str
    image_url: str
    episode_type: str = "full"
    season: int | None = None
    explicit: bool | None = None
    transcripts: list[TranscriptTag] = field(default_factory=list)
    chapters_url: str | None = None
    persons: list[Person] = field(default_factory=list)
    tags: ItemTags = field(default_factory=ItemTags)


@dataclass(frozen=True)
class FeedChannel:
    title: str
    description: str
    link: str  # the show's web site
    feed_url: str  # where this feed is published (atom:link rel=self)
    language: str
    image_url: str
    categories: list[Category]
    author: str
    owner: Owner
    explicit: bool
    podcast_guid: str
    medium: str = "podcast"
    copyright: str | None = None
    locked: bool | None = None
    locked_owner: str | None = None
    persons: list[Person] = field(default_factory=list)
    funding: list[Funding] = field(default_factory=list)
    tags: ChannelTags = field(default_factory=ChannelTags)


def format_duration(seconds: float) -> str:
    """itunes:duration as HH:MM:SS (whole seconds, rounded)."""
    return timestamp(seconds, "HH:MM:SS", nearest=True)


def new_feed_generator() -> FeedGenerator:
    generator = FeedGenerator()
    generator.load_extension("podcast")
    generator.register_extension(EXTENSION_NAME, PodcastingExtension, PodcastingEntryExtension, atom=False, rss=True)
    return generator


def render_feed(channel: FeedChannel, items: list[FeedItem]) -> bytes:
    """The feed XML, items in the order given (callers pass newest first)."""
    fg = new_feed_generator()
    fg.title(channel.title)
    fg.description(channel.description)
    # feedgen uses the last link given as the RSS <link>: the self link goes first.
    fg.link(href=channel.feed_url, rel="self", type="application/rss+xml")
    fg.link(href=channel.link, rel="alternate")
    fg.language(channel.language)
    fg.generator(GENERATOR)
    if channel.copyright:
        fg.copyright(channel.copyright)
    fg.image(url=channel.image_url, title=channel.title, link=channel.link)
    # A build date from the content, not the clock: an unchanged show gives a byte-identical feed.
    if items:
        fg.lastBuildDate(max(item.published for item in items))
    fg.podcast.itunes_author(channel.author)
    fg.podcast.itunes_owner(name=channel.owner.name, email=channel.owner.email)
    fg.podcast.itunes_image(channel.image_url)
    fg.podcast.itunes_category([{"cat": c.category, **({"sub": c.subcategory} if c.subcategory else {})}
                                for c in channel.categories])
    fg.podcast.itunes_type("episodic")

    p20: PodcastingExtension = getattr(fg, EXTENSION_NAME)
    p20.explicit(channel.explicit)
    p20.guid(channel.podcast_guid)
    p20.medium(channel.medium)
    if channel.locked is not None:
        p20.locked(channel.locked, channel.locked_owner)
    for person in channel.persons:
        p20.person(person)
    for funding in channel.funding:
        p20.funding(funding)
    p20.tags(channel.tags)

    for item in items:
        entry = fg.add_entry(order="append")
        entry.title(item.title)
        entry.description(item.description_html)
        entry.content(item.content_html, type="CDATA")
        entry.link(href=item.page_url)
        entry.guid(item.guid, permalink=False)
        entry.pubDate(item.published)
        entry.enclosure(item.enclosure.url, str(item.enclosure.length), item.enclosure.type)
        entry.podcast.itunes_duration(format_duration(item.duration_seconds))
        if item.number is not None:
            entry.podcast.itunes_episode(item.number)
        entry.podcast.itunes_episode_type(item.episode_type)
        entry.podcast.itunes_image(item.image_url)
        if item.season is not None:
            entry.podcast.itunes_season(item.season)
        p20_entry: PodcastingEntryExtension = getattr(entry, EXTENSION_NAME)
        if item.explicit is not None:
            p20_entry.explicit(item.explicit)
        for transcript in item.transcripts:
            p20_entry.transcript(transcript)
        if item.chapters_url:
            p20_entry.chapters(item.chapters_url)
        for person in item.persons:
            p20_entry.person(person)
        p20_entry.tags(item.tags)
    return fg.rss_str(pretty=True, encoding="UTF-8", xml_declaration=True)


FEED_HISTORY_NS = "http://purl.org/syndication/history/1.0"
ATOM_NS = "http://www.w3.org/2005/Atom"


def archive_pages(items: list[FeedItem], page_size: int) -> tuple[list[FeedItem], list[list[FeedItem]]]:
    """RFC 5005 paging: the newest `page_size` items for the subscription feed, and the older ones in archive
    pages of `page_size`, oldest first, so a full page never changes as new episodes come (`items`: newest first)."""
    current, older = items[:page_size], items[page_size:][::-1]
    pages = [older[start:start + page_size][::-1] for start in range(0, len(older), page_size)]
    return current, pages


def with_archive_links(feed: bytes, current_url: str, previous_url: str | None, next_url: str | None,
                       archive: bool) -> bytes:
    """The feed with RFC 5005 links: rel=current on every page, prev-archive/next-archive between them, and
    fh:archive on an archive page."""
    from lxml import etree

    root = etree.fromstring(feed)
    channel = root.find("channel")
    position = list(channel).index(channel.find(f"{{{ATOM_NS}}}link")) + 1
    links = [("current", current_url), ("prev-archive", previous_url), ("next-archive", next_url)]
    added = [etree.Element(f"{{{ATOM_NS}}}link", rel=rel, href=url) for rel, url in links if url]
    if archive:
        added.append(etree.Element(f"{{{FEED_HISTORY_NS}}}archive", nsmap={"fh": FEED_HISTORY_NS}))
    for offset, element in enumerate(added):
        channel.insert(position + offset, element)
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8", pretty_print=True)
