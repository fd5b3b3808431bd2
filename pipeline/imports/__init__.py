"""Import an existing show: every item of its feed becomes an `episodes/<number>/` folder.

Each folder holds the downloaded recording and an episode.yaml with what the old feed said (title,
date, description, season, type, explicit, chapters) and the item's guid verbatim, so the feed this
pipeline builds carries the same guids and dates and podcast apps see no new episodes. A folder is
assembled under a temporary name and renamed when whole; an item already imported (same guid) is
skipped and its episode.yaml, perhaps edited since, is never touched. One bad item is reported and the
others are imported.
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

from pipeline.config import EpisodeConfig, Project
from pipeline.errors import BatchError, InputError, PipelineError
from pipeline.imports.download import byte_progress, download_media, fetch_bytes, session
from pipeline.imports.feed import FeedItem, OldFeed, chapters_from_json, episode_numbers, episode_yaml, parse_feed
from pipeline.progress import progress_bar

log = logging.getLogger("pipeline.import")

EXTENSIONS = {"audio/mpeg": ".mp3", "audio/mp3": ".mp3", "audio/mp4": ".m4a", "audio/x-m4a": ".m4a", "audio/aac": ".aac",
              "audio/ogg": ".ogg", "audio/opus": ".opus", "audio/wav": ".wav", "audio/x-wav": ".wav", "audio/flac": ".flac",
              "video/mp4": ".mp4", "video/quicktime": ".mov", "video/webm": ".webm"}


@dataclass
class ImportReport:
    imported: list[str] = field(default_factory=list)  # episode ids
    skipped: list[str] = field(default_factory=list)  # guids already imported
    failed: list[tuple[str, str]] = field(default_factory=list)  # (item, why)
    planned: list[tuple[str, str]] = field(default_factory=list)  # --dry-run: (episode id, title)

    def summary(self) -> str:
        parts = [f"{len(self.imported)} imported", f"{len(self.skipped)} already here", f"{len(self.failed)} failed"]
        if self.planned:
            parts.insert(0, f"{len(self.planned)} to import")
        return ", ".join(parts)


def import_feed(project: Project, source: str, *, limit: int | None = None, since: datetime | None = None,
                dry_run: bool = False) -> ImportReport:
    """Import the items of the feed at `source` (a URL or a file) into `project`; see the module docstring."""
    client = session()
    feed = parse_feed(_read_source(client, source), source)
    report = ImportReport()
    existing = _imported_guids(project)
    report.skipped = [item.guid for item in feed.items if item.guid in existing]
    numbered = zip(episode_numbers(feed.items, _numbers_in_use(project, existing)), feed.items, strict=True)
    wanted = [(number, item) for number, item in numbered
              if item.guid not in existing and (since is None or item.date >= since)]
    if limit is not None:
        wanted = wanted[-limit:] if limit > 0 else []  # the newest
    if dry_run:
        report.planned = [(str(number), item.title) for number, item in wanted]
        return report
    _adopt_podcast_guid(project, feed)
    with progress_bar(len(wanted), "importing", unit="episodes") as bar:
        for number, item in wanted:
            try:
                _import_item(project, client, item, number, source)
                report.imported.append(str(number))
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


def _numbers_in_use(project: Project, imported: dict[str, str]) -> set[int]:
    """Folders that are not an imported item's: their numbers are taken."""
    own = set(imported.values())
    return {int(episode_id) for episode_id in project.episode_ids() if episode_id.isdigit() and episode_id not in own}


def _import_item(project: Project, client: Any, item: FeedItem, number: int, source: str) -> None:
    from pipeline.tools.media import probe

    if item.problems:
        raise InputError("; ".join(item.problems), hint="fix the item in the old feed, or leave it out")
    assert item.enclosure is not None
    target = project.episodes_dir / str(number)
    if target.exists():
        raise InputError(f"episodes/{number}/ already exists and is not this item",
                         hint="move that folder, or give this item another itunes:episode number in the feed")
    cache = project.build_dir / "import"
    with byte_progress(None, f"episode {number}") as bar:
        part = download_media(client, item.enclosure.url, cache, f"episode {number}: enclosure",
                              on_bytes=bar.update)
    recording = "recording" + _extension(item.enclosure)
    project.episodes_dir.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".import-{number}.", dir=project.episodes_dir))
    try:
        shutil.move(part, staging / recording)
        try:
            probe(staging / recording)
        except InputError as exc:
            raise InputError(f"episode {number}: the enclosure {item.enclosure.url} is not a recording "
                             f"({exc.message.split(': ', 1)[-1]})", hint="the enclosure must link to the audio or video") from exc
        config = episode_yaml(item, number, recording, source, _chapters(client, item, number))
        EpisodeConfig.model_validate(config)
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


def _chapters(client: Any, item: FeedItem, number: int) -> list[dict[str, Any]] | None:
    """The item's JSON chapters as episode.yaml chapters; a chapters file that fails is a warning, not a failure."""
    if not item.chapters:
        return None
    try:
        return chapters_from_json(json.loads(fetch_bytes(client, item.chapters, f"episode {number}: chapters")))
    except (PipelineError, ValueError) as exc:
        log.warning("episode %d: its chapters %s were not imported (%s)", number, item.chapters, exc)
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
