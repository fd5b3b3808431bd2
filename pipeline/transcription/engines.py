"""Two Whisper engines behind one interface: faster-whisper (CTranslate2, int8) and openai-whisper (torch).

Both get the same audio: voice activity detection (Silero, as bundled with faster-whisper) runs here,
once, and only the speech is handed to the engine; timestamps are mapped back to the recording
afterwards. A recording with no speech never reaches an engine, so nothing can be invented for it.

faster-whisper decodes the chunks of speech in batches (its BatchedInferencePipeline, several chunks
per encoder and decoder call) and redoes, one by one with the full temperature fallback, any chunk
whose batched decode fails Whisper's own quality checks. openai-whisper has no batched decoding and
takes the chunks one at a time.
"""

from __future__ import annotations

import contextlib
import functools
import logging
import os
import re
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass
from pathlib import Path
from types import SimpleNamespace
from typing import TYPE_CHECKING, Any, Protocol

from pipeline.errors import ConfigError, InputError, ToolError
from pipeline.formats.transcript import Segment, Word
from pipeline.transcription.glossary import correct_spelling
from pipeline.transcription.models import ModelSource

if TYPE_CHECKING:
    import numpy as np

log = logging.getLogger(__name__)

SAMPLE_RATE = 16_000
ENGINES = ("faster-whisper", "openai-whisper")

Progress = Callable[[float], None]  # receives seconds of the recording transcribed so far


@dataclass(frozen=True)
class DecodeSettings:
    """Decoding options, identical for both engines. Everything but `threads` is part of the cache key."""

    language: str = "en"
    beam_size: int = 5
    threads: int = 0  # 0 = every core
    vad: bool = True
    glossary: tuple[str, ...] = ()
    # Guards against hallucination (see ENGINEERING.md): no carried context, fallback on bad decodes,
    # skip windows the model thinks are silent, and skip long silences around doubtful segments.
    condition_on_previous_text: bool = False
    temperatures: tuple[float, ...] = (0.0, 0.2, 0.4, 0.6, 0.8, 1.0)
    compression_ratio_threshold: float = 2.4
    log_prob_threshold: float = -1.0
    no_speech_threshold: float = 0.6
    hallucination_silence_threshold: float = 2.0
    vad_min_silence_ms: int = 2000
    vad_speech_pad_ms: int = 400
    batch_size: int = 4  # chunks of speech per batched call (faster-whisper); 1 = one at a time

    @property
    def thread_count(self) -> int:
        return self.threads or os.cpu_count() or 1

    @property
    def prompt(self) -> str | None:
        """The glossary as a prompt: Whisper copies the spelling of words it has just 'seen'."""
        terms = [term.strip() for term in self.glossary if term.strip()]
        return "Glossary: " + ", ".join(terms) + "." if terms else None

    def cache_fields(self) -> dict[str, Any]:
        fields = asdict(self)
        fields.pop("threads")
        return fields


class Engine(Protocol):
    name: str

    def transcribe(self, audio: np.ndarray, settings: DecodeSettings, on_progress: Progress) -> list[Segment]:
        """Segments with word timestamps, in seconds of `audio`."""
        ...

    def transcribe_chunks(self, audio: np.ndarray, chunks: list[tuple[int, int]], settings: DecodeSettings,
                          on_progress: Progress) -> list[list[Segment]]:
        """For each (start, end) chunk of samples, its segments in seconds of the chunk."""
        ...


def one_chunk_at_a_time(engine: Engine, audio: np.ndarray, chunks: list[tuple[int, int]], settings: DecodeSettings,
                        on_progress: Progress) -> list[list[Segment]]:
    results = []
    for start, end in chunks:
        offset = start / SAMPLE_RATE
        results.append(engine.transcribe(audio[start:end], settings,
                                         lambda seconds, offset=offset: on_progress(offset + seconds)))
        on_progress(end / SAMPLE_RATE)
    return results


# ---------------------------------------------------------------- audio and VAD


