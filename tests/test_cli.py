"""The command line: --help everywhere, one-line usage errors, exit codes from the one error hierarchy, and the one
boundary every entry point (`pipeline`, `python -m pipeline.serve`) goes through: an unexpected error is one line
too, and --traceback (or -v, or PIPELINE_TRACEBACK=1) shows where it was raised."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

import pipeline.stages.ingest
from pipeline import serve
from pipeline.cli import TRACEBACK_ENV, main
from pipeline.errors import INTERRUPTED_EXIT, UNEXPECTED_EXIT, UsageError
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


def broken(*args: object, **kwargs: object) -> None:
    raise RuntimeError("the mixer lost a track\nsecond line of detail")


def interrupted(*args: object) -> None:
    raise KeyboardInterrupt


@pytest.fixture
def ingest_raises(project, monkeypatch):  # type: ignore[no-untyped-def]
    """`pipeline ingest 463` on a copy of the project, its stage raising an exception outside the hierarchy (a bug)."""
    monkeypatch.delenv(TRACEBACK_ENV, raising=False)
    monkeypatch.setattr(pipeline.stages.ingest, "run", broken)
    return ["--root", str(project.root), "ingest", "463"]


def test_an_unexpected_error_is_one_line_that_says_how_to_see_where(ingest_raises, capsys) -> None:  # type: ignore[no-untyped-def]
    assert main(ingest_raises) == UNEXPECTED_EXIT
    lines = capsys.readouterr().err.strip().splitlines()
    assert lines == ["error: RuntimeError: the mixer lost a track … (unexpected; run again with --traceback to see where)"]


@pytest.mark.parametrize("how", [["--traceback"], ["-v"], ["-qv"], ["env"]])
def test_traceback_or_verbose_shows_where_it_was_raised(ingest_raises, capsys, monkeypatch, how) -> None:  # type: ignore[no-untyped-def]
    if how == ["env"]:
        monkeypatch.setenv(TRACEBACK_ENV, "1")
        how = []
    assert main([*ingest_raises, *how]) == UNEXPECTED_EXIT
    err = capsys.readouterr().err
    assert "Traceback (most recent call last)" in err and "in broken" in err and "second line of detail" in err
    assert err.strip().splitlines()[-1].startswith("error: RuntimeError: the mixer lost a track")


def test_an_error_while_reading_the_command_line_reaches_the_boundary_too(project, capsys, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setattr(pipeline.stages.ingest, "add_arguments", broken)
    assert main(["--root", str(project.root), "ingest", "463"]) == UNEXPECTED_EXIT
    err = capsys.readouterr().err
    assert len(err.strip().splitlines()) == 1 and "--traceback" in err
    assert main(["--root", str(project.root), "ingest", "463", "--traceback"]) == UNEXPECTED_EXIT
    assert "in broken" in capsys.readouterr().err


def test_ctrl_c_is_one_line_and_exit_130(ingest_raises, capsys, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setattr(pipeline.stages.ingest, "run", interrupted)
    assert main(ingest_raises) == INTERRUPTED_EXIT == 130
    assert capsys.readouterr().err.strip().splitlines() == ["error: interrupted; nothing half-written was kept"]


def test_serve_goes_through_the_same_boundary(tmp_path: Path, capsys, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.delenv(TRACEBACK_ENV, raising=False)
    assert serve.main([str(tmp_path / "nowhere")]) == UsageError.exit_code
    lines = capsys.readouterr().err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith(f"error: {tmp_path / 'nowhere'}/ does not exist; publish first")

    monkeypatch.setattr(serve, "make_server", broken)
    assert serve.main([str(tmp_path)]) == UNEXPECTED_EXIT
    assert capsys.readouterr().err.strip().splitlines()[-1].endswith("(unexpected; run again with --traceback to see where)")
    assert serve.main([str(tmp_path), "--traceback"]) == UNEXPECTED_EXIT
    assert "in broken" in capsys.readouterr().err
