"""The video stage and its renderer: real renders (small and short), decoded with PyAV."""

from __future__ import annotations

import itertools
import struct
from dataclasses import replace
from pathlib import Path

import av
import numpy as np
import pytest
import yaml

from pipeline.config.show import VideoSettings
from pipeline.errors import ConfigError, InputError, ToolError
from pipeline.formats.captions import Cue
from pipeline.formats.transcript import Transcript, Word
from pipeline.layout import Project, episode_paths
from pipeline.tools.media import probe
from pipeline.video.captions import CaptionPainter, CaptionTimeline
from pipeline.video.layer import CaptionClip, frame_times
from pipeline.video.planar import PlanarFrame
from pipeline.video.renderer import RenderSpec, filter_graph, render
from pipeline.video.style import Box, caption_style, safe_area
from pipeline.video.subtitles import iso639_2
from tests.conftest import make_context, run_stage
from tests.helpers import SPOKEN, prepare_video
from tests.media import ffmpeg, tone

STYLE = caption_style(VideoSettings())


def make_cue(start: float, end: float, *lines: str) -> Cue:
    """A cue whose words share its time evenly, line by line."""
    texts = [line.split() for line in lines]
    count = sum(len(words) for words in texts)
    step = (end - start) / count
    built, number = [], 0
    for words in texts:
        line = []
        for text in words:
            line.append(Word(text, start + number * step, start + (number + 0.9) * step))
            number += 1
        built.append(tuple(line))
    return Cue(start, end, tuple(built))


TWO_CUES = [
    make_cue(0.5, 1.5, "Massage helps", "restless legs"),
    make_cue(2.5, 3.4, "Ask your therapist"),
]


def frame_at(path: Path, t: float) -> np.ndarray:
    with av.open(str(path)) as container:
        for frame in container.decode(video=0):
            if frame.time is not None and frame.time >= t - 1e-3:
                return frame.to_ndarray(format="rgb24").astype(np.int16)
    raise AssertionError(f"{path} has no frame at {t} s")


def region(image: np.ndarray, box: Box) -> np.ndarray:
    return image[box.y: box.bottom, box.x: box.x + box.width]


def difference(a: np.ndarray, b: np.ndarray) -> float:
    return float(np.abs(a - b).mean())


def top_level_atoms(path: Path) -> list[str]:
    atoms, data, offset = [], path.read_bytes(), 0
    while offset + 8 <= len(data):
        size, kind = struct.unpack(">I4s", data[offset: offset + 8])
        if size == 1:
            size = struct.unpack(">Q", data[offset + 8: offset + 16])[0]
        atoms.append(kind.decode("latin-1"))
        if size < 8:
            break
        offset += size
    return atoms


def frame_times_decoded(path: Path) -> list[float]:
    """Decode every video frame (fails on a damaged file); their times."""
    with av.open(str(path)) as container:
        return [float(frame.time or 0.0) for frame in container.decode(video=0)]


def decoded_frames(path: Path) -> tuple[int, float]:
    """Decode every video frame (fails on a damaged file); the count and the last frame's time."""
    count, last = 0, 0.0
    with av.open(str(path)) as container:
        for frame in container.decode(video=0):
            count += 1
            last = float(frame.time or 0.0)
    return count, last


def still_video(path: Path, width: int, height: int, seconds: float, extra: tuple[str, ...] = ()) -> Path:
    """A static test picture (SMPTE bars) with a tone: frames differ only where captions are drawn."""
    ffmpeg("-f", "lavfi", "-i", f"smptebars=size={width}x{height}:rate=24:duration={seconds}",
           "-f", "lavfi", "-i", f"sine=frequency=330:duration={seconds}", *extra,
           "-c:v", "libx264", "-pix_fmt", "yuv420p", "-preset", "ultrafast", "-c:a", "aac", "-shortest", path)
    return path


# ---------------------------------------------------------------- pure parts


