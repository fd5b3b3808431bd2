"""Coverage check: speech that got no words is decoded again on its own; what stays silent is a gap.

The chunker's VAD can drop quiet or unusual speech, and a decoder can skip the end of a window. Here
a more sensitive VAD than the chunker's looks at every stretch without words; the speech it finds
there is decoded again without VAD, apart from the words around it. What that leaves without words
is decoded once more after the few seconds of the recording before it (a lone word, heard alone, is often
heard as nothing): the words that decode has and the transcript lacks are added. Speech that even
that leaves without words is returned as a gap, for the creator to hear.
"""

from __future__ import annotations

import difflib
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from pipeline.formats.transcript import Word, bare_word
from pipeline.parallel import in_parallel
from pipeline.transcription.audio import SAMPLE_RATE
from pipeline.transcription.engines import decode_stretches, split_long
from pipeline.transcription.vad import vad_spans

if TYPE_CHECKING:
    from pipeline.transcription.audio import Samples
    from pipeline.transcription.engines import DecodeSettings, Engine

MIN_WORDLESS_SECONDS = 1.0  # shorter pauses between words are ordinary
WORD_MARGIN_SECONDS = 0.2  # word timestamps are approximate: speech this close to a word is that word
MIN_SPEECH_SECONDS = 0.5  # a breath or a click is not worth a decode
MERGE_SECONDS = 1.0  # speech this close together is decoded as one clip
CLIP_PAD_SECONDS = 0.2
SEPARATOR_SECONDS = 1.0  # silence between stretches packed into one window
VAD_PIECE_SECONDS = 10.0  # Silero's state after long music or noise hides quiet speech that follows: listen afresh
SHORTEST_WORD_SECONDS = 0.02  # a word the aligner cannot place in the audio gets no length: in a clip, a hallucination
CONTEXT_BEFORE_SECONDS = 3.0  # the last pass hears a gap after this much of the recording before it
CONTEXT_AFTER_SECONDS = 1.0  # and this much after it

SpeechIn = tuple[tuple[float, float], tuple[float, float]]  # (speech, the stretch without words it was found in)


def sensitive_vad():  # type: ignore[no-untyped-def]
    """More sensitive than the chunker's: a lower threshold and shorter speech count."""
    from faster_whisper.vad import VadOptions

    return VadOptions(threshold=0.25, min_speech_duration_ms=250, min_silence_duration_ms=500, speech_pad_ms=100)


@dataclass(frozen=True)
class Recovery:
    words: list[Word]  # all words, sorted, the recovered ones included
    gaps: tuple[tuple[float, float], ...]
    redecoded: int
    recovered: int


def wordless_stretches(words: Sequence[Word], duration: float, min_seconds: float = MIN_WORDLESS_SECONDS,
                       margin: float = WORD_MARGIN_SECONDS) -> list[tuple[float, float]]:
    """Stretches of the recording no word covers, at least `min_seconds` long once `margin` is kept from words."""
    stretches, covered_until = [], 0.0
    for word in sorted(words, key=lambda w: w.start):
        start, end = (covered_until + margin if covered_until else 0.0), word.start - margin
        if end - start >= min_seconds:
            stretches.append((round(start, 3), round(end, 3)))
        covered_until = max(covered_until, word.end)
    start = covered_until + margin if covered_until else 0.0
    if duration - start >= min_seconds:
        stretches.append((round(start, 3), round(duration, 3)))
    return stretches


def merge_close(spans: Sequence[tuple[float, float]], within: float = MERGE_SECONDS) -> list[tuple[float, float]]:
    """`spans` sorted, those less than `within` apart (or touching) joined; within=0: their union."""
    merged: list[tuple[float, float]] = []
    for start, end in sorted(spans):
        if merged and (start - merged[-1][1] < within or start <= merged[-1][1]):
            merged[-1] = (merged[-1][0], max(merged[-1][1], end))
        else:
            merged.append((start, end))
    return merged


def speech_in(audio: Samples, stretches: list[tuple[float, float]],
              threads: int = 1) -> list[SpeechIn]:
    """(speech, stretch) for every stretch of speech the sensitive VAD finds in `stretches` (seconds).

    The VAD runs afresh on pieces of at most VAD_PIECE_SECONDS of each stretch, on `threads` pieces at
    once: carried over from a long stretch of music, noise or another stretch, its state hides quiet
    speech. Speech found in neighbouring pieces of one stretch is joined again.
    """
    pieces = [(piece, stretch) for stretch in stretches for piece in split_long([stretch], VAD_PIECE_SECONDS)]
    found = in_parallel(lambda item: vad_spans(audio, int(item[0][0] * SAMPLE_RATE), int(item[0][1] * SAMPLE_RATE),
                                               sensitive_vad()), pieces, threads)
    by_stretch: dict[tuple[float, float], list[tuple[float, float]]] = {}
    for (_piece, stretch), spans in zip(pieces, found, strict=True):
        by_stretch.setdefault(stretch, []).extend(spans)
    return [((round(a, 3), round(b, 3)), stretch) for stretch, spans in by_stretch.items()
            for a, b in merge_close(spans) if b - a >= MIN_SPEECH_SECONDS]


