"""The one time formatter (pipeline.formats.times), tested directly: every pattern the pipeline writes."""

from __future__ import annotations

import pytest

from pipeline.formats.times import milliseconds, timestamp


@pytest.mark.parametrize(("seconds", "pattern", "text"), [
    # WebVTT cues and Podlove Simple Chapters: milliseconds to the nearest, two-digit hours
    (0, "HH:MM:SS.mmm", "00:00:00.000"),
    (3723.4567, "HH:MM:SS.mmm", "01:02:03.457"),
    (59.9996, "HH:MM:SS.mmm", "00:01:00.000"),  # rounding carries into the minutes
    (3599.9999, "HH:MM:SS.mmm", "01:00:00.000"),  # …and into the hours
    (0.0004, "HH:MM:SS.mmm", "00:00:00.000"),
    (360000.25, "HH:MM:SS.mmm", "100:00:00.250"),  # hours grow past two digits
    # SubRip: a comma before the milliseconds
    (3723.4567, "HH:MM:SS,mmm", "01:02:03,457"),
    # whole seconds are cut (as a clock shows them) unless `nearest`
    (3723.9, "HH:MM:SS", "01:02:03"),
    # episode.yaml chapter starts: hours always, one digit
    (0, "H:MM:SS", "0:00:00"),
    (3723.9, "H:MM:SS", "1:02:03"),
    (36000, "H:MM:SS", "10:00:00"),
    # show notes and logs: hours only past the hour, minutes always two digits
    (65.9, "[H:]MM:SS", "01:05"),
    (3599.99, "[H:]MM:SS", "59:59"),
    (3600, "[H:]MM:SS", "1:00:00"),
    (3723.9, "[H:]MM:SS", "1:02:03"),
    # the site's player: as few digits as a player shows
    (5, "[H:]M:SS", "0:05"),
    (754, "[H:]M:SS", "12:34"),
    (3723, "[H:]M:SS", "1:02:03"),
    # minutes that count on past the hour
    (65, "MM:SS", "01:05"),
    (3723.9, "MM:SS", "62:03"),
])
def test_each_pattern_writes_the_time_as_its_format_wants(seconds: float, pattern: str, text: str) -> None:
    assert timestamp(seconds, pattern) == text


def test_nearest_rounds_whole_seconds_as_python_round_does() -> None:
    """itunes:duration: whole seconds rounded (with round(), as it always was: halves go to the even second)."""
    assert timestamp(3723.5001, "HH:MM:SS", nearest=True) == "01:02:04"
    assert timestamp(3723.4999, "HH:MM:SS", nearest=True) == "01:02:03"
    assert [timestamp(s, "HH:MM:SS", nearest=True) for s in (0.5, 1.5, 2.5)] == ["00:00:00", "00:00:02", "00:00:02"]


def test_the_default_pattern_is_hh_mm_ss() -> None:
    assert timestamp(3723.9) == "01:02:03"


@pytest.mark.parametrize("pattern", ["HH:MM:SS.mmm", "H:MM:SS", "[H:]MM:SS", "[H:]M:SS", "MM:SS"])
def test_a_negative_time_is_written_as_zero(pattern: str) -> None:
    assert timestamp(-1.5, pattern) == timestamp(0, pattern)
    assert timestamp(-0.0004, pattern, nearest=True) == timestamp(0, pattern)


@pytest.mark.parametrize("pattern", ["", "HH:MM", "SS", "hh:mm:ss", "HH:MM:SS.mm", "HH:MM:SS:mmm", "[HH:]MM:SS"])
def test_an_unknown_pattern_is_refused(pattern: str) -> None:
    with pytest.raises(ValueError, match="unknown time pattern"):
        timestamp(1.0, pattern)


def test_milliseconds_round_to_the_nearest() -> None:
    assert [milliseconds(s) for s in (0, 0.0004, 0.0006, 1.2345678, 3723.4567)] == [0, 0, 1, 1235, 3723457]
