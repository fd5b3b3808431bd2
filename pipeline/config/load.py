"""Loading show.yaml and every episode.yaml, validated before any stage runs.

Every problem in every file is collected and reported at once (`pipeline.config.report` words them), each
naming the file, the key, the bad value and what is expected. Unknown keys are warnings with a did-you-mean.
"""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from pipeline.config.episode import Episode, EpisodeConfig
from pipeline.config.report import format_validation_errors, unknown_key_warnings
from pipeline.config.show import ShowConfig
from pipeline.errors import ConfigError
from pipeline.formats.languages import AUTO, glossary_problem, language_problem, whisper_language
from pipeline.layout import Project

EPISODE_ID_PATTERN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$")


def read_yaml(path: Path, problems: list[str], shown_as: Path | None = None) -> dict[str, Any] | None:
    name = shown_as or path
    if not path.is_file():
        problems.append(f"{name}: file not found")
        return None
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (yaml.YAMLError, UnicodeDecodeError) as exc:
        problems.append(f"{name}: not valid YAML: {exc}".replace("\n", " "))
        return None
    if not isinstance(data, dict):
        problems.append(f"{name}: expected a mapping of keys to values at the top level")
        return None
    return data


ENV_OVERRIDES = {"PUBLISH_TARGET": "publish_target", "PUBLIC_URL": "public_url"}


class Loaded(BaseModel):
    """The validated configuration of a project: the show and every episode."""

    model_config = ConfigDict(frozen=True, arbitrary_types_allowed=True)

    show: ShowConfig
    episodes: dict[str, Episode]
    warnings: list[str]
    broken: dict[str, list[str]] = Field(default_factory=dict)  # keep_going: episode id → its problems


def check_episode_id(episode_id: str, project: Project) -> None:
    """Refuse ids that are not a plain folder name, or that name no episode."""
    from pipeline.errors import UsageError

    if not episode_id:
        raise UsageError("no episode given", hint="type e.g. make publish EPISODE=463 (a folder under episodes/)")
    if not EPISODE_ID_PATTERN.fullmatch(episode_id):
        raise UsageError(
            f"'{episode_id}' is not an episode id",
            hint="type the name of a folder under episodes/, e.g. make publish EPISODE=463",
        )
    if episode_id not in project.episode_ids():
        known = project.episode_ids()
        raise UsageError(
            f"no episode '{episode_id}': episodes/{episode_id}/episode.yaml does not exist",
            hint=f"type one of: {', '.join(known) or 'none yet'}, e.g. make publish EPISODE={known[0] if known else '463'}",
        )


def _recording_problems(source: Path, folder: Path, recording: object) -> list[str]:
    if isinstance(recording, dict) and isinstance(recording.get("tracks"), list):
        files = [(f"recording.tracks[{i}].file", t.get("file")) for i, t in enumerate(recording["tracks"]) if isinstance(t, dict)]
    else:
        files = [("recording", recording)]
    problems = []
    for where, name in files:
        if not isinstance(name, str) or not name:
            continue  # reported by the model: missing or not a string
        path = folder / name
        if not path.is_file():
            problems.append(f"{source}: {where}: {name!r} does not exist in {source.parent}/")
        elif path.resolve().parent != folder.resolve():
            problems.append(f"{source}: {where}: {name!r} must be a file in the episode's folder")
    return problems


def _music_problems(source: Path, project: Project, audio: object) -> list[str]:
    """audio.intro / audio.outro files that do not exist."""
    if not isinstance(audio, dict):
        return []
    return [f"{source}: audio.{name}.file: {music['file']!r} does not exist (paths are relative to the project folder)"
            for name in ("intro", "outro")
            if isinstance(music := audio.get(name), dict) and isinstance(music.get("file"), str)
            and not project.resolve(music["file"]).is_file()]


def _insert_problems(source: Path, folder: Path, inserts: object) -> list[str]:
    if not isinstance(inserts, list):
        return []
    return [f"{source}: inserts[{i}].file: {insert['file']!r} does not exist in {source.parent}/"
            for i, insert in enumerate(inserts)
            if isinstance(insert, dict) and isinstance(insert.get("file"), str) and not (folder / insert["file"]).is_file()]


def _voice_problems(source: Path, project: Project, voices: object) -> list[str]:
    if not isinstance(voices, list):
        return []
    return [f"{source}: voices[{i}].sample: {v['sample']!r} does not exist (paths are relative to the project folder)"
            for i, v in enumerate(voices)
            if isinstance(v, dict) and isinstance(v.get("sample"), str) and not project.resolve(v["sample"]).is_file()]


