"""Show notes: pure functions on hand-made transcripts, and the stage on a small project.

No test here loads the sentence-embedding model: chapter detection gets a small embedder of its own,
and the stage tests give the episode its chapters. Episode 463 end to end is in test_notes_463.py.
"""

from __future__ import annotations

import itertools
import json
import re
from pathlib import Path

import numpy as np
import pytest
import yaml

from pipeline.config.episode import Chapter, Link, Reference
from pipeline.config.load import load_project
from pipeline.errors import ConfigError, InputError
from pipeline.formats.chapters import chapters_document, check_chapters_document
from pipeline.formats.transcript import Segment, Transcript, Word
from pipeline.layout import Project
from pipeline.notes.chapters import (
    ChapterLimits,
    chapter_limits,
    chapters_from_config,
    detect_chapters,
    snapped,
)
from pipeline.notes.citations import (
    bibtex_to_csl,
    cite,
    format_references,
    link_urls_in_place,
    load_bibtex,
    merge_references,
)
from pipeline.notes.links import locate_links, spoken_domains
from pipeline.notes.mentions import find_phrase
from pipeline.notes.render import escape_markdown, markdown_to_html
from pipeline.notes.sentences import (
    TimedSentence,
    compact,
    format_time,
    split_sentences,
    spoken_tokens,
    transcript_words,
)
from pipeline.notes.summary import summarize
from pipeline.notes.titles import phrases_of, topic_titles
from tests.conftest import REPO, edit_episode, make_context, run_stage
from tests.helpers import nothing_edited
from tests.topics import boundary_scores, topic_episode

SECONDS_PER_WORD = 0.4


def make_transcript(*sentences: str, start: float = 0.0, pause: float = 0.3, tail: float = 1.0) -> Transcript:
    """One segment per sentence, words 0.4 s apart; Whisper-style pieces: '.org' is its own word."""
    segments, clock = [], start
    for sentence in sentences:
        words = []
        for piece in sentence.replace(".org", " .org").replace(".gov", " .gov").split():
            words.append(Word(text=piece, start=round(clock, 3), end=round(clock + SECONDS_PER_WORD - 0.05, 3)))
            clock += SECONDS_PER_WORD
        segments.append(Segment(text=sentence, start=words[0].start, end=words[-1].end, words=tuple(words)))
        clock += pause
    return Transcript(segments=tuple(segments), engine="test", model="test", language="en",
                      duration=round(clock + tail, 3), input_hash="test")


def tokens_of(transcript: Transcript) -> list[Word]:
    return spoken_tokens(transcript_words(transcript))


# ---------------------------------------------------------------- sentences and times


def test_word_pieces_join_and_abbreviations_do_not_end_sentences() -> None:
    transcript = make_transcript("Go to the U.S. National Library of Medicine and Research Match.org today.",
                                 "No massage-related studies.")
    tokens = [t.text for t in tokens_of(transcript)]
    assert "Match.org" in tokens
    sentences = split_sentences(transcript)
    assert [s.text for s in sentences] == [
        "Go to the U.S. National Library of Medicine and Research Match.org today.", "No massage-related studies.",
    ]
    assert sentences[1].start == pytest.approx(transcript.segments[1].start)


def test_segments_without_word_times_are_spread_evenly() -> None:
    transcript = Transcript(segments=(Segment(text="One two three four.", start=10.0, end=12.0),), engine="t", model="t",
                            language="en", duration=12.0, input_hash="t")
    words = transcript_words(transcript)
    assert [w.start for w in words] == [10.0, 10.5, 11.0, 11.5]
    assert split_sentences(transcript)[0].end == 12.0


@pytest.mark.parametrize(("seconds", "text"), [(0, "00:00"), (65.9, "01:05"), (3723.2, "1:02:03")])
def test_format_time(seconds: float, text: str) -> None:
    assert format_time(seconds) == text


