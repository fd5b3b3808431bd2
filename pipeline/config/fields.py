"""The strict base model, and the field types show.yaml and episode.yaml share: web URLs and timestamps."""

from __future__ import annotations

import re
from typing import Annotated

from pydantic import AfterValidator, BaseModel, ConfigDict, Field

from pipeline.formats.urls import check_web_url

WebUrl = Annotated[str, AfterValidator(check_web_url)]


def check_timestamp(value: str | int | float) -> float:
    """'MM:SS', 'HH:MM:SS(.fff)' or seconds → seconds."""
    if isinstance(value, int | float):
        if value < 0:
            raise ValueError("must not be negative")
        return float(value)
    match = re.fullmatch(r"(?:(\d+):)?(\d{1,2}):(\d{2}(?:\.\d+)?)", str(value).strip())
    if not match:
        raise ValueError("must be a time like 00:00, 12:34 or 1:02:03")
    hours, minutes, seconds = match.groups()
    return int(hours or 0) * 3600 + int(minutes) * 60 + float(seconds)


Timestamp = Annotated[float, Field(ge=0)]


class StrictModel(BaseModel):
    # Unknown keys are reported as warnings by `unknown_key_warnings` before validation.
    model_config = ConfigDict(extra="ignore", frozen=True)
