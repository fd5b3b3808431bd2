"""Process-wide memory settings for the long steps."""

from __future__ import annotations

import ctypes
import ctypes.util

M_ARENA_MAX = -8  # glibc's mallopt parameter
MALLOC_ARENAS = 2


def limit_malloc_arenas(arenas: int = MALLOC_ARENAS) -> None:
    """Let glibc keep at most `arenas` malloc arenas in this process; nothing on another C library.

    glibc gives threads that allocate at the same time arenas of their own (up to eight per core) and seldom
    hands their freed memory back. The transcribe stage's threads (VAD blocks, decode calls, torch) left about
    400 MB more resident on a two-hour episode than on a 30-minute one; with two arenas its peak stays flat
    with length (`BENCH=long make bench`), at no measurable cost in speed.
    """
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
        libc.mallopt(M_ARENA_MAX, arenas)
    except (OSError, AttributeError):
        return
