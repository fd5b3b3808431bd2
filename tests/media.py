"""Media made with ffmpeg's lavfi sources, for tests: real files, no fixtures checked in."""

from __future__ import annotations

import subprocess
from pathlib import Path

from pipeline.tools.ffmpeg import ffmpeg_exe


def ffmpeg(*args: str | Path) -> None:
    subprocess.run([ffmpeg_exe(), "-hide_banner", "-loglevel", "error", "-y", *map(str, args)], check=True)


def tone(path: Path, seconds: float = 5.0, frequency: int = 440, volume_db: float = -20.0) -> Path:
    ffmpeg("-f", "lavfi", "-i", f"sine=frequency={frequency}:duration={seconds}:sample_rate=44100",
           "-af", f"volume={volume_db}dB", "-ac", "2", path)
    return path


def silence(path: Path, seconds: float = 5.0) -> Path:
    ffmpeg("-f", "lavfi", "-i", "anullsrc=r=44100:cl=mono", "-t", str(seconds), path)
    return path


def tone_with_video(path: Path, seconds: float = 5.0, width: int = 640, height: int = 360, fps: int = 24) -> Path:
    ffmpeg("-f", "lavfi", "-i", f"testsrc2=size={width}x{height}:rate={fps}:duration={seconds}",
           "-f", "lavfi", "-i", f"sine=frequency=440:duration={seconds}",
           "-c:v", "libx264", "-pix_fmt", "yuv420p", "-preset", "ultrafast", "-c:a", "aac", "-shortest", path)
    return path


def video_without_audio(path: Path, seconds: float = 3.0) -> Path:
    ffmpeg("-f", "lavfi", "-i", f"testsrc2=size=320x240:rate=24:duration={seconds}",
           "-c:v", "libx264", "-pix_fmt", "yuv420p", "-preset", "ultrafast", path)
    return path

