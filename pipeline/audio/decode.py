"""The first pass: one decode of the recording measures its loudness and sample peak, finds its silences, and
writes the ASR WAV (16 kHz mono, what Whisper listens to) and the sound at the MP3's rate (for the second
pass, `pipeline.audio.normalise`)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from pipeline.audio.loudness import ebur128_filters, parse_ebur128
from pipeline.audio.silence import Spans, parse_silences, silencedetect
from pipeline.progress import advance_to, progress_bar
from pipeline.tools.ffmpeg import run_ffmpeg
from pipeline.transcription.audio import SAMPLE_RATE  # the rate Whisper listens at


@dataclass(frozen=True)
class Measurement:
    """What the first pass measures: integrated loudness (LUFS), sample peak (dBFS) and the silent stretches."""

    integrated: float
    peak: float
    silences: Spans


def decode_recording(source: Path, asr_wav: Path, pcm: Path, sample_rate: int, layout: str,
                     duration: float) -> Measurement:
    """Decode `source` once: its loudness measured on the output `layout` at `sample_rate`, silences found on
    the ASR sound; write `asr_wav` (16 kHz mono s16) and `pcm` (`sample_rate`, the recording's channels, s24)."""
    with progress_bar(duration, "measure loudness") as bar:
        stderr = run_ffmpeg(
            [
                "-i", source,
                "-filter_complex",
                f"[0:a:0]asplit=2[sound][asr];"
                f"[sound]aresample={sample_rate},asplit=2[loud][keep];"
                f"[loud]{ebur128_filters(layout)}[measured];"
                f"[asr]aresample={SAMPLE_RATE},aformat=sample_fmts=s16:channel_layouts=mono,"
                f"{silencedetect()}[speech]",
                "-map", "[measured]", "-f", "null", "-",
                "-map", "[speech]", "-c:a", "pcm_s16le", "-f", "wav", asr_wav,
                "-map", "[keep]", "-c:a", "pcm_s24le", "-f", "wav", pcm,
            ],
            what=f"decoding {source.name}",
            on_progress=lambda seconds: advance_to(bar, seconds),
        )
    integrated, peak = parse_ebur128(stderr)
    return Measurement(integrated, peak if peak is not None else 0.0, parse_silences(stderr, duration))
