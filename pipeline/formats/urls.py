"""Web URLs as the feeds, the notes and the chapters accept them: absolute http(s) with a host.

The check is shared by the configuration (`WebUrl` in config/fields.py) and the chapters checker.
"""

from __future__ import annotations

from urllib.parse import urlsplit


def check_web_url(value: str) -> str:
    """Accept only absolute http(s) URLs with a host; refuses javascript:, data:, relative paths."""
    value = value.strip()
    parts = urlsplit(value)
    if parts.scheme.lower() not in ("http", "https"):
        raise ValueError("must be an http:// or https:// URL (javascript:, data: and relative links are refused)")
    if not parts.hostname or " " in value:
        raise ValueError("is not a well-formed URL; expected something like https://example.com/page")
    return value
