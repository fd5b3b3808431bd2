"""Speaker levelling (pipeline.audio.level) through the ingest stage: two real voices 10 dB apart come out alike."""

from __future__ import annotations

import numpy as np
import pyloudnorm
import soundfile

from benchmarks.voice_cases import level
from pipeline.layout import Project
from pipeline.transcription.audio import load_audio
from tests.conftest import DATA, edit_episode, make_context, published_as_recorded, run_stage

RATE = 16_000
TURN_SECONDS = 9


def two_voices(path: str) -> list[tuple[int, int, str]]:
    """Lucier at −20 dBFS and JFK at −30 dBFS, three turns each; where each speaks (samples at 16 kHz)."""
    lucier, jfk = load_audio(DATA / "lucier.mp3"), load_audio(DATA / "jfk.flac")
    pieces, who, position = [], [], 0
    for turn in range(3):
        for samples, name in ((level(lucier[turn * 20 * RATE:(turn * 20 + TURN_SECONDS) * RATE], -20), "host"),
                              (level(np.roll(jfk, turn * RATE)[:TURN_SECONDS * RATE], -30), "guest")):
            pieces += [samples, np.zeros(RATE // 2, np.float32)]
            who.append((position, position + samples.shape[0], name))
            position += samples.shape[0] + RATE // 2
    soundfile.write(path, np.concatenate(pieces), RATE)
    return who


def spread(project: Project, who: list[tuple[int, int, str]]) -> float:
    published_as_recorded(project)
    sound = load_audio(make_context(project, "463").paths.edited_mp3)
    meter = pyloudnorm.Meter(RATE)
    host, guest = (meter.integrated_loudness(np.concatenate([sound[a:b] for a, b, n in who if n == name]).astype(float))
                   for name in ("host", "guest"))
    return host - guest


def test_a_quiet_guest_is_brought_up_to_the_host(project: Project) -> None:
    who = two_voices(str(project.episodes_dir / "463" / "talk.wav"))
    edit_episode(project, recording="talk.wav")
    run_stage(project, "ingest", step="audio")
    assert abs(spread(project, who)) <= 3.0  # 0.9 LU measured (BENCH=production); 10 LU as recorded
    edit_episode(project, audio={"level_speakers": False})  # the episode's own setting wins over the show's
    run_stage(project, "ingest", step="audio")
    assert spread(project, who) >= 7.0
