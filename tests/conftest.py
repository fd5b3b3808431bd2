"""Shared fixtures: a throw-away copy of the project, and the demo episode built once per session."""

from __future__ import annotations

import argparse
import os
import shutil
from pathlib import Path

import pytest

from pipeline.config import Project, load_project
from pipeline.context import Context

REPO = Path(__file__).resolve().parent.parent
DATA = Path(__file__).resolve().parent / "data"

os.environ.setdefault("PIPELINE_PROGRESS", "0")


def copy_project(target: Path, episodes: tuple[str, ...] = ("463",)) -> Project:
    """config/ and the chosen episodes of this repository, copied under `target`."""
    shutil.copytree(REPO / "config", target / "config")
    for episode_id in episodes:
        shutil.copytree(REPO / "episodes" / episode_id, target / "episodes" / episode_id)
    return Project(target)


def make_context(project: Project, episode_id: str, **options: object) -> Context:
    loaded = load_project(project, environ={})
    return Context.create(project, loaded, episode_id, argparse.Namespace(**options))


def run_stage(project: Project, stage: str, episode_id: str = "463", **options: object) -> list[Path]:
    from pipeline.stages import STAGES

    return STAGES[stage].load().run(make_context(project, episode_id, **options))


@pytest.fixture
def project(tmp_path: Path) -> Project:
    return copy_project(tmp_path / "show")


@pytest.fixture(scope="session")
def built_463(tmp_path_factory: pytest.TempPathFactory) -> Project:
    """Episode 463 taken through every stage up to the feed, once for the whole session."""
    project = copy_project(tmp_path_factory.mktemp("built") / "show")
    for stage in ("ingest", "transcribe", "notes", "ingest", "video", "feed"):
        run_stage(project, stage)
    return project
