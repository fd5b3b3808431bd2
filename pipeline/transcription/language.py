"""Which language is spoken: Whisper's language detection on several windows spread over the recording.

The first 30 s alone would often lie (a music intro, a cold open in another language), so up to
DETECTION_WINDOWS windows of 30 s are spread over the whole recording, each detected on its speech only
(Silero VAD), and their probabilities averaged. A window that hears another language with confidence is
reported, so a recording in two languages says where the other one was heard.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

import numpy as np

from pipeline.transcription.audio import SAMPLE_RATE
from pipeline.transcription.models import ModelSource

log = logging.getLogger(__name__)

DETECTION_WINDOWS = 7
WINDOW_SECONDS = 30.0
UNSURE_BELOW = 0.7  # the averaged probability of the language found; under it, a warning
OTHER_LANGUAGE_ABOVE = 0.8  # a window this sure of another language is named in the warning


@dataclass(frozen=True)
class WindowLanguage:
    start: float
    language: str
    probability: float


@dataclass(frozen=True)
class Detection:
    language: str
    probability: float
    windows: tuple[WindowLanguage, ...]

    def others(self) -> list[WindowLanguage]:
        """Windows that heard another language with confidence."""
        return [w for w in self.windows if w.language != self.language and w.probability >= OTHER_LANGUAGE_ABOVE]

    def as_document(self) -> dict[str, object]:
        return {"language": self.language, "probability": round(self.probability, 3),
                "windows": [{"start": round(w.start, 2), "language": w.language, "probability": round(w.probability, 3)}
                            for w in self.windows]}


def window_starts(duration: float, count: int = DETECTION_WINDOWS, seconds: float = WINDOW_SECONDS) -> list[float]:
    """Starts of up to `count` windows of `seconds`, spread evenly over the recording, none past its end."""
    if duration <= seconds:
        return [0.0]
    count = min(count, int(duration // seconds))
    step = (duration - seconds) / max(count - 1, 1)
    return [round(i * step, 3) for i in range(count)]


def detect_language(audio: np.ndarray, model: ModelSource, threads: int) -> Detection:
    """The language spoken in 16 kHz `audio`, by a multilingual model (a CTranslate2 folder or name)."""
    from pipeline.transcription.engines import faster_whisper_model

    whisper = faster_whisper_model(model.location, threads, 1)
    duration = len(audio) / SAMPLE_RATE
    totals: dict[str, float] = {}
    windows = []
    starts = window_starts(duration)
    for start in starts:
        piece = audio[int(start * SAMPLE_RATE):int((start + WINDOW_SECONDS) * SAMPLE_RATE)]
        language, probability, every = whisper.detect_language(audio=piece, vad_filter=True)
        windows.append(WindowLanguage(start, language, float(probability)))
        for code, value in every:
            totals[code] = totals.get(code, 0.0) + float(value) / len(starts)
    best = max(totals, key=lambda code: totals[code])
    return Detection(best, totals[best], tuple(windows))
