"""The validate stage: Apple's and Podcasting 2.0 rules; every problem is reported at once."""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path

import pytest
from lxml import etree
from PIL import Image

from pipeline.config.vocab import Category, Owner
from pipeline.errors import ValidationError
from pipeline.feed import Enclosure, FeedChannel, FeedItem, podcast_guid_for, render_feed
from pipeline.feed.rules import check_artwork, check_chapters, check_feed
from pipeline.layout import Project, episode_paths, feed_path
from tests.conftest import run_stage
from tests.helpers import episode_of, small_show

BASE = "https://show.example/"


def image(path: Path, size: tuple[int, int], mode: str = "RGB", image_format: str | None = None) -> Path:
    Image.new(mode, size).save(path, format=image_format)
    return path


@pytest.mark.parametrize(
    ("name", "size", "mode", "image_format", "expected"),
    [
        ("cover.jpg", (1400, 1400), "RGB", "JPEG", []),
        ("cover.png", (3000, 3000), "RGB", "PNG", []),
        ("cover.jpg", (1500, 1400), "RGB", "JPEG", ["must be square"]),
        ("cover.jpg", (1000, 1000), "RGB", "JPEG", ["1400–3000 px"]),
        ("cover.png", (3200, 3200), "RGB", "PNG", ["1400–3000 px"]),
        ("cover.jpg", (1400, 1400), "RGB", "PNG", ["is PNG but its extension .jpg says JPEG"]),
        ("cover.png", (1400, 1400), "RGBA", "PNG", ["colour mode RGBA"]),
        ("cover.jpg", (1400, 1400), "CMYK", "JPEG", ["colour mode CMYK"]),
        ("cover.gif", (1400, 1400), "P", "GIF", ["must be a .jpg or .png", "must be JPEG or PNG", "colour mode P"]),
    ],
)
def test_artwork_rules(tmp_path: Path, name: str, size: tuple[int, int], mode: str, image_format: str,
                       expected: list[str]) -> None:
    problems = check_artwork(image(tmp_path / name, size, mode, image_format))
    assert len(problems) == len(expected)
    for problem, fragment in zip(problems, expected, strict=True):
        assert fragment in problem and name in problem


def test_demo_cover_passes() -> None:
    from tests.conftest import REPO

    assert check_artwork(REPO / "config" / "cover.jpg") == []


def test_chapters_rules(tmp_path: Path) -> None:
    good = tmp_path / "good.json"
    chapters = [{"startTime": 0, "title": "a"}, {"startTime": 5, "title": "b"}]
    good.write_text(json.dumps({"version": "1.2.0", "chapters": chapters}), encoding="utf-8")
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps({"version": "1.2.0", "chapters": [{"startTime": 9, "title": "a"}, {"startTime": 5}]}))
    assert check_chapters(good) == []
    problems = check_chapters(bad)
    assert any("chapters[1].startTime: 5 is not after the previous" in p for p in problems)
    assert any("chapters[1].title: must be a non-empty string" in p for p in problems)
    (tmp_path / "broken.json").write_text("{")
    assert "not readable JSON" in check_chapters(tmp_path / "broken.json")[0]


def _feed_xml(tmp_path: Path) -> tuple[bytes, dict[str, Path]]:
    """Two items that break several rules at once, and the files behind the good URLs."""
    mp3 = tmp_path / "one.mp3"
    mp3.write_bytes(b"\xff" * 1000)
    channel = FeedChannel(
        title="Show", description="x" * 4001, link="https://show.example/", feed_url=BASE + "feed.xml", language="en",
        image_url=BASE + "cover.jpg", categories=[Category(category="Arts")], author="Host",
        owner=Owner(name="Host", email="host@show.example"), explicit=False, podcast_guid=podcast_guid_for(BASE + "feed.xml"),
    )
    item = FeedItem(
        title="One", description_html="<p>n</p>", content_html="<p>n</p>",
        published=datetime.fromisoformat("2026-01-05T09:00:00+00:00"),
        guid="same", enclosure=Enclosure(BASE + "one.mp3", 999, "audio/mpeg"), duration_seconds=1, number=1,
        page_url=BASE + "one.html", image_url=BASE + "cover.jpg",
    )
    two = FeedItem(**{**item.__dict__, "title": "Two", "number": 2, "page_url": BASE + "épisode.html",
                      "enclosure": Enclosure(BASE + "one.mp3", 1000, "video/mp4")})
    files = {BASE + key: mp3 for key in ("one.mp3", "cover.jpg", "feed.xml", "one.html", "index.html")}
    return render_feed(channel, [item, two]), files