def test_timeline_shows_each_cue_only_during_it_and_highlights_the_spoken_word() -> None:
    timeline = CaptionTimeline(TWO_CUES, highlight_words=True)
    assert timeline.state_at(0.2) is None
    assert timeline.state_at(0.55) == (0, 0)
    first_words = TWO_CUES[0].words
    assert timeline.state_at(first_words[2].start + 0.01) == (0, 2)
    assert timeline.state_at(2.0) is None  # between cues
    assert timeline.state_at(3.0)[0] == 1
    assert timeline.state_at(3.5) is None
    plain = CaptionTimeline(TWO_CUES, highlight_words=False)
    assert {plain.state_at(t / 10) for t in range(40)} == {None, (0, -1), (1, -1)}


def test_planar_frame_round_trips_colours_and_alpha() -> None:
    frame = PlanarFrame(8, 8)
    colour = np.zeros((4, 4, 3), np.float32) + np.array([255, 212, 0], np.float32)
    frame.paint(colour, np.full((4, 4), 255, np.uint8), 2, 2)
    rgba = frame.to_rgba()
    assert np.abs(rgba[3, 3, :3].astype(int) - [255, 212, 0]).max() <= 3
    assert rgba[3, 3, 3] == 255 and rgba[0, 0, 3] == 0
    with pytest.raises(ValueError, match="even"):
        frame.paint(colour[:3, :3], np.zeros((3, 3), np.uint8), 1, 1)


def test_long_lines_reflow_to_fit_a_portrait_frame() -> None:
    cue = make_cue(0.0, 3.0, "restless leg syndrome responds to a massage", "of the calves and the hamstrings, twice a week")
    painter = CaptionPainter(STYLE, 360, 640, [cue])
    layout = painter.layout(cue)
    font = painter.font(layout.font_size)
    assert len({word.baseline for word in layout.words}) > 2  # re-flowed into more lines than the cue had
    for word in layout.words:
        assert word.x >= 0 and word.x + font.getlength(word.text) <= painter.band.width
    area = safe_area(360, 640)
    assert area.y <= painter.band.y and painter.band.bottom <= area.bottom


def test_the_speaker_is_named_above_the_caption() -> None:
    from dataclasses import replace

    from pipeline.video.captions import CueDrawing

    plain = make_cue(0.0, 3.0, "thanks for having me")
    cue = replace(plain, lines=tuple(tuple(replace(w, speaker="Sam Lee") for w in line) for line in plain.lines))
    painter = CaptionPainter(STYLE, 1280, 720, [cue])
    layout = painter.layout(cue)
    assert layout.speaker is not None and layout.speaker.text == "Sam Lee"
    assert 0 < layout.speaker.baseline < min(word.baseline for word in layout.words)
    assert CueDrawing(painter, cue).boxes[-1][1] >= 0  # drawn inside the band
    assert painter.band.height > CaptionPainter(STYLE, 1280, 720, [plain]).band.height  # a row for the name
    assert CaptionPainter(STYLE, 1280, 720, [plain]).layout(plain).speaker is None


def test_a_word_wider_than_the_frame_is_drawn_smaller_to_fit() -> None:
    cue = make_cue(0.0, 2.0, "see https://clinicaltrials.gov/search?cond=restless-legs")
    painter = CaptionPainter(STYLE, 360, 640, [cue])
    layout = painter.layout(cue)
    assert layout.font_size < painter.font_size
    font = painter.font(layout.font_size)
    assert all(word.x >= 0 and word.x + font.getlength(word.text) <= painter.band.width for word in layout.words)
    assert CaptionPainter(STYLE, 360, 640, []).band.height > 0  # no cues at all: still a band for the layout


