"""Other languages: settings, the bundled multilingual model, language detection, captions, notes and feed.

The model tests assert bounds (the language found, a word error rate under a ceiling), never exact words.
"""

from __future__ import annotations

import hashlib
import itertools
import json
import re
from pathlib import Path

import jiwer
import numpy as np
import pytest
import yaml

from pipeline.config.load import load_project
from pipeline.config.show import CaptionSettings
from pipeline.errors import ConfigError
from pipeline.formats.captions import Cue
from pipeline.formats.languages import WHISPER_LANGUAGES, caption_limits, text_direction, whisper_language
from pipeline.formats.subtitles import RIGHT_TO_LEFT_MARK, srt_text, vtt_text
from pipeline.formats.transcript import Word, join_words
from pipeline.layout import Project
from pipeline.notes.titles import keyword_titles
from pipeline.transcription.audio import SAMPLE_RATE, load_audio
from pipeline.transcription.language import detect_language, window_starts
from pipeline.transcription.models import (
    MULTILINGUAL_SHA256,
    MULTILINGUAL_SIZE,
    is_english_only,
    multilingual_model,
    resolve_model,
)
from tests.conftest import REPO, copy_project, edit_episode

FLEURS = REPO / "tests" / "data" / "fleurs"


# ---------------------------------------------------------------- settings


def test_whisper_languages_are_the_engines_own() -> None:
    from faster_whisper.tokenizer import _LANGUAGE_CODES

    assert tuple(WHISPER_LANGUAGES) == tuple(_LANGUAGE_CODES)
    assert whisper_language("pt-BR") == "pt" and whisper_language("de") == "de" and whisper_language("xx") is None


def set_show(project: Project, **changes: object) -> None:
    show = yaml.safe_load(project.show_file.read_text(encoding="utf-8"))
    for key, value in changes.items():
        section, _, field = key.partition(".")
        if field:
            show.setdefault(section, {})[field] = value
        else:
            show[key] = value
    project.show_file.write_text(yaml.safe_dump(show, sort_keys=False, allow_unicode=True), encoding="utf-8")


def problems(project: Project) -> str:
    with pytest.raises(ConfigError) as raised:
        load_project(project, environ={})
    return str(raised.value)


def test_language_settings_are_checked(tmp_path: Path) -> None:
    project = copy_project(tmp_path / "show")
    edit_episode(project, "463", language="klingon")
    assert "episodes/463/episode.yaml: language" in problems(project)

    edit_episode(project, "463", language="tlh")
    message = problems(project)
    assert "episodes/463/episode.yaml: language: 'tlh' is not a language Whisper speaks" in message
    assert "auto or a code like en, de" in message

    edit_episode(project, "463", language="de")
    set_show(project, **{"transcription.multilingual_model": "base.en"})
    message = problems(project)
    assert "episodes/463/episode.yaml: language: speech in 'de' needs a multilingual model" in message
    assert "transcription.multilingual_model is 'base.en', which knows only English" in message

    set_show(project, **{"transcription.multilingual_model": "base", "transcription.language": "en"})
    assert "transcription.language has moved" in problems(project)


def test_a_glossary_in_another_script_is_named(tmp_path: Path) -> None:
    project = copy_project(tmp_path / "show")
    edit_episode(project, "463", language="de", glossary=["Massage", "Москва"])
    message = problems(project)
    assert ("episodes/463/episode.yaml: glossary: 'Москва' is written in Cyrillic script, but the episode is spoken "
            "in 'de'") in message
    edit_episode(project, "463", language="ru", glossary=["Москва", "iPhone"])  # Latin names are fine anywhere
    load_project(project, environ={})
    edit_episode(project, "463", language="ja", glossary=["東京", "カタカナ"])
    load_project(project, environ={})


def test_an_episode_may_differ_from_its_show(tmp_path: Path) -> None:
    project = copy_project(tmp_path / "show")
    edit_episode(project, "463", language="auto")
    episode = load_project(project, environ={}).episodes["463"]
    assert episode.spoken_language("en-US") == "auto"
    edit_episode(project, "463", language="pt-BR")
    loaded = load_project(project, environ={})
    assert loaded.episodes["463"].spoken_language(loaded.show.language) == "pt"
    assert loaded.show.transcription.model_for("pt") == "base" and loaded.show.transcription.model_for("en") == "tiny.en"


