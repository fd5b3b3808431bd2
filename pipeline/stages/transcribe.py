"""Stage `transcribe`: build/<id>/asr.wav → transcript.json with word timestamps, captions and transcripts.

Writes transcript.json, captions.vtt, captions.srt, transcript.txt and transcript.p20.json. The
transcript is cached: when transcript.json already holds the same input hash (audio bytes, engine,
model, glossary, decoding settings), inference is skipped and only the captions are written again.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import logging
from pathlib import Path

from pipeline.atomic import atomic_path, file_sha256, write_text
from pipeline.context import Context
from pipeline.errors import InputError
from pipeline.formats.captions import build_cues
from pipeline.formats.subtitles import podcasting20_text, srt_text, transcript_text, vtt_text
from pipeline.formats.transcript import Transcript
from pipeline.notes.sentences import format_time
from pipeline.progress import advance_to, progress_bar
from pipeline.transcription import ENGINES, SAMPLE_RATE, DecodeSettings, load_audio, resolve_model, transcribe_audio

log = logging.getLogger(__name__)

CACHE_VERSION = 2  # bump when a change here alters transcripts, so cached ones are redone


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--engine", choices=ENGINES,
                        help="override transcription.engine from config/show.yaml")
    parser.add_argument("--force", action="store_true", help="transcribe again even if the cached transcript matches")


def glossary(ctx: Context) -> tuple[str, ...]:
    """Show and episode terms, in order, without duplicates."""
    seen: dict[str, None] = {}
    for term in [*ctx.show.transcription.glossary, *ctx.episode.config.glossary]:
        if term.strip():
            seen.setdefault(term.strip(), None)
    return tuple(seen)


def decode_settings(ctx: Context) -> DecodeSettings:
    settings = ctx.show.transcription
    return DecodeSettings(language=settings.language, beam_size=settings.beam_size, threads=settings.threads,
                          vad=settings.vad, coverage=settings.coverage, glossary=glossary(ctx))


def file_hash(path: Path) -> str:
    try:
        return file_sha256(path)
    except FileNotFoundError as exc:
        raise InputError(f"{path}: no audio to transcribe", hint="run the ingest stage first (it writes asr.wav)") from exc
    except OSError as exc:
        raise InputError(f"{path}: cannot read the audio ({exc.strerror})") from exc


def input_hash(audio_hash: str, engine: str, model_identity: str, settings_fields: dict[str, object]) -> str:
    key = {"audio": audio_hash, "engine": engine, "model": model_identity, "decoding": settings_fields,
           "version": CACHE_VERSION}
    return "sha256:" + hashlib.sha256(json.dumps(key, sort_keys=True).encode()).hexdigest()


def _cached(path: Path, wanted_hash: str) -> Transcript | None:
    if not path.is_file():
        return None
    try:
        transcript = Transcript.load(path)
    except InputError:
        return None
    return transcript if transcript.input_hash == wanted_hash else None


def gap_warning(gaps: tuple[tuple[float, float], ...], audio: object, shown: int = 10) -> str:
    """The warning for speech that got no words: how much, and the times to listen to."""
    times = ", ".join(f"{format_time(start)}–{format_time(end)}" for start, end in gaps[:shown])
    more = f" and {len(gaps) - shown} more" if len(gaps) > shown else ""
    total = sum(end - start for start, end in gaps)
    return (f"{total:.1f} s of what sounds like speech got no words ({len(gaps)} stretch{'es' if len(gaps) != 1 else ''}): "
            f"{times}{more}; listen to {audio} there (transcript.json lists them under `gaps`)")


def run(ctx: Context) -> list[Path]:
    paths = ctx.paths
    engine = str(ctx.option("engine") or ctx.show.transcription.engine)
    model = resolve_model(ctx.show.transcription.model, engine, ctx.project.root)
    settings = decode_settings(ctx)
    wanted_hash = input_hash(file_hash(paths.asr_wav), engine, model.identity(), settings.cache_fields())

    transcript = None if ctx.option("force") else _cached(paths.transcript_json, wanted_hash)
    if transcript is not None:
        log.info("transcript of %s is up to date (%s, %s); writing the captions again", ctx.episode.id, engine, model.name)
    else:
        audio = load_audio(paths.asr_wav)
        duration = audio.shape[0] / SAMPLE_RATE
        log.info("transcribing %s: %.0f s of audio with %s (%s)", ctx.episode.id, duration, engine, model.name)
        with progress_bar(round(duration), f"transcribe {ctx.episode.id}", unit="s") as bar:
            result = transcribe_audio(audio, engine, model, settings, lambda seconds: advance_to(bar, seconds))
        transcript = Transcript(
            segments=result.segments, engine=engine, model=model.name, language=settings.language,
            duration=round(result.duration, 3), input_hash=wanted_hash, glossary=settings.glossary, gaps=result.gaps,
            extra={"model_source": model.kind, "speech_seconds": round(result.speech_seconds, 3),
                   "beam_size": settings.beam_size, "vad": settings.vad, "redecoded": result.redecoded,
                   "recovered_words": result.recovered_words},
        )
        if transcript.gaps:
            log.warning("%s: %s", ctx.episode.id, gap_warning(transcript.gaps, ctx.project.relative(paths.asr_wav)))
        if not transcript.words:
            log.warning("%s: no speech found in %s; the transcript and captions are empty",
                        ctx.episode.id, ctx.project.relative(paths.asr_wav))

    cues = build_cues(transcript.words, ctx.show.captions)
    outputs = {
        paths.captions_vtt: vtt_text(cues),
        paths.captions_srt: srt_text(cues),
        paths.transcript_txt: transcript_text(transcript),
        paths.transcript_p20_json: podcasting20_text(cues),
    }
    # Every text is ready before the first file is replaced, so a failure leaves the previous set whole.
    with atomic_path(paths.transcript_json) as tmp_json:
        transcript.save(tmp_json)
        for path, text in outputs.items():
            write_text(path, text)
    return [paths.transcript_json, *outputs]
