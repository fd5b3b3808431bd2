"""Show and episode configuration: strict models, loaded and validated before any stage runs.

Every problem in every file is collected and reported at once, each naming the file, the key,
the bad value and what is expected. Unknown keys are warnings with a did-you-mean.
"""

from __future__ import annotations

import difflib
import os
import re
import unicodedata
from datetime import datetime
from pathlib import Path
from typing import Annotated, Any, Literal
from urllib.parse import urlsplit

import yaml
from pydantic import (
    AfterValidator,
    AwareDatetime,
    BaseModel,
    ConfigDict,
    Discriminator,
    Field,
    Strict,
    Tag,
    ValidationError,
    field_validator,
    model_validator,
)

from pipeline.errors import ConfigError
from pipeline.formats.times import timestamp

EPISODE_ID_PATTERN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$")


def check_web_url(value: str) -> str:
    """Accept only absolute http(s) URLs with a host; refuses javascript:, data:, relative paths."""
    value = value.strip()
    parts = urlsplit(value)
    if parts.scheme.lower() not in ("http", "https"):
        raise ValueError("must be an http:// or https:// URL (javascript:, data: and relative links are refused)")
    if not parts.hostname or " " in value:
        raise ValueError("is not a well-formed URL; expected something like https://example.com/page")
    return value


WebUrl = Annotated[str, AfterValidator(check_web_url)]


def check_timestamp(value: str | int | float) -> float:
    """'MM:SS', 'HH:MM:SS(.fff)' or seconds → seconds."""
    if isinstance(value, int | float):
        if value < 0:
            raise ValueError("must not be negative")
        return float(value)
    match = re.fullmatch(r"(?:(\d+):)?(\d{1,2}):(\d{2}(?:\.\d+)?)", str(value).strip())
    if not match:
        raise ValueError("must be a time like 00:00, 12:34 or 1:02:03")
    hours, minutes, seconds = match.groups()
    return int(hours or 0) * 3600 + int(minutes) * 60 + float(seconds)


Timestamp = Annotated[float, Field(ge=0)]


class StrictModel(BaseModel):
    # Unknown keys are reported as warnings by `unknown_key_warnings` before validation.
    model_config = ConfigDict(extra="ignore", frozen=True)


# ---------------------------------------------------------------- show.yaml


