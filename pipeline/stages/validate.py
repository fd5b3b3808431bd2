"""Stage `validate`: check the built feeds and the artwork against Apple's and Podcasting 2.0 rules.

Runs before publishing. Every problem is collected; any one of them stops the publish with the full list
(pipeline.errors.ValidationError).
"""

from __future__ import annotations

import logging
from pathlib import Path

from pipeline.context import Context
from pipeline.errors import ValidationError
from pipeline.layout import feed_path, public_url, video_feed_path

log = logging.getLogger(__name__)


def run(ctx: Context) -> list[Path]:
    from pipeline.feed.rules import check_artwork, check_feed

    project, show = ctx.project, ctx.show
    base = show.public_base
    published = ctx.publication()
    files = {public_url(base, key): path for path, key in published.all}
    problems = check_artwork(ctx.cover)
    audio_feed = feed_path(project)
    if not audio_feed.is_file():
        problems.append(f"{project.relative(audio_feed)}: not built yet; run the feed stage first")
    for feed in (audio_feed, video_feed_path(project)):
        if feed.is_file():
            problems += check_feed(feed.read_bytes(), str(project.relative(feed)), files, base)
    if problems:
        raise ValidationError(problems)
    log.info("validate: the feeds and the artwork meet Apple's and Podcasting 2.0 rules")
    return []
