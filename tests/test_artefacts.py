"""The catalogue's shared store: trees of files pushed and pulled by content, with their modification times,
through a real S3 endpoint on loopback (moto's server) and through a folder."""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path

from pipeline.artefacts import Artefacts, build_tree, manifest_key, object_key, pull_build, push_build
from pipeline.config.show import S3Settings
from pipeline.layout import Project
from pipeline.stores import LocalStore, Store
from tests.conftest import objects


def a_build(root: Path) -> Project:
    project = Project(root)
    build = project.build_dir / "7"
    (build / "config").mkdir(parents=True)
    (build / "transcript.json").write_text('{"segments": []}')
    (build / "config" / "notes.json").write_text("{}")
    (build / "cover-copy.jpg").write_bytes(b"\xff\xd8same bytes")
    (build / "other-copy.jpg").write_bytes(b"\xff\xd8same bytes")
    for index, path in enumerate(sorted(build.rglob("*.*"))):
        os.utime(path, ns=(1_600_000_000_000_000_000 + index, 1_600_000_000_000_000_000 + index))
    return project


def round_trip(store: Store, tmp_path: Path) -> None:
    artefacts = Artefacts(store)
    worker = a_build(tmp_path / "worker")
    push_build(artefacts, worker, "7")
    assert artefacts.push(worker.root, build_tree("7"), sorted((worker.build_dir / "7").rglob("*.*"))) == 0  # nothing new

    driver = Project(tmp_path / "driver")
    pulled = pull_build(artefacts, driver, "7")
    assert sorted(p.relative_to(driver.root) for p in pulled) == sorted(
        p.relative_to(worker.root) for p in (worker.build_dir / "7").rglob("*.*"))
    for path in pulled:
        twin = worker.root / path.relative_to(driver.root)
        assert path.read_bytes() == twin.read_bytes()
        assert path.stat().st_mtime_ns == twin.stat().st_mtime_ns  # make's rule sees what the worker saw

    # one changed file: one object uploaded; the pull fetches it and keeps the others
    (worker.build_dir / "7" / "transcript.json").write_text('{"segments": [1]}')
    assert artefacts.push(worker.root, build_tree("7"), sorted((worker.build_dir / "7").rglob("*.*"))) == 1
    pull_build(artefacts, driver, "7")
    assert (driver.build_dir / "7" / "transcript.json").read_text() == '{"segments": [1]}'
    assert artefacts.manifest(build_tree("unknown")) == {}


def test_artefacts_through_a_folder(tmp_path: Path) -> None:
    store = LocalStore(tmp_path / "shared")
    round_trip(store, tmp_path)
    stored = {p.relative_to(store.root).as_posix() for p in store.root.rglob("*") if p.is_file()}
    assert manifest_key(build_tree("7")) in stored
    assert len([key for key in stored if key.startswith("objects/")]) == 4  # the two equal files are one object


def test_artefacts_through_s3(tmp_path: Path, bucket: str, aws_env: str) -> None:
    from pipeline.stores.s3 import S3Store

    round_trip(S3Store(bucket, "artefacts/", S3Settings()), tmp_path)
    stored = objects(aws_env, bucket, "artefacts/")
    assert manifest_key(build_tree("7")) in stored
    assert stored[object_key(hashlib.sha256(b'{"segments": [1]}').hexdigest())] == b'{"segments": [1]}'


def test_a_lost_object_leaves_the_file_missing(tmp_path: Path) -> None:
    store = LocalStore(tmp_path / "shared")
    artefacts = Artefacts(store)
    worker = a_build(tmp_path / "worker")
    push_build(artefacts, worker, "7")
    digest = hashlib.sha256(b'{"segments": []}').hexdigest()
    (store.root / object_key(digest)).unlink()
    driver = Project(tmp_path / "driver")
    pulled = pull_build(artefacts, driver, "7")
    assert not (driver.build_dir / "7" / "transcript.json").exists()  # so the step that writes it runs again
    assert len(pulled) == 3


def test_a_manifest_never_writes_outside_the_project(tmp_path: Path) -> None:
    store = LocalStore(tmp_path / "shared")
    (store.root / "manifests").mkdir(parents=True)
    (store.root / manifest_key("hostile")).write_text(json.dumps({"../outside.txt": ["0" * 64, 1, 0]}))
    assert Artefacts(store).pull(tmp_path / "driver", "hostile") == []
    assert not (tmp_path / "outside.txt").exists()
