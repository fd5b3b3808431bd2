"""Benchmark `episode`: a whole two-hour episode, recording to published, as `make publish` builds it.

Input: the long-form recording of benchmarks.longform (about 32 minutes of real speech) four times over
(LONG_BENCH_COPIES), encoded as a 64 kbps MP3 as a creator might upload it, in a copy of this project (its
tracked files: config, templates, the Makefile) with the episode added as 900. Never committed, built here.

Each step of the episode's graph (pipeline.graph) runs as its own `pipeline` command, in the graph's order,
then `make publish` does the show's steps (feed, validate, publish) with everything else up to date; each is
timed. The baseline is the episode's own length: the figure is the real-time factor (issue 28's target: the
whole under 0.1× on 2 cores). Peak memory per step is BENCH=long's.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

EPISODE = "900"
EPISODE_YAML = """number: 900
title: "A Two-Hour Episode"
date: 2026-12-01T09:00:00-08:00
recording: recording.mp3
description: >-
  Two hours of real speech: a reading, a speech, music and quiet, four times over.
"""


def _copy_project(root: Path, target: Path) -> None:
    tracked = subprocess.run(["git", "ls-files", "-z"], cwd=root, check=True, capture_output=True).stdout
    for name in tracked.decode().split("\0"):
        if name and not name.startswith(("tests/", "episodes/")) and (root / name).is_file():
            (target / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(root / name, target / name)


def _recording(target: Path, copies: int) -> float:
    """The long-form recording `copies` times over as a 64 kbps MP3 at `target`; its length in seconds."""
    import numpy as np

    from benchmarks import longform
    from pipeline.tools.ffmpeg import run_ffmpeg
    from pipeline.tools.media import probe

    samples, _text, _placed = longform.build(32.0)
    wav = longform.write_wav(target.with_suffix(".wav"), np.tile(samples, copies))
    del samples
    run_ffmpeg(["-i", wav, "-c:a", "libmp3lame", "-b:a", "64k", target], what="encoding the bench recording")
    wav.unlink()
    return probe(target).duration


def run(root: Path) -> dict[str, Any]:
    root = Path(root).resolve()
    copies = int(os.environ.get("LONG_BENCH_COPIES", "4"))
    steps = [("audio", ["ingest", EPISODE, "--step", "audio"]), ("transcribe", ["transcribe", EPISODE]),
             ("notes", ["notes", EPISODE]), ("tags", ["ingest", EPISODE, "--step", "tags"]),
             ("video", ["video", EPISODE]), ("clips", ["clips", EPISODE])]
    with tempfile.TemporaryDirectory(prefix="bench-episode-") as tmp:
        project = Path(tmp)
        _copy_project(root, project)
        (project / ".venv").symlink_to(root / ".venv")  # installed already: make must not install again
        os.utime(project / "pyproject.toml", (0, 0))
        (project / "episodes" / EPISODE).mkdir(parents=True)
        (project / "episodes" / EPISODE / "episode.yaml").write_text(EPISODE_YAML)
        duration = _recording(project / "episodes" / EPISODE / "recording.mp3", copies)
        env = {**os.environ, "PYTHONPATH": str(project)}
        seconds: dict[str, float] = {}
        subprocess.run([sys.executable, "-m", "pipeline", "check-config", EPISODE], cwd=project, env=env, check=True)
        for name, command in steps:  # the episode's steps, in the order of pipeline.graph
            started = time.perf_counter()
            subprocess.run([sys.executable, "-m", "pipeline", *command, "-q"], cwd=project, env=env, check=True)
            seconds[name] = round(time.perf_counter() - started, 1)
        started = time.perf_counter()
        subprocess.run(["make", "--no-print-directory", "publish", f"EPISODE={EPISODE}",
                        f"PIPELINE={sys.executable} -m pipeline"],
                       cwd=project, env=env, check=True, stdout=subprocess.DEVNULL)
        seconds["feed, validate, publish"] = round(time.perf_counter() - started, 1)
    whole = sum(seconds.values())
    return {
        "episode_minutes": round(duration / 60, 1),
        "seconds": seconds,
        "rtf": {name: round(value / duration, 4) for name, value in seconds.items()},
        "whole_seconds": round(whole, 1),
        "whole_rtf": round(whole / duration, 4),
        "whole_under_0.1": whole / duration < 0.1,
        "cpus": os.cpu_count(),
    }
