"""An existing show's RSS feed, read into what episode.yaml needs: pure functions, tested directly.

feedparser reads the feed (any RSS or Atom dialect, broken encodings, dates) and sanitises its HTML;
the Podcasting 2.0 tags it keeps only in part (`podcast:transcript` may appear several times, and it drops the
number of a `podcast:season` or `podcast:episode` that has attributes) are read from the same bytes with
defusedxml.
"""

from __future__ import annotations

import email.utils
import re
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from html.parser import HTMLParser
from typing import Any

from pipeline.errors import InputError
from pipeline.formats.times import timestamp

PODCAST_NAMESPACES = (
    "https://podcastindex.org/namespace/1.0",
    # the namespace's first address: feeds written before 2021 (and some since) still declare it
    "https://github.com/Podcastindex-org/podcast-namespace/blob/main/docs/1.0.md",
)
EPISODE_TYPES = ("full", "trailer", "bonus")
TITLE_LENGTH = 200
SEASON_NAME_LENGTH = 128  # as EpisodeConfig.season_name
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


@dataclass(frozen=True)
class LinkedFile:
    url: str
    type: str


@dataclass(frozen=True)
class FeedItem:
    """One item of the old feed, as the creator published it."""

    guid: str
    title: str
    date: datetime  # with the zone the feed gave
    description: str  # plain text
    enclosure: LinkedFile | None
    number: int | None = None  # itunes:episode, else podcast:episode
    season: int | None = None  # itunes:season, else podcast:season
    season_name: str | None = None  # podcast:season name="…"
    episode_type: str = "full"
    explicit: bool | None = None
    chapters: str | None = None  # podcast:chapters URL
    transcripts: tuple[LinkedFile, ...] = ()
    problems: tuple[str, ...] = field(default=())  # why this item cannot be imported


@dataclass(frozen=True)
class OldFeed:
    title: str
    podcast_guid: str | None
    new_feed_url: str | None
    items: tuple[FeedItem, ...]  # oldest first


class _Text(HTMLParser):
    """The text of HTML: block elements end a paragraph, inline ones join their neighbours, scripts are dropped."""

    BLOCKS = frozenset({"p", "div", "br", "li", "ul", "ol", "h1", "h2", "h3", "h4", "h5", "h6", "blockquote", "tr", "table"})

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.hidden = 0

    def handle_starttag(self, tag: str, attrs: Any) -> None:
        if tag in ("script", "style"):
            self.hidden += 1
        elif tag in self.BLOCKS:
            self.parts.append("\n\n")

    def handle_endtag(self, tag: str) -> None:
        if tag in ("script", "style"):
            self.hidden = max(0, self.hidden - 1)
        elif tag in self.BLOCKS:
            self.parts.append("\n\n")

    def handle_data(self, data: str) -> None:
        if not self.hidden:
            self.parts.append(data)


def plain_text(markup: str) -> str:
    """Text of (sanitised) HTML: paragraphs kept, entities decoded, control characters and runs of spaces removed."""
    parser = _Text()
    parser.feed(markup)
    parser.close()
    text = _CONTROL.sub("", "".join(parser.parts))
    paragraphs = [" ".join(part.split()) for part in re.split(r"\n\s*\n", text)]
    return "\n\n".join(p for p in paragraphs if p)


def parse_feed(data: bytes, source: str) -> OldFeed:
    """The feed's channel and items; raises InputError when `data` is not a feed with items."""
    import feedparser

    parsed = feedparser.parse(data, sanitize_html=True, resolve_relative_uris=True, response_headers={
        "content-location": source})
    if parsed.bozo and not parsed.entries:
        raise InputError(f"{source}: not an RSS or Atom feed ({parsed.get('bozo_exception')})",
                         hint="give the feed's own URL (the one podcast apps subscribe to) or a saved copy of it")
    if not parsed.entries:
        raise InputError(f"{source}: the feed has no items", hint="check that this is the show's full feed")
    tags = _podcast_tags_by_item(data)
    items = [_item(entry, tags[index] if index < len(tags) else _PodcastTags())
             for index, entry in enumerate(parsed.entries)]
    channel = parsed.feed
    return OldFeed(
        title=plain_text(channel.get("title", "")),
        podcast_guid=(channel.get("podcast_guid") or "").strip().lower() or None,
        new_feed_url=(channel.get("itunes_new-feed-url") or "").strip() or None,
        items=_refuse_repeated_guids(sorted(items, key=lambda item: item.date)),
    )


