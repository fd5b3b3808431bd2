"""How many voices a recording holds, and which windows are whose: speaker embeddings clustered with a decision
that has a margin.

The windows are split in two (spectral clustering on a pruned cosine affinity, a normalised cut, so an outlier
window does not make a cluster of its own), and the two halves are two voices when their centroids are less
alike than two takes of one voice are; then each part is tried the same way, the least alike split first, until
no split separates two voices. A part whose cut in two is refused gets a second look, cut in three (a cut
in two of three voices can mix them); it is kept when its voices clear the bar by SECOND_LOOK_MARGIN. Last,
any two parts as alike as one voice are joined again.

How alike two parts of one voice are depends on how much speech each holds, and the cut is made where they are
least alike. Measured over every pair the count decides on (`bar_evidence` in benchmarks/voices.py: each two
voices kept apart and each voice's refused cut in two, one person or two by the reference), by the speech in
the smaller part, on the bench's 40 real recordings / the nine held-out AMI meetings:
- under 3 s: one person 0.68–0.89 / 0.45–0.74, two people 0.32–0.54 / 0.44–0.60: little tells them apart;
- 3–10 s: two people up to 0.75 / 0.70; one person's refused cuts from 0.74 (JFK's opening line against the
  rest) / 0.76, a few mis-splits of meetings (one person kept apart) as low as 0.58 / 0.55;
- 10 s and more: one person 0.84 and up / 0.85, two people up to 0.77 / none. People heard through one room
  and one recording chain are far more alike than people of different recordings: two talking in
  pyannote's sample 0.76, the members of a council meeting 0.71–0.77.
So two parts are one voice from `VoiceBar` up: 0.70 when the smaller holds 3 s or less, 0.80 from 10 s, linear
between. (It was 0.75 from 8 s, chosen when the bench's conversations were mostly people of different
recordings joined: pyannote's sample, and three of five council meetings of six to nine people, were then one
voice.) With CAM++ on the real dev clips (`BENCH=speakers make bench`), the margins (similarity − bar) it
leaves are +0.04 to +0.21 for each of 21 one-voice recordings (the split refused) and −0.002 to −0.39 for each
of 18 conversations (the voices kept apart); the smallest are JFK, and two council members of 7 and 20 s. A
part with less speech than SHORTEST_VOICE_SECONDS is never a voice of its own; a short part that is far from
every other voice is (a guest with 20 s of a long episode is a guest).

The diarizer raises the least count to two where two voices are heard at once (`at_least_two_when_heard_together`:
embeddings of two people talking over each other can look like one voice).

The decision is kept as margins: of the split least clearly two voices that was made, and of the split most
nearly made that was refused. The transcribe stage logs them.

A given number of voices (`speakers: 3` in episode.yaml) is reached the same way: the least alike part is cut
first until there are that many (fewer only where every part is too short to hold two voices). Cutting all the
windows straight into that many cut a voice that speaks most of the time into pieces and joined the quiet
ones: given the true count, AMI trn04 scored 0.46 that way and 0.16 this way, AMI tst01 0.67 and 0.26, the
council of seven 0.22 and 0.05 (`given_count_der` in benchmarks/voices.py).
"""

from __future__ import annotations

import functools
import warnings
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from pipeline.transcription.coverage import merge_close

if TYPE_CHECKING:
    import numpy as np

AFFINITY_KEEP = 0.3  # share of nearest windows each window keeps in the spectral graph
FEWEST_NEIGHBOURS = 6  # and at least this many (3D-Speaker's too): a sparser graph cuts differently on every CPU
SHORTEST_VOICE_SECONDS = 2.0  # a part with less speech is never a voice of its own
# A cut in two of three voices can put one of them on both sides, and the halves then look like one voice. So
# a refused cut gets a second look, in three; trying more cuts finds a split of one voice more often, so that
# look must clear the bar by this much. Measured (benchmarks/voices.py, 20 one-voice recordings × 4
# perturbations): one voice's second looks reach −0.04 at most (JFK twice with noise between); a three-person
# meeting whose cut in two mixed the voices (AMI trn04 through MP3), −0.14.
SECOND_LOOK_MARGIN = 0.08
# Two voices heard at once are two people, whatever their embeddings say (a 5 s clip of two people talking over
# each other embeds as one voice on some CPUs). Measured (pyannote's segmentation model, benchmarks/voices.py and
# 20 one-voice recordings × 4 perturbations): one voice is heard "at once" in 0 % of its speech, and at most 1.7 %
# with synthetic music as loud as the voice under it; the meetings over it, 14 % (AMI trn00) and 44 %
# (the stereo clip). Below this share, or under TWO_AT_ONCE_SECONDS, the embeddings alone decide.
TWO_AT_ONCE_SHARE = 0.05
TWO_AT_ONCE_SECONDS = 1.0


@dataclass(frozen=True)
class SpeakerCount:
    least: int = 1
    most: int = 10  # without `speakers:` in episode.yaml: a host and up to nine guests

    @property
    def fixed(self) -> bool:
        return self.least == self.most


