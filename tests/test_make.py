"""The Makefile drives the pipeline with real file targets: a re-run does no work, a links edit rebuilds
only what depends on links, and `make -j2` is safe. Runs the real pipeline on a short episode (the jfk clip)."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

from pipeline.stages.publish import feed_link_keys
from tests.conftest import DATA, REPO, objects

EPISODE_YAML = """\
number: 11
title: "Ask Not"
date: 2026-11-16T09:00:00-08:00
recording: recording.flac
description: "Eleven seconds of a famous speech."
links:
  - {title: "The speech", url: "https://example.com/speech", mentions: ["ask not"]}
draft: false
"""

pytestmark = pytest.mark.slow


def make(project: Path, *args: str, **environment: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PUBLISH_TARGET": str(project / "public"), "PUBLIC_URL": "http://127.0.0.1:8000/", **environment}
    env.pop("MAKEFLAGS", None)
    return subprocess.run(["make", "--no-print-directory", *args], cwd=project, env=env, capture_output=True,
                          text=True, timeout=600)


def snapshot(folder: Path) -> dict[str, int]:
    return {str(p.relative_to(folder)): p.stat().st_mtime_ns for p in sorted(folder.rglob("*")) if p.is_file()}


@pytest.fixture(scope="module")
def show(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("make") / "show"
    root.mkdir()
    for name in ("Makefile", "pyproject.toml"):
        shutil.copy2(REPO / name, root / name)  # keeps mtimes, so the venv stamp stays up to date
    for name in ("pipeline", ".venv"):
        (root / name).symlink_to(REPO / name)
    shutil.copytree(REPO / "config", root / "config")
    episode = root / "episodes" / "11"
    episode.mkdir(parents=True)
    shutil.copy(DATA / "jfk.flac", episode / "recording.flac")
    (episode / "episode.yaml").write_text(EPISODE_YAML)
    result = make(root, "-j2", "publish", "EPISODE=11")
    assert result.returncode == 0, result.stdout + result.stderr
    return root


def test_first_publish_builds_and_publishes_everything(show: Path) -> None:
    public = show / "public"
    assert (public / "feed.xml").is_file() and (public / "feed-video.xml").is_file()
    episode_folder = public / "episodes" / "11-ask-not"
    assert (episode_folder / "ask-not.mp3").is_file() and (episode_folder / "ask-not.mp4").is_file()
    assert not list(public.rglob("recording.flac")) and not list(public.rglob("asr.wav"))


def test_second_publish_does_no_work(show: Path) -> None:
    before = snapshot(show / "build") | {f"public/{k}": v for k, v in snapshot(show / "public").items()}
    result = make(show, "publish", "EPISODE=11")
    assert result.returncode == 0, result.stderr
    after = snapshot(show / "build") | {f"public/{k}": v for k, v in snapshot(show / "public").items()}
    assert after == before
    assert "pipeline ingest" not in result.stdout and "pipeline publish" not in result.stdout


def test_editing_links_rebuilds_only_what_depends_on_them(show: Path) -> None:
    build = show / "build" / "11"
    unchanged = ["asr.wav", "produced.wav", "heard.json", "edited.mp3", "transcript.json", "captions.vtt", "ask-not.mp4"]
    before = {name: (build / name).stat().st_mtime_ns for name in [*unchanged, "shownotes.html"]}
    episode_yaml = show / "episodes" / "11" / "episode.yaml"
    episode_yaml.write_text(episode_yaml.read_text().replace(
        'mentions: ["ask not"]}', 'mentions: ["ask not"]}\n  - {title: "Another", url: "https://example.org/more"}'))
    result = make(show, "publish", "EPISODE=11")
    assert result.returncode == 0, result.stdout + result.stderr
    for name in unchanged:
        assert (build / name).stat().st_mtime_ns == before[name], f"{name} was rebuilt"
    assert (build / "shownotes.html").stat().st_mtime_ns != before["shownotes.html"]
    assert "https://example.org/more" in (build / "shownotes.html").read_text()
    assert "https://example.org/more" in (show / "public" / "feed.xml").read_text()


def test_a_failing_stage_leaves_no_half_written_target(show: Path) -> None:
    episode_yaml = show / "episodes" / "11" / "episode.yaml"
    original = episode_yaml.read_text()
    try:
        (show / "episodes" / "11" / "broken.flac").write_bytes(b"not audio")
        episode_yaml.write_text(original.replace("recording.flac", "broken.flac"))
        result = make(show, "ingest", "EPISODE=11")
        assert result.returncode != 0
        assert "broken.flac" in result.stderr
        assert not list((show / "build" / "11").glob("*.part*"))
    finally:
        episode_yaml.write_text(original)


@pytest.mark.parametrize("value", ["", "../x", "999"])
def test_bad_episode_values_stop_with_one_line_saying_what_to_type(show: Path, value: str) -> None:
    result = make(show, "publish", f"EPISODE={value}")
    assert result.returncode != 0
    errors = [line for line in result.stderr.splitlines() if line.startswith("error:")]
    assert len(errors) == 1 and "make publish EPISODE=" in errors[0]


def test_make_help_lists_the_verbs(show: Path) -> None:
    result = make(show, "help")
    assert result.returncode == 0
    for verb in ("publish", "test", "bench", "serve", "transcribe", "video"):
        assert f"  {verb} " in result.stdout


def test_make_publish_to_s3_on_loopback_end_to_end(show: Path, bucket: str, aws_env: str) -> None:
    """Only the publish step runs again for a new target, and every URL in both feeds is an uploaded object."""
    settled = make(show, "publish", "EPISODE=11")  # earlier tests may have edited the episode
    assert settled.returncode == 0, settled.stdout + settled.stderr
    base = "https://cdn.example/show/"
    result = make(show, "publish", "EPISODE=11", PUBLISH_TARGET=f"s3://{bucket}/show", PUBLIC_URL=base)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "pipeline transcribe" not in result.stdout and "pipeline video" not in result.stdout
    uploaded = objects(aws_env, bucket, "show/")
    assert {"feed.xml", "feed-video.xml", "index.html", "episodes/11-ask-not/ask-not.mp3"} <= set(uploaded)
    assert not any(key.endswith(("asr.wav", "produced.wav", "edited.mp3", "recording.flac", "episode.yaml")) for key in uploaded)
    for feed in ("feed.xml", "feed-video.xml"):
        keys = feed_link_keys(uploaded[feed], base)
        assert keys, feed
        for key in sorted(keys):
            assert key in uploaded, f"{feed}: {base}{key} is not uploaded"
