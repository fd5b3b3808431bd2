"""Episode pages in headless Chromium (Debian's), served by pipeline.serve on a free local port."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from pipeline.serve import running_server
from tests.helpers import episode_of, publish_to_folder, small_show

pytestmark = pytest.mark.browser

CHROMIUM = Path("/usr/bin/chromium")
AXE = Path(__file__).resolve().parent / "js" / "node_modules" / "axe-core" / "axe.min.js"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--no-first-run"]


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, str]]:
    """(base URL, episode page key) of a small published show."""
    from tests.conftest import run_stage

    show = small_show(tmp_path_factory.mktemp("browser") / "show")
    run_stage(show, "feed")
    public = publish_to_folder(show, show.root / "public")
    with running_server(public) as base:
        yield base, f"episodes/{episode_of(show, '463').key}/index.html"


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    if not CHROMIUM.is_file():
        if os.environ.get("CI"):  # in CI a missing browser is a failure, never a pass by skipping
            pytest.fail("Debian's chromium is not installed (apt-get install chromium); .ci/run installs it")
        pytest.skip("Debian's chromium is not installed (apt-get install chromium)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


def open_page(browser, url: str):  # type: ignore[no-untyped-def]
    page = browser.new_page()
    problems: list[str] = []
    page.on("console", lambda message: problems.append(f"console {message.type}: {message.text}")
            if message.type in ("error", "warning") else None)
    page.on("pageerror", lambda error: problems.append(f"page error: {error}"))
    # Chromium's media stack cancels a range request once it has what it needs (net::ERR_ABORTED): not a failure.
    page.on("requestfailed", lambda request: problems.append(f"request failed: {request.url} {request.failure}")
            if request.failure != "net::ERR_ABORTED" else None)
    page.on("response", lambda response: problems.append(f"HTTP {response.status}: {response.url}")
            if response.status >= 400 else None)
    page.goto(url, wait_until="load")
    return page, problems


def test_captions_load_with_cues(browser, site: tuple[str, str]) -> None:  # type: ignore[no-untyped-def]
    base, key = site
    page, problems = open_page(browser, base + key)
    page.wait_for_function(
        "() => { const t = document.querySelector('#video-player').textTracks[0];"
        " return t && t.cues && t.cues.length > 0; }",
        timeout=10_000,
    )
    track = page.evaluate(
        "() => { const video = document.querySelector('#video-player'); const t = video.textTracks[0];"
        " return {kind: t.kind, language: t.language, mode: t.mode, readyState: video.querySelector('track').readyState,"
        " cues: Array.from(t.cues).map(c => [c.startTime, c.endTime, c.getCueAsHTML().textContent])}; }"
    )
    assert (track["kind"], track["language"], track["mode"], track["readyState"]) == ("captions", "en", "showing", 2)
    assert track["cues"][0] == [0, 1.2, "Welcome to the show, fish & chips."]
    assert len(track["cues"]) == 3
    assert problems == []
    page.close()


def test_clicking_a_timestamp_seeks_the_player(browser, site: tuple[str, str]) -> None:  # type: ignore[no-untyped-def]
    base, key = site
    page, problems = open_page(browser, base + key)
    for player in ("#video-player", "#audio-player"):
        page.wait_for_function(f"() => document.querySelector('{player}').readyState >= 1", timeout=10_000)
    page.click(".segment >> nth=2 >> button")
    page.wait_for_function("() => document.querySelector('#video-player').currentTime >= 2.4", timeout=5_000)
    assert 2.4 <= page.evaluate("document.querySelector('#video-player').currentTime") < 3.6
    assert "current" in (page.get_attribute(".segment >> nth=2", "class") or "")

    # Once the audio player is in use, timestamps seek it instead.
    page.evaluate("() => { const v = document.querySelector('#video-player'); v.pause(); }")
    page.evaluate("() => document.querySelector('#audio-player').play().catch(() => {})")
    page.wait_for_function("() => !document.querySelector('#audio-player').paused", timeout=5_000)
    page.click(".segment >> nth=1 >> button")
    page.wait_for_function("() => { const t = document.querySelector('#audio-player').currentTime; return t >= 1.2 && t < 2.4; }",
                           timeout=5_000)
    assert page.evaluate("document.querySelector('#video-player').paused")
    assert problems == []
    page.close()


def test_show_page_has_no_errors(browser, site: tuple[str, str]) -> None:  # type: ignore[no-untyped-def]
    base, key = site
    page, problems = open_page(browser, base)
    page.click(f"a[href='{key}']")
    page.wait_for_url(base + key)
    assert page.locator("h1").inner_text() == "Does Massage Help Restless Leg Syndrome?"
    assert problems == []
    page.close()


def test_demo_episode_page(browser, built_463, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    """The real episode 463 (Whisper captions, rendered video): cues load, a timestamp seeks, no errors."""
    public = publish_to_folder(built_463, tmp_path / "public")
    key = f"episodes/{episode_of(built_463, '463').key}/index.html"
    with running_server(public) as base:
        page, problems = open_page(browser, base + key)
        page.wait_for_function("() => { const t = document.querySelector('#video-player').textTracks[0];"
                               " return t && t.cues && t.cues.length > 10; }", timeout=10_000)
        page.wait_for_function("() => document.querySelector('#video-player').readyState >= 1", timeout=10_000)
        button = page.locator(".segment button").nth(5)
        start = float(button.get_attribute("data-seek") or "nan")
        assert start > 10
        button.click()
        page.wait_for_function(f"() => document.querySelector('#video-player').currentTime >= {start}", timeout=5_000)
        assert page.evaluate("document.querySelector('#video-player').currentTime") < start + 2
        assert problems == []
        page.close()


@pytest.fixture
def demo_site(built_463, tmp_path: Path) -> Iterator[tuple[str, str]]:  # type: ignore[no-untyped-def]
    public = publish_to_folder(built_463, tmp_path / "public")
    with running_server(public) as base:
        yield base, f"episodes/{episode_of(built_463, '463').key}/index.html"


def test_demo_page_lists_chapters_and_transcript_once_and_every_time_seeks(browser, demo_site) -> None:  # type: ignore[no-untyped-def]
    base, key = demo_site
    page, problems = open_page(browser, base + key)
    headings = page.locator("h2").all_inner_texts()
    assert [h for h in headings if "hapter" in h] == ["Jump to a chapter"] and headings.count("Transcript") == 1
    page.wait_for_function("() => document.querySelector('#video-player').readyState >= 1", timeout=10_000)
    video_time = "document.querySelector('#video-player').currentTime"

    # a time in the show notes ("mentioned at 02:38") is a button that seeks, by mouse and by keyboard
    note_times = page.locator(".notes button.seek")
    assert note_times.count() >= 2
    first, second = (float(note_times.nth(i).get_attribute("data-seek") or "nan") for i in (0, 1))
    note_times.nth(0).click()
    page.wait_for_function(f"() => Math.abs({video_time} - {first}) < 1", timeout=5_000)
    note_times.nth(1).focus()
    page.keyboard.press("Enter")
    page.wait_for_function(f"() => Math.abs({video_time} - {second}) < 1", timeout=5_000)

    # a click anywhere in a transcript paragraph seeks to it, not only on its time
    paragraph = page.locator(".segment").nth(6)
    start = float(paragraph.get_attribute("data-seek") or "nan")
    box = paragraph.bounding_box()
    assert box is not None
    paragraph.click(position={"x": box["width"] * 0.6, "y": box["height"] / 2})  # on its words, past its time
    page.wait_for_function(f"() => Math.abs({video_time} - {start}) < 1", timeout=5_000)
    assert problems == []
    page.close()


def serious_violations(page) -> list[str]:  # type: ignore[no-untyped-def]
    """axe-core's audit of the page: the rules broken with a serious or critical impact, and where."""
    if not AXE.is_file():
        pytest.fail("axe-core is not installed: make test installs it (npm ci --prefix tests/js)")
    page.add_script_tag(path=str(AXE))
    results = page.evaluate("async () => await axe.run(document)")
    return [f"{v['id']} ({v['impact']}): {v['help']} at {[n['target'] for n in v['nodes']][:3]}"
            for v in results["violations"] if v["impact"] in ("serious", "critical")]


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_show_and_episode_pages_pass_an_axe_audit(browser, demo_site, scheme: str) -> None:  # type: ignore[no-untyped-def]
    base, key = demo_site
    for url in (base, base + key):
        page = browser.new_page(color_scheme=scheme)
        page.goto(url, wait_until="load")
        assert serious_violations(page) == [], url
        page.close()
