"""Benchmark `render`: the project's caption renderer against naive moviepy and ffmpeg + libass.

Same input and settings for all three (size, fps, libx264 preset and CRF, AAC):
- naive: moviepy's usual way, a TextClip per cue in a CompositeVideoClip, `write_videofile` (no word
  highlighting, so it does less than ours);
- libass: ffmpeg's `subtitles` filter burning the same cues, written as ASS with karaoke tags for the
  word highlight, same font, size and outline (no soft subtitle track, no progress bar);
- ours: `pipeline.video.renderer.render`, exactly as the video stage calls it (soft subtitle track too).

Inputs: a generated 60 s 1280×720 24 fps video with 20 two-line captions, and episode 463 (an audiogram)
when build/463 has its transcript and normalised audio. `render.video`: a generated 120 s 1080p30 video
recording rendered at its own size and rate against libass at the same (RENDER_VIDEO_REPEATS, default 1),
and a portrait HEVC phone recording with a 90° rotation: upright output, flashes against beeps in sync.
Peak memory: rendering a generated 30-minute
audio input, measured in a child process (its own peak and ffmpeg's), beside a 60-second one: bounded
memory means the two peaks are about the same. Peaks come from benchmarks.memory (each process's own
high-water mark).

Wall-clock seconds are the figures the issue asks for; CPU seconds (this process and its ffmpeg children)
are reported beside them, because on a shared machine they hardly move when other jobs run, and wall-clock
ratios do (ours and libass use both cores, naive moviepy mostly one).

Environment: RENDER_BENCH_REPEATS (default 3) timed runs of libass and ours, alternated, medians reported;
RENDER_BENCH_NAIVE_463=0 skips the slow naive run on episode 463.
"""

from __future__ import annotations

import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from pipeline.formats.captions import Cue
from pipeline.formats.transcript import Word

WIDTH, HEIGHT, FPS = 1280, 720, 24
CRF, PRESET = 23, "veryfast"
SENTENCES = [
    ("Restless leg syndrome has many causes", "and massage may help some of them"),
    ("Two published case studies looked at it", "with a massage twice a week"),
    ("The techniques were effleurage and", "myofascial release of the calves"),
    ("A leg massager can help between visits", "but talk to your doctor first"),
]


def synthetic_cues(duration: float, every: float = 3.0, length: float = 2.6) -> list[Cue]:
    """Two-line cues every `every` seconds, each word with its own timestamps."""
    cues, start, number = [], 0.3, 0
    while start + length <= duration:
        lines = SENTENCES[number % len(SENTENCES)]
        texts = [line.split() for line in lines]
        count = sum(len(words) for words in texts)
        step, index, built = length / count, 0, []
        for words in texts:
            line = []
            for text in words:
                line.append(Word(text, round(start + index * step, 3), round(start + (index + 0.9) * step, 3)))
                index += 1
            built.append(tuple(line))
        cues.append(Cue(start, start + length, tuple(built)))
        start += every
        number += 1
    return cues


def _cpu_seconds() -> float:
    """CPU time of this process and of its finished children (ffmpeg): what a render costs, whatever else runs."""
    own, children = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


def _timed(action: Callable[[], object]) -> tuple[float, float]:
    """Wall-clock and CPU seconds of `action`."""
    started, cpu = time.perf_counter(), _cpu_seconds()
    action()
    return round(time.perf_counter() - started, 2), round(_cpu_seconds() - cpu, 2)


def _ass_time(seconds: float) -> int:
    return round(seconds * 1000)


def write_ass(cues: Sequence[Cue], path: Path, width: int, height: int, karaoke: bool) -> Path:
    """The same captions as ASS for libass: same font, size, outline and bottom margin as ours."""
    import pysubs2

    from pipeline.config.show import VideoSettings
    from pipeline.video.captions import CaptionPainter
    from pipeline.video.style import DEFAULT_FONT, caption_style

    style = caption_style(VideoSettings())
    painter = CaptionPainter(style, width, height, cues)
    subs = pysubs2.SSAFile()
    subs.info.update({"PlayResX": str(width), "PlayResY": str(height), "ScaledBorderAndShadow": "yes"})
    default = subs.styles["Default"]
    default.fontname = "DejaVu Sans"
    ascent, descent = painter.font(painter.font_size).getmetrics()
    default.fontsize = ascent + descent  # an ASS font size is the line's height, a Pillow size the em
    default.bold = True
    default.primarycolor = pysubs2.Color(*style.highlight_color) if karaoke else pysubs2.Color(*style.text_color)
    default.secondarycolor = pysubs2.Color(*style.text_color)
    default.outlinecolor = pysubs2.Color(*style.outline_color)
    default.outline = painter.outline
    default.shadow = 0
    default.marginv = height - painter.band.bottom
    for cue in cues:
        lines = []
        for line in cue.lines:
            if karaoke:
                lines.append(" ".join(f"{{\\k{max(1, round((w.end - w.start) * 100))}}}{w.text}" for w in line))
            else:
                lines.append(" ".join(w.text for w in line))
        subs.append(pysubs2.SSAEvent(start=_ass_time(cue.start), end=_ass_time(cue.end), text="\\N".join(lines)))
    subs.save(str(path))
    assert DEFAULT_FONT.is_file()
    return path


