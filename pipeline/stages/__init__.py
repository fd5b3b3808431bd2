"""The stage table. Every stage module has the same shape:

    add_arguments(parser) -> None      # optional: the stage's own options
    run(ctx: Context) -> list[Path]    # does the work, returns the files it wrote

Modules are imported only when their stage runs, so `--help` stays fast.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass
from types import ModuleType


@dataclass(frozen=True)
class StageSpec:
    name: str
    module: str
    help: str

    def load(self) -> ModuleType:
        return importlib.import_module(self.module)


STAGES: dict[str, StageSpec] = {
    spec.name: spec
    for spec in [
        StageSpec("ingest", "pipeline.stages.ingest",
                  "probe the recording; write the ASR WAV and the produced sound (denoised, levelled); tag the published MP3"),
        StageSpec("transcribe", "pipeline.stages.transcribe",
                  "Whisper transcript with word timestamps and speakers, as heard (heard.json)"),
        StageSpec("edit", "pipeline.stages.edit",
                  "cuts, inserts, intro and outro, corrections: the published MP3 and transcripts, and the time map"),
        StageSpec("notes", "pipeline.stages.notes", "show notes (Markdown, HTML) with links, citations and chapters"),
        StageSpec("video", "pipeline.stages.video", "captioned video (an audiogram for audio-only recordings)"),
        StageSpec("clips", "pipeline.stages.clips", "the episode's best moments as short vertical captioned videos"),
        StageSpec("feed", "pipeline.stages.feed", "RSS feeds (audio and video) and the web site"),
        StageSpec("validate", "pipeline.stages.validate", "check the feeds and artwork against Apple's and Podcasting 2.0 rules"),
        StageSpec("publish", "pipeline.stages.publish", "upload the public files, the site and the feeds to S3 or a folder"),
    ]
}