def test_caption_clip_returns_the_same_array_while_nothing_changes() -> None:
    clip = CaptionClip(replace(STYLE, highlight_words=False), 480, 270, TWO_CUES, 4.0)
    assert clip.get_frame(0.6) is clip.get_frame(1.2)  # same cue, same state: the identical array
    assert clip.get_frame(0.1) is clip.get_frame(2.0)  # blank before and between cues
    assert clip.rgba_at(1.0)[..., 3].max() == 255 and clip.rgba_at(2.0)[..., 3].max() == 0
    assert clip.size == (clip.painter.band.width, clip.painter.band.height)
    assert len(list(frame_times(4.0, 24))) == 96


def test_webvtt_and_language_codes() -> None:
    from pipeline.formats.subtitles import vtt_text

    text = vtt_text(TWO_CUES, plain=True)
    assert text.startswith("WEBVTT\n\n00:00:00.500 --> 00:00:01.500\nMassage helps\nrestless legs\n")
    assert iso639_2("en") == "eng" and iso639_2("de-AT") == "deu" and iso639_2("zz") == "und"


def test_bad_colour_and_missing_font_are_reported_with_the_key(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"video.text_color: 'not-a-colour'"):
        caption_style(VideoSettings(text_color="not-a-colour"))
    with pytest.raises(InputError, match="caption font not found") as error:
        caption_style(VideoSettings(font="fonts/missing.ttf"), tmp_path)
    assert "video.font" in str(error.value)


def test_progress_bar_is_drawn_by_ffmpeg_not_per_frame_in_python(tmp_path: Path) -> None:
    from pipeline.video.renderer import Bar

    spec = RenderSpec(output=tmp_path / "o.mp4", audio=tmp_path / "a.mp3", duration=10.0, width=640, height=360, fps=24,
                      cues=TWO_CUES, style=STYLE, picture=tmp_path / "bg.png", picture_is_still=True,
                      progress=Bar(Box(0, 354, 640, 6), (255, 212, 0)))
    graph = filter_graph(spec, Box(32, 280, 576, 60), 2)
    assert "drawbox=x=0:y=354:w='max(1,640*t/10.000)':h=6:color=0xFFD400" in graph
    assert "[2:v]split[band][clock]" in graph and "overlay=x=32:y=280" in graph  # the band's frames are the clock


def test_a_still_picture_sends_only_the_frames_where_the_captions_change() -> None:
    from pipeline.video.layer import changed_frames

    clip = CaptionClip(STYLE, 640, 360, TWO_CUES, 4.0)
    sent = list(changed_frames(clip, 24, every=48))
    numbers = [number for number, _frame in sent]
    assert numbers[0] == 0 and numbers[-1] == 95 and numbers == sorted(set(numbers))
    assert len(sent) < 20  # of 96 frames in the grid
    # Each frame sent shows what a constant-rate video shows at that frame, and nothing changes in between.
    for (number, frame), following in zip(sent, [*numbers[1:], 96], strict=True):
        for between in range(number, following):
            assert clip.planar_at(between / 24) is frame or np.array_equal(clip.planar_at(between / 24).buffer, frame.buffer)


# ---------------------------------------------------------------- renders


def test_burned_captions_over_a_video_keep_the_picture(tmp_path: Path) -> None:
    source = still_video(tmp_path / "bars.mp4", 480, 270, 4.0)
    output = tmp_path / "out.mp4"
    render(RenderSpec(output=output, audio=source, duration=probe(source).duration, width=480, height=270, fps=24,
                      cues=TWO_CUES, style=STYLE, picture=source))
    band = CaptionPainter(STYLE, 480, 270, TWO_CUES).band
    before, during, between = frame_at(output, 0.1), frame_at(output, 1.0), frame_at(output, 2.0)
    original = frame_at(source, 1.0)
    assert difference(region(during, band), region(before, band)) > 10  # the caption is there
    assert difference(region(between, band), region(before, band)) < 1.5  # and gone between cues
    above = Box(0, 0, 480, band.y)
    assert difference(region(during, above), region(original, above)) < 4  # the picture is kept around it
    assert abs(probe(output).duration - probe(source).duration) < 0.1


