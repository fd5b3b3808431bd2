"""Benchmark `edit`: is every published time right after an edit? And what does the edit step cost?

Two real-speech episodes in a copy of this project: the demo's 463 with its own edit (the show's intro and
outro, a cut by quote, two corrections, a sponsor read) and Lucier's 101 s reading with a cut by time, a cut by
quote, an insert and `max_pause: 0.5`. Each is built (ingest, transcribe, edit), then its published MP3 is
transcribed again and each word heard there is matched (in order, by its letters) with the published
transcript's: the time-map error is the difference of their start times (median and 95th percentile).

Baseline, side by side: the same episode with nothing edited, its published MP3 transcribed again and compared
the same way: the error the model's own timing makes with no edit at all. The ratio says what the edit adds.
Also: the edit step's wall time per second of published sound, with and without an edit.
"""

from __future__ import annotations

import difflib
import shutil
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np
import yaml

LUCIER_EDIT = {"cuts": [{"start": "00:30", "end": "00:36"}, {"quote": "what you will hear then"}],
               "inserts": [{"file": "insert.flac", "at": "00:45"}]}


def _project(root: Path, target: Path) -> None:
    for name in ("config", "episodes/463"):
        shutil.copytree(root / name, target / name)


def _episode_yaml(project: Path, changes: dict[str, Any], drop: tuple[str, ...] = ()) -> None:
    path = project / "episodes" / "463" / "episode.yaml"
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    for key in drop:
        data.pop(key, None)
    data.update(changes)
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")


def _show_audio(project: Path, **audio: Any) -> None:
    path = project / "config" / "show.yaml"
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    data["audio"] = {key: value for key, value in {**data["audio"], **audio}.items() if value is not None}
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")


def _errors(project_root: Path) -> dict[str, Any]:
    """Build the episode to its edit; transcribe its published MP3 again; the start-time differences."""
    import argparse

    from pipeline.config.load import load_project
    from pipeline.context import Context
    from pipeline.formats.transcript import Transcript, bare_word
    from pipeline.layout import Project
    from pipeline.stages import STAGES
    from pipeline.transcription.audio import load_audio
    from pipeline.transcription.engines import DecodeSettings
    from pipeline.transcription.models import resolve_model
    from pipeline.transcription.transcribe import transcribe_audio

    project = Project(project_root)

    def run(stage: str, **options: Any) -> float:
        ctx = Context.create(project, load_project(project, environ={}), "463", argparse.Namespace(**options))
        started = time.perf_counter()
        STAGES[stage].load().run(ctx)
        return time.perf_counter() - started

    run("ingest", step="audio")
    run("transcribe")
    edit_seconds = run("edit")
    build = project.build_dir / "463"
    published = Transcript.load(build / "transcript.json")
    again = transcribe_audio(load_audio(build / "edited.mp3"), "faster-whisper", resolve_model("tiny.en", "faster-whisper"),
                             DecodeSettings(threads=2))
    heard_again = [word for segment in again.segments for word in segment.words]
    ours, theirs = [bare_word(w.text) for w in published.words], [bare_word(w.text) for w in heard_again]
    matcher = difflib.SequenceMatcher(a=ours, b=theirs, autojunk=False)
    errors = np.array([abs(published.words[b.a + k].start - heard_again[b.b + k].start)
                       for b in matcher.get_matching_blocks() for k in range(b.size)])
    return {"words_matched": int(errors.size), "median_s": round(float(np.median(errors)), 3),
            "p95_s": round(float(np.percentile(errors, 95)), 3),
            "edit_step_rtf": round(edit_seconds / published.duration, 4), "published_seconds": published.duration}


def run(root: Path) -> dict[str, Any]:
    root = Path(root).resolve()
    results: dict[str, Any] = {}
    with tempfile.TemporaryDirectory(prefix="bench-edit-") as scratch:
        for case in ("demo_463", "lucier"):
            found = {}
            for variant in ("edited", "unedited"):
                project = Path(scratch) / f"{case}-{variant}"
                _project(root, project)
                if case == "lucier":
                    folder = project / "episodes" / "463"
                    shutil.copyfile(root / "tests" / "data" / "lucier.mp3", folder / "lucier.mp3")
                    shutil.copyfile(root / "tests" / "data" / "an4_2spk.flac", folder / "insert.flac")
                    _episode_yaml(project, {"recording": "lucier.mp3", **LUCIER_EDIT}, drop=("cuts", "inserts", "corrections"))
                    _show_audio(project, max_pause=0.5)
                if variant == "unedited":
                    _episode_yaml(project, {}, drop=("cuts", "inserts", "corrections"))
                    _show_audio(project, intro=None, outro=None, max_pause=None)
                found[variant] = _errors(project)
            edited, unedited = found["edited"], found["unedited"]
            results[case] = {**{f"edited_{k}": v for k, v in edited.items()},
                             **{f"unedited_{k}": v for k, v in unedited.items()},
                             "median_ratio": round(edited["median_s"] / max(unedited["median_s"], 1e-3), 2),
                             "p95_ratio": round(edited["p95_s"] / max(unedited["p95_s"], 1e-3), 2)}
    return results
