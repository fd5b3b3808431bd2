"""Where someone speaks, as speaker turns are annotated (padded, short pauses bridged), in FRAME_SECONDS frames."""

from __future__ import annotations

import os
from typing import TYPE_CHECKING

from pipeline.parallel import in_parallel
from pipeline.transcription.audio import Samples
from pipeline.transcription.vad import block_bounds, vad_spans

if TYPE_CHECKING:
    import numpy as np

FRAME_SECONDS = 0.1  # resolution of the turns


def speech_spans(audio: Samples) -> list[tuple[float, float]]:
    """Speech by Silero, a little more sensitive than its default and padded, as speaker turns are annotated;
    on the transcriber's VAD blocks, one per core (bounded memory on a long episode)."""
    from faster_whisper.vad import VadOptions

    options = VadOptions(threshold=0.4, min_silence_duration_ms=250, speech_pad_ms=200, min_speech_duration_ms=200)
    found = in_parallel(lambda block: vad_spans(audio, block[0], block[1], options), block_bounds(audio), os.cpu_count() or 1)
    return [span for spans in found for span in spans]


def speech_frames(spans: list[tuple[float, float]], frames: int) -> np.ndarray:
    """Which of `frames` FRAME_SECONDS frames the speech `spans` (seconds) touch."""
    import numpy as np

    heard = np.zeros(frames, dtype=bool)
    for start, end in spans:
        heard[int(start / FRAME_SECONDS):min(frames, int(np.ceil(end / FRAME_SECONDS)))] = True
    return heard
