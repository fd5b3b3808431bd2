"""Transcript corrections (pipeline.formats.corrections): pure functions on words."""

from __future__ import annotations

import itertools

from hypothesis import given, settings
from hypothesis import strategies as st

from pipeline.formats.corrections import Correction, correct, nearest_heard, undo
from pipeline.formats.transcript import Word, join_words


def words(text: str, speaker: str | None = "Speaker 1") -> list[Word]:
    return [Word(piece, float(index), index + 0.8, 0.9, speaker) for index, piece in enumerate(text.split())]


def test_every_occurrence_is_corrected_keeping_punctuation_and_a_sentence_capital() -> None:
    heard = words("Hemodenolysis helps. We said hemodenolysis, twice.")
    fixed, applied, unmatched = correct(heard, [Correction("hemodenolysis", "hemodialysis")])
    assert join_words(fixed) == "Hemodialysis helps. We said hemodialysis, twice."
    assert unmatched == [] and len(applied) == 2
    assert [(w.start, w.end, w.probability, w.speaker) for w in fixed] == [
        (w.start, w.end, 1.0 if w.text.lower().startswith("hemo") else w.probability, w.speaker) for w in heard]


def test_at_corrects_only_the_nearest_occurrence() -> None:
    heard = words("Dina met Dina and Dina")
    fixed, _applied, _unmatched = correct(heard, [Correction("dina", "Dana", at=2.9)])
    assert join_words(fixed) == "Dina met Dana and Dina"


def test_several_words_become_fewer_or_more_sharing_their_time() -> None:
    heard = words("the hemo dialysis unit and pear shaped stuff")
    fixed, _applied, _unmatched = correct(heard, [Correction("hemo dialysis", "hemodialysis"),
                                                  Correction("pear-shaped", "pear shaped"),  # no match: bare words differ
                                                  Correction("stuff", "piriformis muscle")])
    assert join_words(fixed) == "the hemodialysis unit and pear shaped piriformis muscle"
    merged = fixed[1]
    assert (merged.start, merged.end) == (1.0, 2.8)
    tail = fixed[-2:]
    assert tail[0].start == 7.0 and tail[-1].end == 7.8 and tail[0].end == tail[1].start
    assert all(a.end <= b.start for a, b in itertools.pairwise(fixed))


def test_a_correction_never_heard_is_reported_with_the_nearest_words() -> None:
    heard = words("we met Dinah at three")
    _fixed, applied, unmatched = correct(heard, [Correction("Dina", "Dana"), Correction("three", "four")])
    assert unmatched == [0] and len(applied) == 1
    assert nearest_heard(heard, "Dina") == ("dinah", 2.0)
    assert nearest_heard(heard, "zebra crossing") is None


def test_corrections_see_the_ones_before_them() -> None:
    fixed, _applied, unmatched = correct(words("a b c"), [Correction("b", "x y"), Correction("y c", "z")])
    assert join_words(fixed) == "a x z" and unmatched == []


TEXTS = st.lists(st.sampled_from(["a", "b", "c", "Dina,", "dina.", "hemo"]), min_size=0, max_size=25)
FIXES = st.lists(st.tuples(st.sampled_from(["a", "b", "dina", "a b", "hemo b"]),
                           st.sampled_from(["x", "Dana", "p q r"]),
                           st.none() | st.floats(0, 30)), max_size=4)


@settings(max_examples=300, deadline=None)
@given(TEXTS, FIXES)
def test_undo_gives_back_exactly_what_the_model_heard(pieces: list[str], fixes: list[tuple[str, str, float | None]]) -> None:
    heard = [Word(piece, index * 1.0, index + 0.5, 0.7, "S1") for index, piece in enumerate(pieces)]
    fixed, applied, _unmatched = correct(heard, [Correction(*fix) for fix in fixes])
    assert undo(fixed, applied) == heard
    assert all(a.start <= b.start for a, b in itertools.pairwise(fixed)) and all(w.start <= w.end for w in fixed)
