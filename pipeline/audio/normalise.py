"""The second pass: the sound brought to the target loudness (gain, and a limiter where the peaks need one),
encoded to MP3, and measured as decoded; encoded again, corrected, if the MP3 missed the loudness or the
true-peak ceiling.

What the encoder takes off (about 0.4 LU at 128 kbps) is measured on an excerpt and added before it, so one
encode is usually enough. Pure: `Mp3Format.args`, `encoder_loss`, `correction`.
"""

from __future__ import annotations

import logging
import math
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from pipeline.audio.loudness import (
    LIMITER_MARGIN_DB,
    LOUDNESS_TOLERANCE_LU,
    find_gain,
    gain_filters,
    loudness,
    parse_ebur128,
)
from pipeline.progress import advance_to, progress_bar
from pipeline.tools.ffmpeg import run_ffmpeg, run_ffmpeg_into, tee_output

if TYPE_CHECKING:
    from pipeline.config.show import AudioSettings

log = logging.getLogger(__name__)

ENCODE_ATTEMPTS = 3  # an MP3 that misses the loudness or peaks past the ceiling is encoded again, corrected
ENCODER_EXCERPT_SECONDS = 60
MAX_ENCODER_LOSS_LU = 2.0


@dataclass(frozen=True)
class Mp3Format:
    """The published MP3: constant bitrate (kbps), sample rate (Hz), channels."""

    bitrate_kbps: int
    sample_rate: int
    channels: int

    def encoder_args(self) -> list[str]:
        """ffmpeg's encoder options for this MP3 (LAME)."""
        return ["-c:a", "libmp3lame", "-b:a", f"{self.bitrate_kbps}k", "-ar", str(self.sample_rate),
                "-ac", str(self.channels)]

    def args(self) -> list[str]:
        """ffmpeg's output options for this MP3 (LAME)."""
        return [*self.encoder_args(), "-f", "mp3"]


@dataclass(frozen=True)
class AacFormat:
    """An AAC soundtrack for video (ffmpeg's own encoder): bitrate (kbps)."""

    bitrate_kbps: int

    def encoder_args(self) -> list[str]:
        return ["-c:a", "aac", "-aac_coder", "fast", "-b:a", f"{self.bitrate_kbps}k"]


@dataclass(frozen=True)
class Soundtrack:
    """The same sound encoded once more, as AAC in an MP4, beside the MP3 (the videos copy it)."""

    path: Path
    aac: AacFormat


@dataclass(frozen=True)
class Normalised:
    """The MP3 as decoded: integrated loudness (LUFS), true peak (dBTP), and the gain applied (dB)."""

    loudness: float
    true_peak: float
    gain: float


def encoder_loss(before: float, after: float) -> float:
    """LU the encoder took off an excerpt measured at `before` LUFS going in and `after` coming out; 0 for a
    silent excerpt (it says nothing about the encoder), and never more than MAX_ENCODER_LOSS_LU."""
    if not (math.isfinite(before) and math.isfinite(after)) or before < -60:
        return 0.0
    return max(0.0, min(before - after, MAX_ENCODER_LOSS_LU))


def correction(target_lufs: float, true_peak_db: float, result: float, peak: float) -> tuple[float, float] | None:
    """None when an MP3 measured at `result` LUFS and `peak` dBTP is within LOUDNESS_TOLERANCE_LU of the target
    and under the ceiling; else what to add to the loudness aimed at and to take off the limiter's ceiling."""
    error = target_lufs - result
    over = peak - true_peak_db
    if abs(error) <= LOUDNESS_TOLERANCE_LU and over <= 0:
        return None
    return error, max(0.0, over + 0.2)


