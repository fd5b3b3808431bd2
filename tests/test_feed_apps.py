"""The feed as apps read it: every tag this project writes, read back by three real parsers (podcastparser,
feedparser, and podcast-partytime, the Podcasting 2.0 parser behind Podverse, run in Node), for an episode
with every optional field, one with none, and a trailer."""

from __future__ import annotations

import io
import json
import os
import shutil
import subprocess
from pathlib import Path
from typing import Any

import feedparser
import podcastparser
import pytest
import yaml

from pipeline.layout import Project, episode_paths, feed_path
from tests.conftest import REPO, run_stage
from tests.helpers import build_artefacts, episode_of, small_show, write_episode_yaml

BASE = "http://127.0.0.1:8000/"  # small_show's public_url
PARSE_FEED = REPO / "tests" / "js" / "parse-feed.js"
PODROLL_GUID = "917393e3-1b1e-5cef-ace4-edaa54e1f810"

SHOW_FIELDS: dict[str, Any] = {
    "license": {"name": "cc-by-4.0"},
    "txt": [{"value": "S6lpp-7ZCn8-dZfGc-OoyaG", "purpose": "applepodcastsverify"}],
    "update_frequency": "weekly",
    "podroll": [{"feed_guid": PODROLL_GUID, "feed_url": "https://friends.example.org/feed.xml"}],
    "location": {"name": "Austin, TX", "geo": "geo:30.2672,-97.7431", "osm": "R113314"},
    "chat": {"server": "irc.libera.chat", "protocol": "irc", "account_id": "@dana", "space": "#massage-monday"},
    "notify": {"websub_hub": "https://hub.example.net/"},
}
EVERY_FIELD: dict[str, Any] = {
    "season": 3,
    "license": {"name": "All rights reserved", "url": "https://podcast.example.com/license"},
    "location": {"name": "Lisbon", "geo": "geo:38.7223,-9.1393"},
    "social_interact": [{"uri": "https://social.example/@dana/1", "protocol": "activitypub", "account_id": "@dana",
                         "account_url": "https://social.example/@dana", "priority": 1}],
    "soundbites": [{"start": "00:01", "duration": 1.5, "title": "The middle part"}],
}


def partytime(path: Path) -> dict[str, Any]:
    if not shutil.which("node") or not (PARSE_FEED.parent / "node_modules" / "podcast-partytime").is_dir():
        if os.environ.get("CI"):
            pytest.fail("node or tests/js/node_modules is missing: make test installs it (npm ci --prefix tests/js)")
        pytest.skip("node or podcast-partytime is not installed (make test installs it)")
    done = subprocess.run(["node", str(PARSE_FEED), str(path)], capture_output=True, text=True, check=True)
    return json.loads(done.stdout)


@pytest.fixture(scope="module")
def feed(tmp_path_factory: pytest.TempPathFactory) -> Path:
    project = small_show(tmp_path_factory.mktemp("apps") / "show", ("463", "464"))
    show = yaml.safe_load(project.show_file.read_text()) | SHOW_FIELDS
    project.show_file.write_text(yaml.safe_dump(show, sort_keys=False, allow_unicode=True))
    write_episode_yaml(project, "463", **EVERY_FIELD)
    write_episode_yaml(project, "465", title="Coming soon", episode_type="trailer", season=1,
                       date="2026-11-01T09:00:00-08:00")
    build_artefacts(project, "465", video=False)
    write_episode_yaml(project, "464", language="de")  # spoken in German, with an English track
    paths = episode_paths(project, episode_of(project, "464"))
    paths.captions_en_vtt.write_text("WEBVTT\n\n1\n00:00:00.000 --> 00:00:01.000\nHello.\n\n", encoding="utf-8")
    run_stage(project, "feed")
    run_stage(project, "validate")  # the project's own checks accept every tag
    return feed_path(project)


def by_number(items: list[dict[str, Any]], number: int) -> dict[str, Any]:
    return next(item for item in items if item.get("podcastEpisode", {}).get("number") == number)


def project_of(feed: Path) -> Project:
    return Project(feed.parent.parent)


def test_partytime_reads_every_channel_tag(feed: Path) -> None:
    parsed = partytime(feed)
    assert parsed["license"]["identifier"] == "cc-by-4.0"
    assert parsed["podcastTxt"] == [{"value": "S6lpp-7ZCn8-dZfGc-OoyaG", "purpose": "applepodcastsverify"}]
    assert parsed["podroll"] == [{"feedGuid": PODROLL_GUID, "feedUrl": "https://friends.example.org/feed.xml"}]
    assert parsed["podcastLocation"] == {"name": "Austin, TX", "geo": "geo:30.2672,-97.7431", "osm": "R113314"}
    chat = parsed["chat"]
    assert (chat["server"], chat["protocol"], chat["accountId"], chat["space"]) == (
        "irc.libera.chat", "irc", "@dana", "#massage-monday")
    assert parsed["pubsub"]["hub"] == "https://hub.example.net/"
    (trailer,) = parsed["trailers"]
    assert trailer["title"] == "Coming soon" and trailer["season"] == 1 and trailer["type"] == "audio/mpeg"
    assert trailer["url"].startswith(BASE + "episodes/465-") and trailer["url"].endswith(".mp3")
    assert trailer["pubdate"].startswith("2026-11-01T17:00:00")


