"""Loudness (EBU R128, measured by ffmpeg's ebur128) and the gain that brings a sound to a target.

Pure: `parse_ebur128`, `audible`, `channel_layout`, `gain_filters`, `next_gain`, `next_gains`. Through ffmpeg: `measure`,
`loudness`, `find_gain`.
"""

from __future__ import annotations

import logging
import math
import re
from collections.abc import Sequence
from pathlib import Path

from pipeline.errors import ToolError
from pipeline.parallel import in_parallel
from pipeline.tools.ffmpeg import run_ffmpeg

log = logging.getLogger(__name__)

SILENT_LUFS = -70.0  # a sound measured at or below this (or not at all) is silent
LIMITER_MARGIN_DB = 1.5  # the limiter works on samples; this much below the true-peak ceiling keeps the MP3 under it
GAIN_SEARCH_ROUNDS = 3  # rounds of two measurements of the limited sound at once (two cores), at most, to find its gain
LOUDNESS_TOLERANCE_LU = 0.3  # an MP3 further than this from the target (limiter, encoder) is encoded again, gain corrected


def channel_layout(channels: int) -> str:
    """ffmpeg's layout for the output's channels. Loudness is measured on it: a mono voice duplicated to stereo
    is 3 LU louder."""
    return "stereo" if channels == 2 else "mono"


def parse_ebur128(stderr: str) -> tuple[float, float | None]:
    """Integrated loudness and (when measured) the peak from the summary ffmpeg's ebur128 prints at the end."""
    if "Summary:" not in stderr:
        raise ToolError("ffmpeg's ebur128 printed no summary", hint="run with -v to see ffmpeg's output")
    summary = stderr[stderr.rindex("Summary:"):]
    integrated = re.search(r"I:\s+(-?[\d.]+|-inf|nan) LUFS", summary)
    peak = re.search(r"Peak:\s+(-?[\d.]+|-inf|nan) dBFS", summary)
    if integrated is None:
        raise ToolError("ffmpeg's ebur128 summary has no integrated loudness", hint="run with -v to see ffmpeg's output")
    return float(integrated.group(1)), float(peak.group(1)) if peak else None


def audible(lufs: float) -> bool:
    """Whether an integrated loudness says something was heard."""
    return math.isfinite(lufs) and lufs > SILENT_LUFS


def gain_filters(peak: float, layout: str, gain_db: float, ceiling_db: float) -> str:
    """The output layout, gain to the target loudness, and a limiter only where the gain would push the sample
    `peak` (dBFS) past `ceiling_db` (dBFS)."""
    filters = f"aformat=channel_layouts={layout},volume={gain_db:.2f}dB"
    if peak + gain_db > ceiling_db:
        filters += f",alimiter=limit={10 ** (ceiling_db / 20):.4f}:level=false:latency=true:attack=5:release=50"
    return filters


def next_gain(tried: Sequence[tuple[float, float]], aim: float) -> float:
    """The next gain to try, from the (gain, loudness) pairs tried so far: a secant step through the last two
    (the limiter makes loudness grow slower than gain), a plain step of the difference after the first."""
    gain, loudness = tried[-1]
    slope = 1.0
    if len(tried) > 1 and tried[-1][0] != tried[-2][0]:
        slope = max(0.1, (tried[-1][1] - tried[-2][1]) / (tried[-1][0] - tried[-2][0]))
    return gain + (aim - loudness) / slope


def measure(source: Path, filters: str = "anull", true_peak: bool = False) -> tuple[float, float]:
    """Integrated loudness (LUFS) of `source` through `filters`, and its true peak (dBTP) when asked for (-inf
    when not)."""
    peak = ":peak=true" if true_peak else ""
    integrated, measured_peak = parse_ebur128(run_ffmpeg(
        ["-i", source, "-af", f"{filters},ebur128=framelog=quiet{peak}", "-f", "null", "-"], what="measuring loudness"))
    return integrated, measured_peak if measured_peak is not None else float("-inf")


def loudness(source: Path, filters: str = "anull") -> float:
    """Integrated loudness (LUFS) of `source` through `filters`."""
    return measure(source, filters)[0]


def next_gains(tried: Sequence[tuple[float, float]], aim: float) -> tuple[float, float]:
    """The next two gains to try at once, from the (gain, loudness) pairs tried so far: the secant's guess through
    the two nearest the aim, and a step past it by half its distance from the nearest (the limiter takes more off
    as the gain grows, so the secant tends to fall short: the two then bracket the aim)."""
    nearest = sorted(tried, key=lambda pair: abs(aim - pair[1]))[:2]
    guess = next_gain(nearest[::-1], aim)
    return guess, guess + (guess - nearest[0][0]) / 2


def find_gain(pcm: Path, peak: float, layout: str, aim: float, gain: float, ceiling: float) -> float:
    """The gain that brings `pcm` (sample peak `peak` dBFS) to `aim` LUFS, starting from `gain`. Linear gain is
    exact; where the limiter works, it takes some loudness off, so the gain is found by measuring the limited
    sound (no encoding) and correcting (`next_gains`), two gains at a time: first the linear one and the one
    that would put the peaks as far over the ceiling again."""
    overshoot = peak + gain - ceiling
    if overshoot <= 0:
        return gain

    def measured(candidate: float) -> tuple[float, float]:
        return candidate, loudness(pcm, gain_filters(peak, layout, candidate, ceiling))

    tried: list[tuple[float, float]] = []
    candidates = (gain, gain + overshoot)
    for _ in range(GAIN_SEARCH_ROUNDS):
        tried += in_parallel(measured, candidates, 2)
        for pair in tried[-2:]:
            log.debug("gain %+.2f dB through the limiter: %.2f LUFS (aiming at %.2f)", *pair, aim)
        if min(abs(aim - loudness) for _gain, loudness in tried) <= LOUDNESS_TOLERANCE_LU / 2:
            break
        candidates = next_gains(tried, aim)
    return min(tried, key=lambda pair: abs(aim - pair[1]))[0]


def ebur128_filters(layout: str) -> str:
    """The filters that measure integrated loudness and sample peak on the output `layout` (parse_ebur128 reads them)."""
    return f"aformat=channel_layouts={layout},ebur128=peak=sample:framelog=quiet"


def measured_filters(rate: int, layout: str, before: str = "") -> str:
    """The filter graph of a pass that writes the sound (`[keep]`, at `rate`) and measures it (`[measured]`): its
    loudness on the output `layout` and sample peak, after `before` (filters, comma-separated, or nothing)."""
    first = f"{before}," if before else ""
    return (f"[0:a]{first}aresample={rate},asplit=2[loud][keep];"
            f"[loud]{ebur128_filters(layout)}[measured]")


def measured_outputs(target: Path) -> list[str | Path]:
    return ["-map", "[measured]", "-f", "null", "-", "-map", "[keep]", "-c:a", "pcm_s24le", "-f", "wav", target]
