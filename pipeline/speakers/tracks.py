"""Speaker turns of a multitrack recording: in every tenth of a second, the track whose own voice is speaking.

Each track is levelled first (the gain that brings it to the others' loudness), so a quiet guest's
microphone counts as much as the host's. Silero finds speech in each track; where several tracks hear
speech at once, the loudest levelled track has it, so bleed (the other voice, quieter, picked up by a
microphone) never counts as that microphone's speaker.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from pipeline.speakers.speech import FRAME_SECONDS, speech_frames, speech_spans
from pipeline.speakers.turns import Turn, active_speakers, runs, smooth
from pipeline.transcription.audio import SAMPLE_RATE

if TYPE_CHECKING:
    import numpy as np


def frame_levels(samples: np.ndarray, gain_db: float, frames: int) -> np.ndarray:
    """Energy (dBFS, after `gain_db`) of each FRAME_SECONDS of `samples`, padded with silence to `frames`."""
    import numpy as np

    size = round(FRAME_SECONDS * SAMPLE_RATE)
    usable = samples[: samples.shape[0] // size * size].reshape(-1, size)
    levels = np.full(frames, -120.0)
    energy = 10 * np.log10(np.mean(np.square(usable, dtype=np.float64), axis=1) + 1e-12) + gain_db
    levels[: min(frames, energy.shape[0])] = energy[:frames]
    return levels


def track_turns(tracks: Sequence[np.ndarray], gains_db: Sequence[float], speakers: Sequence[str]) -> list[Turn]:
    """Turns (start, end, speaker) from 16 kHz mono tracks of one conversation, each with its levelling gain."""
    import math

    frames = max((math.ceil(t.shape[0] / (FRAME_SECONDS * SAMPLE_RATE)) for t in tracks), default=0)
    levels = [frame_levels(samples, gain, frames) for samples, gain in zip(tracks, gains_db, strict=True)]
    heard = [speech_frames(speech_spans(samples), frames) for samples in tracks]
    labels = active_speakers([level.tolist() for level in levels], [h.tolist() for h in heard], speakers)
    return runs(smooth(labels, FRAME_SECONDS), FRAME_SECONDS)
