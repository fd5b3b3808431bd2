"""The feed's own vocabulary as show.yaml and episode.yaml give it: one model per iTunes or Podcasting 2.0
tag (owner, category, person, funding, license, txt, updateFrequency, podroll, location, chat, socialInteract,
soundbite)."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import Field, field_validator

from pipeline.config.fields import StrictModel, Timestamp, WebUrl, check_timestamp


class Owner(StrictModel):
    name: str = Field(min_length=1)
    email: str = Field(pattern=r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


class Category(StrictModel):
    category: str = Field(min_length=1)
    subcategory: str | None = None


class Person(StrictModel):
    name: str = Field(min_length=1)
    role: str = "host"
    group: str = "cast"
    img: WebUrl | None = None
    href: WebUrl | None = None


class Funding(StrictModel):
    url: WebUrl
    text: str = "Support the show"


class License(StrictModel):
    """podcast:license: an SPDX identifier (cc-by-4.0) or a licence's name, with its text's URL for any other."""

    name: str = Field(min_length=1, max_length=128)
    url: WebUrl | None = None


class Txt(StrictModel):
    """podcast:txt: free text for services that read the feed, e.g. Apple's verification string."""

    value: str = Field(min_length=1, max_length=4000)
    purpose: str | None = Field(default=None, min_length=1, max_length=128, examples=["applepodcastsverify"])


UPDATE_FREQUENCIES = {  # show.yaml's update_frequency → (podcast:updateFrequency rrule, its text)
    "daily": ("FREQ=DAILY", "Daily"),
    "weekdays": ("FREQ=WEEKLY;BYDAY=MO,TU,WE,TH,FR", "Every weekday"),
    "weekly": ("FREQ=WEEKLY", "Weekly"),
    "biweekly": ("FREQ=WEEKLY;INTERVAL=2", "Every two weeks"),
    "monthly": ("FREQ=MONTHLY", "Monthly"),
    "yearly": ("FREQ=YEARLY", "Yearly"),
    "complete": (None, "Complete: no new episodes"),
}


class RemoteFeed(StrictModel):
    """A show in the podroll (podcast:remoteItem): its podcast:guid, and its feed's URL."""

    feed_guid: str = Field(pattern=r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")
    feed_url: WebUrl | None = None
    title: str | None = None


class Location(StrictModel):
    name: str = Field(min_length=1, max_length=128)
    geo: str | None = Field(default=None, pattern=r"^geo:-?\d{1,2}(\.\d+)?,-?\d{1,3}(\.\d+)?(,-?\d+(\.\d+)?)?$",
                            examples=["geo:30.2672,-97.7431"])
    osm: str | None = Field(default=None, pattern=r"^[NWR]\d+(#\d+)?$", examples=["R113314"])


class Chat(StrictModel):
    """podcast:chat: where listeners talk during and after an episode."""

    server: str = Field(pattern=r"^[A-Za-z0-9.-]+(:\d+)?$", examples=["irc.libera.chat"])
    protocol: Literal["irc", "xmpp", "nostr", "matrix"]
    account_id: str | None = None
    space: str | None = None


class SocialInteract(StrictModel):
    """podcast:socialInteract: the post where an episode's comments live."""

    uri: WebUrl
    protocol: Literal["activitypub", "twitter", "lightning", "atproto", "bluesky", "hive", "matrix", "nostr"] = "activitypub"
    account_id: str | None = None
    account_url: WebUrl | None = None
    priority: int | None = Field(default=None, ge=1)


class Soundbite(StrictModel):
    """podcast:soundbite: a highlight apps can play as a preview."""

    start: Timestamp
    duration: float = Field(gt=0, le=300)
    title: str | None = Field(default=None, max_length=128)

    @field_validator("start", mode="before")
    @classmethod
    def _parse_start(cls, value: Any) -> float:
        return check_timestamp(value)
