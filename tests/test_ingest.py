"""Stage ingest: real ffmpeg encodes, loudness measured with ebur128, tags read back with mutagen."""

from __future__ import annotations

import json
import logging
import re
import subprocess
from pathlib import Path

import av
import pytest
from mutagen.id3 import ID3
from mutagen.mp3 import MP3

from pipeline.errors import InputError
from pipeline.formats.chapters import marks_from_document
from pipeline.layout import Project
from pipeline.tools.ffmpeg import ffmpeg_exe
from pipeline.tools.media import probe
from tests import media
from tests.conftest import DATA, make_context, published_as_recorded, run_stage


def measure(path: Path) -> tuple[float, float]:
    """Integrated loudness (LUFS) and true peak (dBTP), measured independently with ffmpeg's ebur128."""
    result = subprocess.run([ffmpeg_exe(), "-hide_banner", "-nostats", "-i", str(path), "-af", "ebur128=peak=true",
                             "-f", "null", "-"], capture_output=True, text=True, check=True)
    summary = result.stderr[result.stderr.rindex("Summary:"):]
    integrated = float(re.search(r"I:\s+(-?[\d.]+) LUFS", summary).group(1))  # type: ignore[union-attr]
    peak = float(re.search(r"Peak:\s+(-?[\d.]+) dBFS", summary).group(1))  # type: ignore[union-attr]
    return integrated, peak


def use_recording(project: Project, source: Path) -> None:
    folder = project.episodes_dir / "463"
    target = folder / f"input{source.suffix}"
    target.write_bytes(source.read_bytes())
    episode_yaml = folder / "episode.yaml"
    episode_yaml.write_text(re.sub(r"recording: .*", f"recording: {target.name}", episode_yaml.read_text()))


def build_files(project: Project) -> list[Path]:
    build = project.build_dir / "463"
    return sorted(p for p in build.rglob("*") if p.is_file() and "config" not in p.parts) if build.exists() else []


@pytest.mark.slow
def test_demo_episode_is_normalised_and_tagged(project: Project) -> None:
    written = run_stage(project, "ingest", step="audio")
    published_as_recorded(project)
    written += run_stage(project, "ingest", step="tags")
    ctx = make_context(project, "463")
    mp3 = ctx.paths.podcast_mp3
    assert ctx.paths.asr_wav in written and mp3 in written
    integrated, peak = measure(mp3)
    assert abs(integrated - (-16.0)) <= 0.5
    assert peak <= -1.0
    audio = MP3(mp3)
    assert audio.info.sample_rate == 44100 and audio.info.channels == 2 and audio.info.bitrate // 1000 == 128
    assert abs(audio.info.length - probe(ctx.episode.recording).duration) < 0.2
    tags = ID3(mp3)
    assert tags.version == (2, 4, 0)
    assert str(tags["TIT2"]) == "Does Massage Help Restless Leg Syndrome?"
    assert str(tags["TALB"]) == "Massage Monday" and str(tags["TRCK"]) == "463"
    assert str(tags["TDRC"]) == "2026-11-23"
    assert "Restless leg syndrome" in str(tags["COMM::eng"])
    cover = tags.getall("APIC")[0]
    assert cover.mime == "image/jpeg" and cover.data == ctx.cover.read_bytes()
    wav = probe(ctx.paths.asr_wav)
    assert wav.sample_rate == 16000 and wav.audio_channels == 1


def test_tone_is_normalised_to_the_configured_target(project: Project) -> None:
    use_recording(project, media.tone(project.root / "tone.wav", seconds=8, volume_db=-30))
    run_stage(project, "ingest", step="audio")
    published_as_recorded(project)
    paths = make_context(project, "463").paths
    integrated, peak = measure(paths.edited_mp3)
    assert abs(integrated + 16.0) <= 0.5 and peak <= -1.0
    # The videos' AAC soundtrack is the same sound, encoded in the same pass: as long, as loud.
    with av.open(str(paths.edited_m4a)) as container:
        assert container.streams.audio[0].codec_context.name == "aac" and not container.streams.video
    assert abs(probe(paths.edited_m4a).duration - probe(paths.edited_mp3).duration) < 0.05
    assert abs(measure(paths.edited_m4a)[0] - integrated) <= 0.5


def test_a_video_recording_gives_audio(project: Project) -> None:
    use_recording(project, media.tone_with_video(project.root / "clip.mp4", seconds=4))
    run_stage(project, "ingest", step="audio")
    published_as_recorded(project)
    run_stage(project, "ingest", step="tags")
    paths = make_context(project, "463").paths
    assert abs(MP3(paths.podcast_mp3).info.length - 4.0) < 0.2
    assert probe(paths.asr_wav).has_video is False


