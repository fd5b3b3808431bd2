"""The catalogue on Ray: an imported old show built in parallel, up to date by make's own rule, on one node
and on a real two-node Ray cluster on loopback whose workers get killed mid-build."""

from __future__ import annotations

import os
import signal
import subprocess
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import feedparser
import pytest
import yaml

from pipeline.catalogue import CatalogueReport, run_catalogue
from pipeline.config import Project
from pipeline.errors import BatchError
from pipeline.graph import episode_steps, out_of_date
from pipeline.imports import import_feed
from pipeline.layout import episode_paths, feed_path
from pipeline.serve import running_server
from tests.conftest import REPO, copy_project
from tests.test_import import old_show, write_feed

GOOD = ("1", "2", "5")  # what write_feed's old show imports; 3 and 4 are its missing and fake enclosures
STEPS = 5


def imported_show(tmp_path: Path) -> Project:
    """The demo show's config with a small video, and the old show of test_import imported into it, plus a
    broken episode (a recording that is not audio) that the catalogue must report without stopping."""
    project = copy_project(tmp_path / "show", episodes=())
    show = yaml.safe_load(project.show_file.read_text())
    show["video"]["formats"] = [{"name": "landscape", "width": 320, "height": 180}]
    show["video"]["fps"] = 8
    project.show_file.write_text(yaml.safe_dump(show, sort_keys=False))
    folder, _ = old_show(tmp_path / "old")
    with running_server(folder) as base:
        write_feed(folder, base)
        with pytest.raises(BatchError):
            import_feed(project, base + "feed.xml")
    broken = project.episodes_dir / "9"
    broken.mkdir()
    (broken / "recording.mp3").write_bytes(os.urandom(4000))
    (broken / "episode.yaml").write_text(yaml.safe_dump({
        "number": 9, "title": "Broken", "date": "2021-01-04T09:00:00-08:00", "recording": "recording.mp3",
        "description": "Its recording is random bytes."}))
    return project


def catalogue(project: Project, **options: object) -> CatalogueReport:
    try:
        return run_catalogue(project, **options)  # type: ignore[arg-type]
    except BatchError as exc:
        assert isinstance(exc.report, CatalogueReport)
        assert [r.episode for r in exc.report.episodes if r.error] == ["9"], str(exc)
        assert "episodes/9/recording.mp3" in str(exc) and "not a recognised audio or video format" in str(exc)
        return exc.report


def make_is_up_to_date(project: Project, episode_id: str) -> bool:
    """`make -q` over the episode's steps, with the repository's Makefile: 0 when nothing would be rebuilt."""
    targets = ["ingest", "transcribe", "notes", "video"]
    done = subprocess.run(["make", "-q", "-f", str(REPO / "Makefile"), "-C", str(project.root), "EPISODE_CHECKED=1",
                           f"EPISODE={episode_id}", f"VENV={REPO / '.venv'}", *targets], capture_output=True, text=True)
    return done.returncode == 0


@pytest.fixture
def embedded_ray() -> Iterator[None]:
    import ray

    ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False)
    try:
        yield
    finally:
        ray.shutdown()


@pytest.mark.slow
def test_catalogue_builds_an_old_show_once_and_make_agrees(tmp_path: Path, embedded_ray: None) -> None:
    project = imported_show(tmp_path)
    first = catalogue(project, workers=2, show_stages=("feed", "validate"))
    assert {r.episode: len(r.built) for r in first.episodes if not r.error} == dict.fromkeys(GOOD, STEPS)
    assert first.show_stages == ["feed", "validate"] and first.audio_hours > 0

    feed = feedparser.parse(feed_path(project).read_bytes())
    assert sorted(entry.id for entry in feed.entries) == ["old-1", "old-2", "old-5"]  # the old guids, verbatim
    assert {entry.id: entry.published for entry in feed.entries}["old-1"] == "Mon, 02 Nov 2020 09:00:00 -0800"

    again = catalogue(project, workers=2, show_stages=())
    assert [(r.episode, r.built) for r in again.episodes if not r.error] == [(e, []) for e in GOOD]
    for episode_id in GOOD:
        assert make_is_up_to_date(project, episode_id), episode_id

    # an edit to one episode's notes settings: that episode's notes (and its MP3's chapters) only, for both
    episode = project.episodes_dir / "2" / "episode.yaml"
    episode.write_text(yaml.safe_dump(yaml.safe_load(episode.read_text()) | {"description": "Edited by hand."}))
    third = catalogue(project, workers=2, show_stages=())
    assert {r.episode: r.built for r in third.episodes if r.built} == {"2": ["notes", "tags"]}
    assert make_is_up_to_date(project, "2")


@pytest.mark.slow
def test_a_two_node_cluster_survives_killed_workers(tmp_path: Path) -> None:
    import ray
    from ray.cluster_utils import Cluster

    project = imported_show(tmp_path)
    cluster = Cluster(initialize_head=True, head_node_args={"num_cpus": 1, "include_dashboard": False})
    cluster.add_node(num_cpus=1)
    ray.init(address=cluster.address, log_to_driver=False)
    assert len([node for node in ray.nodes() if node["Alive"]]) == 2
    killed: list[int] = []

    def kill_mid_build() -> None:
        """Once an episode is half built (its audio done, its transcript not yet), kill every builder."""
        deadline = time.monotonic() + 300
        while time.monotonic() < deadline and not killed:
            for episode_id in GOOD:
                paths = project.build_dir / episode_id
                if (paths / "asr.wav").exists() and not (paths / "transcript.json").exists():
                    found = subprocess.run(["pgrep", "-f", "ray::EpisodeBuilder"], capture_output=True, text=True)
                    for pid in map(int, found.stdout.split()):
                        os.kill(pid, signal.SIGKILL)
                        killed.append(pid)
                    break
            time.sleep(0.05)

    killer = threading.Thread(target=kill_mid_build, daemon=True)
    killer.start()
    try:
        report = catalogue(project, workers=2, show_stages=("feed",))
    finally:
        killer.join(timeout=5)
        ray.shutdown()
        cluster.shutdown()
    assert killed, "no builder was killed: the episodes finished before one was caught half built"
    built = {r.episode: r.built for r in report.episodes if not r.error}
    assert set(built) == set(GOOD)
    assert any(len(steps) < STEPS for steps in built.values())  # the retried episode did not redo its audio
    loaded_steps = _steps(project)
    assert not [step.name for steps in loaded_steps.values() for step in steps if out_of_date(step)]
    assert sorted(e.id for e in feedparser.parse(feed_path(project).read_bytes()).entries) == ["old-1", "old-2", "old-5"]


def _steps(project: Project) -> dict[str, list]:
    from pipeline.config import load_project

    loaded = load_project(project, keep_going=True)
    return {episode_id: episode_steps(project, loaded.show, loaded.episodes[episode_id],
                                      episode_paths(project, loaded.episodes[episode_id])) for episode_id in GOOD}
