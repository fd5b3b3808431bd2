"""Times as text: the one formatter for every clock-style time the pipeline writes.

Each caller names its layout with a pattern, so the call says what it writes:

    ========================  =================================================  ==================
    pattern                   used for                                           e.g.
    ========================  =================================================  ==================
    ``HH:MM:SS.mmm``          WebVTT cue timings, Podlove Simple Chapters (npt)  ``01:02:03.457``
    ``HH:MM:SS,mmm``          SubRip cue timings                                 ``01:02:03,457``
    ``HH:MM:SS``              itunes:duration (with ``nearest=True``)            ``01:02:03``
    ``H:MM:SS``               episode.yaml chapter starts (the importer)         ``1:02:03``
    ``[H:]MM:SS``             show notes, feed descriptions, logs                ``1:02:03``, ``02:03``
    ``[H:]M:SS``              the site's player labels                           ``1:02:03``, ``2:03``
    ``MM:SS``                 clip bounds in configuration errors                ``62:03``
    ========================  =================================================  ==================
"""

from __future__ import annotations

import functools
import re

_PATTERN = re.compile(r"(?P<hours>HH:|H:|\[H:\])?(?P<minutes>MM|M):SS(?P<fraction>[.,]mmm)?")


def milliseconds(seconds: float) -> int:
    """`seconds` in whole milliseconds, to the nearest (ID3 CHAP frames, subtitle events)."""
    return round(seconds * 1000)


@functools.cache
def _parse(pattern: str) -> tuple[str | None, int, str | None]:
    match = _PATTERN.fullmatch(pattern)
    if match is None:
        raise ValueError(f"unknown time pattern {pattern!r}: expected e.g. HH:MM:SS.mmm, H:MM:SS, [H:]MM:SS or MM:SS")
    fraction = match["fraction"]
    return match["hours"], len(match["minutes"]), fraction[0] if fraction else None


def timestamp(seconds: float, pattern: str = "HH:MM:SS", *, nearest: bool = False) -> str:
    """`seconds` written as `pattern` (a negative time is written as 0).

    Hours: ``HH:`` always, two digits at least; ``H:`` always, as few digits as needed; ``[H:]`` only past the
    hour; none: the minutes count on past 59. Minutes: ``MM`` two digits, ``M`` as few as needed when they lead
    (after hours they always have two). A fraction (``.mmm`` or ``,mmm``) gives milliseconds, rounded to the
    nearest; without one the seconds are whole: cut, as a clock shows them, or rounded when `nearest`.
    """
    hours_field, minutes_width, separator = _parse(pattern)
    seconds = max(seconds, 0.0)
    if separator:
        whole, millis = divmod(milliseconds(seconds), 1000)
    else:
        whole, millis = round(seconds) if nearest else int(seconds), 0
    minutes, secs = divmod(whole, 60)
    text = f"{secs:02d}" + (f"{separator}{millis:03d}" if separator else "")
    if hours_field is None or (hours_field == "[H:]" and minutes < 60):
        return f"{minutes:0{minutes_width}d}:{text}"
    hours, minutes = divmod(minutes, 60)
    return f"{hours:0{2 if hours_field == 'HH:' else 1}d}:{minutes:02d}:{text}"