def test_caption_limits_follow_each_languages_guide() -> None:
    settings = CaptionSettings()
    assert settings.for_language("de").max_chars_per_line == settings.max_chars_per_line
    assert settings.for_language("ja").max_chars_per_line == 13 and settings.for_language("zh").max_chars_per_line == 16
    assert settings.for_language("zh").max_chars_per_second < settings.max_chars_per_second
    assert caption_limits("ar", 42, 20).right_to_left and not caption_limits("de", 42, 20).right_to_left
    assert text_direction("he") == "rtl" and text_direction("en-US") == "ltr"


def test_right_to_left_captions_mark_every_line() -> None:
    cue = Cue(0.0, 1.5, ((Word("مرحبا", 0.0, 0.5), Word("بكم", 0.5, 1.0)),))
    vtt = vtt_text([cue], right_to_left=True)
    srt = srt_text([cue], right_to_left=True)
    assert f"\n{RIGHT_TO_LEFT_MARK}مرحبا بكم\n" in vtt and f"{RIGHT_TO_LEFT_MARK}مرحبا بكم" in srt
    assert RIGHT_TO_LEFT_MARK not in vtt_text([cue])


def test_words_of_scripts_without_spaces_are_joined_without_them() -> None:
    from pipeline.formats.captions import build_cues
    from pipeline.formats.transcript import join_words

    def words(*texts: str) -> list[Word]:
        return [Word(text, 0.4 * i, 0.4 * i + 0.3) for i, text in enumerate(texts)]

    assert join_words(words("東京", "に", "行きます", "。")) == "東京に行きます。"
    assert join_words(words("我", "喜欢", "iPhone", "手机")) == "我喜欢 iPhone 手机"
    assert join_words(words("안녕하세요", "여러분")) == "안녕하세요 여러분"  # Korean is written with spaces
    assert join_words(words("สวัสดี", "ครับ")) == "สวัสดีครับ"
    spoken = words("今日", "は", "東京", "の", "天気", "に", "ついて", "話し", "ます", "。",
                   "明日", "は", "雨", "が", "降る", "そう", "です", "。")
    cues = build_cues(spoken, CaptionSettings().for_language("ja"))
    lines = [join_words(line) for cue in cues for line in cue.lines]
    assert "".join(lines) == join_words(spoken) and all(" " not in line and len(line) <= 13 for line in lines)
    vtt = vtt_text(cues)
    assert "今日は東京の" in vtt


def test_titles_in_german_are_its_own_nouns() -> None:
    hong_kong = ("Für die besten Aussichten auf Hongkong sollten Sie die Insel verlassen. Die Fähre nach Kowloon "
                 "fährt oft. In Hongkong gibt es viele Hochhäuser.")
    cave = "Die Höhle liegt auf der Spitze eines Berges. Die Höhle ist isoliert. Pilger besuchen die Höhle bei Mekka."
    assert keyword_titles([hong_kong, cave], "de") == ["Hongkong", "Höhle"]


def test_detection_windows_spread_over_the_recording() -> None:
    assert window_starts(20.0) == [0.0]
    starts = window_starts(3600.0)
    assert len(starts) == 7 and starts[0] == 0.0 and starts[-1] == pytest.approx(3570.0)
    assert all(b - a > 500 for a, b in itertools.pairwise(starts))
    assert window_starts(65.0) == [0.0, 35.0]


# ---------------------------------------------------------------- the multilingual model


def test_the_multilingual_model_is_bundled_whole_and_checked() -> None:
    folder = multilingual_model()
    weights = folder / "model.bin"
    assert weights.stat().st_size == MULTILINGUAL_SIZE
    digest = hashlib.sha256()
    with weights.open("rb") as handle:
        while block := handle.read(1 << 22):
            digest.update(block)
    assert digest.hexdigest() == MULTILINGUAL_SHA256
    base = resolve_model("base", "faster-whisper")
    assert base.kind == "bundled" and not is_english_only(base)
    assert is_english_only(resolve_model("tiny.en", "faster-whisper"))


def reference(name: str) -> str:
    return (FLEURS / f"{name}.txt").read_text(encoding="utf-8").strip()


def words_of(result: object) -> str:
    text = join_words(w for s in result.segments for w in s.words)  # type: ignore[attr-defined]
    return re.sub(r"[^\w\s']", " ", text.lower())


