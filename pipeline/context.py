"""What every stage receives: the validated show, the episode, its paths and the command-line options."""

from __future__ import annotations

import argparse
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from pipeline.config.episode import Episode
from pipeline.config.show import AudioSettings, ShowConfig
from pipeline.layout import EpisodePaths, Project, Publication, episode_paths, publication

if TYPE_CHECKING:  # a stage runs on configuration already loaded: its code does not include the loader
    from pipeline.config.load import Loaded


@dataclass(frozen=True)
class Context:
    project: Project
    show: ShowConfig
    episode: Episode
    episodes: dict[str, Episode]
    options: argparse.Namespace = field(default_factory=argparse.Namespace)

    @property
    def paths(self) -> EpisodePaths:
        return episode_paths(self.project, self.episode)

    def paths_of(self, episode: Episode) -> EpisodePaths:
        return episode_paths(self.project, episode)

    def option(self, name: str, default: object = None) -> object:
        return getattr(self.options, name, default)

    @property
    def audio(self) -> AudioSettings:
        """The show's audio settings with this episode's own in their place."""
        return self.show.audio.overridden(self.episode.config.audio)

    @property
    def cover(self) -> Path:
        return self.project.resolve(self.show.cover)

    def publication(self) -> Publication:
        """Every public file of the show as it is built now, with the key it is published under."""
        return publication(self.project, self.cover, self.episodes, [f.name for f in self.show.video.formats])

    @classmethod
    def create(cls, project: Project, loaded: Loaded, episode_id: str,
               options: argparse.Namespace | None = None) -> Context:
        return cls(
            project=project,
            show=loaded.show,
            episode=loaded.episodes[episode_id],
            episodes=loaded.episodes,
            options=options or argparse.Namespace(),
        )
