"""pipeline.audio: the pure pieces (ebur128 and silencedetect text, gain and limiter, the encode's corrections,
the track mix graph, ID3 frames) tested directly; the gain search and the first pass on real speech with ffmpeg."""

from __future__ import annotations

import dataclasses
import datetime
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from pipeline.audio.decode import decode_recording
from pipeline.audio.loudness import (
    LIMITER_MARGIN_DB,
    LOUDNESS_TOLERANCE_LU,
    audible,
    channel_layout,
    find_gain,
    gain_filters,
    loudness,
    next_gain,
    next_gains,
    parse_ebur128,
)
from pipeline.audio.mix import TRACK_LEVEL_LUFS, Track, mix_graph, track_gain, tracks_report
from pipeline.audio.normalise import Mp3Format, correction, encoder_loss
from pipeline.audio.silence import check_silence, parse_silences, silencedetect, sounding
from pipeline.audio.tags import EpisodeTags, id3_tags, image_mime
from pipeline.errors import InputError, ToolError
from pipeline.formats.chapters import ChapterMark
from pipeline.tools.ffmpeg import run_ffmpeg_into, tee_output
from pipeline.tools.media import probe
from tests import media
from tests.conftest import DATA

EBUR128_SUMMARY = """[Parsed_ebur128_0 @ 0x1] t: 10.0 TARGET:-23 LUFS M: -20.1 S: -21.0 I: -22.0 LUFS
[Parsed_ebur128_0 @ 0x1] Summary:

  Integrated loudness:
    I:         -21.3 LUFS
    Threshold: -31.5 LUFS

  True peak:
    Peak:       -3.2 dBFS
"""


def test_ebur128_summary_is_parsed_from_the_end_of_stderr() -> None:
    assert parse_ebur128("noise\n" + EBUR128_SUMMARY) == (-21.3, -3.2)
    assert parse_ebur128(EBUR128_SUMMARY.replace("  True peak:\n    Peak:       -3.2 dBFS\n", "")) == (-21.3, None)
    with pytest.raises(ToolError):
        parse_ebur128("no summary here")


def test_what_counts_as_heard_and_the_output_layout() -> None:
    assert audible(-40.0) and not audible(-70.0) and not audible(float("-inf")) and not audible(float("nan"))
    assert channel_layout(2) == "stereo" and channel_layout(1) == "mono"


def test_silences_and_what_sounds_between_them() -> None:
    stderr = ("[silencedetect @ 0x1] silence_start: 0\n[silencedetect @ 0x1] silence_end: 4.5 | silence_duration: 4.5\n"
              "[silencedetect @ 0x1] silence_start: 10.25\n")
    silences = parse_silences(stderr, 60.0)
    assert silences == ((0.0, 4.5), (10.25, 60.0))
    assert sounding(silences, 60.0) == [(4.5, 10.25)]
    assert sounding((), 3.0) == [(0.0, 3.0)]
    assert silencedetect() == "silencedetect=noise=-60.0dB:duration=2.0"


def test_mostly_silent_is_a_warning_with_the_times_and_all_silent_an_error(tmp_path: Path) -> None:
    warning = check_silence(-30.0, ((0.0, 100.0), (105.0, 200.0)), 200.0, tmp_path / "rec.wav")
    assert warning and "rec.wav" in warning and "01:40–01:45" in warning and "98%" in warning
    past_the_hour = check_silence(-30.0, ((0.0, 3723.0), (3725.0, 4000.0)), 4000.0, tmp_path / "rec.wav")
    assert past_the_hour and "1:02:03–1:02:05" in past_the_hour
    assert check_silence(-20.0, ((0.0, 5.0),), 200.0, tmp_path / "rec.wav") is None
    with pytest.raises(InputError, match="silent"):
        check_silence(float("-inf"), (), 10.0, tmp_path / "rec.wav")
    with pytest.raises(InputError, match="silent"):
        check_silence(-20.0, ((0.0, 10.0),), 10.0, tmp_path / "rec.wav")


def test_the_limiter_is_added_only_where_the_gain_would_pass_the_ceiling() -> None:
    assert gain_filters(-10.0, "stereo", 5.0, -2.5) == "aformat=channel_layouts=stereo,volume=5.00dB"
    limited = gain_filters(-10.0, "mono", 10.0, -2.5)
    assert limited.startswith("aformat=channel_layouts=mono,volume=10.00dB,alimiter=limit=0.7499:")


