"""Stage `transcribe`: build/<id>/asr.wav → heard.json, the transcript as the model heard it (recording time),
with word timestamps and who speaks when.

The transcript is cached: when heard.json already holds the same input hash (audio bytes, engine, model,
glossary, decoding settings), inference is skipped. So are the speaker turns. Speaker names are applied after
both, on every run. The edit stage makes the published transcripts from heard.json (corrections, cuts).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import logging
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING

from pipeline.atomic import file_sha256
from pipeline.context import Context
from pipeline.errors import ConfigError, InputError
from pipeline.formats.languages import AUTO, whisper_language
from pipeline.formats.transcript import Transcript, group_words
from pipeline.memory import limit_malloc_arenas
from pipeline.notes.sentences import format_time
from pipeline.progress import advance_to, progress_bar
from pipeline.transcription.audio import SAMPLE_RATE, Samples, load_audio, open_audio
from pipeline.transcription.engines import DecodeSettings
from pipeline.transcription.language import UNSURE_BELOW, Detection, detect_language
from pipeline.transcription.models import ENGINES, ModelSource, is_english_only, resolve_model
from pipeline.transcription.transcribe import transcribe_audio

if TYPE_CHECKING:
    import numpy as np

    from pipeline.speakers.diarize import Diarizer
    from pipeline.speakers.turns import Turn

log = logging.getLogger(__name__)

CACHE_VERSION = 3  # bump when a change here alters transcripts, so cached ones are redone
DIARIZE_VERSION = 11  # the same for speaker turns
VOICE_SAMPLE_SECONDS = 5.0  # a known voice's sample must be at least this long


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


def decode_settings(ctx: Context, language: str) -> DecodeSettings:
    settings = ctx.show.transcription
    return DecodeSettings(language=language, beam_size=settings.beam_size, threads=settings.threads,
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


def voice_samples(ctx: Context) -> list[tuple[str, Path]]:
    return [(voice.name, ctx.project.resolve(voice.sample)) for voice in ctx.show.voices]


def diarization_hash(ctx: Context, audio_hash: str) -> str:
    key = {"audio": audio_hash, "engine": ctx.show.diarization.engine, "speakers": ctx.episode.config.speakers,
           "voices": [(name, file_hash(path)) for name, path in voice_samples(ctx)], "version": DIARIZE_VERSION}
    return "sha256:" + hashlib.sha256(json.dumps(key, sort_keys=True, default=str).encode()).hexdigest()


def turns_from_tracks(ctx: Context) -> list[Turn]:
    """The turns ingest found in a multitrack recording's tracks (none for one mixed recording)."""
    path = ctx.paths.tracks_json
    if not path.is_file():
        return []
    try:
        return [(float(t["start"]), float(t["end"]), str(t["speaker"]))
                for t in json.loads(path.read_text(encoding="utf-8"))["turns"]]
    except (KeyError, TypeError, ValueError) as exc:
        raise InputError(f"{path}: not readable ({exc})", hint="run the ingest stage again") from exc


def known_voices(ctx: Context, diarizer: Diarizer) -> list[tuple[str, np.ndarray]]:
    """The show's known voices, embedded; ConfigError naming the sample that is too short or holds two voices."""
    voices = []
    for index, (name, path) in enumerate(voice_samples(ctx)):
        where = f"config/show.yaml: voices[{index}].sample: {ctx.project.relative(path)}"
        try:
            sample = load_audio(path)
        except InputError as exc:
            raise ConfigError([f"{where}: not readable audio ({exc.message})"]) from exc
        seconds = sample.shape[0] / SAMPLE_RATE
        if seconds < VOICE_SAMPLE_SECONDS:
            raise ConfigError([f"{where}: {seconds:.1f} s is too short for a voice sample; "
                               f"give {VOICE_SAMPLE_SECONDS:.0f} s or more of {name} alone (10–30 s is best)"])
        count = diarizer.voice_count(sample)
        if count != 1:
            raise ConfigError([f"{where}: holds {count} voices; a sample must be {name} alone (cut the others out)"])
        voices.append((name, diarizer.voice(sample)))
    return voices


