"""Where the speech is: Silero VAD (as faster-whisper ships it) on blocks of a recording, several at once.

A long recording is cut into blocks of about BLOCK_SECONDS, each ending at its quietest moment, so that
several blocks can be searched at once (Silero uses one core) and no block is held whole for long.
"""

from __future__ import annotations

from typing import Any

from pipeline.transcription.audio import SAMPLE_RATE, WINDOW_SECONDS, Samples

BLOCK_SECONDS = 120.0  # VAD blocks, one per core (Silero uses one); measured faster and lighter than 300 s blocks or one pass
BLOCK_CUT_SEARCH_SECONDS = 15.0  # a block ends at the quietest 0.1 s within this distance of its nominal end


def chunker_vad() -> Any:
    """The VAD settings faster-whisper's batched pipeline uses by default; both engines get them."""
    from faster_whisper.vad import VadOptions

    return VadOptions(max_speech_duration_s=WINDOW_SECONDS, min_silence_duration_ms=160)


def block_bounds(audio: Samples, block_seconds: float = BLOCK_SECONDS,
                 search_seconds: float = BLOCK_CUT_SEARCH_SECONDS) -> list[tuple[int, int]]:
    """(start, end) samples of blocks of about `block_seconds`, each cut at the quietest 0.1 s near its end."""
    import numpy as np

    frame = SAMPLE_RATE // 10
    length = audio.shape[0]
    bounds, start = [], 0
    while length - start > (block_seconds + search_seconds) * SAMPLE_RATE:
        nominal = start + int(block_seconds * SAMPLE_RATE)
        low = nominal - int(search_seconds * SAMPLE_RATE)
        window = audio[low:nominal + int(search_seconds * SAMPLE_RATE)]
        frames = window[: window.shape[0] // frame * frame].reshape(-1, frame)
        quietest = int(np.argmin(np.square(frames, dtype=np.float64).mean(axis=1)))
        cut = low + quietest * frame + frame // 2
        bounds.append((start, cut))
        start = cut
    bounds.append((start, length))
    return bounds


def vad_spans(audio: Samples, first: int, last: int, options: Any) -> list[tuple[float, float]]:
    """(start, end) seconds, in the recording, of the speech Silero finds in samples `first`..`last`."""
    from faster_whisper.vad import get_speech_timestamps

    found = get_speech_timestamps(audio[first:last], options, sampling_rate=SAMPLE_RATE)
    return [((first + chunk["start"]) / SAMPLE_RATE, (first + chunk["end"]) / SAMPLE_RATE) for chunk in found]
