"""Stage `publish` against a real S3 endpoint on loopback (moto's server) and a local folder.

The publication is small but real: files at the EpisodePaths locations, a site page and feeds whose URLs
are PUBLIC_URL + key, so these tests don't wait for the other stages. One test uses `built_463`.
"""

from __future__ import annotations

import contextlib
import dataclasses
import hashlib
import logging
import os
import socket
import subprocess
import sys
import threading
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from botocore.exceptions import ClientError, EndpointConnectionError, NoCredentialsError

from pipeline.context import Context
from pipeline.errors import PublishError
from pipeline.layout import Project, episode_paths, public_key
from pipeline.stages import publish as publish_stage
from pipeline.stores import LocalStore
from pipeline.stores.s3 import parse_s3_target, translate_error
from tests.conftest import REPO, copy_project, edit_episode, make_context, objects, s3_client

MIB = 1024 * 1024
FEEDS = {"feed.xml", "feed-video.xml"}


# ---------------------------------------------------------------- a small, real publication


def write_feed(project: Project, name: str, keys: list[str], marker: str = "v1") -> None:
    base = "http://127.0.0.1:8000/"
    items = "".join(
        f'<item><title>{key}</title><guid isPermaLink="false">{marker}-{key}</guid>'
        f'<enclosure url="{base}{key}" length="1" type="audio/mpeg"/></item>'
        for key in keys
    )
    feed = (f'<?xml version="1.0" encoding="UTF-8"?><rss version="2.0" xmlns:itunes="http://www.itunes.com/dtds/podcast-1.0.dtd">'
            f'<channel><title>Massage Monday {marker}</title><link>{base}</link><itunes:image href="{base}cover.jpg"/>'
            f"{items}</channel></rss>")
    (project.build_dir / name).write_text(feed, encoding="utf-8")


def make_publication(project: Project, video_bytes: int = 40_000) -> Context:
    """Small files where the stages would write them; returns the publish context (target: public/)."""
    ctx = make_context(project, "463")
    paths = ctx.paths
    paths.build.mkdir(parents=True, exist_ok=True)
    paths.podcast_mp3.write_bytes(b"ID3" + os.urandom(60_000))
    paths.asr_wav.write_bytes(b"RIFF" + os.urandom(5_000))  # intermediate: must never go up
    paths.edited_mp3.write_bytes(b"ID3" + os.urandom(5_000))  # intermediate: must never go up
    paths.captions_vtt.write_text("WEBVTT\n\n00:00.000 --> 00:02.000\nHello\n", encoding="utf-8")
    paths.captions_srt.write_text("1\n00:00:00,000 --> 00:00:02,000\nHello\n", encoding="utf-8")
    paths.transcript_txt.write_text("Hello.\n", encoding="utf-8")
    paths.transcript_json.write_text('{"segments": []}', encoding="utf-8")
    paths.transcript_p20_json.write_text('{"version": "1.0.0", "segments": []}', encoding="utf-8")
    paths.chapters_json.write_text('{"version": "1.2.0", "chapters": [{"startTime": 0, "title": "Intro"}]}', encoding="utf-8")
    paths.shownotes_html.write_text("<p>Notes v1</p>\n", encoding="utf-8")
    paths.shownotes_md.write_text("Notes v1\n", encoding="utf-8")  # not public
    paths.video_vtt.write_text("WEBVTT\n", encoding="utf-8")
    paths.video_mp4("landscape").write_bytes(os.urandom(video_bytes))
    site = project.build_dir / "site"
    (site / "episodes" / ctx.episode.key).mkdir(parents=True, exist_ok=True)
    (site / "index.html").write_text("<h1>Massage Monday</h1>\n", encoding="utf-8")
    (site / "episodes" / ctx.episode.key / "index.html").write_text("<p>Notes v1</p>\n", encoding="utf-8")
    episode = ctx.episode
    write_feed(project, "feed.xml", [public_key(episode, paths.podcast_mp3), public_key(episode, paths.captions_vtt),
                                     public_key(episode, paths.chapters_json)])
    write_feed(project, "feed-video.xml", [public_key(episode, paths.video_mp4("landscape"))])
    return ctx


