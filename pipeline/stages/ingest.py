"""Stage `ingest`: probe the recording; write the ASR WAV and the loudness-normalised, tagged podcast MP3.

Two steps, so Make can redo the cheap one alone:
  audio  decode once: asr.wav (16 kHz mono) and the first loudnorm pass, then the second pass → normalised.mp3
  tags   normalised.mp3 + ID3v2.4 tags, cover art and chapters (once chapters.json exists) → <slug>.mp3
"""

from __future__ import annotations

import argparse
import json
import logging
import re
import shutil
from dataclasses import dataclass
from pathlib import Path

from pipeline.atomic import atomic_path
from pipeline.context import Context
from pipeline.errors import InputError, ToolError
from pipeline.formats.chapters import ChapterMark, marks_from_document
from pipeline.progress import advance_to, progress_bar
from pipeline.tools.ffmpeg import run_ffmpeg
from pipeline.tools.media import probe
from pipeline.transcription import SAMPLE_RATE  # the rate Whisper listens at

log = logging.getLogger(__name__)

STEPS = ("all", "audio", "tags")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--step", choices=STEPS, default="all",
        help="audio: decode and normalise; tags: write ID3 tags, cover and chapters; all: both (default)",
    )


def run(ctx: Context) -> list[Path]:
    step = ctx.option("step", "all")
    written: list[Path] = []
    if step in ("all", "audio"):
        written += make_audio(ctx)
    if step in ("all", "tags"):
        written.append(tag_podcast_mp3(ctx))
    return written


# ---------------------------------------------------------------- audio


@dataclass(frozen=True)
class LoudnessTarget:
    integrated: float
    true_peak: float
    loudness_range: float

    def filter(self, measured: dict[str, str] | None = None) -> str:
        base = f"loudnorm=I={self.integrated}:TP={self.true_peak}:LRA={self.loudness_range}"
        if measured is None:
            return base + ":print_format=json"
        return (
            f"{base}:measured_I={measured['input_i']}:measured_TP={measured['input_tp']}"
            f":measured_LRA={measured['input_lra']}:measured_thresh={measured['input_thresh']}"
            f":offset={measured['target_offset']}:linear=true:print_format=json"
        )


def parse_loudnorm_json(stderr: str, source: Path | str = "the recording") -> dict[str, str]:
    """The JSON block loudnorm prints at the end of a pass."""
    blocks = re.findall(r"\{[^{}]*\"input_i\"[^{}]*\}", stderr)
    if not blocks:
        raise ToolError("ffmpeg's loudnorm printed no measurement", hint="run with -v to see ffmpeg's output")
    data = json.loads(blocks[-1])
    if data.get("input_i") in ("-inf", "inf") or data.get("input_tp") in ("-inf",):
        raise InputError(f"{source}: the recording is silent: loudness cannot be measured",
                         hint="check the recording has sound, or that the right file is named in episode.yaml")
    return data


def make_audio(ctx: Context) -> list[Path]:
    paths = ctx.paths
    info = probe(ctx.episode.recording)
    settings = ctx.show.audio
    target = LoudnessTarget(settings.loudness_lufs, settings.true_peak_db, settings.loudness_range)
    # Loudness is measured on the output channel layout: a mono voice duplicated to stereo is 3 LU louder.
    layout = "stereo" if settings.channels == 2 else "mono"
    shape = f"aformat=channel_layouts={layout}"

    with atomic_path(paths.asr_wav) as asr_tmp:
        with progress_bar(info.duration, "measure loudness") as bar:
            stderr = run_ffmpeg(
                [
                    "-i", ctx.episode.recording,
                    "-filter_complex",
                    f"[0:a:0]asplit=2[loud][asr];[loud]{shape},{target.filter()}[measured];"
                    f"[asr]aresample={SAMPLE_RATE},aformat=sample_fmts=s16:channel_layouts=mono[speech]",
                    "-map", "[measured]", "-f", "null", "-",
                    "-map", "[speech]", "-c:a", "pcm_s16le", "-f", "wav", asr_tmp,
                ],
                what=f"decoding {ctx.episode.recording.name}",
                on_progress=lambda seconds: advance_to(bar, seconds),
            )
        measured = parse_loudnorm_json(stderr, ctx.episode.recording)
        log.info("measured %s LUFS, %s dBTP; normalising to %s LUFS", measured["input_i"], measured["input_tp"],
                 settings.loudness_lufs)
        with atomic_path(paths.normalised_mp3) as mp3_tmp, progress_bar(info.duration, "normalise loudness") as bar:
            run_ffmpeg(
                [
                    "-i", ctx.episode.recording, "-map", "0:a:0", "-vn",
                    "-af", f"{shape},{target.filter(measured)},aresample={settings.sample_rate}",
                    "-c:a", "libmp3lame", "-b:a", f"{settings.bitrate_kbps}k", "-ar", str(settings.sample_rate),
                    "-ac", str(settings.channels), "-map_metadata", "-1", "-write_xing", "1", "-f", "mp3", mp3_tmp,
                ],
                what="normalising loudness",
                on_progress=lambda seconds: advance_to(bar, seconds),
            )
    return [paths.asr_wav, paths.normalised_mp3]