@pytest.mark.parametrize("language", ["de", "fr", "es"])
def test_a_sentence_is_heard_in_its_language(language: str) -> None:
    """Detection on real speech of three languages, after a 15 s music-like intro, and transcription with base:
    a word error rate under 0.4 (BENCH=languages measures about 0.1–0.2 on these readers)."""
    from pipeline.transcription.engines import DecodeSettings
    from pipeline.transcription.transcribe import transcribe_audio

    name = f"fleurs-{language}-001"
    speech = load_audio(FLEURS / f"{name}.ogg")
    seconds = np.arange(int(15 * SAMPLE_RATE)) / SAMPLE_RATE
    chords = sum(np.sin(2 * np.pi * f * seconds) for f in (220.0, 277.2, 329.6)) * 0.05 * (1 + np.sin(2 * np.pi * 4 * seconds))
    audio = np.concatenate([chords.astype(np.float32), speech])
    model = resolve_model("base", "faster-whisper")
    detection = detect_language(audio, model, 2)
    assert detection.language == language and detection.probability > 0.7
    result = transcribe_audio(speech, "faster-whisper", model, DecodeSettings(language=language, threads=2))
    assert jiwer.wer(reference(name), words_of(result)) < 0.4


def test_the_mp4_carries_each_caption_track_with_its_language(tmp_path: Path) -> None:
    from pipeline.video.renderer import RenderSpec, _subtitle_track, subtitle_tracks

    spec = RenderSpec(output=tmp_path / "v.mp4", audio=tmp_path / "a.mp3", duration=1.0, width=64, height=64, fps=24,
                      cues=[], style=None, picture=tmp_path / "p.png", subtitles=tmp_path / "de.vtt",
                      language="ger", translations=((tmp_path / "en.vtt", "eng"),))  # type: ignore[arg-type]
    assert [(p.name, language) for p, language, _ in subtitle_tracks(spec)] == [("de.vtt", "ger"), ("en.vtt", "eng")]
    args = _subtitle_track(spec, 2)
    assert args[:6] == ["-map", "2:s:0", "-metadata:s:s:0", "language=ger", "-metadata:s:s:0", "handler_name=Captions"]
    assert args[6:10] == ["-map", "3:s:0", "-metadata:s:s:1", "language=eng"]


# ---------------------------------------------------------------- a German episode, end to end


@pytest.mark.slow
def test_a_german_episode_is_german_everywhere(tmp_path: Path) -> None:
    from tests.conftest import run_stage

    project = copy_project(tmp_path / "show", ("465",))
    run_stage(project, "ingest", "465", step="audio")
    for stage in ("transcribe", "edit", "notes"):
        run_stage(project, stage, "465")
    run_stage(project, "ingest", "465", step="tags")
    run_stage(project, "feed", "465")
    build = project.build_dir / "465"
    transcript = json.loads((build / "transcript.json").read_text(encoding="utf-8"))
    assert transcript["language"] == "de" and transcript["model"] == "base"
    assert transcript["extra"]["language_detection"]["language"] == "de"
    spoken = " ".join(reference(f"fleurs-de-00{i}") for i in range(5))
    heard = re.sub(r"[^\w\s']", " ", (build / "transcript.txt").read_text(encoding="utf-8").lower())
    assert jiwer.wer(spoken, " ".join(heard.split())) < 0.5
    assert "Hongkong" in (build / "captions.vtt").read_text(encoding="utf-8")

    # the English track (transcription.translate_to_english in the demo's show.yaml): Whisper's translation
    english = json.loads((build / "heard.en.json").read_text(encoding="utf-8"))
    assert english["language"] == "en" and english["extra"]["translated_from"] == "de"
    track = (build / "captions.en.vtt").read_text(encoding="utf-8")
    assert track.startswith("WEBVTT") and len(re.findall(r"\b(?:the|of|and|to|in|is)\b", track.lower())) >= 5
    last_cue_end = max(float(m[0]) * 3600 + float(m[1]) * 60 + float(m[2])
                       for m in re.findall(r"--> (\d\d):(\d\d):(\d\d\.\d+)", track))
    published = json.loads((build / "edit.json").read_text(encoding="utf-8"))["published_seconds"]
    assert last_cue_end <= published + 1.0  # in published time, like the German captions (a cue may linger)

    feed = (project.build_dir / "feed.xml").read_text(encoding="utf-8")
    assert "<language>en</language>" in feed  # the show's
    assert re.search(r'<podcast:transcript [^>]*language="de"', feed)
    assert re.search(r'<podcast:transcript url="[^"]*captions\.en\.vtt" type="text/vtt" language="en" rel="captions"', feed)
    page = next((project.build_dir / "site" / "episodes").glob("465-*/index.html")).read_text(encoding="utf-8")
    assert '<html lang="de">' in page and '<article class="episode" dir="ltr">' in page