def load_audio(path: Path) -> np.ndarray:
    """16 kHz mono float32 samples of `path`; InputError naming the file if it cannot be decoded."""
    import av
    from faster_whisper.audio import decode_audio

    path = Path(path)
    if not path.is_file():
        raise InputError(f"{path}: no audio to transcribe", hint="run the ingest stage first (it writes asr.wav)")
    try:
        audio = decode_audio(str(path), sampling_rate=SAMPLE_RATE)
    except (av.error.FFmpegError, OSError, ValueError, IndexError) as exc:
        raise InputError(f"{path}: not readable audio ({exc})", hint="run the ingest stage again to rewrite it") from exc
    if audio.size == 0:
        raise InputError(f"{path}: the audio is empty", hint="check the recording and run the ingest stage again")
    return audio


MAX_CHUNK_SECONDS = 24.0  # VAD splits longer speech at its last short pause, so each chunk fits one 30 s window


def detect_speech(audio: np.ndarray, settings: DecodeSettings) -> list[tuple[int, int]]:
    """(start, end) samples of the speech in `audio`, in chunks of at most MAX_CHUNK_SECONDS."""
    from faster_whisper.vad import VadOptions, get_speech_timestamps

    options = VadOptions(min_silence_duration_ms=settings.vad_min_silence_ms, speech_pad_ms=settings.vad_speech_pad_ms,
                         max_speech_duration_s=MAX_CHUNK_SECONDS)
    return [(int(c["start"]), int(c["end"])) for c in get_speech_timestamps(audio, options, sampling_rate=SAMPLE_RATE)]


# ---------------------------------------------------------------- the engines


class FasterWhisper:
    name = "faster-whisper"

    def __init__(self, model: ModelSource, threads: int) -> None:
        self.model = _faster_whisper_model(model.location, threads)

    def transcribe(self, audio: np.ndarray, settings: DecodeSettings, on_progress: Progress) -> list[Segment]:
        segments, _info = self.model.transcribe(
            audio,
            language=settings.language,
            beam_size=settings.beam_size,
            best_of=settings.beam_size,
            temperature=list(settings.temperatures),
            compression_ratio_threshold=settings.compression_ratio_threshold,
            log_prob_threshold=settings.log_prob_threshold,
            no_speech_threshold=settings.no_speech_threshold,
            condition_on_previous_text=settings.condition_on_previous_text,
            hotwords=settings.prompt,  # prepended to every 30 s window, unlike initial_prompt
            word_timestamps=True,
            hallucination_silence_threshold=settings.hallucination_silence_threshold,
            vad_filter=False,  # done once, for both engines, in transcribe_audio
        )
        result = []
        for segment in segments:
            result.append(_from_faster_whisper(segment, 0.0))
            on_progress(segment.end)
        return result

    def transcribe_chunks(self, audio: np.ndarray, chunks: list[tuple[int, int]], settings: DecodeSettings,
                          on_progress: Progress) -> list[list[Segment]]:
        if settings.batch_size <= 1:
            return one_chunk_at_a_time(self, audio, chunks, settings, on_progress)
        from faster_whisper import BatchedInferencePipeline

        starts = [start / SAMPLE_RATE for start, _end in chunks]
        batched = BatchedInferencePipeline(self.model)
        segments, _info = batched.transcribe(
            audio,
            language=settings.language,
            beam_size=settings.beam_size,
            temperature=settings.temperatures[0],  # the batch is decoded once; fallback is per chunk, below
            hotwords=settings.prompt,
            word_timestamps=True,
            without_timestamps=False,
            clip_timestamps=[{"start": start / SAMPLE_RATE, "end": end / SAMPLE_RATE} for start, end in chunks],
            vad_filter=False,
            batch_size=settings.batch_size,
            log_progress=False,
        )
        decoded: list[list[Any]] = [[] for _ in chunks]
        for segment in segments:
            chunk = min(range(len(chunks)), key=lambda i: abs(starts[i] - segment.seek / 100))  # seek: 100 frames/s
            decoded[chunk].append(segment)
            on_progress(segment.end)
        results = []
        for (start, end), offset, found in zip(chunks, starts, decoded, strict=True):
            verdict = _batched_verdict(found, settings)
            if verdict == "redo":
                results.append(self.transcribe(audio[start:end], settings, lambda _seconds: None))
            else:
                results.append([_from_faster_whisper(segment, offset) for segment in found] if verdict == "keep" else [])
        return results


