"""Stage `edit`: what is published, made from the recording as produced (ingest) and as heard (transcribe).

Reads heard.json and produced.wav (with its loudness, produced.json); episode.yaml's
`cuts`, `inserts` and `corrections`; the show's (or episode's) `audio.intro`, `audio.outro`, `audio.max_pause`.
Writes the edit (edit.json: every change and the time map; edits.txt; edit.otio), the published sound (edited.mp3,
edited.m4a: gain and a limiter to the target loudness, the AAC for the videos in the same pass) and the
transcripts in published time (transcript.json, captions, transcript.txt, P2.0 JSON). With nothing to edit, the
published sound is the whole produced recording.

It never transcribes: changing a cut, an insert or a correction runs this step (and what follows) alone. Every
time in episode.yaml's `cuts`, `inserts` and `corrections` is a time in the recording; every later step reads
published times only (and edit.json, to cut a video recording's picture the same way).
"""

from __future__ import annotations

import json
import logging
from dataclasses import asdict, replace
from pathlib import Path

from pipeline.atomic import atomic_path, write_text
from pipeline.context import Context
from pipeline.edit.plan import CutRequest, InsertRequest, MusicRequest, Plan, plan_edit
from pipeline.errors import InputError
from pipeline.formats.captions import build_cues
from pipeline.formats.corrections import Correction, correct, nearest_heard
from pipeline.formats.languages import text_direction
from pipeline.formats.subtitles import podcasting20_text, srt_text, transcript_text, vtt_text
from pipeline.formats.timemap import EditError
from pipeline.formats.transcript import Transcript, group_words
from pipeline.notes.sentences import format_time, split_sentences

log = logging.getLogger(__name__)


def run(ctx: Context) -> list[Path]:
    import soundfile

    from pipeline.edit.export import edits_text, otio_text, totals
    from pipeline.edit.transcript import published_transcript

    paths = ctx.paths
    for made in (paths.produced_wav, paths.produced_json):
        if not made.is_file():
            raise InputError(f"{made}: not made yet", hint=f"run `pipeline ingest {ctx.episode.id} --step audio` first")
    heard = with_corrections(ctx, Transcript.load(paths.heard_json))
    recording_seconds = soundfile.info(str(paths.produced_wav)).duration
    plan, sources = make_plan(ctx, heard, recording_seconds)
    transcript = published_transcript(heard, plan.time_map)
    removed, added = totals(plan.changes)
    cues = build_cues(transcript.words, ctx.show.captions.for_language(transcript.language))
    right_to_left = text_direction(transcript.language) == "rtl"
    texts = {
        paths.captions_vtt: vtt_text(cues, right_to_left=right_to_left),
        paths.captions_srt: srt_text(cues, right_to_left=right_to_left),
        paths.transcript_txt: transcript_text(transcript),
        paths.transcript_p20_json: podcasting20_text(cues),
        paths.edits_txt: edits_text(plan, recording_seconds, f"episode {ctx.episode.id}"),
        paths.edit_otio: otio_text(plan, ctx.episode.recording, sources, frame_rate(ctx), ctx.episode.config.title),
        paths.edit_json: json.dumps({"recording_seconds": round(recording_seconds, 3),
                                     "published_seconds": round(plan.time_map.duration, 3),
                                     "removed_seconds": round(removed, 3), "added_seconds": round(added, 3),
                                     "changes": [asdict(change) for change in plan.changes],
                                     "music": [asdict(music) for music in plan.music],
                                     "pieces": plan.time_map.to_document()}, indent=1, ensure_ascii=False) + "\n",
    }
    if ctx.episode.translated(ctx.show.language, ctx.show.transcription.translate_to_english):
        if not paths.heard_en_json.is_file():
            raise InputError(f"{paths.heard_en_json}: no English track yet",
                             hint=f"run `pipeline transcribe {ctx.episode.id}` (transcription.translate_to_english is on)")
        english = published_transcript(Transcript.load(paths.heard_en_json), plan.time_map)
        texts[paths.captions_en_vtt] = vtt_text(build_cues(english.words, ctx.show.captions))
    else:
        paths.captions_en_vtt.unlink(missing_ok=True)
    if plan.is_identity:
        log.info("%s: nothing to edit: the whole recording is published", ctx.episode.id)
    else:
        log.info("%s: %d change%s: %.1f s removed, %.1f s added; %s → %s", ctx.episode.id, len(plan.changes),
                 "s" if len(plan.changes) != 1 else "", removed, added, format_time(recording_seconds),
                 format_time(plan.time_map.duration))
    with atomic_path(paths.edited_mp3) as mp3_tmp, atomic_path(paths.edited_m4a) as aac_tmp:
        edited_sound(ctx, plan, sources, mp3_tmp, aac_tmp)
        # Every text is ready before the first file is replaced, so a failure leaves the previous set whole.
        with atomic_path(paths.transcript_json) as tmp_json:
            transcript.save(tmp_json)
            for path, text in texts.items():
                write_text(path, text)
    return [paths.transcript_json, *texts, paths.edited_mp3, paths.edited_m4a]