def test_chapters_become_chap_frames_under_a_ctoc(project: Project) -> None:
    use_recording(project, media.tone(project.root / "tone.wav", seconds=6))
    paths = make_context(project, "463").paths
    paths.build.mkdir(parents=True)
    paths.chapters_json.write_text(json.dumps({"version": "1.2.0", "chapters": [
        {"startTime": 0, "title": "Intro"}, {"startTime": 2.5, "title": "Studies", "url": "https://example.com/s"}]}))
    run_stage(project, "ingest", step="audio")
    published_as_recorded(project)
    run_stage(project, "ingest", step="tags")
    tags = ID3(paths.podcast_mp3)
    toc = tags.getall("CTOC")[0]
    assert toc.child_element_ids == ["chp0", "chp1"]
    chapters = sorted(tags.getall("CHAP"), key=lambda c: c.start_time)
    assert [(c.start_time, str(c.sub_frames["TIT2"])) for c in chapters] == [(0, "Intro"), (2500, "Studies")]
    assert chapters[0].end_time == 2500 and abs(chapters[1].end_time - 6000) < 100
    assert chapters[1].sub_frames.getall("WXXX")[0].url == "https://example.com/s"


def make_truncated(path: Path) -> Path:
    full = media.tone(path.with_name("full.mp3"), seconds=5)
    path.write_bytes(full.read_bytes()[:2000])
    return path


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (lambda p: (p.with_suffix(".mp3").write_bytes(b"") and None) or p.with_suffix(".mp3"), "the file is empty"),
        (lambda p: (p.with_suffix(".mp3").write_text("not audio at all " * 100), p.with_suffix(".mp3"))[1],
         "not a recognised audio or video format"),
        (lambda p: media.video_without_audio(p.with_suffix(".mp4")), "has no audio stream"),
        (lambda p: make_truncated(p.with_suffix(".mp3")), ""),
    ],
    ids=["empty", "not-media", "no-audio", "truncated"],
)
def test_bad_recordings_give_a_clear_error_and_leave_nothing(project: Project, make, message: str) -> None:  # type: ignore[no-untyped-def]
    bad = make(project.root / "bad")
    use_recording(project, bad)
    with pytest.raises(InputError) as caught:
        run_stage(project, "ingest")
    assert "input" in str(caught.value) and message in str(caught.value)
    assert build_files(project) == []


def test_silence_is_refused_as_unmeasurable(project: Project) -> None:
    use_recording(project, media.silence(project.root / "quiet.wav", seconds=3))
    with pytest.raises(InputError, match="silent"):
        run_stage(project, "ingest")
    assert build_files(project) == []


def test_missing_recording_names_the_file(tmp_path: Path) -> None:
    with pytest.raises(InputError, match=r"nothing\.mp3: file not found"):
        probe(tmp_path / "nothing.mp3")


@pytest.mark.slow
def test_real_speech_is_normalised_within_half_a_unit(project: Project) -> None:
    use_recording(project, DATA / "lucier.mp3")
    run_stage(project, "ingest", step="audio")
    published_as_recorded(project)
    integrated, peak = measure(make_context(project, "463").paths.edited_mp3)
    assert abs(integrated + 16.0) <= 0.5 and peak <= -1.0
    assert "ingest-sound.wav" not in {p.name for p in (project.build_dir / "463").iterdir()}  # the temporary WAV is gone


def test_a_mostly_silent_recording_is_a_warning(project: Project, caplog: pytest.LogCaptureFixture) -> None:
    quiet = project.root / "mostly-silent.wav"
    media.ffmpeg("-f", "lavfi", "-i", "sine=frequency=300:duration=2:sample_rate=44100", "-f", "lavfi", "-i",
                 "anullsrc=r=44100:cl=mono", "-filter_complex", "[1:a]atrim=0:30[s];[0:a][s]concat=n=2:v=0:a=1", quiet)
    use_recording(project, quiet)
    caplog.set_level(logging.WARNING, logger="pipeline")
    run_stage(project, "ingest", step="audio")
    assert "silent for 30 of 32 s" in caplog.text and "00:00–00:02" in caplog.text


def test_chapter_marks_end_at_the_next_start_and_clip_to_the_audio() -> None:
    marks = marks_from_document({"chapters": [{"startTime": 30, "title": "b"}, {"startTime": 0, "title": "a"},
                                        {"startTime": 500, "title": "past the end"}]}, duration=120)
    assert [(m.start, m.end, m.title) for m in marks] == [(0, 30, "a"), (30, 120, "b")]
