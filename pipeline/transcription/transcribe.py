"""One call for the stage and the benchmarks: a recording's words, from the speech found block by block, the
engine, the coverage check (speech left without words, decoded again or reported) and the glossary's spelling."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from dataclasses import dataclass

from pipeline.formats.transcript import Segment, group_words
from pipeline.parallel import in_background
from pipeline.transcription.audio import SAMPLE_RATE, Samples
from pipeline.transcription.coverage import recover_uncovered
from pipeline.transcription.engines import DecodeSettings, Progress, decode_stretches, detect_speech, load_engine
from pipeline.transcription.glossary import correct_spelling
from pipeline.transcription.models import ModelSource
from pipeline.transcription.vad import block_bounds

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Result:
    segments: tuple[Segment, ...]
    duration: float
    speech_seconds: float
    gaps: tuple[tuple[float, float], ...] = ()  # speech (by the sensitive VAD) still without words
    redecoded: int = 0  # stretches of speech decoded again on their own
    recovered_words: int = 0  # words those brought back


def transcribe_audio(audio: Samples, engine_name: str, model: ModelSource, settings: DecodeSettings,
                     on_progress: Progress | None = None) -> Result:
    """Transcribe 16 kHz samples: VAD and the engine block by block, the coverage check, glossary spelling."""
    report = on_progress or (lambda _seconds: None)
    duration = audio.shape[0] / SAMPLE_RATE
    engine = load_engine(engine_name, model, settings.thread_count)
    speech: list[tuple[float, float]] = []

    def found_speech() -> Iterator[tuple[float, float]]:
        for spans in in_background(lambda block: detect_speech(audio, block, settings), block_bounds(audio),
                                   settings.thread_count):
            speech.extend(spans)
            yield from spans

    words = decode_stretches(engine, audio, found_speech(), settings, report, tails=True)
    speech_seconds = sum(end - start for start, end in speech)
    gaps: tuple[tuple[float, float], ...] = ()
    redecoded = recovered = 0
    if settings.coverage:
        recovery = recover_uncovered(audio, words, engine, settings)
        words, gaps, redecoded, recovered = recovery.words, recovery.gaps, recovery.redecoded, recovery.recovered
        if redecoded:
            log.info("decoded %d stretch%s of speech again on its own: %d word%s recovered", redecoded,
                     "es" if redecoded != 1 else "", recovered, "s" if recovered != 1 else "")
    report(duration)
    segments = tuple(correct_spelling(group_words(words), settings.glossary))
    return Result(segments, duration, speech_seconds, gaps, redecoded, recovered)
