"""Caption and transcript writers: SRT and WebVTT parse back with pysubs2; P2.0 JSON; paragraphs."""

from __future__ import annotations

import json

import pysubs2

from pipeline.config import CaptionSettings
from pipeline.formats.captions import build_cues
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
