"""Stage `ingest`: probe the recording; write the ASR WAV and the loudness-normalised, tagged podcast MP3.

Two steps, so Make can redo the cheap one alone:
  audio  decode once: loudness, silences, asr.wav (16 kHz mono) and a WAV of the sound; then gain and a
         limiter on that WAV → normalised.mp3
  tags   normalised.mp3 + ID3v2.4 tags, cover art and chapters (once chapters.json exists) → <slug>.mp3
"""

from __future__ import annotations

import argparse
import json
import logging
import math
import re
import shutil
import tempfile
import wave
from dataclasses import dataclass
from pathlib import Path

from pipeline.atomic import atomic_path, write_text
from pipeline.config.show import AudioSettings
from pipeline.context import Context
from pipeline.errors import InputError, ToolError
from pipeline.formats.chapters import ChapterMark, marks_from_document
from pipeline.formats.times import milliseconds
from pipeline.progress import advance_to, progress_bar
from pipeline.tools.ffmpeg import run_ffmpeg
from pipeline.tools.media import probe
from pipeline.transcription.audio import SAMPLE_RATE  # the rate Whisper listens at

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


LIMITER_MARGIN_DB = 1.5  # the limiter works on samples; this much below the true-peak ceiling keeps the MP3 under it
ENCODE_ATTEMPTS = 3  # an MP3 that misses the loudness or peaks past the ceiling is encoded again, corrected
ENCODER_EXCERPT_SECONDS = 60
GAIN_SEARCH_STEPS = 4  # measurements of the limited sound, at most, to find its gain
LOUDNESS_TOLERANCE_LU = 0.3  # an MP3 further than this from the target (limiter, encoder) is encoded again, gain corrected
SILENCE_DB = -60.0  # quieter than this for SILENCE_SECONDS is silence
SILENCE_SECONDS = 2.0
MOSTLY_SILENT = 0.9  # a recording silent for more than this share of its length gets a warning


@dataclass(frozen=True)
class Measurement:
    """What the first pass measures: integrated loudness (LUFS), sample peak (dBFS) and the silent stretches."""

    integrated: float
    peak: float
    silences: tuple[tuple[float, float], ...]


def parse_ebur128(stderr: str) -> tuple[float, float | None]:
    """Integrated loudness and (when measured) the peak from the summary ffmpeg's ebur128 prints at the end."""
    if "Summary:" not in stderr:
        raise ToolError("ffmpeg's ebur128 printed no summary", hint="run with -v to see ffmpeg's output")
    summary = stderr[stderr.rindex("Summary:"):]
    integrated = re.search(r"I:\s+(-?[\d.]+|-inf|nan) LUFS", summary)
    peak = re.search(r"Peak:\s+(-?[\d.]+|-inf|nan) dBFS", summary)
    if integrated is None:
        raise ToolError("ffmpeg's ebur128 summary has no integrated loudness", hint="run with -v to see ffmpeg's output")
    return float(integrated.group(1)), float(peak.group(1)) if peak else None


def parse_silences(stderr: str, duration: float) -> tuple[tuple[float, float], ...]:
    """(start, end) of every silence ffmpeg's silencedetect reported; one still open at the end closes there."""
    spans: list[tuple[float, float]] = []
    start: float | None = None
    for kind, value in re.findall(r"silence_(start|end): (-?[\d.]+)", stderr):
        if kind == "start":
            start = max(0.0, float(value))
        elif start is not None:
            spans.append((start, float(value)))
            start = None
    if start is not None:
        spans.append((start, duration))
    return tuple(spans)


def sounding(silences: tuple[tuple[float, float], ...], duration: float) -> list[tuple[float, float]]:
    """The complement of `silences` in [0, duration]."""
    spans, position = [], 0.0
    for start, end in silences:
        if start > position:
            spans.append((position, start))
        position = max(position, end)
    if duration > position:
        spans.append((position, duration))
    return spans


def check_silence(measurement: Measurement, duration: float, source: Path) -> str | None:
    """InputError for a silent recording; a warning (returned) for one that is mostly silent."""
    silent = sum(end - start for start, end in measurement.silences)
    if not math.isfinite(measurement.integrated) or measurement.integrated <= -70.0 or silent >= duration - 0.05:
        raise InputError(f"{source}: the recording is silent: loudness cannot be measured",
                         hint="check the recording has sound, or that the right file is named in episode.yaml")
    if silent <= MOSTLY_SILENT * duration:
        return None
    from pipeline.notes.sentences import format_time

    heard = sounding(measurement.silences, duration)
    times = ", ".join(f"{format_time(a)}–{format_time(b)}" for a, b in heard[:10]) + (" …" if len(heard) > 10 else "")
    return (f"{source}: silent for {silent:.0f} of {duration:.0f} s ({silent / duration:.0%}); sound only at {times}. "
            "Check that this is the right file and that every microphone was recorded")


