"""Build a whole catalogue on Ray: every episode that is not up to date, in parallel, then the feed once.

`pipeline catalogue [IDS…]` (`make catalogue`) walks each episode's steps from pipeline.graph, the same
table make's rules are written from, so a step is out of date here exactly when make would run it, and
`make publish EPISODE=N` agrees with a catalogue build. Episodes are built by Ray actors (one per
worker), so a worker loads the Whisper and speaker models once, not once per episode:
- by default an embedded local Ray, started here, one worker per core (nothing to set up);
- with `RAY_ADDRESS` set (or `--address`), the same command runs on that cluster. Its workers either see
  the project folder at the same path (a shared file system), or, with `ARTEFACTS=s3://bucket/prefix`
  (or `--artefacts`, a shared folder also works), each builds in a scratch copy of its own and exchanges
  inputs and artefacts with the driver through that store (pipeline.artefacts).
A worker that dies is restarted and its episode tried again; finished steps are up to date, so they are
not redone. One failed episode does not stop the others: it is listed at the end and the exit status
is non-zero. Then the show-level stages run once: feed, validate, publish.
"""

from __future__ import annotations

import argparse
import logging
import os
import shutil
import tempfile
import time
import wave
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pipeline.artefacts import Artefacts, open_artefacts, pull_build, pull_inputs, push_build, push_inputs
from pipeline.config.load import Loaded, load_project
from pipeline.config.show import S3Settings
from pipeline.context import Context
from pipeline.errors import BatchError, InputError, PipelineError
from pipeline.graph import SHOW_STAGES, Step, episode_steps, out_of_date, published_files, show_steps
from pipeline.layout import Project, episode_paths
from pipeline.progress import progress_bar
from pipeline.slices import write_make_fragment, write_slices
from pipeline.stages import STAGES

log = logging.getLogger("pipeline.catalogue")

TASK_RETRIES = 3  # an episode whose worker died is tried again this many times
RAY_LOGS = "RAY_LOG_TO_DRIVER"


@dataclass
class EpisodeResult:
    episode: str
    built: list[str] = field(default_factory=list)  # the steps that ran
    error: str | None = None
    audio_seconds: float = 0.0
    seconds: float = 0.0

    @property
    def status(self) -> str:
        return "failed" if self.error else "built" if self.built else "up to date"


@dataclass
class CatalogueReport:
    episodes: list[EpisodeResult]
    show_stages: list[str]
    wall_seconds: float
    workers: int

    def count(self, status: str) -> int:
        return sum(1 for result in self.episodes if result.status == status)

    @property
    def audio_hours(self) -> float:
        return sum(result.audio_seconds for result in self.episodes if result.built) / 3600

    def summary(self) -> str:
        throughput = self.audio_hours / (self.wall_seconds / 3600) if self.wall_seconds else 0.0
        return (f"{self.count('built')} built, {self.count('up to date')} up to date, {self.count('failed')} failed; "
                f"{self.audio_hours:.2f} h of audio in {self.wall_seconds:.0f} s on {self.workers} worker"
                f"{'s' if self.workers != 1 else ''} ({throughput:.1f} audio hours per hour)")


# ---------------------------------------------------------------- one episode (runs in a Ray worker)


def refresh_config(project: Project, loaded: Loaded, episode_id: str) -> list[Step]:
    """What `pipeline check-config` does before make runs (the config slices, episode.mk); the episode's steps."""
    episode = loaded.episodes[episode_id]
    paths = episode_paths(project, episode)
    write_slices(paths, loaded.show, episode)
    write_make_fragment(project, paths, loaded.show, episode)
    return episode_steps(project, loaded.show, episode, paths)


