"""The web site (build/site/) and the local server behind `make serve`, over real HTTP."""

from __future__ import annotations

import re
import subprocess
import sys
import urllib.error
import urllib.request
from pathlib import Path
from urllib.parse import urljoin, urlsplit

import lxml.html
import pytest

from pipeline.layout import Project, episode_paths, site_dir
from pipeline.serve import running_server
from tests.conftest import REPO, run_stage
from tests.helpers import episode_of, publish_to_folder, small_show, write_episode_yaml

HOSTILE_TITLE = 'Legs & <script>alert("x")</script> — café'


@pytest.fixture(scope="module")
def published(tmp_path_factory: pytest.TempPathFactory) -> tuple[Project, Path]:
    show = small_show(tmp_path_factory.mktemp("site") / "show", title=HOSTILE_TITLE)
    run_stage(show, "feed")
    return show, publish_to_folder(show, show.root / "public")


def page(path: Path) -> lxml.html.HtmlElement:
    return lxml.html.fromstring(path.read_text(encoding="utf-8"))


def test_episode_page(published: tuple[Project, Path]) -> None:
    show, public = published
    episode = episode_of(show, "463")
    paths = episode_paths(show, episode)
    html_text = (public / "episodes" / episode.key / "index.html").read_text(encoding="utf-8")
    assert "<script>alert" not in html_text and "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;" in html_text
    doc = lxml.html.fromstring(html_text)
    assert doc.findtext(".//h1") == HOSTILE_TITLE
    video = doc.get_element_by_id("video-player")
    assert video.get("src") == paths.video_mp4("landscape").name
    track = video.find("track")
    assert (track.get("kind"), track.get("srclang"), track.get("src")) == ("captions", "en", paths.video_vtt.name)
    assert "default" in track.attrib
    assert doc.get_element_by_id("audio-player").get("src") == paths.podcast_mp3.name
    assert "Fish &amp; chips, <em>2 &lt; 3 &gt; 1</em>, café crème" in html_text  # the notes fragment, as HTML
    segments = doc.find_class("segment")
    assert [s.find("button").get("data-seek") for s in segments] == ["0.0", "1.2", "2.4"]
    assert segments[2].text_content().strip() == "0:02 And here is the end, café."
    assert [b.text for b in doc.find_class("chapters")[0].iter("button")] == ["0:00", "0:02"]


def test_show_page(published: tuple[Project, Path]) -> None:
    show, public = published
    doc = page(public / "index.html")
    assert doc.findtext(".//h1") == "Massage Monday"
    assert doc.find(".//img[@class='cover']").get("src") == "cover.jpg"
    subscribe = [a.get("href") for a in doc.find_class("subscribe")[0].iter("a")]
    assert subscribe[:2] == ["http://127.0.0.1:8000/feed.xml", "http://127.0.0.1:8000/feed-video.xml"]
    episodes = doc.find_class("episode-list")[0].findall("li/a")
    assert [a.get("href") for a in episodes] == [f"episodes/{episode_of(show, '463').key}/index.html"]
    assert HOSTILE_TITLE in episodes[0].text_content()


@pytest.mark.parametrize("name", ["index.html", "episode"])
def test_pages_use_only_local_files(published: tuple[Project, Path], name: str) -> None:
    """No CDN: scripts and styles are inline, and every relative link is a file that gets published."""
    show, public = published
    path = public / "index.html" if name == "index.html" else public / "episodes" / episode_of(show, "463").key / "index.html"
    doc = page(path)
    assert not doc.xpath("//script[@src] | //link[@rel='stylesheet'] | //@style[contains(., 'url(')]")
    base = "http://site.invalid/" + path.relative_to(public).as_posix()
    relative = [
        value for value in doc.xpath("//@src | //@href | //@poster")
        if not urlsplit(value).scheme
    ]
    assert len(relative) >= 3
    for value in relative:
        target = public / urlsplit(urljoin(base, value)).path.lstrip("/")
        assert target.is_file(), f"{path.name}: {value} is not published"


def test_pages_of_unpublished_episodes_are_removed(tmp_path: Path) -> None:
    show = small_show(tmp_path / "show", ("463", "464"))
    run_stage(show, "feed")
    pages = sorted(p.relative_to(site_dir(show)).as_posix() for p in site_dir(show).rglob("*.html"))
    assert len(pages) == 3
    write_episode_yaml(show, "464", draft=True)
    run_stage(show, "feed")
    assert not (site_dir(show) / "episodes" / episode_of(show, "464").key).exists()
    assert (site_dir(show) / "episodes" / episode_of(show, "463").key / "index.html").is_file()


