"""Incremental sync of a Publication to a Store: plan (read-only) and apply, the same for every target.

A key is uploaded when it is missing, its size differs, its stored content hash (object metadata, not the
ETag, which is no content hash for multipart objects) differs, or, where the target keeps headers, its
Content-Type / Cache-Control differ. Phases go up in order (media, pages, feeds), each only after the previous
one is completely up, so a feed never points at a file that is not there yet. Deletions (--prune) come last.
"""

from __future__ import annotations

import logging
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

from pipeline.atomic import file_sha256
from pipeline.errors import PublishError
from pipeline.formats.mime import cache_control, content_type
from pipeline.layout import Publication
from pipeline.progress import progress_bar
from pipeline.stores.base import Store, StoredObject, Upload

log = logging.getLogger("pipeline.publish")

PHASES = ("media", "pages", "feeds")


@dataclass(frozen=True)
class PlannedUpload:
    phase: str
    upload: Upload
    reason: str  # "new", "changed", "headers changed"


@dataclass(frozen=True)
class Plan:
    target: str
    uploads: list[PlannedUpload]
    unchanged: list[str]
    deletions: list[str]
    remote_keys: frozenset[str]  # what the target held when planned

    def phase(self, name: str) -> list[Upload]:
        return [item.upload for item in self.uploads if item.phase == name]

    @property
    def upload_bytes(self) -> int:
        return sum(item.upload.size for item in self.uploads)

    @property
    def published_keys(self) -> frozenset[str]:
        """Keys the target holds once the plan is applied."""
        kept = self.remote_keys - set(self.deletions)
        return kept | {item.upload.key for item in self.uploads} | set(self.unchanged)

    def lines(self) -> list[str]:
        """What would change, one line each (for --dry-run)."""
        out = [f"upload {item.upload.key} ({item.reason}, {human_bytes(item.upload.size)})" for item in self.uploads]
        out += [f"delete {key} (no longer published)" for key in self.deletions]
        return out


@dataclass
class SyncReport:
    target: str
    dry_run: bool = False
    uploaded: list[str] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)
    deleted: list[str] = field(default_factory=list)
    bytes: int = 0
    seconds: float = 0.0

    def summary(self) -> str:
        verb = "would upload" if self.dry_run else "uploaded"
        deleted = "would delete" if self.dry_run else "deleted"
        return (f"publish {self.target}: {verb} {len(self.uploaded)} ({human_bytes(self.bytes)}), "
                f"skipped {len(self.skipped)} unchanged, {deleted} {len(self.deleted)}, in {self.seconds:.1f} s")


def human_bytes(size: int) -> str:
    if size < 1000:
        return f"{size} B"
    value = size / 1000
    for unit in ("KB", "MB"):
        if value < 1000:
            return f"{value:.1f} {unit}"
        value /= 1000
    return f"{value:.1f} GB"


def local_uploads(publication: Publication) -> list[tuple[str, Upload]]:
    """Every file of the publication as an Upload, with its phase. A key listed twice must have one content;
    it then goes up in the later phase (a feed-like file never goes up early)."""
    by_key: dict[str, tuple[str, Upload]] = {}
    for phase, files in zip(PHASES, (publication.media, publication.pages, publication.feeds), strict=True):
        for source, key in files:
            try:
                size = source.stat().st_size
                digest = file_sha256(source)
            except OSError as exc:
                raise PublishError(f"cannot read {source} to publish it as {key}: {exc.strerror or exc}",
                                   hint="build the episode again (make publish EPISODE=…)") from exc
            upload = Upload(source=source, key=key, size=size, sha256=digest,
                            content_type=content_type(key), cache_control=cache_control(key))
            if key in by_key and by_key[key][1].sha256 != digest:
                raise PublishError(f"two different files would be published as {key}: {by_key[key][1].source} and {source}",
                                   hint="remove one of them from the build")
            by_key[key] = (phase, upload)
    order = {phase: index for index, phase in enumerate(PHASES)}
    return sorted(by_key.values(), key=lambda item: order[item[0]])


def _reason(upload: Upload, stored: StoredObject | None) -> str | None:
    if stored is None or stored.size < 0:
        return "new"
    if stored.size != upload.size or stored.sha256 != upload.sha256:
        return "changed"
    if (stored.content_type is not None and stored.content_type != upload.content_type) or (
        stored.cache_control is not None and stored.cache_control != upload.cache_control
    ):
        return "headers changed"
    return None


def plan_sync(store: Store, publication: Publication, *, prune: bool = False, concurrency: int = 4) -> Plan:
    """Read-only: list the target, fetch stored hashes of same-size objects, decide what to upload and delete."""
    wanted = local_uploads(publication)
    listed = store.list()
    # Only same-size objects need their stored hash (an S3 HEAD each): different sizes are changed anyway.
    to_describe = [listed[upload.key] for _, upload in wanted if upload.key in listed and listed[upload.key].size == upload.size]
    with ThreadPoolExecutor(max_workers=max(1, concurrency)) as pool:
        described = {item.key: item for item in pool.map(store.describe, to_describe)}
    uploads: list[PlannedUpload] = []
    unchanged: list[str] = []
    for phase, upload in wanted:
        stored = described.get(upload.key) or listed.get(upload.key)
        reason = _reason(upload, stored)
        if reason is None:
            unchanged.append(upload.key)
        else:
            uploads.append(PlannedUpload(phase, upload, reason))
    wanted_keys = {upload.key for _, upload in wanted}
    deletions = sorted(key for key in listed if key not in wanted_keys) if prune else []
    return Plan(target=store.description, uploads=uploads, unchanged=unchanged, deletions=deletions,
                remote_keys=frozenset(listed))


def apply_sync(store: Store, plan: Plan) -> SyncReport:
    """Upload phase by phase (media, pages, feeds), then delete. A failure stops before the next phase."""
    report = SyncReport(target=plan.target, skipped=list(plan.unchanged))
    started = time.perf_counter()
    with progress_bar(plan.upload_bytes / 1e6, "publish", unit="MB") as bar:
        def done(item: Upload) -> None:
            report.uploaded.append(item.key)
            report.bytes += item.size
            bar.update(item.size / 1e6)
            log.debug("uploaded %s (%s)", store.location(item.key), human_bytes(item.size))

        for phase in PHASES:
            batch = plan.phase(phase)
            if not batch:
                continue
            try:
                store.upload(batch, done)
            except PublishError as exc:
                later = [name for name in PHASES[PHASES.index(phase) + 1:] if plan.phase(name)]
                exc.message += f" ({len(report.uploaded)} file(s) went up before the failure"
                exc.message += (f"; the {' and '.join(later)} were not touched, so listeners still see the previous version)"
                                if later else ")")
                exc.hint = exc.hint or "run the publish again: files already up are skipped"
                raise
    if plan.deletions:
        store.delete(plan.deletions)
        report.deleted = list(plan.deletions)
        for key in plan.deletions:
            log.debug("deleted %s", store.location(key))
    report.seconds = time.perf_counter() - started
    return report