@pytest.mark.parametrize("rotated", [False, True], ids=["portrait", "rotated-phone"])
def test_portrait_video_fills_a_vertical_frame_with_captions_on_top(tmp_path: Path, rotated: bool) -> None:
    if rotated:  # stored landscape, shown portrait: what phones write
        stored = tmp_path / "stored.mp4"
        ffmpeg("-f", "lavfi", "-i", "color=c=red:size=320x180:rate=24:duration=3", "-f", "lavfi", "-i", "sine=duration=3",
               "-c:v", "libx264", "-pix_fmt", "yuv420p", "-preset", "ultrafast", "-c:a", "aac", "-shortest", stored)
        source = tmp_path / "phone.mp4"
        ffmpeg("-display_rotation", "90", "-i", stored, "-c", "copy", source)
        assert probe(source).rotation in (90, -90, 270)
    else:
        source = tmp_path / "portrait.mp4"
        ffmpeg("-f", "lavfi", "-i", "color=c=red:size=180x320:rate=24:duration=3", "-f", "lavfi", "-i", "sine=duration=3",
               "-c:v", "libx264", "-pix_fmt", "yuv420p", "-preset", "ultrafast", "-c:a", "aac", "-shortest", source)
    output = tmp_path / "vertical.mp4"
    cues = [make_cue(0.5, 2.5, "Captions over a portrait picture")]
    render(RenderSpec(output=output, audio=source, duration=probe(source).duration, width=270, height=480, fps=24,
                      cues=cues, style=STYLE, picture=source))
    with av.open(str(output)) as container:
        assert (container.streams.video[0].width, container.streams.video[0].height) == (270, 480)
    frame = frame_at(output, 1.5)
    corners = [frame[4, 4], frame[4, -5], frame[-5, 4], frame[-5, -5]]
    assert all(pixel[0] > 180 and pixel[1] < 60 for pixel in corners)  # red to the edges: upright, no bars
    band = CaptionPainter(STYLE, 270, 480, cues).band
    assert region(frame, band)[..., 1].max() > 200  # white caption text over the red picture


def test_a_failed_render_leaves_nothing_behind(tmp_path: Path) -> None:
    audio = tone(tmp_path / "a.mp3", seconds=1.0)
    build = tmp_path / "build"
    build.mkdir()
    spec = RenderSpec(output=build / "out.mp4", audio=audio, duration=1.0, width=320, height=180, fps=24,
                      cues=TWO_CUES, style=STYLE, picture=audio, preset="no-such-preset")
    with pytest.raises(ToolError, match=r"rendering out\.mp4"):
        render(spec)
    assert list(build.iterdir()) == []


# ---------------------------------------------------------------- the stage


def test_stage_renders_an_audiogram_with_soft_subtitles(project: Project) -> None:
    prepare_video(project, SPOKEN, seconds=6.0, formats=[{"name": "landscape", "width": 384, "height": 216},
                                       {"name": "vertical", "width": 216, "height": 384}])
    written = run_stage(project, "video")
    ctx = make_context(project, "463")
    paths = ctx.paths
    assert written == [paths.video_vtt, paths.video_mp4("landscape"), paths.video_mp4("vertical")]
    assert paths.video_vtt.read_text().startswith("WEBVTT")
    audio_seconds = probe(paths.edited_mp3).duration
    for name, (width, height) in {"landscape": (384, 216), "vertical": (216, 384)}.items():
        mp4 = paths.video_mp4(name)
        with av.open(str(mp4)) as container:
            video = container.streams.video[0]
            assert (video.codec_context.name, video.codec_context.pix_fmt) == ("h264", "yuv420p")
            assert (video.width, video.height) == (width, height)
            assert container.streams.audio[0].codec_context.name == "aac"
            subtitles = container.streams.subtitles
            assert len(subtitles) == 1 and subtitles[0].codec_context.name == "mov_text"
            assert subtitles[0].metadata.get("language") == "eng"
        assert abs(probe(mp4).duration - audio_seconds) < 0.1
        atoms = top_level_atoms(mp4)
        assert atoms.index("moov") < atoms.index("mdat")  # +faststart
        times = frame_times_decoded(mp4)
        grid = audio_seconds * 24
        assert len(times) < grid / 3  # only the frames where the picture changes
        assert all(abs(t * 24 - round(t * 24)) < 0.01 for t in times)  # each on the grid of the configured rate
        assert times[0] == 0 and times[-1] > audio_seconds - 0.1  # and the picture lasts as long as the audio
    band = CaptionPainter(ctx_style := caption_style(ctx.show.video), 384, 216, []).band
    assert ctx_style.highlight_words
    mp4 = paths.video_mp4("landscape")
    speaking, silent = frame_at(mp4, 1.0), frame_at(mp4, 5.8)
    assert difference(region(speaking, band), region(silent, band)) > 5
    assert not list(paths.build.glob(".*part*"))


