"""Import an existing show: every item of its feed becomes an `episodes/<id>/` folder.

The folder's id comes from the item's season and number (`s2e01`, `12`, `s2-trailer`; see
pipeline.imports.ids). Each folder holds the downloaded recording and an episode.yaml with what the old
feed said (title, date, description, season, number, type, explicit, chapters) and the item's guid
verbatim, so the feed this pipeline builds carries the same guids, dates, seasons and numbers and podcast
apps see no new episodes. A folder is assembled under a temporary name and renamed when whole; an item
already imported (same guid) is skipped and its episode.yaml, perhaps edited since, is never touched. One
bad item is reported with its reason and the others are imported.
"""

from __future__ import annotations

import json
import logging
import os
import shutil
import tempfile
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from pipeline.config.episode import EpisodeConfig
from pipeline.config.report import format_validation_errors
from pipeline.errors import BatchError, InputError, PipelineError
from pipeline.imports.download import byte_progress, download_media, fetch_bytes, session
from pipeline.imports.feed import FeedItem, OldFeed, chapters_from_json, episode_yaml, parse_feed
from pipeline.imports.ids import episode_ids
from pipeline.layout import Project
from pipeline.progress import progress_bar

log = logging.getLogger("pipeline.import")

EXTENSIONS = {"audio/mpeg": ".mp3", "audio/mp3": ".mp3", "audio/mp4": ".m4a", "audio/x-m4a": ".m4a", "audio/aac": ".aac",
              "audio/ogg": ".ogg", "audio/opus": ".opus", "audio/wav": ".wav", "audio/x-wav": ".wav", "audio/flac": ".flac",
              "video/mp4": ".mp4", "video/quicktime": ".mov", "video/webm": ".webm"}


@dataclass(frozen=True)
class PlannedItem:
    """What an import does (or, with --dry-run, would do) with one item of the feed."""

    action: str  # "import", "here" (imported before), "refuse" (see why), "leave" (left out by --since or --limit)
    episode_id: str  # the item's folder under episodes/
    title: str
    why: str


@dataclass
class ImportReport:
    imported: list[str] = field(default_factory=list)  # episode ids
    skipped: list[str] = field(default_factory=list)  # guids already imported
    failed: list[tuple[str, str]] = field(default_factory=list)  # (item, why)
    planned: list[PlannedItem] = field(default_factory=list)  # every item of the feed, oldest first
    dry_run: bool = False

    def summary(self) -> str:
        if self.dry_run:
            counts = {action: sum(p.action == action for p in self.planned) for action in ("import", "here", "refuse", "leave")}
            return (f"{counts['import']} to import, {counts['here']} already here, {counts['refuse']} to refuse, "
                    f"{counts['leave']} left out")
        return f"{len(self.imported)} imported, {len(self.skipped)} already here, {len(self.failed)} failed"


def import_feed(project: Project, source: str, *, limit: int | None = None, since: datetime | None = None,
                dry_run: bool = False) -> ImportReport:
    """Import the items of the feed at `source` (a URL or a file) into `project`; see the module docstring."""
    client = session()
    feed = parse_feed(_read_source(client, source), source)
    report = ImportReport(dry_run=dry_run)
    existing = _imported_guids(project)
    placements = episode_ids(feed.items, existing, _folders_in_use(project, set(existing.values())))
    new = [index for index, placement in enumerate(placements) if not placement.imported]
    wanted = [index for index in new if since is None or feed.items[index].date >= since]
    if limit is not None:
        wanted = wanted[-limit:] if limit > 0 else []  # the newest
    chosen = set(wanted)
    for index, (item, placement) in enumerate(zip(feed.items, placements, strict=True)):
        if placement.imported:
            report.skipped.append(item.guid)
            action, why = "here", placement.why
        elif index not in chosen:
            action, why = "leave", (f"published before {since:%Y-%m-%d} (--since)"
                                    if since is not None and item.date < since else f"not among the newest {limit} (--limit)")
        elif item.problems:
            action, why = "refuse", "; ".join(item.problems)
        else:
            action, why = "import", placement.why
        report.planned.append(PlannedItem(action, placement.episode_id, item.title, why))
    if dry_run:
        return report
    _adopt_podcast_guid(project, feed)
    with progress_bar(len(wanted), "importing", unit="episodes") as bar:
        for index in wanted:
            item, episode_id = feed.items[index], placements[index].episode_id
            try:
                _import_item(project, client, item, episode_id, source)
                report.imported.append(episode_id)
            except PipelineError as exc:
                report.failed.append((f"{item.title!r} (guid {item.guid})", exc.message))
                log.warning("%s: %s", item.title, exc.message)
            bar.update(1)
    if report.failed:
        raise BatchError("import", report.summary(), [f"{item}: {why}" for item, why in report.failed], report)
    return report