def find_turns(ctx: Context, audio_hash: str, previous: Transcript | None,
               audio: Samples | None = None) -> tuple[list[Turn], dict[str, str], str | None]:
    """Who speaks when: (turns, label → known name, the diarisation's cache key). From the tracks when there are
    tracks; else by diarisation (cached like the transcript), unless it is off or the episode has one speaker."""
    from pipeline.speakers.diarize import load_diarizer
    from pipeline.speakers.known import count_from_config, match_voices

    tracks = turns_from_tracks(ctx)
    if tracks:
        return tracks, {speaker: speaker for _start, _end, speaker in tracks}, None
    count = count_from_config(ctx.episode.config.speakers)
    if not ctx.show.diarization.enabled or count.most == 1:
        return [], {}, None
    wanted = diarization_hash(ctx, audio_hash)
    if previous is not None and previous.extra.get("diarization_hash") == wanted:
        return list(previous.turns), dict(previous.extra.get("known_voices", {})), wanted
    diarizer = load_diarizer(ctx.show.diarization.engine)
    voices = known_voices(ctx, diarizer)
    audio = open_audio(ctx.paths.asr_wav) if audio is None else audio
    duration = audio.shape[0] / SAMPLE_RATE
    with progress_bar(round(duration), f"speakers {ctx.episode.id}", unit="s") as bar:
        diarization = diarizer.diarize(audio, count, lambda seconds: advance_to(bar, seconds))
    matches = match_voices(diarization, voices)
    found = len({label for _start, _end, label in diarization.turns})  # speech too short to embed is one voice's too
    log.info("%s: %d voice%s found (%s)", ctx.episode.id, found, "s" if found != 1 else "",
             diarization.decision.describe() if diarization.decision else f"{count.least} given")
    for match in matches:
        log.info("%s: %s", ctx.episode.id, match.describe())
    known = {match.label: match.name for match in matches}
    return diarization.turns, known, wanted


def with_speakers(ctx: Context, transcript: Transcript, turns: list[Turn], known: dict[str, str],
                  diarization_key: str | None) -> Transcript:
    """The transcript's words labelled with speakers' names and regrouped into segments that break at each change."""
    from pipeline.speakers.turns import label_words, speaker_names

    given = ctx.episode.config.speakers if isinstance(ctx.episode.config.speakers, list) else []
    names = speaker_names(turns, known, given, ctx.episode.config.speaker_names)
    words = label_words(transcript.words, turns, names) if turns else [replace(w, speaker=None) for w in transcript.words]
    extra = {**transcript.extra, "known_voices": known, "speaker_labels": names}
    if diarization_key:
        extra["diarization_hash"] = diarization_key
    else:
        extra.pop("diarization_hash", None)
    return replace(transcript, segments=tuple(group_words(words)), turns=tuple(turns), extra=extra)


def report_language(ctx: Context, setting: str, detection: Detection) -> None:
    """Warnings when the language heard is unsure, not the one set, or not the only one."""
    episode, found = ctx.episode.id, f"{detection.language!r} (probability {detection.probability:.2f})"
    source = f"episodes/{episode}/episode.yaml: language"
    if setting == AUTO:
        log.info("%s: the language spoken is %s", episode, found)
        if detection.probability < UNSURE_BELOW:
            log.warning("%s: the language spoken is unsure: %s at best; set %s to the right one", episode, found, source)
        show = whisper_language(ctx.show.language)
        if detection.language != show:
            log.warning("%s: the speech is in %s, not the show's language %r (config/show.yaml: language); "
                        "the transcript and captions follow the speech", episode, found, show)
    elif detection.language != setting and detection.probability >= UNSURE_BELOW:
        log.warning("%s: the speech sounds like %s, but the language set is %r; check %s", episode, found, setting, source)
    others = detection.others()
    if others:
        heard = ", ".join(f"{w.language} at {format_time(w.start)}" for w in others)
        log.warning("%s: another language is heard in places (%s); the transcript follows %r", episode, heard,
                    detection.language if setting == AUTO else setting)