@dataclass(frozen=True)
class Voices:
    assignment: np.ndarray  # a voice index (0, 1, …, in order of first window) per window
    split_margin: float | None  # similarity − bar of the voices least clearly apart (< 0); None: one voice
    refused_margin: float | None  # similarity − bar of the split most nearly made but refused (≥ 0); None: none tried
    heard_together: float = 0.0  # share of the speech where two voices are heard at once (set by the diarizer)
    raised_by_overlap: bool = False  # the count was raised to two because of it

    @property
    def count(self) -> int:
        return int(self.assignment.max()) + 1 if self.assignment.size else 0

    @property
    def second_heard_only_together(self) -> bool:
        """Two voices only because two are heard at once: the embeddings' best cut in two is as alike as one voice,
        so all they show is one voice, and the second is known only from where two are heard at once."""
        return self.raised_by_overlap and self.split_margin is not None and self.split_margin >= 0

    def describe(self) -> str:
        """The decision in words, with its margins, for the log."""
        said = []
        if self.raised_by_overlap:
            said.append(f"two voices heard at once in {self.heard_together:.0%} of the speech, so at least two")
        if self.split_margin is not None:
            side = "below" if self.split_margin < 0 else "above"  # above: kept apart only because two were heard at once
            said.append(f"the two most alike voices {abs(self.split_margin):.2f} {side} the one-voice bar")
        if self.second_heard_only_together:
            said.append("the second voice is labelled only where two are heard at once")
        if self.refused_margin is not None:
            said.append(f"the best further split {self.refused_margin:.2f} above it")
        return "; ".join(said) or "too little speech to tell voices apart"


@dataclass(frozen=True)
class VoiceBar:
    """The centroid similarity from which two parts are one voice, by the speech in the smaller part: `short` up
    to `short_seconds`, `long` from `long_seconds`, linear between. Each speaker encoder has its own."""

    short: float
    long: float
    short_seconds: float = 3.0
    long_seconds: float = 8.0

    def __call__(self, seconds: float) -> float:
        share = min(1.0, max(0.0, (seconds - self.short_seconds) / (self.long_seconds - self.short_seconds)))
        return self.short + share * (self.long - self.short)


CAMPLUSPLUS_BAR = VoiceBar(short=0.70, long=0.80, long_seconds=10.0)


def at_least_two_when_heard_together(count: SpeakerCount, together_seconds: float,
                                      speech_seconds: float) -> SpeakerCount:
    """`count` raised to at least two voices when two are heard at once long enough to be sure of it."""
    heard = together_seconds >= TWO_AT_ONCE_SECONDS and together_seconds >= TWO_AT_ONCE_SHARE * speech_seconds
    return SpeakerCount(max(2, count.least), count.most) if heard and count.most >= 2 else count


def speech_seconds(spans: Sequence[np.ndarray]) -> float:
    """Seconds covered by the union of the (n, 2) arrays of (start, end) `spans`."""
    union = merge_close([(float(start), float(end)) for array in spans for start, end in array], within=0.0)
    return sum(end - start for start, end in union)


def unit(vector: np.ndarray) -> np.ndarray:
    import numpy as np

    return vector / max(float(np.linalg.norm(vector)), 1e-9)


def affinity(items: np.ndarray, keep: float = AFFINITY_KEEP) -> np.ndarray:
    """Cosine similarities, negatives cut to 0, each row keeping only its `keep` share of nearest neighbours
    (p-pruning), made symmetric: spectral clustering then sees voices, not noise between them."""
    import numpy as np

    similarity = np.clip(items @ items.T, 0.0, None)
    neighbours = min(similarity.shape[0], max(FEWEST_NEIGHBOURS, int(keep * similarity.shape[0])))
    cut = -np.sort(-similarity, axis=1)[:, neighbours - 1:neighbours]
    pruned = np.where(similarity >= cut, similarity, 0.0)
    return (pruned + pruned.T) / 2


def spectral_split(items: np.ndarray, clusters: int) -> np.ndarray:
    from sklearn.cluster import SpectralClustering

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # a pruned graph of well-separated voices is not connected
        warnings.simplefilter("ignore", RuntimeWarning)  # a few windows: scipy's dense eigensolver instead of ARPACK
        return SpectralClustering(n_clusters=clusters, affinity="precomputed", assign_labels="cluster_qr",
                                  random_state=0).fit_predict(affinity(items))


