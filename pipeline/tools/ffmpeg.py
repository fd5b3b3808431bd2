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
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

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
    return _finish(_start(args), what, on_progress)


def run_ffmpeg_into(
    args: Sequence[str | Path],
    into: Sequence[str | Path],
    *,
    what: str,
    on_progress: Callable[[float], None] | None = None,
) -> tuple[str, str]:
    """Run ffmpeg with `args`, which write to pipe:1, and at the same time a second one with `into`, which reads
    pipe:0: the second works on what the first makes while it makes it (on another core). Return both stderrs;
    ToolError if either fails."""
    first = _start(args, stdout=subprocess.PIPE)
    assert first.stdout is not None
    second = _start(into, stdin=first.stdout)
    first.stdout.close()  # the second holds the pipe now; if it dies, the first gets a broken pipe
    with ThreadPoolExecutor(max_workers=1) as pool:
        read = pool.submit(_finish, second, f"{what} (reading)", None)
        made = _finish(first, what, on_progress)
        return made, read.result()


def _start(args: Sequence[str | Path], stdin: Any = subprocess.DEVNULL,
           stdout: Any = subprocess.DEVNULL) -> subprocess.Popen[str]:
    reads_stdin = stdin is not subprocess.DEVNULL
    command = [ffmpeg_exe(), "-hide_banner", *([] if reads_stdin else ["-nostdin"]), "-y", *map(str, args)]
    log.debug("running %s", shlex.join(command))
    return subprocess.Popen(command, stdin=stdin, stdout=stdout, stderr=subprocess.PIPE, text=True, errors="replace")


def _finish(process: subprocess.Popen[str], what: str, on_progress: Callable[[float], None] | None) -> str:
    """Read `process`'s stderr to the end (progress from its time= lines); its stderr, or ToolError if it failed."""
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


def tee_output(path: Path, muxer: str, **options: str) -> str:
    """One output of ffmpeg's tee muxer: `path` written by `muxer` with its `options`, the characters the tee
    muxer reads escaped."""
    def escaped(text: str) -> str:
        return re.sub(r"([\\|\[\]:=])", r"\\\1", text)

    settings = ":".join(f"{key}={escaped(value)}" for key, value in {"f": muxer, **options}.items())
    return f"[{settings}]{escaped(str(path))}"


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