def _refuse_repeated_guids(items: Sequence[FeedItem]) -> tuple[FeedItem, ...]:
    """Items (oldest first) whose guid an older item has already: apps would take them for that episode."""
    first: dict[str, FeedItem] = {}
    kept = []
    for item in items:
        earlier = first.setdefault(item.guid, item) if item.guid else item
        if earlier is not item:
            item = replace(item, problems=(*item.problems, f"its guid {item.guid!r} is also the guid of the older item "
                                           f"{earlier.title!r} ({earlier.date:%Y-%m-%d}), so podcast apps take both "
                                           "for one episode"))
        kept.append(item)
    return tuple(kept)


@dataclass(frozen=True)
class _PodcastTags:
    """What an item's Podcasting 2.0 tags say that feedparser does not keep."""

    transcripts: tuple[LinkedFile, ...] = ()
    season: int | None = None
    season_name: str | None = None
    episode: int | None = None


def _item(entry: Any, tags: _PodcastTags) -> FeedItem:
    problems = []
    title = _CONTROL.sub("", " ".join(plain_text(entry.get("title", "")).split()))[:TITLE_LENGTH]
    if not title:
        problems.append("the item has no title")
    date = _date(entry.get("published") or entry.get("updated"))
    if date is None:
        problems.append(f"pubDate {entry.get('published')!r} is not a date")
    enclosures = [link for link in entry.get("links", ()) if link.get("rel") == "enclosure" and link.get("href")]
    enclosure = LinkedFile(enclosures[0]["href"], enclosures[0].get("type", "")) if enclosures else None
    if enclosure is None:
        problems.append("the item has no enclosure (no recording to import)")
    guid = (entry.get("id") or (enclosure.url if enclosure else "") or "").strip()
    if not guid:
        problems.append("the item has no guid and no enclosure URL to stand for one")
    episode_type = (entry.get("itunes_episodetype") or "full").strip().lower()
    chapters = entry.get("podcast_chapters")
    season = _first(_season(entry.get("itunes_season")), tags.season)
    return FeedItem(
        guid=guid,
        title=title or "Untitled",
        date=date or datetime.fromtimestamp(0, UTC),
        description=plain_text(entry.get("summary", "") or entry.get("subtitle", "")),
        enclosure=enclosure,
        number=_first(_whole(entry.get("itunes_episode")), tags.episode),
        season=season,
        season_name=tags.season_name[:SEASON_NAME_LENGTH] if tags.season_name and season == tags.season else None,
        episode_type=episode_type if episode_type in EPISODE_TYPES else "full",
        explicit=entry.get("itunes_explicit"),
        chapters=chapters.get("url") if isinstance(chapters, dict) else None,
        transcripts=tags.transcripts,
        problems=tuple(problems),
    )


def _date(text: str | None) -> datetime | None:
    """An RFC 822 date as the feed wrote it, zone kept (feedparser's parsed form is in UTC)."""
    if not text:
        return None
    try:
        parsed = email.utils.parsedate_to_datetime(text)
    except (TypeError, ValueError):
        try:
            parsed = datetime.fromisoformat(text.strip())
        except ValueError:
            return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def _whole(value: Any) -> int | None:
    """A whole number ≥ 0 (itunes:episode), else None; podcast:episode's decimals (`315.5`) are not one."""
    try:
        number = int(str(value).strip())
    except (TypeError, ValueError):
        return None
    return number if number >= 0 else None


def _season(value: Any) -> int | None:
    """A season number: whole and ≥ 1, as Apple and episode.yaml want it."""
    number = _whole(value)
    return number if number else None