def test_compact_reads_spoken_addresses() -> None:
    spoken = ["ResearchMatch.org", "research match dot org", "Research Match.org"]
    assert {compact(text) for text in spoken} == {"researchmatchorg"}


# ---------------------------------------------------------------- links


LINKS = [
    Link(title="U.S. National Library of Medicine: ClinicalTrials.gov", url="https://clinicaltrials.gov/",
         mentions=["National Library of Medicine"]),
    Link(title="ResearchMatch.org", url="https://www.researchmatch.org/"),
    Link(title="Leg Massagers for Restless Leg Syndrome", url="http://bit.ly/rlsmassager", mentions=["leg massager"]),
    Link(title="Never spoken of", url="https://example.com/quiet"),
]


def test_links_get_the_time_they_are_first_spoken() -> None:
    transcript = make_transcript(
        "Welcome to the show about legs.",
        "A good alternative is a leg massager with a remote.",
        "You can look at clinical trials dot gov or Research Match.org for a study.",
        "I also like the leg massager a lot.",
    )
    tokens = tokens_of(transcript)
    located = {link.title: link for link in locate_links(tokens, LINKS)}
    massager = located["Leg Massagers for Restless Leg Syndrome"]
    assert massager.time == pytest.approx(transcript.segments[1].words[5].start)  # the first of two mentions
    trials = located["U.S. National Library of Medicine: ClinicalTrials.gov"]
    assert trials.time == pytest.approx(transcript.segments[2].words[4].start)  # "clinical trials dot gov"
    assert "clinical" in trials.mention.heard
    assert located["ResearchMatch.org"].mention.heard.startswith("Research Match.org")
    assert located["Never spoken of"].mention is None


def test_a_spoken_domain_is_tied_to_its_link_even_with_a_misheard_ending() -> None:
    transcript = make_transcript("Search Clinicaltrails.com and also wikipedia.org for more.")
    domains = spoken_domains(tokens_of(transcript), LINKS)
    assert [(d.heard, d.link_index) for d in domains] == [("Clinicaltrails.com", 0), ("wikipedia.org", None)]
    located = locate_links(tokens_of(transcript), LINKS)
    assert located[0].time == pytest.approx(transcript.segments[0].words[1].start)


def test_short_phrases_must_match_exactly() -> None:
    tokens = tokens_of(make_transcript("The RLS test was a rest.", "We rested."))
    assert find_phrase(tokens, "RLS") == []  # under four characters: never matched
    assert find_phrase(tokens, "rests") == []  # short: one letter off is not a match
    assert [m.heard for m in find_phrase(tokens, "rested")] == ["rested."]


# ---------------------------------------------------------------- summary


def test_summary_is_extractive_deterministic_in_spoken_order_and_needs_no_nltk_data() -> None:
    transcript = make_transcript(
        "Welcome back.",
        "Massage can reduce the symptoms of restless leg syndrome in small studies.",
        "My cat likes to sit on the keyboard while I record this show.",
        "Two case studies found that massage reduced restless leg symptoms after a few weeks.",
        "Restless leg syndrome has many causes, and massage may help with the symptoms.",
        "The weather was nice on Sunday afternoon.",
        "See you next week.",
    )
    sentences = split_sentences(transcript)
    chosen = summarize(sentences, 2)
    assert summarize(sentences, 2) == chosen
    assert len(chosen) == 2
    assert [s.index for s in chosen] == sorted(s.index for s in chosen)
    assert all("restless leg" in s.text.lower() for s in chosen)
    assert all(s.text != "Welcome back." for s in summarize(sentences, 4))  # fragments are not candidates


# ---------------------------------------------------------------- chapters


TOPICS = {"massage": 0, "knead": 0, "dialysis": 1, "kidney": 1, "trial": 2, "volunteer": 2}


