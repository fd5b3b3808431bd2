"""Work on a few threads, results in order: for libraries that release the GIL (Silero's ONNX run, CTranslate2)."""

from __future__ import annotations

import collections
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any


def in_parallel(function: Callable[[Any], Any], items: Iterable[Any], threads: int) -> list[Any]:
    """`function` over `items` on `threads` threads, in order. For the VAD: Silero runs on one core per call."""
    return list(in_background(function, items, threads))


def in_background(function: Callable[[Any], Any], items: Iterable[Any], threads: int) -> Iterator[Any]:
    """`function` over `items` on `threads` threads, each result yielded in order as soon as it is done, while
    the threads go on with the next. `items` is read only as far as 2 × `threads` ahead of what was yielded."""
    if threads <= 1:
        yield from (function(item) for item in items)
        return
    with ThreadPoolExecutor(max_workers=threads) as pool:
        pending: collections.deque[Future[Any]] = collections.deque()
        for item in items:
            pending.append(pool.submit(function, item))
            if len(pending) >= 2 * threads:
                yield pending.popleft().result()
        while pending:
            yield pending.popleft().result()