def test_stage_burns_captions_over_a_video_recording(project: Project) -> None:
    episode_file = project.episodes_dir / "463" / "episode.yaml"
    still_video(episode_file.parent / "camera.mp4", 320, 240, 4.0)
    episode_file.write_text(episode_file.read_text().replace("recording: recording.mp3", "recording: camera.mp4"))
    prepare_video(project, SPOKEN)
    [_vtt, mp4] = run_stage(project, "video")
    first, during = frame_at(mp4, 0.1), frame_at(mp4, 1.0)
    band = CaptionPainter(STYLE, 384, 216, []).band
    assert difference(region(during, band), region(first, band)) > 5
    assert first[:, :40].max() < 40 and first[:, -40:].max() < 40  # 4:3 picture pillarboxed into 16:9
    assert first[20:80, 60:320].std(axis=1).mean() > 40  # the colour bars are there, not an audiogram
    audio = episode_paths(project, make_context(project, "463").episode).edited_mp3
    assert abs(probe(mp4).duration - probe(audio).duration) < 0.1


@pytest.mark.parametrize("phone", [False, True], ids=["camera", "rotated-phone-vfr"])
def test_a_video_recording_keeps_its_own_size_and_frame_rate(project: Project, tmp_path: Path, phone: bool) -> None:
    """A format without a size renders a video recording as it was shot: a 30 fps camera file stays 30 fps at
    its size, a phone's rotated, variable-rate HEVC-style recording comes out upright at a constant rate."""
    folder = project.episodes_dir / "463"
    source = folder / "camera.mp4"
    if phone:
        stored = tmp_path / "stored.mp4"  # landscape frames at a varying rate (every 3rd frame dropped)
        ffmpeg("-f", "lavfi", "-i", "testsrc2=size=320x176:rate=30:duration=4", "-f", "lavfi", "-i", "sine=duration=4",
               "-vf", "select='not(eq(mod(n\\,3)\\,2))'", "-fps_mode", "vfr", "-c:v", "libx264", "-pix_fmt", "yuv420p",
               "-preset", "ultrafast", "-c:a", "aac", "-shortest", stored)
        ffmpeg("-display_rotation", "90", "-i", stored, "-c", "copy", source)
    else:
        ffmpeg("-f", "lavfi", "-i", "testsrc2=size=320x176:rate=30:duration=4", "-f", "lavfi", "-i", "sine=duration=4",
               "-c:v", "libx264", "-pix_fmt", "yuv420p", "-preset", "ultrafast", "-c:a", "aac", "-shortest", source)
    episode_file = folder / "episode.yaml"
    episode_file.write_text(episode_file.read_text().replace("recording: recording.mp3", "recording: camera.mp4"))
    prepare_video(project, SPOKEN, formats=[{"name": "landscape"}])
    [_vtt, mp4] = run_stage(project, "video")
    with av.open(str(mp4)) as container:
        stream = container.streams.video[0]
        size = (stream.codec_context.width, stream.codec_context.height)
        decoded = list(container.decode(stream))
    frames = [frame.time for frame in decoded]
    rotation = int(getattr(decoded[0], "rotation", 0) or 0)
    assert size == ((176, 320) if phone else (320, 176)) and rotation == 0  # upright pixels, no rotation flag left
    steps = {round(b - a, 3) for a, b in itertools.pairwise(frames)}
    expected = 1 / (probe(source).frame_rate or 30)
    assert all(abs(step - expected) < 0.002 for step in steps)  # a constant rate: the recording's own


