"""The catalogue on Ray: an imported old show built in parallel, up to date by make's own rule, on one node
sharing the project folder, and on a real two-node Ray cluster on loopback whose workers share only an S3
store (moto's server) and get killed mid-build."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import threading
import time
from collections.abc import Iterator
from datetime import datetime, timedelta, timezone
from email.utils import format_datetime
from pathlib import Path
from typing import Any

import feedparser
import pytest
import yaml

from pipeline.artefacts import build_tree, manifest_key
from pipeline.catalogue import CatalogueReport, run_catalogue
from pipeline.errors import BatchError
from pipeline.graph import episode_steps, out_of_date
from pipeline.imports import import_feed
from pipeline.layout import Project, episode_paths, feed_path
from pipeline.serve import running_server
from tests import media
from tests.conftest import REPO, copy_project, s3_client
from tests.helpers import item, old_show, rss, write_feed

DATA = REPO / "tests" / "data"
BROKEN = "9"
GOOD = ("1", "2", "5")  # what write_feed's old show imports; 3 and 4 are its missing and fake enclosures
STEPS = 7  # audio, transcribe, edit, notes, tags, video, clips


def show_with_a_small_video(tmp_path: Path) -> Project:
    """The demo show's config, no episodes, and a small, slow video so that builds stay quick."""
    project = copy_project(tmp_path / "show", episodes=())
    show = yaml.safe_load(project.show_file.read_text())
    show["video"]["formats"] = [{"name": "landscape", "width": 320, "height": 180}]
    show["video"]["fps"] = 8
    project.show_file.write_text(yaml.safe_dump(show, sort_keys=False))
    return project


def imported_show(tmp_path: Path) -> Project:
    """The demo show's config with a small video, and the old show of test_import imported into it, plus a
    broken episode (a recording that is not audio) that the catalogue must report without stopping."""
    project = show_with_a_small_video(tmp_path)
    folder, _ = old_show(tmp_path / "old")
    with running_server(folder) as base:
        write_feed(folder, base)
        with pytest.raises(BatchError):
            import_feed(project, base + "feed.xml")
    add_broken_episode(project, BROKEN)
    return project


def add_broken_episode(project: Project, episode_id: str) -> None:
    broken = project.episodes_dir / episode_id
    broken.mkdir()
    (broken / "recording.mp3").write_bytes(os.urandom(4000))
    (broken / "episode.yaml").write_text(yaml.safe_dump({
        "number": int(episode_id), "title": "Broken", "date": "2021-01-04T09:00:00-08:00", "recording": "recording.mp3",
        "description": "Its recording is random bytes."}))


def thirty_item_show(tmp_path: Path) -> tuple[Project, str]:
    """An old show of 30 weekly episodes of real speech (2 s of JFK or Lucier each), half of them numbered by
    `itunes:episode`, imported over HTTP: item 7's enclosure is missing and item 19's is not audio.
    Returns the project and the import's error."""
    project = show_with_a_small_video(tmp_path)
    folder = tmp_path / "old"
    folder.mkdir()
    first = datetime(2019, 1, 7, 9, tzinfo=timezone(timedelta(hours=-8)))
    items = []
    for index in range(1, 31):
        source, offset = ("jfk.flac", (index % 4) * 2) if index % 2 else ("lucier.mp3", index * 3)
        if index != 7:
            media.ffmpeg("-ss", str(offset), "-i", DATA / source, "-t", "2", "-ac", "1", "-b:a", "32k",
                         folder / f"{index}.mp3")
        if index == 19:
            (folder / f"{index}.mp3").write_text("<html>not audio</html>")
        date = format_datetime(first + timedelta(weeks=index - 1))
        items.append((f"old-{index}", f"Episode {index}", date, f"{index}.mp3", index if index % 3 == 0 else None))
    with running_server(folder) as base:
        (folder / "feed.xml").write_bytes(rss([item(guid, title, date, base + url, number=number)
                                              for guid, title, date, url, number in items]))
        with pytest.raises(BatchError) as caught:
            import_feed(project, base + "feed.xml")
    return project, str(caught.value)


def catalogue(project: Project, broken: str = "9", **options: object) -> CatalogueReport:
    """run_catalogue, which must report the broken episode (and only it) after building the others."""
    try:
        run_catalogue(project, **options)  # type: ignore[arg-type]
    except BatchError as exc:
        assert isinstance(exc.report, CatalogueReport)
        assert [r.episode for r in exc.report.episodes if r.error] == [broken], str(exc)
        assert f"episodes/{broken}/recording.mp3" in str(exc) and "not a recognised audio or video format" in str(exc)
        return exc.report
    raise AssertionError(f"episode {broken} was not reported")