def test_the_gain_search_steps_by_the_difference_then_by_the_secant() -> None:
    assert next_gain([(6.0, -18.0)], -16.0) == 8.0
    # a limiter that gives half a unit of loudness per dB: the secant through two tries lands on the aim
    curve = [(6.0, -18.0), (8.0, -17.0)]
    assert next_gain(curve, -16.0) == pytest.approx(10.0)
    # loudness that does not grow with gain: the slope is bounded below, so the step stays finite
    assert next_gain([(6.0, -18.0), (8.0, -18.0)], -16.0) == pytest.approx(28.0)
    # the same gain tried twice: a plain step
    assert next_gain([(6.0, -18.0), (6.0, -18.0)], -16.0) == 8.0
    # two at once: the secant through the two nearest the aim, and half a step past it
    assert next_gains([(6.0, -18.0), (12.0, -16.5), (8.0, -17.0)], -16.0) == pytest.approx((16.0, 18.0))


def test_the_encode_is_corrected_only_when_it_misses() -> None:
    assert correction(-16.0, -1.0, -16.2, -1.5) is None
    assert correction(-16.0, -1.0, -16.5, -1.5) == (0.5, 0.0)
    louder, lower = correction(-16.0, -1.0, -16.0, -0.5)  # type: ignore[misc]
    assert louder == 0.0 and lower == pytest.approx(0.7)
    assert encoder_loss(-20.0, -20.4) == pytest.approx(0.4)
    assert encoder_loss(-20.0, -19.0) == 0.0 and encoder_loss(-20.0, -25.0) == 2.0
    assert encoder_loss(-65.0, -66.0) == 0.0 and encoder_loss(-20.0, float("-inf")) == 0.0


def test_mp3_format_is_ffmpegs_lame_options() -> None:
    assert Mp3Format(128, 44100, 2).args() == ["-c:a", "libmp3lame", "-b:a", "128k", "-ar", "44100", "-ac", "2",
                                               "-f", "mp3"]


def test_tracks_are_brought_to_one_level_and_mixed_without_normalisation() -> None:
    assert track_gain(-30.0) == TRACK_LEVEL_LUFS + 30.0 and track_gain(float("-inf")) == 0.0 and track_gain(-80.0) == 0.0
    graph = mix_graph([7.0, -3.25], 48000, "stereo")
    assert graph == ("[0:a:0]aresample=48000,aformat=sample_fmts=flt:channel_layouts=stereo,volume=7.00dB[t0];"
                     "[1:a:0]aresample=48000,aformat=sample_fmts=flt:channel_layouts=stereo,volume=-3.25dB[t1];"
                     "[t0][t1]amix=inputs=2:duration=longest:normalize=0[mix]")


def test_the_tracks_report_names_levels_gains_and_turns(tmp_path: Path) -> None:
    quiet = np.zeros(0, dtype=np.float32)
    tracks = [Track(tmp_path / "host.wav", "Host", -30.04, quiet), Track(tmp_path / "muted.wav", "Muted", float("-inf"), quiet)]
    report = tracks_report(tracks, [(0.0, 2.5, "Host")], lambda path: path.name)
    assert report == {
        "tracks": [{"file": "host.wav", "speaker": "Host", "loudness_lufs": -30.0, "gain_db": 7.0, "silent": False},
                   {"file": "muted.wav", "speaker": "Muted", "loudness_lufs": float("-inf"), "gain_db": 0.0, "silent": True}],
        "turns": [{"start": 0.0, "end": 2.5, "speaker": "Host"}],
    }


TAGS = EpisodeTags(title="Episode", artist="Author", album="Show", track=463, date=datetime.date(2026, 11, 23),
                   description="About it.", website="https://example.com/")


def test_id3_frames_carry_the_episode_the_cover_and_the_chapters() -> None:
    chapters = [ChapterMark(0.0, 2.5, "Intro"), ChapterMark(2.5, 6.0004, "Studies", "https://example.com/s")]
    frames = id3_tags(TAGS, "image/png", b"png bytes", chapters)
    assert str(frames["TIT2"]) == "Episode" and str(frames["TPE1"]) == "Author" and str(frames["TALB"]) == "Show"
    assert str(frames["TRCK"]) == "463" and str(frames["TDRC"]) == "2026-11-23" and str(frames["TCON"]) == "Podcast"
    assert str(frames["TIT3"]) == "About it." and str(frames["COMM::eng"]) == "About it."
    assert frames["WOAS"].url == "https://example.com/"
    cover = frames.getall("APIC")[0]
    assert (cover.mime, cover.type, cover.data) == ("image/png", 3, b"png bytes")
    toc = frames.getall("CTOC")[0]
    assert toc.element_id == "toc" and toc.child_element_ids == ["chp0", "chp1"]
    chaps = {chap.element_id: chap for chap in frames.getall("CHAP")}
    assert (chaps["chp0"].start_time, chaps["chp0"].end_time, str(chaps["chp0"].sub_frames["TIT2"])) == (0, 2500, "Intro")
    assert (chaps["chp1"].start_time, chaps["chp1"].end_time) == (2500, 6000)
    assert not chaps["chp0"].sub_frames.getall("WXXX")
    assert chaps["chp1"].sub_frames.getall("WXXX")[0].url == "https://example.com/s"


