"""Transcription benchmark: both engines on jfk.flac and episode 463, same weights, beam size and threads.

Each run happens in its own child process, so its peak RSS is its own. Wall seconds cover VAD and
decoding; the model is loaded (for openai-whisper, converted) and warmed up on a 4 s clip before the
clock starts (load_s and warmup_s are reported apart).
WER is computed with jiwer after Whisper's English text normaliser.

Both engines get the same chunks of speech (VAD runs once, in the pipeline). faster-whisper, the
default, decodes them in batches of DecodeSettings.batch_size; openai-whisper has no batched decoding.
`faster-whisper_one_at_a_time` is faster-whisper without batching, on 463 only, to show how much of
the speedup is the batching and how much the engine.

    .venv/bin/python -m benchmarks.transcribe      # prints the dict that goes under "transcribe"
"""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path
from typing import Any

ENGINES = ("faster-whisper", "openai-whisper")
DEFAULT_ENGINE = "faster-whisper"
BEAM_SIZE = 5
JFK_REFERENCE = ("And so my fellow Americans, ask not what your country can do for you, "
                 "ask what you can do for your country.")


def _glossary(root: Path) -> list[str]:
    """Episode 463's glossary, as the transcribe stage builds it (show terms, then episode terms)."""
    from pipeline.config.load import load_project
    from pipeline.context import Context
    from pipeline.layout import Project
    from pipeline.stages.transcribe import glossary

    project = Project(root)
    return list(glossary(Context.create(project, load_project(project, environ={}), "463")))


def _worker(spec: dict[str, Any]) -> dict[str, Any]:
    """Runs in the child: one engine on one file. Returns the figures and the text (scored by the parent,
    so that the WER normaliser's imports, torch among them, do not count in this engine's memory)."""
    import time

    from benchmarks.memory import own_peak_mb
    from pipeline.transcription.audio import load_audio
    from pipeline.transcription.engines import DecodeSettings, load_engine
    from pipeline.transcription.models import resolve_model
    from pipeline.transcription.transcribe import transcribe_audio

    settings = DecodeSettings(beam_size=BEAM_SIZE, threads=spec["threads"], glossary=tuple(spec["glossary"]),
                              batch_size=spec.get("batch_size", DecodeSettings.batch_size))
    model = resolve_model("tiny.en", spec["engine"])
    started = time.perf_counter()
    load_engine(spec["engine"], model, settings.thread_count)  # cached: transcribe_audio reuses it
    load_seconds = time.perf_counter() - started
    audio = load_audio(Path(spec["audio"]))
    # One short call first: openai-whisper JIT-compiles its word-alignment code (numba) on first use,
    # which costs tens of seconds on a small machine and says nothing about transcription speed.
    started = time.perf_counter()
    transcribe_audio(load_audio(Path(spec["warmup"])), spec["engine"], model, settings)
    warmup_seconds = time.perf_counter() - started
    started = time.perf_counter()
    result = transcribe_audio(audio, spec["engine"], model, settings)
    wall = time.perf_counter() - started
    text = " ".join(segment.text for segment in result.segments)
    return {
        "wall_s": round(wall, 2),
        "load_s": round(load_seconds, 2),
        "warmup_s": round(warmup_seconds, 2),
        "audio_s": round(result.duration, 2),
        "rtf": round(wall / result.duration, 4),
        "peak_rss_mb": round(own_peak_mb(), 1),
        "text": text,
    }


def _run_child(root: Path, spec: dict[str, Any]) -> dict[str, Any]:
    from benchmarks.memory import run_in_child

    figures = run_in_child(root, "benchmarks.transcribe", spec, f"{spec['engine']} on {spec['audio']}")
    text = figures.pop("text")
    return {**figures, "wer": round(_wer(spec["reference"], text), 4), "words": len(text.split())}


def _wer(reference: str, text: str) -> float:
    import jiwer
    from whisper.normalizers import EnglishTextNormalizer

    normalise = EnglishTextNormalizer()
    return float(jiwer.wer(normalise(reference), normalise(text)))


def run(root: Path) -> dict[str, Any]:
    from pipeline.tools.ffmpeg import run_ffmpeg
    from pipeline.transcription.ct2 import openai_checkpoint
    from pipeline.transcription.engines import DecodeSettings
    from pipeline.transcription.models import resolve_model

    root = Path(root).resolve()
    threads = os.cpu_count() or 1
    model = resolve_model("tiny.en", "openai-whisper")
    assert model.path is not None
    openai_checkpoint(model.path, model.name)  # convert once, outside the timings

    glossary = _glossary(root)
    script = (root / "episodes" / "463" / "script.txt").read_text(encoding="utf-8")
    figures: dict[str, Any] = {"model": "tiny.en", "beam_size": BEAM_SIZE, "threads": threads,
                               "batch_size": DecodeSettings.batch_size,
                               "cpu_count": os.cpu_count(), "engines": {}}
    with tempfile.TemporaryDirectory() as tmp:
        asr_463 = Path(tmp) / "463.wav"
        run_ffmpeg(["-i", root / "episodes" / "463" / "recording.mp3", "-ac", "1", "-ar", "16000", asr_463],
                   what="making the benchmark's 16 kHz WAV")
        cases = {
            "jfk": (root / "tests" / "data" / "jfk.flac", JFK_REFERENCE, []),
            "463": (asr_463, script, glossary),
            "463_no_glossary": (asr_463, script, []),
        }
        warmup = Path(tmp) / "warmup.wav"
        run_ffmpeg(["-i", root / "tests" / "data" / "jfk.flac", "-t", "4", "-ac", "1", "-ar", "16000", warmup],
                   what="making the benchmark's warm-up clip")
        for engine in ENGINES:
            figures["engines"][engine] = {
                case: _run_child(root, {"engine": engine, "audio": str(audio), "reference": reference,
                                        "glossary": terms, "threads": threads, "warmup": str(warmup)})
                for case, (audio, reference, terms) in cases.items()
            }
        audio, reference, terms = cases["463"]
        figures["engines"][f"{DEFAULT_ENGINE}_one_at_a_time"] = {"463": _run_child(root, {
            "engine": DEFAULT_ENGINE, "audio": str(audio), "reference": reference, "glossary": terms,
            "threads": threads, "warmup": str(warmup), "batch_size": 1})}
    default, reference_engine = figures["engines"][DEFAULT_ENGINE]["463"], figures["engines"]["openai-whisper"]["463"]
    figures["speedup_vs_openai_whisper"] = round(reference_engine["wall_s"] / default["wall_s"], 2)
    figures["wer_delta_vs_openai_whisper"] = round(100 * (default["wer"] - reference_engine["wer"]), 2)
    from benchmarks import real_speech

    figures["real_speech"] = real_speech.run(root)
    return figures


if __name__ == "__main__":
    print(json.dumps(run(Path(__file__).resolve().parent.parent), indent=2))
