"""The one retry policy for talking to other servers: a few attempts, BACKOFF_SECONDS before the second, twice as
long before each one after.

`attempts()` drives a loop the caller owns, for what urllib3 cannot retry by itself: a download cut off mid-body
(resumed with a range request) and a notice whose answer decides whether to try again. `answer_retry()` is
urllib3's `Retry` for a requests session: 429 and 5xx answers asked again (urllib3 waits none before the first
retry, then doubles from 2 × BACKOFF_SECONDS, and obeys a Retry-After header).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator, Sequence
from typing import Any

BACKOFF_SECONDS = 0.5
RETRY_STATUSES = (429, 500, 502, 503, 504)


def backoff(retry: int) -> float:
    """Seconds to wait before the `retry`-th retry (1, 2, …): BACKOFF_SECONDS, then twice as long each time."""
    return BACKOFF_SECONDS * 2 ** (retry - 1)


def attempts(count: int, sleep: Callable[[float], None] = time.sleep) -> Iterator[int]:
    """1, 2, … `count`, waiting `backoff` before each attempt after the first. The loop ends early by `break`,
    `return` or an exception; waiting is never done after the last attempt."""
    for attempt in range(1, count + 1):
        if attempt > 1:
            sleep(backoff(attempt - 1))
        yield attempt


def answer_retry(retries: int, methods: Sequence[str] = ("GET", "HEAD")) -> Any:
    """urllib3's Retry for a session (`HTTPAdapter(max_retries=…)`): an answer in RETRY_STATUSES is asked again up
    to `retries` times and the last answer is returned; connection errors are left to the caller."""
    from urllib3.util.retry import Retry

    return Retry(total=retries, connect=0, read=0, status=retries, backoff_factor=BACKOFF_SECONDS,
                 status_forcelist=RETRY_STATUSES, allowed_methods=tuple(methods), raise_on_status=False)
