"""Benchmark `speakers`: diarisation error rate and speed, and multitrack labelling accuracy.

How many voices, with the margin of that decision and its stability: benchmarks/voices.py.

Diarisation, on the real dev clips with a reference (five AMI meeting excerpts of two to four people, AN4 two
speakers, and the stereo clip whose channels give the reference) and on a 3-minute, 3-voice conversation made here with
espeak-ng voices of different pitch, and on a 30-minute file of four real voices assembled from the clips
(Lucier, JFK and the two AMI voices, in rounds). Side by side:
- project: the `campplus` diarizer as the transcribe stage runs it, with the number of voices estimated
  (`der`) and given as an episode.yaml `speakers: N` gives it (`der_given_count`);
- the same pipeline with the `resemblyzer` encoder (`resemblyzer_der`), to compare the two shipped encoders;
- naive: 1.5 s windows end to end over the whole file, embedded with resemblyzer, average-linkage
  clustering into the true number of voices (given to it);
- one speaker: the whole file one voice.
DER (pyannote.metrics: missed speech + false alarm + confusion; `collar=0.5`, i.e. 0.25 s either side of
every reference boundary, md-eval's 0.25 s collar) and the real-time factor (seconds per second of audio).

Held out: the nine other AMI excerpts of pyannote.audio's test set (tests/data/README.md), measured to choose how
speech and second voices are labelled (pipeline.speakers.diarize `speech_heard`); the count's bar was set from
the bench's own recordings, and these meetings' pairs (`bar_evidence`) were looked at beside them to check it.
Side by side: ours / the labelling before (Silero's speech only, second voices from 0.5) on the
same windows and count / one speaker; each clip's DER and the DER over all of them (errors / annotated speech,
as pyannote.metrics accumulates it, so a clip with 4 s of speech does not weigh as much as one with 30 s).

Multitrack: a two-track conversation made from real clips (Lucier, JFK at −12 dB, as a quiet guest),
each track with the other voice's bleed 20 dB down, 15 ms late. The words the engine transcribes from
the mix are labelled from the tracks (pipeline.speakers.tracks) and checked against who was placed there.
"""

from __future__ import annotations

import os
import random
import subprocess
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np

from benchmarks.voice_cases import read_rttm, spoken_seconds

DATA = Path(__file__).resolve().parent.parent / "tests" / "data"
RATE = 16_000
DEV_CLIPS = ("ami_dev00", "ami_dev01", "ami_trn00", "ami_trn04", "ami_trn05", "an4_2spk")
HELD_OUT = ("ami_trn01", "ami_trn02", "ami_trn03", "ami_trn06", "ami_trn07", "ami_trn08", "ami_trn09", "ami_tst00",
            "ami_tst01")
COLLAR = 0.5  # pyannote's collar is the total width: 0.25 s either side


def _load(path: Path) -> np.ndarray:
    from pipeline.transcription.audio import load_audio

    return load_audio(path)


def _annotation(turns: list[tuple[float, float, str]]) -> Any:
    from pyannote.core import Annotation, Segment

    annotation = Annotation()
    for index, (start, end, label) in enumerate(turns):
        if end > start:
            annotation[Segment(start, end), index] = label
    return annotation


def der(reference: list[tuple[float, float, str]], hypothesis: list[tuple[float, float, str]], duration: float) -> float:
    from pyannote.core import Segment
    from pyannote.metrics.diarization import DiarizationErrorRate

    metric = DiarizationErrorRate(collar=COLLAR, skip_overlap=False)
    return round(float(metric(_annotation(reference), _annotation(hypothesis), uem=Segment(0, duration))), 4)


def stereo_case() -> tuple[np.ndarray, list[tuple[float, float, str]]]:
    """The stereo clip as mono, and its reference: the speech of each channel (Silero) is that channel's speaker."""
    import av

    from pipeline.speakers.speech import speech_spans

    with av.open(str(DATA / "stereo_diarization.flac")) as container:
        resampler = av.AudioResampler(format="flt", layout="stereo", rate=RATE)
        frames = [f for packet in container.demux(audio=0) for frame in packet.decode() for f in resampler.resample(frame)]
    stereo = np.concatenate([f.to_ndarray().reshape(-1, 2) for f in frames])
    reference = [(a, b, f"channel{c}") for c in (0, 1) for a, b in speech_spans(np.ascontiguousarray(stereo[:, c]))]
    return stereo.mean(axis=1).astype(np.float32), sorted(reference)


