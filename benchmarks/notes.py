"""Benchmark `notes`: are the detected chapters where the topic changes, and do their titles name it?

Cases, each with known topic changes:
- text: long "episodes" of real news text (tests/topics.py: the Lee corpus, articles grouped by story), timed at a
  podcast's pace: six of 30 minutes, four of 10 and two of 60, each seeded;
- spoken text: one 30-minute such episode read by espeak-ng and transcribed (tiny.en), so the chapters are
  found in what the recognizer heard, not in the written text;
- real speech: Lucier's reading, then five AMI meeting excerpts, then JFK and six ARCTIC sentences, built as an
  episode of this project with the real stages (ingest, transcribe with speakers, edit, notes);
- 463, the demo: no truth, its chapters and clips listed to judge by eye.

Figures: boundary precision, recall and F1 (a found chapter start matches a true one within ±20 s, each at
most once), chapter counts against the true ones, title lengths. Baseline, side by side: the same number of
chapters spaced evenly (what a count alone gives), and the count rule's own ceiling (the detector told the
true count). A table of the titles shows what a listener would see.
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import tempfile
import time
import wave
from pathlib import Path
from typing import Any

import numpy as np
import yaml

TEXT_CASES = {"30min": (30, range(6)), "10min": (10, range(100, 104)), "60min": (60, range(200, 202))}
RATE = 16_000


def _even(duration: float, count: int) -> list[float]:
    return [duration * i / count for i in range(1, count)]


def _scores(found: list[float], truth: list[float]) -> dict[str, float]:
    from tests.topics import boundary_scores

    precision, recall, f1 = boundary_scores(found, truth)
    return {"precision": round(precision, 2), "recall": round(recall, 2), "f1": round(f1, 2)}


def text_cases() -> dict[str, Any]:
    from pipeline.notes.chapters import chapter_limits, detect_chapters, topic_boundaries, topic_vectors
    from tests.topics import topic_episode

    results: dict[str, Any] = {}
    for name, (minutes, seeds) in TEXT_CASES.items():
        rows = []
        for seed in seeds:
            episode = topic_episode(minutes, seed)
            limits = chapter_limits(episode.duration)
            started = time.perf_counter()
            chapters = detect_chapters(episode.sentences, episode.duration, limits)
            seconds = time.perf_counter() - started
            found = [c.start for c in chapters[1:]]
            told = topic_boundaries(topic_vectors([s.text for s in episode.sentences], [None] * len(episode.sentences),
                                                  _embed), episode.duration, limits, count=len(episode.boundaries))
            rows.append({"true": len(episode.boundaries) + 1, "found": len(chapters),
                         "f1": _scores(found, episode.boundaries)["f1"],
                         "even_f1": _scores(_even(episode.duration, len(chapters)), episode.boundaries)["f1"],
                         "told_count_f1": _scores([episode.sentences[i].start for i in told[1:]], episode.boundaries)["f1"],
                         "seconds": seconds, "titles": [c.title for c in chapters]})
        results[name] = {
            "episodes": len(rows),
            "f1_mean": round(float(np.mean([r["f1"] for r in rows])), 2),
            "f1_min": round(float(np.min([r["f1"] for r in rows])), 2),
            "even_f1_mean": round(float(np.mean([r["even_f1"] for r in rows])), 2),
            "told_count_f1_mean": round(float(np.mean([r["told_count_f1"] for r in rows])), 2),
            "chapters_true": " ".join(str(r["true"]) for r in rows),
            "chapters_found": " ".join(str(r["found"]) for r in rows),
            "title_words_max": max(len(t.split()) for r in rows for t in r["titles"]),
            "seconds_per_episode": round(float(np.mean([r["seconds"] for r in rows])), 1),
            "titles_first": " | ".join(rows[0]["titles"]),
        }
    return results


def _embed(texts: list[str]) -> np.ndarray:
    from pipeline.notes.chapters import embed_sentences

    return embed_sentences(texts)


def spoken_text_case(scratch: Path) -> dict[str, Any]:
    """A 30-minute text episode read by espeak-ng, transcribed, its chapters found in what was heard."""
    from pipeline.formats.transcript import Word
    from pipeline.notes.chapters import chapter_limits, detect_chapters
    from pipeline.notes.sentences import split_sentences, spoken_tokens
    from pipeline.transcription.audio import load_audio
    from pipeline.transcription.engines import DecodeSettings
    from pipeline.transcription.models import resolve_model
    from pipeline.transcription.transcribe import transcribe_audio
    from tests.topics import topic_episode

    episode = topic_episode(30, 0)
    pieces, clock, truth = [], 0.0, []
    starts = set(episode.boundaries)
    for sentence in episode.sentences:
        if sentence.start in starts:
            truth.append(round(clock, 2))
        path = scratch / f"s{sentence.index}.wav"
        subprocess.run(["espeak-ng", "-v", "en-us", "-s", "165", "-w", str(path), sentence.text], check=True,
                       capture_output=True)
        with wave.open(str(path)) as w:
            samples = np.frombuffer(w.readframes(w.getnframes()), dtype=np.int16)
            rate = w.getframerate()
        samples = np.interp(np.arange(0, len(samples), rate / RATE), np.arange(len(samples)), samples)
        pieces += [samples, np.zeros(int(RATE * 0.5))]
        clock += (len(samples) / RATE) + 0.5
    audio_path = scratch / "spoken.wav"
    with wave.open(str(audio_path), "wb") as w:
        w.setnchannels(1), w.setsampwidth(2), w.setframerate(RATE)
        w.writeframes(np.clip(np.concatenate(pieces), -32768, 32767).astype(np.int16).tobytes())
    result = transcribe_audio(load_audio(audio_path), "faster-whisper", resolve_model("tiny.en", "faster-whisper"),
                              DecodeSettings(threads=2))
    words = [Word(w.text, w.start, w.end) for s in result.segments for w in s.words]
    sentences = split_sentences(None, spoken_tokens(words))  # type: ignore[arg-type]
    chapters = detect_chapters(sentences, clock, chapter_limits(clock))
    found = [c.start for c in chapters[1:]]
    return {"minutes": round(clock / 60, 1), "chapters_true": len(truth) + 1, "chapters_found": len(chapters),
            **_scores(found, truth), "even_f1": _scores(_even(clock, len(chapters)), truth)["f1"],
            "titles": " | ".join(c.title for c in chapters)}


def _load(path: Path) -> np.ndarray:
    import soundfile

    from pipeline.transcription.audio import load_audio

    if path.suffix == ".mp3":
        return load_audio(path)
    samples, rate = soundfile.read(str(path), dtype="float32", always_2d=True)
    samples = samples.mean(axis=1)
    return np.interp(np.arange(0, len(samples), rate / RATE), np.arange(len(samples)), samples).astype(np.float32)


def real_speech_case(root: Path, scratch: Path) -> dict[str, Any]:
    """Lucier, then five AMI meetings, then JFK and ARCTIC: an episode built by the real stages."""
    import soundfile

    from pipeline.config.load import load_project
    from pipeline.context import Context
    from pipeline.layout import Project
    from pipeline.stages import STAGES

    data = root / "tests" / "data"
    parts = [[data / "lucier.mp3"], [data / f"ami_{n}.flac" for n in ("dev00", "dev01", "trn00", "trn04", "trn05")],
             [data / "jfk.flac", *sorted((data / "arctic").glob("*.flac"))]]
    samples, truth = [], []
    for index, group in enumerate(parts):
        if index:
            truth.append(sum(len(s) for s in samples) / RATE)
        for path in group:
            samples += [_load(path), np.zeros(int(RATE * 0.6), dtype=np.float32)]
    project_root = scratch / "real"
    for name in ("config", "episodes/463"):
        shutil.copytree(root / name, project_root / name)
    folder = project_root / "episodes" / "463"
    soundfile.write(str(folder / "joined.flac"), np.concatenate(samples), RATE)
    episode = yaml.safe_load((folder / "episode.yaml").read_text(encoding="utf-8"))
    for key in ("cuts", "inserts", "corrections", "chapters", "clips"):
        episode.pop(key, None)
    episode["recording"] = "joined.flac"
    (folder / "episode.yaml").write_text(yaml.safe_dump(episode, sort_keys=False), encoding="utf-8")
    show_path = project_root / "config" / "show.yaml"
    show = yaml.safe_load(show_path.read_text(encoding="utf-8"))
    for key in ("intro", "outro"):
        show.get("audio", {}).pop(key, None)
    show_path.write_text(yaml.safe_dump(show, sort_keys=False), encoding="utf-8")

    project = Project(project_root)
    for stage, options in (("ingest", {"step": "audio"}), ("transcribe", {}), ("edit", {}), ("notes", {})):
        ctx = Context.create(project, load_project(project, environ={}), "463", argparse.Namespace(**options))
        STAGES[stage].load().run(ctx)
    import json

    marks = json.loads((project.build_dir / "463" / "chapters.json").read_text(encoding="utf-8"))["chapters"]
    found = [m["startTime"] for m in marks[1:]]
    return {"seconds": round(sum(len(s) for s in samples) / RATE, 1), "chapters_true": len(truth) + 1,
            "chapters_found": len(marks), **_scores(found, truth),
            "titles": " | ".join(f"{m['startTime']:.0f}s {m['title']}" for m in marks)}


def demo_case(root: Path) -> dict[str, Any]:
    """463 as built by `make publish`: its chapters and clips, to judge by eye."""
    import json

    build = root / "build" / "463"
    if not (build / "chapters.json").is_file():
        return {"skipped": "build/463 is not built: run make publish EPISODE=463 first"}
    marks = json.loads((build / "chapters.json").read_text(encoding="utf-8"))["chapters"]
    clips = json.loads((build / "clips.json").read_text(encoding="utf-8")) if (build / "clips.json").is_file() else {}
    listed = clips.get("clips", clips) if isinstance(clips, dict) else clips
    return {"chapters": len(marks), "titles": " | ".join(f"{m['startTime']:.0f}s {m['title']}" for m in marks),
            "clips": " | ".join(f"{c['start']:.0f}–{c['end']:.0f}s {c['title']}" for c in listed)}


def run(root: Path) -> dict[str, Any]:
    root = Path(root).resolve()
    results: dict[str, Any] = {"text": text_cases()}
    with tempfile.TemporaryDirectory(prefix="bench-notes-") as scratch:
        results["spoken_text"] = spoken_text_case(Path(scratch))
        results["real_speech"] = real_speech_case(root, Path(scratch))
    results["demo_463"] = demo_case(root)
    return results