def gain_filters(measurement: Measurement, layout: str, gain_db: float, ceiling_db: float) -> str:
    """The output layout, gain to the target loudness, and a limiter only where the gain would push peaks past
    `ceiling_db` (dBFS)."""
    filters = f"aformat=channel_layouts={layout},volume={gain_db:.2f}dB"
    if measurement.peak + gain_db > ceiling_db:
        filters += f",alimiter=limit={10 ** (ceiling_db / 20):.4f}:level=false:latency=true:attack=5:release=50"
    return filters


def make_audio(ctx: Context) -> list[Path]:
    """First pass: one decode of the recording gives the loudness, the silences, asr.wav and a 44.1/48 kHz
    WAV of the sound at the MP3's rate; second pass: gain and limiter on that WAV, encoded to MP3 and measured
    again (and once more, the gain corrected, if the MP3 missed the target)."""
    paths = ctx.paths
    settings = ctx.show.audio
    # Loudness is measured on the output channel layout: a mono voice duplicated to stereo is 3 LU louder.
    layout = "stereo" if settings.channels == 2 else "mono"
    pcm = paths.build / "ingest-sound.wav"  # the sound at the MP3's rate, decoded once; removed at the end
    mix = paths.build / "ingest-mix.wav"  # a multitrack recording's tracks, levelled and mixed; removed at the end
    try:
        no_tracks: dict[str, object] = {"tracks": [], "turns": []}
        source, tracks = mix_tracks(ctx, mix, layout) if ctx.episode.tracks else (ctx.episode.recording, no_tracks)
        info = probe(source)
        with atomic_path(paths.asr_wav) as asr_tmp:
            with progress_bar(info.duration, "measure loudness") as bar:
                stderr = run_ffmpeg(
                    [
                        "-i", source,
                        "-filter_complex",
                        f"[0:a:0]asplit=2[sound][asr];"
                        f"[sound]aresample={settings.sample_rate},asplit=2[loud][keep];"
                        f"[loud]aformat=channel_layouts={layout},ebur128=peak=sample:framelog=quiet[measured];"
                        f"[asr]aresample={SAMPLE_RATE},aformat=sample_fmts=s16:channel_layouts=mono,"
                        f"silencedetect=noise={SILENCE_DB}dB:duration={SILENCE_SECONDS}[speech]",
                        "-map", "[measured]", "-f", "null", "-",
                        "-map", "[speech]", "-c:a", "pcm_s16le", "-f", "wav", asr_tmp,
                        "-map", "[keep]", "-c:a", "pcm_s24le", "-f", "wav", pcm,
                    ],
                    what=f"decoding {source.name}",
                    on_progress=lambda seconds: advance_to(bar, seconds),
                )
            integrated, peak = parse_ebur128(stderr)
            measurement = Measurement(integrated, peak if peak is not None else 0.0, parse_silences(stderr, info.duration))
            warning = check_silence(measurement, info.duration, source)
            if warning:
                log.warning("%s", warning)
            log.info("measured %.1f LUFS, sample peak %.1f dBFS; normalising to %s LUFS",
                     measurement.integrated, measurement.peak, settings.loudness_lufs)
            with atomic_path(paths.normalised_mp3) as mp3_tmp:
                # What the encoder takes off, measured on an excerpt, is added before it: one encode, not two.
                aim = settings.loudness_lufs + _encoder_loss(pcm, mp3_tmp, layout, settings, info.duration)
                gain = settings.loudness_lufs - measurement.integrated
                ceiling = settings.true_peak_db - LIMITER_MARGIN_DB
                for attempt in range(1, ENCODE_ATTEMPTS + 1):
                    gain = find_gain(pcm, measurement, layout, aim, gain, ceiling)
                    filters = gain_filters(measurement, layout, gain, ceiling)
                    result, peak = _encode_mp3(pcm, mp3_tmp, filters, settings, info.duration)
                    error = settings.loudness_lufs - result
                    over = peak - settings.true_peak_db
                    if (abs(error) <= LOUDNESS_TOLERANCE_LU and over <= 0) or attempt == ENCODE_ATTEMPTS:
                        break
                    log.info("the MP3 came out at %.1f LUFS, %.1f dBTP; encoding again, corrected", result, peak)
                    aim += error
                    ceiling -= max(0.0, over + 0.2)
                log.info("normalised to %.1f LUFS, %.1f dBTP (gain %+.1f dB)", result, peak, gain)
                write_text(paths.tracks_json, json.dumps(tracks, indent=1, ensure_ascii=False) + "\n")
    finally:
        pcm.unlink(missing_ok=True)
        mix.unlink(missing_ok=True)
    return [paths.asr_wav, paths.normalised_mp3, paths.tracks_json]


