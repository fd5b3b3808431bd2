"""The feed stage: feed.xml and feed-video.xml, read back by two real podcast parsers and an XML parser."""

from __future__ import annotations

import io
import logging
import re
from datetime import UTC, datetime
from pathlib import Path

import feedparser
import podcastparser
import pytest
import yaml
from lxml import etree

from pipeline.config.load import load_project
from pipeline.config.vocab import Category, Owner
from pipeline.feed import (
    Enclosure,
    FeedChannel,
    FeedItem,
    ensure_podcast_guid,
    format_duration,
    item_guid,
    podcast_guid_for,
    render_feed,
    video_feed_guid,
)
from pipeline.feed.builder import new_feed_generator
from pipeline.feed.collect import show_channel
from pipeline.feed.podcasting20 import ITUNES_NS, PODCAST_NS
from pipeline.layout import Project, episode_paths, feed_path, site_dir, video_feed_path
from tests.conftest import run_stage
from tests.helpers import build_artefacts, episode_of, small_show, write_episode_yaml

NS = {"itunes": ITUNES_NS, "podcast": PODCAST_NS}
BASE = "http://127.0.0.1:8000/"
TRICKY_TITLE = "Q&A: <Restless> legs > 3 nights — café, naïve, 日本語"


def parse_both(path: Path) -> tuple[dict, feedparser.FeedParserDict]:
    data = path.read_bytes()
    return podcastparser.parse(BASE + path.name, io.BytesIO(data)), feedparser.parse(data)


def items_xml(path: Path) -> list[etree._Element]:
    return etree.parse(str(path)).getroot().findall("channel/item")


# ---------------------------------------------------------------- guids (pure)


def test_podcast_guid_matches_the_specs_example() -> None:
    expected = "9b024349-ccf0-5f69-a609-6b82873eab3c"
    assert podcast_guid_for("https://podnews.net/rss") == expected
    assert podcast_guid_for("http://podnews.net/rss/") == expected
    assert podcast_guid_for("podnews.net/rss//") == expected
    assert podcast_guid_for("https://podnews.net/other") != expected


def test_item_guid_depends_on_the_show_and_the_number_only() -> None:
    show = podcast_guid_for("https://podnews.net/rss")
    assert item_guid(show, 463) == item_guid(show, 463)
    assert item_guid(show, 463) != item_guid(show, 464)
    assert item_guid(show, 463) != item_guid(podcast_guid_for("https://other.example/feed.xml"), 463)
    assert video_feed_guid(show) not in (show, item_guid(show, 463))


def test_format_duration() -> None:
    assert format_duration(0.4) == "00:00:00"
    assert format_duration(62.6) == "00:01:03"
    assert format_duration(3 * 3600 + 5) == "03:00:05"


def test_podcast_guid_is_appended_to_show_yaml_once(project: Project, caplog: pytest.LogCaptureFixture) -> None:
    # A new show: the demo's show.yaml already carries its guid, so take it out of this copy.
    original = re.sub(r"^(#.*\n)?podcast_guid:.*\n", "", project.show_file.read_text(encoding="utf-8"), flags=re.MULTILINE)
    project.show_file.write_text(original, encoding="utf-8")
    show = load_project(project, environ={}).show
    assert show.podcast_guid is None
    with caplog.at_level(logging.INFO, logger="pipeline"):
        guid = ensure_podcast_guid(project, show, "http://127.0.0.1:8000/feed.xml")
    assert guid == podcast_guid_for("127.0.0.1:8000/feed.xml")
    assert guid in caplog.text
    after = project.show_file.read_text(encoding="utf-8")
    assert after.startswith(original)
    assert re.search(rf"^podcast_guid: {guid}$", after, flags=re.MULTILINE)
    kept = load_project(project, environ={"PUBLIC_URL": "https://moved.example/"}).show
    assert kept.podcast_guid == guid
    # The feed moved; the guid stays, and the file is left alone.
    assert ensure_podcast_guid(project, kept, "https://moved.example/feed.xml") == guid
    assert project.show_file.read_text(encoding="utf-8") == after


# ---------------------------------------------------------------- the extension (pure)


def _channel(**changes: object) -> FeedChannel:
    fields: dict = dict(
        title="Show", description="About the show", link="https://show.example/", feed_url=BASE + "feed.xml",
        language="en", image_url=BASE + "cover.jpg",
        categories=[Category(category="Health & Fitness", subcategory="Alternative Health")], author="Host",
        owner=Owner(name="Host", email="host@show.example"), explicit=False,
        podcast_guid=podcast_guid_for(BASE + "feed.xml"),
    )
    fields.update(changes)
    return FeedChannel(**fields)