def cluster_voices(embeddings: np.ndarray, spans: Sequence[np.ndarray], count: SpeakerCount,
                   bar: VoiceBar = CAMPLUSPLUS_BAR) -> Voices:
    """A voice per item (unit `embeddings`; `spans`: where each one speaks, (n, 2) seconds), within `count`'s bounds."""
    import numpy as np

    n = embeddings.shape[0]
    if n < 2 or count.most == 1:
        return Voices(np.zeros(n, dtype=int), None, None)
    seconds = functools.partial(part_seconds, spans)
    parts = [np.ones(n, dtype=bool)]
    tried: dict[bytes, tuple[float, np.ndarray, np.ndarray] | None] = {}
    looked: dict[bytes, tuple[float, list[np.ndarray]] | None] = {}
    refused: float | None = None
    while len(parts) < count.most:
        for part in parts:
            if part.tobytes() not in tried:
                tried[part.tobytes()] = cut_in_two(embeddings, part, seconds, bar)
        candidates = [(found[0], index) for index, part in enumerate(parts) if (found := tried[part.tobytes()])]
        margin, index = min(candidates, default=(None, -1))
        if margin is not None and (margin < 0 or len(parts) < count.least):
            parts += tried[parts.pop(index).tobytes()][1:]  # type: ignore[index]
            continue
        for part in parts:
            if part.tobytes() not in looked:
                looked[part.tobytes()] = second_look(embeddings, part, seconds, bar)
        second_looks = [(found[0], index) for index, part in enumerate(parts)
                        if (found := looked[part.tobytes()]) and found[0] < -SECOND_LOOK_MARGIN]
        if not second_looks:
            refused = margin
            break
        parts += looked[parts.pop(min(second_looks)[1]).tobytes()][1]  # type: ignore[index]
    return _voices(embeddings, _join_alike(embeddings, parts, seconds, bar, count.least, count.most), seconds, bar, refused)


def part_seconds(spans: Sequence[np.ndarray], part: np.ndarray) -> float:
    """Seconds of speech in `part` (a mask over the items whose `spans` are given)."""
    import numpy as np

    return speech_seconds([spans[index] for index in np.flatnonzero(part)])


def _margin(embeddings: np.ndarray, first: np.ndarray, second: np.ndarray, seconds: Callable[[np.ndarray], float],
            bar: VoiceBar) -> float:
    similarity = float(unit(embeddings[first].mean(axis=0)) @ unit(embeddings[second].mean(axis=0)))
    return similarity - bar(min(seconds(first), seconds(second)))


def cut_in_two(embeddings: np.ndarray, part: np.ndarray, seconds: Callable[[np.ndarray], float],
               bar: VoiceBar) -> tuple[float, np.ndarray, np.ndarray] | None:
    """The part cut in two (spectral), and the margin of the cut; None when it is too small to hold two voices."""
    import numpy as np

    members = np.flatnonzero(part)
    if members.shape[0] < 2:
        return None
    halves = spectral_split(embeddings[members], 2)
    first, second = np.zeros_like(part), np.zeros_like(part)
    first[members[halves == 0]] = True
    second[members[halves == 1]] = True
    if not first.any() or not second.any() or min(seconds(first), seconds(second)) < SHORTEST_VOICE_SECONDS:
        return None
    return _margin(embeddings, first, second, seconds, bar), first, second


def second_look(embeddings: np.ndarray, part: np.ndarray, seconds: Callable[[np.ndarray], float],
               bar: VoiceBar) -> tuple[float, list[np.ndarray]] | None:
    """The second look at a part whose cut in two was refused: cut in three, the thirds as alike as one voice
    joined again; the margin of the voices left (None when fewer than two, or one too short)."""
    import numpy as np

    members = np.flatnonzero(part)
    if members.shape[0] < 3:
        return None
    thirds = spectral_split(embeddings[members], 3)
    parts = []
    for label in range(3):
        third = np.zeros_like(part)
        third[members[thirds == label]] = True
        if third.any():
            parts.append(third)
    parts = _join_alike(embeddings, parts, seconds, bar)
    if len(parts) < 2 or min(seconds(voice) for voice in parts) < SHORTEST_VOICE_SECONDS:
        return None
    return _most_alike(embeddings, parts, seconds, bar)[0], parts


def _voices(embeddings: np.ndarray, parts: list[np.ndarray], seconds: Callable[[np.ndarray], float], bar: VoiceBar,
            refused: float | None) -> Voices:
    import numpy as np

    parts = sorted(parts, key=lambda part: int(np.argmax(part)))
    assignment = np.zeros(embeddings.shape[0], dtype=int)
    for index, part in enumerate(parts):
        assignment[part] = index
    apart = _most_alike(embeddings, parts, seconds, bar)[0] if len(parts) > 1 else None
    return Voices(assignment, apart, refused)


def _most_alike(embeddings: np.ndarray, parts: list[np.ndarray], seconds: Callable[[np.ndarray], float],
                bar: VoiceBar) -> tuple[float, int, int]:
    """The margin of the two most alike of two or more `parts`, and their indices."""
    return max((_margin(embeddings, parts[a], parts[b], seconds, bar), a, b)
               for a in range(len(parts)) for b in range(a + 1, len(parts)))


def _join_alike(embeddings: np.ndarray, parts: list[np.ndarray], seconds: Callable[[np.ndarray], float],
                bar: VoiceBar, least: int = 1, most: int | None = None) -> list[np.ndarray]:
    """`parts` with the two most alike joined while they are as alike as one voice, or while there are more than
    `most`, down to `least`."""
    parts = list(parts)
    while len(parts) > max(1, least):
        margin, a, b = _most_alike(embeddings, parts, seconds, bar)
        if margin < 0 and (most is None or len(parts) <= most):
            break
        parts[a] = parts[a] | parts.pop(b)
    return parts