def topic_embedder(texts: list[str]) -> np.ndarray:
    """A stand-in for the sentence model: one dimension per topic word family, plus a little shared mass."""
    vectors = np.full((len(texts), 3), 0.05)
    for row, text in enumerate(texts):
        for word, topic in TOPICS.items():
            vectors[row, topic] += text.lower().count(word)
    return vectors


def three_topics(repeat: int = 6) -> Transcript:
    massage = [f"Massage number {i} helps you knead the calf muscle slowly and gently." for i in range(repeat)]
    dialysis = [f"Patients on kidney dialysis number {i} had fewer kidney symptoms after oil." for i in range(repeat)]
    trials = [f"To volunteer for a trial number {i} you search the trial sites online." for i in range(repeat)]
    return make_transcript(*massage, *dialysis, *trials)


def test_detected_chapters_follow_topic_shifts_and_cover_the_episode() -> None:
    transcript = three_topics()
    sentences = split_sentences(transcript)
    chapters = detect_chapters(sentences, transcript.duration, ChapterLimits(20.0, 12), embed=topic_embedder)
    # each starts in the pause before its first sentence, no earlier than the end of the one before
    assert [c.start for c in chapters] == [0.0, sentences[5].end, sentences[11].end]
    assert chapters[-1].end == transcript.duration
    assert all(b.start == a.end for a, b in itertools.pairwise(chapters))
    assert all(c.end - c.start >= 20.0 for c in chapters)
    titles = [c.title.lower() for c in chapters]
    assert len(set(titles)) == 3
    assert "kidney" in titles[1] or "dialysis" in titles[1]
    assert "trial" in titles[2] or "volunteer" in titles[2]
    assert detect_chapters(sentences, transcript.duration, ChapterLimits(20.0, 12), embed=topic_embedder) == chapters


def test_no_chapter_is_shorter_than_the_minimum() -> None:
    transcript = three_topics(repeat=6)  # each topic lasts about 30 s
    sentences = split_sentences(transcript)
    chapters = detect_chapters(sentences, transcript.duration, ChapterLimits(35.0, 12), embed=topic_embedder)
    assert len(chapters) == 2
    assert all(c.end - c.start >= 35.0 for c in chapters)
    single = detect_chapters(sentences, transcript.duration, ChapterLimits(60.0, 12), embed=topic_embedder)
    assert [(c.start, c.end) for c in single] == [(0.0, transcript.duration)]


def test_never_more_chapters_than_the_limit() -> None:
    transcript = three_topics()
    sentences = split_sentences(transcript)
    chapters = detect_chapters(sentences, transcript.duration, ChapterLimits(20.0, 2), embed=topic_embedder)
    assert len(chapters) == 2
    assert chapters[1].start in {sentences[5].end, sentences[11].end}


def test_chapter_limits_follow_the_episode_length_unless_the_show_sets_them() -> None:
    assert chapter_limits(4 * 60) == ChapterLimits(30.0, 2)
    assert chapter_limits(10 * 60) == ChapterLimits(30.0, 4)
    assert chapter_limits(30 * 60) == ChapterLimits(60.0, 12)
    assert chapter_limits(90 * 60) == ChapterLimits(180.0, 20)
    assert chapter_limits(30 * 60, min_minutes=5, max_count=3) == ChapterLimits(300.0, 3)


def test_a_boundary_moves_to_the_neighbouring_speaker_change() -> None:
    sentences = [TimedSentence(f"s{i}", 10.0 * i, 10.0 * i + 9.5, i, speaker="host" if i < 4 else "guest")
                 for i in range(8)]
    assert snapped(sentences, [0, 3]) == [0, 4]
    assert snapped(sentences, [0, 4]) == [0, 4]
    assert snapped(sentences, [0, 6]) == [0, 6]  # nothing near opens more clearly: it stays