def with_target(ctx: Context, target: str, **options: object) -> Context:
    show = ctx.show.model_copy(update={"publish_target": target})
    merged = {**vars(ctx.options), **options}
    return dataclasses.replace(ctx, show=show, options=type(ctx.options)(**merged))


def with_s3(ctx: Context, **settings: object) -> Context:
    return dataclasses.replace(ctx, show=ctx.show.model_copy(update={"s3": ctx.show.s3.model_copy(update=settings)}))


def expected_keys(ctx: Context) -> set[str]:
    episode = ctx.episode
    prefix = f"episodes/{episode.key}/"
    names = {"does-massage-help-restless-leg-syndrome.mp3", "captions.vtt", "captions.srt", "transcript.txt",
             "transcript.json", "transcript.p20.json", "chapters.json", "shownotes.html",
             "does-massage-help-restless-leg-syndrome.vtt", "does-massage-help-restless-leg-syndrome.mp4"}
    return {prefix + name for name in names} | {"cover.jpg", "index.html", f"episodes/{episode.key}/index.html", *FEEDS}


@pytest.fixture
def pub(tmp_path: Path) -> Context:
    return make_publication(copy_project(tmp_path / "show"))


# ---------------------------------------------------------------- S3: incremental sync


def test_first_publish_uploads_everything_second_nothing_then_only_what_changed(pub: Context, bucket: str, aws_env: str) -> None:
    ctx = with_target(pub, f"s3://{bucket}/podcast")
    _, first = publish_stage.publish(ctx)
    stored = objects(aws_env, bucket, "podcast/")
    assert set(stored) == expected_keys(ctx)  # exactly the public files: no recording, asr.wav, edited.mp3, config
    assert set(first.uploaded) == expected_keys(ctx) and first.skipped == []
    assert first.uploaded[-2:] == ["feed.xml", "feed-video.xml"]  # the feeds go up last
    assert stored[public_key(ctx.episode, ctx.paths.podcast_mp3)] == ctx.paths.podcast_mp3.read_bytes()
    assert first.bytes == sum(len(body) for body in stored.values())

    _, second = publish_stage.publish(ctx)
    assert second.uploaded == [] and second.bytes == 0
    assert set(second.skipped) == expected_keys(ctx)

    # the notes change: the stages rewrite shownotes.html, the episode page and the feeds
    ctx.paths.shownotes_html.write_text("<p>Notes v2, with a correction</p>\n", encoding="utf-8")
    (ctx.project.build_dir / "site" / "episodes" / ctx.episode.key / "index.html").write_text("<p>v2</p>", encoding="utf-8")
    write_feed(ctx.project, "feed.xml", [public_key(ctx.episode, ctx.paths.podcast_mp3)], marker="v2")
    _, third = publish_stage.publish(ctx)
    page = f"episodes/{ctx.episode.key}/index.html"
    assert third.uploaded == [public_key(ctx.episode, ctx.paths.shownotes_html), page, "feed.xml"]
    assert objects(aws_env, bucket, "podcast/")["feed.xml"] == (ctx.project.build_dir / "feed.xml").read_bytes()


