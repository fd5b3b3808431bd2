"""The folder each item of an imported feed gets: readable, never taken twice, the same on every run.

A pure function of the feed's items and the folders already there, tested directly:

- an item with a season S (`itunes:season`, else `podcast:season`) and a number N (`itunes:episode`, else
  `podcast:episode`): `s<S>e<NN>`, N zero-padded to two digits so a season's folders sort in order (`s2e01`,
  `s1e17`, `s3e105`), so seasons that each number from 1 never collide;
- an item with a number and no season: the number (`12`);
- a trailer or a bonus item without a number: its type, after its season when it has one (`s2-trailer`, `bonus`);
- a full episode without a number: its place among the items of its season (`s2e03`), or among the items
  without a season (`7`; in a feed without seasons, its place in the feed), 1 for the oldest, moved on to the
  next free number when that one is taken;
- an id that an older item of the feed, or an episode folder that is no item of it, holds already gets `-2`,
  `-3`, … (a season that numbers two items 3: `s2e03`, `s2e03-2`);
- an item already imported (an episode.yaml with its guid) keeps the folder it has, whatever it is called.

The id is only the folder's name: episode.yaml keeps the item's own season and number (or none), and the feed
built from it carries those, so podcast apps keep their order.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from pipeline.imports.feed import FeedItem


@dataclass(frozen=True)
class Placement:
    """The folder of one item (`episodes/<episode_id>/`) and why it is that one."""

    episode_id: str
    why: str
    imported: bool = False  # the folder exists already: the item was imported by an earlier run


def episode_ids(items: Sequence[FeedItem], imported: Mapping[str, str] | None = None,
                taken: Iterable[str] = ()) -> list[Placement]:
    """A placement per item of `items` (oldest first); `imported`: guid → folder of the items imported before;
    `taken`: the other episode folders. Numbered items are placed before unnumbered ones, so a place number
    never takes an id an item's own number names."""
    imported = imported or {}
    holders = {episode_id: f"episodes/{episode_id}/ is another episode" for episode_id in taken}
    placed: dict[int, Placement] = {}
    seen: set[str] = set()
    for index, item in enumerate(items):
        if item.guid in imported and item.guid not in seen:  # a later item repeating the guid is not that one
            placed[index] = Placement(imported[item.guid], "imported before (same guid)", imported=True)
            holders[imported[item.guid]] = f"episodes/{imported[item.guid]}/ holds {item.title!r}"
        seen.add(item.guid)
    numbered = [index for index, item in enumerate(items) if index not in placed and item.number is not None]
    unnumbered = [index for index, item in enumerate(items) if index not in placed and item.number is None]
    for index in numbered + unnumbered:
        item = items[index]
        if item.number is not None or item.episode_type != "full":
            base, why = _named(item)
            episode_id, why = _suffixed(base, why, holders)
        else:
            episode_id, why = _next_free(items, index, holders)
        holders[episode_id] = f"episodes/{episode_id}/ is for the item {item.title!r}"
        placed[index] = Placement(episode_id, why)
    return [placed[index] for index in range(len(items))]


def _named(item: FeedItem) -> tuple[str, str]:
    """The id an item's own season and number (or, without a number, its type) name, and why."""
    season = f"season {item.season}" if item.season is not None else ""
    if item.number is not None:
        if item.season is not None:
            return f"s{item.season}e{item.number:02d}", f"{season}, episode {item.number}"
        return str(item.number), f"episode {item.number}, no season"
    prefix = f"s{item.season}-" if item.season is not None else ""
    return f"{prefix}{item.episode_type}", f"a {item.episode_type} without a number" + (f" in {season}" if season else "")


def _suffixed(base: str, why: str, holders: Mapping[str, str]) -> tuple[str, str]:
    if base not in holders:
        return base, why
    count = 2
    while f"{base}-{count}" in holders:
        count += 1
    return f"{base}-{count}", f"{why}; {holders[base]}"


def _next_free(items: Sequence[FeedItem], index: int, holders: Mapping[str, str]) -> tuple[str, str]:
    """A full episode without a number: its place in its season (or the feed), else the next free number."""
    item = items[index]
    peers = [other for other in items[: index + 1] if other.season == item.season]
    place = number = len(peers)

    def name(number: int) -> str:
        return f"s{item.season}e{number:02d}" if item.season is not None else str(number)

    while name(number) in holders:
        number += 1
    where = f"season {item.season}" if item.season is not None else "the feed"
    why = f"no episode number: item {place} of {where}"
    return name(number), why if number == place else f"{why}; {holders[name(place)]}, so the next free number"
