"""Render one captioned MP4: moviepy makes the caption frames, ffmpeg does everything it is best at.

One ffmpeg process decodes the picture (the recording, or the audiogram's still background, looped in
memory), scales and pads it to the frame, draws the progress bar, blends the caption band that arrives
on stdin as yuva420p, encodes H.264 + AAC and muxes a mov_text subtitle track, with +faststart.
Python only sends the small caption band, and most of its frames are the same array sent again.
"""

from __future__ import annotations

import math
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, replace
from fractions import Fraction
from pathlib import Path

from pipeline.atomic import atomic_path
from pipeline.formats.captions import Cue
from pipeline.progress import advance_to, progress_bar
from pipeline.tools.ffmpeg import feed_ffmpeg, run_ffmpeg
from pipeline.video.layer import PIXEL_FORMAT, CaptionClip, frame_times
from pipeline.video.style import RGB, Box, CaptionStyle, even


@dataclass(frozen=True)
class Bar:
    """Where ffmpeg draws a moving bar (the progress bar, the level meter), and in which colour."""

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
    crf: int = 23
    preset: str = "veryfast"
    audio_bitrate_kbps: int = 128
    progress: Bar | None = None  # grows from left to right over the whole duration
    level_meter: Bar | None = None  # follows the loudness of the audio, growing from its centre
    audio_start: float = 0.0  # seconds into `audio` (and into a moving `picture`) where the video begins: a clip
    crop: bool = False  # fill the frame, cutting the picture's edges (a clip), instead of fitting it whole
    overlay: Path | None = None  # a still RGBA image over the picture, under the captions (a clip's titles)


def frame_rate(fps: float) -> str:
    """An exact rate for ffmpeg: 29.97002997 → '30000/1001', 24.0 → '24'."""
    return str(Fraction(fps).limit_denominator(1001))


def _hex(color: RGB) -> str:
    return "0x{:02X}{:02X}{:02X}".format(*color)


def filter_graph(spec: RenderSpec, band: Box | None, caption_input: int, overlay_input: int = -1) -> str:
    """The ffmpeg filtergraph: picture → base frame → progress bar → level meter → caption band → [v]."""
    w, h, fps = spec.width, spec.height, frame_rate(spec.fps)
    if spec.picture_is_still:
        # One decoded frame repeated in memory; `-loop 1` would decode the image again for every frame.
        chain = [f"[0:v]scale={w}:{h},setsar=1,format=yuv420p,loop=loop=-1:size=1:start=0[base]"]
    else:
        # Fit the picture into the frame, or fill it cutting the edges (ffmpeg has already applied any rotation);
        # a picture shorter than the audio holds its last frame.
        fit = (f"scale={w}:{h}:force_original_aspect_ratio=increase,crop={w}:{h}" if spec.crop else
               f"scale={w}:{h}:force_original_aspect_ratio=decrease,pad={w}:{h}:(ow-iw)/2:(oh-ih)/2")
        chain = [f"[0:v]{fit},setsar=1,fps={fps},format=yuv420p,tpad=stop=-1:stop_mode=clone[base]"]
    label = "base"
    if spec.progress is not None:
        box = spec.progress.box
        chain.append(f"color=c={_hex(spec.progress.color)}:s={box.width}x{box.height}:r={fps}[bar]")
        chain.append(f"[{label}][bar]overlay=x='{box.x}-w+w*t/{spec.duration:.3f}':y={box.y}:eval=frame[progress]")
        label = "progress"
    if spec.level_meter is not None:
        box = spec.level_meter.box
        r, g, b = spec.level_meter.color
        # A level meter growing from the centre: ffmpeg's showvolume for one half, mirrored for the other.
        chain.append(f"[1:a]aformat=channel_layouts=mono,showvolume=r={fps}:w={box.width // 2}:h={box.height}:b=0:f=0.6:"
                     f"t=0:v=0:m=r:ds=log:c=0xFF{b:02X}{g:02X}{r:02X},format=yuva420p,split[right][mirror];"
                     f"[mirror]hflip[left];[left][right]hstack[wave]")
        chain.append(f"[{label}][wave]overlay=x={box.x}:y={box.y}:format=yuv420:eof_action=pass[metered]")
        label = "metered"
    if overlay_input >= 0:  # one image: overlay repeats its only frame for the whole video
        chain.append(f"[{label}][{overlay_input}:v]overlay=x=0:y=0:format=yuv420[titled]")
        label = "titled"
    if band is not None:
        chain.append(
            f"[{label}][{caption_input}:v]overlay=x={band.x}:y={band.y}:format=yuv420:eof_action=pass:repeatlast=0[v]"
        )
    else:
        chain.append(f"[{label}]null[v]")
    return ";".join(chain)


