"""Two Whisper engines behind one interface: faster-whisper (CTranslate2, int8) and openai-whisper (torch).

Speech is found as faster-whisper's batched pipeline finds it (Silero VAD, its settings), on blocks cut at a
quiet moment (pipeline.transcription.vad), several blocks at once (Silero uses one core), while the engine
decodes what was found first (the engine leaves part of the cores idle). The speech is packed
into 30 s Whisper windows as that pipeline packs it and handed to the engine in groups of at most
WINDOWS_PER_CALL windows, so memory stays bounded on a two-hour episode (only the 16 kHz samples are
held whole) and progress moves in audio time. faster-whisper decodes the windows in batches, several
calls side by side on a share of the cores each (CTranslate2 workers: on a small model that keeps the
cores busier than one call on all of them; a short recording is split so that every call gets some);
openai-whisper decodes one window at a time. Nothing the engine transcribes is filtered out.

Then (pipeline.transcription.transcribe) a coverage check (pipeline.transcription.coverage) looks for speech
that got no words, decodes it again on its own without the VAD, and reports what is still silent as gaps.
"""

from __future__ import annotations

import bisect
import contextlib
import functools
import math
import os
import threading
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from types import SimpleNamespace
from typing import TYPE_CHECKING, Any, Protocol

from pipeline.errors import ConfigError, ToolError
from pipeline.formats.transcript import Segment, Word
from pipeline.parallel import in_background
from pipeline.transcription.audio import SAMPLE_RATE, WINDOW_SECONDS, Samples
from pipeline.transcription.models import ENGINES, ModelSource
from pipeline.transcription.vad import chunker_vad, vad_spans

if TYPE_CHECKING:
    import numpy as np


CALLS_AT_ONCE = 4  # faster-whisper calls decoding side by side, at most
WINDOWS_PER_CALL = 12  # Whisper windows handed to the engine per call, at most: bounds memory (features, joined speech)
TAIL_SECONDS = 2.0  # a window's end with this much speech and no word is decoded again
TAIL_ROUNDS = 2  # and the end of that decode again, at most this many times in all

Progress = Callable[[float], None]  # receives seconds of the recording transcribed so far


@dataclass(frozen=True)
class DecodeSettings:
    """Decoding options, identical for both engines. Everything but `threads` is part of the cache key."""

    language: str = "en"
    task: str = "transcribe"  # or "translate": Whisper's English translation of the speech
    beam_size: int = 5
    threads: int = 0  # 0 = every core
    vad: bool = True
    glossary: tuple[str, ...] = ()
    batch_size: int = 4  # 30 s windows per batched call (faster-whisper); 1 = one at a time
    # openai-whisper's sequential decoder: Whisper's own checks and temperature fallback.
    temperatures: tuple[float, ...] = (0.0, 0.2, 0.4, 0.6, 0.8, 1.0)
    compression_ratio_threshold: float = 2.4
    log_prob_threshold: float = -1.0
    no_speech_threshold: float = 0.6
    coverage: bool = True  # decode again what the sensitive VAD calls speech but got no words

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
        if fields["task"] == "transcribe":  # as before the task existed: transcripts made then stay up to date
            fields.pop("task")
        return fields


class Engine(Protocol):
    name: str
    calls_at_once: int  # transcribe_windows calls that may run at once, from as many threads

    def transcribe_windows(self, audio: np.ndarray, windows: list[tuple[float, float]], settings: DecodeSettings,
                           on_progress: Progress) -> list[Segment]:
        """Each (start, end) window of `audio` (seconds, at most WINDOW_SECONDS) decoded as one Whisper window."""
        ...


# ---------------------------------------------------------------- the engines