def test_partytime_reads_every_item_tag_and_none_where_none_is_set(feed: Path) -> None:
    project = project_of(feed)
    parsed = partytime(feed)
    every, none = by_number(parsed["items"], 463), by_number(parsed["items"], 464)
    assert every["podcastSeason"]["number"] == 3 and every["podcastEpisode"]["number"] == 463
    assert every["license"] == {"identifier": "All rights reserved", "url": "https://podcast.example.com/license"}
    assert every["podcastLocation"] == {"name": "Lisbon", "geo": "geo:38.7223,-9.1393"}
    (social,) = every["podcastSocialInteraction"]
    assert (social["platform"], social["url"], social["id"], social["profileUrl"], social["priority"]) == (
        "activitypub", "https://social.example/@dana/1", "@dana", "https://social.example/@dana", 1)
    assert every["podcastSoundbites"] == [{"startTime": 1, "duration": 1.5, "title": "The middle part"}]
    audio, video = every["alternativeEnclosures"]
    paths = episode_paths(project, episode_of(project, "463"))
    assert (audio["type"], audio["default"], audio["length"]) == ("audio/mpeg", True, paths.podcast_mp3.stat().st_size)
    assert (video["type"], video["height"], video["length"]) == ("video/mp4", 180, paths.video_mp4().stat().st_size)  # its own
    assert video["source"][0]["uri"].endswith(paths.video_mp4().name) and video["bitrate"] > 0
    assert every["podcastChapters"]["url"].endswith("/chapters.json")
    # partytime names SubRip by its own enum value, whichever of the two MIME types the feed uses
    assert {t["type"] for t in every["podcastTranscripts"]} == {"text/vtt", "application/srt", "application/json"}

    for tag in ("podcastSeason", "license", "podcastLocation", "podcastSocialInteraction", "podcastSoundbites"):
        assert tag not in none, tag
    assert none["podcastEpisode"]["number"] == 464


def test_each_transcript_says_its_language(feed: Path) -> None:
    """An episode spoken in German lists its transcripts as German and its English track as English captions."""
    parsed = partytime(feed)
    english, german = by_number(parsed["items"], 463), by_number(parsed["items"], 464)
    assert {t.get("language") for t in english["podcastTranscripts"]} == {"en"}
    assert sorted((t["url"].rsplit("/", 1)[1], t.get("language"), t.get("rel")) for t in german["podcastTranscripts"]) == [
        ("captions.en.vtt", "en", "captions"), ("captions.srt", "de", None), ("captions.vtt", "de", "captions"),
        ("transcript.p20.json", "de", None)]
    entry = next(e for e in feedparser.parse(feed.read_bytes()).entries if e.itunes_episode == "464")
    assert entry and feedparser.parse(feed.read_bytes()).feed.language == "en"


def test_chapters_for_every_app(feed: Path) -> None:
    """podcast:chapters (Apple, P2.0 apps), Podlove Simple Chapters, and times at the start of description lines."""
    data = feed.read_bytes()
    podcast = podcastparser.parse(BASE + feed.name, io.BytesIO(data))
    parsed = feedparser.parse(data)
    episode = next(e for e in podcast["episodes"] if e["number"] == 463)
    assert [(c["start"], c["title"]) for c in episode["chapters"]] == [(0, "Welcome"), (2, "The end & after")]  # whole s
    entry = next(e for e in parsed.entries if e.itunes_episode == "463")
    assert [(c["start"], c["title"]) for c in entry.psc_chapters["chapters"]] == [
        ("00:00:00.000", "Welcome"), ("00:00:02.400", "The end & after")]
    assert "00:00 Welcome<br />\n00:02 The end &amp; after" in entry.summary
    assert len(entry.summary) <= 4000
    assert "Fish &amp; chips" in entry.content[0].value  # the whole show notes in content:encoded


def test_update_frequency_as_written(feed: Path) -> None:
    """partytime 5 does not read podcast:updateFrequency; feedparser keeps its attributes, lxml its text."""
    from lxml import etree

    assert feedparser.parse(feed.read_bytes()).feed.podcast_updatefrequency == {"rrule": "FREQ=WEEKLY"}
    element = etree.parse(str(feed)).find("channel/{https://podcastindex.org/namespace/1.0}updateFrequency")
    assert element.text == "Weekly" and element.get("complete") is None
