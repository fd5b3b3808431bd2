"""The one wrapper around ffmpeg (the static build shipped by imageio-ffmpeg)."""

from __future__ import annotations

import contextlib
import functools
import logging
import re
import shlex
import subprocess
import threading
from collections.abc import Callable, Iterable, Sequence
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


def feed_ffmpeg(args: Sequence[str | Path], chunks: Iterable[bytes | memoryview], *, what: str) -> str:
    """Run ffmpeg with `args` reading `pipe:0`, and write every chunk of `chunks` to its stdin; return its stderr.

    For frames made in Python (rawvideo on stdin). stderr is drained on a thread so ffmpeg never blocks on it.
    If ffmpeg dies the pipe breaks and a ToolError carries its stderr tail; if producing a chunk raises,
    ffmpeg is killed and the exception goes on.
    """
    command = [ffmpeg_exe(), "-hide_banner", "-y", *map(str, args)]  # no -nostdin: stdin is the frame pipe
    log.debug("running %s", shlex.join(command))
    process = subprocess.Popen(command, stdin=subprocess.PIPE, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    assert process.stdin is not None and process.stderr is not None
    stderr_chunks: list[bytes] = []
    stderr = process.stderr
    reader = threading.Thread(target=lambda: stderr_chunks.extend(iter(lambda: stderr.read(4096), b"")), daemon=True)
    reader.start()
    broken = False
    try:
        for chunk in chunks:
            try:
                process.stdin.write(chunk)
            except BrokenPipeError:
                broken = True
                break
        with contextlib.suppress(BrokenPipeError):
            process.stdin.close()
    except BaseException:
        process.kill()
        process.wait()
        reader.join()
        raise
    returncode = process.wait()
    reader.join()
    text = b"".join(stderr_chunks).decode(errors="replace")
    if returncode != 0 or broken:
        lines = [line for line in re.split(r"[\r\n]", text) if line.strip()]
        tail = "\n".join(lines[-15:])
        raise ToolError(f"ffmpeg failed while {what} (exit {returncode}):\n{tail}")
    return text