def _item(**changes: object) -> FeedItem:
    fields: dict = dict(
        title="One", description_html="<p>Notes</p>", content_html="<p>Notes</p>", published=datetime(2026, 1, 5, 9, tzinfo=UTC),
            guid="g-1",
        enclosure=Enclosure(BASE + "episodes/1-one/one.mp3", 1234, "audio/mpeg"), duration_seconds=61,
        number=1, page_url=BASE + "episodes/1-one/index.html", image_url=BASE + "cover.jpg",
    )
    fields.update(changes)
    return FeedItem(**fields)


@pytest.mark.parametrize("explicit", [True, False])
def test_itunes_explicit_is_true_or_false(explicit: bool) -> None:
    xml = render_feed(_channel(explicit=explicit), [_item(explicit=not explicit)])
    root = etree.fromstring(xml)
    assert [e.text for e in root.findall("channel/itunes:explicit", NS)] == [str(explicit).lower()]
    assert [e.text for e in root.findall("channel/item/itunes:explicit", NS)] == [str(not explicit).lower()]
    parsed = podcastparser.parse(BASE + "feed.xml", io.BytesIO(xml))
    assert parsed["explicit"] is explicit
    assert parsed["episodes"][0]["explicit"] is (not explicit)


def test_extension_corrects_feedgens_yes_no_explicit() -> None:
    fg = new_feed_generator()
    fg.title("t")
    fg.link(href="https://show.example/")
    fg.description("d")
    fg.podcast.itunes_explicit("yes")  # feedgen 1.0 can only write yes/no/clean
    fg.podcasting20.explicit(True)
    root = etree.fromstring(fg.rss_str())
    assert [e.text for e in root.findall("channel/itunes:explicit", NS)] == ["true"]


def test_locked_funding_and_persons_when_configured(project: Project) -> None:
    data = yaml.safe_load(project.show_file.read_text(encoding="utf-8"))
    data.update(locked={"locked": True}, funding=[{"url": "https://fund.example/?a=1&b=2", "text": "Support us & more"}],
                persons=[{"name": "Ana Ñ", "role": "guest", "href": "https://ana.example/"}])
    project.show_file.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    show = load_project(project, environ={}).show
    channel = show_channel(show, project.resolve(show.cover), "feed.xml", podcast_guid_for(BASE + "feed.xml"))
    root = etree.fromstring(render_feed(channel, [_item()])).find("channel")
    locked = root.find("podcast:locked", NS)
    assert (locked.text, locked.get("owner")) == ("yes", "hello@massagemonday.example")
    funding = root.find("podcast:funding", NS)
    assert (funding.get("url"), funding.text) == ("https://fund.example/?a=1&b=2", "Support us & more")
    person = root.find("podcast:person", NS)
    assert (person.text, person.get("role"), person.get("href")) == ("Ana Ñ", "guest", "https://ana.example/")


def test_no_clock_in_the_feed() -> None:
    items = [_item()]
    assert render_feed(_channel(), items) == render_feed(_channel(), items)


# ---------------------------------------------------------------- the stage


@pytest.fixture
def show(tmp_path: Path) -> Project:
    return small_show(tmp_path / "show", title=TRICKY_TITLE)