def make_is_up_to_date(project: Project, episode_id: str) -> bool:
    """`make -q` over the episode's steps, with the repository's Makefile: 0 when nothing would be rebuilt."""
    targets = ["ingest", "transcribe", "edit", "notes", "video", "clips"]
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
def test_thirty_old_episodes_imported_and_built_once(tmp_path: Path, embedded_ray: None) -> None:
    project, import_error = thirty_item_show(tmp_path)
    assert "28 imported" in import_error and "2 failed" in import_error
    assert "7.mp3: HTTP 404" in import_error and "19.mp3" in import_error
    add_broken_episode(project, "99")
    first = catalogue(project, "99", workers=2, show_stages=("feed", "validate"))
    good = [r for r in first.episodes if not r.error]
    assert len(good) == 28 and all(len(r.built) == STEPS for r in good)

    feed = feedparser.parse(feed_path(project).read_bytes())
    expected = {f"old-{i}" for i in range(1, 31)} - {"old-7", "old-19"}
    assert {entry.id for entry in feed.entries} == expected  # the old guids, verbatim
    first_date = datetime(2019, 1, 7, 9, tzinfo=timezone(timedelta(hours=-8)))
    assert {entry.id: entry.published for entry in feed.entries}["old-30"] == format_datetime(first_date + timedelta(weeks=29))

    again = catalogue(project, "99", workers=2, show_stages=())
    assert not [r.episode for r in again.episodes if r.built]
    assert make_is_up_to_date(project, good[0].episode) and make_is_up_to_date(project, good[-1].episode)

    # an edit to one episode's description: that episode's notes (and its MP3's chapters) only, for both
    episode = project.episodes_dir / "2" / "episode.yaml"
    episode.write_text(yaml.safe_dump(yaml.safe_load(episode.read_text()) | {"description": "Edited by hand."}))
    third = catalogue(project, "99", workers=2, show_stages=())
    assert {r.episode: r.built for r in third.episodes if r.built} == {"2": ["notes", "tags"]}
    assert make_is_up_to_date(project, "2")


def own_builders(cluster: Any) -> list[int]:
    """The PIDs of this test's builder actors: processes running an EpisodeBuilder under this cluster's own raylets,
    never another Ray job's on the same machine."""
    raylets = {info.process.pid for node in (cluster.head_node, *cluster.worker_nodes)
               for info in node.all_processes.get("raylet", [])}
    found = subprocess.run(["pgrep", "-f", "ray::EpisodeBuilder"], capture_output=True, text=True)
    return [pid for pid in map(int, found.stdout.split()) if descends_from(pid, raylets)]


def descends_from(pid: int, ancestors: set[int]) -> bool:
    while pid > 1:
        if pid in ancestors:
            return True
        try:
            stat = Path(f"/proc/{pid}/stat").read_text()
        except OSError:
            return False
        pid = int(stat.rsplit(")", 1)[1].split()[1])  # the field after the command name is the parent's pid
    return False


@pytest.mark.slow
def test_a_two_node_cluster_shares_only_s3_and_survives_killed_workers(tmp_path: Path, bucket: str, aws_env: str) -> None:
    """Two Ray nodes on loopback whose workers build in scratch folders of their own: inputs and artefacts go
    through ARTEFACTS on moto's S3 server. Every builder is SIGKILLed once an episode is half built."""
    import ray
    from ray.cluster_utils import Cluster

    project = imported_show(tmp_path)
    store = f"s3://{bucket}/artefacts/"
    client = s3_client(aws_env)
    cluster = Cluster(initialize_head=True, head_node_args={"num_cpus": 1, "include_dashboard": False})
    cluster.add_node(num_cpus=1)
    ray.init(address=cluster.address, log_to_driver=False)
    assert len([node for node in ray.nodes() if node["Alive"]]) == 2
    killed: list[int] = []

    def pushed(episode_id: str) -> set[str]:
        try:
            body = client.get_object(Bucket=bucket, Key="artefacts/" + manifest_key(build_tree(episode_id)))["Body"]
        except client.exceptions.NoSuchKey:
            return set()
        return {Path(name).name for name in json.loads(body.read())}

    def kill_mid_build() -> None:
        """Once the store holds an episode's audio and not yet its transcript, kill every builder."""
        deadline = time.monotonic() + 300
        while time.monotonic() < deadline and not killed:
            for episode_id in GOOD:
                files = pushed(episode_id)
                if "asr.wav" in files and "transcript.json" not in files:
                    for pid in own_builders(cluster):
                        os.kill(pid, signal.SIGKILL)
                        killed.append(pid)
                    break
            time.sleep(0.05)

    killer = threading.Thread(target=kill_mid_build, daemon=True)
    killer.start()
    try:
        report = catalogue(project, workers=2, artefacts=store, show_stages=("feed",))
    finally:
        killer.join(timeout=5)
        ray.shutdown()
        cluster.shutdown()
    assert killed, "no builder was killed: the episodes finished before one was caught half built"
    built = {r.episode: r.built for r in report.episodes if not r.error}
    assert set(built) == set(GOOD)
    assert any(len(steps) < STEPS for steps in built.values())  # the retried episode did not redo its audio
    for episode_id in GOOD:  # everything built went through the store, and came back with its times
        assert {"asr.wav", "transcript.json", "captions.vtt"} <= pushed(episode_id)
    loaded_steps = _steps(project)
    assert not [step.name for steps in loaded_steps.values() for step in steps if out_of_date(step)]
    for episode_id in GOOD:
        assert make_is_up_to_date(project, episode_id), episode_id
    assert sorted(e.id for e in feedparser.parse(feed_path(project).read_bytes()).entries) == ["old-1", "old-2", "old-5"]


def _steps(project: Project) -> dict[str, list]:
    from pipeline.config.load import load_project

    loaded = load_project(project, keep_going=True)
    return {episode_id: episode_steps(project, loaded.show, loaded.episodes[episode_id],
                                      episode_paths(project, loaded.episodes[episode_id])) for episode_id in GOOD}