def test_objects_carry_content_type_cache_control_hash_and_no_acl(pub: Context, bucket: str, aws_env: str) -> None:
    ctx = with_s3(with_target(pub, f"s3://{bucket}"), multipart_threshold_mb=5)
    big = ctx.paths.video_mp4("landscape")
    big.write_bytes(os.urandom(11 * MIB))  # over the 5 MiB threshold: multipart
    publish_stage.publish(ctx)
    client = s3_client(aws_env)
    prefix = f"episodes/{ctx.episode.key}/"
    media = "public, max-age=31536000, immutable"
    expected = {
        prefix + "does-massage-help-restless-leg-syndrome.mp3": ("audio/mpeg", media),
        prefix + "does-massage-help-restless-leg-syndrome.mp4": ("video/mp4", media),
        prefix + "captions.vtt": ("text/vtt; charset=utf-8", media),
        prefix + "captions.srt": ("application/x-subrip", media),
        prefix + "chapters.json": ("application/json", media),
        prefix + "transcript.txt": ("text/plain; charset=utf-8", media),
        "cover.jpg": ("image/jpeg", media),
        "index.html": ("text/html; charset=utf-8", "public, max-age=300"),
        "feed.xml": ("application/rss+xml; charset=utf-8", "public, max-age=300"),
        "feed-video.xml": ("application/rss+xml; charset=utf-8", "public, max-age=300"),
    }
    for key, (content_type, cache_control) in expected.items():
        head = client.head_object(Bucket=bucket, Key=key)
        assert (head["ContentType"], head["CacheControl"]) == (content_type, cache_control), key
    video = client.head_object(Bucket=bucket, Key=prefix + "does-massage-help-restless-leg-syndrome.mp4")
    assert video["ETag"].strip('"').endswith("-3")  # 3 parts: the ETag is no content hash, so…
    assert video["Metadata"]["sha256"] == hashlib.sha256(big.read_bytes()).hexdigest()  # …the hash travels as metadata
    grants = client.get_object_acl(Bucket=bucket, Key="feed.xml")["Grants"]
    assert [g["Permission"] for g in grants] == ["FULL_CONTROL"]  # owner only: no ACL was sent


def test_wrong_headers_on_an_unchanged_object_are_fixed(pub: Context, bucket: str, aws_env: str) -> None:
    ctx = with_target(pub, f"s3://{bucket}")
    publish_stage.publish(ctx)
    key = public_key(ctx.episode, ctx.paths.captions_vtt)
    body = ctx.paths.captions_vtt.read_bytes()
    s3_client(aws_env).put_object(Bucket=bucket, Key=key, Body=body, ContentType="binary/octet-stream",
                                  Metadata={"sha256": hashlib.sha256(body).hexdigest()})
    _, report = publish_stage.publish(ctx)
    assert report.uploaded == [key]
    assert s3_client(aws_env).head_object(Bucket=bucket, Key=key)["ContentType"] == "text/vtt; charset=utf-8"


def test_dry_run_lists_changes_and_changes_nothing(pub: Context, bucket: str, aws_env: str,
                                                   caplog: pytest.LogCaptureFixture) -> None:
    ctx = with_target(pub, f"s3://{bucket}/p", dry_run=True)
    with caplog.at_level(logging.INFO, logger="pipeline"):
        written = publish_stage.run(ctx)
    assert written == []
    assert objects(aws_env, bucket) == {}
    assert "would upload feed.xml (new" in caplog.text
    assert f"would upload {len(expected_keys(ctx))} (" in caplog.text

    publish_stage.publish(with_target(ctx, ctx.show.publish_target, dry_run=False))
    before = objects(aws_env, bucket)
    ctx.paths.podcast_mp3.write_bytes(b"ID3 new master")
    s3_client(aws_env).put_object(Bucket=bucket, Key="p/old/gone.mp3", Body=b"x")
    _, report = publish_stage.publish(with_target(ctx, ctx.show.publish_target, dry_run=True, prune=True))
    assert report.uploaded == [public_key(ctx.episode, ctx.paths.podcast_mp3)]
    assert report.deleted == ["old/gone.mp3"]
    assert objects(aws_env, bucket) == {**before, "p/old/gone.mp3": b"x"}


def test_prune_deletes_only_when_asked(pub: Context, bucket: str, aws_env: str) -> None:
    ctx = with_target(pub, f"s3://{bucket}/show")
    client = s3_client(aws_env)
    client.put_object(Bucket=bucket, Key="show/episodes/100-old/old.mp3", Body=b"old")
    client.put_object(Bucket=bucket, Key="elsewhere/keep.txt", Body=b"not under the prefix")
    publish_stage.publish(ctx)
    assert "episodes/100-old/old.mp3" in objects(aws_env, bucket, "show/")
    _, report = publish_stage.publish(with_target(ctx, ctx.show.publish_target, prune=True))
    assert report.deleted == ["episodes/100-old/old.mp3"] and report.uploaded == []
    assert set(objects(aws_env, bucket, "show/")) == expected_keys(ctx)  # the lock object is gone too
    assert objects(aws_env, bucket, "elsewhere/") == {"keep.txt": b"not under the prefix"}


