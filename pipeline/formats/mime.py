"""Content types and cache lifetimes of published files: one table for the publisher and the server."""

from __future__ import annotations

from pathlib import PurePosixPath

CONTENT_TYPES = {
    ".mp3": "audio/mpeg",
    ".m4a": "audio/mp4",
    ".mp4": "video/mp4",
    ".vtt": "text/vtt; charset=utf-8",
    ".srt": "application/x-subrip",
    ".json": "application/json",
    ".xml": "application/rss+xml; charset=utf-8",
    ".html": "text/html; charset=utf-8",
    ".txt": "text/plain; charset=utf-8",
    ".md": "text/markdown; charset=utf-8",
    ".css": "text/css; charset=utf-8",
    ".js": "text/javascript; charset=utf-8",
    ".jpg": "image/jpeg",
    ".jpeg": "image/jpeg",
    ".png": "image/png",
    ".svg": "image/svg+xml",
    ".ico": "image/x-icon",
}

MEDIA_CACHE = "public, max-age=31536000, immutable"
CHANGING_CACHE = "public, max-age=300"
CHANGING_SUFFIXES = {".xml", ".html"}


def content_type(key: str) -> str:
    """HTTP Content-Type. (The feed's `type` attributes are separate: chapters are application/json+chapters there.)"""
    return CONTENT_TYPES.get(PurePosixPath(key).suffix.lower(), "application/octet-stream")


def cache_control(key: str) -> str:
    """Media never changes once published; feeds and pages do, so caches must look again soon."""
    return CHANGING_CACHE if PurePosixPath(key).suffix.lower() in CHANGING_SUFFIXES else MEDIA_CACHE