LINES = [
    "Welcome back to the show. Today we are talking about sleep and recovery.",
    "Thanks for having me. I have been studying sleep for about ten years now.",
    "And I am here to ask the questions our listeners sent in.",
    "So let us start simple. How much sleep does an adult really need?",
    "Most adults need seven to nine hours, but the quality matters as much as the length.",
    "What do you mean by quality?",
    "Deep sleep and dream sleep come in cycles of about ninety minutes through the night.",
    "A listener asks whether naps can make up for a short night.",
    "A short nap helps alertness, but it does not replace the deep sleep you missed.",
    "That is good to know. What about coffee in the afternoon?",
    "Caffeine stays in the body for hours, so a coffee at four can keep you awake at eleven.",
    "I had no idea it lasted that long.",
    "Let us take another question about screens before bed.",
    "Bright light in the evening delays the body clock, so dim the screens an hour before sleep.",
    "Great advice. Any last words for our listeners?",
    "Keep a regular schedule, even on weekends. Your body will thank you.",
]
VOICES = [("Host", "en-us+m3", 38), ("Guest", "en-gb+f2", 72), ("Cohost", "en-us+m1", 55)]


def synthetic_conversation(minutes: float = 3.0, seed: int = 11) -> tuple[np.ndarray, list[tuple[float, float, str]]]:
    """About `minutes` of three espeak-ng voices taking turns with short pauses, and where each one speaks."""
    from pipeline.speakers.speech import speech_spans

    rng = random.Random(seed)
    pieces, reference, position = [], [], 0.0
    with tempfile.TemporaryDirectory() as tmp:
        index = 0
        while position < minutes * 60:
            text = LINES[index % len(LINES)]
            name, voice, pitch = VOICES[[0, 1, 0, 2, 1, 0, 1, 2][index % 8]]
            wav = Path(tmp) / f"{index}.wav"
            subprocess.run(["espeak-ng", "-v", voice, "-p", str(pitch), "-s", str(rng.randint(150, 175)), "-w", str(wav), text],
                           check=True, capture_output=True)
            samples = _load(wav)
            for a, b in speech_spans(samples):
                reference.append((position + a, position + b, name))
            pieces.append(samples)
            position += samples.shape[0] / RATE
            pause = np.zeros(int(rng.uniform(0.3, 1.0) * RATE), dtype=np.float32)
            pieces.append(pause)
            position += pause.shape[0] / RATE
            index += 1
    return np.concatenate(pieces), reference


def naive_turns(audio: np.ndarray, speakers: int) -> list[tuple[float, float, str]]:
    """1.5 s windows end to end, embedded, average linkage into `speakers` clusters."""
    from scipy.cluster.hierarchy import fcluster, linkage

    from pipeline.speakers.diarize import Resemblyzer, WindowDiarizer

    duration = audio.shape[0] / RATE
    windows = [(start, min(duration, start + 1.5)) for start in np.arange(0.0, duration, 1.5)]
    embeddings, where = WindowDiarizer(Resemblyzer()).windows(audio, windows)
    if embeddings.shape[0] < 2 or speakers < 2:
        return [(0.0, duration, "A")]
    labels = fcluster(linkage(embeddings, method="average", metric="cosine"), t=speakers, criterion="maxclust")
    return [(float(a), float(b), f"S{label}") for (a, b), label in zip(where, labels, strict=True)]


