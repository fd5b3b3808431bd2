"""episode.yaml: `EpisodeConfig` (its links, references, chapters, clips, speakers and recording), and
`Episode`: a validated episode with its id and folder."""

from __future__ import annotations

import re
import unicodedata
from datetime import datetime
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import (
    AfterValidator,
    AwareDatetime,
    BaseModel,
    ConfigDict,
    Discriminator,
    Field,
    Strict,
    Tag,
    field_validator,
    model_validator,
)

from pipeline.config.fields import StrictModel, Timestamp, WebUrl, check_timestamp
from pipeline.config.show import Music
from pipeline.config.vocab import License, Location, Person, SocialInteract, Soundbite
from pipeline.formats.languages import AUTO, whisper_language
from pipeline.formats.times import timestamp


class Link(StrictModel):
    title: str = Field(min_length=1)
    url: WebUrl
    mentions: list[str] = Field(default_factory=list)


class Chapter(StrictModel):
    start: Timestamp
    title: str = Field(min_length=1)
    url: WebUrl | None = None

    @field_validator("start", mode="before")
    @classmethod
    def _parse_start(cls, value: Any) -> float:
        return check_timestamp(value)


class ClipChoice(StrictModel):
    """A clip pinned (or vetoed) in episode.yaml: by its times, or by words spoken in it."""

    start: Timestamp | None = None
    end: Timestamp | None = None
    quote: str | None = Field(default=None, min_length=3)
    veto: bool = False  # no clip may overlap this one
    title: str | None = Field(default=None, max_length=128)

    @field_validator("start", "end", mode="before")
    @classmethod
    def _parse_time(cls, value: Any) -> float | None:
        return None if value is None else check_timestamp(value)

    @model_validator(mode="after")
    def _times_or_words(self) -> ClipChoice:
        if self.quote is None and (self.start is None or self.end is None):
            raise ValueError("give start and end (times in the episode), or quote (words spoken in the clip)")
        if self.start is not None and self.end is not None:
            length = self.end - self.start
            if not self.veto and not 5 <= length <= 180:
                raise ValueError(f"a clip lasts 5 to 180 s; {format_seconds(self.start)}–{format_seconds(self.end)} "
                                 f"is {length:g} s")
            if length <= 0:
                raise ValueError("end must come after start")
        return self


def format_seconds(seconds: float) -> str:
    return timestamp(seconds, "MM:SS")


class Reference(BaseModel):
    """A cited work in CSL-JSON. Only `title` is required; other CSL fields pass through."""

    model_config = ConfigDict(extra="allow", frozen=True, populate_by_name=True)

    title: str = Field(min_length=1)
    DOI: str | None = Field(default=None, pattern=r"^10\.\d{4,9}/\S+$")
    PMID: str | None = Field(default=None, pattern=r"^\d{1,9}$")
    URL: WebUrl | None = None
    mentions: list[str] = Field(default_factory=list)

    def csl(self, item_id: str) -> dict[str, Any]:
        data = self.model_dump(exclude_none=True, by_alias=True)
        data.pop("mentions", None)
        data.setdefault("type", "article-journal")
        return {"id": item_id, **data}


class Track(StrictModel):
    file: str = Field(min_length=1)
    speaker: str = Field(min_length=1)


class Correction(StrictModel):
    """A word or words the model misheard, replaced in every transcript without transcribing again."""

    heard: str = Field(alias="from", min_length=1)
    said: str = Field(alias="to", min_length=1)
    at: Timestamp | None = None  # only the occurrence nearest this time; without it, every occurrence

    @field_validator("heard")
    @classmethod
    def _holds_a_word(cls, value: str) -> str:
        if not re.search(r"\w", value):
            raise ValueError("must hold a word as the transcript writes it")
        return value

    @field_validator("at", mode="before")
    @classmethod
    def _parse_at(cls, value: Any) -> float | None:
        return None if value is None else check_timestamp(value)


class EpisodeAudio(StrictModel):
    """The show's production settings (`audio:` in show.yaml) this episode does otherwise."""

    denoise: bool | None = None
    level_speakers: bool | None = None
    intro: Music | None = None
    outro: Music | None = None
    max_pause: float | None = Field(default=None, ge=0.3, le=30)