def test_feed_read_by_podcastparser_and_feedparser(show: Project) -> None:
    written = run_stage(show, "feed")
    assert feed_path(show) in written and video_feed_path(show) in written
    episode = episode_of(show, "463")
    paths = episode_paths(show, episode)
    prefix = f"{BASE}episodes/{episode.key}/"
    podcast, feed = parse_both(feed_path(show))
    guid = load_project(show, environ={}).show.podcast_guid
    assert guid == podcast_guid_for(BASE + "feed.xml")

    assert len(podcast["episodes"]) == len(feed.entries) == 1
    mp3_url, mp3_size = prefix + paths.podcast_mp3.name, paths.podcast_mp3.stat().st_size
    assert podcast["episodes"][0]["enclosures"] == [{"url": mp3_url, "file_size": mp3_size, "mime_type": "audio/mpeg"}]
    assert [(e.href, int(e.length), e.type) for e in feed.entries[0].enclosures] == [(mp3_url, mp3_size, "audio/mpeg")]
    assert podcast["episodes"][0]["guid"] == feed.entries[0].id == item_guid(guid, 463)
    assert podcast["explicit"] is False and podcast["episodes"][0]["number"] == 463
    assert podcast["episodes"][0]["total_time"] in (3, 4)
    assert podcast["cover_url"] == BASE + "cover.jpg"
    assert feed.entries[0].published_parsed[:4] == (2026, 11, 23, 17)  # 09:00 -08:00

    # & < > and non-ASCII text survive both parsers
    assert podcast["episodes"][0]["title"] == feed.entries[0].title == TRICKY_TITLE
    notes = episode_paths(show, episode).shownotes_html.read_text(encoding="utf-8").strip()
    assert podcast["episodes"][0]["description_html"] == feed.entries[0].content[0].value == notes  # content:encoded
    short = feed.entries[0].summary  # <description>: the summary, then a chapter per line starting with its time
    assert len(short) <= 4000 and short.startswith("<p>") and "<p>00:00 Welcome<br />\n00:02 The end &amp; after</p>" in short
    assert "Fish & chips, 2 < 3 > 1, café crème, naïve 日本語." in podcast["episodes"][0]["description"]

    # Podcasting 2.0 tags, read with an XML parser (podcastparser 0.6.11 knows only the old namespace URI)
    channel = etree.parse(str(feed_path(show))).getroot().find("channel")
    assert channel.findtext("podcast:guid", namespaces=NS) == guid
    item = channel.find("item")
    transcripts = {(t.get("url"), t.get("type"), t.get("rel")) for t in item.findall("podcast:transcript", NS)}
    assert transcripts == {
        (prefix + "captions.vtt", "text/vtt", "captions"),
        (prefix + "captions.srt", "application/x-subrip", None),
        (prefix + "transcript.p20.json", "application/json", None),
    }
    chapters = item.find("podcast:chapters", NS)
    assert (chapters.get("url"), chapters.get("type")) == (prefix + "chapters.json", "application/json+chapters")
    assert feed.entries[0].podcast_chapters["url"] == prefix + "chapters.json"
    assert [p.text for p in item.findall("podcast:person", NS)] == ["Dana Reyes"]
    assert item.findtext("itunes:duration", namespaces=NS) in ("00:00:03", "00:00:04")


def test_video_feed_has_the_mp4s(show: Project) -> None:
    run_stage(show, "feed")
    episode = episode_of(show, "463")
    mp4 = episode_paths(show, episode).video_mp4("landscape")
    podcast, feed = parse_both(video_feed_path(show))
    assert podcast["episodes"][0]["enclosures"] == [
        {"url": f"{BASE}episodes/{episode.key}/{mp4.name}", "file_size": mp4.stat().st_size, "mime_type": "video/mp4"}
    ]
    audio_channel = etree.parse(str(feed_path(show))).getroot().find("channel")
    video_channel = etree.parse(str(video_feed_path(show))).getroot().find("channel")
    assert video_channel.findtext("podcast:medium", namespaces=NS) == "video"
    assert video_channel.findtext("podcast:guid", namespaces=NS) != audio_channel.findtext("podcast:guid", namespaces=NS)
    assert feed.entries[0].id != audio_channel.find("item").findtext("guid")


def test_second_episode_leaves_the_first_unchanged(show: Project) -> None:
    run_stage(show, "feed")
    first_item = etree.tostring(items_xml(feed_path(show))[0])
    podcast, _ = parse_both(feed_path(show))
    first = podcast["episodes"][0]

    write_episode_yaml(show, "464", title="The next one", date="2026-11-30T09:00:00-08:00")
    build_artefacts(show, "464", video=False)
    run_stage(show, "feed")
    podcast, feed = parse_both(feed_path(show))
    assert [e["number"] for e in podcast["episodes"]] == [464, 463]  # newest first
    assert [e.itunes_episode for e in feed.entries] == ["464", "463"]
    assert podcast["episodes"][1]["guid"] == first["guid"]
    assert podcast["episodes"][1]["enclosures"] == first["enclosures"]
    assert etree.tostring(items_xml(feed_path(show))[1]) == first_item
    assert len(items_xml(video_feed_path(show))) == 1  # 464 has no MP4

    before = feed_path(show).read_bytes()
    run_stage(show, "feed", "464")
    assert feed_path(show).read_bytes() == before


def test_drafts_and_unbuilt_episodes_stay_out(show: Project, caplog: pytest.LogCaptureFixture) -> None:
    write_episode_yaml(show, "465", title="Draft", date="2026-12-07T09:00:00-08:00", draft=True)
    build_artefacts(show, "465", video=False)
    write_episode_yaml(show, "466", title="Not built", date="2026-12-14T09:00:00-08:00")
    with caplog.at_level(logging.WARNING, logger="pipeline"):
        run_stage(show, "feed", "465")
    assert "465 is not in the feed: it is a draft" in caplog.text
    podcast, _ = parse_both(feed_path(show))
    assert [e["number"] for e in podcast["episodes"]] == [463]