def longform_conversation(minutes: float = 30.0, seed: int = 7) -> tuple[np.ndarray, list[tuple[float, float, str]]]:
    """About `minutes` of real speech by four voices: rounds of a Lucier excerpt, AMI dev00, JFK and AMI dev01 (the
    same two meeting voices in both), with pauses of 0.3–2 s; the reference from the RTTMs and, for the one-voice
    clips, their speech (Silero). Long enough that more windows than MAX_CLUSTERED are clustered."""
    from pipeline.speakers.speech import speech_spans

    rng = random.Random(seed)
    lucier, jfk = _load(DATA / "lucier.mp3"), _load(DATA / "jfk.flac")
    meetings = {name: (_load(DATA / f"{name}.flac"), read_rttm(DATA / f"{name}.rttm")) for name in ("ami_dev00", "ami_dev01")}
    pieces, reference, position = [], [], 0.0
    while position < minutes * 60:
        start = rng.randint(0, lucier.shape[0] // RATE - 40)
        excerpt = lucier[start * RATE:(start + rng.randint(20, 40)) * RATE]
        parts: list[tuple[np.ndarray, list[tuple[float, float, str]]]] = [
            (excerpt, [(a, b, "Lucier") for a, b in speech_spans(excerpt)]), meetings["ami_dev00"],
            (jfk, [(a, b, "JFK") for a, b in speech_spans(jfk)]), meetings["ami_dev01"]]
        for samples, turns in parts:
            reference += [(position + a, position + b, label) for a, b, label in turns]
            pause = np.zeros(int(rng.uniform(0.3, 2.0) * RATE), dtype=np.float32)
            pieces += [samples, pause]
            position += (samples.shape[0] + pause.shape[0]) / RATE
    return np.concatenate(pieces), reference


def diarisation_cases() -> dict[str, tuple[np.ndarray, list[tuple[float, float, str]]]]:
    cases = {name: (_load(DATA / f"{name}.flac"), read_rttm(DATA / f"{name}.rttm")) for name in DEV_CLIPS}
    cases["stereo_diarization"] = stereo_case()
    cases["synthetic_3_voices"] = synthetic_conversation()
    cases["longform_4_voices"] = longform_conversation()
    return cases


def run_diarisation() -> dict[str, Any]:
    from pipeline.speakers.diarize import SpeakerCount, load_diarizer

    diarizer, other = load_diarizer("campplus"), load_diarizer("resemblyzer")
    for warm in (diarizer, other):
        warm.diarize(_load(DATA / "jfk.flac"), SpeakerCount(), lambda _s: None)
    figures: dict[str, Any] = {}
    for name, (audio, reference) in diarisation_cases().items():
        duration = audio.shape[0] / RATE
        true_count = len({label for _a, _b, label in reference})
        started = time.perf_counter()
        found = diarizer.diarize(audio, SpeakerCount(), lambda _s: None)
        wall = time.perf_counter() - started
        given = diarizer.diarize(audio, SpeakerCount(true_count, true_count), lambda _s: None)
        started = time.perf_counter()
        resemblyzer = other.diarize(audio, SpeakerCount(), lambda _s: None)
        resemblyzer_wall = time.perf_counter() - started
        started = time.perf_counter()
        naive = naive_turns(audio, true_count)
        naive_wall = time.perf_counter() - started
        figures[name] = {
            "seconds": round(duration, 1), "speakers": true_count, "found_speakers": len(found.voices),
            "der": der(reference, found.turns, duration), "rtf": round(wall / duration, 4),
            "der_given_count": der(reference, given.turns, duration),
            "resemblyzer_der": der(reference, resemblyzer.turns, duration),
            "resemblyzer_rtf": round(resemblyzer_wall / duration, 4),
            "naive_der": der(reference, naive, duration), "naive_rtf": round(naive_wall / duration, 4),
            "one_speaker_der": der(reference, [(0.0, duration, "one")], duration),
        }
    return figures


def run_held_out() -> dict[str, Any]:
    from pyannote.core import Segment
    from pyannote.metrics.diarization import DiarizationErrorRate

    from benchmarks.voices import bar_evidence, decided_pairs
    from pipeline.speakers.diarize import Speech, load_diarizer
    from pipeline.speakers.overlap import Heard
    from pipeline.speakers.voices import SpeakerCount

    diarizer: Any = load_diarizer("campplus")
    ways = ("ours", "before", "one_speaker")
    every = {way: DiarizationErrorRate(collar=COLLAR, skip_overlap=False) for way in ways}
    held_out = {way: DiarizationErrorRate(collar=COLLAR, skip_overlap=False) for way in ways}
    figures: dict[str, Any] = {}
    pairs: list[dict[str, Any]] = []
    for name in (*HELD_OUT, *DEV_CLIPS[:5]):
        audio, reference = _load(DATA / f"{name}.flac"), read_rttm(DATA / f"{name}.rttm")
        duration = audio.shape[0] / RATE
        speech, embeddings, where = diarizer.listen(audio)
        decision = diarizer.decide(speech, embeddings, where, SpeakerCount())
        if name in HELD_OUT:
            pairs += decided_pairs(embeddings, where, decision.assignment, reference)
        ours = diarizer.labelled(audio, speech, embeddings, where, decision)
        silero_only = Speech(speech.clear, Heard([], speech.heard.together, speech.heard.together))
        before = diarizer.labelled(audio, silero_only, embeddings, where, decision)
        turns = {"ours": ours.turns, "before": before.turns, "one_speaker": [(0.0, duration, "one")]}
        found = len(ours.voices)
        speakers = spoken_seconds(reference)
        row: dict[str, Any] = {"held_out": name in HELD_OUT, "speakers": len(speakers),
                               "speakers_over_2s": sum(seconds >= 2 for seconds in speakers.values()), "found": found}
        for way in ways:
            scored = (_annotation(reference), _annotation(turns[way]))
            row[f"{way}_der"] = round(float(every[way](*scored, uem=Segment(0, duration))), 4)
            if name in HELD_OUT:
                held_out[way](*scored, uem=Segment(0, duration))
        figures[name] = row
    return {"held_out_der_over_all": {way: round(abs(held_out[way]), 4) for way in ways},
            "ami_der_over_all": {way: round(abs(every[way]), 4) for way in ways},
            "bar_evidence": bar_evidence(pairs),
            "clips": figures}


def multitrack_episode(seed: int = 5) -> tuple[list[np.ndarray], list[tuple[float, float, str]]]:
    """Two tracks (Host: Lucier; Guest: JFK, 12 dB quieter) taking turns, each with the other's bleed."""
    rng = random.Random(seed)
    lucier, jfk = _load(DATA / "lucier.mp3"), _load(DATA / "jfk.flac")
    host, guest, placed = [], [], []
    position, cursor = 0.0, 0
    for turn in range(12):
        if turn % 2 == 0:
            length = rng.randint(6, 12) * RATE
            piece = lucier[cursor:cursor + length]
            cursor = (cursor + length) % (lucier.shape[0] - 12 * RATE)
            own, other, name = host, guest, "Host"
        else:
            piece = jfk * 10 ** (-12 / 20)
            own, other, name = guest, host, "Guest"
        placed.append((position, position + piece.shape[0] / RATE, name))
        own.append(piece)
        other.append(np.zeros_like(piece))
        gap = np.zeros(int(rng.uniform(0.3, 1.2) * RATE), dtype=np.float32)
        host.append(gap)
        guest.append(gap)
        position += (piece.shape[0] + gap.shape[0]) / RATE
    host_track, guest_track = np.concatenate(host), np.concatenate(guest)
    delay = int(0.015 * RATE)
    bleed = 10 ** (-20 / 20)
    host_out = host_track + bleed * np.concatenate([np.zeros(delay, np.float32), guest_track[:-delay]])
    guest_out = guest_track + bleed * np.concatenate([np.zeros(delay, np.float32), host_track[:-delay]])
    noise = np.random.default_rng(seed).standard_normal((2, host_track.shape[0])).astype(np.float32) * 3e-4
    return [host_out + noise[0], guest_out + noise[1]], placed


def run_multitrack() -> dict[str, Any]:
    from pipeline.speakers.tracks import track_turns
    from pipeline.speakers.turns import label_words, speaker_of
    from pipeline.transcription.engines import DecodeSettings
    from pipeline.transcription.models import resolve_model
    from pipeline.transcription.transcribe import transcribe_audio

    tracks, placed = multitrack_episode()
    levels = [10 * np.log10(np.mean(np.square(t[np.abs(t) > 1e-3], dtype=np.float64))) for t in tracks]
    gains = [levels[0] - level for level in levels]  # what ingest's levelling does: both tracks equally loud
    started = time.perf_counter()
    turns = track_turns(tracks, gains, ["Host", "Guest"])
    wall = time.perf_counter() - started
    mix = (tracks[0] * 10 ** (gains[0] / 20) + tracks[1] * 10 ** (gains[1] / 20)) / 2
    result = transcribe_audio(mix.astype(np.float32), "faster-whisper", resolve_model("tiny.en", "faster-whisper"),
                              DecodeSettings(threads=os.cpu_count() or 1))
    words = [w for s in result.segments for w in s.words]
    labelled = label_words(words, turns, {"Host": "Host", "Guest": "Guest"})
    truth = [speaker_of(w.start, w.end, placed) for w in words]
    right = sum(1 for w, t in zip(labelled, truth, strict=True) if w.speaker == t)
    one_speaker = sum(1 for t in truth if t == "Host")
    return {"seconds": round(mix.shape[0] / RATE, 1), "words": len(words),
            "words_right": round(right / max(1, len(words)), 4),
            "one_speaker_words_right": round(one_speaker / max(1, len(words)), 4),
            "rtf": round(wall / (mix.shape[0] / RATE), 4)}


def run(root: Path) -> dict[str, Any]:
    from benchmarks.voices import run_voices

    voices = run_voices()
    diarisation = run_diarisation()
    real = [diarisation[name] for name in (*DEV_CLIPS, "stereo_diarization")]
    multitrack = run_multitrack()
    held_out = run_held_out()
    return {
        "voices": voices,
        "held_out": held_out,
        "der_real_mean": round(float(np.mean([case["der"] for case in real])), 4),
        "der_given_count_real_mean": round(float(np.mean([case["der_given_count"] for case in real])), 4),
        "resemblyzer_der_real_mean": round(float(np.mean([case["resemblyzer_der"] for case in real])), 4),
        "naive_der_real_mean": round(float(np.mean([case["naive_der"] for case in real])), 4),
        "one_speaker_der_real_mean": round(float(np.mean([case["one_speaker_der"] for case in real])), 4),
        "rtf_max": max(case["rtf"] for case in diarisation.values()),
        "multitrack_words_right": multitrack["words_right"],
        "diarisation": diarisation,
        "multitrack": multitrack,
    }


if __name__ == "__main__":
    import json

    print(json.dumps(run(Path(__file__).resolve().parent.parent), indent=2))