# ---------------------------------------------------------------- the server


def request(url: str, method: str = "GET", **headers: str) -> tuple[int, dict[str, str], bytes]:
    try:
        with urllib.request.urlopen(urllib.request.Request(url, method=method, headers=headers)) as response:
            return response.status, {k.lower(): v for k, v in response.headers.items()}, response.read()
    except urllib.error.HTTPError as error:
        return error.code, {k.lower(): v for k, v in error.headers.items()}, error.read()


def test_server_types_head_and_ranges(published: tuple[Project, Path]) -> None:
    show, public = published
    episode = episode_of(show, "463")
    mp3 = episode_paths(show, episode).podcast_mp3
    data = mp3.read_bytes()
    media = f"episodes/{episode.key}/"
    with running_server(public) as base:
        status, headers, body = request(base + media + mp3.name, "HEAD")
        assert (status, headers["content-type"], body) == (200, "audio/mpeg", b"")
        assert headers["content-length"] == str(len(data)) and headers["accept-ranges"] == "bytes"
        assert "immutable" in headers["cache-control"]

        status, headers, body = request(base + media + mp3.name, Range="bytes=100-199")
        assert (status, body, headers["content-range"]) == (206, data[100:200], f"bytes 100-199/{len(data)}")
        status, _, body = request(base + media + mp3.name, Range="bytes=-10")
        assert (status, body) == (206, data[-10:])
        status, headers, _ = request(base + media + mp3.name, Range=f"bytes={len(data) + 5}-")
        assert status == 416 and headers["content-range"] == f"bytes */{len(data)}"

        expected = {
            "feed.xml": "application/rss+xml; charset=utf-8",
            "": "text/html; charset=utf-8",
            "cover.jpg": "image/jpeg",
            media + "captions.vtt": "text/vtt; charset=utf-8",
            media + "captions.srt": "application/x-subrip",
            media + "chapters.json": "application/json",
            media + episode_paths(show, episode).video_mp4("landscape").name: "video/mp4",
        }
        for key, content_type in expected.items():
            status, headers, body = request(base + key)
            assert (status, headers["content-type"]) == (200, content_type), key
        assert "max-age=300" in request(base + "feed.xml")[1]["cache-control"]
        assert request(base + "index.html")[2] == (public / "index.html").read_bytes()
        assert request(base + "missing.mp3")[0] == 404
        assert request(base + "%2e%2e/config/show.yaml")[0] == 404
        assert request(base + "feed.xml", "POST")[0] == 405


def test_serve_command_line(tmp_path: Path) -> None:
    run = [sys.executable, "-m", "pipeline.serve"]
    shown = subprocess.run([*run, "--help"], capture_output=True, text=True, cwd=REPO, check=True)
    assert "--port" in shown.stdout and "--host" in shown.stdout and "public/" in shown.stdout
    missing = subprocess.run([*run, str(tmp_path / "nothing")], capture_output=True, text=True, cwd=REPO)
    assert missing.returncode == 2 and "does not exist" in missing.stderr


def test_page_notes_drop_the_sections_the_page_has_and_make_times_seek() -> None:
    from pipeline.site.pages import page_notes

    notes = ('<div class="shownotes"><h2>Chapters</h2>\n<ul><li>00:00 Intro</li></ul>\n<h2>Links</h2>\n'
             '<ul><li><a href="https://x.example/">Study at 00:03</a> (mentioned at 02:38)</li>'
             "<li>[1] A <em>study</em> (discussed at 1:01:06) &amp; 00:05</li></ul>\n"
             '<h2>Transcript</h2><ul><li><a href="captions.vtt">WebVTT</a></li></ul></div>')
    html = str(page_notes(notes))
    assert "Chapters" not in html and "Transcript" not in html and "captions.vtt" not in html
    assert '<a href="https://x.example/">Study at 00:03</a>' in html  # a link's own text is left alone
    seeks = re.findall(r'<button type="button" class="seek" data-seek="(\d+)" aria-label="Play from ([\d:]+)">\2</button>', html)
    assert seeks == [("158", "02:38"), ("3666", "1:01:06"), ("5", "00:05")]
    assert "(discussed at <button" in html and "</button>) &amp; <button" in html