def test_title_phrases_are_noun_phrases() -> None:
    phrases = phrases_of("Sports massage helps restless leg syndrome, says the National Library of Medicine. "
                         "The side consisted of an ugly swelling near the chapel yard.")
    assert {"sports massage", "restless leg syndrome", "national library of medicine", "chapel yard"} <= set(phrases)
    assert not any(p.split()[-1] in {"helps", "consisted", "the", "an", "of", "says"} for p in phrases)
    assert all(1 <= len(p.split()) <= 4 for p in phrases)


def test_chapter_titles_come_from_the_chapters_own_words() -> None:
    titles = topic_titles(["knead the massage oil into the calf", "volunteer for a clinical trial today"], topic_embedder)
    assert titles[0] != titles[1]
    assert all(len(t.split()) <= 6 for t in titles)
    assert titles[0].split()[0][0].isupper()


def test_chapters_from_episode_yaml_end_at_the_next_start() -> None:
    chapters = [Chapter(start=0, title="Intro"), Chapter(start="01:05", title="Study", url="https://example.com/s")]
    marks = chapters_from_config(chapters, 240.0)
    assert [(m.start, m.end, m.title, m.url) for m in marks] == [(0.0, 65.0, "Intro", None), (65.0, 240.0, "Study", "https://example.com/s")]
    with pytest.raises(InputError, match="after the end of the episode"):
        chapters_from_config([Chapter(start=0, title="Intro"), Chapter(start=300, title="Late")], 240.0)


def test_chapters_json_follows_podcasting_2_0() -> None:
    marks = chapters_from_config([Chapter(start=0, title="Intro"), Chapter(start=30, title="B", url="https://e.com/")], 90.0)
    document = chapters_document(marks)
    assert document == {"version": "1.2.0", "chapters": [
        {"startTime": 0.0, "title": "Intro", "endTime": 30.0},
        {"startTime": 30.0, "title": "B", "url": "https://e.com/", "endTime": 90.0},
    ]}
    assert check_chapters_document(document, 90.0) == []


@pytest.mark.parametrize(("document", "problem"), [
    ({"version": "1.1.0", "chapters": [{"startTime": 0, "title": "A"}]}, "version"),
    ({"version": "1.2.0", "chapters": []}, "non-empty"),
    ({"version": "1.2.0", "chapters": [{"startTime": 5, "title": "A"}]}, "must start at 0"),
    ({"version": "1.2.0", "chapters": [{"startTime": 0, "title": "A"}, {"startTime": 0, "title": "B"}]}, "not after"),
    ({"version": "1.2.0", "chapters": [{"startTime": 0, "title": " "}]}, "title"),
    ({"version": "1.2.0", "chapters": [{"startTime": 0, "title": "A", "url": "javascript:alert(1)"}]}, "url"),
    ({"version": "1.2.0", "chapters": [{"startTime": 0, "title": "A"}, {"startTime": 95, "title": "B"}]}, "before the end"),
])
def test_chapters_json_problems_are_found(document: dict, problem: str) -> None:
    problems = check_chapters_document(document, 90.0)
    assert problems and any(problem in p for p in problems), problems


# ---------------------------------------------------------------- citations


def episode_463_references() -> list[Reference]:
    data = yaml.safe_load((REPO / "episodes" / "463" / "episode.yaml").read_text(encoding="utf-8"))
    return [Reference.model_validate(r) for r in data["references"]]