def libass_args(picture: Path, audio: Path, ass: Path, output: Path, duration: float, still: bool,
                fps: float = FPS) -> list[str]:
    from pipeline.video.style import FONTS_DIR

    burn = f"subtitles={ass}:fontsdir={FONTS_DIR}"
    if still:  # the image decoded once and looped in memory, as ours does
        inputs = ["-framerate", str(fps), "-i", str(picture), "-i", str(audio)]
        graph = f"[0:v]format=yuv420p,loop=loop=-1:size=1:start=0,{burn}[v]"
    else:
        inputs = ["-i", str(picture), "-i", str(audio)]
        graph = f"[0:v]{burn}[v]"
    return [*inputs, "-filter_complex", graph, "-map", "[v]", "-map", "1:a:0",
            "-c:v", "libx264", "-preset", PRESET, "-crf", str(CRF), "-pix_fmt", "yuv420p", "-r", str(fps),
            "-c:a", "aac", "-b:a", "128k", "-t", f"{duration:.3f}", "-movflags", "+faststart", str(output)]


def naive_moviepy(picture: Path, audio: Path, cues: Sequence[Cue], output: Path, duration: float, still: bool) -> None:
    """What most moviepy code does: one TextClip per cue, composited over the picture, frame by frame."""
    from moviepy import AudioFileClip, CompositeVideoClip, ImageClip, TextClip, VideoFileClip

    from pipeline.config.show import VideoSettings
    from pipeline.video.captions import CaptionPainter
    from pipeline.video.style import DEFAULT_FONT, caption_style

    painter = CaptionPainter(caption_style(VideoSettings()), WIDTH, HEIGHT, cues)
    base = ImageClip(str(picture)).with_duration(duration) if still else VideoFileClip(str(picture))
    texts = [
        TextClip(font=str(DEFAULT_FONT), text=cue.text, font_size=painter.font_size, color="white",
                 stroke_color="black", stroke_width=painter.outline, text_align="center")
        .with_start(cue.start).with_end(cue.end).with_position(("center", painter.band.y))
        for cue in cues
    ]
    video = CompositeVideoClip([base, *texts], size=(WIDTH, HEIGHT)).with_duration(duration)
    video = video.with_audio(AudioFileClip(str(audio)).with_duration(duration))
    video.write_videofile(str(output), fps=FPS, codec="libx264", preset=PRESET, audio_codec="aac",
                          ffmpeg_params=["-crf", str(CRF)], logger=None,
                          temp_audiofile_path=str(output.parent))  # moviepy's default is the working directory
    for clip in (video, base, *texts):
        clip.close()


def ours(picture: Path, audio: Path, cues: Sequence[Cue], output: Path, duration: float, still: bool,
         subtitles: Path | None, bars: Any = None, size: tuple[int, int] = (WIDTH, HEIGHT), fps: float = FPS) -> None:
    from pipeline.config.show import VideoSettings
    from pipeline.video.renderer import RenderSpec, render
    from pipeline.video.style import caption_style

    render(RenderSpec(output=output, audio=audio, duration=duration, width=size[0], height=size[1], fps=fps, cues=cues,
                      style=caption_style(VideoSettings()), picture=picture, picture_is_still=still, subtitles=subtitles,
                      language="eng", crf=CRF, preset=PRESET, progress=bars[0] if bars else None))


def audiogram_background(cues: Sequence[Cue], work: Path, root: Path, title: str) -> tuple[Path, Any]:
    from pipeline.config.show import VideoSettings
    from pipeline.video.audiogram import background
    from pipeline.video.captions import CaptionPainter
    from pipeline.video.renderer import Bar
    from pipeline.video.style import caption_style

    style = caption_style(VideoSettings())
    band = CaptionPainter(style, WIDTH, HEIGHT, cues).band
    image, layout = background(root / "config" / "cover.jpg", "Massage Monday", title, WIDTH, HEIGHT, band, style)
    path = work / "background.png"
    image.save(path)
    return path, (Bar(layout.progress, style.highlight_color),)


