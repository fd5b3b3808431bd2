"""Silence: the stretches ffmpeg's silencedetect reports, what sounds between them, and whether a recording
is silent (an error) or mostly silent (a warning). Pure."""

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
