"""Episode 463 end to end: the facts issue 4 lists, checked on the session's built episode.

These use the `built_463` session fixture (real Whisper, the real sentence-embedding model); they
are the notes tests marked `slow`. Where the recording discusses something is found independently
of the notes code: the script (episodes/463/script.txt, which the recording speaks) is aligned word
by word with the transcript, and a phrase's place in the script gives its time in the recording.
"""

from __future__ import annotations

import difflib
import json
import re
from pathlib import Path

import pytest

from pipeline.config.episode import EpisodeConfig
from pipeline.config.load import load_project
from pipeline.config.show import NotesSettings
from pipeline.formats.chapters import check_chapters_document
from pipeline.formats.transcript import Transcript
from pipeline.layout import Project
from pipeline.notes.chapters import chapter_limits
from pipeline.notes.links import host_of
from pipeline.notes.mentions import title_phrases
from pipeline.notes.render import escape_markdown
from pipeline.notes.sentences import compact, spoken_tokens, transcript_words

TOLERANCE_SECONDS = 5.0
SCRIPT = Path(__file__).resolve().parent.parent / "episodes" / "463" / "script.txt"


def script_clock(script: str, transcript: Transcript) -> tuple[list[int], list[float | None]]:
    """For each script word: its character offset, and the time the recording says it (None if unaligned)."""
    words = list(re.finditer(r"\S+", script))
    tokens = spoken_tokens(transcript_words(transcript))
    matcher = difflib.SequenceMatcher(None, [compact(w.group()) for w in words], [compact(t.text) for t in tokens],
                                      autojunk=False)
    times: list[float | None] = [None] * len(words)
    for block in matcher.get_matching_blocks():
        for offset in range(block.size):
            times[block.a + offset] = tokens[block.b + offset].start
    return [w.start() for w in words], times


def time_in_recording(phrase_offset: int, offsets: list[int], times: list[float | None]) -> float:
    """When the recording reaches a script position: the first aligned word at or after it."""
    first = next(i for i, offset in enumerate(offsets) if offset >= phrase_offset)
    return next(t for t in times[first:] if t is not None)


def script_offsets(script: str, phrases: list[str]) -> list[int]:
    """Every place the script says one of `phrases`."""
    return sorted(m.start() for phrase in phrases for m in re.finditer(re.escape(phrase), script, re.IGNORECASE))


def minutes(text: str) -> float:
    mm, ss = text.split(":")
    return int(mm) * 60 + int(ss)


def check_463_notes(build: Path, episode: EpisodeConfig, notes: NotesSettings) -> None:
    transcript = Transcript.load(build / "transcript.json")
    markdown = (build / "shownotes.md").read_text(encoding="utf-8")
    html = (build / "shownotes.html").read_text(encoding="utf-8")
    chapters = json.loads((build / "chapters.json").read_text(encoding="utf-8"))
    script = SCRIPT.read_text(encoding="utf-8")
    offsets, times = script_clock(script, transcript)

    # Chapters cover 0 to the end, within the limits for the episode's length.
    assert check_chapters_document(chapters, transcript.duration) == []
    marks = chapters["chapters"]
    limits = chapter_limits(transcript.duration, notes.chapters.min_minutes, notes.chapters.max_count)
    assert marks[0]["startTime"] == 0 and marks[-1]["endTime"] == pytest.approx(transcript.duration, abs=0.01)
    assert all(m["endTime"] - m["startTime"] >= limits.min_seconds for m in marks)
    assert len(marks) <= limits.max_count
    assert all(0 < len(m["title"].split()) <= 4 for m in marks)

    # Every seed link, with a time where it is spoken (the first place the recognizer heard it right).
    for link in episode.links:
        item = rf"\[{re.escape(escape_markdown(link.title))}\]\(<{re.escape(link.url)}>\)"
        line = re.search(item + r" \(mentioned at (\d\d:\d\d)\)", markdown)
        assert line, f"{link.title} is missing or has no time"
        spoken = [time_in_recording(offset, offsets, times)
                  for offset in script_offsets(script, [*link.mentions, *title_phrases(link.title), host_of(link.url)])]
        assert spoken
        assert min(abs(minutes(line.group(1)) - t) for t in spoken) <= TOLERANCE_SECONDS, (link.title, line.group(1), spoken)
        assert f'href="{link.url}"' in html

    # Both studies, formatted (APA), numbered by first mention, timed within ±5 s of their discussion.
    studies = [("Russell, M. (2007). Massage therapy and restless legs syndrome.", "The first study is called"),
               ("Mirbagher Ajorpaz, N., Rahemi, Z., Aghajani, M., \\& Hashemi, S. H. (2020).", "The second study is called")]
    for number, (formatted, where) in enumerate(studies, start=1):
        line = re.search(rf"^- \\\[{number}\\\] {re.escape(formatted)}.*\(discussed at (\d\d:\d\d)\)", markdown, re.MULTILINE)
        assert line, f"study {number} is missing, misnumbered or untimed"
        expected = time_in_recording(script.index(where), offsets, times)
        assert abs(minutes(line.group(1)) - expected) <= TOLERANCE_SECONDS, (number, line.group(1), expected)
    assert "https://doi.org/10.1016/j.jbmt.2019.06.012" in html and "https://pubmed.ncbi.nlm.nih.gov/31987569/" in html

    # A summary of 2–4 sentences (the creator’s own for 463), and the transcript linked by absolute URL.
    summary = markdown.split("\n\n")[1]
    assert 2 <= len(re.findall(r"[.?!](?:\s|$)", summary)) <= 4
    assert "http://127.0.0.1:8000/episodes/463-does-massage-help-restless-leg-syndrome/captions.vtt" in html


@pytest.mark.slow
def test_built_463_notes_facts(built_463: Project) -> None:
    loaded = load_project(built_463, environ={})
    check_463_notes(built_463.build_dir / "463", loaded.episodes["463"].config, loaded.show.notes)


@pytest.mark.slow
def test_built_463_notes_are_deterministic(built_463: Project) -> None:
    from tests.conftest import run_stage

    build = built_463.build_dir / "463"
    before = {name: (build / name).read_bytes() for name in ("shownotes.md", "shownotes.html", "chapters.json")}
    run_stage(built_463, "notes")
    assert {name: (build / name).read_bytes() for name in before} == before