def compare(work: Path, picture: Path, audio: Path, cues: Sequence[Cue], duration: float, still: bool,
            bars: Any, run_naive: bool) -> dict[str, Any]:
    from pipeline.formats.subtitles import vtt_text
    from pipeline.tools.ffmpeg import run_ffmpeg
    from pipeline.video.captions import CaptionTimeline

    repeats = int(os.environ.get("RENDER_BENCH_REPEATS", "3"))
    ass = write_ass(cues, work / "captions.ass", WIDTH, HEIGHT, karaoke=True)
    vtt = work / "captions.vtt"
    vtt.write_text(vtt_text(cues, plain=True))
    libass_runs, our_runs = [], []
    for _ in range(repeats):
        libass_runs.append(_timed(lambda: run_ffmpeg(libass_args(picture, audio, ass, work / "libass.mp4", duration, still),
                                                     what="burning captions with libass")))
        our_runs.append(_timed(lambda: ours(picture, audio, cues, work / "ours.mp4", duration, still, vtt, bars)))
    libass_s, ours_s = statistics.median(run[0] for run in libass_runs), statistics.median(run[0] for run in our_runs)
    libass_cpu, ours_cpu = statistics.median(run[1] for run in libass_runs), statistics.median(run[1] for run in our_runs)
    result: dict[str, Any] = {
        "seconds_of_video": round(duration, 2),
        "cues": len(cues),
        "caption_states_drawn": CaptionTimeline(cues, True).distinct_states(),
        "frames": round(duration * FPS),
        "libass_s": libass_s,
        "ours_s": ours_s,
        "ratio_vs_libass": round(ours_s / libass_s, 2),
        # CPU seconds (process + ffmpeg) hardly move when other work shares the machine; wall-clock does.
        "libass_cpu_s": libass_cpu,
        "ours_cpu_s": ours_cpu,
        "ratio_vs_libass_cpu": round(ours_cpu / libass_cpu, 2),
        "libass_runs_s": [run[0] for run in libass_runs],
        "ours_runs_s": [run[0] for run in our_runs],
    }
    if run_naive:
        naive_s, naive_cpu = _timed(lambda: naive_moviepy(picture, audio, cues, work / "naive.mp4", duration, still))
        result.update(naive_s=naive_s, ratio_vs_naive=round(naive_s / ours_s, 2),
                      naive_cpu_s=naive_cpu, ratio_vs_naive_cpu=round(naive_cpu / ours_cpu, 2))
    else:
        result["naive_s"] = "skipped (RENDER_BENCH_NAIVE_463=0)"
    return result


def generated(work: Path) -> dict[str, Any]:
    from pipeline.tools.ffmpeg import run_ffmpeg

    picture = work / "input.mp4"
    run_ffmpeg(["-f", "lavfi", "-i", f"testsrc2=size={WIDTH}x{HEIGHT}:rate={FPS}:duration=60",
                "-f", "lavfi", "-i", "sine=frequency=220:duration=60:sample_rate=44100",
                "-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p", "-c:a", "aac", "-shortest", picture],
               what="making the benchmark input")
    cues = synthetic_cues(60.0)[:20]
    return {"input": "generated 60 s 1280x720 24 fps video (testsrc2) + tone",
            **compare(work, picture, picture, cues, 60.0, still=False, bars=None, run_naive=True)}


def episode_463(root: Path, work: Path) -> dict[str, Any]:
    from pipeline.config.load import load_project
    from pipeline.config.show import CaptionSettings
    from pipeline.formats.captions import build_cues
    from pipeline.formats.transcript import Transcript
    from pipeline.layout import Project
    from pipeline.tools.media import probe

    build = root / "build" / "463"
    transcript, audio = build / "transcript.json", build / "edited.mp3"
    if not (transcript.is_file() and audio.is_file()):
        missing = [str(path.relative_to(root)) for path in (transcript, audio) if not path.is_file()]
        return {"skipped": f"no {' or '.join(missing)}: run `make publish EPISODE=463` first"}
    try:
        loaded = load_project(Project(root), environ={})
        settings, title = loaded.show.captions, loaded.episodes["463"].config.title
    except Exception:  # the benchmark still runs on a project whose config is being edited
        settings, title = CaptionSettings(), "Episode 463"
    cues = build_cues(Transcript.load(transcript).words, settings)
    duration = probe(audio).duration
    picture, bars = audiogram_background(cues, work, root, title)
    run_naive = os.environ.get("RENDER_BENCH_NAIVE_463", "1") != "0"
    return {"input": "episode 463: audiogram of build/463/edited.mp3 with its transcript's cues",
            **compare(work, picture, audio, cues, duration, still=True, bars=bars, run_naive=run_naive)}


