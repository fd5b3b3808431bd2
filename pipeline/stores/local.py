"""A folder as a publish target (the offline demo's `public/`): same keys and semantics as S3."""

from __future__ import annotations

import contextlib
import errno
import fcntl
import logging
import os
import shutil
from collections.abc import Callable, Iterator
from pathlib import Path

from pipeline.atomic import atomic_path, file_sha256
from pipeline.errors import PublishError
from pipeline.stores.base import LOCK_NAME, Store, StoredObject, Upload

log = logging.getLogger("pipeline.publish")


def _is_bookkeeping(name: str) -> bool:
    # the lock file, and temp files of pipeline.atomic (".<stem>.<random>.part<suffix>") left by a killed run
    return name == LOCK_NAME or (name.startswith(".") and ".part" in name)


class LocalStore(Store):
    """Files under `root`; each written to a temp file and renamed, so a reader never sees half a file.

    The content hash of an existing file is computed from the file itself (no manifest to drift from it).
    """

    def __init__(self, root: Path) -> None:
        self.root = Path(root)

    @property
    def description(self) -> str:
        return f"{self.root}/"

    def location(self, key: str) -> str:
        return str(self._path(key))

    def _path(self, key: str) -> Path:
        path = (self.root / key).resolve()
        if not path.is_relative_to(self.root.resolve()):
            raise PublishError(f"refusing to publish {key!r}: it points outside {self.root}")
        return path

    def check(self) -> None:
        existing = self.root
        while not existing.exists():
            existing = existing.parent
        if not existing.is_dir():
            raise PublishError(f"publish target {self.root} is not a folder ({existing} is a file)",
                               hint="set publish_target in config/show.yaml (or PUBLISH_TARGET) to a folder or s3://bucket/prefix")
        if not os.access(existing, os.W_OK):
            raise PublishError(f"no permission to write to {existing}",
                               hint="choose a folder you can write to, or fix its permissions")

    def list(self) -> dict[str, StoredObject]:
        if not self.root.is_dir():
            return {}
        found: dict[str, StoredObject] = {}
        for path in self.root.rglob("*"):
            if path.is_file() and not _is_bookkeeping(path.name):
                key = path.relative_to(self.root).as_posix()
                found[key] = StoredObject(key=key, size=path.stat().st_size)
        return found

    def describe(self, listed: StoredObject) -> StoredObject:
        path = self._path(listed.key)
        try:
            return StoredObject(key=listed.key, size=path.stat().st_size, sha256=file_sha256(path))
        except FileNotFoundError:
            return StoredObject(key=listed.key, size=-1)

    def upload(self, uploads: list[Upload], on_done: Callable[[Upload], None]) -> None:
        for item in uploads:
            target = self._path(item.key)
            try:
                with atomic_path(target, mode=0o644) as tmp:  # readable by a web server, whatever the umask
                    shutil.copyfile(item.source, tmp)
            except OSError as exc:
                raise PublishError(f"could not write {target}: {exc.strerror or exc}",
                                   hint="check free disk space and the folder's permissions") from exc
            on_done(item)

    def download(self, key: str, destination: Path) -> bool:
        source = self._path(key)
        if not source.is_file():
            return False
        try:
            destination.parent.mkdir(parents=True, exist_ok=True)
            with atomic_path(destination) as tmp:
                shutil.copyfile(source, tmp)
        except OSError as exc:
            raise PublishError(f"could not copy {source} to {destination}: {exc.strerror or exc}",
                               hint="check free disk space and the folders' permissions") from exc
        return True

    def delete(self, keys: list[str]) -> None:
        for key in keys:
            path = self._path(key)
            path.unlink(missing_ok=True)
            parent = path.parent
            while parent != self.root.resolve() and parent.is_dir() and not any(parent.iterdir()):
                parent.rmdir()
                parent = parent.parent

    @contextlib.contextmanager
    def lock(self, *, break_lock: bool = False) -> Iterator[None]:
        """An flock on the folder itself: no file is left in what listeners are served, and the kernel drops the
        lock when the process dies, so it is never stale."""
        self.root.mkdir(parents=True, exist_ok=True)
        handle = os.open(self.root, os.O_RDONLY | os.O_DIRECTORY)
        try:
            try:
                fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except OSError as exc:
                if exc.errno not in (errno.EAGAIN, errno.EACCES):
                    raise
                raise PublishError(f"another publish to {self.description} is running",
                                   hint="wait for it to finish, then run the publish again") from exc
            (self.root / LOCK_NAME).unlink(missing_ok=True)  # the lock file earlier versions left here
            try:
                yield
            finally:
                fcntl.flock(handle, fcntl.LOCK_UN)
        finally:
            os.close(handle)
