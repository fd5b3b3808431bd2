"""The per-episode graph: what each step of an episode's build reads and writes, stated once.

`make` gets it as rules (build/<id>/episode.mk, written by `pipeline check-config`), and the catalogue
runner (pipeline.catalogue) walks the same steps, so the two cannot disagree on what to build: a step
is out of date, for both, when one of its files is missing or older than something it reads (its
inputs, its config slice, its code). A step's code is derived from what its stage module imports
(pipeline.code_deps), so it cannot drift from the code that runs.

The show-level steps (feed, validate, publish) depend on every episode and stay in the Makefile, which
gets their code from here too (FEED_CODE, VALIDATE_CODE, PUBLISH_CODE in episode.mk).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from pipeline.code_deps import module_files
from pipeline.config.episode import Episode
from pipeline.config.show import ShowConfig
from pipeline.layout import EpisodePaths, Project
from pipeline.stages import STAGES

SHOW_STAGES = ("feed", "validate", "publish")  # run once for the whole show, after the episodes


@dataclass(frozen=True)
class Step:
    name: str  # also the make variable holding what it writes (upper case)
    stage: str  # the `pipeline` command that runs it
    options: tuple[str, ...]
    reads: tuple[Path, ...]
    writes: tuple[Path, ...]


def stage_code(stage: str) -> tuple[Path, ...]:
    """A stage's code: its module, the pipeline modules it imports (derived, see pipeline.code_deps), and the
    templates and fonts they read."""
    return module_files(STAGES[stage].module)


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
             (*recordings, config("ingest"), *stage_code("ingest")),
             (paths.normalised_mp3, paths.soundtrack_m4a, paths.asr_wav, paths.tracks_json)),
        Step("transcribe", "transcribe", (),
             (paths.asr_wav, paths.tracks_json, config("transcribe"), *voices, *stage_code("transcribe")),
             transcripts),
        Step("notes", "notes", (),
             (paths.transcript_json, config("notes"), *stage_code("notes"), *((bib,) if bib.is_file() else ())),
             notes),
        Step("tags", "ingest", ("--step", "tags"),
             (paths.normalised_mp3, paths.chapters_json, config("tags"), cover, *stage_code("ingest")),
             (paths.podcast_mp3,)),
        Step("video", "video", (),
             (*recordings, paths.normalised_mp3, paths.soundtrack_m4a, paths.transcript_json, paths.captions_vtt,
              config("video"), cover, *stage_code("video")),
             (*videos, paths.video_vtt)),
        # clips.json is written last and lists the clips' videos and posters (how many depends on the episode)
        Step("clips", "clips", (),
             (*recordings, paths.normalised_mp3, paths.transcript_json, config("clips"), cover, *stage_code("clips")),
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
    """The steps as make rules (grouped targets, one recipe each), a variable per step for its files, and one
    per show-level stage for its code."""

    def files(paths: Sequence[Path]) -> str:
        return " ".join(make_path(project, path) for path in paths)

    lines = ["# Written by `pipeline check-config` from pipeline.graph; do not edit.", ""]
    lines += [f"{step.name.upper()}_FILES := {files(step.writes)}" for step in steps]
    lines += [f"{stage.upper()}_CODE := {files(stage_code(stage))}" for stage in SHOW_STAGES]  # the Makefile's own rules
    lines.append("")
    for step in steps:
        lines.append(f"{files(step.writes)} &: {files(step.reads)}")
        lines.append(f"\t$(PIPELINE) {' '.join([step.stage, episode_id, *step.options])}")
        lines.append("")
    return "\n".join(lines)


def make_path(project: Project, path: Path) -> str:
    """A path as make reads it: relative to the project when inside it, with make's special characters escaped."""
    return str(project.relative(path)).replace("\\", "\\\\").replace(" ", "\\ ").replace("$", "$$").replace("#", "\\#")