def _from_faster_whisper(segment: Any, offset: float) -> Segment:
    words = tuple(Word(w.word.strip(), round(w.start - offset, 3), round(w.end - offset, 3), round(w.probability, 4))
                  for w in segment.words or () if w.word.strip())
    return Segment(segment.text.strip(), round(segment.start - offset, 3), round(segment.end - offset, 3), words)


def _batched_verdict(found: list[Any], settings: DecodeSettings) -> str:
    """Whisper's checks on one decoded window, as its sequential decoder applies them at temperature 0.

    "silent" where the model thinks there is no speech and is unsure of its text (Whisper skips such a
    window); "redo" where the text repeats itself or the decoder was unsure (Whisper would fall back to
    higher temperatures: the chunk is decoded again on its own, with the whole fallback); else "keep".
    """
    from faster_whisper.transcribe import get_compression_ratio

    if not found:
        return "keep"  # nothing decoded: the stretch comes back as a hole, retried on its own
    avg_logprob, no_speech_prob = found[0].avg_logprob, found[0].no_speech_prob  # one decode per chunk
    if no_speech_prob > settings.no_speech_threshold and avg_logprob < settings.log_prob_threshold:
        return "silent"
    text = " ".join(segment.text.strip() for segment in found)
    if get_compression_ratio(text) > settings.compression_ratio_threshold or avg_logprob < settings.log_prob_threshold:
        return "redo"
    return "keep"


@functools.lru_cache(maxsize=2)
def _faster_whisper_model(location: str, threads: int) -> Any:
    from faster_whisper import WhisperModel

    try:
        return WhisperModel(location, device="cpu", compute_type="int8", cpu_threads=threads)
    except (RuntimeError, ValueError, OSError) as exc:
        raise ToolError(f"faster-whisper could not load the model {location}: {exc}",
                        hint="check transcription.model in config/show.yaml (a model name, or a CTranslate2 folder)") from exc


class OpenAIWhisper:
    name = "openai-whisper"

    def __init__(self, model: ModelSource, threads: int) -> None:
        import torch

        torch.set_num_threads(threads)
        self.model = _openai_whisper_model(model)

    def transcribe(self, audio: np.ndarray, settings: DecodeSettings, on_progress: Progress) -> list[Segment]:
        import whisper

        with _whisper_progress(on_progress):
            result = whisper.transcribe(
                self.model,
                audio,
                verbose=False,  # shows progress (through _whisper_progress), prints no text
                language=settings.language,
                beam_size=settings.beam_size,
                best_of=settings.beam_size,
                temperature=settings.temperatures,
                compression_ratio_threshold=settings.compression_ratio_threshold,
                logprob_threshold=settings.log_prob_threshold,
                no_speech_threshold=settings.no_speech_threshold,
                condition_on_previous_text=settings.condition_on_previous_text,
                initial_prompt=settings.prompt,
                carry_initial_prompt=True,  # like faster-whisper's hotwords: the glossary in every window
                word_timestamps=True,
                hallucination_silence_threshold=settings.hallucination_silence_threshold,
                fp16=False,
            )
        segments = []
        for segment in result["segments"]:
            words = tuple(Word(w["word"].strip(), round(float(w["start"]), 3), round(float(w["end"]), 3),
                               round(float(w["probability"]), 4))
                          for w in segment.get("words", ()) if w["word"].strip())
            segments.append(Segment(segment["text"].strip(), round(float(segment["start"]), 3),
                                    round(float(segment["end"]), 3), words))
        return segments

    def transcribe_chunks(self, audio: np.ndarray, chunks: list[tuple[int, int]], settings: DecodeSettings,
                          on_progress: Progress) -> list[list[Segment]]:
        return one_chunk_at_a_time(self, audio, chunks, settings, on_progress)


