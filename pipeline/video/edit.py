"""A video recording's picture cut as its sound was: the time map's recording pieces in order, a black picture
while an insert, intro or outro plays, so that picture and sound stay together after every cut."""

from __future__ import annotations

from pathlib import Path

from pipeline.formats.timemap import RECORDING, TimeMap
from pipeline.progress import advance_to, progress_bar
from pipeline.tools.ffmpeg import run_ffmpeg


def edited_picture(recording: Path, size: tuple[int, int], fps: float, time_map: TimeMap, target: Path) -> Path:
    """`recording`'s picture (upright, as ffmpeg shows it) cut by `time_map` into `target` (H.264, nearly lossless: it
    is encoded once more by the renderer), at `size` and `fps`."""
    width, height = size
    parts, labels = [], []
    for index, piece in enumerate(time_map.pieces):
        label = f"p{index}"
        if piece.source == RECORDING:
            parts.append(f"[0:v]trim=start={piece.source_start:.6f}:duration={piece.duration:.6f},setpts=PTS-STARTPTS,"
                         f"fps={fps},scale={width}:{height},setsar=1,format=yuv420p[{label}]")
        else:
            parts.append(f"color=c=black:s={width}x{height}:r={fps}:d={piece.duration:.6f},setsar=1,format=yuv420p[{label}]")
        labels.append(f"[{label}]")
    graph = ";".join(parts) + f";{''.join(labels)}concat=n={len(labels)}:v=1:a=0[v]"
    with progress_bar(time_map.duration, "cut the picture") as bar:
        run_ffmpeg(["-loglevel", "error", "-i", recording, "-filter_complex", graph, "-map", "[v]", "-an",
                    "-c:v", "libx264", "-preset", "veryfast", "-crf", "12", "-f", "mp4", target],
                   what=f"cutting the picture of {recording.name}", on_progress=lambda seconds: advance_to(bar, seconds))
    return target