def normalise(pcm: Path, mp3: Path, *, integrated: float, peak: float, layout: str, target_lufs: float,
              true_peak_db: float, mp3_format: Mp3Format, duration: float, soundtrack: Soundtrack) -> Normalised:
    """Encode `pcm` (measured at `integrated` LUFS, sample peak `peak` dBFS) to `mp3` at `target_lufs`, true
    peak at most `true_peak_db`, in `layout`, and the same sound to `soundtrack`; at most ENCODE_ATTEMPTS encodes."""
    # What the encoder takes off, measured on an excerpt, is added before it: one encode, not two.
    aim = target_lufs + measure_encoder_loss(pcm, mp3, layout, mp3_format, duration)
    gain = target_lufs - integrated
    ceiling = true_peak_db - LIMITER_MARGIN_DB
    for attempt in range(1, ENCODE_ATTEMPTS + 1):
        gain = find_gain(pcm, peak, layout, aim, gain, ceiling)
        result, true_peak = encode(pcm, mp3, gain_filters(peak, layout, gain, ceiling), mp3_format, duration, soundtrack)
        missed = correction(target_lufs, true_peak_db, result, true_peak)
        if missed is None or attempt == ENCODE_ATTEMPTS:
            break
        log.info("the MP3 came out at %.1f LUFS, %.1f dBTP; encoding again, corrected", result, true_peak)
        aim += missed[0]
        ceiling -= missed[1]
    log.info("normalised to %.1f LUFS, %.1f dBTP (gain %+.1f dB)", result, true_peak, gain)
    return Normalised(result, true_peak, gain)


def publish_sound(pcm: Path, mp3: Path, m4a: Path, settings: AudioSettings, *, integrated: float, peak: float,
                  layout: str, duration: float, aac_kbps: int) -> Normalised:
    """`normalise` with the show's audio settings: the MP3 and the AAC soundtrack beside it."""
    return normalise(pcm, mp3, integrated=integrated, peak=peak, layout=layout, target_lufs=settings.loudness_lufs,
                     true_peak_db=settings.true_peak_db,
                     mp3_format=Mp3Format(settings.bitrate_kbps, settings.sample_rate, settings.channels),
                     duration=duration, soundtrack=Soundtrack(m4a, AacFormat(aac_kbps)))


def measure_encoder_loss(pcm: Path, mp3: Path, layout: str, mp3_format: Mp3Format, duration: float) -> float:
    """LU the MP3 encoder takes off (about 0.4 at 128 kbps), measured on ENCODER_EXCERPT_SECONDS from the middle
    (`mp3` is written, and overwritten by the encode that follows)."""
    start = max(0.0, duration / 2 - ENCODER_EXCERPT_SECONDS / 2)
    excerpt = ["-ss", f"{start:.2f}", "-t", str(ENCODER_EXCERPT_SECONDS)]
    stderr = run_ffmpeg([*excerpt, "-i", pcm, "-filter_complex",
                         f"[0:a:0]aformat=channel_layouts={layout},asplit=2[out][loud];[loud]ebur128=framelog=quiet[measured]",
                         "-map", "[out]", *mp3_format.args(), mp3, "-map", "[measured]", "-f", "null", "-"],
                        what="measuring the encoder on an excerpt")
    return encoder_loss(parse_ebur128(stderr)[0], loudness(mp3))


def encode(pcm: Path, target: Path, filters: str, mp3_format: Mp3Format, duration: float,
           soundtrack: Soundtrack) -> tuple[float, float]:
    """Encode `pcm` through `filters` to MP3 and to `soundtrack`; return the loudness (LUFS) and true peak
    (dBTP) of the MP3 as decoded.

    Measured on the MP3 itself (at 128 kbps LAME takes about 0.4 LU off what goes in), while it is encoded: the
    tee muxer writes it to `target` and to a pipe that a second ffmpeg decodes and measures. ffmpeg runs each
    encoder on a thread of its own, so the AAC costs little time beside the MP3.
    """
    outputs = f"{tee_output(target, 'mp3', write_xing='1')}|{tee_output(Path('pipe:1'), 'mp3')}"
    args: list[str | Path] = [
        "-i", pcm, "-filter_complex", f"[0:a:0]{filters},asplit=2[mp3][aac]",
        "-map", "[mp3]", *mp3_format.encoder_args(), "-map_metadata", "-1", "-f", "tee", outputs,
        "-map", "[aac]", *soundtrack.aac.encoder_args(), "-map_metadata", "-1", "-f", "mp4", soundtrack.path,
    ]
    with progress_bar(duration, "normalise loudness") as bar:
        _encoded, measured = run_ffmpeg_into(
            args, ["-f", "mp3", "-i", "pipe:0", "-af", "ebur128=framelog=quiet:peak=true", "-f", "null", "-"],
            what="normalising loudness", on_progress=lambda seconds: advance_to(bar, seconds))
    integrated, true_peak = parse_ebur128(measured)
    return integrated, true_peak if true_peak is not None else float("-inf")
