"""How many voices: the decision of pipeline.speakers.voices on embeddings made here, where the answer is known.

Each synthetic voice is a direction in 192 dimensions; its windows are that direction plus noise, so that
windows of one voice are about as alike (0.6–0.8) as real CAM++ windows of one person are.
"""

from __future__ import annotations

import numpy as np
import pytest

from pipeline.speakers.voices import (
    CAMPLUSPLUS_BAR,
    SECOND_LOOK_MARGIN,
    TWO_AT_ONCE_SECONDS,
    TWO_AT_ONCE_SHARE,
    SpeakerCount,
    VoiceBar,
    Voices,
    at_least_two_when_heard_together,
    cluster_voices,
    second_look,
    speech_seconds,
)

DIMENSION = 192
HOP = 0.5


def voice(rng: np.random.Generator) -> np.ndarray:
    direction = rng.standard_normal(DIMENSION)
    return direction / np.linalg.norm(direction)


def windows(direction: np.ndarray, count: int, rng: np.random.Generator, noise: float = 0.05) -> np.ndarray:
    found = direction + rng.standard_normal((count, DIMENSION)) * noise
    return found / np.linalg.norm(found, axis=1, keepdims=True)


def talk(*turns: tuple[np.ndarray, int], rng: np.random.Generator) -> tuple[np.ndarray, list[np.ndarray], list[int]]:
    """Turns of (voice, windows) one after another: embeddings, each window's span (1.5 s, every 0.5 s), who."""
    embeddings, who = [], []
    for index, (direction, count) in enumerate(turns):
        embeddings.append(windows(direction, count, rng))
        who += [index] * count
    spans = [np.array([[i * HOP, i * HOP + 1.5]]) for i in range(len(who))]
    return np.concatenate(embeddings), spans, who


def test_the_bar_rises_with_the_speech_in_the_smaller_part() -> None:
    bar = VoiceBar(short=0.7, long=0.8)
    assert bar(0.5) == bar(3.0) == pytest.approx(0.7)
    assert bar(8.0) == bar(60.0) == pytest.approx(0.8)
    assert bar(3.0) < bar(5.5) < bar(8.0)


def test_speech_either_detector_hears_is_one_sorted_union() -> None:
    from pipeline.transcription.coverage import merge_close

    assert merge_close([(5.0, 6.0), (0.0, 1.0), (0.5, 2.0), (2.0, 3.0), (5.5, 5.8)], within=0.0) == [(0.0, 3.0), (5.0, 6.0)]
    assert merge_close([], within=0.0) == []


def test_speech_seconds_count_overlapping_windows_once() -> None:
    assert speech_seconds([np.array([[0.0, 1.5]]), np.array([[0.5, 2.0]]), np.array([[10.0, 11.0]])]) == pytest.approx(3.0)
    assert speech_seconds([]) == 0.0


def test_one_voice_stays_one_and_says_by_how_much() -> None:
    rng = np.random.default_rng(1)
    embeddings, spans, _who = talk((voice(rng), 120), rng=rng)
    found = cluster_voices(embeddings, spans, SpeakerCount())
    assert found.count == 1
    assert found.split_margin is None and found.refused_margin is not None and found.refused_margin > 0.1


def test_two_voices_are_two_and_each_window_goes_to_its_own() -> None:
    rng = np.random.default_rng(2)
    host, guest = voice(rng), voice(rng)
    embeddings, spans, who = talk((host, 40), (guest, 30), (host, 40), (guest, 20), rng=rng)
    found = cluster_voices(embeddings, spans, SpeakerCount())
    assert found.count == 2 and found.split_margin is not None and found.split_margin < -0.2
    assert list(found.assignment) == who[:40] + [1] * 30 + [0] * 40 + [1] * 20


def test_a_short_guest_far_from_the_host_is_a_voice_of_its_own() -> None:
    rng = np.random.default_rng(3)
    host, guest = voice(rng), voice(rng)
    embeddings, spans, _who = talk((host, 600), (guest, 20), (host, 600), rng=rng)  # 10 s of 10 minutes
    found = cluster_voices(embeddings, spans, SpeakerCount())
    assert found.count == 2
    assert set(found.assignment[600:620]) == {1} and set(found.assignment[:600]) == {0}


def test_too_little_speech_is_never_a_voice_of_its_own() -> None:
    rng = np.random.default_rng(4)
    embeddings, spans, _who = talk((voice(rng), 80), (voice(rng), 1), rng=rng)  # one 1.5 s window: a cough, a laugh
    assert cluster_voices(embeddings, spans, SpeakerCount()).count == 1


