"""Stage `video`: the captioned MP4 (one per configured format) and the WebVTT beside it.

A recording with a picture gets the captions burned over it, at its own size and frame rate unless the
format gives a size (upright: ffmpeg applies a phone's rotation; a variable frame rate becomes constant);
an audio-only recording becomes an audiogram (cover, titles, progress bar, captions with the spoken word highlighted).
"""

from __future__ import annotations

import argparse
import tempfile
from pathlib import Path

from pipeline.context import Context
from pipeline.errors import InputError, UsageError


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--format", dest="video_formats", action="append", metavar="NAME",
                        help="render only this format from video.formats in show.yaml (repeatable); default: all")


def run(ctx: Context) -> list[Path]:
    from pipeline.atomic import write_bytes, write_text
    from pipeline.edit.document import load_time_map
    from pipeline.formats.captions import build_cues
    from pipeline.formats.languages import text_direction
    from pipeline.formats.subtitles import vtt_text
    from pipeline.formats.transcript import Transcript
    from pipeline.tools.media import probe
    from pipeline.video.audiogram import background, load_cover
    from pipeline.video.captions import CaptionPainter
    from pipeline.video.edit import edited_picture
    from pipeline.video.renderer import Bar, RenderSpec, render_formats
    from pipeline.video.style import caption_style, even
    from pipeline.video.subtitles import iso639_2

    settings = ctx.show.video
    paths = ctx.paths
    style = caption_style(settings, ctx.project.root)
    formats = settings.formats
    wanted = ctx.option("video_formats")
    if wanted:
        unknown = sorted(set(wanted) - {f.name for f in formats})
        if unknown:
            raise UsageError(f"no video format {', '.join(unknown)} in config/show.yaml video.formats",
                             hint=f"use one of: {', '.join(f.name for f in formats)}")
        formats = [f for f in formats if f.name in wanted]

    audio = paths.edited_mp3
    for made in (audio, paths.edited_m4a):
        if not made.is_file():
            raise InputError(f"{made}: no published sound yet",
                             hint=f"run the ingest and edit stages first: pipeline edit {ctx.episode.id}")
    duration = probe(audio).duration
    recording = probe(ctx.episode.recording)
    transcript = Transcript.load(paths.transcript_json)
    captions = ctx.show.captions.for_language(transcript.language)
    cues = [cue for cue in build_cues(transcript.words, captions) if cue.start < duration]
    audiogram = not recording.has_video
    time_map = load_time_map(paths.edit_json)
    if audiogram:
        load_cover(ctx.cover)  # a missing or broken cover fails before anything is written

    if paths.captions_vtt.is_file():
        write_bytes(paths.video_vtt, paths.captions_vtt.read_bytes())
    else:
        right_to_left = text_direction(transcript.language) == "rtl"
        write_text(paths.video_vtt, vtt_text(cues, plain=True, right_to_left=right_to_left))
    written = [paths.video_vtt]

    fps = float(settings.fps) if audiogram else (recording.frame_rate or float(settings.fps))
    specs: list[RenderSpec] = []
    with tempfile.TemporaryDirectory(prefix="video-") as scratch:
        for video_format in formats:
            width, height = (even(side) for side in video_format.size(None if audiogram else recording.display_size))
            picture, progress = ctx.episode.recording, None
            if not audiogram and not time_map.is_identity:
                picture = edited_picture(ctx.episode.recording, (width, height), fps, time_map,
                                         Path(scratch) / f"edited-{video_format.name}.mp4")
            if audiogram:
                band = CaptionPainter(style, width, height, cues).band
                still, layout = background(ctx.cover, ctx.show.title, ctx.episode.config.title, width, height, band, style)
                picture = Path(scratch) / f"background-{video_format.name}.png"
                still.save(picture)
                progress = Bar(layout.progress, style.highlight_color)
            specs.append(RenderSpec(
                output=paths.video_mp4(video_format.name), audio=audio, duration=duration,
                width=width, height=height, fps=fps, cues=cues, style=style,
                picture=picture, picture_is_still=audiogram, progress=progress,
                subtitles=paths.video_vtt if cues else None, language=iso639_2(transcript.language),
                translations=((paths.captions_en_vtt, "eng"),) if paths.captions_en_vtt.is_file() else (),
                crf=settings.crf, preset=settings.preset, audio_bitrate_kbps=settings.audio_bitrate_kbps,
            ))
        written += render_formats(specs, [f"video {video_format.name}" for video_format in formats], paths.edited_m4a)
    return written