def run(ctx: Context) -> list[Path]:
    from pipeline.speakers.turns import speaking

    limit_malloc_arenas()  # threads' arenas would otherwise make the peak grow with the episode's length
    paths = ctx.paths
    engine = str(ctx.option("engine") or ctx.show.transcription.engine)
    language = ctx.episode.spoken_language(ctx.show.language)
    setting = ctx.show.transcription.model_for(language)
    model = resolve_model(setting, engine, ctx.project.root)
    if language != "en" and is_english_only(model):
        raise ConfigError([f"{ctx.episode.id}: speech in {language!r} needs a multilingual model, but "
                           f"config/show.yaml: transcription.multilingual_model is {setting!r}, which knows only English; "
                           "set it to base (bundled)"])
    settings = decode_settings(ctx, language)
    audio_hash = file_hash(paths.asr_wav)
    wanted_hash = input_hash(audio_hash, engine, model.identity(), settings.cache_fields())

    transcript = None if ctx.option("force") else _cached(paths.heard_json, wanted_hash)
    previous = transcript
    audio = None
    if transcript is not None:
        log.info("transcript of %s is up to date (%s, %s)", ctx.episode.id, engine, model.name)
    else:
        audio = open_audio(paths.asr_wav)
        duration = audio.shape[0] / SAMPLE_RATE
        # detected for `auto`, and checked for another language; an English episode is as before
        checked = language != "en" and not is_english_only(model)
        detection = detect_language(audio, model, settings.thread_count) if checked else None
        spoken = detection.language if detection and language == AUTO else language
        if detection:
            report_language(ctx, language, detection)
        log.info("transcribing %s: %.0f s of audio in %s with %s (%s)", ctx.episode.id, duration, spoken, engine, model.name)
        with progress_bar(round(duration), f"transcribe {ctx.episode.id}", unit="s") as bar:
            result = transcribe_audio(audio, engine, model, replace(settings, language=spoken),
                                      lambda seconds: advance_to(bar, seconds))
        transcript = Transcript(
            segments=result.segments, engine=engine, model=model.name, language=spoken,
            duration=round(result.duration, 3), input_hash=wanted_hash, glossary=settings.glossary, gaps=result.gaps,
            extra={"model_source": model.kind, "speech_seconds": round(result.speech_seconds, 3),
                   "beam_size": settings.beam_size, "vad": settings.vad, "redecoded": result.redecoded,
                   "recovered_words": result.recovered_words,
                   **({"language_detection": detection.as_document()} if detection else {})},
        )
        if transcript.gaps:
            log.warning("%s: %s", ctx.episode.id, gap_warning(transcript.gaps, ctx.project.relative(paths.asr_wav)))
        if not transcript.words:
            log.warning("%s: no speech found in %s; the transcript and captions are empty",
                        ctx.episode.id, ctx.project.relative(paths.asr_wav))
    turns, known, diarization_key = find_turns(ctx, audio_hash, previous, audio)
    turns = speaking(turns, transcript.words)  # the English track names the same speakers
    with_speakers(ctx, transcript, turns, known, diarization_key).save(paths.heard_json)
    if not ctx.episode.translated(ctx.show.language, ctx.show.transcription.translate_to_english):
        paths.heard_en_json.unlink(missing_ok=True)
        return [paths.heard_json]
    english = english_track(ctx, engine, model, settings, audio_hash, transcript, audio)
    with_speakers(ctx, english, turns, known, diarization_key).save(paths.heard_en_json)
    return [paths.heard_json, paths.heard_en_json]


def english_track(ctx: Context, engine: str, model: ModelSource, settings: DecodeSettings, audio_hash: str,
                  heard: Transcript, audio: Samples | None) -> Transcript:
    """Whisper's English translation of the speech (its `translate` task), cached like the transcript; the
    transcript itself when the speech is English (`language: auto` may find it is)."""
    if heard.language == "en":
        return heard
    paths = ctx.paths
    task = replace(settings, language=heard.language, task="translate")
    wanted = input_hash(audio_hash, engine, model.identity(), task.cache_fields())
    cached = None if ctx.option("force") else _cached(paths.heard_en_json, wanted)
    if cached is not None:
        log.info("English track of %s is up to date", ctx.episode.id)
        return cached
    audio = audio if audio is not None else open_audio(paths.asr_wav)
    duration = audio.shape[0] / SAMPLE_RATE
    log.info("translating %s from %s into English with %s (%s)", ctx.episode.id, heard.language, engine, model.name)
    with progress_bar(round(duration), f"translate {ctx.episode.id}", unit="s") as bar:
        result = transcribe_audio(audio, engine, model, task, lambda seconds: advance_to(bar, seconds))
    return Transcript(segments=result.segments, engine=engine, model=model.name, language="en",
                      duration=round(result.duration, 3), input_hash=wanted, glossary=settings.glossary,
                      extra={"task": "translate", "translated_from": heard.language})
