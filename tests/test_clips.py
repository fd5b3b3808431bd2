"""Clips: highlights picked from whole sentences (pure selection), pinned and vetoed in episode.yaml, rendered
as small vertical videos from the real episode 463, published with the episode and in the feed."""

from __future__ import annotations

import json
import re
import shutil
from collections.abc import Sequence
from pathlib import Path

import av
import numpy as np
import pytest
import yaml

from pipeline.clips.select import framing, pick_clips, quote_span, score
from pipeline.config.episode import ClipChoice
from pipeline.errors import InputError
from pipeline.formats.transcript import Transcript, Word
from pipeline.layout import Project, episode_paths
from pipeline.notes.sentences import TimedSentence, split_sentences
from pipeline.tools.media import probe
from tests.conftest import edit_episode, run_stage
from tests.helpers import episode_of, nothing_edited, problems_of

FILLER = "we talked about the weather for a while and then about other things"
TEXTS = [
    FILLER + ".", FILLER + ".", "Does massage help restless legs?", "Two studies found that it eased symptoms in 80 percent "
    "of patients.", "The trial was published in a journal.", FILLER + ".", FILLER + ".", "And so it goes on.",
    FILLER + ".", FILLER + ".",
]


def transcript_of(texts: Sequence[str], seconds_per_word: float = 0.4) -> tuple[list[TimedSentence], list[Word]]:
    sentences, words, clock = [], [], 0.0
    for index, text in enumerate(texts):
        first = len(words)
        for token in text.split():
            words.append(Word(token, round(clock, 3), round(clock + seconds_per_word * 0.8, 3)))
            clock += seconds_per_word
        sentences.append(TimedSentence(text, words[first].start, words[-1].end, index))
        clock += 0.3
    return sentences, words


def no_embeddings(texts: Sequence[str]) -> np.ndarray:
    return np.tile(np.array([1.0, 0.0]), (len(texts), 1))


def test_clips_are_whole_sentences_and_the_standalone_moment_wins() -> None:
    sentences, words = transcript_of(TEXTS)
    clips = pick_clips(sentences, words, 2, 10.0, 20.0, [], words[-1].end, "episodes/1/episode.yaml", no_embeddings)
    assert len(clips) == 2 and not clips[0].overlaps(clips[1].start, clips[1].end)
    starts, ends = {s.start for s in sentences}, {s.end for s in sentences}
    for clip in clips:
        assert clip.start in starts and clip.end in ends and 10.0 <= clip.seconds <= 20.0
    best = max(clips, key=lambda c: c.score)
    spoken = " ".join(re.sub(r"[^\w'-]", "", w.text.lower()) for w in best.words)
    assert 1 <= len(best.title.split()) <= 4 and best.title.lower() in spoken  # a phrase of its own, not its first sentence
    assert "Does massage help" in " ".join(w.text for w in best.words)
    assert {"question and answer", "a number", "a named study"} <= {r.split(" (")[0] for r in best.reasons}


def test_a_dangling_start_and_silence_cost() -> None:
    sentences, words = transcript_of(["And so it goes on.", "Massage was fine."])
    dangling, _ = score(sentences[:1], words[:5], 0.5)
    clean, _ = score(sentences[1:], words[5:], 0.5)
    assert clean > dangling
    spread = [Word(w.text, w.start * 3, w.end * 3 - 0.5 * i) for i, w in enumerate(words[:5])]
    assert score(sentences[:1], spread, 0.5)[0] < dangling


def test_pins_and_vetoes() -> None:
    sentences, words = transcript_of(TEXTS)
    duration = words[-1].end
    question = next(s for s in sentences if s.text.startswith("Does"))
    choices = [ClipChoice(quote="the trial was PUBLISHED", title="Published"),
               ClipChoice(start=0, end=sentences[1].end, veto=True)]
    clips = pick_clips(sentences, words, 3, 10.0, 20.0, choices, duration, "e.yaml", no_embeddings)
    pinned = [c for c in clips if c.pinned]
    assert [c.title for c in pinned] == ["Published"] and pinned[0].start == sentences[4].start
    assert pinned[0].seconds >= 10.0  # the quote's sentence, extended to the shortest clip
    assert not any(c.overlaps(0, sentences[1].end) for c in clips)
    assert quote_span(sentences, "restless legs? Two studies") == (question.index, question.index + 1)