def ffmpeg_arguments(spec: RenderSpec, target: Path, band: Box | None) -> list[str]:
    # Progress comes from the frames we send; without a caption pipe, from ffmpeg's own stats lines.
    args: list[str | Path] = ["-nostats" if band is not None else "-stats", "-loglevel", "warning"]
    seek = ["-ss", f"{spec.audio_start:.3f}"] if spec.audio_start else []
    if spec.picture_is_still:
        args += ["-framerate", frame_rate(spec.fps), "-i", spec.picture]
    else:
        args += [*seek, "-i", spec.picture]
    args += [*seek, "-i", spec.audio]
    inputs = 2
    caption_input = -1
    if band is not None:
        args += ["-f", "rawvideo", "-pix_fmt", PIXEL_FORMAT, "-s", f"{band.width}x{band.height}",
                 "-framerate", frame_rate(spec.fps), "-i", "pipe:0"]
        caption_input, inputs = inputs, inputs + 1
    overlay_input = -1
    if spec.overlay is not None:
        args += ["-i", spec.overlay]
        overlay_input, inputs = inputs, inputs + 1
    subtitle_input = -1
    if spec.subtitles is not None:
        args += ["-i", spec.subtitles]
        subtitle_input = inputs
    args += ["-filter_complex", filter_graph(spec, band, caption_input, overlay_input), "-map", "[v]", "-map", "1:a:0"]
    if subtitle_input >= 0:
        args += ["-map", f"{subtitle_input}:s:0", "-c:s", "mov_text", "-metadata:s:s:0", f"language={spec.language}",
                 "-metadata:s:s:0", "handler_name=Captions"]
    args += [
        "-c:v", "libx264", "-preset", spec.preset, "-crf", str(spec.crf), "-pix_fmt", "yuv420p",
        "-profile:v", "high", "-r", frame_rate(spec.fps),
        "-c:a", "aac", "-b:a", f"{spec.audio_bitrate_kbps}k",
        "-t", f"{spec.duration:.3f}", "-movflags", "+faststart", "-f", "mp4", target,
    ]
    return [str(arg) for arg in args]


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


def render(spec: RenderSpec, description: str = "rendering video") -> Path:
    """Write `spec.output` atomically; ToolError if ffmpeg fails, nothing left behind."""
    width, height = even(spec.width), even(spec.height)
    if (width, height) != (spec.width, spec.height):
        spec = replace(spec, width=width, height=height)
    what = f"rendering {spec.output.name}"
    with atomic_path(spec.output) as target:
        if spec.cues:
            clip = CaptionClip(spec.style, width, height, spec.cues, spec.duration)
            args = ffmpeg_arguments(spec, target, clip.painter.band)
            feed_ffmpeg(args, _frames(clip, spec.duration, spec.fps, description), what=what)
        else:
            args = ffmpeg_arguments(spec, target, None)
            with progress_bar(math.ceil(spec.duration), description) as bar:
                run_ffmpeg(args, what=what, on_progress=lambda seconds: advance_to(bar, seconds))
    return spec.output
