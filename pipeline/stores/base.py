"""The one interface every publish target implements, so the sync logic never knows which it is talking to."""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable
from contextlib import AbstractContextManager
from dataclasses import dataclass
from pathlib import Path

# Names the publisher keeps beside the published files; never listed, uploaded or pruned.
LOCK_NAME = ".publish.lock"
HASH_METADATA = "sha256"  # object metadata key (S3: x-amz-meta-sha256); ETags of multipart objects are not content hashes


@dataclass(frozen=True)
class StoredObject:
    """What a target holds under one key. `sha256`, `content_type`, `cache_control` are None where unknown."""

    key: str
    size: int
    sha256: str | None = None
    content_type: str | None = None
    cache_control: str | None = None


@dataclass(frozen=True)
class Upload:
    """One file to put under `key`, with the headers it is served with."""

    source: Path
    key: str
    size: int
    sha256: str
    content_type: str
    cache_control: str


class Store(ABC):
    """A publish target: a flat namespace of keys (`episodes/463-…/x.mp3`, `feed.xml`) under one root."""

    @property
    @abstractmethod
    def description(self) -> str:
        """The target as a creator would write it: `s3://bucket/prefix/` or a folder path."""

    @abstractmethod
    def location(self, key: str) -> str:
        """Where one key ends up: `s3://bucket/prefix/key` or the file path."""

    @abstractmethod
    def check(self) -> None:
        """Read-only preflight (credentials, bucket, permission). Raises PublishError with a fix."""

    @abstractmethod
    def list(self) -> dict[str, StoredObject]:
        """Every published key under the root with its size (hashes may be left None: see `describe`)."""

    @abstractmethod
    def describe(self, listed: StoredObject) -> StoredObject:
        """The listed object with its stored content hash (and headers, where the target keeps them)."""

    @abstractmethod
    def upload(self, uploads: list[Upload], on_done: Callable[[Upload], None]) -> None:
        """Put every file; call `on_done` after each. Raises PublishError once all attempts have settled."""

    @abstractmethod
    def download(self, key: str, destination: Path) -> bool:
        """Copy one key to `destination` (whole or not at all); False when the target holds no such key."""

    @abstractmethod
    def delete(self, keys: list[str]) -> None:
        """Remove keys (for --prune)."""

    @abstractmethod
    def lock(self, *, break_lock: bool = False) -> AbstractContextManager[None]:
        """Held for the whole publish, so two publishes of the same target never interleave."""

