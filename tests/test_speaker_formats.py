"""Speakers in the pure parts: turns, word labels, names, segments, captions and transcripts."""

from __future__ import annotations

import random

import pytest

from pipeline.config.show import CaptionSettings
from pipeline.config.vocab import Person
from pipeline.formats.captions import build_cues
from pipeline.formats.subtitles import paragraphs, podcasting20, srt_text, vtt_text
from pipeline.formats.transcript import Transcript, Word, group_words
from pipeline.speakers.known import count_from_config
from pipeline.speakers.people import episode_people
from pipeline.speakers.turns import (
    active_speakers,
    label_words,
    runs,
    second_voices,
    smooth,
    speaker_names,
    speaker_of,
    speaking,
)


def words(text: str, start: float = 0.0, step: float = 0.4, speaker: str | None = None) -> list[Word]:
    return [Word(piece, round(start + i * step, 3), round(start + i * step + step * 0.8, 3), speaker=speaker)
            for i, piece in enumerate(text.split())]


def test_runs_and_smoothing_remove_flickers_but_keep_silence() -> None:
    labels = ["A"] * 20 + ["B"] * 2 + ["A"] * 20 + [None] * 5 + ["B"] * 30
    smoothed = smooth(labels, 0.1)
    assert smoothed[20:22] == ["A", "A"]  # a 0.2 s flicker goes to the voice around it
    assert smoothed[42:47] == [None] * 5  # silence stays silence
    assert runs(smoothed, 0.1) == [(0.0, 4.2, "A"), (4.7, 7.7, "B")]


def test_smoothing_leaves_a_lone_voice_alone() -> None:
    assert smooth(["A", "A", None, "A"], 0.1) == ["A", "A", None, "A"]


def test_words_are_labelled_from_the_nearby_turns_as_from_all_of_them() -> None:
    rng = random.Random(7)
    turns = sorted((start, start + rng.choice([0.3, 2.0, 9.0, 60.0]), rng.choice(["S1", "S2", "S3"]))
                   for start in (rng.uniform(0, 600) for _ in range(300)))
    spoken = [Word("w", start, start + rng.uniform(0.05, 1.5)) for start in sorted(rng.uniform(-5, 700) for _ in range(2000))]
    names = {"S1": "One", "S2": "Two", "S3": "Three"}
    labelled = label_words(spoken, turns, names)
    assert [word.speaker for word in labelled] == [names.get(speaker_of(w.start, w.end, turns) or "") for w in spoken]
    assert {word.speaker for word in labelled} >= {"One", "Two", "Three", None}


def test_a_word_goes_to_the_voice_covering_most_of_it() -> None:
    turns = [(0.0, 1.05, "S1"), (1.05, 3.0, "S2")]
    found = label_words([Word("one", 0.2, 0.5), Word("straddles", 0.9, 1.5), Word("late", 3.4, 3.6),
                         Word("far", 9.0, 9.2)], turns, {"S1": "Dana", "S2": "Sam"})
    assert [w.speaker for w in found] == ["Dana", "Sam", "Sam", None]


def test_an_overlap_goes_to_the_nearest_other_voice() -> None:
    turns = [(0.0, 4.0, "S1"), (4.0, 6.0, "S2"), (6.0, 9.0, "S1"), (20.0, 22.0, "S3")]
    assert second_voices(turns, [(3.5, 4.2), (7.0, 7.5), (30.0, 31.0)]) == [
        (3.5, 4.0, "S2"), (4.0, 4.2, "S1"), (7.0, 7.5, "S2")]
    assert second_voices([(0.0, 5.0, "S1")], [(1.0, 2.0)]) == []  # one voice has nobody to overlap with


def test_a_word_heard_under_two_voices_stays_with_who_was_speaking() -> None:
    turns = [(0.0, 4.0, "S1"), (3.5, 4.0, "S2"), (4.0, 6.0, "S2")]
    found = label_words([Word("under", 3.6, 3.9), Word("after", 4.1, 4.5)], turns, {"S1": "Dana", "S2": "Sam"})
    assert [w.speaker for w in found] == ["Dana", "Sam"]


def test_a_voice_that_says_no_word_is_named_nowhere() -> None:
    jingle_then_host = [(0.0, 15.0, "S1"), (15.5, 40.0, "S2"), (20.0, 20.5, "S1")]
    spoken = words(". ♪", start=3.0) + words("welcome back to the show", start=16.0)
    kept = speaking(jingle_then_host, spoken)
    assert kept == [(15.5, 40.0, "S2")]
    assert speaker_names(kept, {}) == {"S2": None}  # a solo show with a jingle: nobody named
    talk = [(0.0, 3.0, "S1"), (3.0, 6.0, "S2")]
    assert speaking(talk, words("hello there", 0.5) + words("hi", 3.5)) == talk
    assert speaking(talk, []) == []
    tracks = [(0.0, 9.0, "Host"), (2.0, 2.4, "Muted")]  # a multitrack guest whose track only coughs
    assert speaking(tracks, words("thanks for coming", 1.0)) == [(0.0, 9.0, "Host")]


