"""Caption and transcript writers: SRT and WebVTT parse back with pysubs2; P2.0 JSON; paragraphs."""

from __future__ import annotations

import json

import pysubs2

from pipeline.config.show import CaptionSettings
from pipeline.formats.captions import Cue, build_cues
from pipeline.formats.subtitles import paragraphs, podcasting20, podcasting20_text, srt_text, transcript_text, vtt_text
from pipeline.formats.transcript import Segment, Transcript, Word


def sample_words() -> list[Word]:
    text = ("And so, my fellow Americans, ask not what your country can do for you; ask what you can do for "
            "your country. Tom & Jerry <3 {braces}.")
    return [Word(w, round(i * 0.4, 3), round(i * 0.4 + 0.35, 3)) for i, w in enumerate(text.split())]


def test_srt_and_vtt_parse_back() -> None:
    cues = build_cues(sample_words(), CaptionSettings())
    srt, vtt = srt_text(cues), vtt_text(cues)
    assert vtt.startswith("WEBVTT")
    assert "00:00:00,000 --> " in srt and "00:00:00.000 --> " in vtt
    assert "&amp;" in vtt and "&lt;3" in vtt and "Tom & Jerry <3" in srt
    for text, fmt in ((srt, "srt"), (vtt, "vtt")):
        parsed = pysubs2.SSAFile.from_string(text, format_=fmt)
        assert len(parsed) == len(cues)
        for event, cue in zip(parsed, cues, strict=True):
            assert event.start == round(cue.start * 1000) and event.end == round(cue.end * 1000)
            assert event.plaintext.count("\n") == len(cue.lines) - 1
    assert pysubs2.SSAFile.from_string(srt, format_="srt")[0].plaintext.startswith("And so, my fellow")


def test_empty_captions() -> None:
    assert vtt_text([]).startswith("WEBVTT")
    assert pysubs2.SSAFile.from_string(srt_text([]) or "\n", format_="srt").events == []
    assert podcasting20([]) == {"version": "1.0.0", "segments": []}


def test_podcasting20_json() -> None:
    cues = build_cues(sample_words(), CaptionSettings())
    data = json.loads(podcasting20_text(cues))
    assert data["version"] == "1.0.0"
    assert [s["body"] for s in data["segments"]] == [cue.text.replace("\n", " ") for cue in cues]
    assert all(s["startTime"] < s["endTime"] for s in data["segments"])
    starts = [s["startTime"] for s in data["segments"]]
    assert starts == sorted(starts)


def test_paragraphs_split_at_long_pauses() -> None:
    segments = (Segment("First part.", 0, 2), Segment("Still first.", 2.2, 4), Segment("After a pause.", 9, 10))
    transcript = Transcript(segments, "faster-whisper", "tiny.en", "en", 10, "x")
    assert paragraphs(transcript) == ["First part. Still first.", "After a pause."]
    assert transcript_text(transcript) == "First part. Still first.\n\nAfter a pause.\n"
    assert transcript_text(Transcript((), "faster-whisper", "tiny.en", "en", 10, "x")) == ""


def two_cues() -> list[Cue]:
    ann = [Word("Tom", 0.0, 0.3, 1.0, "Ann"), Word("&", 0.3, 0.5, 1.0, "Ann"), Word("Jerry", 0.5, 1.0, 1.0, "Ann"),
           Word("<3", 1.0, 1.5, 1.0, "Ann")]
    return [Cue(0.0, 1.5, ((ann[0], ann[1], ann[2]), (ann[3],))),
            Cue(3723.4567, 3725.0, ((Word("a->b", 3723.5, 3725.0, 1.0),),))]


def test_vtt_text_writes_numbered_cues_with_voice_spans() -> None:
    """captions.vtt: numbered cues, a named speaker's in a <v> span, &, < and > escaped, a blank line after each."""
    assert vtt_text(two_cues()) == ("WEBVTT\n\n"
                                    "1\n00:00:00.000 --> 00:00:01.500\n<v Ann>Tom &amp; Jerry\n&lt;3\n\n"
                                    "2\n01:02:03.457 --> 01:02:05.000\na-&gt;b\n\n")


def test_vtt_text_plain_is_the_clips_form() -> None:
    """A clip's captions: no numbers, no voice spans, a blank line only between cues."""
    assert vtt_text(two_cues(), plain=True) == ("WEBVTT\n\n"
                                                "00:00:00.000 --> 00:00:01.500\nTom &amp; Jerry\n&lt;3\n\n"
                                                "01:02:03.457 --> 01:02:05.000\na-&gt;b\n")
    assert vtt_text([], plain=True) == "WEBVTT\n" and vtt_text([]) == "WEBVTT\n\n"
