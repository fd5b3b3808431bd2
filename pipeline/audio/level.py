"""Speaker levelling in one mixed recording: an adaptive leveler, ffmpeg's dynaudnorm, so a guest 10 dB under the
host comes out as loud as the host.

It brings each 250 ms frame's peak towards the same level through a gain smoothed over 15 frames (3.75 s), at
most +20 dB, and never raises a frame whose peak is under −40 dBFS (a pause): breaths and room noise between
phrases stay down. It runs after the denoiser, so what little noise is left is not raised either. Measured
(`BENCH=production`: two real voices 10 dB apart, 12 s turns, pauses of faint noise): the loudness spread
between them goes from 9.9 LU to 0.9 LU, and the pauses rise 4.8 dB against the speech (speech-to-pause 40.8 →
36.0 dB). dynaudnorm's defaults (500 ms frames × 31) leave 7.5 LU, speechnorm's 8.3 LU.
"""

from __future__ import annotations

from pathlib import Path

from pipeline.audio.loudness import measured_filters, measured_outputs, parse_ebur128
from pipeline.progress import advance_to, progress_bar
from pipeline.tools.ffmpeg import run_ffmpeg

LEVELER = "dynaudnorm=f=250:g=15:t=0.01"


def level(pcm: Path, levelled: Path, *, layout: str, duration: float) -> tuple[float, float]:
    """`pcm` (a WAV) levelled into `levelled` (same rate and channels, s24); its loudness (LUFS) and peak (dBFS)."""
    import soundfile

    rate = soundfile.info(str(pcm)).samplerate
    with progress_bar(duration, "level speakers") as bar:
        stderr = run_ffmpeg(["-i", pcm, "-filter_complex", measured_filters(rate, layout, LEVELER),
                             *measured_outputs(levelled)],
                            what=f"levelling {pcm.name}", on_progress=lambda seconds: advance_to(bar, seconds))
    integrated, peak = parse_ebur128(stderr)
    return integrated, peak if peak is not None else 0.0