TRACK_LEVEL_LUFS = -23.0  # every track is brought to this before mixing; the mix is then normalised as one recording


def mix_tracks(ctx: Context, mix: Path, layout: str) -> tuple[Path, dict[str, object]]:
    """Level every track to the same loudness and mix them (32-bit float WAV, no clipping); return the mix and
    what tracks.json says (each track's level, who speaks when). Tracks may differ in length, rate and channels;
    a track silent throughout is a warning."""
    import numpy as np

    from pipeline.speakers.tracks import track_turns

    settings = ctx.show.audio
    tracks = ctx.episode.tracks
    longest = max(probe(path).duration for path, _speaker in tracks)  # InputError naming a file that is not audio
    samples, loudness = [], []
    ctx.paths.build.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="tracks-", dir=ctx.paths.build) as scratch:
        for index, (path, speaker) in enumerate(tracks):
            wav = Path(scratch) / f"{index}.wav"
            stderr = run_ffmpeg(["-i", path, "-filter_complex",
                                 f"[0:a:0]asplit=2[a][b];[a]ebur128=framelog=quiet[m];"
                                 f"[b]aresample={SAMPLE_RATE},aformat=sample_fmts=s16:channel_layouts=mono[asr]",
                                 "-map", "[m]", "-f", "null", "-", "-map", "[asr]", "-c:a", "pcm_s16le", "-f", "wav", wav],
                                what=f"decoding track {path.name} ({speaker})")
            loudness.append(parse_ebur128(stderr)[0])
            with wave.open(str(wav), "rb") as source:
                samples.append(np.frombuffer(source.readframes(source.getnframes()), dtype="<i2") / np.float32(32768.0))
    audible = [math.isfinite(level) and level > -70.0 for level in loudness]
    for (path, speaker), heard in zip(tracks, audible, strict=True):
        if not heard:
            log.warning("%s: the track of %s is silent throughout; check the file, or remove it from recording.tracks",
                        ctx.project.relative(path), speaker)
    if not any(audible):
        raise InputError(f"{ctx.project.relative(tracks[0][0])}: every track of the recording is silent",
                         hint="check the files named in recording.tracks")
    gains = [TRACK_LEVEL_LUFS - level if heard else 0.0 for level, heard in zip(loudness, audible, strict=True)]
    kept = [i for i, heard in enumerate(audible) if heard]
    inputs = [arg for i in kept for arg in ("-i", tracks[i][0])]
    chains = "".join(f"[{n}:a:0]aresample={settings.sample_rate},aformat=sample_fmts=flt:channel_layouts={layout},"
                     f"volume={gains[i]:.2f}dB[t{n}];" for n, i in enumerate(kept))
    labels = "".join(f"[t{n}]" for n in range(len(kept)))
    with progress_bar(longest, "mix tracks") as bar:
        run_ffmpeg([*inputs, "-filter_complex", f"{chains}{labels}amix=inputs={len(kept)}:duration=longest:normalize=0[mix]",
                    "-map", "[mix]", "-c:a", "pcm_f32le", "-f", "wav", mix], what="mixing the tracks",
                   on_progress=lambda seconds: advance_to(bar, seconds))
    turns = track_turns([samples[i] for i in kept], [gains[i] for i in kept], [tracks[i][1] for i in kept])
    report = {
        "tracks": [{"file": ctx.project.relative(path).as_posix(), "speaker": speaker, "loudness_lufs": round(level, 1),
                    "gain_db": round(gain, 1), "silent": not heard}
                   for (path, speaker), level, gain, heard in zip(tracks, loudness, gains, audible, strict=True)],
        "turns": [{"start": start, "end": end, "speaker": speaker} for start, end, speaker in turns],
    }
    log.info("mixed %d tracks (%s), levelled to %s LUFS each", len(kept),
             ", ".join(f"{tracks[i][1]} {gains[i]:+.1f} dB" for i in kept), TRACK_LEVEL_LUFS)
    return mix, report


