"""Episode links with the time each is mentioned, and web domains spoken in the episode."""

from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import urlsplit

from rapidfuzz import fuzz

from pipeline.config.episode import Link
from pipeline.formats.transcript import Word
from pipeline.notes.mentions import Mention, first_mention, title_phrases
from pipeline.notes.sentences import compact

# Top-level domains a speaker is likely to read out; "dot" + one of these also counts ("research match dot org").
SPOKEN_TLDS = ("com", "org", "gov", "net", "edu", "io", "ly", "co", "uk", "us", "info", "fm", "tv", "ai", "app", "dev")
DOMAIN_TOKEN = re.compile(r"^[a-z0-9-]+(?:\.[a-z0-9-]+)*\.(?:" + "|".join(SPOKEN_TLDS) + r")$", re.IGNORECASE)
DOMAIN_MATCH_SCORE = 85.0
MAX_DOMAIN_TOKENS = 3  # "clinical trials.gov", "Research Match.org"


@dataclass(frozen=True)
class LocatedLink:
    title: str
    url: str
    mention: Mention | None

    @property
    def time(self) -> float | None:
        return self.mention.start if self.mention else None


@dataclass(frozen=True)
class SpokenDomain:
    """A web address heard in the episode: its tokens and, when it names a listed link, that link's index."""

    heard: str
    start: float
    end: float
    link_index: int | None
    score: float


def host_of(url: str) -> str:
    host = (urlsplit(url).hostname or "").lower()
    return host.removeprefix("www.")


def _bare(token: str) -> str:
    return token.strip("\"'“”‘’,;:!?()[]").rstrip(".")


def spoken_domain_ends(tokens: list[Word]) -> list[int]:
    """Indexes of tokens that end a spoken web address ("ResearchMatch.org", "… dot org")."""
    ends = []
    for index, token in enumerate(tokens):
        bare = _bare(token.text)
        said_dot = bare.lower() in SPOKEN_TLDS and index > 0 and _bare(tokens[index - 1].text).lower() == "dot"
        if said_dot or DOMAIN_TOKEN.match(bare):
            ends.append(index)
    return ends


def _without_tld(text: str) -> str:
    labels = [label for label in re.split(r"\.|\bdot\b", text.lower().replace(" ", "")) if label]
    return compact("".join(labels[:-1])) if len(labels) > 1 else compact(text)


def spoken_domains(tokens: list[Word], links: list[Link]) -> list[SpokenDomain]:
    """Every web address heard, tied to the listed link whose host it names (even with a misheard ending)."""
    hosts = [host_of(link.url) for link in links]
    found = []
    for end in spoken_domain_ends(tokens):
        best: tuple[float, int, int] | None = None  # score, first token, link index
        for count in range(1, MAX_DOMAIN_TOKENS + 1):
            first = end - count + 1
            if first < 0:
                break
            heard = "".join(_bare(t.text) for t in tokens[first:end + 1])
            for link_index, host in enumerate(hosts):
                # The name before the top-level domain decides; the ending is often misheard (.gov → .com).
                score = max(fuzz.ratio(compact(host), compact(heard)), fuzz.ratio(_without_tld(host), _without_tld(heard)))
                if best is None or score > best[0]:
                    best = (score, first, link_index)
        if best is not None and best[0] >= DOMAIN_MATCH_SCORE:
            score, first, link_index = best
            heard = " ".join(t.text for t in tokens[first:end + 1])
            found.append(SpokenDomain(heard=heard, start=tokens[first].start, end=tokens[end].end,
                                      link_index=link_index, score=score))
        else:
            token = tokens[end]
            found.append(SpokenDomain(heard=_bare(token.text), start=token.start, end=token.end, link_index=None, score=0.0))
    return found


def link_phrases(link: Link) -> list[str]:
    return [*link.mentions, *title_phrases(link.title), host_of(link.url)]


def locate_links(tokens: list[Word], links: list[Link], domains: list[SpokenDomain] | None = None) -> list[LocatedLink]:
    """Each link, in the episode's order, with the first place it is mentioned (None if never).

    `domains`: spoken_domains(tokens, links), when the caller has it already.
    """
    domains = spoken_domains(tokens, links) if domains is None else domains
    located = []
    for index, link in enumerate(links):
        heard_domains = [
            Mention(start=d.start, end=d.end, phrase=host_of(link.url), heard=d.heard, score=d.score)
            for d in domains if d.link_index == index
        ]
        mention = first_mention(tokens, link_phrases(link), extra=heard_domains)
        located.append(LocatedLink(title=link.title, url=link.url, mention=mention))
    return located
