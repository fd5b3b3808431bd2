"""`notes.writer`: titles and the summary from an OpenAI-compatible endpoint, the extractive result when it fails.

The endpoint here is a stand-in on loopback (a real model server cannot run in the test suite): it answers
OpenAI chat completions from a script, and records what it was asked.
"""

from __future__ import annotations

import json
import logging
import threading
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
import yaml

from pipeline.layout import Project
from pipeline.notes.writer import written_summary, written_titles
from pipeline.tools.writer import ChatEndpoint
from tests.conftest import edit_episode, make_context, run_stage
from tests.helpers import nothing_edited
from tests.test_notes import make_transcript

Answer = Callable[[dict], tuple[int, str]]


class ChatStandIn:
    """An OpenAI-compatible /v1/chat/completions on 127.0.0.1 that answers with `answer(request)`."""

    def __init__(self, answer: Answer) -> None:
        self.answer = answer
        self.requests: list[dict] = []
        stand_in = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                stand_in.requests.append({"path": self.path, "auth": self.headers.get("Authorization"), **body})
                status, content = stand_in.answer(body)
                reply = json.dumps({"choices": [{"message": {"role": "assistant", "content": content}}]}).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(reply)))
                self.end_headers()
                self.wfile.write(reply)

            def log_message(self, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/v1"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


def scripted(body: dict) -> tuple[int, str]:
    prompt = body["messages"][-1]["content"]
    if prompt.startswith("Summarise"):
        return 200, "Three massage studies are compared. Two of them found relief for restless legs. One was on dialysis."
    count = int(prompt.split("Here are the ")[1].split()[0])
    return 200, "Here you are:\n" + json.dumps([f"Written Title {i + 1}" for i in range(count)])


@pytest.fixture
def stand_in() -> Iterator[ChatStandIn]:
    server = ChatStandIn(scripted)
    yield server
    server.close()


def test_titles_and_summary_come_from_the_endpoint(stand_in: ChatStandIn, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("WRITER_KEY", "secret")
    endpoint = ChatEndpoint(url=stand_in.url, model="llama3.2", api_key_env="WRITER_KEY")
    assert written_titles(endpoint, ["one text", "two text"], ["A", "B"], "chapter") == ["Written Title 1", "Written Title 2"]
    assert written_summary(endpoint, "the transcript", "extractive.", 3).startswith("Three massage studies")
    asked = stand_in.requests[0]
    assert asked["path"] == "/v1/chat/completions" and asked["model"] == "llama3.2" and asked["temperature"] == 0
    assert asked["auth"] == "Bearer secret"
    assert "Chapter 2:\ntwo text" in asked["messages"][-1]["content"]


@pytest.mark.parametrize("answer", [
    lambda body: (500, "overloaded"),                    # the server fails
    lambda body: (200, '["Only One"]'),                  # the wrong number of titles
    lambda body: (200, "I cannot help with that."),      # no list at all
    lambda body: (200, json.dumps(["x " * 20, "B"])),    # a sentence, not a title
])
def test_a_bad_answer_keeps_the_extractive_titles(answer: Answer, caplog: pytest.LogCaptureFixture) -> None:
    server = ChatStandIn(answer)
    try:
        endpoint = ChatEndpoint(url=server.url, model="m", timeout_seconds=5)
        with caplog.at_level(logging.WARNING):
            assert written_titles(endpoint, ["one", "two"], ["Massage Oil", "Kidney Dialysis"], "chapter") == \
                ["Massage Oil", "Kidney Dialysis"]
    finally:
        server.close()
    assert "notes.writer: no chapter titles from http://127.0.0.1:" in caplog.text
    assert "the extractive titles are used" in caplog.text


def test_an_endpoint_that_is_not_running_keeps_the_extractive_summary(caplog: pytest.LogCaptureFixture) -> None:
    server = ChatStandIn(scripted)
    url = server.url
    server.close()  # nothing listens there now
    with caplog.at_level(logging.WARNING):
        assert written_summary(ChatEndpoint(url=url, model="m", timeout_seconds=5), "text", "Extractive one.", 3) == \
            "Extractive one."
    assert "notes.writer: no summary from" in caplog.text


def set_writer(project: Project, url: str) -> None:
    path = project.show_file
    show = yaml.safe_load(path.read_text(encoding="utf-8"))
    show["notes"]["writer"] = {"url": url, "model": "llama3.2", "timeout_seconds": 10}
    path.write_text(yaml.safe_dump(show, sort_keys=False), encoding="utf-8")


def test_the_notes_stage_uses_the_writer_for_detected_chapters_and_the_summary(project: Project,
                                                                                stand_in: ChatStandIn) -> None:
    set_writer(project, stand_in.url)
    edit_episode(project, "463", chapters=None, summary=None)
    massage = [f"Massage number {i} helps you knead the calf muscle slowly and gently." for i in range(8)]
    dialysis = [f"Patients on kidney dialysis number {i} had fewer kidney symptoms after oil." for i in range(8)]
    transcript = make_transcript(*massage, *dialysis)
    build = project.build_dir / "463"
    transcript.save(build / "transcript.json")
    nothing_edited(make_context(project, "463").paths, transcript.duration)
    run_stage(project, "notes")
    titles = [c["title"] for c in json.loads((build / "chapters.json").read_text(encoding="utf-8"))["chapters"]]
    assert titles and all(t.startswith("Written Title") for t in titles)
    assert "Three massage studies are compared." in (build / "shownotes.md").read_text(encoding="utf-8")


def test_writer_settings_are_checked(project: Project) -> None:
    from pipeline.config.load import load_project
    from pipeline.errors import ConfigError

    set_writer(project, "ftp://example.com/v1")
    with pytest.raises(ConfigError, match=r"notes\.writer\.url"):
        load_project(project, environ={})


