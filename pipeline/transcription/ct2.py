"""CTranslate2 Whisper models → openai-whisper checkpoints, so both engines run on the same weights offline.

A CTranslate2 `model.bin` is a flat binary: uint32 format version, the spec name, uint32 revision, a
variable count, then per variable its name, rank, dimensions, dtype id, byte count and raw data, and
finally a list of aliases. Whisper's variables map one-to-one onto openai-whisper's tensors, except
that CTranslate2 fuses the q/k/v projections (self-attention) and k/v (cross-attention) into one
matrix, with a zero bias for `key`, which openai-whisper does not have.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import re
import struct
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from pipeline.atomic import atomic_path
from pipeline.errors import InputError

log = logging.getLogger(__name__)

# Order of CTranslate2's DataType enum (include/ctranslate2/types.h).
_DTYPES: tuple[str, ...] = ("float32", "int8", "int16", "int32", "float16", "bfloat16")
_SUPPORTED_VERSIONS = range(3, 7)
CONVERTER_VERSION = 1  # bump when the mapping changes, so cached checkpoints are rebuilt


@dataclass(frozen=True)
class Ct2Model:
    spec: str
    revision: int
    variables: dict[str, np.ndarray]
    aliases: dict[str, str]


def _bfloat16_to_float32(raw: np.ndarray) -> np.ndarray:
    return (raw.astype(np.uint32) << 16).view(np.float32)


def read_model_bin(path: Path) -> Ct2Model:
    """Parse a CTranslate2 model.bin. Raises InputError naming the file if it is not one."""
    path = Path(path)
    try:
        data = memoryview(path.read_bytes())
    except OSError as exc:
        raise InputError(f"{path}: cannot read the model ({exc.strerror})") from exc
    offset = 0

    def take(fmt: str) -> Any:
        nonlocal offset
        value = struct.unpack_from("<" + fmt, data, offset)[0]
        offset += struct.calcsize("<" + fmt)
        return value

    def take_string() -> str:
        nonlocal offset
        length = take("H")
        text = bytes(data[offset:offset + length - 1]).decode("utf-8")
        offset += length
        return text

    try:
        version = take("I")
        if version not in _SUPPORTED_VERSIONS:
            raise ValueError(f"unsupported binary version {version}")
        spec = take_string()
        revision = take("I")
        variables: dict[str, np.ndarray] = {}
        for _ in range(take("I")):
            name = take_string()
            shape = tuple(take("I") for _ in range(take("B")))
            dtype = _DTYPES[take("B")]
            size = take("I")
            raw = data[offset:offset + size]
            if len(raw) != size:
                raise ValueError(f"variable {name} is truncated")
            offset += size
            if dtype == "bfloat16":
                array = _bfloat16_to_float32(np.frombuffer(raw, dtype=np.uint16))
            else:
                array = np.frombuffer(raw, dtype=dtype)
            variables[name] = array.reshape(shape)
        aliases = {take_string(): take_string() for _ in range(take("I"))} if offset < len(data) else {}
    except (struct.error, ValueError, IndexError, UnicodeDecodeError) as exc:
        raise InputError(
            f"{path}: not a CTranslate2 model file ({exc})",
            hint="point transcription.model at a folder made by ct2-transformers-converter, or use a model name",
        ) from exc
    return Ct2Model(spec=spec, revision=revision, variables=variables, aliases=aliases)


def _layer_count(variables: dict[str, np.ndarray], prefix: str) -> int:
    pattern = re.compile(rf"^{prefix}/layer_(\d+)/")
    return 1 + max((int(m.group(1)) for name in variables if (m := pattern.match(name))), default=-1)


def to_openai_checkpoint(model: Ct2Model, source: Path) -> dict[str, Any]:
    """The `{"dims", "model_state_dict"}` dict that `whisper.load_model(path)` reads."""
    import torch

    if model.spec != "WhisperSpec":
        raise InputError(f"{source}: a CTranslate2 {model.spec} model, not Whisper",
                         hint="use a Whisper model converted with ct2-transformers-converter")
    v = model.variables

    def tensor(name: str) -> torch.Tensor:
        return torch.from_numpy(np.array(v[name]))

    def split(name: str, parts: int) -> list[torch.Tensor]:
        return list(torch.chunk(tensor(name), parts, dim=0))

    state: dict[str, torch.Tensor] = {}

    def layer_norm(target: str, source_name: str) -> None:
        state[f"{target}.weight"] = tensor(f"{source_name}/gamma")
        state[f"{target}.bias"] = tensor(f"{source_name}/beta")

    def linear(target: str, source_name: str) -> None:
        state[f"{target}.weight"] = tensor(f"{source_name}/weight")
        state[f"{target}.bias"] = tensor(f"{source_name}/bias")

    def fused_qkv(target: str, source_name: str) -> None:
        q, k, val = split(f"{source_name}/weight", 3)
        qb, _, vb = split(f"{source_name}/bias", 3)  # the key bias is all zeros; openai-whisper's key has none
        state.update({f"{target}.query.weight": q, f"{target}.query.bias": qb, f"{target}.key.weight": k,
                      f"{target}.value.weight": val, f"{target}.value.bias": vb})

    def ffn(target: str, source_name: str) -> None:
        layer_norm(f"{target}.mlp_ln", f"{source_name}/layer_norm")
        linear(f"{target}.mlp.0", f"{source_name}/linear_0")
        linear(f"{target}.mlp.2", f"{source_name}/linear_1")

    try:
        for conv in ("conv1", "conv2"):
            linear(f"encoder.{conv}", f"encoder/{conv}")
        state["encoder.positional_embedding"] = tensor("encoder/position_encodings/encodings")
        encoder_layers = _layer_count(v, "encoder")
        for i in range(encoder_layers):
            src, dst = f"encoder/layer_{i}", f"encoder.blocks.{i}"
            layer_norm(f"{dst}.attn_ln", f"{src}/self_attention/layer_norm")
            fused_qkv(f"{dst}.attn", f"{src}/self_attention/linear_0")
            linear(f"{dst}.attn.out", f"{src}/self_attention/linear_1")
            ffn(dst, f"{src}/ffn")
        layer_norm("encoder.ln_post", "encoder/layer_norm")

        state["decoder.token_embedding.weight"] = tensor("decoder/embeddings/weight")
        state["decoder.positional_embedding"] = tensor("decoder/position_encodings/encodings")
        decoder_layers = _layer_count(v, "decoder")
        for i in range(decoder_layers):
            src, dst = f"decoder/layer_{i}", f"decoder.blocks.{i}"
            layer_norm(f"{dst}.attn_ln", f"{src}/self_attention/layer_norm")
            fused_qkv(f"{dst}.attn", f"{src}/self_attention/linear_0")
            linear(f"{dst}.attn.out", f"{src}/self_attention/linear_1")
            layer_norm(f"{dst}.cross_attn_ln", f"{src}/attention/layer_norm")
            linear(f"{dst}.cross_attn.query", f"{src}/attention/linear_0")
            k, val = split(f"{src}/attention/linear_1/weight", 2)
            _, vb = split(f"{src}/attention/linear_1/bias", 2)
            state.update({f"{dst}.cross_attn.key.weight": k, f"{dst}.cross_attn.value.weight": val,
                          f"{dst}.cross_attn.value.bias": vb})
            linear(f"{dst}.cross_attn.out", f"{src}/attention/linear_2")
            ffn(dst, f"{src}/ffn")
        layer_norm("decoder.ln", "decoder/layer_norm")

        conv1 = v["encoder/conv1/weight"]
        dims = {
            "n_mels": int(conv1.shape[1]),
            "n_audio_ctx": int(v["encoder/position_encodings/encodings"].shape[0]),
            "n_audio_state": int(conv1.shape[0]),
            "n_audio_head": int(v["encoder/num_heads"]),
            "n_audio_layer": encoder_layers,
            "n_vocab": int(v["decoder/embeddings/weight"].shape[0]),
            "n_text_ctx": int(v["decoder/position_encodings/encodings"].shape[0]),
            "n_text_state": int(v["decoder/embeddings/weight"].shape[1]),
            "n_text_head": int(v["decoder/num_heads"]),
            "n_text_layer": decoder_layers,
        }
    except KeyError as exc:
        raise InputError(f"{source}: Whisper model without the variable {exc}",
                         hint="the model.bin looks incomplete; reinstall or reconvert it") from exc
    return {"dims": dims, "model_state_dict": state}


def alignment_heads(model_dir: Path) -> list[tuple[int, int]]:
    """(layer, head) pairs used for word timestamps, from the CTranslate2 config.json."""
    config = Path(model_dir) / "config.json"
    try:
        heads = json.loads(config.read_text(encoding="utf-8")).get("alignment_heads") or []
        return [(int(layer), int(head)) for layer, head in heads]
    except (OSError, ValueError, TypeError):
        return []


def cache_dir() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "episode-pipeline" / "whisper"


def checkpoint_path(model_dir: Path, name: str, cache: Path | None = None) -> Path:
    """Where the converted checkpoint of `model_dir` lives. The key changes when model.bin does."""
    model_bin = Path(model_dir) / "model.bin"
    stat = model_bin.stat()
    key = f"{model_bin.resolve()}|{stat.st_size}|{stat.st_mtime_ns}|{CONVERTER_VERSION}"
    digest = hashlib.sha256(key.encode()).hexdigest()[:12]
    safe_name = re.sub(r"[^A-Za-z0-9._-]+", "-", name).strip("-") or "model"
    return (cache or cache_dir()) / f"{safe_name}-{digest}.pt"


def openai_checkpoint(model_dir: Path, name: str, cache: Path | None = None) -> Path:
    """The openai-whisper checkpoint for a CTranslate2 Whisper folder: converted once, then reused."""
    import torch

    target = checkpoint_path(model_dir, name, cache)
    if target.is_file():
        return target
    log.info("converting %s to an openai-whisper checkpoint (once): %s", model_dir, target)
    source = Path(model_dir) / "model.bin"
    checkpoint = to_openai_checkpoint(read_model_bin(source), source)
    with atomic_path(target) as tmp:
        torch.save(checkpoint, tmp)
    return target
