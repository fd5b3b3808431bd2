"""feedgen extension for the Podcasting 2.0 namespace, Podlove Simple Chapters, WebSub's hub link, and
iTunes `explicit` as Apple wants it.

The tags take show.yaml's and episode.yaml's own models (pipeline.config.vocab: Person, Funding, License, …);
the dataclasses here hold only what is computed from the built files: transcript and enclosure URLs, sizes and
bitrates.

Registered on a FeedGenerator with
`fg.register_extension("podcasting20", PodcastingExtension, PodcastingEntryExtension, atom=False)`,
then used as `fg.podcasting20.guid(...)` and `entry.podcasting20.transcript(...)`.

feedgen 1.0's podcast extension only writes itunes:explicit as yes/no/clean; Apple now expects true/false.
This extension owns that tag: it writes true/false, and corrects a yes/no/clean one if feedgen wrote it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from email.utils import format_datetime

from feedgen.ext.base import BaseEntryExtension, BaseExtension
from feedgen.util import xml_elem
from lxml import etree

from pipeline.config.vocab import (
    UPDATE_FREQUENCIES,
    Chat,
    Funding,
    License,
    Location,
    Person,
    RemoteFeed,
    SocialInteract,
    Soundbite,
    Txt,
)
from pipeline.formats.chapters import ChapterMark
from pipeline.formats.times import timestamp

PODCAST_NS = "https://podcastindex.org/namespace/1.0"
ITUNES_NS = "http://www.itunes.com/dtds/podcast-1.0.dtd"
PSC_NS = "http://podlove.org/simple-chapters"
ATOM_NS = "http://www.w3.org/2005/Atom"

TRANSCRIPT_TYPES = ("text/vtt", "application/x-subrip", "application/json", "text/html", "text/plain", "application/srt")
CHAPTERS_TYPE = "application/json+chapters"


@dataclass(frozen=True)
class TranscriptTag:
    """podcast:transcript: a built file's public URL, its type, and the show's transcription language."""

    url: str
    type: str
    language: str | None = None
    rel: str | None = None


@dataclass(frozen=True)
class TrailerTag:
    """podcast:trailer: a trailer episode's title and date, with its built enclosure's URL, size and type."""

    title: str
    url: str
    published: datetime
    length: int
    type: str
    season: int | None = None


@dataclass(frozen=True)
class AlternateEnclosureTag:
    """podcast:alternateEnclosure: a built MP3 or MP4, its size, bitrate and height as probed, and its URL."""

    type: str
    length: int
    sources: tuple[str, ...]
    bitrate: float | None = None
    height: int | None = None
    title: str | None = None
    default: bool = False


@dataclass
class ChannelTags:
    """The channel's tags beyond feedgen's, all optional."""

    license: License | None = None
    txt: list[Txt] = field(default_factory=list)
    update_frequency: str | None = None  # a key of UPDATE_FREQUENCIES, as show.yaml gives it
    podroll: list[RemoteFeed] = field(default_factory=list)
    location: Location | None = None
    chat: Chat | None = None
    trailers: list[TrailerTag] = field(default_factory=list)
    hub: str | None = None


@dataclass
class ItemTags:
    """An item's tags beyond feedgen's, all optional."""

    season: int | None = None
    season_name: str | None = None
    episode: int | None = None
    license: License | None = None
    location: Location | None = None
    chat: Chat | None = None
    social_interact: list[SocialInteract] = field(default_factory=list)
    soundbites: list[Soundbite] = field(default_factory=list)
    alternate_enclosures: list[AlternateEnclosureTag] = field(default_factory=list)
    chapters: list[ChapterMark] = field(default_factory=list)


def _tag(name: str) -> str:
    return f"{{{PODCAST_NS}}}{name}"


def _value(value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return f"{value:.3f}".rstrip("0").rstrip(".")
    return str(value)


def _element(parent: etree._Element, name: str, text: object = None, **attributes: object) -> etree._Element:
    """A podcast:`name` child (or `{ns}name`), its text and the attributes that are not None."""
    element = xml_elem(name if name.startswith("{") else _tag(name), parent)
    if text is not None:
        element.text = _value(text)
    for key, value in attributes.items():
        if value is not None:
            element.attrib[key] = _value(value)
    return element


def psc_time(seconds: float) -> str:
    """Podlove Simple Chapters' normal play time: HH:MM:SS.mmm."""
    return timestamp(seconds, "HH:MM:SS.mmm")


def _add_license(parent: etree._Element, tag: License | None) -> None:
    if tag:
        _element(parent, "license", tag.name, url=tag.url)


def _add_location(parent: etree._Element, tag: Location | None) -> None:
    if tag:
        _element(parent, "location", tag.name, geo=tag.geo, osm=tag.osm)


def _add_chat(parent: etree._Element, tag: Chat | None) -> None:
    if tag:
        _element(parent, "chat", server=tag.server, protocol=tag.protocol, accountId=tag.account_id, space=tag.space)


def add_channel_tags(channel: etree._Element, tags: ChannelTags) -> None:
    if tags.hub:
        _element(channel, f"{{{ATOM_NS}}}link", rel="hub", href=tags.hub)
    _add_license(channel, tags.license)
    for txt in tags.txt:
        _element(channel, "txt", txt.value, purpose=txt.purpose)
    if tags.update_frequency:
        rrule, text = UPDATE_FREQUENCIES[tags.update_frequency]
        _element(channel, "updateFrequency", text, rrule=rrule, complete=rrule is None or None)
    if tags.podroll:
        podroll = _element(channel, "podroll")
        for remote in tags.podroll:
            _element(podroll, "remoteItem", feedGuid=remote.feed_guid, feedUrl=remote.feed_url, title=remote.title)
    _add_location(channel, tags.location)
    _add_chat(channel, tags.chat)
    for trailer in tags.trailers:
        _element(channel, "trailer", trailer.title, pubdate=format_datetime(trailer.published), url=trailer.url,
                 length=trailer.length, type=trailer.type, season=trailer.season)


