"""make's own answer to "is this step out of date?" follows the code the step imports (derived by pipeline.code_deps,
written into episode.mk by `pipeline check-config`): touching any module a step imports makes `make -q` report it
out of date, and touching one it does not import leaves it up to date.

On a copy of the project with a copy of the package, so the modules' times can be changed. Nothing is built: the
step's outputs are empty files, newer than everything they read, so `make -q` finds every step up to date."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import pytest

from pipeline.code_deps import module_files
from pipeline.config.load import load_project
from pipeline.graph import Step, episode_steps
from pipeline.layout import Project, episode_paths
from pipeline.stages import STAGES
from tests.conftest import REPO, copy_project

SECOND = 10**9
STEPS = ("audio", "transcribe", "edit", "notes", "tags", "video", "clips")


@dataclass(frozen=True)
class Show:
    root: Path
    steps: dict[str, Step]
    base: int  # the time of every input and module; the outputs are a minute newer

    def code(self, step: str) -> set[Path]:
        """The step's code in the copy, as episode.mk names it."""
        return set(module_files(STAGES[self.steps[step].stage].module, self.root))

    def upstream(self, step: str) -> set[str]:
        """The step and every step whose outputs it reads, directly or not: make remakes those first."""
        found, pending = set(), [step]
        while pending:
            name = pending.pop()
            found.add(name)
            reads = set(self.steps[name].reads)
            pending += [other.name for other in self.steps.values() if other.name not in found and reads & set(other.writes)]
        return found

    def make_q(self, step: str) -> int:
        """make's exit status for the step's first output: 0 up to date, 1 out of date (2: an error)."""
        env = {**os.environ}
        env.pop("MAKEFLAGS", None)
        target = self.steps[step].writes[0].relative_to(self.root)
        result = subprocess.run(["make", "-q", "--no-print-directory", "EPISODE_CHECKED=1", "EPISODE=463", str(target)],
                                cwd=self.root, env=env, capture_output=True, text=True, timeout=60)
        assert result.returncode in (0, 1), result.stdout + result.stderr
        return result.returncode


def set_time(path: Path, ns: int) -> None:
    os.utime(path, ns=(ns, ns))


@pytest.fixture(scope="module")
def show(tmp_path_factory: pytest.TempPathFactory) -> Show:
    root = tmp_path_factory.mktemp("code") / "show"
    project = copy_project(root)
    shutil.copytree(REPO / "pipeline", root / "pipeline", ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copy(REPO / "Makefile", root / "Makefile")
    # The copy's own package writes episode.mk (cwd comes first on sys.path), so it names the copy's modules.
    env = {**os.environ, "PYTHONPATH": str(root)}
    result = subprocess.run([sys.executable, "-m", "pipeline", "check-config", "463"], cwd=root, env=env,
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    assert "pipeline/stages/ingest.py" in (root / "build" / "463" / "episode.mk").read_text()

    loaded = load_project(project, environ={})
    episode = loaded.episodes["463"]
    steps = {step.name: step for step in episode_steps(project, loaded.show, episode, episode_paths(project, episode))}
    assert tuple(steps) == STEPS
    base = time.time_ns() - 3600 * SECOND
    for path in root.rglob("*"):
        if path.is_file():
            set_time(path, base)
    for step in steps.values():
        for path in step.writes:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.touch()
            set_time(path, base + 60 * SECOND)
    return Show(Project(root).root, steps, base)


def touched(show: Show, module: Path, step: str) -> int:
    """make -q for `step` with `module` newer than the step's outputs; the module's time is put back after."""
    set_time(module, show.base + 120 * SECOND)
    try:
        return show.make_q(step)
    finally:
        set_time(module, show.base)


def modules(paths: set[Path]) -> list[Path]:
    """The modules among `paths`, but package `__init__.py` files (here they hold only a docstring or a table)."""
    return sorted(path for path in paths if path.suffix == ".py" and path.name != "__init__.py")


def test_every_step_is_up_to_date_when_its_outputs_are_newest(show: Show) -> None:
    for step in STEPS:
        assert show.make_q(step) == 0, step


@pytest.mark.parametrize("step", STEPS)
def test_touching_a_module_the_step_imports_makes_it_out_of_date(show: Show, step: str) -> None:
    """A module only this step's stage imports, not the stage module itself: its own library, most often imported
    lazily, through the stage or through another module."""
    stage = show.steps[step].stage
    others = set().union(*(show.code(name) for name in STEPS if show.steps[name].stage != stage))
    stage_module = show.root / "pipeline" / "stages" / f"{stage}.py"
    module = modules(show.code(step) - others - {stage_module})[-1]
    assert touched(show, module, step) == 1, f"{step}: touching {module.relative_to(show.root)} did not rebuild it"
    assert show.make_q(step) == 0


@pytest.mark.parametrize("step", STEPS)
def test_touching_a_module_the_step_does_not_import_leaves_it_up_to_date(show: Show, step: str) -> None:
    """A module the other steps import (any module of the package when none is left) but neither this step nor any
    step it reads from."""
    needed = set().union(*(show.code(name) for name in show.upstream(step)))
    elsewhere = set().union(*(show.code(name) for name in STEPS)) - needed
    candidates = modules(elsewhere) or modules(set((show.root / "pipeline").rglob("*.py")) - needed)
    module = candidates[0]
    assert touched(show, module, step) == 0, f"{step}: touching {module.relative_to(show.root)} rebuilt it"


@pytest.mark.parametrize(("step", "name"), [
    ("clips", "pipeline/notes/chapters.py"),  # issue 24: the hand-kept lists had missed these
    ("tags", "pipeline/formats/chapters.py"),
    ("notes", "pipeline/templates/notes/shownotes.html.j2"),  # a data folder a module names
    ("video", "pipeline/assets/fonts/DejaVuSans.ttf"),
])
def test_files_a_hand_kept_list_would_miss_rebuild_the_step(show: Show, step: str, name: str) -> None:
    assert touched(show, show.root / name, step) == 1