def test_run_logs_the_report_and_returns_the_uploaded_build_files(pub: Context, bucket: str,
                                                                  caplog: pytest.LogCaptureFixture) -> None:
    ctx = with_target(pub, f"s3://{bucket}")
    with caplog.at_level(logging.INFO, logger="pipeline"):
        written = publish_stage.run(ctx)
    assert ctx.paths.podcast_mp3 in written and ctx.project.build_dir / "feed.xml" in written
    assert len(written) == len(expected_keys(ctx))
    assert f"publish s3://{bucket}/: uploaded {len(written)} (" in caplog.text and "skipped 0 unchanged, deleted 0" in caplog.text


# ---------------------------------------------------------------- S3: safety


def test_feed_linking_to_a_missing_file_uploads_nothing(pub: Context, bucket: str, aws_env: str) -> None:
    write_feed(pub.project, "feed.xml", ["episodes/463-x/not-built.mp3"])
    with pytest.raises(PublishError, match=r"not-built\.mp3"):
        publish_stage.publish(with_target(pub, f"s3://{bucket}"))
    assert objects(aws_env, bucket) == {}


def test_missing_bucket_is_a_clear_error_before_any_upload(pub: Context, aws_env: str) -> None:
    with pytest.raises(PublishError) as caught:
        publish_stage.publish(with_target(pub, "s3://no-such-bucket-here/podcast"))
    assert "bucket 'no-such-bucket-here' does not exist" in str(caught.value)
    assert "aws s3 mb s3://no-such-bucket-here" in str(caught.value.hint)


