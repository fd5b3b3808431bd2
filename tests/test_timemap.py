"""The time map (pipeline.formats.timemap): pure, property-tested."""

from __future__ import annotations

import itertools

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pipeline.formats.timemap import RECORDING, EditError, TimeMap, kept_stretches


def test_a_cut_removes_exactly_its_length_and_maps_to_nothing() -> None:
    edit = TimeMap.from_edit(60.0, cuts=[(12.0, 14.5)])
    assert edit.duration == pytest.approx(57.5)
    assert edit.published(10.0) == 10.0 and edit.published(13.0) is None and edit.published(20.0) == pytest.approx(17.5)
    assert edit.published_span(11.0, 16.0) == pytest.approx((11.0, 13.5))
    assert edit.published_span(12.5, 14.0) is None
    split = TimeMap.from_edit(10.0, inserts=[(4.0, "sponsor.mp3", 3.0)])
    assert split.published(4.0) == 4.0 and split.published(4.0, starting=True) == 7.0
    assert split.published_span(4.0, 5.0) == (7.0, 8.0) and split.published_span(3.0, 4.0) == (3.0, 4.0)


def test_an_intro_and_an_insert_shift_what_follows() -> None:
    edit = TimeMap.from_edit(60.0, cuts=[(30.0, 35.0)], inserts=[(0.0, "intro.mp3", 8.0), (20.0, "sponsor.mp3", 30.0)])
    assert [(p.source, round(p.start, 1), round(p.duration, 1)) for p in edit.pieces] == [
        ("intro.mp3", 0.0, 8.0), (RECORDING, 8.0, 20.0), ("sponsor.mp3", 28.0, 30.0), (RECORDING, 58.0, 10.0),
        (RECORDING, 68.0, 25.0)]
    assert edit.published(0.0) == 8.0 and edit.published(25.0) == pytest.approx(63.0)
    assert edit.published(40.0) == pytest.approx(73.0) and edit.duration == pytest.approx(93.0)
    assert edit.recording(30.0) is None and edit.recording(63.0) == pytest.approx(25.0)


def test_impossible_edits_say_why() -> None:
    with pytest.raises(EditError, match="whole recording"):
        TimeMap.from_edit(10.0, cuts=[(-1.0, 4.0), (3.0, 11.0)])
    with pytest.raises(EditError, match="inside a cut"):
        TimeMap.from_edit(10.0, cuts=[(2.0, 4.0)], inserts=[(3.0, "sponsor.mp3", 5.0)])
    with pytest.raises(EditError, match="outside the recording"):
        TimeMap.from_edit(10.0, inserts=[(12.0, "sponsor.mp3", 5.0)])


MS = st.integers(0, 100_000).map(lambda ms: ms / 1000)  # times as the edit gives them: in milliseconds
CUTS = st.lists(st.tuples(MS, st.integers(10, 20_000)).map(lambda c: (c[0], round(c[0] + c[1] / 1000, 3))), max_size=6)
INSERTS = st.lists(st.tuples(MS, st.integers(500, 30_000).map(lambda ms: ms / 1000)), max_size=3)


@settings(max_examples=300, deadline=None)
@given(CUTS, INSERTS, st.lists(MS, min_size=2, max_size=30))
def test_the_map_is_monotonic_cuts_map_to_nothing_and_inserts_shift_what_follows(
        cuts: list[tuple[float, float]], inserts: list[tuple[float, float]], times: list[float]) -> None:
    kept = kept_stretches(100.0, cuts)
    if not kept:
        return
    placed = [(at, f"insert{i}", length) for i, (at, length) in enumerate(inserts)
              if any(a <= at <= b for a, b in kept)]
    edit = TimeMap.from_edit(100.0, cuts, placed)
    removed = sum(b - a for a, b in zip([0.0] + [b for _a, b in kept], [a for a, _b in kept] + [100.0], strict=True))
    assert edit.duration == pytest.approx(100.0 - removed + sum(length for _at, _s, length in placed), abs=1e-6)
    mapped = sorted((t, edit.published(t)) for t in times)
    for (t1, p1), (t2, p2) in itertools.pairwise(mapped):
        if p1 is not None and p2 is not None:
            assert p2 >= p1 - 1e-9  # monotonic
            at_an_insert = any(at in (t1, t2) for at, _s, _l in placed)  # before or after it: tested above
            if any(a <= t1 and t2 <= b for a, b in kept) and not at_an_insert:
                shift = sum(length for at, _s, length in placed if t1 < at < t2)
                assert p2 - p1 == pytest.approx(t2 - t1 + shift, abs=1e-6)
    for t, p in mapped:
        in_cut = not any(a <= t <= b for a, b in kept)
        assert (p is None) == in_cut
        if p is not None:
            at_a_join = any(t in (a, b) for a, b in kept)  # the published moment where a cut was is both its edges
            assert (edit.recording(p) == pytest.approx(t, abs=1e-6) or at_a_join
                    or any(at == pytest.approx(t) for at, _s, _l in placed))
