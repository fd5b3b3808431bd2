"""Pure functions of transcription: word grouping, wordless stretches, blocks, joined speech, the gap warning."""

from __future__ import annotations

import itertools
from pathlib import Path

import numpy as np
import pytest

from pipeline.formats.transcript import Segment, Transcript, Word, group_words, join_words
from pipeline.stages.transcribe import gap_warning
from pipeline.transcription.audio import SAMPLE_RATE
from pipeline.transcription.coverage import merge_close, unknown_words, wordless_stretches
from pipeline.transcription.engines import (
    group_for_calls,
    join_stretches,
    pack_windows,
    split_long,
    windows_per_call,
)
from pipeline.transcription.vad import block_bounds


def w(text: str, start: float, end: float) -> Word:
    return Word(text, start, end)


def test_join_words_attaches_pieces_that_continue_a_word() -> None:
    words = [w("Research", 0, 0.4), w("Match", 0.4, 0.7), w(".org", 0.7, 0.9), w("isn", 1, 1.2), w("'t", 1.2, 1.3),
             w("bad,", 1.3, 1.5), w("is", 1.5, 1.6), w("it?", 1.6, 1.8)]
    assert join_words(words) == "Research Match.org isn't bad, is it?"


def test_group_words_breaks_at_sentence_ends_and_pauses() -> None:
    words = [w("Hello", 0.0, 0.3), w("there.", 0.3, 0.6), w("Ask", 0.7, 0.9), w("not", 0.9, 1.1),
             w("what", 3.0, 3.2), w("Dr.", 3.2, 3.4)]
    segments = group_words(words)
    assert [s.text for s in segments] == ["Hello there.", "Ask not", "what Dr."]
    assert (segments[1].start, segments[1].end) == (0.7, 1.1)
    assert sum(len(s.words) for s in segments) == len(words)


def test_group_words_caps_segment_length() -> None:
    words = [w(f"w{i}", i * 0.5, i * 0.5 + 0.4) for i in range(100)]
    segments = group_words(words)
    assert all(s.end - s.start <= 20.0 for s in segments) and len(segments) >= 3
    assert [x for s in segments for x in s.words] == words


def test_wordless_stretches_keep_a_margin_from_words() -> None:
    words = [w("a", 1.0, 1.5), w("b", 1.6, 2.0), w("c", 6.0, 6.5)]
    stretches = wordless_stretches(words, 10.0)
    assert stretches == [(2.2, 5.8), (6.7, 10.0)]  # the 0.8 s before the first word is shorter than a second
    assert wordless_stretches([], 4.0) == [(0.0, 4.0)]
    assert wordless_stretches([w("a", 0.0, 3.9)], 4.0) == []


def test_merge_close() -> None:
    assert merge_close([(5.0, 6.0), (0.0, 1.0), (1.5, 2.0), (6.2, 7.0)]) == [(0.0, 2.0), (5.0, 7.0)]


def test_unknown_words_are_only_those_the_transcript_lacks() -> None:
    known = [w("Ask", 1.0, 1.3), w("not", 1.4, 1.6), w("what", 1.7, 1.9), w("your", 2.0, 2.2)]
    decoded = [w("ask,", 1.05, 1.3), w("not", 1.4, 1.6), w("what", 1.7, 1.9), w("your", 2.0, 2.3), w("country", 2.4, 2.9)]
    assert unknown_words(known, decoded) == [decoded[-1]]  # spelt or placed differently is still known
    assert unknown_words([], decoded[:2]) == decoded[:2]
    assert unknown_words(known, [w("what", 3.0, 3.2)]) == []


def test_block_bounds_cut_at_the_quietest_moment() -> None:
    rng = np.random.default_rng(0)
    audio = (0.1 * rng.standard_normal(SAMPLE_RATE * 100)).astype(np.float32)
    audio[int(41.3 * SAMPLE_RATE):int(41.6 * SAMPLE_RATE)] = 0.0  # a pause near the first nominal cut (40 s)
    bounds = block_bounds(audio, block_seconds=40.0, search_seconds=5.0)
    assert bounds[0][0] == 0 and bounds[-1][1] == audio.shape[0]
    assert all(a[1] == b[0] for a, b in itertools.pairwise(bounds))
    assert 41.3 <= bounds[0][1] / SAMPLE_RATE <= 41.6
    assert block_bounds(audio[: SAMPLE_RATE * 10]) == [(0, SAMPLE_RATE * 10)]


def test_joined_stretches_map_back_to_the_recording() -> None:
    audio = np.arange(SAMPLE_RATE * 60, dtype=np.float32)
    joined = join_stretches(audio, [(10.0, 12.0), (30.0, 31.0)], separator=1.0)
    assert joined.audio.shape[0] == 4 * SAMPLE_RATE
    assert joined.audio[2 * SAMPLE_RATE + 10] == 0.0  # the separator is silence
    assert joined.audio[3 * SAMPLE_RATE] == audio[30 * SAMPLE_RATE]
    words = joined.restore([Segment("a b", 0.5, 3.5, (w("a", 0.5, 1.0), w("b", 3.2, 3.5)))])
    assert [(x.start, x.end) for x in words] == [(10.5, 11.0), (30.2, 30.5)]
    assert joined.original_time(2.5) == 12.0  # in the separator: the end of the span before it