def test_apa_citations_are_numbered_in_order_of_first_mention_with_links() -> None:
    russell, ajorpaz = episode_463_references()
    transcript = make_transcript(
        "Hello there.",
        "The second study is about kidney dialysis patients and lavender oil.",
        "Later, the first study is called massage therapy and restless legs syndrome.",
    )
    citations = cite([russell, ajorpaz, Reference(title="A book nobody mentions")], tokens_of(transcript), "apa")
    assert [c.reference.title for c in citations] == [ajorpaz.title, russell.title, "A book nobody mentions"]
    assert [c.number for c in citations] == [1, 2, 3]
    assert citations[0].time == pytest.approx(transcript.segments[1].words[1].start)
    assert citations[1].time == pytest.approx(transcript.segments[2].words[2].start)
    assert citations[2].time is None
    assert citations[0].formatted.startswith("Mirbagher Ajorpaz, N., Rahemi, Z., Aghajani, M., \\& Hashemi, S. H. (2020).")
    assert "*Journal of Bodywork and Movement Therapies*" in citations[0].formatted
    # APA prints the DOI itself: it becomes a link there, and is not repeated after the entry
    assert citations[0].formatted.count("doi.org") == 1
    assert citations[0].formatted.endswith("88–92. <https://doi.org/10.1016/j.jbmt.2019.06.012>")
    assert dict(citations[0].links) == {"PubMed": "https://pubmed.ncbi.nlm.nih.gov/31987569/"}
    assert citations[1].formatted.startswith("Russell, M. (2007). Massage therapy and restless legs syndrome.")
    assert citations[1].links == ()


def test_a_url_the_style_prints_becomes_a_link_in_place() -> None:
    links = (("DOI", "https://doi.org/10.1/x"), ("PubMed", "https://pubmed.ncbi.nlm.nih.gov/1/"))
    assert link_urls_in_place("Smith (2020). Title. https://doi.org/10.1/x", links) == (
        "Smith (2020). Title. <https://doi.org/10.1/x>", links[1:])
    assert link_urls_in_place("Smith (2020). Title.", links) == ("Smith (2020). Title.", links)
    odd = (("DOI", "https://doi.org/10.1002/(SICI)35:4<423::AID>3.0.CO;2-E"),)
    assert link_urls_in_place(f"Title. {odd[0][1]}", odd) == (f"Title. {odd[0][1]}", odd)


def test_another_style_and_an_unknown_one() -> None:
    russell, _ = episode_463_references()
    [ieee] = format_references([russell], "ieee")
    assert ieee.startswith("M. Russell")  # the style's own "[1]" is dropped: the notes number the list
    with pytest.raises(ConfigError, match=r"notes\.citation_style: 'no-such-style'"):
        format_references([russell], "no-such-style")


BIBTEX = r"""
@article{ajorpaz2020,
  author = {Mirbagher Ajorpaz, Neda and Rahemi, Zahra and Aghajani, Mohammad and Hashemi, Sayyed Hossein},
  title = {Effects of glycerin oil and lavender oil massages on hemodialysis patients' restless legs syndrome},
  journal = {Journal of Bodywork and Movement Therapies},
  volume = {24}, number = {1}, pages = {88--92}, year = {2020}, month = jan,
  doi = {https://doi.org/10.1016/j.jbmt.2019.06.012},
}
@book{smith2019,
  author = {Smith, J{\"o}rg},
  title = {The {Massage} Book},
  publisher = {Example Press}, year = {2019},
  mentions = {massage book; Smith's book},
}
"""


def test_bibtex_references(tmp_path: Path) -> None:
    path = tmp_path / "references.bib"
    path.write_text(BIBTEX, encoding="utf-8")
    ajorpaz, book = load_bibtex(path)
    assert ajorpaz.DOI == "10.1016/j.jbmt.2019.06.012"
    csl = ajorpaz.csl("x")
    assert csl["type"] == "article-journal" and csl["page"] == "88-92" and csl["issue"] == "1"
    assert csl["issued"] == {"date-parts": [[2020, 1]]}
    assert csl["author"][0] == {"family": "Mirbagher Ajorpaz", "given": "Neda"}
    assert book.title == "The Massage Book" and book.mentions == ["massage book", "Smith's book"]
    assert book.csl("y")["author"] == [{"family": "Smith", "given": "Jörg"}]
    [formatted] = format_references([book], "apa")
    assert formatted.startswith("Smith, J. (2019). *The Massage Book*. Example Press.")
    yaml_refs = episode_463_references()
    merged = merge_references(yaml_refs, [ajorpaz, book])
    assert [r.title for r in merged] == [yaml_refs[0].title, yaml_refs[1].title, "The Massage Book"]  # same DOI: once