def test_no_video_means_no_video_feed(tmp_path: Path) -> None:
    show = small_show(tmp_path / "show")
    run_stage(show, "feed")
    episode_paths(show, episode_of(show, "463")).video_mp4("landscape").unlink()
    run_stage(show, "feed")
    assert feed_path(show).is_file() and not video_feed_path(show).exists()


def test_built_463_end_to_end(built_463: Project) -> None:
    """The demo episode through every real stage: both parsers agree with the files, and validate passes."""
    episode = episode_of(built_463, "463")
    paths = episode_paths(built_463, episode)
    podcast, feed = parse_both(feed_path(built_463))
    assert [e["number"] for e in podcast["episodes"]] == [463]
    enclosure = podcast["episodes"][0]["enclosures"][0]
    assert enclosure["file_size"] == paths.podcast_mp3.stat().st_size and enclosure["mime_type"] == "audio/mpeg"
    assert feed.entries[0].id == podcast["episodes"][0]["guid"]
    assert 200 <= podcast["episodes"][0]["total_time"] <= 300
    item = etree.parse(str(feed_path(built_463))).getroot().find("channel/item")
    assert {t.get("type") for t in item.findall("podcast:transcript", NS)} >= {"text/vtt", "application/x-subrip"}
    mp4 = paths.video_mp4("landscape")
    video, _ = parse_both(video_feed_path(built_463))
    assert [(e["url"].rsplit("/", 1)[1], e["file_size"], e["mime_type"]) for e in video["episodes"][0]["enclosures"]] == [
        (mp4.name, mp4.stat().st_size, "video/mp4")
    ]
    page = (site_dir(built_463) / "episodes" / episode.key / "index.html").read_text(encoding="utf-8")
    assert f'src="{mp4.name}"' in page and 'kind="captions"' in page
    run_stage(built_463, "validate")


def test_named_speakers_become_the_items_people(show: Project) -> None:
    from dataclasses import replace

    from pipeline.formats.transcript import Transcript, group_words

    paths = episode_paths(show, episode_of(show, "463"))
    transcript = Transcript.load(paths.transcript_json)
    words = [replace(w, speaker="Dana Reyes" if i < 3 else ("Sam Lee" if i < 6 else "Speaker 3"))
             for i, w in enumerate(transcript.words)]
    replace(transcript, segments=tuple(group_words(words))).save(paths.transcript_json)
    run_stage(show, "feed")
    item = etree.parse(str(feed_path(show))).getroot().find("channel/item")
    people = [(p.text, p.get("role")) for p in item.findall("podcast:person", NS)]
    assert people == [("Dana Reyes", "host"), ("Sam Lee", "guest")]  # "Speaker 3" is nobody to list


def test_rfc5005_paging_keeps_the_newest_in_feed_xml_and_full_pages_stable(tmp_path: Path) -> None:
    from pipeline.feed.builder import archive_pages

    newest_first = list(range(25, 0, -1))
    current, pages = archive_pages(newest_first, 10)  # type: ignore[arg-type]
    assert current == list(range(25, 15, -1)) and pages == [list(range(10, 0, -1)), list(range(15, 10, -1))]
    assert archive_pages(list(range(26, 0, -1)), 10)[1][0] == pages[0]  # a full page never changes  # type: ignore[arg-type]

    show = small_show(tmp_path / "show", episode_ids=tuple(str(n) for n in range(1, 13)))
    show.show_file.write_text(show.show_file.read_text() + "\nfeed_page_size: 10\n")
    run_stage(show, "feed", "1")
    current_feed = etree.parse(str(feed_path(show))).getroot()
    archive = etree.parse(str(show.build_dir / "feed-archive-1.xml")).getroot()
    atom = "{http://www.w3.org/2005/Atom}link"
    assert len(current_feed.findall("channel/item")) == 10 and len(archive.findall("channel/item")) == 2
    assert {link.get("rel"): link.get("href") for link in current_feed.iter(atom)}["prev-archive"].endswith(
        "/feed-archive-1.xml")
    rels = {link.get("rel"): link.get("href") for link in archive.iter(atom)}
    assert rels["current"].endswith("/feed.xml") and rels["self"].endswith("/feed-archive-1.xml")
    assert archive.find("channel/{http://purl.org/syndication/history/1.0}archive") is not None
    assert [item.findtext("guid") for item in archive.findall("channel/item")] == [
        e.findtext("guid") for e in items_xml(show.build_dir / "feed-archive-1.xml")]
    run_stage(show, "validate", "1")

    show.show_file.write_text(show.show_file.read_text().replace("feed_page_size: 10", ""))
    run_stage(show, "feed", "1")
    assert len(items_xml(feed_path(show))) == 12 and not (show.build_dir / "feed-archive-1.xml").exists()