def test_a_format_gives_both_sizes_or_neither() -> None:
    from pydantic import ValidationError

    from pipeline.config.show import VideoFormat

    with pytest.raises(ValidationError, match="both width and height, or neither"):
        VideoFormat(name="odd", width=640)
    assert VideoFormat(name="own").size((1920, 1080)) == (1920, 1080)
    assert VideoFormat(name="own").size(None) == (1280, 720)
    assert VideoFormat(name="asked", width=1080, height=1920).size((3840, 2160)) == (1080, 1920)


def test_stage_without_speech_renders_without_captions(project: Project) -> None:
    prepare_video(project, [], seconds=3.0)
    [vtt, mp4] = run_stage(project, "video")
    assert vtt.read_text().strip() == "WEBVTT"
    with av.open(str(mp4)) as container:
        assert len(container.streams.subtitles) == 0
    band = CaptionPainter(STYLE, 384, 216, []).band
    assert difference(region(frame_at(mp4, 0.5), band), region(frame_at(mp4, 2.5), band)) < 1.0
    assert abs(probe(mp4).duration - 3.0) < 0.1


def test_stage_reports_a_missing_cover_or_font_and_writes_nothing(project: Project) -> None:
    prepare_video(project, SPOKEN)
    paths = make_context(project, "463").paths
    before = sorted(p.name for p in paths.build.iterdir())
    cover = project.root / "config" / "cover.jpg"
    ctx = make_context(project, "463")  # the config was valid when loaded; the file goes missing afterwards
    cover.unlink()
    from pipeline.stages import video

    with pytest.raises(InputError, match="cover image not found"):
        video.run(ctx)
    show = yaml.safe_load(project.show_file.read_text())
    show["video"]["font"] = "config/fonts/Missing.ttf"
    project.show_file.write_text(yaml.safe_dump(show))
    cover.write_bytes(b"not a jpeg yet")
    with pytest.raises(InputError, match=r"Missing\.ttf: caption font not found"):
        run_stage(project, "video")
    assert sorted(p.name for p in paths.build.iterdir()) == before


@pytest.mark.slow
def test_episode_463_video_from_the_real_transcript(built_463: Project) -> None:
    ctx = make_context(built_463, "463")
    paths = ctx.paths
    mp4 = paths.video_mp4()
    assert abs(probe(mp4).duration - probe(paths.edited_mp3).duration) < 0.1
    with av.open(str(mp4)) as container:
        assert (container.streams.video[0].width, container.streams.video[0].height) == (1280, 720)
        assert [s.codec_context.name for s in container.streams.subtitles] == ["mov_text"]
    atoms = top_level_atoms(mp4)
    assert atoms.index("moov") < atoms.index("mdat")
    assert paths.video_vtt.read_bytes() == paths.captions_vtt.read_bytes()
    transcript = Transcript.load(paths.transcript_json)
    from pipeline.formats.captions import build_cues

    cues = build_cues(transcript.words, ctx.show.captions)
    band = CaptionPainter(caption_style(ctx.show.video), 1280, 720, cues).band
    first = cues[0]
    before = frame_at(mp4, max(0.0, first.start - 0.3)) if first.start > 0.3 else None
    during = frame_at(mp4, (first.start + first.end) / 2)
    if before is not None:
        assert difference(region(during, band), region(before, band)) > 5
    assert region(during, band).max() > 240  # white caption text
