"""show.yaml: `ShowConfig`, the feed's facts and every production setting (audio, transcription, speakers,
captions, notes, video, clips, S3), each with its defaults."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field, model_validator

from pipeline.config.fields import StrictModel, WebUrl
from pipeline.config.vocab import (
    UPDATE_FREQUENCIES,
    Category,
    Chat,
    Funding,
    License,
    Location,
    Owner,
    Person,
    RemoteFeed,
    Txt,
)
from pipeline.formats.languages import caption_limits


class Notifications(StrictModel):
    """Apps told the moment a feed changes: a WebSub hub, and podping (when PODPING_TOKEN is set)."""

    websub_hub: WebUrl | None = None
    podping_url: WebUrl = "https://podping.cloud/"
    attempts: int = Field(default=4, ge=1, le=10)


class Music(StrictModel):
    """An intro or outro: a sound file and how many seconds of it play under the speech, ducked."""

    file: str = Field(min_length=1, description="relative to the project, e.g. config/intro.mp3")
    overlap: float = Field(default=0.0, ge=0, le=30)


class AudioSettings(StrictModel):
    loudness_lufs: float = Field(default=-16.0, ge=-30, le=-10)
    true_peak_db: float = Field(default=-1.0, ge=-9, le=0)
    bitrate_kbps: int = Field(default=128, ge=32, le=320)
    sample_rate: Literal[44100, 48000] = 44100
    channels: Literal[1, 2] = 2
    denoise: bool = Field(default=True, description="noise and hum reduction (DeepFilterNet3) before loudness")
    level_speakers: bool = Field(default=True, description="even out the voices of one mixed recording")
    intro: Music | None = None  # plays first; the speech starts `overlap` s before it ends, the music ducked under it
    outro: Music | None = None  # starts `overlap` s before the speech ends, ducked until it does
    max_pause: float | None = Field(default=None, ge=0.3, le=30, description="longer pauses are shortened to this")

    def overridden(self, changes: BaseModel | None) -> AudioSettings:
        """These settings with an episode's own `audio:` keys (those it sets) in their place."""
        return self.model_copy(update=changes.model_dump(exclude_none=True)) if changes is not None else self


class TranscriptionSettings(StrictModel):
    engine: Literal["faster-whisper", "openai-whisper"] = "faster-whisper"
    model: str = "tiny.en"  # for English episodes
    multilingual_model: str = "base"  # for episodes in any other language, or `language: auto`
    translate_to_english: bool = False  # an English caption track for episodes in other languages
    beam_size: int = Field(default=5, ge=1, le=10)
    threads: int = Field(default=0, ge=0, description="0 = every core")
    vad: bool = True
    coverage: bool = True
    glossary: list[str] = Field(default_factory=list)

    @model_validator(mode="before")
    @classmethod
    def _language_moved(cls, data: object) -> object:
        if isinstance(data, dict) and "language" in data:
            raise ValueError("transcription.language has moved: the spoken language is `language:` at the top of "
                             "show.yaml (the show's) or in an episode.yaml (that episode's, or auto)")
        return data

    def model_for(self, language: str) -> str:
        """The model setting that transcribes `language` (a Whisper code, or auto)."""
        return self.model if language == "en" else self.multilingual_model


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

    def for_language(self, language: str) -> CaptionSettings:
        """These settings within the limits of `language`'s captioning guide (shorter lines, slower reading
        for Chinese, Japanese and Korean)."""
        limits = caption_limits(language, self.max_chars_per_line, self.max_chars_per_second)
        return self.model_copy(update={"max_chars_per_line": limits.max_chars_per_line,
                                       "max_chars_per_second": limits.max_chars_per_second})


class ChapterSettings(StrictModel):
    """Limits for detected chapters; unset, they follow the episode's length (`notes.chapters.chapter_limits`)."""

    min_minutes: float | None = Field(default=None, ge=0.1)
    max_count: int | None = Field(default=None, ge=1, le=100)


class WriterSettings(StrictModel):
    """An OpenAI-compatible chat endpoint the creator runs, to write chapter titles, the summary and clip titles."""

    url: str = Field(pattern=r"^https?://", description="the API base, e.g. http://127.0.0.1:11434/v1 (Ollama)")
    model: str = Field(min_length=1)
    timeout_seconds: float = Field(default=60.0, gt=0, le=600)
    api_key_env: str | None = Field(default=None, pattern=r"^[A-Z_][A-Z0-9_]*$")


class NotesSettings(StrictModel):
    citation_style: str = "apa"
    summary_sentences: int = Field(default=3, ge=2, le=4)
    chapters: ChapterSettings = Field(default_factory=ChapterSettings)
    writer: WriterSettings | None = None  # off by default: titles and summary are extractive
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
    language: str = Field(default="en", pattern=r"^[a-z]{2,3}(-[A-Za-z]{2,4})?$")  # the feed's, and its episodes' spoken one
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