CHILD = """
import json, sys, time
from pathlib import Path
sys.path.insert(0, sys.argv[1])
from benchmarks.memory import ChildrenPeak, own_peak_mb
from benchmarks.render import audiogram_background, ours, synthetic_cues
work, audio, duration = Path(sys.argv[2]), Path(sys.argv[3]), float(sys.argv[4])
cues = synthetic_cues(duration)
picture, bars = audiogram_background(cues, work, Path(sys.argv[1]), "A thirty-minute episode")
started = time.perf_counter()
with ChildrenPeak() as children:
    ours(picture, audio, cues, work / "long.mp4", duration, True, None, bars)
print(json.dumps({"seconds": round(time.perf_counter() - started, 1), "cues": len(cues),
                  "python_peak_rss_mb": round(own_peak_mb(), 1), "ffmpeg_peak_rss_mb": round(children.peak_mb, 1)}))
"""


def peak_memory(root: Path, work: Path, seconds: float) -> dict[str, Any]:
    """Render a generated `seconds`-long audio input as an audiogram in a child process; its peak RSS."""
    from pipeline.tools.ffmpeg import run_ffmpeg

    audio = work / f"tone-{int(seconds)}.mp3"
    run_ffmpeg(["-f", "lavfi", "-i", f"sine=frequency=220:duration={seconds}:sample_rate=44100", "-b:a", "64k", audio],
               what="making the long benchmark audio")
    child = subprocess.run([sys.executable, "-c", CHILD, str(root), str(work), str(audio), str(seconds)],
                           capture_output=True, text=True, check=True, cwd=root)
    return json.loads(child.stdout.strip().splitlines()[-1])


def video_recording(work: Path) -> dict[str, Any]:
    """`render.video`: a 120 s 1080p30 video recording with captions, ours (at its own size and rate, as the video
    stage renders it) against ffmpeg + libass burning the same captions at the same size and settings; and a
    portrait HEVC phone recording (stored landscape with a 90° rotation): upright output, audio in sync."""
    from pipeline.formats.subtitles import vtt_text
    from pipeline.tools.ffmpeg import run_ffmpeg

    seconds, size, fps = float(os.environ.get("RENDER_VIDEO_SECONDS", "120")), (1920, 1080), 30
    picture = work / "camera.mp4"
    run_ffmpeg(["-f", "lavfi", "-i", f"testsrc2=size={size[0]}x{size[1]}:rate={fps}:duration={seconds}",
                "-f", "lavfi", "-i", f"sine=frequency=220:duration={seconds}:sample_rate=48000",
                "-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p", "-c:a", "aac", "-shortest", picture],
               what="making the 1080p30 recording")
    cues = synthetic_cues(seconds)
    ass = write_ass(cues, work / "captions.ass", *size, karaoke=True)
    vtt = work / "captions.vtt"
    vtt.write_text(vtt_text(cues, plain=True))
    libass_runs, our_runs = [], []
    for _ in range(int(os.environ.get("RENDER_VIDEO_REPEATS", "1"))):
        libass_runs.append(_timed(lambda: run_ffmpeg(libass_args(picture, picture, ass, work / "libass.mp4", seconds, False, fps),
                                                     what="burning captions with libass")))
        our_runs.append(_timed(lambda: ours(picture, picture, cues, work / "ours.mp4", seconds, False, vtt, None, size, fps)))
    libass_s, ours_s = min(r[0] for r in libass_runs), min(r[0] for r in our_runs)
    libass_cpu, ours_cpu = min(r[1] for r in libass_runs), min(r[1] for r in our_runs)
    return {"input": f"generated {seconds:g} s {size[0]}x{size[1]} {fps} fps H.264 recording, {len(cues)} two-line cues",
            "libass_s": libass_s, "ours_s": ours_s, "ratio_vs_libass": round(ours_s / libass_s, 2),
            "libass_cpu_s": libass_cpu, "ours_cpu_s": ours_cpu, "ratio_vs_libass_cpu": round(ours_cpu / libass_cpu, 2),
            "portrait_hevc": portrait_phone(work)}


