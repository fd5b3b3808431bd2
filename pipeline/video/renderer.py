"""Render one captioned MP4: moviepy makes the caption frames, ffmpeg does everything it is best at.

One ffmpeg process decodes the picture, scales and pads it to the frame, draws the progress bar, blends
the caption band that arrives on stdin as yuva420p, encodes H.264 + AAC and muxes a mov_text subtitle
track, with +faststart. Python only sends the small caption band. An episode's videos (`render_formats`) are
rendered as pictures alone, and ingest's AAC soundtrack is copied into each.

Over a recording, every frame of the recording's rate is sent (most of them the same array again). Over a
still picture (an audiogram) the picture changes only when the captions do, so only those frames are sent,
each with its time (layer.changed_frames), plus one every PROGRESS_STEP_SECONDS or so for the progress
bar: the band's frames drive the whole graph, and the MP4 carries them with variable timing. A two-hour
audiogram is then a few frames a second to compose and encode instead of 24; each frame is still on the
grid of the configured rate, so a caption appears on the same frame as in a constant-rate video.
"""

from __future__ import annotations

import math
import tempfile
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, replace
from fractions import Fraction
from pathlib import Path
from typing import Any

from pipeline.atomic import atomic_path
from pipeline.audio.normalise import AacFormat
from pipeline.formats.captions import Cue
from pipeline.progress import advance_to, progress_bar
from pipeline.tools.ffmpeg import feed_ffmpeg, run_ffmpeg
from pipeline.video.layer import PIXEL_FORMAT, CaptionClip, changed_frames, frame_times, timed_stream
from pipeline.video.style import RGB, Box, CaptionStyle, even

PROGRESS_STEP_SECONDS = 0.5  # over a still picture the progress bar moves at least this often, and never finer than a pixel


@dataclass(frozen=True)
class Bar:
    """Where ffmpeg draws the progress bar, and in which colour."""

    box: Box
    color: RGB


@dataclass(frozen=True)
class RenderSpec:
    output: Path
    audio: Path
    duration: float  # of the audio: the video lasts exactly as long
    width: int
    height: int
    fps: float
    cues: Sequence[Cue]
    style: CaptionStyle
    picture: Path  # a recording with a video stream, or a still image (the audiogram's background)
    picture_is_still: bool = False
    subtitles: Path | None = None  # WebVTT, muxed as a soft mov_text track
    language: str = "und"  # ISO 639-2, for the subtitle track
    translations: tuple[tuple[Path, str], ...] = ()  # more WebVTT tracks after it: (file, ISO 639-2), e.g. English
    crf: int = 23
    preset: str = "veryfast"
    audio_bitrate_kbps: int = 128
    progress: Bar | None = None  # grows from left to right over the whole duration
    audio_start: float = 0.0  # seconds into `audio` (and into a moving `picture`) where the video begins: a clip
    crop: bool = False  # fill the frame, cutting the picture's edges (a clip), instead of fitting it whole
    overlay: Path | None = None  # a still RGBA image over the picture, under the captions (a clip's titles)


def frame_rate(fps: float) -> str:
    """An exact rate for ffmpeg: 29.97002997 → '30000/1001', 24.0 → '24'."""
    return str(Fraction(fps).limit_denominator(1001))


def _hex(color: RGB) -> str:
    return "0x{:02X}{:02X}{:02X}".format(*color)