@functools.lru_cache(maxsize=2)
def _openai_whisper_model(model: ModelSource) -> Any:
    import torch
    import whisper

    from pipeline.transcription.ct2 import alignment_heads, openai_checkpoint

    try:
        if model.kind in ("download", "openai-checkpoint"):
            return whisper.load_model(model.location, device="cpu")
        folder = Path(model.location)
        loaded = whisper.load_model(str(openai_checkpoint(folder, model.name)), device="cpu")
    except (RuntimeError, KeyError, OSError) as exc:
        raise ToolError(f"openai-whisper could not load the model {model.location}: {exc}",
                        hint="check transcription.model in config/show.yaml") from exc
    heads = alignment_heads(folder)
    if heads:  # the heads the model was trained to align with; word timestamps then match faster-whisper's
        mask = torch.zeros(loaded.dims.n_text_layer, loaded.dims.n_text_head, dtype=torch.bool)
        for layer, head in heads:
            mask[layer, head] = True
        loaded.register_buffer("alignment_heads", mask.to_sparse(), persistent=False)
    return loaded


class _FrameProgress:
    """Stands in for the tqdm bar inside whisper.transcribe; reports seconds instead of mel frames."""

    FRAMES_PER_SECOND = 100  # whisper's HOP_LENGTH is 160 samples at 16 kHz

    def __init__(self, on_progress: Progress, **_: Any) -> None:
        self.on_progress = on_progress
        self.frames = 0

    def __enter__(self) -> _FrameProgress:
        return self

    def __exit__(self, *_: object) -> None:
        return None

    def update(self, frames: int) -> None:
        self.frames += frames
        self.on_progress(self.frames / self.FRAMES_PER_SECOND)


@contextlib.contextmanager
def _whisper_progress(on_progress: Progress) -> Iterator[None]:
    # whisper.transcribe draws its own tqdm bar (in frames, always on stderr) and has no callback;
    # swapping its module's `tqdm` name for the duration of one call routes it to our progress bar.
    import importlib

    module = importlib.import_module("whisper.transcribe")  # the module; `whisper.transcribe` is also a function
    original = module.tqdm
    module.tqdm = SimpleNamespace(tqdm=functools.partial(_FrameProgress, on_progress))  # type: ignore[assignment]
    try:
        yield
    finally:
        module.tqdm = original


def load_engine(name: str, model: ModelSource, threads: int) -> Engine:
    if name == "faster-whisper":
        return FasterWhisper(model, threads)
    if name == "openai-whisper":
        return OpenAIWhisper(model, threads)
    raise ConfigError([f"config/show.yaml: transcription.engine: {name!r} is not an engine; choose one of: {', '.join(ENGINES)}"])


# ---------------------------------------------------------------- one call for the stage and the benchmark


@dataclass(frozen=True)
class Result:
    segments: tuple[Segment, ...]
    duration: float
    speech_seconds: float


HOLE_SECONDS = 3.0  # speech (after VAD) this long with no word in it is transcribed once more on its own
HOLE_MARGIN = 0.3


def _shift(segments: list[Segment], offset: float) -> list[Segment]:
    return [Segment(s.text, round(s.start + offset, 3), round(s.end + offset, 3),
                    tuple(Word(w.text, round(w.start + offset, 3), round(w.end + offset, 3), w.probability) for w in s.words))
            for s in segments]


def _holes(segments: list[Segment], length: float) -> list[tuple[float, float]]:
    """Stretches of the (speech-only) audio that no word covers, longer than HOLE_SECONDS."""
    holes, covered_until = [], 0.0
    for word in (w for s in segments for w in s.words):
        if word.start - covered_until > HOLE_SECONDS:
            holes.append((covered_until, word.start))
        covered_until = max(covered_until, word.end)
    if length - covered_until > HOLE_SECONDS:
        holes.append((covered_until, length))
    return holes


