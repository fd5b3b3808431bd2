"""Silence: the stretches ffmpeg's silencedetect reports, what sounds between them, and whether a recording
is silent (an error) or mostly silent (a warning), all pure; and the quiet stretches of a produced recording
(`quiet_spans`), where the edit may shorten a pause."""

from __future__ import annotations

import re
from pathlib import Path

from pipeline.audio.loudness import audible
from pipeline.errors import InputError
from pipeline.formats.times import timestamp

SILENCE_DB = -60.0  # quieter than this for SILENCE_SECONDS is silence
SILENCE_SECONDS = 2.0
MOSTLY_SILENT = 0.9  # a recording silent for more than this share of its length gets a warning

Spans = tuple[tuple[float, float], ...]


def silencedetect(noise_db: float = SILENCE_DB, seconds: float = SILENCE_SECONDS) -> str:
    """The ffmpeg filter that reports the silences `parse_silences` reads."""
    return f"silencedetect=noise={noise_db}dB:duration={seconds}"


def parse_silences(stderr: str, duration: float) -> Spans:
    """(start, end) of every silence ffmpeg's silencedetect reported; one still open at the end closes there."""
    spans: list[tuple[float, float]] = []
    start: float | None = None
    for kind, value in re.findall(r"silence_(start|end): (-?[\d.]+)", stderr):
        if kind == "start":
            start = max(0.0, float(value))
        elif start is not None:
            spans.append((start, float(value)))
            start = None
    if start is not None:
        spans.append((start, duration))
    return tuple(spans)


def sounding(silences: Spans, duration: float) -> list[tuple[float, float]]:
    """The complement of `silences` in [0, duration]."""
    spans, position = [], 0.0
    for start, end in silences:
        if start > position:
            spans.append((position, start))
        position = max(position, end)
    if duration > position:
        spans.append((position, duration))
    return spans


def check_silence(integrated: float, silences: Spans, duration: float, source: Path) -> str | None:
    """InputError for a silent recording (integrated loudness `integrated` LUFS, `silences` in `duration` s); a
    warning (returned) for one that is mostly silent."""
    silent = sum(end - start for start, end in silences)
    if not audible(integrated) or silent >= duration - 0.05:
        raise InputError(f"{source}: the recording is silent: loudness cannot be measured",
                         hint="check the recording has sound, or that the right file is named in episode.yaml")
    if silent <= MOSTLY_SILENT * duration:
        return None
    heard = sounding(silences, duration)
    times = ", ".join(f"{timestamp(a, '[H:]MM:SS')}–{timestamp(b, '[H:]MM:SS')}" for a, b in heard[:10])
    times += " …" if len(heard) > 10 else ""
    return (f"{source}: silent for {silent:.0f} of {duration:.0f} s ({silent / duration:.0%}); sound only at {times}. "
            "Check that this is the right file and that every microphone was recorded")


QUIET_UNDER_SPEECH_DB = 30.0  # a 20 ms frame this far under the speech (its loud frames) is quiet
QUIET_FRAME_SECONDS = 0.02


def quiet_spans(path: Path) -> Spans:
    """The stretches of `path` (a WAV) whose 20 ms frames are all QUIET_UNDER_SPEECH_DB under its speech (the 95th
    percentile of its frames' level), read block by block: where a pause may be shortened without touching a
    breath or a word's tail."""
    import numpy as np
    import soundfile

    levels = []
    with soundfile.SoundFile(str(path)) as sound:
        frame = max(1, int(sound.samplerate * QUIET_FRAME_SECONDS))
        for block in sound.blocks(blocksize=frame * 500, dtype="float32", always_2d=True):
            mono = block.mean(axis=1)
            count = mono.shape[0] // frame
            if count:
                power = np.mean(mono[:count * frame].reshape(count, frame) ** 2, axis=1)
                levels.append(10 * np.log10(power + 1e-12))
        seconds = frame / sound.samplerate
    if not levels:
        return ()
    level = np.concatenate(levels)
    quiet = np.concatenate([[False], level < np.percentile(level, 95) - QUIET_UNDER_SPEECH_DB, [False]])
    edges = np.flatnonzero(np.diff(quiet.astype(np.int8)))
    return tuple((round(float(a * seconds), 3), round(float(b * seconds), 3))
                 for a, b in zip(edges[::2], edges[1::2], strict=True))