class _Claims:
    """What must differ from one episode to the next: the feed's guid, and the season and number.

    An episode without `guid` gets its guid from its number alone, so no two of those share a number, whatever
    their seasons. Imported episodes keep their old feed's guids, seasons and numbers: two seasons that both
    number from 1 are fine, and so is a number the old feed gave twice, as long as each has its own guid."""

    def __init__(self) -> None:
        self.guids: dict[str, str] = {}
        self.derived: dict[int, str] = {}
        self.places: dict[tuple[int | None, int], tuple[str, bool]] = {}

    def claim(self, episode_id: str, config: EpisodeConfig) -> list[str]:
        problems = []
        if config.guid is not None:
            if config.guid in self.guids:
                problems.append(f"guid: {config.guid!r} is also episodes/{self.guids[config.guid]}'s; podcast apps "
                                "would take the two for one episode, so each needs its own")
            self.guids.setdefault(config.guid, episode_id)
        if config.number is None:
            return problems
        place = (config.season, config.number)
        where = f"number: {config.number}" + (f" (season {config.season})" if config.season is not None else "")
        if config.guid is None and config.number in self.derived:
            problems.append(f"{where} is already used by episodes/{self.derived[config.number]}; each episode needs "
                            "its own number (its guid in the feed is made from the number alone, whatever the "
                            "season), or a `guid` of its own")
        elif place in self.places and not (config.guid is not None and self.places[place][1]):
            problems.append(f"{where} is already used by episodes/{self.places[place][0]}; each episode needs its "
                            "own number" + (" in its season" if config.season is not None else ""))
        if config.guid is None:
            self.derived.setdefault(config.number, episode_id)
        self.places.setdefault(place, (episode_id, config.guid is not None))
        return problems


def language_problems(where: str, setting: str, show: ShowConfig, allow_auto: bool) -> list[str]:
    """A language Whisper does not speak, or one the model that would transcribe it does not know."""
    problem = language_problem(setting, where, allow_auto=allow_auto)
    if problem:
        return [problem]
    language = setting if setting == AUTO else whisper_language(setting) or setting
    model = show.transcription.model_for(language)
    if language != "en" and model.strip().endswith(".en"):
        heard = "detecting the language (auto)" if language == AUTO else f"speech in {setting!r}"
        key = "model" if language == "en" else "multilingual_model"
        return [f"{where}: {heard} needs a multilingual model, but config/show.yaml: transcription.{key} is "
                f"{model!r}, which knows only English; set transcription.multilingual_model: base (bundled)"]
    return []


def glossary_problems(source: str, show: ShowConfig, config: EpisodeConfig) -> list[str]:
    """Glossary terms (the show's and the episode's) in a script the episode's language is not written in."""
    language = config.language or show.language
    if language == AUTO:
        return []
    terms = [("config/show.yaml: transcription.glossary", t) for t in show.transcription.glossary]
    terms += [(f"{source}: glossary", t) for t in config.glossary]
    found = (glossary_problem(term, language, where) for where, term in terms)
    return [problem for problem in found if problem]


def load_project(project: Project, environ: dict[str, str] | None = None, *, keep_going: bool = False) -> Loaded:
    """Load and validate show.yaml and every episode.yaml; raise ConfigError with every problem.

    With `keep_going` (a batch build), an episode with problems is left out and listed in `broken` instead;
    only the show's own problems raise."""
    environ = dict(os.environ if environ is None else environ)
    problems: list[str] = []
    warnings: list[str] = []
    show_file = project.relative(project.show_file)

    show: ShowConfig | None = None
    raw_show = read_yaml(project.show_file, problems, show_file)
    if raw_show is not None:
        warnings += unknown_key_warnings(show_file, raw_show, ShowConfig)
        for variable, key in ENV_OVERRIDES.items():
            if environ.get(variable):
                raw_show[key] = environ[variable]
        cover = raw_show.get("cover")
        if isinstance(cover, str) and cover and not project.resolve(cover).is_file():
            problems.append(f"{show_file}: cover: {cover!r} does not exist (paths are relative to the project folder)")
        problems += _voice_problems(show_file, project, raw_show.get("voices"))
        problems += _music_problems(show_file, project, raw_show.get("audio"))
        try:
            show = ShowConfig.model_validate(raw_show)
        except ValidationError as exc:
            problems += format_validation_errors(show_file, exc)
        else:
            problems += language_problems(f"{show_file}: language", show.language, show, allow_auto=False)

    episodes: dict[str, Episode] = {}
    broken: dict[str, list[str]] = {}
    claims = _Claims()
    for episode_id in project.episode_ids():
        path = project.episodes_dir / episode_id / "episode.yaml"
        source = project.relative(path)
        own: list[str] = []
        raw = read_yaml(path, own, source)
        if raw is not None:
            warnings += unknown_key_warnings(source, raw, EpisodeConfig)
            own += _recording_problems(source, path.parent, raw.get("recording"))
            own += _insert_problems(source, path.parent, raw.get("inserts"))
            own += _music_problems(source, project, raw.get("audio"))
            try:
                config = EpisodeConfig.model_validate(raw)
            except ValidationError as exc:
                own += format_validation_errors(source, exc)
            else:
                own += [f"{source}: {problem}" for problem in claims.claim(episode_id, config)]
                if show is not None and config.language:
                    own += language_problems(f"{source}: language", config.language, show, allow_auto=True)
                if show is not None:
                    own += glossary_problems(source, show, config)
                if not own or not keep_going:
                    episodes[episode_id] = Episode(id=episode_id, folder=path.parent, config=config)
        if own:
            broken[episode_id] = own
            problems += [] if keep_going else own

    if problems or show is None:
        raise ConfigError(problems + [f"(warning) {w}" for w in warnings])
    return Loaded(show=show, episodes=episodes, warnings=warnings, broken=broken)