def _fill_holes(engine: Engine, audio: np.ndarray, settings: DecodeSettings,
                segments: list[Segment]) -> tuple[list[Segment], int]:
    """Transcribe again, on their own, stretches of speech the first pass skipped.

    Whisper sometimes ends a 30 s window early and jumps to the next one (tiny models do so more
    often with a glossary prompt): the speech in between is lost. Decoding that stretch alone,
    with the same guards, brings most of it back; what is still silent stays silent.
    """
    holes = _holes(segments, audio.shape[0] / SAMPLE_RATE)
    for start, end in holes:
        clip_start = max(0.0, start - HOLE_MARGIN)
        clip = audio[int(clip_start * SAMPLE_RATE):int((end + HOLE_MARGIN) * SAMPLE_RATE)]
        found = _shift(engine.transcribe(clip, settings, lambda _seconds: None), clip_start)
        for segment in found:
            words = tuple(w for w in segment.words if start - 0.05 <= (w.start + w.end) / 2 <= end + 0.05)
            if words:
                segments.append(Segment(" ".join(w.text for w in words), words[0].start, words[-1].end, words))
    segments.sort(key=lambda s: s.start)
    return segments, len(holes)


def _echoes_prompt(segment: Segment, settings: DecodeSettings) -> bool:
    """A segment made only of glossary terms is Whisper repeating its prompt, not speech."""
    terms = {part for term in settings.glossary for part in re.findall(r"[\w'.]+", term.lower())} | {"glossary"}
    words = [w.strip(".,;:!?\"'").lower() for w in segment.text.split()]
    return len(words) >= 3 and all(w in terms for w in words)


def _word_anomaly(word: Word) -> float:
    # The score faster-whisper and openai-whisper use for hallucination_silence_threshold.
    duration = word.end - word.start
    score = 1.0 if word.probability < 0.15 else 0.0
    if duration < 0.133:
        score += (0.133 - duration) * 15
    if duration > 2.0:
        score += duration - 2.0
    return score


def is_anomalous(segment: Segment) -> bool:
    words = [w for w in segment.words if w.text.strip(".,!?;:\"'-")][:8]
    score = sum(_word_anomaly(w) for w in words)
    return not words or score >= 3 or score + 0.01 >= len(words)


def _trim_edges(segments: list[Segment]) -> list[Segment]:
    """Drop doubtful segments at either end of a chunk, next to silence: where Whisper invents "Thank you."."""
    while segments and is_anomalous(segments[-1]):
        segments = segments[:-1]
    while segments and is_anomalous(segments[0]):
        segments = segments[1:]
    return segments


def transcribe_audio(audio: np.ndarray, engine_name: str, model: ModelSource, settings: DecodeSettings,
                     on_progress: Progress | None = None) -> Result:
    """Transcribe 16 kHz samples: VAD, then the engine on each chunk of speech, then glossary spelling.

    Each chunk of speech (at most one Whisper window, cut at a pause) is a window of its own: a
    window that Whisper ends early or repeats cannot spill into the next one, and silence between
    chunks never reaches the model.
    """
    report = on_progress or (lambda _seconds: None)
    duration = audio.shape[0] / SAMPLE_RATE
    chunks = detect_speech(audio, settings) if settings.vad else [(0, audio.shape[0])]
    if not chunks:
        report(duration)
        return Result((), duration, 0.0)
    engine = load_engine(engine_name, model, settings.thread_count)
    segments: list[Segment] = []
    holes = 0
    for (start, end), found in zip(chunks, engine.transcribe_chunks(audio, chunks, settings, report), strict=True):
        found = [segment for segment in found if not _echoes_prompt(segment, settings)]
        found, retried = _fill_holes(engine, audio[start:end], settings, _trim_edges(found))
        holes += retried
        segments += _shift(_trim_edges(found), start / SAMPLE_RATE)
    report(duration)
    if holes:
        log.info("transcribed %d skipped stretch%s of speech again", holes, "es" if holes != 1 else "")
    segments = correct_spelling(segments, settings.glossary)
    kept = tuple(segment for segment in segments if segment.text)
    speech_seconds = sum(end - start for start, end in chunks) / SAMPLE_RATE
    return Result(kept, duration, speech_seconds)