def portrait_phone(work: Path) -> dict[str, Any]:
    """A 10 s HEVC recording stored 1920x1080 with a 90° display rotation, a white flash and a beep at 2, 5 and
    8 s: the video stage's size (its own, upright), and how far each flash lands from its beep in our output."""
    import numpy as np

    from pipeline.tools.ffmpeg import run_ffmpeg
    from pipeline.tools.media import probe

    stored, phone, output = work / "stored.mp4", work / "phone.mp4", work / "phone-ours.mp4"
    beeps = (2.0, 5.0, 8.0)
    during = "+".join(f"between(t,{t},{t + 0.1})" for t in beeps)  # the flashes and the beeps
    run_ffmpeg(["-f", "lavfi", "-i", "testsrc2=size=1920x1080:rate=30:duration=10",
                "-f", "lavfi", "-i", f"aevalsrc='0.8*sin(2*PI*1000*t)*({during})':s=48000:d=10",
                "-vf", f"drawbox=c=white:t=fill:enable='{during}'", "-c:v", "libx265", "-preset", "ultrafast",
                "-x265-params", "log-level=error", "-pix_fmt", "yuv420p", "-tag:v", "hvc1", "-c:a", "aac", stored],
               what="making the HEVC phone recording")
    run_ffmpeg(["-display_rotation", "90", "-i", stored, "-c", "copy", phone], what="rotating it")
    info = probe(phone)
    width, height = info.display_size or (0, 0)
    ours(phone, phone, synthetic_cues(10.0), output, info.duration, False, None, None, (width, height), info.frame_rate or 30)
    import av

    with av.open(str(output)) as container:
        stream = container.streams.video[0]
        out_size = (stream.codec_context.width, stream.codec_context.height)
        grays = [(frame.time, np.asarray(frame.to_ndarray(format="gray"))) for frame in container.decode(stream)]
    lumas = [(t, float(gray[: height // 3].mean())) for t, gray in grays]
    # rotated, the portrait picture fills the portrait frame; not rotated, it would sit between black bars
    top_rows = float(np.mean([gray[: height // 20].mean() for t, gray in grays if 0.5 < t < 1.5]))
    with av.open(str(output)) as container:
        samples = np.concatenate([frame.to_ndarray().mean(axis=0) for frame in container.decode(audio=0)])
        rate = container.streams.audio[0].rate
    flashes = [next(t for t, luma in lumas if t >= beep - 0.5 and luma > 200) for beep in beeps]
    loud = np.flatnonzero(np.abs(samples) > 0.3)
    onsets = [loud[loud >= int((beep - 0.5) * rate)][0] / rate for beep in beeps]
    offsets = [round(abs(f - o) * 1000, 1) for f, o in zip(flashes, onsets, strict=True)]
    return {"stored": "1920x1080 HEVC, display rotation 90", "output_size": f"{out_size[0]}x{out_size[1]}",
            "top_rows_luma": round(top_rows, 1), "upright": out_size == (1080, 1920) and top_rows > 30,
            "av_offset_ms": offsets, "av_offset_max_ms": max(offsets)}


def run(root: Path) -> dict[str, Any]:
    with tempfile.TemporaryDirectory(prefix="bench-render-") as scratch:
        work = Path(scratch)
        (work / "generated").mkdir()
        (work / "463").mkdir()
        (work / "short").mkdir()
        (work / "long").mkdir()
        (work / "video").mkdir()
        result: dict[str, Any] = {"size": f"{WIDTH}x{HEIGHT}", "fps": FPS, "preset": PRESET, "crf": CRF}
        result["generated_60s"] = generated(work / "generated")
        result["episode_463"] = episode_463(root, work / "463")
        result["video"] = video_recording(work / "video")
        short = peak_memory(root, work / "short", 60.0)
        long = peak_memory(root, work / "long", 1800.0)
        result["memory"] = {
            "audiogram_60s": short,
            "audiogram_30min": long,
            "peak_rss_mb_30min": round(long["python_peak_rss_mb"] + long["ffmpeg_peak_rss_mb"], 1),
            "growth_30min_vs_60s_mb": round(long["python_peak_rss_mb"] + long["ffmpeg_peak_rss_mb"]
                                            - short["python_peak_rss_mb"] - short["ffmpeg_peak_rss_mb"], 1),
        }
        for key in ("ratio_vs_libass", "ratio_vs_naive", "ratio_vs_libass_cpu", "ratio_vs_naive_cpu"):  # from the generated input
            result[key] = result["generated_60s"].get(key)
        return result


if __name__ == "__main__":
    print(json.dumps(run(Path(__file__).resolve().parent.parent), indent=2))
