"""Benchmark `captions`: cues that leave one or two words of a new sentence at their end ("…and even genes. So,").

Cases: episode 463 and every real clip in tests/data (Lucier, JFK, the AMI meetings, AN4, the stereo
conversation), transcribed by the project's transcribe stage (faster-whisper tiny.en). Their words are laid
out two ways, side by side:
- project: `pipeline.formats.captions.build_cues` with the show's default caption settings;
- baseline: the plain rule most tools use: fill each line up to the width, two lines per cue, a new cue
  at a pause longer than `max_pause` or past `max_duration`.
Figures, per case and over all cues: the share of cues with a stranded sentence start (want < 2 %), the
share that span a sentence end at all, and the cue count.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

DATA = Path(__file__).resolve().parent.parent / "tests" / "data"
CLIPS = ("lucier.mp3", "jfk.flac", "ami_dev00.flac", "ami_dev01.flac", "an4_2spk.flac", "stereo_diarization.flac")


def greedy_cues(words: list[Any], settings: Any) -> list[list[Any]]:
    """The baseline layout: lines filled to the width, `max_lines` per cue, broken at long pauses."""
    cues: list[list[Any]] = []
    lines, line_chars = 0, 0
    for word in words:
        fresh = not cues or word.start - cues[-1][-1].end > settings.max_pause or \
            word.end - cues[-1][0].start > settings.max_duration
        if not fresh and line_chars + 1 + len(word.text) > settings.max_chars_per_line:
            lines, line_chars = lines + 1, -1
            fresh = lines >= settings.max_lines
        if fresh:
            cues.append([])
            lines, line_chars = 0, -1
        cues[-1].append(word)
        line_chars += 1 + len(word.text)
    return cues


def figures(cues: list[list[Any]]) -> dict[str, Any]:
    from pipeline.formats.captions import sentence_ends, stranded_sentence_start

    stranded = sum(1 for words in cues if stranded_sentence_start(words))
    spanning = sum(1 for words in cues if any(sentence_ends(words[:-1])))
    total = max(len(cues), 1)
    return {"cues": len(cues), "stranded": stranded, "stranded_share": round(stranded / total, 4),
            "spanning_share": round(spanning / total, 4)}


def run(root: Path) -> dict[str, Any]:
    from pipeline.config.show import CaptionSettings
    from pipeline.formats.captions import build_cues
    from pipeline.transcription.audio import load_audio
    from pipeline.transcription.engines import DecodeSettings
    from pipeline.transcription.models import resolve_model
    from pipeline.transcription.transcribe import transcribe_audio

    settings = CaptionSettings()
    model = resolve_model("tiny.en", "faster-whisper")
    decode = DecodeSettings(beam_size=5)
    sources = {"episode_463": root / "episodes" / "463" / "recording.mp3"}
    sources |= {Path(name).stem: DATA / name for name in CLIPS}
    result: dict[str, Any] = {"cases": {}}
    totals = {"project": [0, 0], "baseline": [0, 0]}
    for name, path in sources.items():
        transcript = transcribe_audio(load_audio(path), "faster-whisper", model, decode)
        words = [word for segment in transcript.segments for word in segment.words]
        project = figures([cue.words for cue in build_cues(words, settings)])
        baseline = figures(greedy_cues(words, settings))
        result["cases"][name] = {"project": project, "baseline": baseline}
        for system, found in (("project", project), ("baseline", baseline)):
            totals[system][0] += found["stranded"]
            totals[system][1] += found["cues"]
    for system, (stranded, cues) in totals.items():
        result[f"{system}_stranded_share"] = round(stranded / max(cues, 1), 4)
    result["stranded_share_463"] = result["cases"]["episode_463"]["project"]["stranded_share"]
    return result


if __name__ == "__main__":
    print(json.dumps(run(Path(__file__).resolve().parent.parent), indent=2))
