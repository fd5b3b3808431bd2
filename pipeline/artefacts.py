"""The catalogue's shared store, for Ray workers that do not share the driver's disk (`ARTEFACTS=s3://bucket/prefix`).

The driver pushes the inputs (config/ with the cover and voice samples, and each episode's folder); a
worker pulls what one episode needs into a scratch copy of the project of its own, builds it there, and
pushes the episode's build/<id>/ after every step, so a worker killed later loses nothing finished; the
driver then pulls the built episodes and runs the feed, validation and publish from them. Any target
pipeline.stores opens will do: S3 (and S3-compatible stores) or a shared folder.

Objects are stored by content (`objects/<sha256>`), so one is never overwritten and a manifest never
names half an upload. Make's rule compares modification times, so they travel with the files: each
tree has a manifest (`manifests/<name>.json`: path, sha256, size, mtime), written after its objects;
a pull sets every file's time from it. Objects no manifest names any more are left in the store.
"""

from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from pipeline.atomic import file_sha256
from pipeline.config.show import S3Settings, ShowConfig
from pipeline.layout import Project
from pipeline.stores import Store, Upload, open_store

CONFIG_TREE = "config"


@dataclass(frozen=True)
class Entry:
    sha256: str
    size: int
    mtime_ns: int


def episode_tree(episode_id: str) -> str:
    return f"episode-{episode_id}"


def build_tree(episode_id: str) -> str:
    return f"build-{episode_id}"


def object_key(sha256: str) -> str:
    return f"objects/{sha256[:2]}/{sha256}"


def manifest_key(tree: str) -> str:
    return f"manifests/{tree}.json"


def entry_of(path: Path) -> Entry:
    stat = path.stat()
    return Entry(file_sha256(path), stat.st_size, stat.st_mtime_ns)


def manifest_text(entries: dict[str, Entry]) -> str:
    return json.dumps({name: [e.sha256, e.size, e.mtime_ns] for name, e in sorted(entries.items())}, indent=0)


def parse_manifest(text: str) -> dict[str, Entry]:
    return {name: Entry(sha256, int(size), int(mtime)) for name, (sha256, size, mtime) in json.loads(text).items()}


def files_under(root: Path, *folders: Path) -> list[Path]:
    return sorted(path for folder in folders if folder.is_dir() for path in folder.rglob("*")
                  if path.is_file() and not path.name.startswith(".") and path.resolve().is_relative_to(root.resolve()))


class Artefacts:
    """Trees of a project's files in one store, pushed and pulled with their modification times."""

    def __init__(self, store: Store) -> None:
        self.store = store

    @property
    def description(self) -> str:
        return self.store.description

    def manifest(self, tree: str) -> dict[str, Entry]:
        with tempfile.TemporaryDirectory(prefix="pipeline-manifest-") as scratch:
            copy = Path(scratch) / "manifest.json"
            if not self.store.download(manifest_key(tree), copy):
                return {}
            return parse_manifest(copy.read_text(encoding="utf-8"))

    def push(self, root: Path, tree: str, files: Iterable[Path]) -> int:
        """Make `tree` exactly `files` (under `root`); upload only content the store does not hold yet. Returns
        the number of files uploaded."""
        before = self.manifest(tree)
        entries = {path.relative_to(root).as_posix(): entry_of(path) for path in files}
        known = {entry.sha256 for entry in before.values()}
        uploads: dict[str, Upload] = {}
        for name, entry in entries.items():
            if entry.sha256 not in known and entry.sha256 not in uploads:
                uploads[entry.sha256] = Upload(root / name, object_key(entry.sha256), entry.size, entry.sha256,
                                               "application/octet-stream", "no-cache")
        if uploads:
            self.store.upload(list(uploads.values()), lambda _upload: None)
        if entries != before:
            with tempfile.TemporaryDirectory(prefix="pipeline-manifest-") as scratch:
                copy = Path(scratch) / "manifest.json"
                copy.write_text(manifest_text(entries), encoding="utf-8")
                self.store.upload([Upload(copy, manifest_key(tree), copy.stat().st_size, file_sha256(copy),
                                          "application/json", "no-cache")], lambda _upload: None)
        return len(uploads)

    def pull(self, root: Path, tree: str) -> list[Path]:
        """Bring `tree` into `root`: files whose content differs are downloaded, and every file gets its recorded
        time. Returns the files."""
        pulled = []
        for name, entry in self.manifest(tree).items():
            path = root / name
            if not path.resolve().is_relative_to(root.resolve()):
                continue  # a manifest never names a file outside the project
            same = path.is_file() and path.stat().st_size == entry.size and file_sha256(path) == entry.sha256
            if not same and not self.store.download(object_key(entry.sha256), path):
                continue  # its object is gone: the file stays missing, so the step that writes it runs again
            os.utime(path, ns=(entry.mtime_ns, entry.mtime_ns))
            pulled.append(path)
        return pulled


def open_artefacts(target: str, project: Project, settings: S3Settings) -> Artefacts:
    return Artefacts(open_store(target, project, settings))


def config_files(project: Project, show: ShowConfig) -> list[Path]:
    """What every episode's build reads besides its own folder: config/, the cover and the voice samples."""
    extra = [project.resolve(show.cover), *(project.resolve(voice.sample) for voice in show.voices)]
    found = set(files_under(project.root, project.root / "config")) | {path for path in extra if path.is_file()}
    return sorted(found)


def push_inputs(artefacts: Artefacts, project: Project, show: ShowConfig, episode_ids: Iterable[str]) -> None:
    artefacts.push(project.root, CONFIG_TREE, config_files(project, show))
    for episode_id in episode_ids:
        artefacts.push(project.root, episode_tree(episode_id), files_under(project.root, project.episodes_dir / episode_id))


def pull_inputs(artefacts: Artefacts, project: Project, episode_id: str) -> None:
    artefacts.pull(project.root, CONFIG_TREE)
    artefacts.pull(project.root, episode_tree(episode_id))


def push_build(artefacts: Artefacts, project: Project, episode_id: str) -> None:
    artefacts.push(project.root, build_tree(episode_id), files_under(project.root, project.build_dir / episode_id))


def pull_build(artefacts: Artefacts, project: Project, episode_id: str) -> list[Path]:
    return artefacts.pull(project.root, build_tree(episode_id))