@pytest.mark.parametrize(("choice", "message"), [
    (ClipChoice(start=0, end=30), "clips[0].end: 30 s is past the end of the episode"),
    (ClipChoice(quote="never said on the show"), "clips[0].quote: 'never said on the show' is not in the transcript"),
])
def test_a_pin_that_cannot_be_is_an_error_naming_the_field(choice: ClipChoice, message: str) -> None:
    sentences, words = transcript_of(TEXTS[:3])
    with pytest.raises(InputError, match=re.escape(message)):
        pick_clips(sentences, words, 3, 5.0, 20.0, [choice], 25.0, "episodes/1/episode.yaml", no_embeddings)


def test_a_pin_in_the_middle_of_a_word() -> None:
    sentences, words = transcript_of(TEXTS)
    inside = (words[3].start + words[3].end) / 2
    with pytest.raises(InputError, match=r"clips\[0\]\.start: .* is in the middle of the word 'the'") as caught:
        pick_clips(sentences, words, 1, 5.0, 20.0, [ClipChoice(start=inside, end=inside + 8)], words[-1].end, "e.yaml",
                   no_embeddings)
    assert "between words" in (caught.value.hint or "")


def test_pins_too_short_or_too_long_are_refused_in_episode_yaml(project: Project) -> None:
    edit_episode(project, clips=[{"start": "00:10", "end": "00:12"}, {"start": "00:00", "end": "04:00"}, {"title": "x"}])
    text = "\n".join(problems_of(project))
    assert "episodes/463/episode.yaml: clips[0]: {'end': '00:12', 'start': '00:10'} a clip lasts 5 to 180 s; " \
           "00:10–00:12 is 2 s" in text
    assert "clips[1]: {'end': '04:00', 'start': '00:00'} a clip lasts 5 to 180 s" in text
    assert "clips[2]: {'title': 'x'} give start and end (times in the episode), or quote" in text


# ---------------------------------------------------------------- the stage, on the real episode 463


def small_clips(project: Project, **changes: object) -> None:
    show = yaml.safe_load(project.show_file.read_text())
    show["clips"] = {"count": 2, "min_seconds": 8, "max_seconds": 16,
                     "formats": [{"name": "vertical", "width": 144, "height": 256},
                                 {"name": "square", "width": 160, "height": 160}], **changes}
    project.show_file.write_text(yaml.safe_dump(show, allow_unicode=True))


@pytest.fixture
def clip_project(built_463: Project, tmp_path: Path) -> Project:
    project = Project(tmp_path / "show")
    shutil.copytree(built_463.root, project.root, ignore=shutil.ignore_patterns("public"))
    small_clips(project)
    return project


def test_stage_renders_clips_and_they_are_published_and_in_the_feed(clip_project: Project) -> None:
    project = clip_project
    paths = episode_paths(project, episode_of(project, "463"))
    # quoted from this machine's own transcript: another CPU's model may spell the episode differently
    spoken = split_sentences(Transcript.load(paths.transcript_json))[2].text.split()
    edit_episode(project, clips=[{"quote": " ".join(spoken[:4]), "title": "The question"}])
    written = run_stage(project, "clips")
    listed = json.loads(paths.clips_json.read_text())["clips"]
    assert len(listed) == 2  # in the order they play: which comes first depends on what else this CPU's words pick
    assert [clip["title"] for clip in listed if clip["pinned"]] == ["The question"]
    assert all(clip["reasons"] for clip in listed)
    for clip in listed:
        vertical, square = (paths.build / clip["videos"][name] for name in ("vertical", "square"))
        with av.open(str(vertical)) as container:
            stream = container.streams.video[0]
            assert (stream.codec_context.width, stream.codec_context.height) == (144, 256)
        assert abs(probe(vertical).duration - (clip["end"] - clip["start"])) < 0.6
        assert square.name == f"{clip['number']}-square.mp4" and square.is_file()
        assert (paths.build / clip["poster"]).read_bytes()[:2] == b"\xff\xd8"  # a JPEG
        assert (paths.build / clip["captions"]).read_text().startswith("WEBVTT")
    assert paths.clips_json in written

    run_stage(project, "feed")
    feed = (project.build_dir / "feed.xml").read_text()
    assert feed.count("<podcast:soundbite ") == 2 and ">The question</podcast:soundbite>" in feed
    page = (project.build_dir / "site" / f"episodes/{episode_of(project, '463').key}/index.html").read_text()
    assert page.count('<video controls preload="none"') == 2 and 'src="clips/1.mp4"' in page
    from pipeline.layout import public_key

    keys = {public_key(episode_of(project, "463"), p) for p in paths.clip_files()}
    assert f"episodes/{episode_of(project, '463').key}/clips/1.mp4" in keys