def test_pack_windows_gathers_whole_spans_up_to_30_s() -> None:
    audio = np.zeros(SAMPLE_RATE * 200, dtype=np.float32)
    spans = [(0.0, 10.0), (20.0, 35.0), (40.0, 50.0), (60.0, 62.0)]
    windows = pack_windows(join_stretches(audio, spans))
    assert windows == [(0.0, 25.0), (25.0, 37.0)]
    assert split_long([(0.0, 70.0)], 29.0) == [(0.0, 23.333), (23.333, 46.667), (46.667, 70.0)]


def test_gaps_are_kept_in_transcript_json(tmp_path: Path) -> None:
    transcript = Transcript(segments=(), engine="faster-whisper", model="tiny.en", language="en", duration=60.0,
                            input_hash="sha256:x", gaps=((12.5, 14.0), (70.0, 75.5)))
    path = transcript.save(tmp_path / "transcript.json")
    assert '"gaps": [' in path.read_text() and Transcript.load(path).gaps == transcript.gaps


def test_gap_warning_names_the_times() -> None:
    message = gap_warning(((12.5, 14.0), (3700.0, 3705.5)), "build/463/asr.wav")
    assert "7.0 s" in message and "00:12–00:14" in message and "1:01:40–1:01:45" in message
    assert "build/463/asr.wav" in message and "gaps" in message
    many = gap_warning(tuple((float(i), i + 0.5) for i in range(0, 40, 2)), "a.wav", shown=3)
    assert "and 17 more" in many


@pytest.mark.parametrize("duration", [0.5, 31.0, 95.0])
def test_split_long_never_exceeds_the_limit(duration: float) -> None:
    parts = split_long([(0.0, duration)], 29.0)
    assert parts[0][0] == 0.0 and parts[-1][1] == duration
    assert all(end - start <= 29.0 + 1e-6 for start, end in parts)


def test_calls_hold_whole_windows_and_every_stretch_once() -> None:
    stretches = [(i * 10.0, i * 10.0 + 8.0) for i in range(40)]  # 40 stretches of 8 s: three to a 30 s window
    groups = list(group_for_calls(stretches, 4))
    assert [s for group in groups for s in group] == stretches
    audio = np.zeros(SAMPLE_RATE * 410, dtype=np.float32)
    assert all(len(pack_windows(join_stretches(audio, group))) <= 4 for group in groups)
    assert len(groups) == 4  # 14 windows of three stretches (the last of one), four to a call
    with_silence = list(group_for_calls(stretches, 4, separator=1.0))
    assert all(len(pack_windows(join_stretches(audio, group, 1.0))) <= 4 for group in with_silence)


@pytest.mark.parametrize(("seconds", "calls", "expected"), [
    (11.0, 2, 1),  # one window: one call
    (101.0, 2, 2),  # four windows: two to each call
    (101.0, 1, 4),
    (7200.0, 2, 12),  # two hours: bounded
    (0.0, 4, 1),
])
def test_windows_per_call_shares_the_speech_between_the_calls(seconds: float, calls: int, expected: int) -> None:
    assert windows_per_call(seconds, calls, most=12) == expected


def test_the_end_of_a_window_after_its_last_word_is_decoded_again_when_long_enough() -> None:
    from pipeline.transcription.engines import unheard_tails, words_after

    def segment(*spans: tuple[float, float]) -> Segment:
        words = tuple(Word("w", start, end) for start, end in spans)
        return Segment("w " * len(words), spans[0][0], spans[-1][1], words)

    windows = [(0.0, 30.0), (30.0, 60.0), (60.0, 75.0), (75.0, 80.0)]
    segments = [segment((0.5, 1.0), (1.2, 9.0)),  # stops after 9 s: 21 s unheard
                segment((30.5, 58.6)),  # ends 1.4 s before the window does: a pause, not lost speech
                segment((60.2, 61.0), (62.0, 72.9))]  # 2.1 s unheard
    assert unheard_tails(windows, segments) == [(9.0, 30.0), (72.9, 75.0), (75.0, 80.0)]  # the last: no word at all
    again = [segment((8.9, 9.3), (9.4, 12.0)), segment((74.0, 74.5))]  # the word at the cut, heard again, is not kept
    assert [(w.start, w.end) for s in words_after(again, [(9.0, 30.0), (72.9, 75.0)]) for w in s.words] == \
        [(9.4, 12.0), (74.0, 74.5)]


def test_the_ingest_wav_is_read_by_slices_as_the_whole_file_would_be(tmp_path: Path) -> None:
    import threading
    import wave

    from pipeline.transcription.audio import WavSamples, load_audio, open_audio

    samples = (np.sin(np.arange(SAMPLE_RATE * 3) / 7.0) * 20000).astype("<i2")
    path = tmp_path / "asr.wav"
    with wave.open(str(path), "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(SAMPLE_RATE)
        out.writeframes(samples.tobytes())
    whole, opened = load_audio(path), open_audio(path)
    assert isinstance(opened, WavSamples) and opened.shape == whole.shape
    for first, last in [(0, 10), (12345, 23456), (47990, 48000), (47990, 60000), (100, 50)]:
        assert np.array_equal(opened[first:last], whole[first:last])
    results: list[bool] = []  # the decode threads and the VAD threads read at once
    threads = [threading.Thread(target=lambda i=i: results.append(
        np.array_equal(opened[i * 1000:i * 1000 + 4000], whole[i * 1000:i * 1000 + 4000]))) for i in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert results == [True] * 8
