"""Fetching over HTTP for the importer (requests): streamed to a temp file, resumed with ranges, retried.

A download goes to `<cache>/<hash of the URL>.part` and is only handed over once it is whole, so an
interrupted import resumes where it stopped (`Range: bytes=N-`) and never leaves half a recording.
"""

from __future__ import annotations

import hashlib
import logging
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

from pipeline.errors import InputError
from pipeline.progress import progress_bar
from pipeline.retry import answer_retry, attempts

log = logging.getLogger("pipeline.import")

CHUNK_BYTES = 1 << 20
ATTEMPTS = 4  # tries at a download, resumed after a dropped connection (and retries of a 429 or 5xx answer)
TIMEOUT_SECONDS = 30
USER_AGENT = "episode-pipeline-import/1"
MEDIA_TYPES = ("audio/", "video/")
UNTYPED = ("application/octet-stream", "binary/octet-stream", "")  # servers that do not say: the probe decides


def session() -> Any:
    """A requests session that retries 429/5xx answers with backoff (download_media retries dropped connections
    itself, resuming where they stopped)."""
    import requests
    from requests.adapters import HTTPAdapter

    retry = answer_retry(ATTEMPTS)
    client = requests.Session()
    client.headers["User-Agent"] = USER_AGENT
    for scheme in ("http://", "https://"):
        client.mount(scheme, HTTPAdapter(max_retries=retry))
    return client


def fetch_bytes(client: Any, url: str, what: str, limit: int = 50 << 20) -> bytes:
    """A small document (a feed, a chapters file) whole; InputError naming `what` and the URL on failure."""
    import requests

    try:
        response = client.get(url, timeout=TIMEOUT_SECONDS, stream=True)
        if response.status_code != 200:
            raise InputError(f"{what} {url}: HTTP {response.status_code}", hint="check that the URL is right")
        data = b""
        for chunk in response.iter_content(CHUNK_BYTES):
            data += chunk
            if len(data) > limit:
                raise InputError(f"{what} {url}: larger than {limit >> 20} MB", hint="check that the URL is right")
        return data
    except requests.RequestException as exc:
        raise InputError(f"{what} {url}: cannot be fetched ({exc.__class__.__name__})",
                         hint="check the URL and the network, then run the import again") from exc


def cached_part(cache: Path, url: str) -> Path:
    return cache / f"{hashlib.sha256(url.encode()).hexdigest()[:24]}.part"


def download_media(client: Any, url: str, cache: Path, what: str,
                   on_bytes: Callable[[int], None] | None = None) -> Path:
    """The recording at `url`, whole, in the cache (a `.part` that was complete); resumes an earlier partial download.

    Refuses a reply that says it is not audio or video, and a body shorter than the server announced."""
    import requests

    part = cached_part(cache, url)
    part.parent.mkdir(parents=True, exist_ok=True)
    total: int | None = None
    failure = "no answer"
    for attempt in attempts(ATTEMPTS):
        have = part.stat().st_size if part.exists() else 0
        headers = {"Range": f"bytes={have}-"} if have else {}
        try:
            with client.get(url, headers=headers, stream=True, timeout=TIMEOUT_SECONDS) as response:
                if response.status_code == 416 and have:  # nothing left to send: what we have is whole
                    return part
                if response.status_code not in (200, 206):
                    raise InputError(f"{what} {url}: HTTP {response.status_code}",
                                     hint="the old host no longer serves this file; fix the URL in the feed or drop the item")
                kind = response.headers.get("Content-Type", "").split(";")[0].strip().lower()
                if not kind.startswith(MEDIA_TYPES) and kind not in UNTYPED:
                    raise InputError(f"{what} {url}: the server sends {kind!r}, not audio or video",
                                     hint="the enclosure must link to the recording itself")
                resumed = response.status_code == 206
                total = _total_bytes(response, have if resumed else 0)
                with open(part, "ab" if resumed else "wb") as stream:
                    for chunk in response.iter_content(CHUNK_BYTES):
                        stream.write(chunk)
                        if on_bytes:
                            on_bytes(len(chunk))
            size = part.stat().st_size
            if total is None or size >= total:
                return part
            failure = f"the connection dropped at {size} of {total} bytes"
        except requests.RequestException as exc:
            failure = f"{exc.__class__.__name__}: {_reason(exc)}"
        log.info("%s %s: %s (attempt %d of %d)", what, url, failure, attempt, ATTEMPTS)
    raise InputError(f"{what} {url}: the download did not complete in {ATTEMPTS} attempts ({failure})",
                     hint="check that the host is up, then run the import again: it resumes where it stopped")


def _reason(exc: Exception) -> str:
    """The innermost cause of a requests error, which says what happened ("Connection refused")."""
    text = str(exc)
    match = re.search(r"\[Errno -?\d+\] ([^'\")]+)", text)
    return match.group(1).strip() if match else text[:120]


def _total_bytes(response: Any, offset: int) -> int | None:
    """The whole file's size: from Content-Range on a resumed reply, else Content-Length."""
    content_range = response.headers.get("Content-Range", "")
    if "/" in content_range and content_range.rsplit("/", 1)[1].strip().isdigit():
        return int(content_range.rsplit("/", 1)[1])
    length = response.headers.get("Content-Length", "")
    return offset + int(length) if length.isdigit() else None


def byte_progress(total: int | None, description: str) -> Any:
    return progress_bar(total, description, unit="B", unit_scale=True)
