"""The stage table is the only statement of what an episode's steps read and write: make's rules come from it."""

from __future__ import annotations

import os
import re
from pathlib import Path

from pipeline.config.load import load_project
from pipeline.graph import episode_steps, make_path, out_of_date
from pipeline.layout import episode_paths
from pipeline.slices import make_fragment
from tests.conftest import REPO
from tests.helpers import small_show


def test_make_rules_are_the_steps_and_the_makefile_has_none_of_its_own(tmp_path: Path) -> None:
    project = small_show(tmp_path / "show")
    loaded = load_project(project, environ={})
    episode = loaded.episodes["463"]
    steps = episode_steps(project, loaded.show, episode, episode_paths(project, episode))
    fragment = make_fragment(project, episode_paths(project, episode), loaded.show, episode)
    rules = re.findall(r"^(.+) &: (.*)\n\t\$\(PIPELINE\) (.+)$", fragment, flags=re.M)
    assert [(targets.split(), reads.split(), command) for targets, reads, command in rules] == [
        ([make_path(project, p) for p in step.writes], [make_path(project, p) for p in step.reads],
         " ".join([step.stage, "463", *step.options])) for step in steps]
    makefile = (REPO / "Makefile").read_text()
    for stage in ("ingest", "transcribe", "notes", "video"):
        assert f"$(PIPELINE) {stage}" not in makefile  # the episode's recipes all come from episode.mk


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
