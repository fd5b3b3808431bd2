"""Publish targets behind one interface: a local folder or S3 (and S3-compatible stores).

    store = open_store(show.publish_target, project, show.s3)
    plan = plan_sync(store, publication, prune=False)
    report = apply_sync(store, plan)

boto3 is imported only when an S3 target is opened.
"""

from __future__ import annotations

import os
import re

from pipeline.config.show import S3Settings
from pipeline.errors import PublishError
from pipeline.layout import Project
from pipeline.stores.base import LOCK_NAME, Store, StoredObject, Upload
from pipeline.stores.local import LocalStore

__all__ = ["LOCK_NAME", "LocalStore", "Store", "StoredObject", "Upload", "open_store"]


def open_store(target: str, project: Project, settings: S3Settings, environ: dict[str, str] | None = None) -> Store:
    """`s3://bucket/prefix` → S3Store; any other URL scheme is refused; anything else is a folder (relative to the project)."""
    target = target.strip()
    if target.startswith("s3://"):
        from pipeline.stores.s3 import S3Store, parse_s3_target

        bucket, prefix = parse_s3_target(target)
        return S3Store(bucket, prefix, settings, os.environ if environ is None else environ)
    if re.match(r"^[A-Za-z][A-Za-z0-9+.-]*://", target):
        raise PublishError(f"publish target {target!r}: only s3:// URLs and folders are supported",
                           hint="for MinIO, R2 or Ceph use s3://bucket/prefix with s3.endpoint_url (or AWS_ENDPOINT_URL)")
    if not target:
        raise PublishError("publish target is empty", hint="set publish_target in config/show.yaml, e.g. public/ or s3://bucket/podcast")
    return LocalStore(project.resolve(target))
