"""Stage `notes`: show notes (Markdown and an HTML fragment) and Podcasting 2.0 JSON chapters.

Reads build/<id>/transcript.json and episode.yaml (title, summary, links, references, chapters) and,
when present, episodes/<id>/references.bib. Writes shownotes.md, shownotes.html and chapters.json.
"""

from __future__ import annotations

import json
import logging
from dataclasses import replace
from pathlib import Path
from typing import Any

from pipeline.atomic import write_text
from pipeline.config.episode import Chapter
from pipeline.config.vocab import Person
from pipeline.context import Context
from pipeline.edit.document import load_time_map, published_times
from pipeline.errors import InputError
from pipeline.formats.chapters import ChapterMark, chapters_document
from pipeline.formats.transcript import Transcript
from pipeline.layout import public_key, public_url
from pipeline.notes.chapters import chapter_limits, chapter_texts, chapters_from_config, detect_chapters
from pipeline.notes.citations import Citation, cite, load_bibtex, merge_references
from pipeline.notes.links import LocatedLink, locate_links, spoken_domains
from pipeline.notes.render import markdown_to_html, render_html, render_markdown
from pipeline.notes.sentences import format_time, split_sentences, spoken_tokens, transcript_words
from pipeline.notes.summary import summarize, summary_text
from pipeline.notes.writer import endpoint_of, written_summary, written_titles
from pipeline.speakers.people import episode_people

log = logging.getLogger(__name__)

BIBTEX_FILE = "references.bib"
MARKDOWN_TEMPLATE = "shownotes.md.j2"
HTML_TEMPLATE = "shownotes.html.j2"


def transcript_links(ctx: Context) -> list[tuple[str, str]]:
    """Absolute public URLs of the transcript and caption files that exist (only those get published)."""
    paths = ctx.paths
    files = [("Transcript (text)", paths.transcript_txt), ("Captions (WebVTT)", paths.captions_vtt),
             ("Captions (SRT)", paths.captions_srt)]
    return [(label, public_url(ctx.show.public_base, public_key(ctx.episode, path))) for label, path in files if path.is_file()]


def notes_values(title: str, summary: str, chapters: list[ChapterMark], links: list[LocatedLink],
                 citations: list[Citation], transcripts: list[tuple[str, str]], credits: list[str],
                 people: list[Person] | None = None) -> dict[str, Any]:
    """What the templates show, with times already written as 12:34."""
    def time(seconds: float | None) -> str | None:
        return None if seconds is None else format_time(seconds)

    return {
        "title": title,
        "summary": summary,
        "chapters": [{"time": time(c.start), "title": c.title, "url": c.url} for c in chapters],
        "links": [{"title": link.title, "url": link.url, "time": time(link.time)} for link in links],
        "citations": [{"number": c.number, "formatted": c.formatted, "time": time(c.time), "links": c.links} for c in citations],
        "transcripts": transcripts,
        "credits": credits,
        "people": [{"name": p.name, "role": p.role, "href": p.href, "img": p.img} for p in people or []],
    }


def render_notes(values: dict[str, Any], episode_id: str) -> tuple[str, str]:
    """(Markdown with the title as a heading, HTML fragment without it: the feed and page show the title)."""
    markdown = render_markdown(MARKDOWN_TEMPLATE, with_title=True, **values)
    body = render_markdown(MARKDOWN_TEMPLATE, with_title=False, **values)
    from markupsafe import Markup

    html = render_html(HTML_TEMPLATE, episode_id=episode_id, body=Markup(markdown_to_html(body)))
    return markdown, html


def distinct_starts(chapters: list[Chapter], source: str) -> list[Chapter]:
    """The chapters after the edit: the first still at 0 (an intro belongs to it), and any that the edit cut
    away (it starts where the next does) left out, with a warning."""
    kept = [chapters[0].model_copy(update={"start": 0.0})]
    for chapter in chapters[1:]:
        if chapter.start <= kept[-1].start:
            log.warning("%s: chapters: '%s' was cut by the edit; it is left out", source, chapter.title)
            continue
        kept.append(chapter)
    return kept


def run(ctx: Context) -> list[Path]:
    paths = ctx.paths
    episode = ctx.episode.config
    settings = ctx.show.notes
    transcript = Transcript.load(paths.transcript_json)
    if transcript.duration <= 0:
        raise InputError(f"{paths.transcript_json}: the transcript has no duration", hint="run the transcribe stage again")
    tokens = spoken_tokens(transcript_words(transcript))
    sentences = split_sentences(transcript, tokens)

    writer = endpoint_of(settings.writer)
    extractive = summary_text(summarize(sentences, settings.summary_sentences, transcript.language))
    summary = episode.summary or written_summary(writer, summary_text(sentences), extractive, settings.summary_sentences)
    source = f"episodes/{ctx.episode.id}/episode.yaml"
    if episode.chapters:
        given = published_times(episode.chapters, load_time_map(paths.edit_json), "start")
        chapters = chapters_from_config(distinct_starts(given, source), transcript.duration, source)
    else:
        limits = chapter_limits(transcript.duration, settings.chapters.min_minutes, settings.chapters.max_count)
        if transcript.language != "en":
            log.info("%s: chapters in %r follow its words and voices, and are titled by their most distinctive words "
                     "(the sentence model and the noun-phrase tagger are English)", ctx.episode.id, transcript.language)
        chapters = detect_chapters(sentences, transcript.duration, limits, language=transcript.language)
        titles = written_titles(writer, chapter_texts(chapters, sentences), [c.title for c in chapters], "chapter")
        chapters = [replace(chapter, title=title) for chapter, title in zip(chapters, titles, strict=True)]

    domains = spoken_domains(tokens, episode.links)
    links = locate_links(tokens, episode.links, domains)
    for link in links:
        if link.mention is None:
            log.warning("%s: links: '%s' is never mentioned in the recording; listed without a time", source, link.title)
    for domain in domains:
        if domain.link_index is None:
            log.info("%s: '%s' is spoken at %s but is not among the episode's links",
                     source, domain.heard, format_time(domain.start))

    references = list(episode.references)
    bibtex = ctx.episode.folder / BIBTEX_FILE
    if bibtex.is_file():
        references = merge_references(references, load_bibtex(bibtex, f"episodes/{ctx.episode.id}/{BIBTEX_FILE}"))
    citations = cite(references, tokens, settings.citation_style)

    people = episode_people(episode.persons or ctx.show.persons, transcript.speakers) if transcript.speakers else []
    values = notes_values(episode.title, summary, chapters, links, citations, transcript_links(ctx), list(settings.credits),
                          people)
    markdown, html = render_notes(values, ctx.episode.id)
    document = chapters_document(chapters)
    return [
        write_text(paths.chapters_json, json.dumps(document, indent=2, ensure_ascii=False) + "\n"),
        write_text(paths.shownotes_md, markdown),
        write_text(paths.shownotes_html, html),
    ]
