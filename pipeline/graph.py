"""The per-episode graph: what each step of an episode's build reads and writes, stated once.

`make` gets it as rules (build/<id>/episode.mk, written by `pipeline check-config`), and the catalogue
runner (pipeline.catalogue) walks the same steps, so the two cannot disagree on what to build: a step
is out of date, for both, when one of its files is missing or older than something it reads (its
inputs, its config slice, its code). A step's code is derived from what its stage module imports
(pipeline.code_deps), so it cannot drift from the code that runs.

The show's steps (feed, validate, publish: `show_steps`) run once for all episodes and read every built
episode's files; they are stated here too, and written into the same episode.mk as rules, so the Makefile
holds no rule of its own, only the targets a creator types. The catalogue walks them after its episodes.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from pipeline.code_deps import module_files
from pipeline.config.episode import Episode
from pipeline.config.show import ShowConfig
from pipeline.layout import EpisodePaths, Project, feed_path, site_dir, video_feed_path
from pipeline.stages import STAGES

SHOW_STAGES = ("feed", "validate", "publish")  # run once for the whole show, after the episodes (show_steps)


@dataclass(frozen=True)
class Step:
    name: str  # also the make variable holding what it writes (upper case)
    stage: str  # the `pipeline` command that runs it
    options: tuple[str, ...]
    reads: tuple[Path, ...]
    writes: tuple[Path, ...]
    report: bool = False  # what the command says is its one file (validate, publish): written whole or not at all


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
    audio = show.audio.overridden(episode.config.audio)
    english = (paths.heard_en_json,) if episode.translated(show.language, show.transcription.translate_to_english) else ()
    english_captions = (paths.captions_en_vtt,) if english else ()
    edit_files = (*(project.resolve(m.file) for m in (audio.intro, audio.outro) if m is not None),
                  *(episode.folder / insert.file for insert in episode.config.inserts))
    return [
        Step("audio", "ingest", ("--step", "audio"),
             (*recordings, config("ingest"), *stage_code("ingest")),
             (paths.asr_wav, paths.tracks_json, paths.produced_wav, paths.produced_json)),
        Step("transcribe", "transcribe", (),
             (paths.asr_wav, paths.tracks_json, config("transcribe"), *voices, *stage_code("transcribe")),
             (paths.heard_json, *english)),
        Step("edit", "edit", (),
             (paths.heard_json, *english, paths.produced_wav, paths.produced_json, *edit_files, config("edit"),
              *stage_code("edit")),
             (*transcripts, *english_captions, paths.edit_json, paths.edits_txt, paths.edit_otio, paths.edited_mp3,
              paths.edited_m4a)),
        Step("notes", "notes", (),
             (paths.transcript_json, paths.edit_json, config("notes"), *stage_code("notes"),
              *((bib,) if bib.is_file() else ())),
             notes),
        Step("tags", "ingest", ("--step", "tags"),
             (paths.edited_mp3, paths.chapters_json, config("tags"), cover, *stage_code("ingest")),
             (paths.podcast_mp3,)),
        Step("video", "video", (),
             (*recordings, paths.edited_mp3, paths.edited_m4a, paths.edit_json, paths.transcript_json,
              paths.captions_vtt, *english_captions, config("video"), cover, *stage_code("video")),
             (*videos, paths.video_vtt)),
        # clips.json is written last and lists the clips' videos and posters (how many depends on the episode)
        Step("clips", "clips", (),
             (*recordings, paths.edited_mp3, paths.edit_json, paths.transcript_json, config("clips"), cover,
              *stage_code("clips")),
             (paths.clips_json,)),
    ]


def published_files(steps: Sequence[Step], paths: EpisodePaths) -> tuple[Path, ...]:
    """What of an episode's build the show's steps read: every file its steps write but ingest's and the
    transcription as heard (the edit, the tagged MP3, video, notes, transcripts, clips), and its feed slice."""
    kept = [path for step in steps if step.name not in ("audio", "transcribe") for path in step.writes]
    return (*kept, paths.config_slice("feed"))


def show_steps(project: Project, show: ShowConfig, episode_files: Sequence[Path], publish_config: Path) -> list[Step]:
    """The show's steps, in order: the feeds and the site from every episode's `episode_files` (what
    `published_files` gives for each), their validation, and the publication (`publish_config`: where to)."""
    feeds = (feed_path(project), video_feed_path(project), site_dir(project) / "index.html")
    validation = project.build_dir / "validation.txt"
    steps = [
        Step("feed", "feed", (), (*episode_files, project.resolve(show.cover), *stage_code("feed")), feeds),
        Step("validate", "validate", (), (*feeds, *stage_code("validate")), (validation,), report=True),
        Step("publish", "publish", (), (validation, *feeds, *episode_files, publish_config, *stage_code("publish")),
             (project.build_dir / "published.txt",), report=True),
    ]
    assert tuple(step.name for step in steps) == SHOW_STAGES
    return steps


def out_of_date(step: Step) -> bool:
    """make's rule: a file it writes is missing, or something it reads is newer than the oldest of them."""
    try:
        oldest = min(path.stat().st_mtime_ns for path in step.writes)
    except FileNotFoundError:
        return True
    newest = max((path.stat().st_mtime_ns for path in step.reads if path.exists()), default=0)
    return newest > oldest


def make_rules(project: Project, steps: Sequence[Step], episode_id: str) -> str:
    """The steps as make rules (grouped targets, one recipe each) and a variable per step for its files. A
    report step's output goes to the screen and, through a part file renamed at the end, to its file."""

    def files(paths: Sequence[Path]) -> str:
        return " ".join(make_path(project, path) for path in dict.fromkeys(paths))

    lines = ["# Written by `pipeline check-config` from pipeline.graph; do not edit.", ""]
    lines += [f"{step.name.upper()}_FILES := {files(step.writes)}" for step in steps]
    lines.append("")
    for step in steps:
        command = f"$(PIPELINE) {' '.join([step.stage, episode_id, *step.options])}"
        lines.append(f"{files(step.writes)} &: {files(step.reads)}")
        if step.report:
            lines += [f"\t{command} 2>&1 | tee $@.part || {{ rm -f $@.part; exit 1; }}", "\t@mv $@.part $@"]
        else:
            lines.append(f"\t{command}")
        lines.append("")
    return "\n".join(lines)


def make_path(project: Project, path: Path) -> str:
    """A path as make reads it: relative to the project when inside it, with make's special characters escaped."""
    return str(project.relative(path)).replace("\\", "\\\\").replace(" ", "\\ ").replace("$", "$$").replace("#", "\\#")