def find_gain(pcm: Path, measurement: Measurement, layout: str, aim: float, gain: float, ceiling: float) -> float:
    """The gain that brings `pcm` to `aim` LUFS. Linear gain is exact; where the limiter works, it takes some
    loudness off, so the gain is found by measuring the limited sound (no encoding) and correcting (secant)."""
    if measurement.peak + gain <= ceiling:
        return gain
    tried: list[tuple[float, float]] = []
    for _ in range(GAIN_SEARCH_STEPS):
        loudness = _loudness(pcm, gain_filters(measurement, layout, gain, ceiling))
        tried.append((gain, loudness))
        if abs(aim - loudness) <= LOUDNESS_TOLERANCE_LU / 2:
            break
        slope = 1.0
        if len(tried) > 1 and tried[-1][0] != tried[-2][0]:
            slope = max(0.1, (tried[-1][1] - tried[-2][1]) / (tried[-1][0] - tried[-2][0]))
        gain += (aim - loudness) / slope
    return min(tried, key=lambda pair: abs(aim - pair[1]))[0]


def _encoder_loss(pcm: Path, mp3: Path, layout: str, settings: AudioSettings, duration: float) -> float:
    """LU the MP3 encoder takes off (about 0.4 at 128 kbps), measured on ENCODER_EXCERPT_SECONDS from the middle."""
    start = max(0.0, duration / 2 - ENCODER_EXCERPT_SECONDS / 2)
    excerpt = ["-ss", f"{start:.2f}", "-t", str(ENCODER_EXCERPT_SECONDS)]
    stderr = run_ffmpeg([*excerpt, "-i", pcm, "-filter_complex",
                         f"[0:a:0]aformat=channel_layouts={layout},asplit=2[out][loud];[loud]ebur128=framelog=quiet[measured]",
                         "-map", "[out]", *_mp3_encoding(settings), mp3, "-map", "[measured]", "-f", "null", "-"],
                        what="measuring the encoder on an excerpt")
    before = parse_ebur128(stderr)[0]
    after = _loudness(mp3, "anull")
    if not (math.isfinite(before) and math.isfinite(after)) or before < -60:
        return 0.0  # a silent excerpt says nothing about the encoder
    return max(0.0, min(before - after, 2.0))


def _mp3_encoding(settings: AudioSettings) -> list[str]:
    return ["-c:a", "libmp3lame", "-b:a", f"{settings.bitrate_kbps}k", "-ar", str(settings.sample_rate),
            "-ac", str(settings.channels), "-f", "mp3"]


def _loudness(source: Path, filters: str) -> float:
    return _measure(source, filters)[0]


def _measure(source: Path, filters: str, true_peak: bool = False) -> tuple[float, float]:
    """Integrated loudness (LUFS) of `source` through `filters`, and its true peak (dBTP) when asked for."""
    peak = ":peak=true" if true_peak else ""
    integrated, measured_peak = parse_ebur128(run_ffmpeg(
        ["-i", source, "-af", f"{filters},ebur128=framelog=quiet{peak}", "-f", "null", "-"], what="measuring loudness"))
    return integrated, measured_peak if measured_peak is not None else float("-inf")


def _encode_mp3(pcm: Path, target: Path, filters: str, settings: AudioSettings, duration: float) -> tuple[float, float]:
    """Encode `pcm` through `filters` to MP3; return the loudness (LUFS) and true peak (dBTP) of the MP3 as decoded.

    Measured on the MP3 itself: at 128 kbps LAME takes about 0.4 LU off what goes in.
    """
    with progress_bar(duration, "normalise loudness") as bar:
        run_ffmpeg(
            [
                "-i", pcm, "-af", filters, *_mp3_encoding(settings), "-map_metadata", "-1", "-write_xing", "1", target,
            ],
            what="normalising loudness",
            on_progress=lambda seconds: advance_to(bar, seconds),
        )
    return _measure(target, "anull", true_peak=True)


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
        if episode.number is not None:  # an imported trailer may have none
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
                tags.add(CHAP(element_id=element_id, start_time=milliseconds(mark.start), end_time=milliseconds(mark.end),
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