def test_names_known_given_renamed_and_a_lone_voice_unnamed() -> None:
    turns = [(0.0, 1.0, "S2"), (1.0, 2.0, "S1"), (2.0, 3.0, "S3")]
    assert speaker_names(turns, {"S1": "Dana Reyes"}) == {"S2": "Speaker 1", "S1": "Dana Reyes", "S3": "Speaker 3"}
    assert speaker_names(turns, {}, ["Ann", "Bo"]) == {"S2": "Ann", "S1": "Bo", "S3": "Speaker 3"}
    assert speaker_names(turns, {"S1": "Dana"}, renames={"Speaker 3": "Sam Lee"})["S3"] == "Sam Lee"
    assert speaker_names([(0.0, 5.0, "S1")], {}) == {"S1": None}
    assert speaker_names([(0.0, 5.0, "S1")], {"S1": "Dana"}) == {"S1": "Dana"}


def test_loudest_track_wins_so_bleed_never_counts() -> None:
    host = [-20.0, -20.0, -45.0, -45.0]
    guest = [-42.0, -41.0, -21.0, -120.0]  # bleed of the host at -42 dB, then the guest, then silence
    heard = [[True, True, True, False], [True, True, True, False]]
    assert active_speakers([host, guest], heard, ["Host", "Guest"]) == ["Host", "Host", "Guest", None]


def test_segments_and_cues_break_at_a_change_of_speaker() -> None:
    spoken = words("so what did you find", speaker="Dana") + words("we found two studies", start=2.1, speaker="Sam")
    segments = group_words(spoken)
    assert [(s.speaker, s.text) for s in segments] == [("Dana", "so what did you find"), ("Sam", "we found two studies")]
    cues = build_cues(spoken, CaptionSettings())
    assert len(cues) == 2
    assert all(len({w.speaker for w in cue.words}) == 1 for cue in cues)
    vtt = vtt_text(cues)
    assert "<v Dana>so what did you find" in vtt and "<v Sam>we found two studies" in vtt
    srt = srt_text(cues)
    assert "\nso what did you find" in srt and "\n- we found two studies" in srt
    assert [s["speaker"] for s in podcasting20(cues)["segments"]] == ["Dana", "Sam"]


def test_unlabelled_captions_have_no_voice_spans() -> None:
    cues = build_cues(words("just one voice here"), CaptionSettings())
    assert "<v" not in vtt_text(cues) and "- " not in srt_text(cues)
    assert "speaker" not in podcasting20(cues)["segments"][0]


def test_transcript_paragraphs_start_with_the_speaker() -> None:
    spoken = words("hello and welcome.", speaker="Dana") + words("thanks for having me.", start=1.8, speaker="Sam")
    transcript = Transcript(tuple(group_words(spoken)), "faster-whisper", "tiny.en", "en", 4.0, "sha256:x")
    assert paragraphs(transcript) == ["Dana: hello and welcome.", "Sam: thanks for having me."]
    assert transcript.speakers == ["Dana", "Sam"]
    again = Transcript.from_dict(transcript.to_dict())
    assert again.segments == transcript.segments


def test_speaker_counts_from_the_episode() -> None:
    assert (count_from_config(2).least, count_from_config(2).most) == (2, 2)
    assert (count_from_config("2-4").least, count_from_config("2-4").most) == (2, 4)
    assert count_from_config(["A", "B", "C"]).fixed
    assert not count_from_config(None).fixed


def test_people_are_the_listed_then_the_named_guests() -> None:
    host = Person(name="Dana Reyes", role="host", href="https://example.com/dana")
    people = episode_people([host], ["Dana Reyes", "Sam Lee", "Speaker 3"])
    assert [(p.name, p.role) for p in people] == [("Dana Reyes", "host"), ("Sam Lee", "guest")]


def test_pyannote_without_a_token_says_what_to_do(monkeypatch: pytest.MonkeyPatch) -> None:
    from pipeline.errors import ConfigError
    from pipeline.speakers.diarize import load_diarizer

    monkeypatch.delenv("HF_TOKEN", raising=False)
    monkeypatch.delenv("PYANNOTE_TOKEN", raising=False)
    with pytest.raises(ConfigError, match="HF_TOKEN"):
        load_diarizer("pyannote")
