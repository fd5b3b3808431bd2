"""Importing an existing show: the feed's items read, given folders and written; recordings over real HTTP (ranges);
real shows' feeds (tests/data/feeds) imported whole and rebuilt."""

from __future__ import annotations

import hashlib
import re
import shutil
from datetime import UTC, datetime
from pathlib import Path

import feedparser
import pytest
import yaml

from pipeline.cli import main
from pipeline.config.episode import EpisodeConfig
from pipeline.config.load import load_project
from pipeline.errors import BatchError, ConfigError, InputError
from pipeline.feed.guid import item_guid
from pipeline.imports import import_feed
from pipeline.imports.download import cached_part
from pipeline.imports.feed import FeedItem, chapters_from_json, parse_feed, plain_text
from pipeline.imports.ids import episode_ids
from pipeline.layout import Project, feed_path, site_dir
from pipeline.serve import running_server
from tests import media
from tests.conftest import run_stage
from tests.helpers import HOSTILE_ITEM_TITLE, build_artefacts, item, old_show, rss, small_show, write_episode_yaml, write_feed

FEEDS = Path(__file__).parent / "data" / "feeds"


# ---------------------------------------------------------------- pure functions


def test_items_keep_guid_date_zone_and_podcasting_links() -> None:
    feed = parse_feed(rss([
        item("b", "Second", "Tue, 03 Nov 2020 09:00:00 -0800", "https://x/b.mp3",
             extra='<podcast:transcript url="https://x/b.vtt" type="text/vtt"/>'
                   '<podcast:transcript url="https://x/b.srt" type="application/srt"/>'
                   '<podcast:chapters url="https://x/b.json" type="application/json+chapters"/>'
                   "<itunes:season>2</itunes:season><itunes:episodeType>bonus</itunes:episodeType>"),
        item("a", HOSTILE_ITEM_TITLE, "Mon, 02 Nov 2020 09:00:00 +0100", "https://x/a.mp3", number=7),
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


def of(number: int | None = None, season: int | None = None, kind: str = "full", guid: str = "g", title: str = "t") -> FeedItem:
    return FeedItem(guid, title, datetime(2020, 1, 1, tzinfo=UTC), "", None, number=number, season=season, episode_type=kind)


def ids(items: list[FeedItem], imported: dict[str, str] | None = None, taken: tuple[str, ...] = ()) -> list[str]:
    return [placement.episode_id for placement in episode_ids(items, imported, taken)]


def test_two_seasons_that_number_from_one_get_folders_of_their_own() -> None:
    placements = episode_ids([of(1, 1), of(2, 1), of(1, 2), of(2, 2), of(117, 3)])
    assert [p.episode_id for p in placements] == ["s1e01", "s1e02", "s2e01", "s2e02", "s3e117"]
    assert placements[2].why == "season 2, episode 1" and not placements[2].imported


def test_without_seasons_the_number_else_the_place_in_the_feed_never_twice() -> None:
    assert ids([of(), of(), of(2), of()]) == ["1", "3", "2", "4"]
    assert ids([of(), of()], taken=("1",)) == ["2", "3"]
    placements = episode_ids([of(), of(1)])
    assert placements[0].why == "no episode number: item 1 of the feed; episodes/1/ is for the item 't', so the next free number"


def test_a_number_twice_in_a_season_trailers_and_bonus_items_without_numbers() -> None:
    items = [of(None, 1, "trailer"), of(3, 2, title="first"), of(3, 2, title="second"), of(None, 2, "bonus"),
             of(None, 2, "bonus"), of(None, None, "trailer"), of(None, 2), of(None, None, "bonus", title="b"),
             of(5, None, "bonus")]
    placements = episode_ids(items)
    assert [p.episode_id for p in placements] == [
        "s1-trailer", "s2e03", "s2e03-2", "s2-bonus", "s2-bonus-2", "trailer", "s2e05", "bonus", "5"]
    assert placements[2].why == "season 2, episode 3; episodes/s2e03/ is for the item 'first'"
    assert placements[6].why == "no episode number: item 5 of season 2"  # its place among season 2's items


def test_an_item_imported_before_keeps_its_folder_and_other_folders_are_not_taken() -> None:
    items = [of(1, 1, guid="a"), of(1, 2, guid="b"), of(1, 2, guid="c"), of(guid="a")]
    placements = episode_ids(items, imported={"a": "7", "b": "s2e01"}, taken=("s1e01", "s2e01-2"))
    assert [p.episode_id for p in placements] == ["7", "s2e01", "s2e01-3", "1"]
    assert [p.imported for p in placements] == [True, True, False, False]  # a later item repeating guid a is not it
    assert placements[2].why == "season 2, episode 1; episodes/s2e01/ holds 't'"
    assert ids([of(4)], taken=("4",)) == ["4-2"] and episode_ids([of(4)], taken=("4",))[0].why.endswith(
        "episodes/4/ is another episode")


def test_podcasting20_seasons_and_numbers_under_either_namespace_and_repeated_guids() -> None:
    for namespace in ("https://podcastindex.org/namespace/1.0",
                      "https://github.com/Podcastindex-org/podcast-namespace/blob/main/docs/1.0.md"):
        data = rss([
            item("a", "A", "Mon, 02 Nov 2020 09:00:00 +0000", "https://x/a.mp3",
                 extra='<podcast:season name="Breakfasts">2</podcast:season><podcast:episode display="A">5</podcast:episode>'
                       '<podcast:transcript url="https://x/a.srt" type="application/x-subrip"/>'),
            item("b", "B", "Mon, 09 Nov 2020 09:00:00 +0000", "https://x/b.mp3", number=7, season=3,
                 extra="<podcast:season>9</podcast:season><podcast:episode>315.5</podcast:episode>"),
            item("c", "C", "Mon, 16 Nov 2020 09:00:00 +0000", "https://x/c.mp3", season=0,
                 extra="<podcast:episode>315.5</podcast:episode>"),
            item("a", "A again", "Mon, 23 Nov 2020 09:00:00 +0000", "https://x/a2.mp3"),
        ]).replace(b"https://podcastindex.org/namespace/1.0", namespace.encode())
        a, b, c, again = parse_feed(data, "old.xml").items
        assert (a.season, a.season_name, a.number, [t.url for t in a.transcripts]) == (2, "Breakfasts", 5, ["https://x/a.srt"])
        assert (b.season, b.number) == (3, 7)  # itunes: first
        assert (c.season, c.number) == (None, None)  # season 0 is none; a decimal episode is no whole number
        assert not a.problems and again.problems == (
            "its guid 'a' is also the guid of the older item 'A' (2020-11-02), so podcast apps take both for one episode",)


def test_the_folders_of_real_shows() -> None:
    show_1865 = parse_feed((FEEDS / "1865.xml").read_bytes(), "1865.xml")
    assert ids(list(show_1865.items)) == [
        "s1-trailer", "s1e01", "s1-bonus", "s1e17", "s1-bonus-2", "s2-trailer", "s2e01", "s2-bonus", "s2e10", "s2-bonus-2",
        "trailer"]
    mn_show = parse_feed((FEEDS / "themnshow.xml").read_bytes(), "themnshow.xml")
    assert mn_show.podcast_guid == "7a2d292c-8656-5fcf-88d2-31b10e54d7c7"
    assert [item.title for item in mn_show.items] == ["Community", "Social Media"]  # the podcast:liveItem is no episode
    assert ids(list(mn_show.items)) == ["s2e53", "s1e54"]
    assert [(item.season_name, item.transcripts[0].type) for item in mn_show.items] == [
        ("Supper with Dr. Tim", "application/x-subrip"), ("Breakfasts with Dr. Tim", "application/x-subrip")]


def test_episode_yaml_keeps_the_season_and_the_number_or_none() -> None:
    def config(**fields: object) -> EpisodeConfig:
        return EpisodeConfig.model_validate({"title": "t", "date": "2020-01-01T00:00:00+00:00", "recording": "r.mp3",
                                             "description": "d", **fields})

    assert config(number=1, season=2).label == "S2 E1" and config(number=463).label == "#463"
    assert config(guid="x", episode_type="trailer").label == "Trailer" and config(guid="x").label == ""
    with pytest.raises(ValueError, match=r"number: is required .* only an imported episode"):
        config()
    with pytest.raises(ValueError, match=r"season_name: names a season"):
        config(number=1, season_name="Supper")


def test_seasons_may_repeat_numbers_but_guids_and_derived_guids_may_not(tmp_path: Path) -> None:
    project = small_show(tmp_path / "show")
    write_episode_yaml(project, "s1e01", number=1, season=1, guid="old-1")
    write_episode_yaml(project, "s2e01", number=1, season=2, guid="old-2")
    write_episode_yaml(project, "s2e01-2", number=1, season=2, guid="old-3")  # the old feed numbered two items 1
    write_episode_yaml(project, "s2-trailer", number=None, season=2, episode_type="trailer", guid="old-4")
    assert {"s1e01", "s2e01", "s2e01-2", "s2-trailer"} <= set(load_project(project, environ={}).episodes)

    def problems(*episode_ids: str) -> str:
        with pytest.raises(ConfigError) as caught:
            load_project(project, environ={})
        for episode_id in episode_ids:
            shutil.rmtree(project.episodes_dir / episode_id)
        return "\n".join(caught.value.problems)

    write_episode_yaml(project, "s3e01", number=1, season=3)  # its guid would come from number 1 ...
    write_episode_yaml(project, "s4e01", number=1, season=4)  # ... and so would this one's
    write_episode_yaml(project, "x", number=9, guid="old-4")
    write_episode_yaml(project, "y", number=None)
    found = problems("s3e01", "s4e01", "x", "y")
    assert "episodes/y/episode.yaml: number: is required (the episode's guid in the feed is made from it)" in found
    assert ("episodes/s4e01/episode.yaml: number: 1 (season 4) is already used by episodes/s3e01; each episode needs its "
            "own number (its guid in the feed is made from the number alone") in found
    assert "episodes/x/episode.yaml: guid: 'old-4' is also episodes/s2-trailer's" in found
    write_episode_yaml(project, "s2e01-3", number=1, season=2)  # no guid of its own: no old feed gave it number 1
    assert "episodes/s2e01-3/episode.yaml: number: 1 (season 2) is already used by episodes/s2e01;" in problems("s2e01-3")


def test_chapters_file_becomes_ascending_chapters_from_zero() -> None:
    chapters = chapters_from_json({"version": "1.2.0", "chapters": [
        {"startTime": 65.4, "title": "Two <i>b</i>", "url": "https://x/"}, {"startTime": 65.9, "title": "dup"},
        {"startTime": 12, "title": "One"}, {"startTime": 30, "title": "hidden", "toc": False}]})
    assert chapters == [{"start": "0:00:00", "title": "Introduction"}, {"start": "0:00:12", "title": "One"},
                        {"start": "0:01:05", "title": "Two b", "url": "https://x/"}]
    assert plain_text("a&amp;b<br/>c<script>x()</script>") == "a&b\n\nc"


# ---------------------------------------------------------------- a whole import over HTTP on loopback


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
        assert [(p.action, p.episode_id) for p in planned.planned] == [
            ("import", "1"), ("import", "2"), ("import", "3"), ("import", "4"), ("import", "5")]
        assert planned.summary() == "5 to import, 0 already here, 0 to refuse, 0 left out"
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


# ---------------------------------------------------------------- a real show, whole


def serve_real_feed(name: str, folder: Path, base: str) -> str:
    """The saved feed `name`, written into the served `folder` with each enclosure pointing at its own copy of a short
    real recording there; its URL."""
    media.ffmpeg("-i", Path(__file__).parent / "data" / "jfk.flac", "-t", "3", "-ac", "1", "-b:a", "32k", folder / "speech.mp3")
    count = iter(range(1, 1000))

    def local(match: re.Match[str]) -> str:
        copy = f"{next(count)}.mp3"
        shutil.copyfile(folder / "speech.mp3", folder / copy)
        return f'{match.group(1)}"{base}{copy}"'

    feed = re.sub(r'(<enclosure url=)"[^"]+"', local, (FEEDS / name).read_text(encoding="utf-8"))
    (folder / name).write_text(feed, encoding="utf-8")
    return base + name


def item_numbers(feed: bytes) -> dict[str, tuple[str | None, ...]]:
    """guid → (pubDate as UTC, itunes:season, itunes:episode, podcast:season, podcast:episode, itunes:episodeType)."""
    from email.utils import parsedate_to_datetime

    from lxml import etree

    ns = {"itunes": "http://www.itunes.com/dtds/podcast-1.0.dtd", "podcast": "https://podcastindex.org/namespace/1.0"}
    found = {}
    for element in etree.fromstring(feed).iter("item"):
        def text(path: str, element: etree._Element = element) -> str | None:
            return element.findtext(path, namespaces=ns)

        date = parsedate_to_datetime(text("pubDate") or "").astimezone(UTC).isoformat()
        found[text("guid") or ""] = (date, text("itunes:season"), text("itunes:episode"), text("podcast:season"),
                                     text("podcast:episode"), text("itunes:episodeType") or "full")
    return found


REAL_1865 = ["s1-trailer", "s1e01", "s1-bonus", "s1e17", "s1-bonus-2", "s2-trailer", "s2e01", "s2-bonus", "s2e10",
             "s2-bonus-2", "trailer"]


def test_a_real_show_in_two_seasons_both_numbered_from_one_imports_whole(tmp_path: Path,
                                                                         capsys: pytest.CaptureFixture[str]) -> None:
    project = small_show(tmp_path / "show")
    (tmp_path / "old").mkdir()
    with running_server(tmp_path / "old") as base:
        url = serve_real_feed("1865.xml", tmp_path / "old", base)

        # --dry-run: each item, the folder it would get and why; nothing written
        assert main(["--root", str(project.root), "import-feed", url, "--dry-run"]) == 0
        lines = capsys.readouterr().out.splitlines()
        assert lines[1] == "import       episodes/s1e01/      'Sic Semper Tyrannis | 1': season 1, episode 1"
        assert lines[4] == ("import       episodes/s1-bonus-2/ 'Bonus: In Their Own Words': a bonus without a number in "
                            "season 1; episodes/s1-bonus/ is for the item 'Inside the Episode: S1E1'")
        assert [line.split()[1] for line in lines] == [f"episodes/{episode_id}/" for episode_id in REAL_1865]
        assert project.episode_ids() == ["463"]

        report = import_feed(project, url)
        assert report.imported == REAL_1865 and not report.failed  # every item, the second season's 1 too
        episodes = load_project(project, environ={}).episodes
        assert [(episodes[i].config.season, episodes[i].config.number, episodes[i].config.episode_type)
                for i in ("s1e01", "s2e01", "s1e17", "s2-trailer", "trailer")] == [
            (1, 1, "full"), (2, 1, "full"), (1, 17, "bonus"), (2, None, "trailer"), (None, None, "trailer")]
        assert "number" not in yaml.safe_load((project.episodes_dir / "s2-trailer" / "episode.yaml").read_text())

        # the rebuilt feed: each item's guid, date, season, number and type as the old feed had them
        for episode_id in REAL_1865:
            build_artefacts(project, episode_id, video=False)
        run_stage(project, "feed", "s2e01")
        old = item_numbers((tmp_path / "old" / "1865.xml").read_bytes())
        rebuilt = item_numbers(feed_path(project).read_bytes())
        assert {guid: rebuilt[guid] for guid in old} == {
            guid: (date, season, episode, season, episode, kind) for guid, (date, season, episode, _, _, kind) in old.items()}
        assert rebuilt[next(iter(old))][0] == "2021-11-03T08:00:00+00:00"
        index = (site_dir(project) / "index.html").read_text(encoding="utf-8")
        assert '<span class="number">S2 E1</span> Prologue 1' in index
        assert '<span class="number">Trailer</span> Introducing' in index

        # a second import adds nothing
        again = import_feed(project, url)
        assert (again.imported, len(again.skipped), again.failed) == ([], 11, [])
        assert sorted(project.episode_ids()) == sorted(["463", *REAL_1865])


def test_podcasting20_seasons_reach_episode_yaml_and_the_rebuilt_feed(tmp_path: Path) -> None:
    project = small_show(tmp_path / "show")
    (tmp_path / "old").mkdir()
    with running_server(tmp_path / "old") as base:
        url = serve_real_feed("themnshow.xml", tmp_path / "old", base)
        # its chapters and transcripts are on the show's own host, which this machine does not reach: a warning
        assert import_feed(project, url).imported == ["s2e53", "s1e54"]
    config = load_project(project, environ={}).episodes["s1e54"].config
    assert (config.season, config.season_name, config.number, config.label) == (1, "Breakfasts with Dr. Tim", 54, "S1 E54")
    assert config.imported and config.imported.transcripts[0].type == "application/x-subrip"
    build_artefacts(project, "s1e54", video=False)
    run_stage(project, "feed", "s1e54")
    feed = feed_path(project).read_text(encoding="utf-8")
    assert '<podcast:season name="Breakfasts with Dr. Tim">1</podcast:season>' in feed
    assert "<podcast:episode>54</podcast:episode>" in feed and "<itunes:season>1</itunes:season>" in feed
