"""Configuration is validated up front; every problem is reported at once with file, key, value and fix."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from pipeline.config.episode import slugify
from pipeline.config.fields import check_timestamp
from pipeline.config.load import check_episode_id, load_project
from pipeline.errors import UsageError
from pipeline.layout import Project
from tests.conftest import copy_project, edit_episode, make_context
from tests.helpers import problems_of


def test_the_demo_project_is_valid() -> None:
    loaded = load_project(Project(Path(__file__).resolve().parent.parent), environ={})
    episode = loaded.episodes["463"]
    assert episode.config.number == 463
    assert episode.slug == "does-massage-help-restless-leg-syndrome"
    assert episode.key == "463-does-massage-help-restless-leg-syndrome"
    assert episode.date.utcoffset() is not None
    assert len(episode.config.references) == 2 and len(episode.config.links) == 5
    assert loaded.warnings == []


def test_every_problem_is_reported_at_once_with_file_key_and_value(project: Project) -> None:
    edit_episode(project, title=None, date="2026-11-23T09:00:00",
                 links=[{"title": "x", "url": "javascript:alert(1)"}, {"title": "y", "url": "data:text/html,hi"}])
    problems = problems_of(project)
    text = "\n".join(problems)
    assert "episodes/463/episode.yaml: title: is required" in text
    assert "date: '2026-11-23T09:00:00' needs a time zone" in text
    assert "links[0].url: 'javascript:alert(1)'" in text and "links[1].url: 'data:text/html,hi'" in text
    assert len(problems) == 4


def test_malformed_url_missing_recording_and_bad_chapters(project: Project) -> None:
    edit_episode(project, recording="missing.wav", links=[{"title": "x", "url": "https:///nohost"}],
                 chapters=[{"start": "00:00", "title": "a"}, {"start": "00:00", "title": "b"}])
    text = "\n".join(problems_of(project))
    assert "recording: 'missing.wav' does not exist in episodes/463/" in text
    assert "links[0].url: 'https:///nohost' is not a well-formed URL" in text
    assert "chapter start times must be strictly ascending" in text


def test_duplicate_episode_numbers_are_refused(tmp_path: Path) -> None:
    project = copy_project(tmp_path / "show")
    twin = project.episodes_dir / "463b"
    (twin).mkdir()
    (twin / "episode.yaml").write_text((project.episodes_dir / "463" / "episode.yaml").read_text())
    (twin / "recording.mp3").write_bytes((project.episodes_dir / "463" / "recording.mp3").read_bytes())
    assert any("number: 463 is already used by episodes/463" in p for p in problems_of(project))


def test_unknown_keys_are_warnings_with_a_did_you_mean(project: Project) -> None:
    edit_episode(project, titel="typo", glosary=["x"])
    loaded = load_project(project, environ={})
    assert any("titel: unknown key, ignored; did you mean 'title'?" in w for w in loaded.warnings)
    assert any("glosary: unknown key, ignored; did you mean 'glossary'?" in w for w in loaded.warnings)


def test_show_yaml_problems_name_the_show_file(project: Project) -> None:
    path = project.show_file
    data = yaml.safe_load(path.read_text())
    data["owner"]["email"] = "not-an-email"
    data["cover"] = "config/missing.png"
    data["audio"]["bitrate_kbps"] = 5
    path.write_text(yaml.safe_dump(data))
    text = "\n".join(problems_of(project))
    assert "config/show.yaml: owner.email: 'not-an-email' must be an email address like name@example.com" in text
    assert "config/show.yaml: cover: 'config/missing.png' does not exist" in text
    assert "config/show.yaml: audio.bitrate_kbps: 5" in text


def test_environment_overrides_publish_target_and_public_url(project: Project) -> None:
    loaded = load_project(project, environ={"PUBLISH_TARGET": "s3://bucket/show", "PUBLIC_URL": "https://cdn.example/show"})
    assert loaded.show.publish_target == "s3://bucket/show"
    assert loaded.show.public_base == "https://cdn.example/show/"


@pytest.mark.parametrize("bad", ["", "../x", "a/b", "-rf", "x" * 70, "4 63"])
def test_episode_ids_must_be_plain_folder_names(project: Project, bad: str) -> None:
    with pytest.raises(UsageError):
        check_episode_id(bad, project)


def test_an_unknown_episode_lists_the_known_ones(project: Project) -> None:
    with pytest.raises(UsageError) as caught:
        check_episode_id("9", project)
    assert "463" in str(caught.value.hint)


@pytest.mark.parametrize(("text", "seconds"), [("00:00", 0), ("1:05", 65), ("1:02:03", 3723), ("00:01.5", 1.5), (90, 90)])
def test_timestamps(text: str | int, seconds: float) -> None:
    assert check_timestamp(text) == seconds


def test_slugs_are_ascii_and_bounded() -> None:
    assert slugify("Does Massage Help Restless Leg Syndrome?") == "does-massage-help-restless-leg-syndrome"
    assert slugify("Café & Crème: Über") == "cafe-creme-uber"
    assert len(slugify("word " * 40)) <= 60


def test_speaker_fields_are_checked(project: Project) -> None:
    edit_episode(project, speakers=0, speaker_names={"Speaker 2": 5},
                 recording={"tracks": [{"file": "nope.wav", "speaker": "Dana"}, {"file": "recording.mp3"}]})
    text = "\n".join(problems_of(project))
    assert "speakers: 0 must be at least 1" in text
    assert "speaker_names.Speaker 2: 5 must be text" in text
    assert "recording.tracks[0].file: 'nope.wav' does not exist in episodes/463/" in text
    assert "recording.tracks[1].speaker: is required" in text
    edit_episode(project, speakers=[1, 2], speaker_names=None, recording="recording.mp3")
    assert any("speakers[0]: 1 must be text" in p for p in problems_of(project))
    edit_episode(project, speakers="4-2")
    assert any('speakers: \'4-2\' must be a range like "2-4"' in p for p in problems_of(project))


def test_corrections_are_checked(project: Project) -> None:
    edit_episode(project, corrections=[{"from": "Dina", "to": ""}, {"from": "...", "to": "x"},
                                       {"from": "a", "to": "b", "at": "soon"}, {"form": "a", "to": "b"}])
    text = "\n".join(problems_of(project))
    assert "corrections[0].to:" in text and "corrections[1].from:" in text and "must hold a word" in text
    assert "corrections[2].at:" in text and "corrections[3].from: is required" in text
    edit_episode(project, corrections=[{"from": "Dina", "to": "Dana", "at": "03:12"}])
    assert make_context(project, "463").episode.config.corrections[0].at == 192.0


def test_a_missing_voice_sample_names_the_show_file(project: Project) -> None:
    (project.config_dir / "voices" / "dana.mp3").unlink()
    assert "config/show.yaml: voices[0].sample: 'config/voices/dana.mp3' does not exist" in "\n".join(problems_of(project))


def test_feed_settings_are_checked_up_front(project: Project) -> None:
    data = yaml.safe_load(project.show_file.read_text())
    data |= {"podroll": [{"feed_guid": "917393e3-1b1e-5cef-ace4-edaa54e1f810", "feed_url": "ftp://friends.example/feed"}],
             "license": {"name": "custom", "url": "javascript:alert(1)"},
             "txt": [{"value": "x" * 4001, "purpose": "applepodcastsverify"}],
             "notify": {"websub_hub": "hub.example.net"},
             "update_frequency": "fortnightly"}
    project.show_file.write_text(yaml.safe_dump(data))
    problems = problems_of(project)
    text = "\n".join(problems)
    assert "config/show.yaml: podroll[0].feed_url: 'ftp://friends.example/feed' must be an http:// or https:// URL" in text
    assert "config/show.yaml: license.url: 'javascript:alert(1)' must be an http:// or https:// URL" in text
    assert "config/show.yaml: txt[0].value:" in text and "4000" in text
    assert "config/show.yaml: notify.websub_hub: 'hub.example.net' must be an http:// or https:// URL" in text
    assert "config/show.yaml: update_frequency: 'fortnightly'" in text and "'weekly'" in text
    assert len(problems) == 5
