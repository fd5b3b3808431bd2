"""The edit (issue 25): cuts, pauses, inserts, intro and outro planned on word boundaries (pure), the transcript
carried into published time (property-tested), and the stage on real speech: the published MP3 re-transcribed
agrees with the published transcript's times."""

from __future__ import annotations

import json
import logging
import shutil
import statistics
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pipeline.edit.plan import CutRequest, InsertRequest, MusicRequest, plan_edit
from pipeline.edit.transcript import published_transcript
from pipeline.errors import ConfigError, InputError
from pipeline.formats.timemap import EditError, TimeMap
from pipeline.formats.transcript import Transcript, Word, bare_word, group_words
from pipeline.layout import Project
from pipeline.notes.sentences import split_sentences
from pipeline.slices import stage_slices
from pipeline.tools.media import probe
from pipeline.transcription.audio import load_audio
from pipeline.transcription.engines import DecodeSettings
from pipeline.transcription.models import resolve_model
from pipeline.transcription.transcribe import transcribe_audio
from tests.conftest import DATA, edit_episode, make_context, run_stage
from tests.media import ffmpeg

SENTENCES = ("One two three.", "Four five six.", "Let me say that again.", "Seven eight nine.", "Ten eleven twelve.",
             "Thirteen fourteen fifteen.")
TEXT = " ".join(SENTENCES).split()


def spoken(texts: list[str] = TEXT, word: float = 0.4, gap: float = 0.1, sentence_gap: float = 0.6) -> list[Word]:
    """Words of `word` s, `gap` s apart, `sentence_gap` s after a full stop, from 1 s."""
    words, clock = [], 1.0
    for text in texts:
        words.append(Word(text, round(clock, 3), round(clock + word, 3)))
        clock += word + (sentence_gap if text.endswith(".") else gap)
    return words


def heard(words: list[Word], duration: float) -> Transcript:
    return Transcript(segments=tuple(group_words(words)), engine="test", model="none", language="en",
                      duration=duration, input_hash="test")


def plan_of(words: list[Word], duration: float = 20.0, **edit: object):  # type: ignore[no-untyped-def]
    return plan_edit(words, split_sentences(heard(words, duration)), duration, **edit)  # type: ignore[arg-type]


def test_a_range_cut_takes_whole_words_and_ends_in_pauses() -> None:
    words = spoken()
    inside = words[4]  # "five", cut from its middle
    plan = plan_of(words, cuts=[CutRequest("cuts[0]", start=(inside.start + inside.end) / 2 - 0.01, end=words[6].end + 0.05)])
    (cut,) = plan.changes
    assert words[3].end < cut.start < inside.start and words[6].end < cut.end < words[7].start
    assert cut.reason.startswith("cuts[0]")
    mapped = published_transcript(heard(words, 20.0), plan.time_map)
    assert [w.text for w in mapped.words] == [w.text for w in words[:4] + words[7:]]


def test_a_quote_cuts_the_sentence_holding_it() -> None:
    words = spoken()
    plan = plan_of(words, cuts=[CutRequest("cuts[1]", quote="say that")])
    mapped = published_transcript(heard(words, 20.0), plan.time_map)
    assert " ".join(w.text for w in mapped.words) == " ".join(t for t in TEXT if t not in SENTENCES[2].split())
    removed = sum(c.length for c in plan.changes)
    assert plan.time_map.duration == pytest.approx(20.0 - removed)


@pytest.mark.parametrize(("cut", "message"), [
    (CutRequest("cuts[0]", quote="say it once more"), r'cuts\[0\]\.quote: "say it once more" is not in the transcript'),
    (CutRequest("cuts[0]", start=25.0, end=30.0), r"cuts\[0\]: starts at 00:25\.000, after the end"),
    (CutRequest("cuts[0]", start=0.0, end=20.0), "remove the whole recording"),
])
def test_cuts_that_cannot_be_are_named_errors(cut: CutRequest, message: str) -> None:
    with pytest.raises(EditError, match=message):
        plan_of(spoken(), cuts=[cut])


def test_a_misquote_names_the_nearest_words() -> None:
    with pytest.raises(EditError, match=r'the nearest words are "let me say that" at 00:05'):
        plan_of(spoken(), cuts=[CutRequest("cuts[0]", quote="let me say this")])