def test_missing_credentials_is_a_clear_error_before_any_upload(pub: Context, bucket: str, aws_env: str,
                                                              monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("AWS_ACCESS_KEY_ID")
    monkeypatch.delenv("AWS_SECRET_ACCESS_KEY")
    with pytest.raises(PublishError, match="no AWS credentials found") as caught:
        publish_stage.publish(with_target(pub, f"s3://{bucket}"))
    assert "AWS_ACCESS_KEY_ID" in str(caught.value.hint)
    assert objects(aws_env, bucket) == {}


def test_unknown_profile_is_a_clear_error(pub: Context, bucket: str) -> None:
    ctx = with_s3(with_target(pub, f"s3://{bucket}"), profile="does-not-exist")
    with pytest.raises(PublishError, match="profile"):
        publish_stage.publish(ctx)


def test_a_second_publish_of_the_same_target_is_refused_while_one_runs(pub: Context, bucket: str, aws_env: str) -> None:
    from pipeline.stores import open_store

    ctx = with_target(pub, f"s3://{bucket}/p")
    store = open_store(ctx.show.publish_target, ctx.project, ctx.show.s3)
    with store.lock(), pytest.raises(PublishError, match=r"another publish to s3://.* is running") as caught:
        publish_stage.publish(ctx)
    assert "--break-lock" in str(caught.value.hint)
    assert objects(aws_env, bucket, "p/episodes/") == {}
    # a lock left by a killed publish: --break-lock takes it over
    s3_client(aws_env).put_object(Bucket=bucket, Key="p/.publish.lock", Body=b"{}")
    with pytest.raises(PublishError, match="is running"):
        publish_stage.publish(ctx)
    _, report = publish_stage.publish(with_target(ctx, ctx.show.publish_target, break_lock=True))
    assert len(report.uploaded) == len(expected_keys(ctx))
    assert ".publish.lock" not in objects(aws_env, bucket, "p/")


def test_errors_translate_to_clear_messages() -> None:
    def client_error(code: str, status: int = 403) -> ClientError:
        return ClientError({"Error": {"Code": code, "Message": "m"}, "ResponseMetadata": {"HTTPStatusCode": status}}, "PutObject")

    denied = translate_error(client_error("AccessDenied"), "upload", "s3://b/p/feed.xml")
    assert str(denied).startswith("no permission to upload s3://b/p/feed.xml") and "s3:PutObject" in str(denied.hint)
    acl = translate_error(client_error("AccessControlListNotSupported", 400), "upload", "s3://b/x")
    assert "remove s3.acl" in str(acl.hint)
    assert "region" in str(translate_error(client_error("PermanentRedirect", 301), "list the bucket of", "s3://b/"))
    assert "secret key" in str(translate_error(client_error("SignatureDoesNotMatch"), "upload", "s3://b/x"))
    assert "AWS_ACCESS_KEY_ID" in str(translate_error(NoCredentialsError(), "upload", "s3://b/x").hint)
    unreachable = translate_error(EndpointConnectionError(endpoint_url="http://127.0.0.1:9"), "upload", "s3://b/x",
                                  "http://127.0.0.1:9")
    assert "connection to http://127.0.0.1:9 failed even after retrying" in str(unreachable)
    assert parse_s3_target("s3://bucket/a/b/") == ("bucket", "a/b/")
    assert parse_s3_target("s3://bucket") == ("bucket", "")
    with pytest.raises(PublishError, match="names no bucket"):
        parse_s3_target("s3:///prefix")


def test_feed_link_keys_reads_every_link_under_the_public_url() -> None:
    feed = b"""<rss xmlns:podcast="https://podcastindex.org/namespace/1.0" xmlns:itunes="x"><channel>
      <link>https://cdn.example/show/</link><itunes:image href="https://cdn.example/show/cover.jpg"/>
      <item><guid>https://cdn.example/show/not-a-link</guid>
        <enclosure url="https://cdn.example/show/episodes/1-a/a%20b.mp3?x=1" length="3" type="audio/mpeg"/>
        <podcast:transcript url="https://cdn.example/show/episodes/1-a/captions.vtt" type="text/vtt"/>
        <link>https://elsewhere.example/page</link></item></channel></rss>"""
    assert publish_stage.feed_link_keys(feed, "https://cdn.example/show") == {
        "index.html", "cover.jpg", "episodes/1-a/a b.mp3", "episodes/1-a/captions.vtt"}


# ---------------------------------------------------------------- S3: fault injection


class DroppingProxy:
    """A TCP proxy between boto3 and the server that cuts connections once they have carried `after` bytes upstream.

    `drops` connections are cut (None: every one that gets that far), in the middle of a request body.
    """

    def __init__(self, upstream: str, after: int, drops: int | None) -> None:
        self.upstream = upstream.removeprefix("http://").split(":")
        self.after = after
        self.drops_left = drops
        self.dropped = 0
        self.lock = threading.Lock()
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.url = f"http://127.0.0.1:{self.listener.getsockname()[1]}"
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while True:
            try:
                client, _ = self.listener.accept()
            except OSError:
                return
            server = socket.create_connection((self.upstream[0], int(self.upstream[1])))
            threading.Thread(target=self._pump, args=(client, server, True), daemon=True).start()
            threading.Thread(target=self._pump, args=(server, client, False), daemon=True).start()

    def _should_drop(self, sent: int) -> bool:
        with self.lock:
            if sent < self.after or self.drops_left == 0:
                return False
            if self.drops_left is not None:
                self.drops_left -= 1
            self.dropped += 1
            return True

    def _pump(self, source: socket.socket, sink: socket.socket, upstream: bool) -> None:
        sent = 0
        try:
            while data := source.recv(65536):
                sent += len(data)
                if upstream and self._should_drop(sent):
                    for sock in (source, sink):  # a reset, not a polite close: like a flaky network
                        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, b"\x01\x00\x00\x00\x00\x00\x00\x00")
                        sock.close()
                    return
                sink.sendall(data)
        except OSError:
            pass
        finally:
            for sock in (source, sink):
                with contextlib.suppress(OSError):
                    sock.shutdown(socket.SHUT_RDWR)

    def close(self) -> None:
        self.listener.close()


