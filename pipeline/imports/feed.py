"""An existing show's RSS feed, read into what episode.yaml needs: pure functions, tested directly.

feedparser reads the feed (any RSS or Atom dialect, broken encodings, dates) and sanitises its HTML;
the Podcasting 2.0 tags it keeps only once per item (`podcast:transcript` may appear several times)
are read from the same bytes with defusedxml.
"""

from __future__ import annotations

import email.utils
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from html.parser import HTMLParser
from typing import Any

from pipeline.errors import InputError

PODCAST_NAMESPACE = "https://podcastindex.org/namespace/1.0"
EPISODE_TYPES = ("full", "trailer", "bonus")
TITLE_LENGTH = 200
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
    number: int | None = None  # itunes:episode
    season: int | None = None
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
    transcripts = _transcripts_by_item(data)
    items = [_item(entry, transcripts[index] if index < len(transcripts) else ())
             for index, entry in enumerate(parsed.entries)]
    channel = parsed.feed
    return OldFeed(
        title=plain_text(channel.get("title", "")),
        podcast_guid=(channel.get("podcast_guid") or "").strip().lower() or None,
        new_feed_url=(channel.get("itunes_new-feed-url") or "").strip() or None,
        items=tuple(sorted(items, key=lambda item: item.date)),
    )


def _item(entry: Any, transcripts: Sequence[LinkedFile]) -> FeedItem:
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
    return FeedItem(
        guid=guid,
        title=title or "Untitled",
        date=date or datetime.fromtimestamp(0, UTC),
        description=plain_text(entry.get("summary", "") or entry.get("subtitle", "")),
        enclosure=enclosure,
        number=_whole(entry.get("itunes_episode")),
        season=_whole(entry.get("itunes_season")),
        episode_type=episode_type if episode_type in EPISODE_TYPES else "full",
        explicit=entry.get("itunes_explicit"),
        chapters=chapters.get("url") if isinstance(chapters, dict) else None,
        transcripts=tuple(transcripts),
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
    try:
        number = int(str(value).strip())
    except (TypeError, ValueError):
        return None
    return number if number >= 0 else None


def _transcripts_by_item(data: bytes) -> list[tuple[LinkedFile, ...]]:
    """Every item's podcast:transcript links, in document order (empty when the bytes are not plain XML)."""
    from xml.etree.ElementTree import ParseError

    import defusedxml.ElementTree
    from defusedxml import DefusedXmlException

    try:  # control characters are not XML, but feeds have them: feedparser reads past them, so must this
        root = defusedxml.ElementTree.fromstring(re.sub(rb"[\x00-\x08\x0b\x0c\x0e-\x1f]", b"", data))
    except (ParseError, DefusedXmlException, ValueError):
        return []
    tag = f"{{{PODCAST_NAMESPACE}}}transcript"
    return [tuple(LinkedFile(t.get("url", ""), t.get("type", "")) for t in item.iter(tag) if t.get("url"))
            for item in root.iter("item")]


def episode_numbers(items: Sequence[FeedItem], taken: set[int] = frozenset()) -> list[int]:  # type: ignore[assignment]
    """A number per item (oldest first): its itunes:episode, else its place in the feed (1 for the oldest);
    a place another item (or an existing episode, `taken`) already holds moves to the next free number."""
    used = set(taken) | {item.number for item in items if item.number is not None}
    numbers = []
    for place, item in enumerate(items, start=1):
        if item.number is not None:
            numbers.append(item.number)
            continue
        number = place
        while number in used:
            number += 1
        used.add(number)
        numbers.append(number)
    return numbers


def episode_yaml(item: FeedItem, number: int, recording: str, source: str,
                 chapters: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    """The episode.yaml of an imported item: what the old feed said, the guid verbatim."""
    config: dict[str, Any] = {
        "number": number,
        "title": item.title,
        "date": item.date.isoformat(),
        "recording": recording,
        "description": item.description or item.title,
        "guid": item.guid,
    }
    if item.season is not None:
        config["season"] = item.season
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
    whole = int(seconds)
    return f"{whole // 3600}:{whole // 60 % 60:02d}:{whole % 60:02d}"