def test_check_feed_lists_every_problem(tmp_path: Path) -> None:
    xml, files = _feed_xml(tmp_path)
    problems = check_feed(xml, "feed.xml", files, BASE)
    expected = [
        "channel: <description> is 4001 bytes",
        "item 1 (One): <enclosure> length is 999 bytes but",
        "item 2 (Two): <guid> same is also used by item 1",
        "item 2 (Two): <enclosure> https://show.example/one.mp3 is also used by item 1",
        "item 2 (Two): <enclosure> type is 'video/mp4'; a .mp3 file is audio/mpeg",
        "<link>: URL 'https://show.example/épisode.html' is not ASCII",
    ]
    for fragment in expected:
        assert sum(fragment in problem for problem in problems) == 1, (fragment, problems)
    assert len(problems) == len(expected), problems


def test_check_feed_tags(tmp_path: Path) -> None:
    xml, files = _feed_xml(tmp_path)
    root = etree.fromstring(xml)
    channel = root.find("channel")
    for tag in ("{https://podcastindex.org/namespace/1.0}guid", "language"):
        channel.remove(channel.find(tag))
    channel.find("{http://www.itunes.com/dtds/podcast-1.0.dtd}explicit").text = "yes"
    item = channel.find("item")
    item.find("pubDate").text = "Mon, 05 Jan 2026 09:00:00"
    channel.findall("item")[1].find("pubDate").text = "5 January 2026"
    item.find("enclosure").set("url", BASE + "missing.mp3")
    problems = check_feed(etree.tostring(root), "feed.xml", files, BASE)
    for fragment in ("<podcast:guid> is missing", "<language> is missing", "<itunes:explicit> is 'yes'; Apple expects true",
                     "item 1 (One): <pubDate> 'Mon, 05 Jan 2026 09:00:00' has no time zone",
                     "item 2 (Two): <pubDate> '5 January 2026' is not an RFC 2822 date",
                     "https://show.example/missing.mp3 points at no file that will be published"):
        assert any(fragment in problem for problem in problems), (fragment, problems)
    assert check_feed(b"<rss><channel>", "feed.xml", files, BASE)[0].startswith("feed.xml: not well-formed XML")


def test_a_built_show_passes(tmp_path: Path) -> None:
    show = small_show(tmp_path / "show")
    run_stage(show, "feed")
    assert run_stage(show, "validate") == []


def test_validate_stops_with_every_problem(tmp_path: Path) -> None:
    show: Project = small_show(tmp_path / "show")
    with pytest.raises(ValidationError) as missing:
        run_stage(show, "validate")
    assert "feed.xml: not built yet" in str(missing.value)

    run_stage(show, "feed")
    image(show.root / "config" / "cover.jpg", (1000, 800), "RGBA", "PNG")  # wrong size, shape, mode and type
    mp3 = episode_paths(show, episode_of(show, "463")).podcast_mp3
    with mp3.open("ab") as handle:  # the MP3 changed after the feed was written
        handle.write(b"\0" * 10)
    with pytest.raises(ValidationError) as caught:
        run_stage(show, "validate")
    problems = caught.value.problems
    assert sum("config/cover.jpg" in p for p in problems) == 4
    assert any("feed.xml: item 1" in p and f"<enclosure> length is {mp3.stat().st_size - 10} bytes" in p for p in problems)
    assert str(caught.value).startswith(f"feed validation found {len(problems)} problems:")
    assert caught.value.exit_code == 6
    assert feed_path(show).is_file()