class Owner(StrictModel):
    name: str = Field(min_length=1)
    email: str = Field(pattern=r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


class Category(StrictModel):
    category: str = Field(min_length=1)
    subcategory: str | None = None


class Person(StrictModel):
    name: str = Field(min_length=1)
    role: str = "host"
    group: str = "cast"
    img: WebUrl | None = None
    href: WebUrl | None = None


class Funding(StrictModel):
    url: WebUrl
    text: str = "Support the show"


class License(StrictModel):
    """podcast:license: an SPDX identifier (cc-by-4.0) or a licence's name, with its text's URL for any other."""

    name: str = Field(min_length=1, max_length=128)
    url: WebUrl | None = None


class Txt(StrictModel):
    """podcast:txt: free text for services that read the feed, e.g. Apple's verification string."""

    value: str = Field(min_length=1, max_length=4000)
    purpose: str | None = Field(default=None, min_length=1, max_length=128, examples=["applepodcastsverify"])


UPDATE_FREQUENCIES = {  # show.yaml's update_frequency → (podcast:updateFrequency rrule, its text)
    "daily": ("FREQ=DAILY", "Daily"),
    "weekdays": ("FREQ=WEEKLY;BYDAY=MO,TU,WE,TH,FR", "Every weekday"),
    "weekly": ("FREQ=WEEKLY", "Weekly"),
    "biweekly": ("FREQ=WEEKLY;INTERVAL=2", "Every two weeks"),
    "monthly": ("FREQ=MONTHLY", "Monthly"),
    "yearly": ("FREQ=YEARLY", "Yearly"),
    "complete": (None, "Complete: no new episodes"),
}


class RemoteFeed(StrictModel):
    """A show in the podroll (podcast:remoteItem): its podcast:guid, and its feed's URL."""

    feed_guid: str = Field(pattern=r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")
    feed_url: WebUrl | None = None
    title: str | None = None


class Location(StrictModel):
    name: str = Field(min_length=1, max_length=128)
    geo: str | None = Field(default=None, pattern=r"^geo:-?\d{1,2}(\.\d+)?,-?\d{1,3}(\.\d+)?(,-?\d+(\.\d+)?)?$",
                            examples=["geo:30.2672,-97.7431"])
    osm: str | None = Field(default=None, pattern=r"^[NWR]\d+(#\d+)?$", examples=["R113314"])


class Chat(StrictModel):
    """podcast:chat: where listeners talk during and after an episode."""

    server: str = Field(pattern=r"^[A-Za-z0-9.-]+(:\d+)?$", examples=["irc.libera.chat"])
    protocol: Literal["irc", "xmpp", "nostr", "matrix"]
    account_id: str | None = None
    space: str | None = None


class SocialInteract(StrictModel):
    """podcast:socialInteract: the post where an episode's comments live."""

    uri: WebUrl
    protocol: Literal["activitypub", "twitter", "lightning", "atproto", "bluesky", "hive", "matrix", "nostr"] = "activitypub"
    account_id: str | None = None
    account_url: WebUrl | None = None
    priority: int | None = Field(default=None, ge=1)


class Notifications(StrictModel):
    """Apps told the moment a feed changes: a WebSub hub, and podping (when PODPING_TOKEN is set)."""

    websub_hub: WebUrl | None = None
    podping_url: WebUrl = "https://podping.cloud/"
    attempts: int = Field(default=4, ge=1, le=10)


class AudioSettings(StrictModel):
    loudness_lufs: float = Field(default=-16.0, ge=-30, le=-10)
    true_peak_db: float = Field(default=-1.0, ge=-9, le=0)
    bitrate_kbps: int = Field(default=128, ge=32, le=320)
    sample_rate: Literal[44100, 48000] = 44100
    channels: Literal[1, 2] = 2


class TranscriptionSettings(StrictModel):
    engine: Literal["faster-whisper", "openai-whisper"] = "faster-whisper"
    model: str = "tiny.en"
    language: str = "en"
    beam_size: int = Field(default=5, ge=1, le=10)
    threads: int = Field(default=0, ge=0, description="0 = every core")
    vad: bool = True
    coverage: bool = True
    glossary: list[str] = Field(default_factory=list)


class DiarizationSettings(StrictModel):
    engine: Literal["campplus", "resemblyzer", "pyannote"] = "campplus"
    enabled: bool = Field(default=True, description="label speakers in one mixed recording (tracks always are)")


class Voice(StrictModel):
    """A regular voice (the host): every episode labels it by name."""

    name: str = Field(min_length=1)
    sample: str = Field(min_length=1, description="10–30 s of that voice alone, e.g. config/voices/dana.wav")


class CaptionSettings(StrictModel):
    max_chars_per_line: int = Field(default=42, ge=16, le=80)
    max_lines: int = Field(default=2, ge=1, le=3)
    min_duration: float = Field(default=1.0, gt=0)
    max_duration: float = Field(default=7.0, gt=0)
    max_chars_per_second: float = Field(default=20.0, gt=0)
    max_pause: float = Field(default=1.5, gt=0)


class NotesSettings(StrictModel):
    citation_style: str = "apa"
    summary_sentences: int = Field(default=3, ge=2, le=4)
    min_chapter_seconds: float = Field(default=30.0, ge=5)
    credits: list[str] = Field(default_factory=list)


AUDIOGRAM_SIZE = (1280, 720)  # a format without a size, for a recording with no picture


class VideoFormat(StrictModel):
    """A video to render. Without width and height: a video recording's own size (and always its own frame
    rate), an audiogram at AUDIOGRAM_SIZE."""

    name: str = Field(pattern=r"^[a-z0-9-]+$")
    width: int | None = Field(default=None, ge=128, le=3840)
    height: int | None = Field(default=None, ge=128, le=3840)

    @model_validator(mode="after")
    def _both_or_neither(self) -> VideoFormat:
        if (self.width is None) != (self.height is None):
            raise ValueError("give both width and height, or neither (the recording's own size)")
        return self

    def size(self, recording_size: tuple[int, int] | None) -> tuple[int, int]:
        """The frame size for a recording of `recording_size` (as displayed; None: no picture)."""
        if self.width is not None and self.height is not None:
            return self.width, self.height
        return recording_size or AUDIOGRAM_SIZE


class VideoSettings(StrictModel):
    formats: list[VideoFormat] = Field(
        default_factory=lambda: [VideoFormat(name="landscape")]
    )
    fps: int = Field(default=24, ge=1, le=60)
    font: str | None = Field(default=None, description="TTF path; default: the bundled DejaVu Sans Bold")
    font_size: int = Field(default=0, ge=0, description="0 = scaled to the frame height")
    text_color: str = "#FFFFFF"
    highlight_color: str = "#FFD400"
    outline_color: str = "#000000"
    outline_width: int = Field(default=3, ge=0, le=12)
    position: Literal["bottom", "middle", "top"] = "bottom"
    highlight_words: bool = True
    crf: int = Field(default=23, ge=0, le=51)
    preset: str = "veryfast"
    audio_bitrate_kbps: int = Field(default=128, ge=32, le=320)

    @property
    def feed_format(self) -> str | None:
        """The format the video feed and the episode pages carry: the first one listed."""
        return self.formats[0].name if self.formats else None


class ClipSettings(StrictModel):
    """The short captioned videos picked from each episode (`pipeline clips`)."""

    count: int = Field(default=3, ge=0, le=10)
    min_seconds: float = Field(default=30.0, ge=5, le=180)
    max_seconds: float = Field(default=60.0, ge=5, le=180)
    formats: list[VideoFormat] = Field(default_factory=lambda: [VideoFormat(name="vertical", width=1080, height=1920)],
                                       min_length=1)
    max_chars_per_line: int = Field(default=18, ge=8, le=42)  # large captions: two short lines

    @model_validator(mode="after")
    def _lengths(self) -> ClipSettings:
        if self.min_seconds > self.max_seconds:
            raise ValueError(f"min_seconds ({self.min_seconds:g}) is longer than max_seconds ({self.max_seconds:g})")
        return self


class S3Settings(StrictModel):
    region: str | None = None
    profile: str | None = None
    endpoint_url: WebUrl | None = None
    acl: str | None = Field(default=None, description="e.g. public-read; none by default")
    multipart_threshold_mb: int = Field(default=8, ge=5)
    max_concurrency: int = Field(default=4, ge=1, le=32)


class LockedSettings(StrictModel):
    locked: bool = True
    owner: str | None = None


class ShowConfig(StrictModel):
    title: str = Field(min_length=1)
    author: str = Field(min_length=1)
    owner: Owner
    description: str = Field(min_length=1)
    language: str = Field(default="en", pattern=r"^[a-z]{2,3}(-[A-Za-z]{2,4})?$")
    categories: list[Category] = Field(min_length=1)
    explicit: bool = False
    cover: str = Field(min_length=1, description="path relative to the project root")
    website: WebUrl
    public_url: WebUrl
    publish_target: str = "public/"
    podcast_guid: str | None = Field(default=None, pattern=r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")
    feed_page_size: int | None = Field(default=None, ge=10)  # RFC 5005: feed.xml holds the newest N, archives the rest
    copyright: str | None = None
    locked: LockedSettings | None = None
    persons: list[Person] = Field(default_factory=list)
    funding: list[Funding] = Field(default_factory=list)
    license: License | None = None
    txt: list[Txt] = Field(default_factory=list)
    update_frequency: Literal[tuple(UPDATE_FREQUENCIES)] | None = None  # type: ignore[valid-type]
    podroll: list[RemoteFeed] = Field(default_factory=list)
    location: Location | None = None
    chat: Chat | None = None
    notify: Notifications = Field(default_factory=Notifications)
    audio: AudioSettings = Field(default_factory=AudioSettings)
    transcription: TranscriptionSettings = Field(default_factory=TranscriptionSettings)
    diarization: DiarizationSettings = Field(default_factory=DiarizationSettings)
    voices: list[Voice] = Field(default_factory=list)
    captions: CaptionSettings = Field(default_factory=CaptionSettings)
    notes: NotesSettings = Field(default_factory=NotesSettings)
    video: VideoSettings = Field(default_factory=VideoSettings)
    clips: ClipSettings = Field(default_factory=ClipSettings)
    s3: S3Settings = Field(default_factory=S3Settings)

    @property
    def public_base(self) -> str:
        return self.public_url.rstrip("/") + "/"


# ---------------------------------------------------------------- episode.yaml


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


class Soundbite(StrictModel):
    """podcast:soundbite: a highlight apps can play as a preview."""

    start: Timestamp
    duration: float = Field(gt=0, le=300)
    title: str | None = Field(default=None, max_length=128)

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
    glossary: list[str] = Field(default_factory=list)
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


# ---------------------------------------------------------------- loading and error reporting


def _describe(value: Any) -> str:
    text = repr(value.isoformat()) if isinstance(value, datetime) else repr(value)
    return text if len(text) <= 60 else text[:57] + "…"


def _location(loc: tuple[Any, ...]) -> str:
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        elif part in ("function-after", "function-before") or str(part).startswith(
                ("function-", "lax-", "recording-", "speakers-")):
            continue
        else:
            out += f".{part}" if out else str(part)
    return out or "(top level)"


def _expected(error: dict[str, Any]) -> str:
    kind = error["type"]
    if kind == "missing":
        return "is required"
    if kind == "timezone_aware":
        return "needs a time zone, e.g. 2026-11-23T09:00:00-08:00"
    if kind == "string_type":
        return "must be text (a name or a file name; quote it in YAML)"
    if kind in ("datetime_parsing", "datetime_from_date_parsing", "datetime_type"):
        return "must be a date and time with zone, e.g. 2026-11-23T09:00:00-08:00"
    if kind == "string_pattern_mismatch":
        field = next((str(part) for part in reversed(error["loc"]) if isinstance(part, str)), "")
        return PATTERN_HINTS.get(field, str(error["msg"]))
    message = str(error["msg"])
    return message.removeprefix("Value error, ")


PATTERN_HINTS = {
    "email": "must be an email address like name@example.com",
    "podcast_guid": "must be a lowercase UUID like 9b024349-ccf0-5f69-a609-6b82873eab3c",
    "slug": "must be lowercase words joined by hyphens, like does-massage-help",
    "language": "must be a language code like en or en-US",
    "DOI": "must be a DOI like 10.1016/j.jbmt.2019.06.012 (without https://doi.org/)",
    "PMID": "must be a PubMed id: digits only",
    "name": "must be lowercase letters, digits and hyphens",
}


def format_validation_errors(source: Path, exc: ValidationError) -> list[str]:
    problems = []
    for error in exc.errors():
        where = _location(error["loc"])
        if error["type"] == "missing":
            problems.append(f"{source}: {where}: is required")
        elif not error["loc"]:  # a rule over several keys of the file: its message names them
            problems.append(f"{source}: {_expected(error)}")
        else:
            problems.append(f"{source}: {where}: {_describe(error.get('input'))} {_expected(error)}")
    return problems


def unknown_key_warnings(source: Path, data: Any, model: type[BaseModel], prefix: str = "") -> list[str]:
    """Keys the model does not define, with a did-you-mean. CSL-JSON references are free-form."""
    if not isinstance(data, dict) or model.model_config.get("extra") == "allow":
        return []
    warnings = []
    fields = model.model_fields
    for key, value in data.items():
        where = f"{prefix}{key}"
        if key not in fields:
            close = difflib.get_close_matches(str(key), list(fields), n=1)
            hint = f"; did you mean '{close[0]}'?" if close else f"; known keys: {', '.join(fields)}"
            warnings.append(f"{source}: {where}: unknown key, ignored{hint}")
            continue
        sub = _nested_model(fields[key].annotation)
        if sub is None:
            continue
        if isinstance(value, list):
            for index, item in enumerate(value):
                warnings += unknown_key_warnings(source, item, sub, f"{where}[{index}].")
        else:
            warnings += unknown_key_warnings(source, value, sub, f"{where}.")
    return warnings


def _nested_model(annotation: Any) -> type[BaseModel] | None:
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    for arg in getattr(annotation, "__args__", ()) or ():
        found = _nested_model(arg)
        if found is not None:
            return found
    return None


def read_yaml(path: Path, problems: list[str], shown_as: Path | None = None) -> dict[str, Any] | None:
    name = shown_as or path
    if not path.is_file():
        problems.append(f"{name}: file not found")
        return None
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (yaml.YAMLError, UnicodeDecodeError) as exc:
        problems.append(f"{name}: not valid YAML: {exc}".replace("\n", " "))
        return None
    if not isinstance(data, dict):
        problems.append(f"{name}: expected a mapping of keys to values at the top level")
        return None
    return data


ENV_OVERRIDES = {"PUBLISH_TARGET": "publish_target", "PUBLIC_URL": "public_url"}


class Project:
    """Where a show lives on disk: config/, episodes/, build/ and the local publish folder."""

    def __init__(self, root: Path) -> None:
        self.root = Path(root).resolve()
        self.config_dir = self.root / "config"
        self.show_file = self.config_dir / "show.yaml"
        self.episodes_dir = self.root / "episodes"
        self.build_dir = self.root / "build"

    def episode_ids(self) -> list[str]:
        if not self.episodes_dir.is_dir():
            return []
        return sorted(
            p.name for p in self.episodes_dir.iterdir() if p.is_dir() and (p / "episode.yaml").is_file()
        )

    def relative(self, path: Path) -> Path:
        """A path as a creator would type it: relative to the project root when inside it."""
        try:
            return Path(path).resolve().relative_to(self.root)
        except ValueError:
            return Path(path)

    def resolve(self, relative: str) -> Path:
        path = Path(relative)
        return path if path.is_absolute() else self.root / path


class Loaded(BaseModel):
    """The validated configuration of a project: the show and every episode."""

    model_config = ConfigDict(frozen=True, arbitrary_types_allowed=True)

    show: ShowConfig
    episodes: dict[str, Episode]
    warnings: list[str]
    broken: dict[str, list[str]] = Field(default_factory=dict)  # keep_going: episode id → its problems


def check_episode_id(episode_id: str, project: Project) -> None:
    """Refuse ids that are not a plain folder name, or that name no episode."""
    from pipeline.errors import UsageError

    if not episode_id:
        raise UsageError("no episode given", hint="type e.g. make publish EPISODE=463 (a folder under episodes/)")
    if not EPISODE_ID_PATTERN.fullmatch(episode_id):
        raise UsageError(
            f"'{episode_id}' is not an episode id",
            hint="type the name of a folder under episodes/, e.g. make publish EPISODE=463",
        )
    if episode_id not in project.episode_ids():
        known = project.episode_ids()
        raise UsageError(
            f"no episode '{episode_id}': episodes/{episode_id}/episode.yaml does not exist",
            hint=f"type one of: {', '.join(known) or 'none yet'}, e.g. make publish EPISODE={known[0] if known else '463'}",
        )


def _recording_problems(source: Path, folder: Path, recording: object) -> list[str]:
    if isinstance(recording, dict) and isinstance(recording.get("tracks"), list):
        files = [(f"recording.tracks[{i}].file", t.get("file")) for i, t in enumerate(recording["tracks"]) if isinstance(t, dict)]
    else:
        files = [("recording", recording)]
    problems = []
    for where, name in files:
        if not isinstance(name, str) or not name:
            continue  # reported by the model: missing or not a string
        path = folder / name
        if not path.is_file():
            problems.append(f"{source}: {where}: {name!r} does not exist in {source.parent}/")
        elif path.resolve().parent != folder.resolve():
            problems.append(f"{source}: {where}: {name!r} must be a file in the episode's folder")
    return problems


def _voice_problems(source: Path, project: Project, voices: object) -> list[str]:
    if not isinstance(voices, list):
        return []
    return [f"{source}: voices[{i}].sample: {v['sample']!r} does not exist (paths are relative to the project folder)"
            for i, v in enumerate(voices)
            if isinstance(v, dict) and isinstance(v.get("sample"), str) and not project.resolve(v["sample"]).is_file()]


class _Claims:
    """What must differ from one episode to the next: the feed's guid, and the season and number.

    An episode without `guid` gets its guid from its number alone, so no two of those share a number, whatever
    their seasons. Imported episodes keep their old feed's guids, seasons and numbers: two seasons that both
    number from 1 are fine, and so is a number the old feed gave twice, as long as each has its own guid."""

    def __init__(self) -> None:
        self.guids: dict[str, str] = {}
        self.derived: dict[int, str] = {}
        self.places: dict[tuple[int | None, int], tuple[str, bool]] = {}

    def claim(self, episode_id: str, config: EpisodeConfig) -> list[str]:
        problems = []
        if config.guid is not None:
            if config.guid in self.guids:
                problems.append(f"guid: {config.guid!r} is also episodes/{self.guids[config.guid]}'s; podcast apps "
                                "would take the two for one episode, so each needs its own")
            self.guids.setdefault(config.guid, episode_id)
        if config.number is None:
            return problems
        place = (config.season, config.number)
        where = f"number: {config.number}" + (f" (season {config.season})" if config.season is not None else "")
        if config.guid is None and config.number in self.derived:
            problems.append(f"{where} is already used by episodes/{self.derived[config.number]}; each episode needs "
                            "its own number (its guid in the feed is made from the number alone, whatever the "
                            "season), or a `guid` of its own")
        elif place in self.places and not (config.guid is not None and self.places[place][1]):
            problems.append(f"{where} is already used by episodes/{self.places[place][0]}; each episode needs its "
                            "own number" + (" in its season" if config.season is not None else ""))
        if config.guid is None:
            self.derived.setdefault(config.number, episode_id)
        self.places.setdefault(place, (episode_id, config.guid is not None))
        return problems


def load_project(project: Project, environ: dict[str, str] | None = None, *, keep_going: bool = False) -> Loaded:
    """Load and validate show.yaml and every episode.yaml; raise ConfigError with every problem.

    With `keep_going` (a batch build), an episode with problems is left out and listed in `broken` instead;
    only the show's own problems raise."""
    environ = dict(os.environ if environ is None else environ)
    problems: list[str] = []
    warnings: list[str] = []
    show_file = project.relative(project.show_file)

    show: ShowConfig | None = None
    raw_show = read_yaml(project.show_file, problems, show_file)
    if raw_show is not None:
        warnings += unknown_key_warnings(show_file, raw_show, ShowConfig)
        for variable, key in ENV_OVERRIDES.items():
            if environ.get(variable):
                raw_show[key] = environ[variable]
        cover = raw_show.get("cover")
        if isinstance(cover, str) and cover and not project.resolve(cover).is_file():
            problems.append(f"{show_file}: cover: {cover!r} does not exist (paths are relative to the project folder)")
        problems += _voice_problems(show_file, project, raw_show.get("voices"))
        try:
            show = ShowConfig.model_validate(raw_show)
        except ValidationError as exc:
            problems += format_validation_errors(show_file, exc)

    episodes: dict[str, Episode] = {}
    broken: dict[str, list[str]] = {}
    claims = _Claims()
    for episode_id in project.episode_ids():
        path = project.episodes_dir / episode_id / "episode.yaml"
        source = project.relative(path)
        own: list[str] = []
        raw = read_yaml(path, own, source)
        if raw is not None:
            warnings += unknown_key_warnings(source, raw, EpisodeConfig)
            own += _recording_problems(source, path.parent, raw.get("recording"))
            try:
                config = EpisodeConfig.model_validate(raw)
            except ValidationError as exc:
                own += format_validation_errors(source, exc)
            else:
                own += [f"{source}: {problem}" for problem in claims.claim(episode_id, config)]
                if not own or not keep_going:
                    episodes[episode_id] = Episode(id=episode_id, folder=path.parent, config=config)
        if own:
            broken[episode_id] = own
            problems += [] if keep_going else own

    if problems or show is None:
        raise ConfigError(problems + [f"(warning) {w}" for w in warnings])
    return Loaded(show=show, episodes=episodes, warnings=warnings, broken=broken)