def _first(*values: int | None) -> int | None:
    return next((value for value in values if value is not None), None)


def _podcast_tags_by_item(data: bytes) -> list[_PodcastTags]:
    """Every item's Podcasting 2.0 tags, in document order (empty when the bytes are not plain XML)."""
    from xml.etree.ElementTree import ParseError

    import defusedxml.ElementTree
    from defusedxml import DefusedXmlException

    try:  # control characters are not XML, but feeds have them: feedparser reads past them, so must this
        root = defusedxml.ElementTree.fromstring(re.sub(rb"[\x00-\x08\x0b\x0c\x0e-\x1f]", b"", data))
    except (ParseError, DefusedXmlException, ValueError):
        return []
    found = []
    for item in root.iter("item"):
        season, episode = _podcast(item, "season"), _podcast(item, "episode")
        found.append(_PodcastTags(
            transcripts=tuple(LinkedFile(t.get("url", ""), t.get("type", ""))
                              for t in _podcast(item, "transcript", every=True) if t.get("url")),
            season=_season(season.text) if season is not None else None,
            season_name=((season.get("name") or "").strip() or None) if season is not None else None,
            episode=_whole(episode.text) if episode is not None else None,
        ))
    return found


def _podcast(item: Any, name: str, every: bool = False) -> Any:
    """The item's first podcast:`name` element (None if it has none), or with `every` all of them."""
    found = [tag for namespace in PODCAST_NAMESPACES for tag in item.findall(f"{{{namespace}}}{name}")]
    return found if every else next(iter(found), None)


def episode_yaml(item: FeedItem, recording: str, source: str,
                 chapters: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    """The episode.yaml of an imported item: what the old feed said, the guid verbatim, and the item's own
    season and number (none when it had none, as trailers often have not), whatever its folder is called."""
    config: dict[str, Any] = {}
    if item.season is not None:
        config["season"] = item.season
    if item.season_name:
        config["season_name"] = item.season_name
    if item.number is not None:
        config["number"] = item.number
    config.update({
        "title": item.title,
        "date": item.date.isoformat(),
        "recording": recording,
        "description": item.description or item.title,
        "guid": item.guid,
    })
    if item.episode_type != "full":
        config["episode_type"] = item.episode_type
    if item.explicit is not None:
        config["explicit"] = bool(item.explicit)
    if chapters:
        config["chapters"] = chapters
    config["imported"] = {
        "feed": source,
        "enclosure": item.enclosure.url if item.enclosure else None,
        **({"chapters": item.chapters} if item.chapters else {}),
        **({"transcripts": [{"url": t.url, "type": t.type} for t in item.transcripts]} if item.transcripts else {}),
    }
    return config


def chapters_from_json(data: Any) -> list[dict[str, Any]]:
    """A Podcasting 2.0 JSON chapters file as episode.yaml `chapters` (start as H:MM:SS), the first at 0:00."""
    found = []
    for chapter in data.get("chapters", []) if isinstance(data, dict) else []:
        if not isinstance(chapter, dict) or chapter.get("toc") is False:
            continue
        title = plain_text(str(chapter.get("title") or "")).strip()
        try:
            start = float(chapter.get("startTime", -1))
        except (TypeError, ValueError):
            continue
        if title and start >= 0:
            entry: dict[str, Any] = {"start": _clock(start), "title": title[:TITLE_LENGTH]}
            if str(chapter.get("url", "")).startswith(("http://", "https://")):
                entry["url"] = chapter["url"]
            found.append((start, entry))
    found.sort(key=lambda pair: pair[0])
    unique: list[dict[str, Any]] = []
    for _start, entry in found:
        if not unique or entry["start"] != unique[-1]["start"]:  # one chapter per second: starts must ascend
            unique.append(entry)
    if unique and unique[0]["start"] != _clock(0):
        unique.insert(0, {"start": _clock(0), "title": "Introduction"})
    return unique


def _clock(seconds: float) -> str:
    return timestamp(seconds, "H:MM:SS")
