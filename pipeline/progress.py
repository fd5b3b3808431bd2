"""Progress bars for long steps: shown on a terminal, silent in logs unless PIPELINE_PROGRESS=1."""

from __future__ import annotations

import os
import sys
from typing import Any

from tqdm import tqdm


def progress_bar(total: float | None, description: str, unit: str = "s", **kwargs: Any) -> tqdm:
    forced = os.environ.get("PIPELINE_PROGRESS")
    disable = (forced == "0") if forced is not None else not sys.stderr.isatty()
    return tqdm(
        total=total,
        desc=description,
        unit=unit,
        disable=disable,
        leave=False,
        dynamic_ncols=True,
        bar_format="{desc}: {percentage:3.0f}%|{bar}| {n:.0f}/{total:.0f} {unit} [{elapsed}<{remaining}]",
        **kwargs,
    )


def advance_to(bar: tqdm, position: float) -> None:
    """Move the bar to an absolute position (seconds done), never backwards and never past its total."""
    bar.update(max(0.0, min(position, bar.total or position) - bar.n))