def test_long_quiet_pauses_are_shortened_to_max_pause_and_nothing_else() -> None:
    words = spoken()
    words[6:] = [Word(w.text, w.start + 3.0, w.end + 3.0) for w in words[6:]]  # 3.6 s after "six."
    quiet = [(words[5].end + 0.2, words[6].start - 0.1), (words[1].end, words[2].start)]
    plan = plan_of(words, 23.0, max_pause=1.0, quiet=quiet)
    (pause,) = plan.changes
    assert pause.kind == "pause" and pause.length == pytest.approx(quiet[0][1] - quiet[0][0] - 1.0)
    mapped = published_transcript(heard(words, 23.0), plan.time_map)
    gap = mapped.words[6].start - mapped.words[5].end
    assert 1.0 <= gap <= 1.0 + 0.3 + 1e-9  # the quiet part is max_pause; what is not quiet stays
    assert len(mapped.words) == len(words)


def test_an_insert_goes_to_the_nearest_sentence_boundary_and_shifts_what_follows() -> None:
    words = spoken()
    plan = plan_of(words, inserts=[InsertRequest("inserts[0]", "sponsor.mp3", 5.0, at=words[6].start + 0.2)])
    (insert,) = plan.changes
    assert words[5].end < insert.start < words[6].start  # between "six." and "Let"
    mapped = published_transcript(heard(words, 20.0), plan.time_map)
    assert [w.start for w in mapped.words[:6]] == [w.start for w in words[:6]]
    assert all(m.start == pytest.approx(w.start + 5.0) for m, w in zip(mapped.words[6:], words[6:], strict=True))
    assert plan.time_map.duration == pytest.approx(25.0)


def test_an_insert_inside_a_cut_is_an_error() -> None:
    words = spoken()
    with pytest.raises(EditError, match=r"inserts\[0\]\.at: 00:06\.000 is inside a cut"):
        plan_of(words, cuts=[CutRequest("cuts[0]", start=5.0, end=8.0)],
                inserts=[InsertRequest("inserts[0]", "sponsor.mp3", 5.0, at=6.0)])


def test_intro_and_outro_overlap_the_speech_and_are_ducked_under_it() -> None:
    words = spoken()
    plan = plan_of(words, 30.0, intro=MusicRequest("intro.mp3", 8.0, 2.0), outro=MusicRequest("outro.mp3", 10.0, 3.0))
    mapped = published_transcript(heard(words, 30.0), plan.time_map)
    assert mapped.words[0].start == pytest.approx(6.0 + 0.3)  # the speech starts 2 s before the intro ends
    intro, outro = plan.music
    assert (intro.start, intro.length, intro.ducked_from) == (0.0, 8.0, pytest.approx(6.0))
    assert outro.start < mapped.words[-1].end < outro.ducked_until  # starts 3 s before the speech ends
    assert plan.time_map.duration == pytest.approx(outro.start + 10.0)
    assert [c.kind for c in plan.changes] == ["trim", "intro", "outro", "trim"]


WORDS = st.lists(st.tuples(st.integers(50, 800), st.integers(20, 2000)), min_size=2, max_size=40)


@settings(max_examples=150, deadline=None)
@given(WORDS, st.lists(st.tuples(st.floats(0, 1), st.floats(0, 1)), max_size=4),
       st.lists(st.floats(0, 1), max_size=3))
def test_published_words_keep_their_order_and_length_and_none_is_in_a_cut(
        shape: list[tuple[int, int]], cuts: list[tuple[float, float]], inserts: list[float]) -> None:
    words, clock = [], 0.5
    for index, (length, gap) in enumerate(shape):
        words.append(Word(f"w{index}.", round(clock, 3), round(clock + length / 1000, 3)))
        clock += (length + gap) / 1000
    duration = round(clock + 1.0, 3)
    requests = [CutRequest(f"cuts[{i}]", start=round(min(a, b) * duration, 3), end=round(max(a, b) * duration, 3) + 0.01)
                for i, (a, b) in enumerate(cuts) if min(a, b) * duration < duration - 0.02]
    try:
        plan = plan_of(words, duration, cuts=requests,
                       inserts=[InsertRequest(f"inserts[{i}]", "x.mp3", 2.0, at=at * duration) for i, at in enumerate(inserts)])
    except EditError:
        return  # all cut, less than a word, or an insert inside a cut: tested above
    mapped = published_transcript(heard(words, duration), plan.time_map)
    kept = {w.text: w for w in words}
    removed = [(c.start, c.end) for c in plan.changes if c.kind == "cut"]
    for before, after in zip(mapped.words, mapped.words[1:], strict=False):
        assert before.end <= after.start + 1e-9
    for word in mapped.words:
        original = kept[word.text]
        assert word.end - word.start == pytest.approx(original.end - original.start, abs=2e-3)
        assert not any(a < original.start and original.end < b for a, b in removed)
        assert plan.time_map.recording(word.start + 1e-4) == pytest.approx(original.start + 1e-4, abs=2e-3)
    gone = {w.text for w in words} - {w.text for w in mapped.words}
    assert all(any(a <= kept[t].start and kept[t].end <= b for a, b in removed) for t in gone)


