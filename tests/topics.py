"""Long "episodes" of real text whose topic changes are known, for measuring chapter detection.

The text is the Lee corpus (300 real news articles from 2001–2002, Lee, Pincombe & Welsh 2005, as shipped in
gensim's test data). Articles about the same story are grouped by hand-written keyword rules on their first
two sentences (never by the sentence model that is measured). An episode is a seeded run of segments: two to
four articles of one story, or now and then one article on its own; each segment is a topic. Sentences are
timed at a podcast's pace (2.6 words a second) with pauses drawn between 0.2 and 1.0 s everywhere, so a
pause never gives a boundary away.
"""

from __future__ import annotations

import gzip
import random
import re
from dataclasses import dataclass
from pathlib import Path

from pipeline.notes.sentences import TimedSentence

CORPUS = Path(__file__).resolve().parent / "data" / "topics" / "lee_background.cor.gz"
WORDS_PER_SECOND = 2.6
STORIES = (
    ("bushfires", r"bushfire|fire ?fighters|blaze|Rural Fire Service|fire crews"),
    ("yacht race", r"Sydney to Hobart|yacht"),
    ("cricket", r"cricket|wickets?\b|Test against|second Test|third Test|batsm|bowler|Waugh|Warne"),
    ("tennis", r"Hopman Cup|tennis|Australian Open"),
    ("Argentina", r"Argentin"),
    ("India and Pakistan", r"Pakistan|Kashmir|Musharraf|Vajpayee|New Delhi"),
    ("Afghanistan", r"Afghan|Taliban|Kabul|Kandahar|Tora Bora|Al Qaeda|bin Laden"),
    ("Middle East", r"Israel|Palestin|Arafat|Hamas|Sharon|West Bank|Gaza"),
    ("road toll", r"road toll|roads? (?:deaths?|fatalit)"),
    ("shoe bomber", r"American Airlines|Richard Reid|shoes?\b"),
    ("asylum seekers", r"asylum|Woomera|detention centre"),
    ("Governor-General", r"Governor-General|Hollingworth"),
    ("airlines", r"Qantas|Ansett|Virgin Blue"),
    ("economy", r"interest rates?|Reserve Bank|economy|unemployment|inflation|dollar"),
)
SENTENCE_END = re.compile(r"(?<=[.!?\"'])\s+(?=[\"'A-Z0-9])")


@dataclass(frozen=True)
class TopicEpisode:
    sentences: list[TimedSentence]
    duration: float
    boundaries: list[float]  # where each topic after the first starts
    topics: list[str]


def articles() -> list[str]:
    return gzip.decompress(CORPUS.read_bytes()).decode("utf-8").splitlines()


def story_of(article: str) -> str | None:
    """The one story whose rule matches the article's first two sentences; None for none or several."""
    head = " ".join(SENTENCE_END.split(article)[:2])
    found = [name for name, rule in STORIES if re.search(rule, head)]
    return found[0] if len(found) == 1 else None


def topic_episode(minutes: float, seed: int, singles: float = 0.3) -> TopicEpisode:
    rng = random.Random(seed)
    stories: dict[str, list[str]] = {}
    loose: list[str] = []
    for article in articles():
        story = story_of(article)
        if story:
            stories.setdefault(story, []).append(article)
        else:
            loose.append(article)
    names = sorted(name for name, found in stories.items() if len(found) >= 2)
    rng.shuffle(names)
    rng.shuffle(loose)
    sentences: list[TimedSentence] = []
    boundaries: list[float] = []
    topics: list[str] = []
    clock = 0.0
    while clock < minutes * 60 and (names or loose):
        if loose and (rng.random() < singles or not names):
            chosen, topic = [loose.pop()], "(one article)"
        else:
            topic = names.pop()
            chosen = rng.sample(stories[topic], min(len(stories[topic]), rng.choice((2, 3, 3, 4))))
        if sentences:
            boundaries.append(round(clock, 2))
        topics.append(topic)
        for article in chosen:
            for text in SENTENCE_END.split(article.strip()):
                seconds = len(text.split()) / WORDS_PER_SECOND
                sentences.append(TimedSentence(text, round(clock, 2), round(clock + seconds, 2), len(sentences)))
                clock += seconds + rng.uniform(0.2, 1.0)
    return TopicEpisode(sentences, round(clock, 2), boundaries, topics)


def boundary_scores(found: list[float], truth: list[float], tolerance: float = 20.0) -> tuple[float, float, float]:
    """Precision, recall and F1 of chapter starts, each true boundary matched at most once within ±tolerance."""
    unmatched = list(truth)
    hits = 0
    for start in found:
        near = [t for t in unmatched if abs(t - start) <= tolerance]
        if near:
            unmatched.remove(min(near, key=lambda t: abs(t - start)))
            hits += 1
    precision = hits / len(found) if found else 1.0
    recall = hits / len(truth) if truth else 1.0
    return precision, recall, (2 * precision * recall / (precision + recall) if precision + recall else 0.0)
