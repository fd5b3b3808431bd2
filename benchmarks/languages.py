"""Benchmark `languages`: the bundled multilingual model on real German, French and Spanish speech.

Cases: the fifteen FLEURS sentences in tests/data/fleurs (five readers each of de, fr, es), with their texts.
- WER, side by side: ours (`transcribe_audio` with base, what the transcribe stage runs: VAD, batched windows,
  coverage check) / plain faster-whisper with the same weights (`WhisperModel(base).transcribe(path,
  language=…, beam_size=5)`), after the same normalisation (lower case, punctuation removed);
- language detection (ours: up to seven windows over the recording, each on its speech only) on each sentence
  alone and after a 15 s music-like intro (three-note chords with a tremolo): correct of 15 / faster-whisper's
  own `detect_language` on the first 30 s;
- speed: base vs tiny.en on the same (English) speech, Lucier's 101 s, 2 threads: wall seconds per audio second.
"""

from __future__ import annotations

import re
import time
from pathlib import Path
from typing import Any

import numpy as np

LANGUAGES = ("de", "fr", "es")


def _normal(text: str) -> str:
    return " ".join(re.sub(r"[^\w\s']", " ", text.lower()).split())


def _music(seconds: float, rate: int) -> np.ndarray:
    t = np.arange(int(seconds * rate)) / rate
    chords = sum(np.sin(2 * np.pi * f * t) for f in (220.0, 277.2, 329.6))
    return (chords * 0.05 * (1 + np.sin(2 * np.pi * 4 * t))).astype(np.float32)


def run(root: Path) -> dict[str, Any]:
    import jiwer
    from faster_whisper import WhisperModel

    from pipeline.formats.transcript import join_words
    from pipeline.transcription.audio import SAMPLE_RATE, load_audio
    from pipeline.transcription.engines import DecodeSettings
    from pipeline.transcription.language import detect_language
    from pipeline.transcription.models import resolve_model
    from pipeline.transcription.transcribe import transcribe_audio

    data = Path(root) / "tests" / "data"
    base = resolve_model("base", "faster-whisper")
    plain = WhisperModel(base.location, device="cpu", compute_type="int8", cpu_threads=2)
    results: dict[str, Any] = {}
    detected = {"alone": 0, "after_intro": 0, "plain_alone": 0, "plain_after_intro": 0}
    for language in LANGUAGES:
        references, ours, theirs = [], [], []
        for path in sorted((data / "fleurs").glob(f"fleurs-{language}-*.ogg")):
            audio = load_audio(path)
            references.append(_normal(path.with_suffix(".txt").read_text(encoding="utf-8")))
            result = transcribe_audio(audio, "faster-whisper", base, DecodeSettings(language=language, threads=2))
            ours.append(_normal(join_words(w for s in result.segments for w in s.words)))
            segments, _ = plain.transcribe(str(path), language=language, beam_size=5)
            theirs.append(_normal(" ".join(s.text for s in segments)))
            with_intro = np.concatenate([_music(15.0, SAMPLE_RATE), audio])
            for case, samples in (("alone", audio), ("after_intro", with_intro)):
                detected[case] += detect_language(samples, base, 2).language == language
                detected[f"plain_{case}"] += plain.detect_language(samples)[0] == language
        results[language] = {"wer": round(jiwer.wer(references, ours), 3), "plain_wer": round(jiwer.wer(references, theirs), 3)}
    results["detection_of_15"] = detected

    lucier = load_audio(data / "lucier.mp3")
    seconds = len(lucier) / SAMPLE_RATE
    speed = {}
    for name in ("tiny.en", "base"):
        model = resolve_model(name, "faster-whisper")
        transcribe_audio(lucier[: SAMPLE_RATE * 10], "faster-whisper", model, DecodeSettings(threads=2))  # load, warm
        started = time.perf_counter()
        transcribe_audio(lucier, "faster-whisper", model, DecodeSettings(language="en", threads=2))
        speed[name] = round((time.perf_counter() - started) / seconds, 3)
    results["rtf_lucier"] = {**speed, "base_over_tiny_en": round(speed["base"] / speed["tiny.en"], 2)}
    return results
