"""Importing an existing show: the feed's items read, numbered and written; recordings over real HTTP (ranges)."""

from __future__ import annotations

import hashlib
import json
import re
from datetime import UTC, datetime
from pathlib import Path

import feedparser
import pytest
import yaml

from pipeline.config import Project, load_project
from pipeline.errors import BatchError, InputError
from pipeline.feed.guid import item_guid
from pipeline.imports import import_feed
from pipeline.imports.download import cached_part
from pipeline.imports.feed import FeedItem, chapters_from_json, episode_numbers, parse_feed, plain_text
from pipeline.layout import feed_path
from pipeline.serve import running_server
from tests import media
from tests.conftest import run_stage
from tests.test_feed_support import build_artefacts, small_show, write_episode_yaml

HOSTILE_TITLE = "<script>alert(1)</script>Ep: 'quotes' & \"more\"\x07 ../../etc/passwd {{ x }}"


def rss(items: list[str], extra: str = "") -> bytes:
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<rss version="2.0" xmlns:itunes="http://www.itunes.com/dtds/podcast-1.0.dtd"
     xmlns:podcast="https://podcastindex.org/namespace/1.0">
<channel><title>Old show</title><link>https://old.example/</link><description>An old show</description>
<podcast:guid>9b024349-ccf0-5f69-a609-6b82873eab3c</podcast:guid>{extra}
{''.join(items)}
</channel></rss>""".encode()


def item(guid: str, title: str, date: str, url: str, *, number: int | None = None, extra: str = "") -> str:
    from xml.sax.saxutils import escape

    numbered = f"<itunes:episode>{number}</itunes:episode>" if number is not None else ""
    return (f"<item><title>{escape(title)}</title><guid isPermaLink=\"false\">{guid}</guid><pubDate>{date}</pubDate>"
            f"<description><![CDATA[<p>About <b>{guid}</b>.</p><p>Second paragraph.</p>]]></description>{numbered}"
            f"<enclosure url=\"{url}\" length=\"1000\" type=\"audio/mpeg\"/>{extra}</item>\n")


# ---------------------------------------------------------------- pure functions


def test_items_keep_guid_date_zone_and_podcasting_links() -> None:
    feed = parse_feed(rss([
        item("b", "Second", "Tue, 03 Nov 2020 09:00:00 -0800", "https://x/b.mp3",
             extra='<podcast:transcript url="https://x/b.vtt" type="text/vtt"/>'
                   '<podcast:transcript url="https://x/b.srt" type="application/srt"/>'
                   '<podcast:chapters url="https://x/b.json" type="application/json+chapters"/>'
                   "<itunes:season>2</itunes:season><itunes:episodeType>bonus</itunes:episodeType>"),
        item("a", HOSTILE_TITLE, "Mon, 02 Nov 2020 09:00:00 +0100", "https://x/a.mp3", number=7),
    ]), "old.xml")
    assert feed.podcast_guid == "9b024349-ccf0-5f69-a609-6b82873eab3c"
    first, second = feed.items  # oldest first
    assert first.guid == "a" and first.number == 7 and first.date.utcoffset().total_seconds() == 3600
    assert "<" not in first.title and "\x07" not in first.title and "Ep: 'quotes' & \"more\"" in first.title
    assert first.description == "About a.\n\nSecond paragraph."
    assert second.season == 2 and second.episode_type == "bonus" and second.chapters == "https://x/b.json"
    assert [t.type for t in second.transcripts] == ["text/vtt", "application/srt"]


@pytest.mark.parametrize("data", [b"not xml at all", b"<html><body>a web page</body></html>", rss([])])
def test_what_is_not_a_feed_with_items_is_refused(data: bytes) -> None:
    with pytest.raises(InputError, match=r"old\.xml: .*(not an RSS|no items)"):
        parse_feed(data, "old.xml")


def test_numbers_from_the_feed_else_the_order_never_twice() -> None:
    def of(number: int | None) -> FeedItem:
        return FeedItem("g", "t", datetime(2020, 1, 1, tzinfo=UTC), "", None, number=number)

    assert episode_numbers([of(None), of(None), of(2), of(None)]) == [1, 3, 2, 4]
    assert episode_numbers([of(None), of(None)], taken={1}) == [2, 3]


def test_chapters_file_becomes_ascending_chapters_from_zero() -> None:
    chapters = chapters_from_json({"version": "1.2.0", "chapters": [
        {"startTime": 65.4, "title": "Two <i>b</i>", "url": "https://x/"}, {"startTime": 65.9, "title": "dup"},
        {"startTime": 12, "title": "One"}, {"startTime": 30, "title": "hidden", "toc": False}]})
    assert chapters == [{"start": "0:00:00", "title": "Introduction"}, {"start": "0:00:12", "title": "One"},
                        {"start": "0:01:05", "title": "Two b", "url": "https://x/"}]
    assert plain_text("a&amp;b<br/>c<script>x()</script>") == "a&b\n\nc"


# ---------------------------------------------------------------- a whole import over HTTP on loopback


def old_show(folder: Path) -> tuple[Path, str]:
    """Recordings (real speech), a chapters file and a text file passing for audio; the feed written by the caller."""
    folder.mkdir()
    for name in ("one", "two", "three", "four"):
        media.ffmpeg("-i", Path(__file__).parent / "data" / "jfk.flac", "-t", "3", "-ac", "1", "-b:a", "32k",
                     folder / f"{name}.mp3")
    (folder / "fake.mp3").write_text("<html>not found, but served with status 200</html>")
    (folder / "chapters.json").write_text(json.dumps({"version": "1.2.0", "chapters": [
        {"startTime": 0, "title": "Cold open"}, {"startTime": 1.5, "title": "The question"}]}))
    return folder, "feed.xml"


def write_feed(folder: Path, base: str) -> Path:
    feed = folder / "feed.xml"
    feed.write_bytes(rss([
        item("old-1", "Pilot", "Mon, 02 Nov 2020 09:00:00 -0800", base + "one.mp3", number=1,
             extra=f'<podcast:chapters url="{base}chapters.json" type="application/json+chapters"/>'),
        item("old-2", HOSTILE_TITLE, "Mon, 09 Nov 2020 09:00:00 -0800", base + "two.mp3"),
        item("old-gone", "Lost one", "Mon, 16 Nov 2020 09:00:00 -0800", base + "missing.mp3"),
        item("old-fake", "Fake one", "Mon, 23 Nov 2020 09:00:00 -0800", base + "fake.mp3"),
        item("old-5", "Fifth", "Mon, 30 Nov 2020 09:00:00 -0800", base + "three.mp3", number=5),
    ]))
    return feed


def test_import_an_old_show_over_http(tmp_path: Path) -> None:
    project = small_show(tmp_path / "show")
    show_yaml = re.sub(r"(?m)^podcast_guid:.*$", "", project.show_file.read_text())  # a show new to the pipeline
    project.show_file.write_text(show_yaml)
    folder, _ = old_show(tmp_path / "old")
    with running_server(folder) as base:
        feed = write_feed(folder, base)
        # a download an earlier import left half done: resumed with a range request, not started again
        whole = (folder / "one.mp3").read_bytes()
        part = cached_part(project.build_dir / "import", base + "one.mp3")
        part.parent.mkdir(parents=True)
        part.write_bytes(whole[: len(whole) // 2])

        planned = import_feed(project, base + "feed.xml", dry_run=True)
        assert [number for number, _title in planned.planned] == ["1", "2", "3", "4", "5"]
        assert not (project.episodes_dir / "1").exists()

        with pytest.raises(BatchError, match=r"2 imported|3 imported") as caught:
            import_feed(project, base + "feed.xml")
        message = str(caught.value)
        assert "3 imported" in message and "2 failed" in message
        assert "missing.mp3: HTTP 404" in message and "fake.mp3" in message and "not a recording" in message

        episodes = load_project(project, environ={}).episodes
        assert {"1", "2", "5"} <= set(episodes)
        assert not (project.episodes_dir / "3").exists() and not (project.episodes_dir / "4").exists()
        assert not any(p.name.startswith(".import-") for p in project.episodes_dir.iterdir())  # nothing half-built
        pilot = episodes["1"].config
        assert pilot.guid == "old-1" and pilot.date.isoformat() == "2020-11-02T09:00:00-08:00"
        assert [c.title for c in pilot.chapters or []] == ["Cold open", "The question"]
        assert (project.episodes_dir / "1" / "recording.mp3").read_bytes() == whole
        assert "<" not in episodes["2"].config.title and episodes["2"].config.guid == "old-2"
        assert project.show_file.read_text().startswith(show_yaml)  # the old feed's podcast:guid appended
        assert load_project(project, environ={}).show.podcast_guid == "9b024349-ccf0-5f69-a609-6b82873eab3c"

        # a second run imports nothing again and leaves an edited episode.yaml alone
        edited = project.episodes_dir / "2" / "episode.yaml"
        edited.write_text(edited.read_text().replace("Second paragraph.", "Edited by hand."))
        before = hashlib.sha256(edited.read_bytes()).hexdigest()
        with pytest.raises(BatchError) as again:
            import_feed(project, str(feed))
        assert "0 imported, 3 already here, 2 failed" in str(again.value)
        assert hashlib.sha256(edited.read_bytes()).hexdigest() == before


def test_a_missing_feed_file_names_it(tmp_path: Path) -> None:
    with pytest.raises(InputError, match=r"nowhere\.xml: no such feed file"):
        import_feed(Project(tmp_path), str(tmp_path / "nowhere.xml"))


def test_the_built_feed_keeps_an_imported_items_guid_and_date(tmp_path: Path) -> None:
    project = small_show(tmp_path / "show")
    write_episode_yaml(project, "12", guid="https://old.example/?p=12", date="2019-05-06T07:08:09+02:00")
    build_artefacts(project, "12", video=False)
    run_stage(project, "feed", "12")
    feed = feedparser.parse(feed_path(project).read_bytes())
    imported = next(e for e in feed.entries if e.itunes_episode == "12")
    assert imported.id == "https://old.example/?p=12" and imported.published == "Mon, 06 May 2019 07:08:09 +0200"
    own = next(e for e in feed.entries if e.itunes_episode == "463")
    assert own.id == item_guid(load_project(project, environ={}).show.podcast_guid or "", 463)
    assert yaml.safe_load((project.episodes_dir / "12" / "episode.yaml").read_text())["guid"].startswith("https://")
