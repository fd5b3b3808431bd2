"""Apps told the moment a feed changes: WebSub and podping, the one wrapper for both services.

- WebSub (W3C): a POST `hub.mode=publish&hub.url=<feed>` to the hub named in show.yaml (`notify.websub_hub`);
  the hub fetches the feed and pushes it to its subscribers.
- podping: a GET `<podping_url>?url=<feed>&reason=update&medium=podcast` with the show's token
  (`PODPING_TOKEN`) in the Authorization header; podping.cloud writes it to the Hive chain that apps watch.

Each is retried with backoff. A failure is a warning, never an error: the episode is already published,
and apps still find it on their next poll.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

from pipeline import __version__, retry
from pipeline.config.show import Notifications

log = logging.getLogger("pipeline.publish")

TIMEOUT_SECONDS = 10
USER_AGENT = f"episode-pipeline/{__version__} (podcast publisher)"
PODPING_TOKEN = "PODPING_TOKEN"


@dataclass(frozen=True)
class Notice:
    service: str  # "WebSub" or "podping"
    feed_url: str
    ok: bool
    detail: str  # "HTTP 204", or what went wrong


def _send(send: Callable[[], object], attempts: int, sleep: Callable[[float], None]) -> tuple[bool, str]:
    """`send` (a requests call) until it answers 2xx; a 4xx other than 429 is not retried."""
    import requests

    detail = ""
    for _attempt in retry.attempts(attempts, sleep):
        try:
            response = send()
        except requests.RequestException as exc:
            detail = f"{type(exc).__name__}: {exc}"
            continue
        status = getattr(response, "status_code", 0)
        detail = f"HTTP {status}"
        if 200 <= status < 300:
            return True, detail
        if 400 <= status < 500 and status != 429:
            break
    return False, detail


def notify_feeds(settings: Notifications, feed_urls: Sequence[str], environ: Mapping[str, str],
                 sleep: Callable[[float], None] = time.sleep) -> list[Notice]:
    """Tell the hub and podping that `feed_urls` changed; what each answered. Never raises."""
    import requests

    notices: list[Notice] = []
    token = environ.get(PODPING_TOKEN, "").strip()
    if not feed_urls or not (settings.websub_hub or token):
        return notices
    with requests.Session() as session:
        session.headers["User-Agent"] = USER_AGENT
        for url in feed_urls:
            if settings.websub_hub:
                hub = settings.websub_hub
                ok, detail = _send(lambda url=url, hub=hub: session.post(
                    hub, data={"hub.mode": "publish", "hub.url": url}, timeout=TIMEOUT_SECONDS), settings.attempts, sleep)
                notices.append(Notice("WebSub", url, ok, detail))
            if token:
                medium = "video" if url.endswith("-video.xml") else "podcast"
                ok, detail = _send(lambda url=url, medium=medium: session.get(
                    settings.podping_url, params={"url": url, "reason": "update", "medium": medium},
                    headers={"Authorization": token}, timeout=TIMEOUT_SECONDS), settings.attempts, sleep)
                notices.append(Notice("podping", url, ok, detail))
    for notice in notices:
        if notice.ok:
            log.info("%s told that %s changed (%s)", notice.service, notice.feed_url, notice.detail)
        else:
            log.warning("%s could not be told that %s changed (%s); apps will see it on their next poll",
                        notice.service, notice.feed_url, notice.detail)
    return notices