def _read_source(client: Any, source: str) -> bytes:
    if source.startswith(("http://", "https://")):
        return fetch_bytes(client, source, "feed")
    path = Path(source.removeprefix("file://"))
    if not path.is_file():
        raise InputError(f"{source}: no such feed file", hint="give the feed's URL (https://…) or the path of a saved copy")
    return path.read_bytes()


def _imported_guids(project: Project) -> dict[str, str]:
    """guid → episode id of every episode folder that has one."""
    found = {}
    for episode_id in project.episode_ids():
        path = project.episodes_dir / episode_id / "episode.yaml"
        try:
            raw = yaml.safe_load(path.read_text(encoding="utf-8"))
        except (OSError, yaml.YAMLError):
            continue
        if isinstance(raw, dict) and raw.get("guid"):
            found[str(raw["guid"])] = episode_id
    return found


def _folders_in_use(project: Project, imported: set[str]) -> set[str]:
    """Every folder under episodes/ that is not an imported item's (with or without an episode.yaml): taken."""
    if not project.episodes_dir.is_dir():
        return set()
    return {path.name for path in project.episodes_dir.iterdir()
            if path.is_dir() and not path.name.startswith(".") and path.name not in imported}


def _import_item(project: Project, client: Any, item: FeedItem, episode_id: str, source: str) -> None:
    from pipeline.tools.media import probe

    if item.problems:
        raise InputError("; ".join(item.problems), hint="fix the item in the old feed, or leave it out")
    assert item.enclosure is not None
    target = project.episodes_dir / episode_id
    if target.exists():  # made since the folders were listed
        raise InputError(f"episodes/{episode_id}/ already exists and is not this item",
                         hint="move that folder away and import again")
    cache = project.build_dir / "import"
    with byte_progress(None, f"episodes/{episode_id}") as bar:
        part = download_media(client, item.enclosure.url, cache, f"episodes/{episode_id}: enclosure",
                              on_bytes=bar.update)
    recording = "recording" + _extension(item.enclosure)
    project.episodes_dir.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".import-{episode_id}.", dir=project.episodes_dir))
    try:
        shutil.move(part, staging / recording)
        try:
            probe(staging / recording)
        except InputError as exc:
            raise InputError(f"episodes/{episode_id}: the enclosure {item.enclosure.url} is not a recording "
                             f"({exc.message.split(': ', 1)[-1]})", hint="the enclosure must link to the audio or video") from exc
        config = episode_yaml(item, recording, source, _chapters(client, item, episode_id))
        try:
            EpisodeConfig.model_validate(config)
        except ValidationError as exc:
            raise InputError(f"episodes/{episode_id}: what the feed says of this item is no valid episode.yaml: "
                             + "; ".join(format_validation_errors(Path("episode.yaml"), exc)),
                             hint="fix the item in the old feed, or leave it out") from exc
        (staging / "episode.yaml").write_text(
            f"# Imported from {source}; edit freely, a new import never overwrites this file.\n"
            + yaml.safe_dump(config, sort_keys=False, allow_unicode=True, width=100), encoding="utf-8")
        os.chmod(staging, 0o755)
        os.rename(staging, target)
    finally:
        shutil.rmtree(staging, ignore_errors=True)


def _extension(enclosure: Any) -> str:
    suffix = Path(enclosure.url.split("?")[0]).suffix.lower()
    return EXTENSIONS.get(enclosure.type.lower(), suffix if 1 < len(suffix) <= 5 else ".mp3")


def _chapters(client: Any, item: FeedItem, episode_id: str) -> list[dict[str, Any]] | None:
    """The item's JSON chapters as episode.yaml chapters; a chapters file that fails is a warning, not a failure."""
    if not item.chapters:
        return None
    try:
        return chapters_from_json(json.loads(fetch_bytes(client, item.chapters, f"episodes/{episode_id}: chapters")))
    except (PipelineError, ValueError) as exc:
        log.warning("episodes/%s: its chapters %s were not imported (%s)", episode_id, item.chapters, exc)
        return None


def _adopt_podcast_guid(project: Project, feed: OldFeed) -> None:
    """A show.yaml without podcast_guid takes the old feed's, so the show keeps its identity in the apps."""
    if not feed.podcast_guid or not project.show_file.is_file():
        return
    raw = yaml.safe_load(project.show_file.read_text(encoding="utf-8")) or {}
    if raw.get("podcast_guid"):
        if raw["podcast_guid"] != feed.podcast_guid:
            log.warning("config/show.yaml keeps podcast_guid %s; the old feed's is %s", raw["podcast_guid"], feed.podcast_guid)
        return
    with open(project.show_file, "a", encoding="utf-8") as stream:  # appended: the creator's comments stay
        stream.write(f"\n# adopted from the imported feed, so podcast apps know this is the same show\n"
                     f"podcast_guid: {feed.podcast_guid}\n")
    log.info("config/show.yaml: podcast_guid %s adopted from the old feed", feed.podcast_guid)
