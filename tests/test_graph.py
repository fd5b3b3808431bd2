"""The stage table is the only statement of what an episode's steps read and write: make's rules come from it."""

from __future__ import annotations

import os
import re
from pathlib import Path

from pipeline.config.load import load_project
from pipeline.graph import SHOW_STAGES, episode_steps, make_path, out_of_date, published_files, show_steps
from pipeline.layout import episode_paths
from pipeline.slices import make_fragment
from tests.conftest import REPO
from tests.helpers import small_show


def test_make_rules_are_the_steps_and_the_makefile_has_none_of_its_own(tmp_path: Path) -> None:
    project = small_show(tmp_path / "show")
    loaded = load_project(project, environ={})
    episode = loaded.episodes["463"]
    paths = episode_paths(project, episode)
    steps = episode_steps(project, loaded.show, episode, paths)
    steps += show_steps(project, loaded.show, published_files(steps, paths), paths.config_slice("publish"))
    assert [step.name for step in steps][-3:] == list(SHOW_STAGES)
    fragment = make_fragment(project, paths, loaded.show, episode)
    rules = re.findall(r"^(.+) &: (.*)\n\t\$\(PIPELINE\) (.+)$", fragment, flags=re.M)
    report = " 2>&1 | tee $@.part || { rm -f $@.part; exit 1; }"
    assert [(targets.split(), reads.split(), command) for targets, reads, command in rules] == [
        ([make_path(project, p) for p in step.writes], list(dict.fromkeys(make_path(project, p) for p in step.reads)),
         " ".join([step.stage, "463", *step.options]) + (report if step.report else "")) for step in steps]
    makefile = (REPO / "Makefile").read_text()
    for stage in ("ingest", "transcribe", "edit", "notes", "video", "clips", *SHOW_STAGES):
        assert f"$(PIPELINE) {stage}" not in makefile  # every recipe comes from episode.mk
    feed = next(step for step in steps if step.name == "feed")
    assert paths.podcast_mp3 in feed.reads and paths.config_slice("feed") in feed.reads and paths.asr_wav not in feed.reads


def test_a_step_is_out_of_date_by_makes_rule(tmp_path: Path) -> None:
    project = small_show(tmp_path / "show")
    loaded = load_project(project, environ={})
    episode = loaded.episodes["463"]
    notes = next(s for s in episode_steps(project, loaded.show, episode, episode_paths(project, episode)) if s.name == "notes")
    for path in notes.reads:
        if path.is_relative_to(project.root):  # never the code: its times are the repository's
            path.parent.mkdir(parents=True, exist_ok=True)
            path.touch(exist_ok=True)
    for path in notes.writes:
        path.touch()
    assert not out_of_date(notes)
    newest = max(p.stat().st_mtime_ns for p in notes.writes)
    os.utime(notes.reads[0], ns=(newest + 10**9, newest + 10**9))
    assert out_of_date(notes)
    notes.writes[0].unlink()
    assert out_of_date(notes)


def test_the_show_steps_read_every_other_built_episode_as_made(tmp_path: Path) -> None:
    project = small_show(tmp_path / "show")
    loaded = load_project(project, environ={})
    episode = loaded.episodes["463"]
    other = project.build_dir / "12"
    (other / "config").mkdir(parents=True)
    for name in ("config/feed.json", "an-old-episode.mp3", "edited.mp3"):
        (other / name).touch()
    fragment = make_fragment(project, episode_paths(project, episode), loaded.show, episode)
    feed_reads = next(line for line in fragment.splitlines() if line.startswith("build/feed.xml ")).split()
    assert {"build/12/config/feed.json", "build/12/an-old-episode.mp3"} <= set(feed_reads)
    assert "build/12/edited.mp3" not in feed_reads  # not published: its changes change no feed
