"""Benchmark `long`: a two-hour episode of real speech against a 30-minute one, step by step.

Input: the long-form recording of benchmarks.longform (about 32 minutes of real speech: Lucier reading,
JFK, music, quiet), and the same four times over (about 2 hours 8 minutes), as 16 kHz WAV like the ingest
stage's; the normalised MP3 the video stage reads is encoded from it. Never committed, built here.

Each step runs in a child process (its peak RSS is its own, from benchmarks.memory):
- transcribe: what the transcribe stage runs, `open_audio` + `transcribe_audio` + the CAM++ diarizer:
  seconds, real-time factor, peak RSS; the 2-hour peak against the 30-minute one;
- lost speech: stretches of reference speech (Silero on each clean clip, placed) with no word within
  0.3 s, of 3 s or more; and the 30-minute file shifted by 11.3 s and 23.7 s (silence before it): words
  that differ from the unshifted transcript (jiwer substitutions + deletions + insertions), with the
  window tails decoded again (the stage) and without (TAIL_ROUNDS = 0, the baseline);
- audiogram: the whole 2-hour audiogram at 1280×720, 24 fps, with the transcript's captions: seconds and
  real-time factor. On the first 10 minutes, side by side: ours (only the frames that change, variable
  timing), the constant-rate renderer it replaced (every frame, the same spec with the picture treated as
  a moving one), and ffmpeg + libass burning the same captions. Frame accuracy: at 40 word starts, the
  decoded frame at the first grid frame at or after the word's start and the one before it are compared
  with the caption band the constant-rate grid shows there (a frame counts as right when it is nearer the
  expected band than the other one).

LONG_BENCH_COPIES (default 4) sets how many times the 32 minutes are repeated for the long case.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path
from typing import Any

import numpy as np

EXCERPT_SECONDS = 600.0
SHIFTS = (11.3, 23.7)
SHORTEST_LOST = 3.0
FLASH_CHECKS = 40


def _worker(spec: dict[str, Any]) -> dict[str, Any]:
    import time

    from benchmarks.memory import ChildrenPeak, own_peak_mb

    started = time.perf_counter()
    if spec["job"] == "transcribe":
        from pipeline.memory import limit_malloc_arenas
        from pipeline.speakers.diarize import load_diarizer
        from pipeline.speakers.known import count_from_config
        from pipeline.transcription import engines
        from pipeline.transcription.audio import open_audio
        from pipeline.transcription.engines import DecodeSettings
        from pipeline.transcription.models import resolve_model
        from pipeline.transcription.transcribe import transcribe_audio

        limit_malloc_arenas()  # as the transcribe stage does
        if not spec.get("tails", True):
            engines.TAIL_ROUNDS = 0
        audio = open_audio(Path(spec["audio"]))
        result = transcribe_audio(audio, "faster-whisper", resolve_model("tiny.en", "faster-whisper"), DecodeSettings())
        transcribed = time.perf_counter() - started
        voices = None
        if spec.get("speakers", True):
            voices = len(load_diarizer("campplus").diarize(audio, count_from_config(None), lambda _s: None).voices)
        words = [(w.text, w.start, w.end) for s in result.segments for w in s.words]
        return {"seconds": round(time.perf_counter() - started, 1), "transcribe_seconds": round(transcribed, 1),
                "peak_rss_mb": round(own_peak_mb(), 1), "words": words, "voices": voices,
                "gaps": len(result.gaps), "redecoded": result.redecoded, "recovered": result.recovered_words}
    import json

    from benchmarks.render import audiogram_background, libass_args, ours, write_ass
    from pipeline.config.show import CaptionSettings
    from pipeline.formats.captions import build_cues
    from pipeline.formats.transcript import Word
    from pipeline.tools.ffmpeg import run_ffmpeg

    work = Path(spec["work"])
    duration = spec["duration"]
    spec["words"] = json.loads(Path(spec["words_file"]).read_text())
    words = [Word(text, start, end) for text, start, end in spec["words"] if start < duration]
    cues = [cue for cue in build_cues(words, CaptionSettings()) if cue.start < duration]
    picture, bars = audiogram_background(cues, work, Path(spec["root"]), "A long episode")
    output = work / f"{spec['job']}.mp4"
    with ChildrenPeak() as children:
        if spec["job"] == "libass":
            ass = write_ass(cues, work / "captions.ass", 1280, 720, karaoke=True)
            run_ffmpeg(libass_args(picture, Path(spec["audio"]), ass, output, duration, True), what="libass")
        else:
            ours(picture, Path(spec["audio"]), cues, output, duration, spec["job"] != "constant_rate", None, bars)
    seconds = time.perf_counter() - started
    figures = {"seconds": round(seconds, 1), "rtf": round(seconds / duration, 4), "cues": len(cues),
               "peak_rss_mb": round(own_peak_mb() + children.peak_mb, 1)}
    if spec["job"] == "ours":
        figures.update(_frames_and_accuracy(output, cues, duration))
    return figures


def _frames_and_accuracy(video: Path, cues: list[Any], duration: float) -> dict[str, Any]:
    """Frames in the file, and the caption band at FLASH_CHECKS word starts against what the constant-rate grid shows."""
    import av

    from pipeline.config.show import VideoSettings
    from pipeline.video.layer import CaptionClip
    from pipeline.video.style import caption_style

    clip = CaptionClip(caption_style(VideoSettings()), 1280, 720, cues, duration)
    band = clip.painter.band
    starts = sorted({w.start for cue in cues for w in cue.words if 1.0 < w.start < duration - 1.0})
    picked = [starts[i] for i in np.linspace(0, len(starts) - 1, min(FLASH_CHECKS, len(starts))).astype(int)]
    wanted = sorted({n for t in picked for n in (int(np.ceil(t * 24 - 1e-9)) - 1, int(np.ceil(t * 24 - 1e-9)))})
    shown: dict[int, np.ndarray] = {}
    count = 0
    with av.open(str(video)) as container:
        current, pending = None, list(wanted)
        for frame in container.decode(video=0):
            count += 1
            number = round(float(frame.time) * 24)
            while pending and pending[0] < number:
                shown[pending.pop(0)] = current
            current = frame.to_ndarray(format="rgb24")[band.y:band.bottom, band.x:band.x + band.width].astype(np.int16)
        for number in pending:
            shown[number] = current
    right = 0
    for t in picked:
        after = int(np.ceil(t * 24 - 1e-9))
        ok = True
        for number, other in ((after, after - 1), (after - 1, after)):
            expected = clip.rgba_at(number / 24)[..., :3].astype(np.int16)
            alternative = clip.rgba_at(other / 24)[..., :3].astype(np.int16)
            if np.array_equal(expected, alternative):
                continue  # the word does not change the band there (a hold): nothing to tell apart
            frame = shown[number]
            ok &= np.abs(frame - expected).mean() < np.abs(frame - alternative).mean()
        right += int(ok)
    return {"frames": count, "frames_constant_rate": int(np.ceil(duration * 24)), "word_starts_checked": len(picked),
            "word_starts_on_their_frame": right}


def _child(root: Path, spec: dict[str, Any]) -> dict[str, Any]:
    import json

    from benchmarks.memory import run_in_child

    if "words" in spec:  # two hours of words do not fit on a command line
        words_file = Path(spec["work"]) / f"words-{spec['job']}.json"
        words_file.write_text(json.dumps(spec.pop("words")))
        spec = {**spec, "words_file": str(words_file)}
    return run_in_child(root, "benchmarks.long", spec, f"{spec['job']} of {spec.get('audio')}")


def _lost(reference: list[tuple[float, float]], words: list[list[Any]], shift: float = 0.0) -> list[float]:
    """Lengths of the stretches of reference speech ≥ SHORTEST_LOST seconds with no word within 0.3 s."""
    from benchmarks.real_speech import uncovered

    moved = [(text, start - shift, end - shift) for text, start, end in words]
    return [round(piece, 1) for piece in uncovered(reference, moved, shortest=SHORTEST_LOST)]


def _differences(base: list[list[Any]], other: list[list[Any]]) -> int:
    import jiwer

    from pipeline.formats.transcript import bare_word

    def text(words: list[list[Any]]) -> str:
        return " ".join(bare_word(w[0]) for w in words) or "-"

    measures = jiwer.process_words(text(base), text(other))
    return measures.substitutions + measures.deletions + measures.insertions


def run(root: Path) -> dict[str, Any]:
    from benchmarks import longform
    from benchmarks.real_speech import speech_spans
    from pipeline.tools.ffmpeg import run_ffmpeg

    root = Path(root).resolve()
    copies = int(os.environ.get("LONG_BENCH_COPIES", "4"))
    samples, _text, placed = longform.build(32.0)
    one = samples.shape[0] / longform.RATE
    clip_spans = {name: speech_spans(audio) for name, (audio, _t) in longform.sources().items()}
    reference = [(p.start + a, p.start + b) for p in placed for a, b in clip_spans[p.name]]
    figures: dict[str, Any] = {"model": "tiny.en", "threads": os.cpu_count()}
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        short_wav = longform.write_wav(work / "short.wav", samples)
        long_wav = longform.write_wav(work / "long.wav", np.tile(samples, copies))
        long_reference = [(a + k * one, b + k * one) for k in range(copies) for a, b in reference]
        del samples

        short = _child(root, {"job": "transcribe", "audio": str(short_wav)})
        long = _child(root, {"job": "transcribe", "audio": str(long_wav)})
        figures["transcribe"] = {
            "minutes": [round(one / 60, 1), round(copies * one / 60, 1)],
            "seconds": [short["seconds"], long["seconds"]],
            "rtf": [round(short["seconds"] / one, 4), round(long["seconds"] / (copies * one), 4)],
            "peak_rss_mb": [short["peak_rss_mb"], long["peak_rss_mb"]],
            "peak_long_vs_short": round(long["peak_rss_mb"] / short["peak_rss_mb"], 3),
            "voices": [short["voices"], long["voices"]],
            "redecoded_by_coverage": [short["redecoded"], long["redecoded"]],
            "reported_gaps": [short["gaps"], long["gaps"]],
        }
        figures["lost_stretches_3s"] = {"short": _lost(reference, short["words"]), "long": _lost(long_reference, long["words"])}

        shifted: dict[str, Any] = {}
        for tails in (True, False):
            base = short if tails else _child(root, {"job": "transcribe", "audio": str(short_wav), "speakers": False,
                                                     "tails": False})
            name = "tails_decoded_again" if tails else "baseline_no_tails"
            runs = {"0.0": {"lost": _lost(reference, base["words"]), "differing_words": 0, "words": len(base["words"])}}
            for shift in SHIFTS:
                from pipeline.transcription.audio import load_audio

                audio = np.concatenate([np.zeros(int(shift * longform.RATE), np.float32), load_audio(short_wav)])
                path = longform.write_wav(work / f"shift-{shift}.wav", audio)
                moved = _child(root, {"job": "transcribe", "audio": str(path), "speakers": False, "tails": tails})
                runs[str(shift)] = {"lost": _lost(reference, moved["words"], shift),
                                    "differing_words": _differences(base["words"], moved["words"]),
                                    "words": len(moved["words"])}
            shifted[name] = runs
        figures["shifted_30min"] = shifted

        mp3 = work / "long.mp3"
        run_ffmpeg(["-loglevel", "error", "-i", long_wav, "-c:a", "libmp3lame", "-b:a", "96k", mp3], what="encoding the MP3")
        excerpt = [w for w in long["words"] if w[1] < EXCERPT_SECONDS]
        side_by_side = {}
        for job in ("ours", "constant_rate", "libass"):
            side_by_side[job] = _child(root, {"job": job, "audio": str(mp3), "words": excerpt, "duration": EXCERPT_SECONDS,
                                              "work": str(work), "root": str(root)})
        ours_seconds = side_by_side["ours"]["seconds"]
        side_by_side["speed_vs_constant_rate"] = round(side_by_side["constant_rate"]["seconds"] / ours_seconds, 2)
        side_by_side["speed_vs_libass"] = round(side_by_side["libass"]["seconds"] / ours_seconds, 2)
        figures["audiogram_10min"] = side_by_side
        whole = _child(root, {"job": "ours", "audio": str(mp3), "words": long["words"], "duration": copies * one,
                              "work": str(work), "root": str(root)})
        figures["audiogram_long"] = whole
        total = long["seconds"] + whole["seconds"]
        figures["long_transcribe_plus_audiogram_rtf"] = round(total / (copies * one), 4)
    return figures
