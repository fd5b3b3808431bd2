"""The one wrapper around ffmpeg (the static build shipped by imageio-ffmpeg)."""

from __future__ import annotations

import functools
import logging
import re
import shlex
import subprocess
from collections.abc import Callable, Sequence
from pathlib import Path

from pipeline.errors import ToolError

log = logging.getLogger(__name__)

_TIME = re.compile(r"time=(\d+):(\d+):(\d+(?:\.\d+)?)")


@functools.cache
def ffmpeg_exe() -> str:
    try:
        import imageio_ffmpeg

        return imageio_ffmpeg.get_ffmpeg_exe()
    except (ImportError, RuntimeError) as exc:  # pragma: no cover - install problem
        raise ToolError(
            f"ffmpeg is not available: {exc}", hint="run `make venv` (installs imageio-ffmpeg)"
        ) from exc


def run_ffmpeg(
    args: Sequence[str | Path],
    *,
    what: str,
    on_progress: Callable[[float], None] | None = None,
) -> str:
    """Run ffmpeg with `args` (no leading 'ffmpeg'); return its stderr.

    `what` names the job for error messages. `on_progress` receives seconds of media processed.
    """
    command = [ffmpeg_exe(), "-hide_banner", "-nostdin", "-y", *map(str, args)]
    log.debug("running %s", shlex.join(command))
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True, errors="replace")
    assert process.stderr is not None
    lines: list[str] = []
    buffer = ""
    while chunk := process.stderr.read(4096):
        buffer += chunk
        *complete, buffer = re.split(r"[\r\n]", buffer)
        for line in complete:
            lines.append(line)
            if on_progress and (match := _TIME.search(line)):
                hours, minutes, seconds = match.groups()
                on_progress(int(hours) * 3600 + int(minutes) * 60 + float(seconds))
    lines.append(buffer)
    stderr = "\n".join(lines)
    if process.wait() != 0:
        tail = "\n".join(line for line in lines[-15:] if line.strip())
        raise ToolError(f"ffmpeg failed while {what} (exit {process.returncode}):\n{tail}")
    return stderr