def build_episode(project: Project, episode_id: str, threads: int = 0,
                  after_step: Callable[[], None] | None = None) -> EpisodeResult:
    """Every out-of-date step of one episode, in order, each judged when its turn comes (after the steps before
    it ran), as make does; the first that fails ends the episode. `after_step` runs after each step that ran."""
    started = time.perf_counter()
    result = EpisodeResult(episode_id)
    try:
        loaded = load_project(project, keep_going=True)
        if episode_id in loaded.broken:
            raise BatchError("configuration", "the episode cannot be built", loaded.broken[episode_id])
        steps = refresh_config(project, loaded, episode_id)
        if threads:  # the workers share the cores (not part of any cache key or slice)
            transcription = loaded.show.transcription.model_copy(update={"threads": threads})
            loaded = loaded.model_copy(update={"show": loaded.show.model_copy(update={"transcription": transcription})})
        for step in steps:
            if out_of_date(step):
                run_step(project, loaded, episode_id, step)
                result.built.append(step.name)
                if after_step:
                    after_step()
        result.audio_seconds = _wav_seconds(episode_paths(project, loaded.episodes[episode_id]).asr_wav)
    except PipelineError as exc:
        result.error = exc.message if not isinstance(exc, BatchError) else str(exc).split("\n  fix:")[0]
    except Exception as exc:  # a bug in a stage: this episode fails, the others go on
        log.exception("episode %s", episode_id)
        result.error = f"internal error: {exc.__class__.__name__}: {exc}"
    result.seconds = round(time.perf_counter() - started, 2)
    return result


def run_step(project: Project, loaded: Loaded, episode_id: str, step: Step) -> None:
    """One step through its stage module, with the options make's recipe gives it. Like make's
    .DELETE_ON_ERROR, what the step had rewritten when it failed is removed, so it runs again next time."""
    module = STAGES[step.stage].load()
    parser = argparse.ArgumentParser(prog=f"pipeline {step.stage}")
    if hasattr(module, "add_arguments"):
        module.add_arguments(parser)
    options = parser.parse_args(list(step.options))
    before = {path: path.stat().st_mtime_ns for path in step.writes if path.exists()}
    try:
        module.run(Context.create(project, loaded, episode_id, options))
    except BaseException:
        for path in step.writes:
            if path.exists() and before.get(path) != path.stat().st_mtime_ns:
                path.unlink()
        raise


def _wav_seconds(path: Path) -> float:
    try:
        with wave.open(str(path), "rb") as wav:
            return wav.getnframes() / wav.getframerate()
    except (OSError, wave.Error, EOFError):
        return 0.0


class EpisodeBuilder:
    """A Ray actor: builds episodes one after another in one process, so the models it loads stay loaded.

    With a shared store (`artefacts`), it builds in a scratch folder of its own: it pulls the episode's inputs
    and what was built of it before, pushes build/<id>/ after every step, and clears the episode away once
    pushed, so a worker's disk holds one episode at a time."""

    def __init__(self, root: str, threads: int, artefacts: str | None = None, settings: S3Settings | None = None) -> None:
        self.threads = threads
        self.artefacts: Artefacts | None = None
        if artefacts:
            self.project = Project(Path(tempfile.mkdtemp(prefix="pipeline-worker-")))
            self.artefacts = open_artefacts(artefacts, self.project, settings or S3Settings())
        else:
            self.project = Project(Path(root))
        _quiet_worker_logs()

    def build(self, episode_id: str) -> EpisodeResult:
        if self.artefacts is None:
            return build_episode(self.project, episode_id, self.threads)
        artefacts, project = self.artefacts, self.project
        try:
            pull_inputs(artefacts, project, episode_id)
            pull_build(artefacts, project, episode_id)
        except PipelineError as exc:
            return EpisodeResult(episode_id, error=f"{exc.message} (from {artefacts.description})")
        try:
            result = build_episode(project, episode_id, self.threads,
                                   after_step=lambda: push_build(artefacts, project, episode_id))
        finally:
            shutil.rmtree(project.episodes_dir / episode_id, ignore_errors=True)
            shutil.rmtree(project.build_dir / episode_id, ignore_errors=True)
        return result


def _quiet_worker_logs() -> None:
    logging.getLogger("pipeline").setLevel(logging.WARNING)


# ---------------------------------------------------------------- the driver


def start_ray(address: str | None, workers: int | None) -> int:
    """Connect to the cluster at `address` (or RAY_ADDRESS), or start an embedded one; return the worker count."""
    import ray

    address = address or os.environ.get("RAY_ADDRESS") or None
    options: dict[str, Any] = {"include_dashboard": False, "log_to_driver": os.environ.get(RAY_LOGS) == "1",
                               "logging_level": logging.WARNING, "configure_logging": True}
    if address:
        ray.init(address=address, **options)
    else:
        ray.init(num_cpus=os.cpu_count() or 1, **options)
    return workers or max(1, int(ray.cluster_resources().get("CPU", 1)))


