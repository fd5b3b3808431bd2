"""Benchmark `ingest`: the stage's one-decode loudness normalisation against two-pass `loudnorm`.

Input: the long-form recording of benchmarks.longform (about 34 minutes of real speech), as a 48 kHz
stereo WAV, the way remote-recording tools export. Side by side, alternated, the better of
INGEST_BENCH_REPEATS runs (default 1: the baseline alone takes minutes):
- ours: the ingest stage's audio step (`pipeline ingest ID --step audio`'s code): one decode that
  measures loudness (ebur128), finds silences and writes asr.wav and the sound as WAV; then gain and,
  where needed, a limiter, encoded to MP3 (measured as decoded while it is encoded) and, in the same pass, to
  the videos' AAC soundtrack, which the baseline does not make (the video stage encoded it before);
- baseline: the previous way, two-pass `loudnorm` (measure with the ASR WAV, then apply with the
  measured values and linear=true, decoding the recording again).
Both outputs are measured afterwards (ebur128 with true peak), outside the timings.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import tempfile
import time
from pathlib import Path
from typing import Any


def two_pass_loudnorm(recording: Path, asr_wav: Path, mp3: Path, target: float = -16.0, true_peak: float = -1.0,
                      lra: float = 11.0) -> None:
    """The ingest stage before this benchmark: loudnorm twice, the recording decoded for each pass."""
    from pipeline.tools.ffmpeg import run_ffmpeg

    base = f"loudnorm=I={target}:TP={true_peak}:LRA={lra}"
    stderr = run_ffmpeg(["-i", recording, "-filter_complex",
                         f"[0:a:0]asplit=2[loud][asr];[loud]aformat=channel_layouts=stereo,{base}:print_format=json[m];"
                         "[asr]aresample=16000,aformat=sample_fmts=s16:channel_layouts=mono[speech]",
                         "-map", "[m]", "-f", "null", "-", "-map", "[speech]", "-c:a", "pcm_s16le", "-f", "wav", asr_wav],
                        what="loudnorm first pass")
    measured = json.loads(re.findall(r"\{[^{}]*\"input_i\"[^{}]*\}", stderr)[-1])
    second = (f"{base}:measured_I={measured['input_i']}:measured_TP={measured['input_tp']}"
              f":measured_LRA={measured['input_lra']}:measured_thresh={measured['input_thresh']}"
              f":offset={measured['target_offset']}:linear=true:print_format=json")
    run_ffmpeg(["-i", recording, "-map", "0:a:0", "-vn", "-af", f"aformat=channel_layouts=stereo,{second},aresample=44100",
                "-c:a", "libmp3lame", "-b:a", "128k", "-ar", "44100", "-ac", "2", "-write_xing", "1", "-f", "mp3", mp3],
               what="loudnorm second pass")


def measure(path: Path) -> dict[str, float]:
    from pipeline.audio.loudness import parse_ebur128
    from pipeline.tools.ffmpeg import run_ffmpeg

    integrated, peak = parse_ebur128(run_ffmpeg(["-i", path, "-af", "ebur128=peak=true:framelog=quiet", "-f", "null", "-"],
                                                what="measuring"))
    return {"lufs": integrated, "true_peak_dbtp": peak if peak is not None else float("nan")}


def _ours(root: Path, project_root: Path) -> tuple[float, Path]:
    import soundfile

    from pipeline.audio.loudness import channel_layout
    from pipeline.audio.normalise import publish_sound
    from pipeline.config.load import load_project
    from pipeline.context import Context
    from pipeline.layout import Project
    from pipeline.stages.ingest import make_audio

    project = Project(project_root)
    ctx = Context.create(project, load_project(project, environ={}), "463")
    shutil.rmtree(ctx.paths.build, ignore_errors=True)
    started = time.perf_counter()
    make_audio(ctx)
    # what the edit step does with nothing to edit: gain and a limiter on the produced sound, MP3 and AAC
    produced = json.loads(ctx.paths.produced_json.read_text(encoding="utf-8"))
    publish_sound(ctx.paths.produced_wav, ctx.paths.edited_mp3, ctx.paths.edited_m4a, ctx.audio,
                  integrated=produced["integrated"], peak=produced["peak"], layout=channel_layout(ctx.audio.channels),
                  duration=soundfile.info(str(ctx.paths.produced_wav)).duration,
                  aac_kbps=ctx.show.video.audio_bitrate_kbps)
    return time.perf_counter() - started, ctx.paths.edited_mp3


def run(root: Path) -> dict[str, Any]:
    import yaml

    from benchmarks import longform
    from pipeline.tools.ffmpeg import run_ffmpeg

    root = Path(root).resolve()
    repeats = int(os.environ.get("INGEST_BENCH_REPEATS", "1"))
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        samples, _reference, _placed = longform.build(float(os.environ.get("REAL_SPEECH_MINUTES", "32")))
        source = longform.write_wav(work / "longform-16k.wav", samples)
        show = work / "show"
        shutil.copytree(root / "config", show / "config")
        shutil.copytree(root / "episodes" / "463", show / "episodes" / "463")
        recording = show / "episodes" / "463" / "recording.wav"
        run_ffmpeg(["-i", source, "-ar", "48000", "-ac", "2", "-c:a", "pcm_s16le", recording], what="making the 48 kHz recording")
        episode_yaml = show / "episodes" / "463" / "episode.yaml"
        data = yaml.safe_load(episode_yaml.read_text(encoding="utf-8"))
        data["recording"] = recording.name
        episode_yaml.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
        ours_runs, baseline_runs = [], []
        baseline_mp3 = work / "two-pass.mp3"
        for _ in range(repeats):
            seconds, ours_mp3 = _ours(root, show)
            ours_runs.append(round(seconds, 2))
            started = time.perf_counter()
            two_pass_loudnorm(recording, work / "two-pass-asr.wav", baseline_mp3)
            baseline_runs.append(round(time.perf_counter() - started, 2))
        figures: dict[str, Any] = {
            "recording_minutes": round(samples.shape[0] / longform.RATE / 60, 1),
            "ours": {"wall_s": min(ours_runs), "wall_s_runs": ours_runs, **measure(ours_mp3)},
            "two_pass_loudnorm": {"wall_s": min(baseline_runs), "wall_s_runs": baseline_runs, **measure(baseline_mp3)},
        }
    figures["speed_vs_two_pass"] = round(figures["two_pass_loudnorm"]["wall_s"] / figures["ours"]["wall_s"], 2)
    figures["ours"]["rtf"] = round(figures["ours"]["wall_s"] / (figures["recording_minutes"] * 60), 4)
    return figures


if __name__ == "__main__":
    print(json.dumps(run(Path(__file__).resolve().parent.parent), indent=2))