def filter_graph(spec: RenderSpec, band: Box | None, caption_input: int, overlay_input: int = -1) -> str:
    """The ffmpeg filtergraph: picture → base frame → progress bar → caption band → [v].

    Over a still picture the caption band's frames set the times of the output's: the band, padded to the
    frame, is the clock that the still picture is laid over."""
    w, h, fps = spec.width, spec.height, frame_rate(spec.fps)
    if spec.picture_is_still:
        chain = [f"[{caption_input}:v]split[band][clock]", f"[clock]pad={w}:{h},format=yuv420p[grid]",
                 f"[0:v]scale={w}:{h},setsar=1,format=yuv420p[still]", "[grid][still]overlay=x=0:y=0[base]"]
        caption_input_label = "band"
    else:
        # Fit the picture into the frame, or fill it cutting the edges (ffmpeg has already applied any rotation);
        # a picture shorter than the audio holds its last frame.
        fit = (f"scale={w}:{h}:force_original_aspect_ratio=increase,crop={w}:{h}" if spec.crop else
               f"scale={w}:{h}:force_original_aspect_ratio=decrease,pad={w}:{h}:(ow-iw)/2:(oh-ih)/2")
        chain = [f"[0:v]{fit},setsar=1,fps={fps},format=yuv420p,tpad=stop=-1:stop_mode=clone[base]"]
        caption_input_label = f"{caption_input}:v"
    label = "base"
    if spec.progress is not None:
        box = spec.progress.box
        chain.append(f"[{label}]drawbox=x={box.x}:y={box.y}:w='max(1,{box.width}*t/{spec.duration:.3f})':h={box.height}:"
                     f"color={_hex(spec.progress.color)}:t=fill[progress]")
        label = "progress"
    if overlay_input >= 0:  # one image: overlay repeats its only frame for the whole video
        chain.append(f"[{label}][{overlay_input}:v]overlay=x=0:y=0:format=yuv420[titled]")
        label = "titled"
    if band is not None:
        chain.append(f"[{label}][{caption_input_label}]overlay=x={band.x}:y={band.y}:format=yuv420:eof_action=pass:"
                     f"repeatlast=0[v]")
    else:
        chain.append(f"[{label}]null[v]")
    return ";".join(chain)


def ffmpeg_arguments(spec: RenderSpec, target: Path, band: Box | None, *, sound: bool = True) -> list[str]:
    """One render's ffmpeg command line; without `sound`, the picture alone (no audio, no subtitles), to be muxed
    with a soundtrack encoded elsewhere (`mux`)."""
    # Progress comes from the frames we send; without a caption pipe, from ffmpeg's own stats lines.
    args: list[str | Path] = ["-nostats" if band is not None else "-stats", "-loglevel", "warning"]
    seek = ["-ss", f"{spec.audio_start:.3f}"] if spec.audio_start else []
    args += ["-i", spec.picture] if spec.picture_is_still else [*seek, "-i", spec.picture]
    inputs = 1
    if sound:
        args += [*seek, "-i", spec.audio]
        inputs += 1
    caption_input = -1
    if band is not None:
        if spec.picture_is_still:  # the frames that change, with their times
            args += ["-f", "nut", "-i", "pipe:0"]
        else:
            args += ["-f", "rawvideo", "-pix_fmt", PIXEL_FORMAT, "-s", f"{band.width}x{band.height}",
                     "-framerate", frame_rate(spec.fps), "-i", "pipe:0"]
        caption_input, inputs = inputs, inputs + 1
    overlay_input = -1
    if spec.overlay is not None:
        args += ["-i", spec.overlay]
        overlay_input, inputs = inputs, inputs + 1
    if sound:
        args += [arg for path, _language, _title in subtitle_tracks(spec) for arg in ("-i", path)]
    args += ["-filter_complex", filter_graph(spec, band, caption_input, overlay_input), "-map", "[v]"]
    if sound:
        args += ["-map", "1:a:0", *_subtitle_track(spec, inputs)]
    args += [
        "-c:v", "libx264", "-preset", spec.preset, "-crf", str(spec.crf), "-pix_fmt", "yuv420p",
        "-profile:v", "high", *(["-fps_mode", "passthrough"] if spec.picture_is_still else ["-r", frame_rate(spec.fps)]),
    ]
    if sound:
        args += [*AacFormat(spec.audio_bitrate_kbps).encoder_args(), "-movflags", "+faststart"]
    args += ["-t", f"{spec.duration:.3f}", "-f", "mp4", target]
    return [str(arg) for arg in args]


def subtitle_tracks(spec: RenderSpec) -> list[tuple[Path, str, str]]:
    """(WebVTT file, ISO 639-2 language, track name) of each soft subtitle track, the captions first."""
    if spec.subtitles is None:
        return []
    return [(spec.subtitles, spec.language, "Captions"),
            *((path, language, f"Captions ({language})") for path, language in spec.translations)]


def _subtitle_track(spec: RenderSpec, index: int) -> list[str]:
    """The WebVTT inputs from `index` on as soft mov_text tracks, each with its language; nothing without subtitles."""
    args: list[str] = []
    for number, (_path, language, title) in enumerate(subtitle_tracks(spec)):
        args += ["-map", f"{index + number}:s:0", f"-metadata:s:s:{number}", f"language={language}",
                 f"-metadata:s:s:{number}", f"handler_name={title}"]
    return [*args, "-c:s", "mov_text"] if args else []


