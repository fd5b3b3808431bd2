"""Stage `ingest`: probe the recording; write the ASR WAV and the loudness-normalised, tagged podcast MP3.

Two steps, so Make can redo the cheap one alone:
  audio  decode once: loudness, silences, asr.wav (16 kHz mono, the original sound) and produced.wav, the
         sound denoised (audio.denoise), its voices levelled (audio.level_speakers) and measured again
         (produced.json); a multitrack recording's tracks are levelled and mixed first. The edit stage makes
         what is published from it (gain and a limiter → edited.mp3, and edited.m4a for the videos).
  tags   edited.mp3 (the edit stage's) + ID3v2.4 tags, cover art and chapters (once chapters.json exists) → <slug>.mp3

The audio work is in pipeline.audio (decode, denoise, level, normalise, mix, tags); this module says what goes where.
"""

from __future__ import annotations

import argparse
import json
import logging
import shutil
from pathlib import Path

from pipeline.atomic import atomic_path, write_text
from pipeline.audio.decode import decode_recording
from pipeline.audio.denoise import denoise
from pipeline.audio.level import LEVELER, level
from pipeline.audio.loudness import channel_layout
from pipeline.audio.mix import mix_tracks, tracks_report
from pipeline.audio.silence import check_silence
from pipeline.audio.tags import EpisodeTags, mp3_duration, write_tags
from pipeline.context import Context
from pipeline.errors import InputError
from pipeline.formats.chapters import ChapterMark, marks_from_document
from pipeline.tools.media import probe

log = logging.getLogger(__name__)

STEPS = ("all", "audio", "tags")
# Speech loses −1.1 to 3.6 dB of loudness to the denoiser, even under noise as loud as itself (0 dB SNR; measured
# on benchmarks/production.py's mixes); a steady tone loses far more (over 40 dB).
MOST_A_DENOISER_TAKES_DB = 10.0


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


def make_audio(ctx: Context) -> list[Path]:
    """One decode of the recording (or of its tracks' mix) gives the loudness, the silences, asr.wav and a
    44.1/48 kHz WAV of the sound at the MP3's rate; that sound denoised and levelled is produced.wav, measured
    (produced.json). The edit stage makes the published MP3 from it."""
    paths = ctx.paths
    settings = ctx.audio
    layout = channel_layout(settings.channels)
    pcm = paths.build / "ingest-sound.wav"  # the sound at the MP3's rate, decoded once
    mix = paths.build / "ingest-mix.wav"  # a multitrack recording's tracks, levelled and mixed; removed at the end
    cleaned = paths.build / "ingest-produced.wav"  # that sound denoised and levelled
    try:
        no_tracks: dict[str, object] = {"tracks": [], "turns": []}
        source, tracks = mix_recording(ctx, mix, layout) if ctx.episode.tracks else (ctx.episode.recording, no_tracks)
        info = probe(source)
        with atomic_path(paths.asr_wav) as asr_tmp:
            measurement = decode_recording(source, asr_tmp, pcm, settings.sample_rate, layout, info.duration)
            warning = check_silence(measurement.integrated, measurement.silences, info.duration, source)
            if warning:
                log.warning("%s", warning)
            sound, integrated, peak = pcm, measurement.integrated, measurement.peak
            if settings.denoise or settings.level_speakers:
                sound, integrated, peak = produced(ctx, pcm, cleaned, layout, info.duration, measurement.integrated, peak)
            log.info("produced: %.1f LUFS, sample peak %.1f dBFS", integrated, peak)
            write_text(paths.tracks_json, json.dumps(tracks, indent=1, ensure_ascii=False) + "\n")
            write_text(paths.produced_json, json.dumps({"integrated": integrated, "peak": peak}) + "\n")
            sound.replace(paths.produced_wav)
    finally:
        for scratch in (pcm, mix, cleaned):
            scratch.unlink(missing_ok=True)
    return [paths.asr_wav, paths.tracks_json, paths.produced_wav, paths.produced_json]


def produced(ctx: Context, pcm: Path, cleaned: Path, layout: str, duration: float, integrated: float,
             peak: float) -> tuple[Path, float, float]:
    """The sound to publish, denoised and its voices levelled as audio.denoise and audio.level_speakers say, with
    its loudness and peak. When the denoiser took away most of the sound (a tone or music is not speech, and
    what is left is not worth publishing), the original, levelled, and a warning says why."""
    leveler = LEVELER if ctx.audio.level_speakers else ""
    if ctx.audio.denoise:
        cleaned_integrated, cleaned_peak = denoise(pcm, cleaned, layout=layout, duration=duration, then=leveler)
        drop = integrated - cleaned_integrated
        if drop <= MOST_A_DENOISER_TAKES_DB:
            log.info("denoised%s: %.1f LUFS before, %.1f LUFS after", " and levelled" if leveler else "",
                     integrated, cleaned_integrated)
            return cleaned, cleaned_integrated, cleaned_peak
        log.warning("the denoiser took the sound %.0f dB down (%.1f → %.1f LUFS): it is mostly not speech (music, a "
                    "tone?), so it is published as recorded; set audio.denoise: false in config/show.yaml to skip "
                    "it", drop, integrated, cleaned_integrated)
    if not leveler:
        return pcm, integrated, peak
    levelled_integrated, levelled_peak = level(pcm, cleaned, layout=layout, duration=duration)
    log.info("voices levelled: %.1f LUFS before, %.1f LUFS after", integrated, levelled_integrated)
    return cleaned, levelled_integrated, levelled_peak


def mix_recording(ctx: Context, mix: Path, layout: str) -> tuple[Path, dict[str, object]]:
    """A multitrack recording's tracks levelled and mixed into `mix`; return it and what tracks.json says (each
    track's level, who speaks when)."""
    from pipeline.speakers.tracks import track_turns

    def name(path: Path) -> str:
        return ctx.project.relative(path).as_posix()

    tracks = mix_tracks(ctx.episode.tracks, mix, layout, ctx.audio.sample_rate, name)
    kept = [track for track in tracks if track.audible]
    turns = track_turns([t.samples for t in kept], [t.gain for t in kept], [t.speaker for t in kept])
    return mix, tracks_report(tracks, turns, name)


def tag_podcast_mp3(ctx: Context) -> Path:
    """edited.mp3 with the episode's ID3 tags, the cover and the chapters (when chapters.json exists)."""
    paths = ctx.paths
    if not paths.edited_mp3.is_file():
        raise InputError(f"{paths.edited_mp3}: not made yet",
                         hint=f"run `pipeline ingest {ctx.episode.id} --step audio`, then `pipeline edit {ctx.episode.id}`")
    cover = ctx.cover
    if not cover.is_file():
        raise InputError(f"{cover}: cover image not found", hint="set `cover` in config/show.yaml to an existing JPEG or PNG")
    episode = ctx.episode.config
    tags = EpisodeTags(title=episode.title, artist=ctx.show.author, album=ctx.show.title, track=episode.number,
                       date=episode.date, description=episode.description, website=ctx.show.website)
    chapters: list[ChapterMark] = []
    with atomic_path(paths.podcast_mp3) as tmp:
        shutil.copyfile(paths.edited_mp3, tmp)
        if paths.chapters_json.is_file():
            chapters = marks_from_document(json.loads(paths.chapters_json.read_text(encoding="utf-8")), mp3_duration(tmp))
        write_tags(tmp, tags, cover, chapters)
    log.info("tagged %s (%d chapters)", paths.podcast_mp3.name, len(chapters))
    return paths.podcast_mp3