def add_item_tags(entry: etree._Element, tags: ItemTags) -> None:
    if tags.season is not None:
        season = _element(entry, "season", tags.season)
        if tags.season_name:  # `name` is _element's own parameter
            season.attrib["name"] = tags.season_name
    if tags.episode is not None:
        _element(entry, "episode", tags.episode)
    _add_license(entry, tags.license)
    _add_location(entry, tags.location)
    _add_chat(entry, tags.chat)
    for social in tags.social_interact:
        _element(entry, "socialInteract", uri=social.uri, protocol=social.protocol, accountId=social.account_id,
                 accountUrl=social.account_url, priority=social.priority)
    for soundbite in tags.soundbites:
        _element(entry, "soundbite", soundbite.title, startTime=soundbite.start, duration=soundbite.duration)
    for alternate in tags.alternate_enclosures:
        element = _element(entry, "alternateEnclosure", type=alternate.type, length=alternate.length,
                           bitrate=alternate.bitrate, height=alternate.height, title=alternate.title,
                           default=alternate.default or None)
        for uri in alternate.sources:
            _element(element, "source", uri=uri)
    if tags.chapters:
        chapters = _element(entry, f"{{{PSC_NS}}}chapters", version="1.2")
        for mark in tags.chapters:
            _element(chapters, f"{{{PSC_NS}}}chapter", start=psc_time(mark.start), title=mark.title, href=mark.url)


def _set_explicit(parent: etree._Element, explicit: bool) -> None:
    """One itunes:explicit child holding true/false, replacing any yes/no/clean one."""
    existing = parent.findall(f"{{{ITUNES_NS}}}explicit")
    for extra in existing[1:]:
        parent.remove(extra)
    element = existing[0] if existing else xml_elem(f"{{{ITUNES_NS}}}explicit", parent)
    element.text = "true" if explicit else "false"


def _add_persons(parent: etree._Element, persons: list[Person]) -> None:
    for person in persons:
        _element(parent, "person", person.name, role=person.role, group=person.group, img=person.img or None,
                 href=person.href or None)


class PodcastingExtension(BaseExtension):
    """Channel tags: podcast:guid, podcast:locked, podcast:medium, podcast:person, podcast:funding, itunes:explicit,
    and those of ChannelTags."""

    def __init__(self) -> None:
        self._guid: str | None = None
        self._locked: tuple[bool, str | None] | None = None
        self._medium: str | None = None
        self._persons: list[Person] = []
        self._funding: list[Funding] = []
        self._explicit: bool | None = None
        self._tags = ChannelTags()

    def extend_ns(self) -> dict[str, str]:
        return {"podcast": PODCAST_NS, "itunes": ITUNES_NS, "psc": PSC_NS, "atom": ATOM_NS}

    def tags(self, tags: ChannelTags) -> None:
        self._tags = tags

    def guid(self, value: str) -> None:
        self._guid = value

    def locked(self, locked: bool, owner: str | None = None) -> None:
        self._locked = (locked, owner)

    def medium(self, value: str) -> None:
        self._medium = value

    def person(self, person: Person) -> None:
        self._persons.append(person)

    def funding(self, funding: Funding) -> None:
        self._funding.append(funding)

    def explicit(self, value: bool) -> None:
        self._explicit = value

    def extend_rss(self, rss_feed: etree._Element) -> etree._Element:
        channel = rss_feed[0]
        if self._explicit is not None:
            _set_explicit(channel, self._explicit)
        if self._guid:
            _element(channel, "guid", self._guid)
        if self._medium:
            _element(channel, "medium", self._medium)
        if self._locked is not None:
            locked, owner = self._locked
            _element(channel, "locked", "yes" if locked else "no", owner=owner or None)
        _add_persons(channel, self._persons)
        for funding in self._funding:
            _element(channel, "funding", funding.text, url=funding.url)
        add_channel_tags(channel, self._tags)
        return rss_feed


class PodcastingEntryExtension(BaseEntryExtension):
    """Item tags: podcast:transcript (several), podcast:chapters, podcast:person, itunes:explicit, and those of ItemTags."""

    def __init__(self) -> None:
        self._transcripts: list[TranscriptTag] = []
        self._chapters: str | None = None
        self._persons: list[Person] = []
        self._explicit: bool | None = None
        self._tags = ItemTags()

    def tags(self, tags: ItemTags) -> None:
        self._tags = tags

    def transcript(self, transcript: TranscriptTag) -> None:
        if transcript.type not in TRANSCRIPT_TYPES:
            raise ValueError(f"podcast:transcript type {transcript.type!r} is not one of {', '.join(TRANSCRIPT_TYPES)}")
        self._transcripts.append(transcript)

    def chapters(self, url: str) -> None:
        self._chapters = url

    def person(self, person: Person) -> None:
        self._persons.append(person)

    def explicit(self, value: bool) -> None:
        self._explicit = value

    def extend_rss(self, entry: etree._Element) -> etree._Element:
        if self._explicit is not None:
            _set_explicit(entry, self._explicit)
        for transcript in self._transcripts:
            _element(entry, "transcript", url=transcript.url, type=transcript.type, language=transcript.language or None,
                     rel=transcript.rel or None)
        if self._chapters:
            _element(entry, "chapters", url=self._chapters, type=CHAPTERS_TYPE)
        _add_persons(entry, self._persons)
        add_item_tags(entry, self._tags)
        return entry
