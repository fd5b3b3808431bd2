"""Benchmark `catalogue`: many short episodes built by `pipeline catalogue` (embedded Ray) against `make -j`.

A show of CATALOGUE_EPISODES episodes (default 24) of CATALOGUE_SECONDS each (default 60), cut from the
real clips (Lucier, JFK), each built from nothing (ingest, transcribe, notes, video) three ways, on a
fresh copy each time:
- project: `pipeline catalogue --no-publish` on the embedded Ray, one worker per core;
- baseline: `make -j<cores>` over the same episodes (one sub-make per episode; each `pipeline` command loads
  its models again);
- scaling: `pipeline catalogue --workers 1`, to report what the second worker adds.
Figures: wall seconds, episodes per hour and audio hours per hour of each, `speed_vs_make` (make's wall ÷
the catalogue's; want ≥ 0.9) and `scaling_1_to_2` (one worker's wall ÷ two workers').
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

import numpy as np
import yaml

DATA = Path(__file__).resolve().parent.parent / "tests" / "data"
RATE = 16_000


def make_show(root: Path, repo: Path, episodes: int, seconds: float) -> None:
    """The demo show's config and `episodes` episodes of real speech, each a different cut of the clips."""
    from benchmarks.longform import write_wav
    from pipeline.transcription.audio import load_audio

    shutil.copytree(repo / "config", root / "config")
    speech = np.concatenate([load_audio(DATA / "lucier.mp3"), load_audio(DATA / "jfk.flac")])
    length = int(seconds * RATE)
    for number in range(1, episodes + 1):
        folder = root / "episodes" / str(number)
        folder.mkdir(parents=True)
        start = (number * 7 * RATE) % max(1, speech.shape[0] - length)
        piece = np.resize(speech[start:], length)  # wraps around when the cut runs past the end
        write_wav(folder / "recording.wav", piece)
        (folder / "episode.yaml").write_text(yaml.safe_dump({
            "number": number, "title": f"Back catalogue {number}", "date": f"2020-01-{1 + number % 28:02d}T09:00:00-08:00",
            "recording": "recording.wav", "description": "An episode of the back catalogue."}))


def timed(command: list[str], cwd: Path, env: dict[str, str]) -> float:
    started = time.perf_counter()
    done = subprocess.run(command, cwd=cwd, env=env, capture_output=True, text=True)
    wall = time.perf_counter() - started
    if done.returncode != 0:
        raise RuntimeError(f"{' '.join(command)} failed:\n{done.stderr[-3000:]}")
    return round(wall, 2)


def run(root: Path) -> dict[str, Any]:
    root = Path(root).resolve()
    episodes = int(os.environ.get("CATALOGUE_EPISODES", "24"))
    seconds = float(os.environ.get("CATALOGUE_SECONDS", "60"))
    cores = os.cpu_count() or 1
    pipeline = str(Path(sys.executable).parent / "pipeline")
    env = {**os.environ, "PIPELINE_PROGRESS": "0", "PYTHONPATH": str(root)}
    ids = [str(number) for number in range(1, episodes + 1)]
    walls: dict[str, float] = {}
    with tempfile.TemporaryDirectory() as tmp:
        template = Path(tmp) / "template"
        make_show(template, root, episodes, seconds)
        runs = {
            "catalogue": [pipeline, "catalogue", "--no-publish", "-q"],
            "make": ["make", f"-j{cores}", "-f", "-", "all"],
            "catalogue_1_worker": [pipeline, "catalogue", "--no-publish", "-q", "--workers", "1"],
        }
        for name, command in runs.items():
            show = Path(tmp) / name
            shutil.copytree(template, show)
            if name == "make":
                venv = Path(sys.executable).parent.parent
                makefile = (f"all: {' '.join(f'e{i}' for i in ids)}\ne%:\n\t{pipeline} check-config $* && "
                            f"$(MAKE) -f {root / 'Makefile'} VENV={venv} EPISODE_CHECKED=1 EPISODE=$* "
                            "ingest transcribe notes video clips\n")
                started = time.perf_counter()
                done = subprocess.run(command, cwd=show, env=env, input=makefile, capture_output=True, text=True)
                if done.returncode != 0:
                    raise RuntimeError(f"make -j failed:\n{done.stderr[-3000:]}")
                walls[name] = round(time.perf_counter() - started, 2)
            else:
                walls[name] = timed(command, show, env)
    audio_hours = episodes * seconds / 3600
    figures: dict[str, Any] = {"episodes": episodes, "episode_seconds": seconds, "cores": cores}
    for name, wall in walls.items():
        figures[name] = {"wall_s": wall, "episodes_per_hour": round(episodes / wall * 3600, 1),
                         "audio_hours_per_hour": round(audio_hours / wall * 3600, 2)}
    figures["speed_vs_make"] = round(walls["make"] / walls["catalogue"], 3)
    figures["scaling_1_to_2"] = round(walls["catalogue_1_worker"] / walls["catalogue"], 3)
    return figures


if __name__ == "__main__":
    import json

    print(json.dumps(run(Path(__file__).resolve().parent.parent), indent=2))