def test_a_bad_bibtex_entry_is_reported_with_its_file_and_key(tmp_path: Path) -> None:
    path = tmp_path / "references.bib"
    path.write_text("@misc{bad1, title = {Sneaky}, url = {javascript:alert(1)}}\n", encoding="utf-8")
    with pytest.raises(ConfigError) as caught:
        load_bibtex(path, "episodes/9/references.bib")
    assert "episodes/9/references.bib: @misc{bad1}: URL" in str(caught.value)
    assert bibtex_to_csl({"ENTRYTYPE": "misc", "ID": "x", "title": "T", "url": "https://e.com/"})["type"] == "article"


# ---------------------------------------------------------------- rendering and hostile input


def test_markdown_escaping_shows_text_as_text() -> None:
    hostile = '<script>alert("x")</script> [click](javascript:alert(1)) *bold* & more'
    html = markdown_to_html(escape_markdown(hostile))
    assert "<script" not in html and "&lt;script&gt;" in html
    assert "href" not in html and "<em>" not in html
    assert markdown_to_html(escape_markdown("# 463. Not a heading")).startswith("<p>")
    assert markdown_to_html(escape_markdown("463. Not a list")).startswith("<p>")


def test_markdown_renderer_refuses_script_urls_even_unescaped() -> None:
    html = markdown_to_html("[a](javascript:alert(1)) [b](data:text/html;base64,PHNjcmlwdD4=) <script>x</script>")
    assert 'href="javascript' not in html and 'href="data:' not in html and "<script>" not in html


@pytest.mark.parametrize("url", ["javascript:alert(1)", "data:text/html,<script>alert(1)</script>", "/relative/page"])
def test_hostile_link_urls_are_refused_at_validation_with_the_field_named(project: Project, url: str) -> None:
    path = project.episodes_dir / "463" / "episode.yaml"
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    data["links"][2]["url"] = url
    data["references"][0]["URL"] = url
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    with pytest.raises(ConfigError) as caught:
        load_project(project, environ={})
    message = str(caught.value)
    assert "episodes/463/episode.yaml: links[2].url:" in message
    assert "episodes/463/episode.yaml: references[0].URL:" in message
    assert "javascript:, data: and relative links are refused" in message


def hostile_project(project: Project) -> Transcript:
    """Episode 463 with a hostile title and transcript, chapters given (no model), and captions present."""
    edit_episode(project, "463",
                 title="RLS <script>alert('title')</script> & <b>you</b>",
                 slug="rls",
                 summary="A summary with <img src=x onerror=alert(1)> in it.",
                 chapters=[{"start": "00:00", "title": "Intro <script>1</script>"},
                           {"start": "00:10", "title": "Trials", "url": "https://clinicaltrials.gov/"}])
    transcript = make_transcript(
        "Welcome to Massage Monday, episode 463. <script>alert('transcript')</script>",
        "The first study is called massage therapy and restless legs syndrome.",
        "Visit clinical trials dot gov from the National Library of Medicine.",
        "The second study was on kidney dialysis patients.",
    )
    build = project.build_dir / "463"
    transcript.save(build / "transcript.json")
    (build / "captions.vtt").write_text("WEBVTT\n", encoding="utf-8")
    nothing_edited(make_context(project, "463").paths, transcript.duration)
    return transcript


