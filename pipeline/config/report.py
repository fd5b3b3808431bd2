"""Configuration problems as messages a creator can act on: each names the file, the key, the value given
and what is expected; unknown keys are warnings with a did-you-mean."""

from __future__ import annotations

import difflib
from datetime import datetime
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ValidationError


def _describe(value: Any) -> str:
    text = repr(value.isoformat()) if isinstance(value, datetime) else repr(value)
    return text if len(text) <= 60 else text[:57] + "…"


def _location(loc: tuple[Any, ...]) -> str:
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        elif part in ("function-after", "function-before") or str(part).startswith(
                ("function-", "lax-", "recording-", "speakers-")):
            continue
        else:
            out += f".{part}" if out else str(part)
    return out or "(top level)"


def _expected(error: dict[str, Any]) -> str:
    kind = error["type"]
    if kind == "missing":
        return "is required"
    if kind == "timezone_aware":
        return "needs a time zone, e.g. 2026-11-23T09:00:00-08:00"
    if kind == "string_type":
        return "must be text (a name or a file name; quote it in YAML)"
    if kind in ("datetime_parsing", "datetime_from_date_parsing", "datetime_type"):
        return "must be a date and time with zone, e.g. 2026-11-23T09:00:00-08:00"
    if kind == "string_pattern_mismatch":
        field = next((str(part) for part in reversed(error["loc"]) if isinstance(part, str)), "")
        return PATTERN_HINTS.get(field, str(error["msg"]))
    message = str(error["msg"])
    return message.removeprefix("Value error, ")


PATTERN_HINTS = {
    "email": "must be an email address like name@example.com",
    "podcast_guid": "must be a lowercase UUID like 9b024349-ccf0-5f69-a609-6b82873eab3c",
    "slug": "must be lowercase words joined by hyphens, like does-massage-help",
    "language": "must be a language code like en or en-US",
    "DOI": "must be a DOI like 10.1016/j.jbmt.2019.06.012 (without https://doi.org/)",
    "PMID": "must be a PubMed id: digits only",
    "name": "must be lowercase letters, digits and hyphens",
}


def format_validation_errors(source: Path, exc: ValidationError) -> list[str]:
    problems = []
    for error in exc.errors():
        where = _location(error["loc"])
        if error["type"] == "missing":
            problems.append(f"{source}: {where}: is required")
        elif not error["loc"]:  # a rule over several keys of the file: its message names them
            problems.append(f"{source}: {_expected(error)}")
        else:
            problems.append(f"{source}: {where}: {_describe(error.get('input'))} {_expected(error)}")
    return problems


def unknown_key_warnings(source: Path, data: Any, model: type[BaseModel], prefix: str = "") -> list[str]:
    """Keys the model does not define, with a did-you-mean. CSL-JSON references are free-form."""
    if not isinstance(data, dict) or model.model_config.get("extra") == "allow":
        return []
    warnings = []
    fields = {field.alias or name: field for name, field in model.model_fields.items()}  # as the YAML spells them
    for key, value in data.items():
        where = f"{prefix}{key}"
        if key not in fields:
            close = difflib.get_close_matches(str(key), list(fields), n=1)
            hint = f"; did you mean '{close[0]}'?" if close else f"; known keys: {', '.join(fields)}"
            warnings.append(f"{source}: {where}: unknown key, ignored{hint}")
            continue
        sub = _nested_model(fields[key].annotation)
        if sub is None:
            continue
        if isinstance(value, list):
            for index, item in enumerate(value):
                warnings += unknown_key_warnings(source, item, sub, f"{where}[{index}].")
        else:
            warnings += unknown_key_warnings(source, value, sub, f"{where}.")
    return warnings


def _nested_model(annotation: Any) -> type[BaseModel] | None:
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    for arg in getattr(annotation, "__args__", ()) or ():
        found = _nested_model(arg)
        if found is not None:
            return found
    return None