def run_catalogue(project: Project, ids: Sequence[str] = (), *, workers: int | None = None, address: str | None = None,
                  artefacts: str | None = None, show_stages: Sequence[str] = SHOW_STAGES,
                  on_result: Callable[[EpisodeResult], None] | None = None) -> CatalogueReport:
    """Build the episodes `ids` (default: all) on Ray, then the show-level stages; raise BatchError listing what
    failed, after building everything else. With `artefacts` (a store: s3://… or a folder) the workers build
    from it and into it, and the driver pulls what they built before the show-level stages."""
    import ray
    from ray.util import ActorPool

    started = time.perf_counter()
    loaded = load_project(project, keep_going=True)
    for warning in loaded.warnings:
        log.warning(warning)
    wanted = list(ids) or sorted(set(loaded.episodes) | set(loaded.broken), key=_natural)
    unknown = [episode_id for episode_id in wanted if episode_id not in loaded.episodes and episode_id not in loaded.broken]
    results = [EpisodeResult(episode_id, error=f"no episode {episode_id!r} under episodes/") for episode_id in unknown]
    buildable = [episode_id for episode_id in wanted if episode_id not in unknown]
    if not buildable:
        if not results:
            raise InputError("no episodes under episodes/", hint="add one (see the README), or import a feed: make import FEED=…")
        raise BatchError("catalogue", "nothing to build", [f"episode {r.episode}: {r.error}" for r in results])
    store = None
    if artefacts:
        store = open_artefacts(artefacts, project, loaded.show.s3)
        log.info("catalogue: sharing inputs and artefacts through %s", store.description)
        push_inputs(store, project, loaded.show, [i for i in buildable if i in loaded.episodes])
    ours = not ray.is_initialized()
    count = start_ray(address, workers) if ours else workers or int(ray.cluster_resources().get("CPU", 1))
    count = max(1, min(count, len(buildable) or 1))
    threads = max(1, (os.cpu_count() or 1) // count)
    try:
        actor = ray.remote(EpisodeBuilder).options(num_cpus=1, max_restarts=-1, max_task_retries=TASK_RETRIES)
        pool = ActorPool([actor.remote(str(project.root), threads, artefacts, loaded.show.s3) for _ in range(count)])
        with progress_bar(len(buildable), "episodes", unit="episodes") as bar:
            for result in pool.map_unordered(lambda builder, episode_id: builder.build.remote(episode_id), buildable):
                results.append(result)
                if result.error:
                    log.warning("episode %s failed: %s", result.episode, result.error.splitlines()[0])
                if on_result:
                    on_result(result)
                bar.update(1)
    finally:
        if ours:
            ray.shutdown()
    if store:
        for result in results:
            if result.built:
                pull_build(store, project, result.episode)
    ran_show = _show_stages(project, results, show_stages)
    report = CatalogueReport(sorted(results, key=lambda r: _natural(r.episode)), ran_show,
                             round(time.perf_counter() - started, 2), count)
    failed = [result for result in report.episodes if result.error]
    if failed:
        raise BatchError("catalogue", report.summary(), [f"episode {r.episode}: {r.error}" for r in failed], report)
    return report


def _show_stages(project: Project, results: list[EpisodeResult], stages: Sequence[str]) -> list[str]:
    """The show's steps (pipeline.graph.show_steps) over the episodes that were built, each that is out of date
    and among `stages`, in order, as make runs them; the last good episode stands in for the show."""
    good = [result.episode for result in results if not result.error]
    if not good or not stages:
        return []
    loaded = load_project(project, keep_going=True)
    episode_files: list[Path] = []
    for episode_id in good:
        paths = episode_paths(project, loaded.episodes[episode_id])
        episode_files += published_files(episode_steps(project, loaded.show, loaded.episodes[episode_id], paths), paths)
    publish_config = episode_paths(project, loaded.episodes[good[-1]]).config_slice("publish")
    ran = []
    for step in show_steps(project, loaded.show, episode_files, publish_config):
        if step.stage in stages and out_of_date(step):
            run_step(project, loaded, good[-1], step)
            ran.append(step.stage)
    return ran


def _natural(episode_id: str) -> tuple[int, str]:
    return (int(episode_id), "") if episode_id.isdigit() else (1 << 30, episode_id)