def _frames(clip: CaptionClip, duration: float, fps: float, description: str) -> Iterator[memoryview]:
    times = list(frame_times(duration, fps))
    per_second = max(1, round(fps))
    with progress_bar(math.ceil(duration), description) as bar:
        previous = None
        for number, t in enumerate(times):
            frame = clip.get_frame(t)
            if frame is not previous:  # the same array again: nothing to convert, just send the bytes
                view = memoryview(frame).cast("B")
                previous = frame
            yield view
            if number % per_second == per_second - 1:
                bar.update(1)


def _changed_frames(clip: CaptionClip, spec: RenderSpec, description: str) -> Iterator[bytes]:
    band = clip.painter.band
    bar_width = spec.progress.box.width if spec.progress else 1
    every = max(1, round(spec.fps * max(PROGRESS_STEP_SECONDS, spec.duration / bar_width)))
    with progress_bar(math.ceil(spec.duration), description) as bar:
        frames = changed_frames(clip, spec.fps, every)
        yield from timed_stream(_reporting(frames, spec.fps, bar), band.width, band.height, Fraction(frame_rate(spec.fps)))


def _reporting(frames: Iterator[tuple[int, Any]], fps: float, bar: Any) -> Iterator[tuple[int, Any]]:
    for number, frame in frames:
        advance_to(bar, number / fps)
        yield number, frame


def render(spec: RenderSpec, description: str = "rendering video") -> Path:
    """Write `spec.output` atomically, picture and sound in one ffmpeg; ToolError if ffmpeg fails, nothing left
    behind."""
    with atomic_path(spec.output) as target:
        _render_to(spec, target, description, sound=True)
    return spec.output


def render_formats(specs: Sequence[RenderSpec], descriptions: Sequence[str], soundtrack: Path) -> list[Path]:
    """Renders of one sound in several formats (an episode's videos), each written atomically: the pictures are
    rendered alone and `soundtrack`, that sound already encoded as AAC (by ingest, beside the MP3), is copied
    into each. ffmpeg's AAC encoder uses one core: about 110 s of a two-hour stereo episode, once instead of per format."""
    with tempfile.TemporaryDirectory(prefix="render-") as scratch:
        for index, (spec, description) in enumerate(zip(specs, descriptions, strict=True)):
            picture = Path(scratch) / f"picture-{index}.mp4"
            _render_to(spec, picture, description, sound=False)
            with atomic_path(spec.output) as target:
                mux(picture, soundtrack, spec, target)
    return [spec.output for spec in specs]


def mux(picture: Path, soundtrack: Path, spec: RenderSpec, target: Path) -> None:
    """A picture-only MP4 and an AAC soundtrack copied into `target`, with `spec`'s subtitles, +faststart."""
    subtitles: list[str | Path] = [arg for path, _language, _title in subtitle_tracks(spec) for arg in ("-i", path)]
    run_ffmpeg(["-loglevel", "warning", "-i", picture, "-i", soundtrack, *subtitles, "-map", "0:v:0", "-map", "1:a:0",
                *_subtitle_track(spec, 2), "-c:v", "copy", "-c:a", "copy", "-movflags", "+faststart", "-f", "mp4", target],
               what=f"muxing {spec.output.name}")


def _render_to(spec: RenderSpec, target: Path, description: str, *, sound: bool) -> None:
    width, height = even(spec.width), even(spec.height)
    if (width, height) != (spec.width, spec.height):
        spec = replace(spec, width=width, height=height)
    what = f"rendering {spec.output.name}"
    if spec.picture_is_still:  # even without captions: the band's frames are the video's clock
        clip = CaptionClip(spec.style, width, height, spec.cues, spec.duration)
        args = ffmpeg_arguments(spec, target, clip.painter.band, sound=sound)
        feed_ffmpeg(args, _changed_frames(clip, spec, description), what=what)
    elif spec.cues:
        clip = CaptionClip(spec.style, width, height, spec.cues, spec.duration)
        args = ffmpeg_arguments(spec, target, clip.painter.band, sound=sound)
        feed_ffmpeg(args, _frames(clip, spec.duration, spec.fps, description), what=what)
    else:
        args = ffmpeg_arguments(spec, target, None, sound=sound)
        with progress_bar(math.ceil(spec.duration), description) as bar:
            run_ffmpeg(args, what=what, on_progress=lambda seconds: advance_to(bar, seconds))