def test_a_voice_like_another_within_the_bar_is_joined() -> None:
    rng = np.random.default_rng(5)
    host = voice(rng)
    twin = host + voice(rng) * 0.35  # the same person on another microphone: alike above the bar
    twin /= np.linalg.norm(twin)
    assert float(host @ twin) > CAMPLUSPLUS_BAR.long
    embeddings, spans, _who = talk((host, 60), (twin, 60), rng=rng)
    assert cluster_voices(embeddings, spans, SpeakerCount()).count == 1


def test_the_second_look_in_three_finds_three_voices_and_gives_one_back_whole() -> None:
    """A cut in two can mix three voices; the cut in three keeps them apart, and one voice's thirds are joined."""
    rng = np.random.default_rng(7)

    def look(embeddings: np.ndarray, spans: list[np.ndarray]) -> tuple[float, list[np.ndarray]] | None:
        def seconds(part: np.ndarray) -> float:
            return speech_seconds([spans[i] for i in np.flatnonzero(part)])

        return second_look(embeddings, np.ones(embeddings.shape[0], dtype=bool), seconds, CAMPLUSPLUS_BAR)

    found = look(*talk((voice(rng), 40), (voice(rng), 20), (voice(rng), 20), rng=rng)[:2])
    assert found is not None and len(found[1]) == 3 and found[0] < -SECOND_LOOK_MARGIN
    assert sorted(int(part.sum()) for part in found[1]) == [20, 20, 40]
    assert look(*talk((voice(rng), 120), rng=rng)[:2]) is None


def test_two_voices_heard_at_once_are_at_least_two_unless_the_episode_says_one() -> None:
    assert at_least_two_when_heard_together(SpeakerCount(), 2.0, 5.0) == SpeakerCount(2, 10)
    assert at_least_two_when_heard_together(SpeakerCount(3, 4), 2.0, 5.0) == SpeakerCount(3, 4)
    assert at_least_two_when_heard_together(SpeakerCount(1, 1), 2.0, 5.0) == SpeakerCount(1, 1)
    short = TWO_AT_ONCE_SECONDS * 0.9  # a blip: the embeddings decide
    assert at_least_two_when_heard_together(SpeakerCount(), short, short * 2) == SpeakerCount()
    rare = TWO_AT_ONCE_SECONDS * 2  # music under one voice for a long episode: a small share of its speech
    assert at_least_two_when_heard_together(SpeakerCount(), rare, rare / TWO_AT_ONCE_SHARE * 1.5) == SpeakerCount()


def test_the_episode_bounds_win() -> None:
    rng = np.random.default_rng(6)
    voices = [voice(rng) for _ in range(4)]
    embeddings, spans, _who = talk(*[(v, 30) for v in voices], rng=rng)
    assert cluster_voices(embeddings, spans, SpeakerCount()).count == 4
    assert cluster_voices(embeddings, spans, SpeakerCount(1, 3)).count == 3
    assert cluster_voices(embeddings, spans, SpeakerCount(2, 2)).count == 2
    one, spans_one, _who = talk((voices[0], 60), rng=rng)
    assert cluster_voices(one, spans_one, SpeakerCount(2, 4)).count == 2
    assert cluster_voices(one, spans_one, SpeakerCount(1, 1)).count == 1


@pytest.mark.parametrize("seed", range(5))
def test_the_count_survives_a_little_noise_on_every_window(seed: int) -> None:
    """What another CPU's kernels do to the embeddings (a few 1e-4 of difference) never changes the count."""
    rng = np.random.default_rng(seed)
    host, guest = voice(rng), voice(rng)
    for turns in (((host, 90),), ((host, 40), (guest, 12), (host, 40))):
        embeddings, spans, _who = talk(*turns, rng=rng)
        counts = set()
        for _trial in range(3):
            nudged = embeddings + rng.standard_normal(embeddings.shape) * 3e-4
            nudged /= np.linalg.norm(nudged, axis=1, keepdims=True)
            counts.add(cluster_voices(nudged, spans, SpeakerCount()).count)
        assert counts == {len(turns) if len(turns) == 1 else 2}


def test_the_log_says_on_which_side_of_the_bar_the_kept_voices_are() -> None:
    apart = Voices(np.array([0, 1]), split_margin=-0.22, refused_margin=0.02)
    forced = Voices(np.array([0, 1]), split_margin=0.07, refused_margin=None, heard_together=0.06, raised_by_overlap=True)
    assert apart.describe() == "the two most alike voices 0.22 below the one-voice bar; the best further split 0.02 above it"
    assert forced.describe() == ("two voices heard at once in 6% of the speech, so at least two; "
                                 "the two most alike voices 0.07 above the one-voice bar; "
                                 "the second voice is labelled only where two are heard at once")
    assert forced.second_heard_only_together and not apart.second_heard_only_together
