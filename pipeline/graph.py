"""The per-episode graph: what each step of an episode's build reads and writes, stated once.

`make` gets it as rules (build/<id>/episode.mk, written by `pipeline check-config`), and the catalogue
runner (pipeline.catalogue) walks the same steps, so the two cannot disagree on what to build: a step
is out of date, for both, when one of its files is missing or older than something it reads (its
inputs, its config slice, its code).

The show-level steps (feed, validate, publish) depend on every episode and stay in the Makefile.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from pipeline.config import Episode, Project, ShowConfig
from pipeline.layout import EpisodePaths

PACKAGE_ROOT = Path(__file__).resolve().parent.parent  # where pipeline/ lives: the code a step depends on


@dataclass(frozen=True)
class Step:
    name: str  # also the make variable holding what it writes (upper case)
    stage: str  # the `pipeline` command that runs it
    options: tuple[str, ...]
    reads: tuple[Path, ...]
    writes: tuple[Path, ...]


def code(*patterns: str) -> tuple[Path, ...]:
    """The package's files matching `patterns` (relative to the package root), sorted: a step's code."""
    found = {path for pattern in patterns for path in PACKAGE_ROOT.glob(pattern) if path.is_file()}
    return tuple(sorted(found))


def stage_code(stage: str) -> tuple[Path, ...]:
    return code(f"pipeline/stages/{stage}.py", f"pipeline/{stage}/*.py", f"pipeline/templates/{stage}/*")


def episode_steps(project: Project, show: ShowConfig, episode: Episode, paths: EpisodePaths) -> list[Step]:
    """The steps of one episode's build, in an order that respects what each reads."""
    config = paths.config_slice
    cover = project.resolve(show.cover)
    voices = tuple(project.resolve(voice.sample) for voice in show.voices)
    recordings = tuple(episode.recordings)
    transcripts = (paths.transcript_json, paths.captions_vtt, paths.captions_srt, paths.transcript_txt,
                   paths.transcript_p20_json)
    notes = (paths.shownotes_md, paths.shownotes_html, paths.chapters_json)
    bib = episode.folder / "references.bib"
    videos = tuple(paths.video_mp4(video.name) for video in show.video.formats)
    return [
        Step("audio", "ingest", ("--step", "audio"),
             (*recordings, config("ingest"), *stage_code("ingest"),
              *code("pipeline/tools/ffmpeg.py", "pipeline/speakers/tracks.py")),
             (paths.normalised_mp3, paths.asr_wav, paths.tracks_json)),
        Step("transcribe", "transcribe", (),
             (paths.asr_wav, paths.tracks_json, config("transcribe"), *voices, *stage_code("transcribe"),
              *code("pipeline/transcription/*.py", "pipeline/speakers/*.py", "pipeline/formats/captions.py",
                    "pipeline/formats/subtitles.py")),
             transcripts),
        Step("notes", "notes", (),
             (paths.transcript_json, config("notes"), *stage_code("notes"), *((bib,) if bib.is_file() else ())),
             notes),
        Step("tags", "ingest", ("--step", "tags"),
             (paths.normalised_mp3, paths.chapters_json, config("tags"), cover, *stage_code("ingest")),
             (paths.podcast_mp3,)),
        Step("video", "video", (),
             (*recordings, paths.normalised_mp3, paths.transcript_json, paths.captions_vtt, config("video"), cover,
              *stage_code("video"), *code("pipeline/formats/captions.py")),
             (*videos, paths.video_vtt)),
        # clips.json is written last and lists the clips' videos and posters (how many depends on the episode)
        Step("clips", "clips", (),
             (*recordings, paths.normalised_mp3, paths.transcript_json, config("clips"), cover, *stage_code("clips"),
              *code("pipeline/video/*.py", "pipeline/formats/captions.py", "pipeline/notes/sentences.py")),
             (paths.clips_json,)),
    ]


def out_of_date(step: Step) -> bool:
    """make's rule: a file it writes is missing, or something it reads is newer than the oldest of them."""
    try:
        oldest = min(path.stat().st_mtime_ns for path in step.writes)
    except FileNotFoundError:
        return True
    newest = max((path.stat().st_mtime_ns for path in step.reads if path.exists()), default=0)
    return newest > oldest


def make_rules(project: Project, steps: Sequence[Step], episode_id: str) -> str:
    """The steps as make rules (grouped targets, one recipe each), and a variable per step for its files."""

    def files(paths: Sequence[Path]) -> str:
        return " ".join(make_path(project, path) for path in paths)

    lines = ["# Written by `pipeline check-config` from pipeline.graph; do not edit.", ""]
    lines += [f"{step.name.upper()}_FILES := {files(step.writes)}" for step in steps]
    lines.append("")
    for step in steps:
        lines.append(f"{files(step.writes)} &: {files(step.reads)}")
        lines.append(f"\t$(PIPELINE) {' '.join([step.stage, episode_id, *step.options])}")
        lines.append("")
    return "\n".join(lines)


def make_path(project: Project, path: Path) -> str:
    """A path as make reads it: relative to the project when inside it, with make's special characters escaped."""
    return str(project.relative(path)).replace("\\", "\\\\").replace(" ", "\\ ").replace("$", "$$").replace("#", "\\#")