def unknown_words(known: Sequence[Word], decoded: Sequence[Word]) -> list[Word]:
    """The words of `decoded` that `known` lacks: both aligned by their text, the words only `decoded` has.
    (A word `decoded` merely spells or places differently is known.)"""
    matcher = difflib.SequenceMatcher(a=[bare_word(w.text) for w in known], b=[bare_word(w.text) for w in decoded],
                                      autojunk=False)
    return [word for tag, _i1, _i2, j1, j2 in matcher.get_opcodes() if tag == "insert" for word in decoded[j1:j2]]


def _middle_in(word: Word, span: tuple[float, float]) -> bool:
    return span[0] <= (word.start + word.end) / 2 <= span[1]


def _inside(word: Word, clip: tuple[float, float]) -> bool:
    """`word` belongs to `clip`, and the aligner could place it in the audio."""
    return _middle_in(word, clip) and word.end - word.start >= SHORTEST_WORD_SECONDS


def _padded(speech: tuple[float, float], stretch: tuple[float, float]) -> tuple[float, float]:
    return max(stretch[0], speech[0] - CLIP_PAD_SECONDS), min(stretch[1], speech[1] + CLIP_PAD_SECONDS)


def recover_in_context(audio: Samples, words: Sequence[Word], wanted: Sequence[SpeechIn], engine: Engine,
                       settings: DecodeSettings) -> tuple[list[Word], list[tuple[float, float]]]:
    """Each (speech, stretch) of `wanted` decoded with CONTEXT_BEFORE_SECONDS and CONTEXT_AFTER_SECONDS of the recording
    around it (contexts that overlap as one). Returns the words only that decode has, inside the speech, and the
    speech that still has none."""
    duration = audio.shape[0] / SAMPLE_RATE
    contexts = merge_close([(max(0.0, speech[0] - CONTEXT_BEFORE_SECONDS), min(duration, speech[1] + CONTEXT_AFTER_SECONDS))
                            for speech, _stretch in wanted], within=0.0)
    found = decode_stretches(engine, audio, contexts, settings, lambda _seconds: None, separator=SEPARATOR_SECONDS)
    unknown: list[Word] = []
    for context in contexts:
        around = (context[0] - WORD_MARGIN_SECONDS, context[1] + WORD_MARGIN_SECONDS)
        unknown += unknown_words([w for w in words if _middle_in(w, around)], [w for w in found if _inside(w, context)])
    added, still = [], []
    for speech, stretch in wanted:
        clip = _padded(speech, stretch)
        inside = [w for w in unknown if _inside(w, clip)]
        added += inside
        if not inside:
            still.append(speech)
    return added, still


def recover_uncovered(audio: Samples, words: Sequence[Word], engine: Engine, settings: DecodeSettings) -> Recovery:
    """Decode again the speech in every stretch without words; report what stays without words.

    The stretches are decoded without VAD, apart from the words around them, each one separated from
    the next by a second of silence in packed windows: as many Whisper windows as the speech needs, not
    one per stretch. What stays without words gets one more decode, in context (recover_in_context).
    (Decoding each still-empty stretch once more alone, with temperature fallback, was measured: it
    recovered a few words and added as many insertions, at four times the cost. Keeping every word that a
    decode in context places inside the stretch, not only those the transcript lacks, added insertions:
    the words next to the stretch, placed a little differently.)
    """
    duration = audio.shape[0] / SAMPLE_RATE
    stretches = wordless_stretches(words, duration)
    wanted = speech_in(audio, stretches, settings.thread_count)
    clips = [_padded(speech, stretch) for speech, stretch in wanted]
    found = decode_stretches(engine, audio, clips, settings, lambda _seconds: None, separator=SEPARATOR_SECONDS)
    kept = list(words)
    empty = []
    for (speech, stretch), clip in zip(wanted, clips, strict=True):
        inside = [w for w in found if _inside(w, clip)]
        kept += inside
        if not inside:
            empty.append((speech, stretch))
    gaps: list[tuple[float, float]] = []
    if empty:
        in_context, gaps = recover_in_context(audio, kept, empty, engine, settings)
        kept += in_context
    kept.sort(key=lambda w: (w.start, w.end))
    return Recovery(kept, tuple(gaps), len(wanted), len(kept) - len(words))
