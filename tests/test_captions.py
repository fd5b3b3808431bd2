"""build_cues: property tests of its invariants (hypothesis) and examples of its line-breaking rules."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from pipeline.config.show import CaptionSettings
from pipeline.formats.captions import MIN_GAP, build_cues, stranded_sentence_start
from pipeline.formats.transcript import Word

TOLERANCE = 0.0015  # cue times are rounded to milliseconds

word_text = st.text(alphabet="abcdefghijklmnopqrstuvwxyzABC'.,?!-", min_size=1, max_size=50)
timed_word = st.tuples(word_text, st.floats(0, 2.5), st.floats(0, 1.5))  # text, gap before, duration
caption_settings = st.sampled_from([
    CaptionSettings(),
    CaptionSettings(max_chars_per_line=20, max_lines=1, max_duration=4.0),
    CaptionSettings(max_chars_per_line=32, max_lines=3, min_duration=0.5, max_chars_per_second=15, max_pause=0.8),
])


def make_words(spec: list[tuple[str, float, float]]) -> list[Word]:
    words, clock = [], 0.0
    for text, gap, duration in spec:
        start = clock + gap
        words.append(Word(text, round(start, 3), round(start + duration, 3)))
        clock = start + duration
    return words


def words_from_text(text: str, seconds_per_word: float = 0.3) -> list[Word]:
    return [Word(w, round(i * seconds_per_word, 3), round((i + 1) * seconds_per_word, 3)) for i, w in enumerate(text.split())]


@settings(max_examples=150, deadline=None)
@given(st.lists(timed_word, max_size=80), caption_settings)
def test_cue_invariants(spec: list[tuple[str, float, float]], config: CaptionSettings) -> None:
    words = make_words(spec)
    cues = build_cues(words, config)

    # every word once, in order
    assert [w for cue in cues for w in cue.words] == words
    for index, cue in enumerate(cues):
        assert 1 <= len(cue.lines) <= config.max_lines
        for line in cue.lines:
            text = " ".join(w.text for w in line)
            assert len(text) <= config.max_chars_per_line or len(line) == 1, text
        assert cue.end > cue.start
        # no cue spans a long pause
        for before, after in zip(cue.words, cue.words[1:], strict=False):
            assert after.start - before.end <= config.max_pause
        span_of_one_word = len(cue.words) == 1 and cue.words[0].end - cue.words[0].start > config.max_duration
        assert cue.end - cue.start <= config.max_duration + TOLERANCE or span_of_one_word
        if index + 1 < len(cues):
            following = cues[index + 1]
            # ordered, not overlapping, two frames apart
            assert following.start - cue.end >= MIN_GAP - TOLERANCE
            # long enough, unless the next cue leaves no room
            assert cue.end - cue.start >= config.min_duration - TOLERANCE or following.start - cue.end <= MIN_GAP + TOLERANCE
        else:
            assert cue.end - cue.start >= config.min_duration - TOLERANCE


@given(st.lists(timed_word, max_size=40))
def test_pure(spec: list[tuple[str, float, float]]) -> None:
    words = make_words(spec)
    assert build_cues(words, CaptionSettings()) == build_cues(list(words), CaptionSettings())


def test_empty_and_blank_words() -> None:
    assert build_cues([], CaptionSettings()) == []
    cues = build_cues([Word(" ", 0, 0.2), Word("Hello.", 0.2, 0.6)], CaptionSettings())
    assert [cue.text for cue in cues] == ["Hello."]


def test_never_breaks_between_article_and_noun() -> None:
    text = ("In this study a subject received forty five minute massages twice a week for three weeks and reported "
            "the decrease of the restless leg symptoms after the treatments")
    cues = build_cues(words_from_text(text), CaptionSettings())
    assert len(cues) > 1
    for cue in cues:
        for line in cue.lines:
            assert line[-1].text.lower() not in {"a", "an", "the"}, cue.text


def test_breaks_at_sentence_end() -> None:
    text = "Welcome to Massage Monday, episode 463. Does massage help restless leg syndrome? A while ago I received a request."
    cues = build_cues(words_from_text(text, 0.25), CaptionSettings())
    line_ends = [line[-1].text for cue in cues for line in cue.lines]
    assert "463." in line_ends and "syndrome?" in line_ends


def test_no_cue_ends_on_the_first_words_of_a_new_sentence() -> None:
    text = ("Cells talk to each other through proteins and hormones and even genes. So, what does that mean for us? "
            "It means a lot, and we will see why. Yes. Then the second study asked the same question in older adults.")
    cues = build_cues(words_from_text(text, 0.28), CaptionSettings())
    assert not [cue.text for cue in cues if stranded_sentence_start(cue.words)]
    assert "genes." in [cue.words[-1].text for cue in cues]  # that cue ends where its sentence does


def test_stranded_sentence_start() -> None:
    assert stranded_sentence_start(words_from_text("and even genes. So,"))
    assert stranded_sentence_start(words_from_text("and even genes. So what"))
    assert not stranded_sentence_start(words_from_text("and even genes. So what does"))
    assert not stranded_sentence_start(words_from_text("and even genes."))
    assert not stranded_sentence_start(words_from_text("Yes."))


def test_pause_starts_a_new_cue_and_reading_speed_is_kept() -> None:
    words = [Word("Short", 0.0, 0.3), Word("line.", 0.3, 0.6), Word("After", 2.5, 2.8), Word("a", 2.8, 2.9),
             Word("pause.", 2.9, 3.2)]
    cues = build_cues(words, CaptionSettings())
    assert [cue.text for cue in cues] == ["Short line.", "After a pause."]
    assert cues[0].end - cues[0].start >= 1.0  # extended to the minimum duration into the pause
    assert cues[0].end <= cues[1].start - MIN_GAP + 0.001


def test_long_speech_makes_two_line_cues_within_limits() -> None:
    text = ("So these are things that you can look into, because I believe it's easier to fix the symptoms if you know "
            "the cause, and if you can fix the cause. At least that's my approach.")
    cues = build_cues(words_from_text(text, 0.35), CaptionSettings())
    assert any(len(cue.lines) == 2 for cue in cues)
    for cue in cues:
        chars = len(cue.text.replace("\n", " "))
        assert chars / (cue.end - cue.start) <= 20.0 + 1e-6