def test_an_episode_shorter_than_the_shortest_clip_gets_none_and_a_note(project: Project,
                                                                       caplog: pytest.LogCaptureFixture) -> None:
    from tests.helpers import SPOKEN, prepare_video

    prepare_video(project, SPOKEN, seconds=4.0)
    small_clips(project)
    with caplog.at_level("WARNING"):
        written = run_stage(project, "clips")
    paths = episode_paths(project, episode_of(project, "463"))
    document = json.loads(paths.clips_json.read_text())
    assert document["clips"] == [] and "shorter than the shortest clip (clips.min_seconds: 8)" in document["note"]
    assert written == [paths.clips_json] and "no clips for episode 463" in caplog.text


def test_a_video_recording_clip_fills_the_frame_under_the_titles(project: Project) -> None:
    """A clip of a video recording: its picture cut to fill the vertical frame, the show title and the episode's
    number over it."""
    from pipeline.formats.transcript import Segment, Transcript
    from tests.media import ffmpeg, tone

    folder = project.episodes_dir / "463"
    ffmpeg("-f", "lavfi", "-i", "testsrc2=size=320x180:rate=25:duration=40", "-f", "lavfi", "-i", "sine=duration=40",
           "-c:v", "libx264", "-pix_fmt", "yuv420p", "-preset", "ultrafast", "-c:a", "aac", "-shortest", folder / "camera.mp4")
    (folder / "episode.yaml").write_text((folder / "episode.yaml").read_text().replace("recording: recording.mp3",
                                                                                      "recording: camera.mp4"))
    small_clips(project, count=1, min_seconds=5, max_seconds=12, formats=[{"name": "vertical", "width": 144, "height": 256}])
    paths = episode_paths(project, episode_of(project, "463"))
    paths.build.mkdir(parents=True, exist_ok=True)
    tone(paths.edited_mp3, seconds=40.0)
    nothing_edited(paths, 40.0)
    _sentences, words = transcript_of(TEXTS[:5], seconds_per_word=0.3)
    Transcript(segments=(Segment(" ".join(w.text for w in words), words[0].start, words[-1].end, tuple(words)),),
               engine="test", model="none", language="en", duration=40.0, input_hash="test").save(paths.transcript_json)
    run_stage(project, "clips")
    (clip,) = json.loads(paths.clips_json.read_text())["clips"]
    video = paths.build / clip["videos"]["vertical"]
    with av.open(str(video)) as container:
        frame = next(container.decode(video=0)).to_ndarray(format="rgb24")
    assert frame.shape[:2] == (256, 144)
    top, middle = frame[: 256 // 5], frame[256 // 3: 256 // 2]
    yellow = (top[..., 0] > 170) & (top[..., 1] > 140) & (top[..., 2] < 110)
    assert yellow.sum() > 10  # the show title, in the highlight colour, on the strip
    assert middle.std() > 30  # the recording's colour bars fill the frame (cropped, not letterboxed)


def test_never_the_greeting_the_sign_off_or_inserted_sound() -> None:
    texts = ["Welcome to Massage Monday, episode 463.", "Does massage help restless legs?",
             "Two studies found that it did, in 45 minute sessions.", "The first was published in 2007.",
             "Researchers saw fewer symptoms after two weeks.", "A leg massager costs less than a session.",
             "That's it for Massage Monday.", "See you next Monday."]
    sentences, words = transcript_of(texts, seconds_per_word=0.5)
    duration = words[-1].end
    avoid = framing(sentences, duration, "Massage Monday")
    assert [round(a, 1) for a, _b in avoid] == [round(sentences[i].start, 1) for i in (0, 6, 7)]
    sponsor = (sentences[3].start - 0.01, sentences[3].end + 0.01)
    clips = pick_clips(sentences, words, 3, 3.0, 12.0, [], duration, "e.yaml", no_embeddings, [*avoid, sponsor])
    assert clips
    for clip in clips:
        assert not any(clip.overlaps(a, b) for a, b in [*avoid, sponsor])