def make_plan(ctx: Context, heard: Transcript, recording_seconds: float) -> tuple[Plan, dict[str, Path]]:
    """The edit episode.yaml and the audio settings ask for, planned on the words as heard; and each inserted
    file by the name the plan gives it. An edit that cannot be made is an InputError naming the field."""
    from pipeline.audio.assemble import sound_length
    from pipeline.audio.silence import quiet_spans

    episode, audio = ctx.episode.config, ctx.audio
    source = ctx.project.relative(ctx.episode.folder / "episode.yaml")
    sources: dict[str, Path] = {}

    def music(name: str) -> MusicRequest | None:
        setting = getattr(audio, name)
        if setting is None:
            return None
        path = ctx.project.resolve(setting.file)
        sources[name] = path
        return MusicRequest(setting.file, sound_length(path, f"audio.{name}.file: {setting.file}"), setting.overlap)

    inserts = []
    for index, insert in enumerate(episode.inserts):
        where = f"inserts[{index}]"
        at = insert.at
        if insert.chapter is not None:
            chapters = episode.chapters or []
            if insert.chapter > len(chapters):
                raise InputError(f"{source}: {where}.chapter: {insert.chapter}: the episode has {len(chapters)} "
                                 "chapters in `chapters:`", hint="name a chapter given there, or place it with `at:`")
            at = chapters[insert.chapter - 1].start
        path = ctx.episode.folder / insert.file
        sources[insert.file] = path
        assert at is not None
        inserts.append(InsertRequest(where, insert.file, sound_length(path, f"{source}: {where}.file: {insert.file}"), at))
    try:
        plan = plan_edit(heard.words, split_sentences(heard), recording_seconds,
                         cuts=[CutRequest(f"cuts[{i}]", c.start, c.end, c.quote) for i, c in enumerate(episode.cuts)],
                         inserts=inserts, intro=music("intro"), outro=music("outro"), max_pause=audio.max_pause,
                         quiet=quiet_spans(ctx.paths.produced_wav) if audio.max_pause is not None else ())
    except EditError as exc:
        raise InputError(f"{source}: {exc}", hint="fix `cuts:`, `inserts:` or the audio settings and run again") from exc
    return plan, sources


def edited_sound(ctx: Context, plan: Plan, sources: dict[str, Path], mp3: Path, m4a: Path) -> None:
    """The sound the plan describes (produced.wav itself when nothing is edited; else assembled from it and the
    inserted files), brought to the target loudness (gain, and a limiter where the peaks need one) in `mp3` and
    `m4a`."""
    import soundfile

    from pipeline.audio.assemble import assemble, load_sound
    from pipeline.audio.loudness import channel_layout, loudness
    from pipeline.audio.normalise import publish_sound
    from pipeline.progress import advance_to, progress_bar

    paths, audio = ctx.paths, ctx.audio
    produced = json.loads(paths.produced_json.read_text(encoding="utf-8"))
    info = soundfile.info(str(paths.produced_wav))
    layout = channel_layout(audio.channels)
    if plan.is_identity:
        publish_sound(paths.produced_wav, mp3, m4a, audio, integrated=produced["integrated"], peak=produced["peak"],
                      layout=layout, duration=info.duration, aac_kbps=ctx.show.video.audio_bitrate_kbps)
        return
    used = {piece.source for piece in plan.time_map.pieces} | {music.source for music in plan.music}
    sounds = {name: load_sound(path, info.samplerate, info.channels, produced["integrated"])
              for name, path in sources.items() if name in used}
    assembled = paths.build / "edit-assembled.wav"
    try:
        with progress_bar(plan.time_map.duration, f"edit {ctx.episode.id}") as bar:
            peak = assemble(plan.time_map, paths.produced_wav, sounds, plan.music, assembled,
                            lambda seconds: advance_to(bar, seconds))
        publish_sound(assembled, mp3, m4a, audio, integrated=loudness(assembled), peak=peak,
                      layout=layout, duration=plan.time_map.duration,
                      aac_kbps=ctx.show.video.audio_bitrate_kbps)
    finally:
        assembled.unlink(missing_ok=True)


def frame_rate(ctx: Context) -> float:
    """The OTIO timeline's rate: the recording's frame rate, 25 for sound alone."""
    from pipeline.tools.media import probe

    return probe(ctx.episode.recording).frame_rate or 25.0


def with_corrections(ctx: Context, transcript: Transcript) -> Transcript:
    """`transcript` with episode.yaml's `corrections:`; a warning names each one never heard, and the nearest words."""
    wanted = ctx.episode.config.corrections
    if not wanted:
        return transcript
    words, done, unmatched = correct(transcript.words, [Correction(c.heard, c.said, c.at) for c in wanted])
    source = ctx.project.relative(ctx.episode.folder / "episode.yaml")
    for number in unmatched:
        near = nearest_heard(transcript.words, wanted[number].heard)
        hint = f'the nearest is "{near[0]}" at {format_time(near[1])}' if near else "nothing near it either"
        log.warning('%s: corrections[%d].from: "%s" is never heard in the transcript (%s); fix the words or remove '
                    "the correction", source, number, wanted[number].heard, hint)
    log.info("%s: %d correction%s applied", ctx.episode.id, len(done), "s" if len(done) != 1 else "")
    extra = {**transcript.extra, "corrections": [asdict(item) for item in done]}
    return replace(transcript, segments=tuple(group_words(words)), extra=extra)
