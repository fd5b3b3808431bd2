"""Stage `clips`: the episode's best moments as short captioned videos (Shorts, Reels, TikTok).

Picks `clips.count` highlights (pipeline.clips.select; pinned and vetoed ones from episode.yaml `clips:`),
and renders each in every `clips.formats` size (default 1080×1920) with the episode video's renderer:
large two-line captions with the spoken word highlighted and the speaker's name, over the recording's
picture cut to fill the frame under the show title and the episode's number and title, or over a vertical
audiogram that has them (with the cover).
Writes build/<id>/clips/<n>.mp4 (and <n>-<format>.mp4 for further formats), a poster <n>.jpg and captions
<n>.vtt each, and
clips.json last: what was picked, why (each score's reasons), and its files.
"""

from __future__ import annotations

import json
import logging
import tempfile
from pathlib import Path
from typing import Any

from pipeline.context import Context

log = logging.getLogger(__name__)


def run(ctx: Context) -> list[Path]:
    from dataclasses import replace

    from pipeline.atomic import atomic_path, write_text
    from pipeline.clips.select import clip_text, framing, pick_clips
    from pipeline.config.show import CaptionSettings
    from pipeline.edit.document import load_time_map, published_times
    from pipeline.formats.captions import build_cues
    from pipeline.formats.languages import text_direction
    from pipeline.formats.subtitles import vtt_text
    from pipeline.formats.timemap import RECORDING
    from pipeline.formats.transcript import Transcript, Word
    from pipeline.notes.chapters import embed_sentences
    from pipeline.notes.sentences import format_time, split_sentences
    from pipeline.notes.writer import endpoint_of, written_titles
    from pipeline.tools.ffmpeg import run_ffmpeg
    from pipeline.tools.media import probe
    from pipeline.video.audiogram import background, load_cover, title_card
    from pipeline.video.captions import CaptionPainter
    from pipeline.video.edit import edited_picture
    from pipeline.video.renderer import Bar, RenderSpec, render
    from pipeline.video.style import caption_style, even

    settings, paths, episode = ctx.show.clips, ctx.paths, ctx.episode
    transcript = Transcript.load(paths.transcript_json)
    audio = paths.edited_mp3
    duration = probe(audio).duration
    recording = probe(episode.recording)
    where = str(ctx.project.relative(episode.folder / "episode.yaml"))
    note = None
    if settings.count == 0:
        note = "clips.count is 0 in config/show.yaml"
    elif duration < settings.min_seconds:
        note = f"the episode ({duration:.0f} s) is shorter than the shortest clip (clips.min_seconds: {settings.min_seconds:g})"
    time_map = load_time_map(paths.edit_json)
    choices = published_times(episode.config.clips, time_map, "start", "end")  # pinned in recording time
    sentences = split_sentences(transcript)
    inserted = [(piece.start, piece.end) for piece in time_map.pieces if piece.source != RECORDING]
    avoid = [*framing(sentences, duration, ctx.show.title), *inserted]
    clips = [] if note else pick_clips(sentences, transcript.words, settings.count, settings.min_seconds,
                                       settings.max_seconds, choices, duration, where, embed_sentences, avoid,
                                       transcript.language)
    written = written_titles(endpoint_of(ctx.show.notes.writer), [clip_text(c) for c in clips if not c.pinned],
                             [c.title for c in clips if not c.pinned], "clip")
    clips = [c if c.pinned else replace(c, title=written.pop(0)) for c in clips]
    if not clips and note is None:
        note = "no stretch of whole sentences lasts between clips.min_seconds and clips.max_seconds"
    if note:
        log.warning("no clips for episode %s: %s", episode.id, note)

    folder = paths.build / "clips"
    folder.mkdir(parents=True, exist_ok=True)
    paths.clips_json.unlink(missing_ok=True)  # until the new pick is whole, nothing lists the clips
    for stale in folder.iterdir():  # clips of an earlier pick that are not made again
        stale.unlink()
    style = caption_style(ctx.show.video, ctx.project.root)
    caption_settings = CaptionSettings(max_chars_per_line=settings.max_chars_per_line, max_lines=2).for_language(
        transcript.language)
    right_to_left = text_direction(transcript.language) == "rtl"
    audiogram = not recording.has_video
    if audiogram and clips:
        load_cover(ctx.cover)  # a missing or broken cover fails before anything is rendered
    listed: list[dict[str, Any]] = []
    written: list[Path] = []
    with tempfile.TemporaryDirectory(prefix="clips-") as scratch:
        edited = None  # a video recording's picture cut as its sound was, when the edit cut anything
        if clips and not audiogram and not time_map.is_identity:
            size = recording.display_size or (1280, 720)
            edited = edited_picture(episode.recording, size, recording.frame_rate or 30.0, time_map,
                                    Path(scratch) / "edited.mp4")
        for number, clip in enumerate(clips, start=1):
            seconds = round(clip.end - clip.start + 0.25, 3)  # the last word's release
            words = [Word(w.text, round(w.start - clip.start, 3), round(w.end - clip.start, 3), w.probability, w.speaker)
                     for w in clip.words]
            cues = build_cues(words, caption_settings)
            log.info("clip %d: %s–%s (%.0f s), score %.2f: %s", number, format_time(clip.start), format_time(clip.end),
                     clip.seconds, clip.score, "; ".join(clip.reasons))
            videos: dict[str, str] = {}
            for index, video_format in enumerate(settings.formats):
                width, height = (even(side) for side in video_format.size(None if audiogram else recording.display_size))
                picture, progress, overlay = edited or episode.recording, None, None
                label = " · ".join(part for part in (episode.config.label, clip.title) if part)
                if not audiogram:
                    overlay = Path(scratch) / f"titles-{number}-{video_format.name}.png"
                    title_card(ctx.show.title, label, width, height, style).save(overlay)
                else:
                    band = CaptionPainter(style, width, height, cues).band
                    still, layout = background(ctx.cover, ctx.show.title, label, width, height, band, style)
                    picture = Path(scratch) / f"background-{number}-{video_format.name}.png"
                    still.save(picture)
                    progress = Bar(layout.progress, style.highlight_color)
                output = paths.clip_mp4(number, video_format.name, first=index == 0)
                render(RenderSpec(output=output, audio=audio, duration=seconds, width=width, height=height,
                                  fps=float(ctx.show.video.fps) if audiogram else (recording.frame_rate or 30.0),
                                  cues=cues, style=style, picture=picture, picture_is_still=audiogram, progress=progress,
                                  audio_start=clip.start, crop=not audiogram, overlay=overlay, crf=ctx.show.video.crf,
                                  preset=ctx.show.video.preset, audio_bitrate_kbps=ctx.show.video.audio_bitrate_kbps),
                       description=f"clip {number} {video_format.name}")
                videos[video_format.name] = output.relative_to(paths.build).as_posix()
                written.append(output)
            poster = paths.clip_poster(number)
            with atomic_path(poster) as target:
                first_video = paths.build / next(iter(videos.values()))
                run_ffmpeg(["-loglevel", "error", "-ss", f"{min(1.0, seconds / 2):.2f}", "-i", str(first_video),
                            "-frames:v", "1", "-q:v", "3", "-f", "image2", str(target)], what=f"the poster of clip {number}")
            written.append(poster)
            captions = write_text(paths.clip_vtt(number), vtt_text(cues, plain=True, right_to_left=right_to_left))
            written.append(captions)
            listed.append({"number": number, "start": round(clip.start, 3), "end": round(clip.end, 3),
                           "title": clip.title, "score": clip.score, "reasons": list(clip.reasons), "pinned": clip.pinned,
                           "videos": videos, "poster": poster.relative_to(paths.build).as_posix(),
                           "captions": captions.relative_to(paths.build).as_posix()})
    document = {"clips": listed, **({"note": note} if note else {})}
    written.append(write_text(paths.clips_json, json.dumps(document, indent=2, ensure_ascii=False) + "\n"))
    return written
