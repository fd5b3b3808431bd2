"""Probe media files with PyAV (the project has no ffprobe)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from pipeline.errors import InputError


@dataclass(frozen=True)
class MediaInfo:
    path: Path
    duration: float
    has_audio: bool
    has_video: bool
    width: int = 0
    height: int = 0
    rotation: int = 0
    audio_channels: int = 0
    sample_rate: int = 0
    frame_rate: float | None = None  # of the picture; None without one, or when it is not worth trusting

    @property
    def display_size(self) -> tuple[int, int] | None:
        """The picture's size as shown (a phone's portrait video is stored landscape with a rotation)."""
        if not self.has_video or not self.width or not self.height:
            return None
        return (self.height, self.width) if abs(self.rotation) % 180 == 90 else (self.width, self.height)


def probe(path: Path) -> MediaInfo:
    """Duration and streams of a recording; InputError naming the file for anything unusable."""
    import av

    path = Path(path)
    if not path.is_file():
        raise InputError(f"{path}: file not found", hint="check the `recording` key in episode.yaml")
    if path.stat().st_size == 0:
        raise InputError(f"{path}: the file is empty", hint="export the recording again")
    try:
        with av.open(str(path)) as container:
            audio = next(iter(container.streams.audio), None)
            video = next((s for s in container.streams.video if not _is_cover_art(s)), None)
            duration = _duration(container, audio or video)
            info = MediaInfo(
                path=path,
                duration=duration,
                has_audio=audio is not None,
                has_video=video is not None,
                width=video.codec_context.width if video else 0,
                height=video.codec_context.height if video else 0,
                rotation=_rotation(video) if video else 0,
                audio_channels=audio.codec_context.channels if audio else 0,
                sample_rate=audio.codec_context.sample_rate if audio else 0,
                frame_rate=_frame_rate(video) if video else None,
            )
            if audio is not None:
                _decode_last_seconds(container, audio, duration)
    except av.error.FFmpegError as exc:
        raise InputError(
            f"{path}: not a recognised audio or video format (ffmpeg says: {exc.strerror or exc})",
            hint="export the recording again as MP3, WAV, M4A, MP4 or MOV",
        ) from exc
    if not info.has_audio:
        raise InputError(f"{path}: has no audio stream", hint="use a recording with sound")
    if info.duration <= 0.1:
        raise InputError(f"{path}: the audio is empty (duration {info.duration:.2f} s)", hint="export the recording again")
    return info


def _frame_rate(stream) -> float | None:  # type: ignore[no-untyped-def]
    rate = stream.average_rate or stream.guessed_rate
    return float(rate) if rate is not None and 1 <= float(rate) <= 60 else None


def _is_cover_art(stream) -> bool:  # type: ignore[no-untyped-def]
    return bool(stream.disposition & 0x400) if hasattr(stream, "disposition") else False  # AV_DISPOSITION_ATTACHED_PIC


def _duration(container, stream) -> float:  # type: ignore[no-untyped-def]
    if stream is not None and stream.duration is not None and stream.time_base is not None:
        return float(stream.duration * stream.time_base)
    if container.duration is not None:
        return container.duration / 1_000_000
    return 0.0


def _rotation(stream) -> int:  # type: ignore[no-untyped-def]
    try:
        frame = next(stream.container.decode(stream))
        return int(getattr(frame, "rotation", 0) or 0)
    except (StopIteration, Exception):
        return 0


def _decode_last_seconds(container, audio, duration: float) -> None:  # type: ignore[no-untyped-def]
    """Decode the end of the audio: a truncated file fails here rather than deep inside a stage."""
    import av

    name = container.name
    container.seek(int(max(0.0, duration - 2.0) / audio.time_base), stream=audio, any_frame=False, backward=True)
    audio_end = 0.0
    try:
        for frame in container.decode(audio):
            if frame.time is not None and frame.sample_rate:
                audio_end = max(audio_end, frame.time + frame.samples / frame.sample_rate)
    except av.error.InvalidDataError as exc:
        raise InputError(f"{name}: the audio is damaged near the end ({exc})",
                         hint="the file looks truncated: export or copy it again") from exc
    if audio_end <= 0.0:
        raise InputError(f"{name}: no audio could be decoded", hint="the file looks truncated: export or copy it again")
    if duration > 1.0 and audio_end < duration - 1.0:
        raise InputError(
            f"{name}: the file says it lasts {duration:.1f} s but its audio stops at {audio_end:.1f} s",
            hint="the file looks truncated: export or copy it again",
        )
