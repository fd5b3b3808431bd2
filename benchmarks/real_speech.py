"""Benchmark `transcribe.real_speech`: the project's transcription against plain faster-whisper, on real speech.

Cases: the long-form file of benchmarks.longform (about 34 minutes, built here, never committed) and
each real clip with a text reference (Lucier reading, JFK). For each, side by side, alternated, in
child processes (so each peak RSS is its own):
- project: `load_audio` + `transcribe_audio`, what the transcribe stage runs (blocks, VAD, batched
  windows, coverage check);
- plain: `BatchedInferencePipeline(model).transcribe(path, beam_size=5, batch_size=4, word_timestamps=True)`,
  same model, beam, threads and batch size (word timestamps on, as the stage needs them), the model loaded
  as faster-whisper's README loads it, with `cpu_threads` = the cores. (The project splits the same cores
  between side-by-side calls: that is one of the things measured.)

Figures: WER (jiwer, Whisper's English normaliser), deleted / inserted / substituted words, seconds of
reference speech without words, wall and CPU seconds (the better of REAL_SPEECH_REPEATS runs, default 2:
this machine is noisy), peak RSS. "Reference speech" is what Silero VAD at its default threshold hears
in each clean clip on its own, at full level, mapped to where the clip was placed; a stretch of it counts
as without words when no word is within 0.3 s of it and it lasts at least 0.5 s.
"""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path
from typing import Any

import numpy as np

BEAM_SIZE = 5
BATCH_SIZE = 4


def _worker(spec: dict[str, Any]) -> dict[str, Any]:
    """In the child: one system on one file. Returns timings, memory and the words (scored by the parent)."""
    import resource
    import time

    from benchmarks.memory import own_peak_mb
    from pipeline.transcription.audio import load_audio
    from pipeline.transcription.engines import DecodeSettings
    from pipeline.transcription.models import resolve_model
    from pipeline.transcription.transcribe import transcribe_audio

    threads = spec["threads"]
    model = resolve_model("tiny.en", "faster-whisper")
    settings = DecodeSettings(beam_size=BEAM_SIZE, threads=threads, batch_size=BATCH_SIZE)
    if spec["system"] == "project":
        def run(path: str) -> tuple[list[tuple[str, float, float]], list[tuple[float, float]]]:
            result = transcribe_audio(load_audio(Path(path)), "faster-whisper", model, settings)
            return [(w.text, w.start, w.end) for s in result.segments for w in s.words], list(result.gaps)
    else:
        from faster_whisper import BatchedInferencePipeline, WhisperModel

        whisper = WhisperModel(model.location, device="cpu", compute_type="int8", cpu_threads=threads)

        def run(path: str) -> tuple[list[tuple[str, float, float]], list[tuple[float, float]]]:
            segments, _info = BatchedInferencePipeline(whisper).transcribe(path, beam_size=BEAM_SIZE, batch_size=BATCH_SIZE,
                                                                            word_timestamps=True)
            return [(w.word.strip(), float(w.start), float(w.end)) for s in segments for w in s.words or ()], []

    run(spec["warmup"])
    before = resource.getrusage(resource.RUSAGE_SELF)
    started = time.perf_counter()
    words, gaps = run(spec["audio"])
    wall = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_SELF)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return {"wall_s": round(wall, 2), "cpu_s": round(cpu, 2), "peak_rss_mb": round(own_peak_mb(), 1),
            "words": words, "gaps": gaps}


def _run_child(root: Path, spec: dict[str, Any]) -> dict[str, Any]:
    from benchmarks.memory import run_in_child

    return run_in_child(root, "benchmarks.real_speech", spec, f"{spec['system']} on {spec['audio']}")


def speech_spans(samples: np.ndarray) -> list[tuple[float, float]]:
    """The reference speech of a clean clip: where Silero VAD (faster-whisper's defaults) hears speech in the
    clip alone, at its own level, before it is placed, attenuated and surrounded by other sound."""
    from faster_whisper.vad import VadOptions

    from pipeline.transcription.vad import vad_spans

    return vad_spans(samples, 0, samples.shape[0], VadOptions(speech_pad_ms=0, min_silence_duration_ms=300))