def test_dropped_connections_mid_upload_are_retried(pub: Context, bucket: str, aws_env: str,
                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    ctx = with_s3(with_target(pub, f"s3://{bucket}"), multipart_threshold_mb=5)
    ctx.paths.video_mp4("landscape").write_bytes(os.urandom(11 * MIB))
    proxy = DroppingProxy(aws_env, after=MIB, drops=2)
    monkeypatch.setenv("AWS_ENDPOINT_URL", proxy.url)
    try:
        _, report = publish_stage.publish(ctx)
    finally:
        proxy.close()
    assert proxy.dropped == 2
    assert set(report.uploaded) == expected_keys(ctx)
    stored = objects(aws_env, bucket)
    assert stored[public_key(ctx.episode, ctx.paths.video_mp4("landscape"))] == ctx.paths.video_mp4("landscape").read_bytes()


def test_upload_that_keeps_failing_leaves_the_feed_as_it_was(pub: Context, bucket: str, aws_env: str,
                                                             monkeypatch: pytest.MonkeyPatch) -> None:
    ctx = with_s3(with_target(pub, f"s3://{bucket}"), multipart_threshold_mb=5)
    publish_stage.publish(ctx)
    old_feed = objects(aws_env, bucket)["feed-video.xml"]

    # a new, large video and a feed that points at it; the network drops every large upload
    video = ctx.paths.video_mp4("landscape")
    video.write_bytes(os.urandom(6 * MIB))
    write_feed(ctx.project, "feed-video.xml", [public_key(ctx.episode, video)], marker="v2")
    proxy = DroppingProxy(aws_env, after=MIB, drops=None)
    monkeypatch.setenv("AWS_ENDPOINT_URL", proxy.url)
    monkeypatch.setenv("AWS_MAX_ATTEMPTS", "2")
    try:
        with pytest.raises(PublishError) as caught:
            publish_stage.publish(ctx)
    finally:
        proxy.close()
    assert proxy.dropped >= 2  # tried, retried, then gave up
    message = str(caught.value)
    assert "upload s3://" in message and "does-massage-help-restless-leg-syndrome.mp4" in message
    assert "the feeds were not touched" in message and "run the publish again" in message
    stored = objects(aws_env, bucket)
    assert stored["feed-video.xml"] == old_feed
    for key in publish_stage.feed_link_keys(old_feed, ctx.show.public_base):
        assert key in stored  # the old feed still points only at files that are there

    monkeypatch.setenv("AWS_ENDPOINT_URL", aws_env)  # the network is back: the retry finishes the job
    _, report = publish_stage.publish(ctx)
    assert report.uploaded == [public_key(ctx.episode, video), "feed-video.xml"]


# ---------------------------------------------------------------- local folder target


def test_local_folder_target(pub: Context) -> None:
    ctx = pub  # show.yaml's default: public/ under the project
    written = publish_stage.run(ctx)
    public = ctx.project.root / "public"
    assert {p.relative_to(public).as_posix() for p in written} == expected_keys(ctx)
    on_disk = {p.relative_to(public).as_posix() for p in public.rglob("*") if p.is_file()}
    assert on_disk == expected_keys(ctx)  # no temp files, no lock file, nothing private
    assert (public / public_key(ctx.episode, ctx.paths.podcast_mp3)).read_bytes() == ctx.paths.podcast_mp3.read_bytes()
    assert (public / "feed.xml").stat().st_mode & 0o777 == 0o644

    assert publish_stage.run(ctx) == []
    ctx.paths.shownotes_html.write_text("<p>v2</p>", encoding="utf-8")
    (public / "episodes" / "100-old").mkdir()
    (public / "episodes" / "100-old" / "old.mp3").write_bytes(b"old")
    _, report = publish_stage.publish(with_target(ctx, "public/", prune=True))
    assert report.uploaded == [public_key(ctx.episode, ctx.paths.shownotes_html)]
    assert report.deleted == ["episodes/100-old/old.mp3"] and not (public / "episodes" / "100-old").exists()

    # a file changed in place with the same size is still noticed (hash, not size or mtime)
    target = public / public_key(ctx.episode, ctx.paths.transcript_txt)
    target.write_bytes(b"X" * target.stat().st_size)
    assert publish_stage.publish(ctx)[1].uploaded == [public_key(ctx.episode, ctx.paths.transcript_txt)]


def test_local_target_lock_and_overlap_guard(pub: Context, tmp_path: Path) -> None:
    store = LocalStore(tmp_path / "out")
    with store.lock(), pytest.raises(PublishError, match=r"another publish to .* is running"):
        publish_stage.publish(with_target(pub, str(tmp_path / "out")))
    assert not any(p.suffix == ".mp3" for p in (tmp_path / "out").rglob("*"))
    for target in (".", "build/site"):
        with pytest.raises(PublishError, match="overlaps the project"):
            publish_stage.publish(with_target(pub, target))
    with pytest.raises(PublishError, match="only s3:// URLs and folders"):
        publish_stage.publish(with_target(pub, "gs://bucket/x"))


def test_unbuilt_or_draft_episode_is_refused(project: Project) -> None:
    from pipeline.errors import InputError

    with pytest.raises(InputError, match="not built"):
        publish_stage.publish(make_context(project, "463"))
    edit_episode(project, "463", draft=True)
    with pytest.raises(PublishError, match="is a draft"):
        publish_stage.publish(make_context(project, "463"))
    assert not (project.root / "public").exists()


# ---------------------------------------------------------------- end to end


def test_cli_publish_to_s3_end_to_end(pub: Context, bucket: str, aws_env: str) -> None:
    env = {**os.environ, "PUBLISH_TARGET": f"s3://{bucket}/podcast", "PIPELINE_PROGRESS": "0"}
    command = [sys.executable, "-m", "pipeline", "--root", str(pub.project.root), "publish", "463"]
    first = subprocess.run(command, env=env, capture_output=True, text=True, cwd=REPO, timeout=120)
    assert first.returncode == 0, first.stderr
    assert f"publish s3://{bucket}/podcast/: uploaded {len(expected_keys(pub))} (" in first.stderr
    assert set(objects(aws_env, bucket, "podcast/")) == expected_keys(pub)
    again = subprocess.run([*command, "--dry-run"], env=env, capture_output=True, text=True, cwd=REPO, timeout=120)
    assert again.returncode == 0 and "would upload 0 (0 B)" in again.stderr, again.stderr
    missing = subprocess.run(command, env={**env, "PUBLISH_TARGET": "s3://missing-bucket-x"}, capture_output=True, text=True,
                             cwd=REPO, timeout=120)
    assert missing.returncode == PublishError.exit_code
    assert "error: bucket 'missing-bucket-x' does not exist" in missing.stderr and "fix: create it" in missing.stderr


def test_every_feed_url_of_the_built_episode_resolves_to_an_uploaded_object(built_463: Project, bucket: str,
                                                                              aws_env: str) -> None:
    ctx = with_target(make_context(built_463, "463"), f"s3://{bucket}/show")
    publish_stage.publish(ctx)
    client = s3_client(aws_env)
    base = ctx.show.public_base
    checked = 0
    for feed in ("feed.xml", "feed-video.xml"):
        root = ET.fromstring(client.get_object(Bucket=bucket, Key=f"show/{feed}")["Body"].read())
        for element in root.iter():
            for name, url in element.attrib.items():
                if name not in ("url", "href") or not url.startswith(base):
                    continue
                head = client.head_object(Bucket=bucket, Key="show/" + url[len(base):])
                if element.tag == "enclosure":
                    assert head["ContentLength"] == int(element.attrib["length"]), url
                    assert head["ContentType"] == element.attrib["type"], url
                checked += 1
    assert checked >= 3
    assert not any(key.endswith(("asr.wav", "edited.mp3", "recording.mp3", ".yaml"))
                   for key in objects(aws_env, bucket, "show/"))
    assert episode_paths(built_463, ctx.episode).podcast_mp3.name in "".join(objects(aws_env, bucket, "show/"))


# ---------------------------------------------------------------- telling apps: WebSub and podping
# No real hub or podping service is reachable here: an HTTP server on loopback stands in for both.


class StandIn:
    """A WebSub hub at /hub and a podping endpoint at /podping on 127.0.0.1, recording what they are sent.
    The first `failures` requests to each path are answered 503."""

    def __init__(self, failures: int = 0) -> None:
        import threading
        from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
        from urllib.parse import parse_qs, urlsplit

        self.requests: list[tuple[str, str, dict[str, list[str]], str]] = []  # method, path, fields, Authorization
        remaining = {"/hub": failures, "/podping": failures}
        stand_in = self

        class Handler(BaseHTTPRequestHandler):
            def answer(self, fields: dict[str, list[str]]) -> None:
                path = urlsplit(self.path).path
                stand_in.requests.append((self.command, path, fields, self.headers.get("Authorization", "")))
                failing = remaining.get(path, 0) > 0
                remaining[path] = remaining.get(path, 0) - 1
                self.send_response(503 if failing else (202 if path == "/hub" else 200))
                self.send_header("Content-Length", "0")
                self.end_headers()

            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length", "0"))).decode()
                self.answer(parse_qs(body))

            def do_GET(self) -> None:
                self.answer(parse_qs(urlsplit(self.path).query))

            def log_message(self, *_: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.base = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


def with_notify(ctx: Context, hub: str, podping: str) -> Context:
    notify = ctx.show.notify.model_copy(update={"websub_hub": hub, "podping_url": podping})
    return dataclasses.replace(ctx, show=ctx.show.model_copy(update={"notify": notify}))


def test_a_publish_that_changes_the_feeds_tells_the_hub_and_podping(pub: Context, monkeypatch: pytest.MonkeyPatch,
                                                                    caplog: pytest.LogCaptureFixture) -> None:
    monkeypatch.setenv("PODPING_TOKEN", "secret-token")
    monkeypatch.setattr("pipeline.retry.BACKOFF_SECONDS", 0.01)
    stand_in = StandIn(failures=1)  # each service fails once (the first feed): retried
    try:
        ctx = with_notify(pub, stand_in.base + "/hub", stand_in.base + "/podping")
        publish_stage.run(with_target(ctx, "public/", dry_run=True))
        assert stand_in.requests == []  # a dry run tells nobody

        publish_stage.run(ctx)
        base = ctx.show.public_base
        feeds = [base + "feed.xml", base + "feed-video.xml"]
        hub = [(fields["hub.mode"], fields["hub.url"]) for method, path, fields, _ in stand_in.requests
               if path == "/hub" and method == "POST"]
        assert hub == [(["publish"], [feeds[0]])] * 2 + [(["publish"], [feeds[1]])]  # once more after the 503
        pings = [(fields["url"], fields["medium"], auth) for method, path, fields, auth in stand_in.requests
                 if path == "/podping" and method == "GET"]
        assert pings == [([feeds[0]], ["podcast"], "secret-token")] * 2 + [([feeds[1]], ["video"], "secret-token")]

        told = len(stand_in.requests)
        publish_stage.run(ctx)  # nothing changed: nobody is told
        assert len(stand_in.requests) == told
    finally:
        stand_in.close()

    # the services are down: a warning each, and the publish itself succeeds
    (ctx.project.build_dir / "feed.xml").write_text((ctx.project.build_dir / "feed.xml").read_text() + "\n")
    caplog.set_level(logging.WARNING, logger="pipeline.publish")
    assert publish_stage.run(ctx)
    assert "WebSub could not be told that " + feeds[0] + " changed" in caplog.text
    assert "podping could not be told" in caplog.text and "next poll" in caplog.text