def test_editing_cuts_inserts_or_corrections_touches_the_edit_slice_alone(project: Project) -> None:
    before = stage_slices(make_context(project, "463").show, make_context(project, "463").episode)
    edit_episode(project, cuts=[{"quote": "let me say that again"}], corrections=[{"from": "Dina", "to": "Dana"}],
                 inserts=[{"file": "sponsor.mp3", "at": "01:00"}])
    after = stage_slices(make_context(project, "463").show, make_context(project, "463").episode)
    assert {stage for stage in before if before[stage] != after[stage]} == {"edit", "feed", "notes"}
    assert before["transcribe"] == after["transcribe"] and before["ingest"] == after["ingest"]


# ---------------------------------------------------------------- the stage, on real speech


def heard_project(project: Project, recording: Path) -> Project:
    shutil.copyfile(recording, project.episodes_dir / "463" / recording.name)
    edit_episode(project, recording=recording.name)
    run_stage(project, "ingest", step="audio")
    run_stage(project, "transcribe")
    return project


@pytest.fixture
def jfk_heard(project: Project) -> Project:
    return heard_project(project, DATA / "jfk.flac")


def music(path: Path, seconds: float, frequency: int) -> Path:
    ffmpeg("-f", "lavfi", "-i", f"sine=frequency={frequency}:duration={seconds}", "-ac", "1", "-b:a", "64k", path)
    return path


@pytest.mark.slow
def test_the_published_sound_and_transcript_agree_after_every_kind_of_edit(project: Project,
                                                                           caplog: pytest.LogCaptureFixture) -> None:
    project = heard_project(project, DATA / "lucier.mp3")
    paths = make_context(project, "463").paths
    sentence = split_sentences(Transcript.load(paths.heard_json))[3]  # as this machine heard it
    quoted = " ".join(bare_word(word) for word in sentence.text.split()[:4])
    music(project.root / "config" / "intro.mp3", 4.0, 440)
    music(project.root / "config" / "outro.mp3", 5.0, 330)
    shutil.copyfile(DATA / "an4_2spk.flac", project.episodes_dir / "463" / "sponsor.flac")
    show = project.show_file.read_text(encoding="utf-8")
    project.show_file.write_text(show.replace("\naudio:\n", "\naudio:\n  intro: {file: config/intro.mp3, overlap: 1.0}\n"
                                              "  outro: {file: config/outro.mp3, overlap: 2.0}\n  max_pause: 0.5\n", 1))
    edit_episode(project, cuts=[{"quote": quoted}], inserts=[{"file": "sponsor.flac", "at": "00:20"}])
    caplog.set_level(logging.INFO, logger="pipeline")
    run_stage(project, "edit")
    edit = json.loads(paths.edit_json.read_text(encoding="utf-8"))
    kinds = [change["kind"] for change in edit["changes"]]
    assert {"intro", "insert", "cut", "outro"} <= set(kinds)
    published = Transcript.load(paths.transcript_json)
    assert probe(paths.edited_mp3).duration == pytest.approx(edit["published_seconds"], abs=0.06)
    assert published.duration == pytest.approx(edit["published_seconds"], abs=1e-3)
    assert "Removed" in paths.edits_txt.read_text(encoding="utf-8")
    assert json.loads(paths.edit_otio.read_text(encoding="utf-8"))["OTIO_SCHEMA"].startswith("Timeline")

    # The published MP3, transcribed again: each word it hears where the published transcript says it is.
    again = transcribe_audio(load_audio(paths.edited_mp3), "faster-whisper", resolve_model("tiny.en", "faster-whisper"),
                             DecodeSettings(threads=2))
    errors = time_errors(published.words, [word for segment in again.segments for word in segment.words])
    assert len(errors) >= 50 and statistics.median(errors) < 0.15 and np.percentile(errors, 90) < 0.5
    assert quoted not in " ".join(bare_word(w.text) for w in published.words)  # the cut sentence is gone


