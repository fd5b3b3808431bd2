"""feedgen extension for the Podcasting 2.0 namespace, and iTunes `explicit` as Apple wants it.

Registered on a FeedGenerator with
`fg.register_extension("podcasting20", PodcastingExtension, PodcastingEntryExtension, atom=False)`,
then used as `fg.podcasting20.guid(...)` and `entry.podcasting20.transcript(...)`.

feedgen 1.0's podcast extension only writes itunes:explicit as yes/no/clean; Apple now expects true/false.
This extension owns that tag: it writes true/false, and corrects a yes/no/clean one if feedgen wrote it.
"""

from __future__ import annotations

from dataclasses import dataclass

from feedgen.ext.base import BaseEntryExtension, BaseExtension
from feedgen.util import xml_elem
from lxml import etree

PODCAST_NS = "https://podcastindex.org/namespace/1.0"
ITUNES_NS = "http://www.itunes.com/dtds/podcast-1.0.dtd"

TRANSCRIPT_TYPES = ("text/vtt", "application/x-subrip", "application/json", "text/html", "text/plain", "application/srt")
CHAPTERS_TYPE = "application/json+chapters"


@dataclass(frozen=True)
class PersonTag:
    name: str
    role: str = "host"
    group: str = "cast"
    img: str | None = None
    href: str | None = None


@dataclass(frozen=True)
class TranscriptTag:
    url: str
    type: str
    language: str | None = None
    rel: str | None = None


@dataclass(frozen=True)
class FundingTag:
    url: str
    text: str


def _tag(name: str) -> str:
    return f"{{{PODCAST_NS}}}{name}"


def _set_explicit(parent: etree._Element, explicit: bool) -> None:
    """One itunes:explicit child holding true/false, replacing any yes/no/clean one."""
    existing = parent.findall(f"{{{ITUNES_NS}}}explicit")
    for extra in existing[1:]:
        parent.remove(extra)
    element = existing[0] if existing else xml_elem(f"{{{ITUNES_NS}}}explicit", parent)
    element.text = "true" if explicit else "false"


def _add_persons(parent: etree._Element, persons: list[PersonTag]) -> None:
    for person in persons:
        element = xml_elem(_tag("person"), parent)
        element.text = person.name
        element.attrib["role"] = person.role
        element.attrib["group"] = person.group
        if person.img:
            element.attrib["img"] = person.img
        if person.href:
            element.attrib["href"] = person.href


class PodcastingExtension(BaseExtension):
    """Channel tags: podcast:guid, podcast:locked, podcast:medium, podcast:person, podcast:funding, itunes:explicit."""

    def __init__(self) -> None:
        self._guid: str | None = None
        self._locked: tuple[bool, str | None] | None = None
        self._medium: str | None = None
        self._persons: list[PersonTag] = []
        self._funding: list[FundingTag] = []
        self._explicit: bool | None = None

    def extend_ns(self) -> dict[str, str]:
        return {"podcast": PODCAST_NS, "itunes": ITUNES_NS}

    def guid(self, value: str) -> None:
        self._guid = value

    def locked(self, locked: bool, owner: str | None = None) -> None:
        self._locked = (locked, owner)

    def medium(self, value: str) -> None:
        self._medium = value

    def person(self, person: PersonTag) -> None:
        self._persons.append(person)

    def funding(self, funding: FundingTag) -> None:
        self._funding.append(funding)

    def explicit(self, value: bool) -> None:
        self._explicit = value

    def extend_rss(self, rss_feed: etree._Element) -> etree._Element:
        channel = rss_feed[0]
        if self._explicit is not None:
            _set_explicit(channel, self._explicit)
        if self._guid:
            xml_elem(_tag("guid"), channel).text = self._guid
        if self._medium:
            xml_elem(_tag("medium"), channel).text = self._medium
        if self._locked is not None:
            locked, owner = self._locked
            element = xml_elem(_tag("locked"), channel)
            element.text = "yes" if locked else "no"
            if owner:
                element.attrib["owner"] = owner
        _add_persons(channel, self._persons)
        for funding in self._funding:
            element = xml_elem(_tag("funding"), channel)
            element.attrib["url"] = funding.url
            element.text = funding.text
        return rss_feed


class PodcastingEntryExtension(BaseEntryExtension):
    """Item tags: podcast:transcript (several), podcast:chapters, podcast:person, itunes:explicit."""

    def __init__(self) -> None:
        self._transcripts: list[TranscriptTag] = []
        self._chapters: str | None = None
        self._persons: list[PersonTag] = []
        self._explicit: bool | None = None

    def transcript(self, transcript: TranscriptTag) -> None:
        if transcript.type not in TRANSCRIPT_TYPES:
            raise ValueError(f"podcast:transcript type {transcript.type!r} is not one of {', '.join(TRANSCRIPT_TYPES)}")
        self._transcripts.append(transcript)

    def chapters(self, url: str) -> None:
        self._chapters = url

    def person(self, person: PersonTag) -> None:
        self._persons.append(person)

    def explicit(self, value: bool) -> None:
        self._explicit = value

    def extend_rss(self, entry: etree._Element) -> etree._Element:
        if self._explicit is not None:
            _set_explicit(entry, self._explicit)
        for transcript in self._transcripts:
            element = xml_elem(_tag("transcript"), entry)
            element.attrib["url"] = transcript.url
            element.attrib["type"] = transcript.type
            if transcript.language:
                element.attrib["language"] = transcript.language
            if transcript.rel:
                element.attrib["rel"] = transcript.rel
        if self._chapters:
            element = xml_elem(_tag("chapters"), entry)
            element.attrib["url"] = self._chapters
            element.attrib["type"] = CHAPTERS_TYPE
        _add_persons(entry, self._persons)
        return entry
