"""Markdown and HTML for the show notes: Jinja2 templates, Markdown escaping, markdown-it-py rendering.

Every value put into the Markdown template is escaped for Markdown unless it is already Markdown
(`MarkdownText`), so a `<script>` or a `[link](javascript:…)` in a title or the transcript is shown
as text. markdown-it-py then renders with raw HTML switched off, and its link check refuses
javascript:, vbscript:, file: and data: URLs: two independent guards.
"""

from __future__ import annotations

import re
from functools import lru_cache
from pathlib import Path
from typing import Any

TEMPLATES = Path(__file__).resolve().parent.parent / "templates" / "notes"
MARKDOWN_SPECIAL = re.compile(r"([\\`*_\[\]<>&|~])")
LINE_START_MARKER = re.compile(r"^(\s*)([#>+=-]|\d+[.)])", re.MULTILINE)


class MarkdownText(str):
    """Text that is already Markdown and must not be escaped again."""


def escape_markdown(text: object) -> str:
    """Plain text → Markdown that shows exactly that text (CommonMark backslash escapes)."""
    if isinstance(text, MarkdownText):
        return text
    escaped = MARKDOWN_SPECIAL.sub(r"\\\1", str(text))
    return LINE_START_MARKER.sub(_escape_line_start, escaped)


def _escape_line_start(match: re.Match[str]) -> str:
    """A line that would start a heading, quote or list: "# 1" → "\\# 1", "463. Done" → "463\\. Done"."""
    indent, marker = match.groups()
    if marker[0].isdigit():
        return f"{indent}{marker[:-1]}\\{marker[-1]}"
    return f"{indent}\\{marker}"


def link_target(url: str) -> str:
    """A URL as a Markdown link destination: in <…>, so spaces and parentheses cannot end it early."""
    return "<" + url.replace("<", "%3C").replace(">", "%3E") + ">"


def _finalize(value: Any) -> Any:
    return "" if value is None else escape_markdown(value)


@lru_cache(maxsize=1)
def environments() -> tuple[Any, Any]:
    """(Markdown environment, HTML environment). Both escape every value by default."""
    from jinja2 import Environment, FileSystemLoader, StrictUndefined

    loader = FileSystemLoader(str(TEMPLATES))
    markdown_env = Environment(loader=loader, autoescape=False, finalize=_finalize, undefined=StrictUndefined,
                               keep_trailing_newline=True, trim_blocks=True, lstrip_blocks=True)
    markdown_env.filters["md"] = MarkdownText  # a value that is already Markdown
    markdown_env.filters["target"] = lambda url: MarkdownText(link_target(str(url)))
    html_env = Environment(loader=loader, autoescape=True, undefined=StrictUndefined, trim_blocks=True, lstrip_blocks=True)
    return markdown_env, html_env


@lru_cache(maxsize=1)
def _markdown() -> Any:
    from markdown_it import MarkdownIt

    return MarkdownIt("commonmark", {"html": False, "linkify": False, "typographer": False})


def markdown_to_html(markdown: str) -> str:
    return _markdown().render(markdown)


def render_markdown(template: str, **values: Any) -> str:
    return environments()[0].get_template(template).render(**values)


def render_html(template: str, **values: Any) -> str:
    return environments()[1].get_template(template).render(**values)