def test_no_track_number_and_no_chapters_leave_their_frames_out() -> None:
    frames = id3_tags(dataclasses.replace(TAGS, track=None), "image/jpeg", b"", [])
    assert "TRCK" not in frames and not frames.getall("CTOC") and not frames.getall("CHAP")


def test_the_cover_must_be_a_jpeg_or_a_png(tmp_path: Path) -> None:
    for kind, mime in (("JPEG", "image/jpeg"), ("PNG", "image/png")):
        path = tmp_path / f"cover.{kind.lower()}"
        Image.new("RGB", (8, 8)).save(path, kind)
        assert image_mime(path) == mime
    gif = tmp_path / "cover.gif"
    Image.new("RGB", (8, 8)).save(gif, "GIF")
    with pytest.raises(InputError, match="GIF, not JPEG or PNG"):
        image_mime(gif)
    (tmp_path / "cover.txt").write_text("not an image")
    with pytest.raises(InputError, match="not a readable image"):
        image_mime(tmp_path / "cover.txt")


def test_one_decode_measures_and_the_gain_search_meets_the_aim_through_the_limiter(tmp_path: Path) -> None:
    speech = tmp_path / "speech.wav"
    media.ffmpeg("-i", DATA / "lucier.mp3", "-t", "12", "-ar", "48000", "-ac", "2", speech)
    asr, pcm = tmp_path / "asr.wav", tmp_path / "sound.wav"
    measured = decode_recording(speech, asr, pcm, 44100, "stereo", probe(speech).duration)
    assert audible(measured.integrated) and measured.peak > measured.integrated
    assert (probe(asr).sample_rate, probe(asr).audio_channels) == (16000, 1) and probe(pcm).sample_rate == 44100
    ceiling = measured.peak + 2.0  # 6 dB of gain wants 4 dB of limiting
    aim = measured.integrated + 6.0
    gain = find_gain(pcm, measured.peak, "stereo", aim, 6.0, ceiling)
    assert gain > 6.0  # the limiter takes loudness off, so more gain than the difference is needed
    assert abs(loudness(pcm, gain_filters(measured.peak, "stereo", gain, ceiling)) - aim) <= LOUDNESS_TOLERANCE_LU
    assert find_gain(pcm, measured.peak, "stereo", aim, 1.0, measured.peak + LIMITER_MARGIN_DB) == 1.0  # no limiter


def test_an_encode_is_measured_through_a_pipe_while_its_file_is_written(tmp_path: Path) -> None:
    target = tmp_path / "odd [name]: a|b=c.mp3"  # every character the tee muxer reads
    outputs = f"{tee_output(target, 'mp3', write_xing='1')}|{tee_output(Path('pipe:1'), 'mp3')}"
    _made, measured = run_ffmpeg_into(
        ["-f", "lavfi", "-i", "sine=frequency=440:duration=3", "-c:a", "libmp3lame", "-b:a", "128k", "-map", "0:a",
         "-f", "tee", outputs],
        ["-f", "mp3", "-i", "pipe:0", "-af", "ebur128=framelog=quiet", "-f", "null", "-"], what="encoding a tone")
    assert probe(target).duration == pytest.approx(3.0, abs=0.05)
    assert parse_ebur128(measured)[0] == pytest.approx(loudness(target), abs=0.1)


def test_a_failed_writer_or_reader_in_a_pipe_is_an_error_not_a_hang(tmp_path: Path) -> None:
    writer = ["-f", "lavfi", "-i", "sine=duration=30", "-c:a", "libmp3lame", "-f", "mp3", "pipe:1"]
    reader = ["-f", "mp3", "-i", "pipe:0", "-f", "null", "-"]
    with pytest.raises(ToolError, match="piping a tone"):
        run_ffmpeg_into(writer, ["-f", "mp3", "-i", "pipe:0", "-af", "no_such_filter", "-f", "null", "-"], what="piping a tone")
    with pytest.raises(ToolError, match="piping a file"):
        run_ffmpeg_into(["-i", tmp_path / "missing.wav", "-f", "mp3", "pipe:1"], reader, what="piping a file")