def time_errors(published: list[Word], heard_again: list[Word]) -> list[float]:
    """|start difference| of each word the two transcripts share, matched in order (difflib's longest blocks)."""
    import difflib

    ours, theirs = [bare_word(w.text) for w in published], [bare_word(w.text) for w in heard_again]
    matcher = difflib.SequenceMatcher(a=ours, b=theirs, autojunk=False)
    return [abs(published[block.a + k].start - heard_again[block.b + k].start)
            for block in matcher.get_matching_blocks() for k in range(block.size)]


def test_bad_edits_are_named_and_nothing_is_replaced(jfk_heard: Project) -> None:
    project = jfk_heard
    paths = make_context(project, "463").paths
    run_stage(project, "edit")
    before = {path: path.read_bytes() for path in (paths.edited_mp3, paths.transcript_json, paths.edit_json)}
    edit_episode(project, cuts=[{"quote": "ask not what your country can do for the cat"}])
    with pytest.raises(InputError, match=r'episode\.yaml: cuts\[0\]\.quote: .* is not in the transcript'):
        run_stage(project, "edit")
    edit_episode(project, cuts=None, inserts=[{"file": "missing.mp3", "at": 3}])
    with pytest.raises(ConfigError, match=r"inserts\[0\]\.file: 'missing\.mp3' does not exist"):
        run_stage(project, "edit")
    (project.root / "config" / "intro.mp3").write_text("not audio")
    show = project.show_file.read_text(encoding="utf-8")
    project.show_file.write_text(show.replace("\naudio:\n", "\naudio:\n  intro: {file: config/intro.mp3}\n", 1))
    edit_episode(project, inserts=None)
    with pytest.raises(InputError, match=r"audio\.intro\.file: config/intro\.mp3"):
        run_stage(project, "edit")
    assert {path: path.read_bytes() for path in before} == before
    assert not list(paths.build.glob("*.part*")) and not (paths.build / "edit-assembled.wav").exists()


def test_a_video_recording_is_cut_picture_and_sound_together(project: Project) -> None:
    """The picture's brightness tells its recording time, so a frame shows which moment of the recording it is."""
    folder = project.episodes_dir / "463"
    ffmpeg("-f", "lavfi", "-i", "color=c=black:s=160x90:r=25:d=12,format=yuv420p,geq=lum='min(255,T*20)':cb=128:cr=128",
           "-f", "lavfi", "-i", "sine=frequency=300:duration=12", "-c:v", "libx264", "-pix_fmt", "yuv420p",
           "-preset", "ultrafast", "-c:a", "aac", "-shortest", folder / "camera.mp4")
    edit_episode(project, recording="camera.mp4", cuts=[{"start": 3.0, "end": 7.0}])
    show = project.show_file.read_text(encoding="utf-8")
    project.show_file.write_text(show.replace("{name: landscape, width: 1280, height: 720}",
                                              "{name: landscape, width: 320, height: 180}"))
    run_stage(project, "ingest", step="audio")
    paths = make_context(project, "463").paths
    words = [Word("tone.", 1.0, 2.5), Word("again.", 8.0, 9.5)]
    heard(words, 12.0).save(paths.heard_json)
    run_stage(project, "edit")
    edit = json.loads(paths.edit_json.read_text(encoding="utf-8"))
    assert edit["published_seconds"] == pytest.approx(8.0, abs=0.01)
    time_map = TimeMap.from_document(edit["pieces"])
    [_vtt, *videos] = run_stage(project, "video", video_formats=["landscape"])
    (mp4,) = videos
    assert probe(mp4).duration == pytest.approx(8.0, abs=0.15)
    from tests.test_video import frame_at

    for published in (1.0, 5.0):
        recording = time_map.recording(published)
        assert recording is not None
        brightness = float(frame_at(mp4, published)[:40, :80].mean())  # above the captions
        assert brightness == pytest.approx(min(255, recording * 20), abs=25), published
