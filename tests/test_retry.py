"""The one retry policy (pipeline.retry): how long it waits, and urllib3's Retry made from it."""

from __future__ import annotations

from pipeline import retry


def test_attempts_wait_half_a_second_then_twice_as_long_each_time_and_never_after_the_last() -> None:
    waits: list[float] = []
    assert list(retry.attempts(4, waits.append)) == [1, 2, 3, 4]
    assert waits == [0.5, 1.0, 2.0]


def test_a_loop_that_succeeds_stops_waiting() -> None:
    waits: list[float] = []
    for attempt in retry.attempts(4, waits.append):
        if attempt == 2:
            break
    assert waits == [0.5]


def test_one_attempt_never_waits() -> None:
    waits: list[float] = []
    assert list(retry.attempts(1, waits.append)) == [1] and waits == []


def test_answer_retry_asks_again_on_429_and_5xx_only_and_returns_the_last_answer() -> None:
    policy = retry.answer_retry(4)
    assert policy.total == 4 and policy.status == 4 and policy.connect == 0 and policy.read == 0
    assert policy.is_retry("GET", 503) and policy.is_retry("HEAD", 429)
    assert not policy.is_retry("GET", 404) and not policy.is_retry("POST", 503)
    assert policy.backoff_factor == retry.BACKOFF_SECONDS and policy.raise_on_status is False
