"""Stage `publish`: upload the episode's public files, the site and the feeds to S3 or a local folder.

Only the files `layout.publication()` lists ever go up (episode media and texts, the cover, build/site/**,
the feeds) — never the recording, the configuration or intermediate files. Incremental (size + content hash),
ordered (media, then pages, then feeds), locked per target, and nothing is deleted unless --prune is given.
After a publish that changed a feed, the WebSub hub and podping are told (pipeline.notify; never in --dry-run).
"""

from __future__ import annotations

import argparse
import contextlib
import logging
import os
import time
import xml.etree.ElementTree as ET
from pathlib import Path
from urllib.parse import unquote, urlsplit

from pipeline.context import Context
from pipeline.errors import InputError, PublishError
from pipeline.layout import FEED_KEY, VIDEO_FEED_KEY, Publication, feed_path, public_url
from pipeline.stores import LocalStore, Store, open_store
from pipeline.stores.sync import Plan, SyncReport, apply_sync, plan_sync

log = logging.getLogger("pipeline.publish")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--dry-run", action="store_true", help="list what would be uploaded (or deleted) and change nothing")
    parser.add_argument("--prune", action="store_true",
                        help="also delete files under the target that are no longer published (never done by default)")
    parser.add_argument("--break-lock", action="store_true",
                        help="remove a publish lock left behind by a killed publish (S3 targets), then publish")


def feed_link_keys(feed_xml: bytes, public_base: str) -> set[str]:
    """Keys every link of a feed under `public_base` needs (enclosures, transcripts, chapters, images, pages).

    Pure. A URL ending in `/` needs that folder's index.html. <guid> is an identifier, not a link, and is skipped.
    """
    base = public_base.rstrip("/") + "/"
    keys: set[str] = set()
    for element in ET.fromstring(feed_xml).iter():
        if str(element.tag).rsplit("}", 1)[-1] == "guid":
            continue
        values = [*element.attrib.values(), (element.text or "").strip()]
        for value in values:
            if not value.startswith(base):
                continue
            key = unquote(urlsplit(value[len(base):]).path).lstrip("/")
            keys.add(key + "index.html" if key == "" or key.endswith("/") else key)
    return keys


def check_feed_links(plan: Plan, feeds: list[tuple[Path, str]], public_base: str) -> None:
    """Refuse to publish a feed that links to a key the target will not hold: a listener would get a 404."""
    available = plan.published_keys
    problems = []
    for source, key in feeds:
        try:
            needed = feed_link_keys(source.read_bytes(), public_base)
        except ET.ParseError as exc:
            raise InputError(f"{source} is not well-formed XML ({exc})", hint="build the feed again (pipeline feed …)") from exc
        problems += [f"{key} links to {public_base}{missing}" for missing in sorted(needed - available)]
    if problems:
        listed = "; ".join(problems[:5]) + (f"; and {len(problems) - 5} more" if len(problems) > 5 else "")
        raise PublishError("nothing was published: the feed would point at files that are neither built nor already "
                           f"published: {listed}",
                           hint="build the missing files (make publish EPISODE=… runs every stage), or check PUBLIC_URL")


def _check_target(store: Store, ctx: Context) -> None:
    """A folder target must not hold the project (or sit in it where --prune could reach sources)."""
    if not isinstance(store, LocalStore):
        return
    target = store.root.resolve()
    root = ctx.project.root
    protected = [ctx.project.build_dir, ctx.project.config_dir, ctx.project.episodes_dir]
    if root.is_relative_to(target) or any(target.is_relative_to(p.resolve()) for p in protected):
        raise PublishError(f"publish target {target} overlaps the project's own files",
                           hint="publish to a separate folder such as public/ "
                                "(publish_target in config/show.yaml or PUBLISH_TARGET)")


def _check_inputs(ctx: Context, files: Publication) -> None:
    episode = ctx.episode
    if episode.config.draft:
        where = ctx.project.relative(episode.folder / "episode.yaml")
        raise PublishError(f"episode {episode.id} is a draft (draft: true in {where})",
                           hint="set draft: false to publish it")
    mp3 = ctx.paths.podcast_mp3
    if not mp3.is_file():
        raise InputError(f"episode {episode.id} is not built: {ctx.project.relative(mp3)} does not exist",
                         hint=f"make publish EPISODE={episode.id} builds every stage first")
    if not any(key == FEED_KEY for _, key in files.feeds):
        raise InputError(f"the feed is not built: {ctx.project.relative(feed_path(ctx.project))} does not exist",
                         hint=f"run `pipeline feed {episode.id}` (make publish EPISODE={episode.id} does it for you)")


def publish(ctx: Context, files: Publication | None = None) -> tuple[Store, SyncReport]:
    """Check, plan and (unless --dry-run) apply under the target's lock. The report's seconds cover all of it."""
    started = time.perf_counter()
    dry_run = bool(ctx.option("dry_run", False))
    store = open_store(ctx.show.publish_target, ctx.project, ctx.show.s3)
    _check_target(store, ctx)
    files = files if files is not None else ctx.publication()
    _check_inputs(ctx, files)
    store.check()
    with contextlib.nullcontext() if dry_run else store.lock(break_lock=bool(ctx.option("break_lock", False))):
        plan = plan_sync(store, files, prune=bool(ctx.option("prune", False)), concurrency=ctx.show.s3.max_concurrency)
        check_feed_links(plan, files.feeds, ctx.show.public_base)
        if dry_run:
            for line in plan.lines():
                log.info("would %s", line)
            report = SyncReport(target=store.description, dry_run=True, uploaded=[i.upload.key for i in plan.uploads],
                                skipped=list(plan.unchanged), deleted=list(plan.deletions), bytes=plan.upload_bytes)
        else:
            report = apply_sync(store, plan)
    report.seconds = time.perf_counter() - started
    return store, report


def tell_apps(ctx: Context, uploaded: list[str]) -> None:
    """WebSub and podping, for the subscription feeds this publish changed (not the archive pages)."""
    from pipeline.notify import notify_feeds

    changed = [public_url(ctx.show.public_base, key) for key in (FEED_KEY, VIDEO_FEED_KEY) if key in uploaded]
    notify_feeds(ctx.show.notify, changed, os.environ)


def run(ctx: Context) -> list[Path]:
    """Publish; return the files written (folder target) or the build files uploaded (S3 target)."""
    files = ctx.publication()
    store, report = publish(ctx, files)
    log.info(report.summary())
    if report.dry_run:
        return []
    tell_apps(ctx, report.uploaded)
    if isinstance(store, LocalStore):
        return [Path(store.location(key)) for key in report.uploaded]
    sources = {key: source for source, key in files.all}
    return [sources[key] for key in report.uploaded if key in sources]