class FasterWhisper:
    name = "faster-whisper"

    def __init__(self, model: ModelSource, threads: int) -> None:
        self.calls_at_once = min(threads, CALLS_AT_ONCE)
        self.model = faster_whisper_model(model.location, threads // self.calls_at_once, self.calls_at_once)

    def transcribe_windows(self, audio: np.ndarray, windows: list[tuple[float, float]], settings: DecodeSettings,
                           on_progress: Progress) -> list[Segment]:
        from faster_whisper import BatchedInferencePipeline

        if not windows:
            return []
        segments, _info = BatchedInferencePipeline(self.model).transcribe(
            audio,
            language=settings.language,
            task=settings.task,
            beam_size=settings.beam_size,
            hotwords=settings.prompt,
            word_timestamps=True,
            batch_size=settings.batch_size,
            log_progress=False,
            vad_filter=False,
            clip_timestamps=[{"start": start, "end": end} for start, end in windows],
        )
        found = []
        for segment in segments:
            found.append(_from_faster_whisper(segment))
            on_progress(segment.end)
        return found


def _from_faster_whisper(segment: Any) -> Segment:
    words = tuple(Word(w.word.strip(), round(float(w.start), 3), round(float(w.end), 3), round(float(w.probability), 4))
                  for w in segment.words or () if w.word.strip())
    return Segment(segment.text.strip(), round(float(segment.start), 3), round(float(segment.end), 3), words)


@functools.lru_cache(maxsize=2)
def faster_whisper_model(location: str, threads: int, workers: int) -> Any:
    from faster_whisper import WhisperModel

    try:
        return WhisperModel(location, device="cpu", compute_type="int8", cpu_threads=threads, num_workers=workers)
    except (RuntimeError, ValueError, OSError) as exc:
        raise ToolError(f"faster-whisper could not load the model {location}: {exc}",
                        hint="check transcription.model in config/show.yaml (a model name, or a CTranslate2 folder); a "
                             "name other than the bundled tiny.en and base is fetched from the Hugging Face Hub on first "
                             "use, which needs internet: offline, download it elsewhere and give its folder") from exc


class OpenAIWhisper:
    name = "openai-whisper"
    calls_at_once = 1  # one torch model, on every core

    def __init__(self, model: ModelSource, threads: int) -> None:
        import torch

        torch.set_num_threads(threads)
        self.model = _openai_whisper_model(model)

    def transcribe_windows(self, audio: np.ndarray, windows: list[tuple[float, float]], settings: DecodeSettings,
                           on_progress: Progress) -> list[Segment]:
        """One window at a time, with its temperature fallback: openai-whisper has no batched decoding."""
        found = []
        for start, end in windows:
            clip = audio[int(start * SAMPLE_RATE):int(end * SAMPLE_RATE)]
            found += shift_segments(self._decode(clip, settings, lambda seconds, start=start: on_progress(start + seconds)),
                                    start)
            on_progress(end)
        return found

    def _decode(self, audio: np.ndarray, settings: DecodeSettings, on_progress: Progress) -> list[Segment]:
        import whisper

        with _whisper_progress(on_progress):
            result = whisper.transcribe(
                self.model,
                audio,
                verbose=False,  # shows progress (through _whisper_progress), prints no text
                language=settings.language,
                task=settings.task,
                beam_size=settings.beam_size,
                best_of=settings.beam_size,
                temperature=settings.temperatures,
                compression_ratio_threshold=settings.compression_ratio_threshold,
                logprob_threshold=settings.log_prob_threshold,
                no_speech_threshold=settings.no_speech_threshold,
                condition_on_previous_text=False,
                initial_prompt=settings.prompt,
                carry_initial_prompt=True,  # like faster-whisper's hotwords: the glossary in every window
                word_timestamps=True,
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


# ---------------------------------------------------------------- speech laid end to end, in windows


@dataclass(frozen=True)
class Joined:
    """Stretches of a recording laid end to end (with silence between them), and the way back to its times."""

    audio: np.ndarray
    spans: tuple[tuple[float, float, float], ...]  # (start in the joined audio, start in the recording, length), seconds

    def original_time(self, seconds: float, index: int | None = None) -> float:
        if index is None:
            index = self.span_at(seconds)
        joined_start, original_start, length = self.spans[index]
        return original_start + min(max(seconds - joined_start, 0.0), length)

    def span_at(self, seconds: float) -> int:
        return max(0, bisect.bisect_right([span[0] for span in self.spans], seconds) - 1)

    def restore(self, segments: list[Segment]) -> list[Word]:
        """The words of `segments` in the recording's times; each word within the span its middle falls in."""
        words = []
        for word in (w for segment in segments for w in segment.words):
            index = self.span_at((word.start + word.end) / 2)
            words.append(Word(word.text, round(self.original_time(word.start, index), 3),
                              round(self.original_time(word.end, index), 3), word.probability))
        return words


def split_long(stretches: list[tuple[float, float]], longest: float) -> list[tuple[float, float]]:
    """Stretches longer than `longest` cut into equal parts that fit."""
    parts = []
    for start, end in stretches:
        pieces = max(1, math.ceil((end - start) / longest - 1e-9))
        step = (end - start) / pieces
        parts += [(round(start + i * step, 3), round(start + (i + 1) * step, 3)) for i in range(pieces)]
    return parts


def join_stretches(audio: Samples, stretches: list[tuple[float, float]], separator: float = 0.0) -> Joined:
    import numpy as np

    pieces, spans, position = [], [], 0.0
    silence = np.zeros(int(separator * SAMPLE_RATE), dtype=np.float32)
    for start, end in stretches:
        piece = audio[int(start * SAMPLE_RATE):int(end * SAMPLE_RATE)]
        if pieces and silence.size:
            pieces.append(silence)
            position += silence.size / SAMPLE_RATE
        spans.append((position, start, piece.shape[0] / SAMPLE_RATE))
        pieces.append(piece)
        position += piece.shape[0] / SAMPLE_RATE
    return Joined(np.concatenate(pieces) if pieces else np.zeros(0, dtype=np.float32), tuple(spans))


def pack_windows(joined: Joined, longest: float = WINDOW_SECONDS) -> list[tuple[float, float]]:
    """Whole spans, in order, gathered into windows of at most `longest` seconds (as faster-whisper packs VAD speech)."""
    windows: list[tuple[float, float]] = []
    for joined_start, _original, length in joined.spans:
        end = joined_start + length
        if windows and end - windows[-1][0] <= longest:
            windows[-1] = (windows[-1][0], end)
        else:
            windows.append((joined_start, min(end, joined_start + longest)))
    length = joined.audio.shape[0] / SAMPLE_RATE
    return [(start, min(end, length)) for start, end in windows]


def group_for_calls(stretches: Iterable[tuple[float, float]], per_call: int, separator: float = 0.0,
                    longest: float = WINDOW_SECONDS) -> Iterator[list[tuple[float, float]]]:
    """Stretches (cut to fit a window) in groups that fill `per_call` packed windows each, packed as pack_windows does.
    Each group as soon as the stretches that fill it have come."""
    current: list[tuple[float, float]] = []
    windows, window_length = 0, 0.0
    for stretch in stretches:
        for start, end in split_long([stretch], longest - 1.0):
            length = end - start
            if current and window_length + separator + length <= longest:
                window_length += separator + length
            else:
                windows += 1
                if windows > per_call:
                    yield current
                    current, windows = [], 1
                window_length = length
            current.append((start, end))
    if current:
        yield current


def decode_stretches(engine: Engine, audio: Samples, stretches: Iterable[tuple[float, float]], settings: DecodeSettings,
                     on_progress: Progress, separator: float = 0.0, tails: bool = False) -> list[Word]:
    """The words of `stretches` of `audio`, decoded laid end to end in packed windows, in the recording's times.

    With `tails`, the part of a window after its last word, when it holds TAIL_SECONDS of speech or more, is
    decoded again as a window of its own (unheard_tails), up to TAIL_ROUNDS times.

    Groups of windows, `engine.calls_at_once` calls at a time, so only that much speech is ever copied and
    turned into features; the first call starts as soon as its stretches have come (the VAD goes on finding
    the rest meanwhile).
    """
    lock = threading.Lock()  # the calls report from their own threads, each its own part of the recording
    reached = 0.0

    def report(seconds: float) -> None:
        nonlocal reached
        with lock:
            if seconds > reached:
                reached = seconds
                on_progress(seconds)

    def decode(group: list[tuple[float, float]]) -> list[Word]:
        joined = join_stretches(audio, group, separator)
        windows = pack_windows(joined)
        segments = engine.transcribe_windows(joined.audio, windows, settings,
                                             lambda seconds: report(joined.original_time(seconds)))
        for _round in range(TAIL_ROUNDS if tails else 0):
            windows = unheard_tails(windows, segments)
            if not windows:
                break
            segments += words_after(engine.transcribe_windows(joined.audio, windows, settings, lambda _seconds: None),
                                    windows)
        report(group[-1][1])
        return joined.restore(segments)

    if isinstance(stretches, Sequence):
        seconds = sum(end - start + separator for start, end in stretches)
    else:  # still coming from the VAD: at most the whole recording
        seconds = audio.shape[0] / SAMPLE_RATE
    groups = group_for_calls(stretches, windows_per_call(seconds, engine.calls_at_once), separator)
    return [word for words in in_background(decode, groups, engine.calls_at_once) for word in words]


def unheard_tails(windows: Sequence[tuple[float, float]], segments: Sequence[Segment],
                  shortest: float = TAIL_SECONDS) -> list[tuple[float, float]]:
    """The end of each window after its last word, where at least `shortest` seconds of it have no word.

    A batched decode reads a window once and may stop after its first sentences (Whisper predicts the end
    of the text too early); the speech after that is lost unless it is decoded again. The windows are
    speech laid end to end, so what follows the last word is speech the decoder skipped.
    """
    ends = sorted(word.end for segment in segments for word in segment.words)
    tails = []
    for start, end in windows:
        before = bisect.bisect_right(ends, end)
        last = ends[before - 1] if before and ends[before - 1] > start else start
        if end - last >= shortest:
            tails.append((round(last, 3), end))
    return tails


def words_after(segments: Sequence[Segment], windows: Sequence[tuple[float, float]]) -> list[Segment]:
    """`segments` with only the words that begin inside one of `windows` (a tail decoded again)."""
    kept = []
    for segment in segments:
        words = tuple(w for w in segment.words if any(start <= w.start < end for start, end in windows))
        if words:
            kept.append(Segment(segment.text, words[0].start, words[-1].end, words))
    return kept


def windows_per_call(seconds: float, calls_at_once: int, most: int = WINDOWS_PER_CALL) -> int:
    """Windows per call that share about `seconds` of speech between `calls_at_once` calls, at most `most`."""
    return max(1, min(most, math.ceil(seconds / WINDOW_SECONDS / calls_at_once)))


def detect_speech(audio: Samples, block: tuple[int, int], settings: DecodeSettings) -> list[tuple[float, float]]:
    """Speech in a block of `audio` (seconds) by the chunker's VAD; with the VAD off, the whole block."""
    if not settings.vad:
        return [(block[0] / SAMPLE_RATE, block[1] / SAMPLE_RATE)]
    return vad_spans(audio, block[0], block[1], chunker_vad())


def shift_segments(segments: list[Segment], offset: float) -> list[Segment]:
    if not offset:
        return segments
    return [Segment(s.text, round(s.start + offset, 3), round(s.end + offset, 3),
                    tuple(Word(w.text, round(w.start + offset, 3), round(w.end + offset, 3), w.probability) for w in s.words))
            for s in segments]