class Cut(StrictModel):
    """Something removed from everything published: a time range of the recording, or the sentences holding a quote."""

    start: Timestamp | None = None
    end: Timestamp | None = None
    quote: str | None = Field(default=None, min_length=3)

    @field_validator("start", "end", mode="before")
    @classmethod
    def _parse_time(cls, value: Any) -> float | None:
        return None if value is None else check_timestamp(value)

    @model_validator(mode="after")
    def _range_or_quote(self) -> Cut:
        if (self.quote is None) == (self.start is None and self.end is None):
            raise ValueError("give start and end (a time range of the recording), or quote (words said in it), not both")
        if self.quote is None and (self.start is None or self.end is None):
            raise ValueError("a time range needs both start and end")
        if self.start is not None and self.end is not None and self.end <= self.start:
            raise ValueError(f"end ({format_seconds(self.end)}) must come after start ({format_seconds(self.start)})")
        return self


class Insert(StrictModel):
    """A sound file played between two sentences: near a time of the recording, or where a chapter starts."""

    file: str = Field(min_length=1)  # relative to the episode's folder
    at: Timestamp | None = None
    chapter: int | None = Field(default=None, ge=1)

    @field_validator("at", mode="before")
    @classmethod
    def _parse_at(cls, value: Any) -> float | None:
        return None if value is None else check_timestamp(value)

    @model_validator(mode="after")
    def _at_or_chapter(self) -> Insert:
        if (self.at is None) == (self.chapter is None):
            raise ValueError("give at (a time of the recording) or chapter (its number in `chapters:`), one of them")
        return self


class Multitrack(StrictModel):
    """One file per participant, as remote-recording tools give them."""

    tracks: list[Track] = Field(min_length=1)

    @field_validator("tracks")
    @classmethod
    def _distinct_speakers(cls, tracks: list[Track]) -> list[Track]:
        names = [track.speaker for track in tracks]
        if len(set(names)) != len(names):
            raise ValueError("each track needs its own speaker name")
        return tracks


def _recording_kind(value: Any) -> str:
    return "recording-tracks" if isinstance(value, dict | Multitrack) else "recording-file"


def _speakers_kind(value: Any) -> str:
    if isinstance(value, list):
        return "speakers-names"
    return "speakers-range" if isinstance(value, str) else "speakers-count"


def check_speakers(value: int | str | list[str] | None) -> int | str | list[str] | None:
    """`speakers`: a count (2), a range ("2-4") or the names in order of first appearance."""
    if isinstance(value, int) and value < 1:
        raise ValueError("must be at least 1 (leave it out to have the number estimated)")
    if isinstance(value, int) and value > 10:
        raise ValueError("must be at most 10")
    if isinstance(value, str):
        match = re.fullmatch(r"\s*(\d+)\s*-\s*(\d+)\s*", value)
        if not match or not 1 <= int(match.group(1)) <= int(match.group(2)) <= 10:
            raise ValueError("must be a range like \"2-4\" (from 1 to 10, smallest first)")
    if isinstance(value, list) and (not value or len(set(value)) != len(value) or not all(v.strip() for v in value)):
        raise ValueError("must be a list of distinct, non-empty names")
    return value


SpeakerSpec = Annotated[
    Annotated[Annotated[int, Strict()], Tag("speakers-count")] | Annotated[str, Tag("speakers-range")]
    | Annotated[list[Annotated[str, Strict()]], Tag("speakers-names")],
    Discriminator(_speakers_kind),
]


class LinkedTranscript(StrictModel):
    url: str = Field(min_length=1)
    type: str = ""


class ImportedFrom(StrictModel):
    """Where an imported episode came from (written by `pipeline import-feed`)."""

    feed: str = Field(min_length=1)
    enclosure: str | None = None
    chapters: str | None = None
    transcripts: list[LinkedTranscript] = Field(default_factory=list)


