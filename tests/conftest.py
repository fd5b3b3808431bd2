"""Shared fixtures: a throw-away copy of the project, and the demo episode built once per session."""

from __future__ import annotations

import argparse
import logging
import os
import shutil
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest
import yaml
from botocore.config import Config
from moto.server import ThreadedMotoServer

from pipeline.config.load import load_project
from pipeline.context import Context
from pipeline.formats.transcript import Transcript
from pipeline.layout import Project

REPO = Path(__file__).resolve().parent.parent
DATA = Path(__file__).resolve().parent / "data"

os.environ.setdefault("PIPELINE_PROGRESS", "0")


def copy_project(target: Path, episodes: tuple[str, ...] = ("463",), *, denoise: bool = False,
                 edit: bool = False) -> Project:
    """config/ and the chosen episodes of this repository, copied under `target`; without the denoiser unless
    `denoise` (see `without_denoiser`), and without the demo's edit unless `edit` (see `without_edit`)."""
    shutil.copytree(REPO / "config", target / "config")
    for episode_id in episodes:
        shutil.copytree(REPO / "episodes" / episode_id, target / "episodes" / episode_id)
    if not denoise:
        without_denoiser(target / "config" / "show.yaml")
    project = Project(target)
    if not edit:
        without_edit(project)
    return project


EDIT_KEYS = ("cuts", "inserts", "corrections")


def without_edit(project: Project) -> None:
    """The demo without its intro, outro, cuts, inserts and corrections: the other tests' times are the
    recording's. tests/test_edit.py tests the edit, and the README's `make publish` (in CI) runs the demo's."""
    show_yaml = project.show_file
    lines = show_yaml.read_text(encoding="utf-8").splitlines(keepends=True)
    show_yaml.write_text("".join(line for line in lines if not line.startswith(("  intro:", "  outro:"))), encoding="utf-8")
    for episode_id in project.episode_ids():
        edit_episode(project, episode_id, **dict.fromkeys(EDIT_KEYS))


def without_denoiser(show_yaml: Path) -> None:
    """`audio.denoise: false` in a copy of the demo's show.yaml. The denoiser costs about 0.06 × real time on two
    cores on every ingest, which doubled the suite; tests/test_denoise.py and tests/test_level.py test it, and the
    README's `make publish` (in CI) runs it on both demo episodes."""
    text = show_yaml.read_text(encoding="utf-8")
    assert "\naudio:\n" in text, f"{show_yaml}: no audio: section to turn the denoiser off in"
    show_yaml.write_text(text.replace("\naudio:\n", "\naudio:\n  denoise: false\n", 1), encoding="utf-8")


def edit_episode(project: Project, episode_id: str = "463", **changes: object) -> Path:
    """Change fields of an episode.yaml (None removes the field); returns its path."""
    path = project.episodes_dir / episode_id / "episode.yaml"
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    for key, value in changes.items():
        if value is None:
            data.pop(key, None)
        else:
            data[key] = value
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    return path


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
    run_stage(project, "ingest", step="audio")
    for stage in ("transcribe", "edit", "notes"):
        run_stage(project, stage)
    run_stage(project, "ingest", step="tags")
    for stage in ("video", "feed"):
        run_stage(project, stage)
    return project


def published_as_recorded(project: Project, episode_id: str = "463") -> None:
    """The edit stage on a transcript of no words (nothing to edit, no model): after ingest's audio step, the
    published sound is the whole recording, as for an episode with no edit."""
    paths = make_context(project, episode_id).paths
    Transcript(segments=(), engine="none", model="none", language="en", duration=0.0,
               input_hash="none").save(paths.heard_json)
    run_stage(project, "edit", episode_id)


# ---------------------------------------------------------------- a real S3 endpoint on loopback


@pytest.fixture(scope="module")
def s3_endpoint() -> Iterator[str]:
    # The server outlives each test's captured stderr; its per-request log lines would hit a closed stream.
    logging.getLogger("werkzeug").setLevel(logging.WARNING)
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    yield f"http://{host}:{port}"
    server.stop()


@pytest.fixture
def aws_env(monkeypatch: pytest.MonkeyPatch, s3_endpoint: str, tmp_path: Path) -> str:
    """Dummy credentials and the loopback endpoint, and nothing from the real AWS environment."""
    for name in list(os.environ):
        if name.startswith("AWS_"):
            monkeypatch.delenv(name)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    monkeypatch.setenv("AWS_ENDPOINT_URL", s3_endpoint)
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "no-aws-config"))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "no-aws-credentials"))
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    return s3_endpoint


def s3_client(endpoint: str) -> Any:
    return boto3.client("s3", endpoint_url=endpoint, region_name="us-east-1", aws_access_key_id="testing",
                        aws_secret_access_key="testing", config=Config(s3={"addressing_style": "path"}))


@pytest.fixture
def bucket(aws_env: str) -> str:
    name = f"show-{uuid.uuid4().hex[:12]}"
    s3_client(aws_env).create_bucket(Bucket=name)
    return name


def objects(endpoint: str, bucket: str, prefix: str = "") -> dict[str, bytes]:
    client = s3_client(endpoint)
    keys = [item["Key"] for page in client.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix)
            for item in page.get("Contents", [])]
    return {key[len(prefix):]: client.get_object(Bucket=bucket, Key=key)["Body"].read() for key in keys}