def test_stage_writes_escaped_notes_and_valid_chapters(project: Project) -> None:
    transcript = hostile_project(project)
    written = run_stage(project, "notes")
    build = project.build_dir / "463"
    assert sorted(p.name for p in written) == ["chapters.json", "shownotes.html", "shownotes.md"]
    assert not list(build.glob(".*part*"))  # nothing half-written left behind

    document = json.loads((build / "chapters.json").read_text(encoding="utf-8"))
    assert check_chapters_document(document, transcript.duration) == []
    assert document["chapters"][1] == {"startTime": 10.0, "title": "Trials", "url": "https://clinicaltrials.gov/",
                                       "endTime": transcript.duration}

    html = (build / "shownotes.html").read_text(encoding="utf-8")
    assert "<script" not in html and "<img" not in html and "<b>" not in html
    assert "Intro &lt;script&gt;1&lt;/script&gt;" in html
    assert "&lt;img src=x onerror=alert(1)&gt;" in html
    assert html.startswith('<div class="shownotes" data-episode="463">')
    assert "<h1>" not in html  # the title is the feed item's and the page's, not the fragment's

    markdown = (build / "shownotes.md").read_text(encoding="utf-8")
    assert markdown.startswith("# RLS \\<script\\>alert('title')\\</script\\> \\& \\<b\\>you\\</b\\>\n")
    assert "- 00:10 [Trials](<https://clinicaltrials.gov/>)" in markdown
    vtt_url = "http://127.0.0.1:8000/episodes/463-rls/captions.vtt"
    assert f"[Captions (WebVTT)](<{vtt_url}>)" in markdown
    assert "captions.srt" not in markdown  # not built, so not linked
    assert f'<a href="{vtt_url}">Captions (WebVTT)</a>' in html
    assert "(mentioned at 00:" in markdown and "(discussed at 00:" in markdown
    assert "Voice: espeak-ng speech synthesis (demo recording)" in html


def test_stage_without_a_transcript_says_what_to_run(project: Project) -> None:
    with pytest.raises(InputError, match="no transcript yet"):
        run_stage(project, "notes")


def test_transcript_text_in_a_generated_summary_is_escaped() -> None:
    from pipeline.notes.summary import summary_text
    from pipeline.stages.notes import notes_values, render_notes

    transcript = make_transcript("The host typed <script>alert('transcript')</script> into the notes.", "That was all.")
    summary = summary_text(split_sentences(transcript))  # the sentences, as a summary built from them reads
    assert "<script>" in summary
    markdown, html = render_notes(notes_values("T", summary, [], [], [], [], []), "1")
    assert "<script" not in html and "&lt;script&gt;alert('transcript')&lt;/script&gt;" in html
    assert "\\<script\\>" in markdown


def test_chapters_of_real_text_follow_its_stories() -> None:
    """Half an hour of real news text, about ten stories in a row (tests/topics.py); BENCH=notes measures
    F1 0.7–0.9 on such episodes. Bounds here leave room for another CPU's sentence vectors."""
    episode = topic_episode(30, seed=3)
    limits = chapter_limits(episode.duration)
    chapters = detect_chapters(episode.sentences, episode.duration, limits)
    assert 4 <= len(chapters) <= limits.max_count
    assert boundary_scores([c.start for c in chapters[1:]], episode.boundaries)[2] >= 0.6
    spans = zip(chapters, [*[c.start for c in chapters[1:]], episode.duration], strict=True)
    for chapter, end in spans:
        said = " ".join(s.text.lower() for s in episode.sentences if chapter.start - 1 <= s.start < end)
        assert 1 <= len(chapter.title.split()) <= 4
        assert chapter.title.lower() in re.sub(r"[^\w\s'-]", "", said)  # its own words
        assert chapter.title.split()[-1].lower() not in {"the", "a", "an", "of", "and", "is", "was", "said"}
    assert len({c.title for c in chapters}) == len(chapters)
    shifted = [TimedSentence(s.text, s.start + 0.01, s.end + 0.01, s.index) for s in episode.sentences]
    again = detect_chapters(shifted, episode.duration + 0.01, limits)
    assert [round(c.start - 0.01, 2) for c in again[1:]] == [c.start for c in chapters[1:]]