# ---------------------------------------------------------------- tags


def tag_podcast_mp3(ctx: Context) -> Path:
    from mutagen.id3 import (
        APIC,
        CHAP,
        COMM,
        CTOC,
        ID3,
        TALB,
        TCON,
        TDRC,
        TIT2,
        TIT3,
        TPE1,
        TRCK,
        WOAS,
        WXXX,
        CTOCFlags,
    )
    from mutagen.mp3 import MP3

    paths = ctx.paths
    if not paths.normalised_mp3.is_file():
        raise InputError(f"{paths.normalised_mp3}: not made yet",
                         hint=f"run `pipeline ingest {ctx.episode.id} --step audio` first")
    cover = ctx.cover
    if not cover.is_file():
        raise InputError(f"{cover}: cover image not found", hint="set `cover` in config/show.yaml to an existing JPEG or PNG")
    episode = ctx.episode.config
    chapters: list[ChapterMark] = []

    with atomic_path(paths.podcast_mp3) as tmp:
        shutil.copyfile(paths.normalised_mp3, tmp)
        duration = MP3(tmp).info.length
        if paths.chapters_json.is_file():
            chapters = marks_from_document(json.loads(paths.chapters_json.read_text(encoding="utf-8")), duration)
        tags = ID3()
        tags.add(TIT2(encoding=3, text=episode.title))
        tags.add(TPE1(encoding=3, text=ctx.show.author))
        tags.add(TALB(encoding=3, text=ctx.show.title))
        tags.add(TRCK(encoding=3, text=str(episode.number)))
        tags.add(TDRC(encoding=3, text=episode.date.strftime("%Y-%m-%d")))
        tags.add(TCON(encoding=3, text="Podcast"))
        tags.add(TIT3(encoding=3, text=episode.description))
        tags.add(COMM(encoding=3, lang="eng", desc="", text=episode.description))
        tags.add(WOAS(url=ctx.show.website))
        tags.add(APIC(encoding=3, mime=_image_mime(cover), type=3, desc="Cover", data=cover.read_bytes()))
        if chapters:
            element_ids = [f"chp{index}" for index in range(len(chapters))]
            tags.add(CTOC(element_id="toc", flags=CTOCFlags.TOP_LEVEL | CTOCFlags.ORDERED, child_element_ids=element_ids,
                          sub_frames=[TIT2(encoding=3, text="Chapters")]))
            for element_id, mark in zip(element_ids, chapters, strict=True):
                sub_frames = [TIT2(encoding=3, text=mark.title)]
                if mark.url:
                    sub_frames.append(WXXX(encoding=3, desc="", url=mark.url))
                tags.add(CHAP(element_id=element_id, start_time=round(mark.start * 1000), end_time=round(mark.end * 1000),
                              sub_frames=sub_frames))
        tags.save(tmp, v2_version=4)
    log.info("tagged %s (%d chapters)", paths.podcast_mp3.name, len(chapters))
    return paths.podcast_mp3


def _image_mime(path: Path) -> str:
    from PIL import Image

    try:
        with Image.open(path) as image:
            kind = image.format
    except OSError as exc:
        raise InputError(f"{path}: not a readable image ({exc})", hint="use a JPEG or PNG cover") from exc
    if kind not in ("JPEG", "PNG"):
        raise InputError(f"{path}: the cover is {kind}, not JPEG or PNG", hint="save the cover as JPEG or PNG")
    return "image/jpeg" if kind == "JPEG" else "image/png"