def uncovered(reference: list[tuple[float, float]], words: list[tuple[str, float, float]],
              margin: float = 0.3, shortest: float = 0.5) -> list[float]:
    """Lengths of the pieces of `reference` speech with no word within `margin`, of at least `shortest` seconds."""
    covered = sorted((start - margin, end + margin) for _text, start, end in words)
    pieces = []
    for start, end in reference:
        position = start
        for a, b in covered:
            if b <= position or a >= end:
                continue
            if a - position >= shortest:
                pieces.append(a - position)
            position = max(position, b)
        if end - position >= shortest:
            pieces.append(end - position)
    return pieces


def uncovered_seconds(reference: list[tuple[float, float]], words: list[tuple[str, float, float]],
                      margin: float = 0.3, shortest: float = 0.5) -> float:
    """Seconds of `reference` speech with no word within `margin`, counting pieces of at least `shortest`."""
    return round(sum(uncovered(reference, words, margin, shortest)), 2)


def _score(reference_text: str, words: list[tuple[str, float, float]]) -> dict[str, Any]:
    import jiwer
    from whisper.normalizers import EnglishTextNormalizer

    from pipeline.formats.transcript import Word, join_words

    normalise = EnglishTextNormalizer()
    text = join_words([Word(text, start, end) for text, start, end in words])
    measures = jiwer.process_words(normalise(reference_text), normalise(text))
    return {"wer": round(measures.wer, 4), "deleted": measures.deletions, "inserted": measures.insertions,
            "substituted": measures.substitutions, "words": len(words)}


def run(root: Path) -> dict[str, Any]:
    from benchmarks import longform

    root = Path(root).resolve()
    threads = os.cpu_count() or 1
    repeats = int(os.environ.get("REAL_SPEECH_REPEATS", "2"))
    minutes = float(os.environ.get("REAL_SPEECH_MINUTES", "32"))
    clips = longform.sources()
    figures: dict[str, Any] = {"model": "tiny.en", "beam_size": BEAM_SIZE, "batch_size": BATCH_SIZE, "threads": threads,
                               "repeats": repeats, "cases": {}}
    with tempfile.TemporaryDirectory() as tmp:
        samples, reference, placed = longform.build(minutes)
        long_wav = longform.write_wav(Path(tmp) / "longform.wav", samples)
        clip_spans = {name: speech_spans(audio) for name, (audio, _text) in clips.items()}
        cases = {"longform": (long_wav, reference, [(p.start + a, p.start + b) for p in placed for a, b in clip_spans[p.name]])}
        for name, (audio, text) in clips.items():
            cases[name] = (longform.write_wav(Path(tmp) / f"{name}.wav", audio), text, clip_spans[name])
        warmup = longform.write_wav(Path(tmp) / "warmup.wav", clips["jfk"][0][: 4 * longform.RATE])
        figures["longform_minutes"] = round(samples.shape[0] / longform.RATE / 60, 1)
        for case, (path, text, speech) in cases.items():
            systems: dict[str, Any] = {}
            runs: dict[str, list[dict[str, Any]]] = {"project": [], "plain": []}
            for _ in range(repeats):
                for system in ("project", "plain"):
                    runs[system].append(_run_child(root, {"system": system, "audio": str(path), "warmup": str(warmup),
                                                          "threads": threads}))
            for system, done in runs.items():
                best = min(done, key=lambda r: r["wall_s"])
                systems[system] = {
                    **_score(text, best["words"]),
                    "uncovered_s": uncovered_seconds(speech, best["words"]),
                    "reported_gaps_s": round(sum(b - a for a, b in best["gaps"]), 2),
                    "wall_s": best["wall_s"], "wall_s_runs": [r["wall_s"] for r in done],
                    "cpu_s": min(r["cpu_s"] for r in done), "peak_rss_mb": max(r["peak_rss_mb"] for r in done),
                }
            systems["speed_vs_plain"] = round(systems["plain"]["wall_s"] / systems["project"]["wall_s"], 3)
            systems["wer_delta_vs_plain"] = round(100 * (systems["project"]["wer"] - systems["plain"]["wer"]), 2)
            figures["cases"][case] = systems
    headline = figures["cases"]["longform"]
    figures["wer_delta_vs_plain"] = headline["wer_delta_vs_plain"]
    figures["speed_vs_plain"] = headline["speed_vs_plain"]
    figures["cpu_ratio_vs_plain"] = round(headline["plain"]["cpu_s"] / headline["project"]["cpu_s"], 3)
    figures["uncovered_s"] = headline["project"]["uncovered_s"]
    figures["plain_uncovered_s"] = headline["plain"]["uncovered_s"]
    return figures


if __name__ == "__main__":
    print(json.dumps(run(Path(__file__).resolve().parent.parent), indent=2))
