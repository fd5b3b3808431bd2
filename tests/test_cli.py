"""The command line: --help everywhere, one-line usage errors, exit codes from the one error hierarchy."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from pipeline.cli import main
from pipeline.stages import STAGES
from tests.conftest import REPO


def run_cli(*args: str, cwd: Path = REPO) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "pipeline", *args], cwd=cwd, capture_output=True, text=True, timeout=120)


def test_top_level_help_lists_every_stage() -> None:
    result = run_cli("--help")
    assert result.returncode == 0
    for name in [*STAGES, "check-config"]:
        assert name in result.stdout


@pytest.mark.parametrize("stage", list(STAGES))
def test_every_stage_has_help(stage: str) -> None:
    result = run_cli(stage, "--help")
    assert result.returncode == 0, result.stderr
    assert "episode" in result.stdout


@pytest.mark.parametrize(("episode", "expected"), [("../x", "is not an episode id"), ("999", "no episode '999'")])
def test_bad_episode_ids_give_one_line_and_exit_2(episode: str, expected: str) -> None:
    result = run_cli("check-config", episode)
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and expected in lines[0] and "make publish EPISODE=" in lines[0]


def test_config_errors_exit_3_and_name_the_file(project, capsys) -> None:  # type: ignore[no-untyped-def]
    (project.episodes_dir / "463" / "episode.yaml").write_text("number: 463\n")
    assert main(["--root", str(project.root), "check-config", "463"]) == 3
    err = capsys.readouterr().err
    assert err.startswith("error: ") and "episodes/463/episode.yaml: title: is required" in err