class EpisodeConfig(StrictModel):
    number: int | None = Field(default=None, ge=0)  # required unless `guid` is given (see _number_or_guid)
    title: str = Field(min_length=1)
    date: AwareDatetime
    recording: Annotated[Annotated[str, Tag("recording-file"), Field(min_length=1)]
                         | Annotated[Multitrack, Tag("recording-tracks")], Discriminator(_recording_kind)]
    speakers: Annotated[SpeakerSpec | None, AfterValidator(check_speakers)] = None
    speaker_names: dict[str, Annotated[str, Field(min_length=1)]] = Field(default_factory=dict)
    description: str = Field(min_length=1)
    summary: str | None = None
    slug: str | None = Field(default=None, pattern=r"^[a-z0-9]+(-[a-z0-9]+)*$")
    episode_type: Literal["full", "trailer", "bonus"] = "full"
    season: int | None = Field(default=None, ge=1)
    season_name: str | None = Field(default=None, min_length=1, max_length=128)  # podcast:season name="…"
    explicit: bool | None = None
    language: str | None = Field(default=None, pattern=r"^(auto|[a-z]{2,3}(-[A-Za-z]{2,4})?)$")  # spoken; else the show's
    glossary: list[str] = Field(default_factory=list)
    corrections: list[Correction] = Field(default_factory=list)
    cuts: list[Cut] = Field(default_factory=list)
    inserts: list[Insert] = Field(default_factory=list)
    audio: EpisodeAudio | None = None  # overrides the show's `audio:` keys it sets
    links: list[Link] = Field(default_factory=list)
    references: list[Reference] = Field(default_factory=list)
    chapters: list[Chapter] | None = None
    persons: list[Person] = Field(default_factory=list)
    license: License | None = None  # the show's, unless this episode's differs
    location: Location | None = None
    social_interact: list[SocialInteract] = Field(default_factory=list)
    soundbites: list[Soundbite] = Field(default_factory=list)
    clips: list[ClipChoice] = Field(default_factory=list)
    guid: str | None = Field(default=None, min_length=1)  # an imported item's guid, kept verbatim in the feed
    imported: ImportedFrom | None = None
    draft: bool = False

    @field_validator("chapters")
    @classmethod
    def _chapters_ascending(cls, chapters: list[Chapter] | None) -> list[Chapter] | None:
        if chapters:
            if chapters[0].start != 0:
                raise ValueError("the first chapter must start at 00:00")
            starts = [c.start for c in chapters]
            if starts != sorted(set(starts)):
                raise ValueError("chapter start times must be strictly ascending")
        return chapters

    @model_validator(mode="after")
    def _number_or_guid(self) -> EpisodeConfig:
        if self.number is None and self.guid is None:
            raise ValueError("number: is required (the episode's guid in the feed is made from it); only an "
                             "imported episode, which keeps its old `guid`, may have none")
        if self.season_name is not None and self.season is None:
            raise ValueError("season_name: names a season, so give `season` too")
        return self

    @property
    def label(self) -> str:
        """How the web site and clips name the episode: `#463`, `S2 E1`, `Trailer` (empty: a full episode
        without a number)."""
        if self.number is None:
            return "" if self.episode_type == "full" else self.episode_type.capitalize()
        return f"S{self.season} E{self.number}" if self.season is not None else f"#{self.number}"


def slugify(text: str, max_length: int = 60) -> str:
    """ASCII, lowercase, hyphenated: safe for file names, URLs and S3 keys."""
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    words = re.findall(r"[a-z0-9]+", ascii_text.lower())
    slug = ""
    for word in words:
        candidate = f"{slug}-{word}" if slug else word
        if len(candidate) > max_length:
            break
        slug = candidate
    return slug or "episode"


class Episode(BaseModel):
    """A validated episode: its id (folder name), folder, and configuration."""

    model_config = ConfigDict(frozen=True)

    id: str
    folder: Path
    config: EpisodeConfig

    @property
    def slug(self) -> str:
        return self.config.slug or slugify(self.config.title)

    def translated(self, show_language: str, translate_to_english: bool) -> bool:
        """Whether the episode gets an English track: asked for, and not spoken in English (`auto` may be)."""
        return translate_to_english and self.spoken_language(show_language) != "en"

    def spoken_language(self, show_language: str) -> str:
        """The language spoken in the episode as Whisper names it ("de", "pt"), or "auto": the episode's
        `language`, else the show's. Configuration checks have made sure Whisper speaks it."""
        setting = self.config.language or show_language
        return setting if setting == AUTO else whisper_language(setting) or setting

    @property
    def key(self) -> str:
        """The stable, readable folder name used for published files: `463-does-massage-help-…`."""
        return f"{self.id}-{self.slug}"

    @property
    def tracks(self) -> list[tuple[Path, str]]:
        """(file, speaker) of each track of a multitrack recording; empty for one mixed recording."""
        recording = self.config.recording
        return [(self.folder / t.file, t.speaker) for t in recording.tracks] if isinstance(recording, Multitrack) else []

    @property
    def recording(self) -> Path:
        """The recording; for a multitrack one, its first track (what probing and video read)."""
        recording = self.config.recording
        return self.folder / (recording.tracks[0].file if isinstance(recording, Multitrack) else recording)

    @property
    def recordings(self) -> list[Path]:
        return [path for path, _speaker in self.tracks] or [self.recording]

    @property
    def date(self) -> datetime:
        return self.config.date
