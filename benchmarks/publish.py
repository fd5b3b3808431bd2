"""Benchmark `publish`: a cold publish and a no-op re-publish to a real S3 endpoint on loopback (moto's server).

Uses build/463 and the feeds when they are built; otherwise a synthetic publication of realistic sizes
(a 4-minute 128 kbps MP3, a 720p MP4, captions, transcripts, notes, site and feeds). Baseline: what a naive
publisher does on every run — one plain PutObject per file, one after another, everything re-sent.
"""

from __future__ import annotations

import argparse
import contextlib
import logging
import os
import shutil
import statistics
import tempfile
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from pipeline.config.load import load_project
from pipeline.context import Context
from pipeline.layout import FEED_KEY, Project, episode_paths, feed_path, public_key

EPISODE = "463"
RUNS = 3  # no-op and naive runs; their medians are reported
MB = 1_000_000


@contextlib.contextmanager
def loopback_s3() -> Iterator[str]:
    """moto's S3 server on 127.0.0.1 and dummy credentials in the environment, restored afterwards."""
    from moto.server import ThreadedMotoServer

    logging.getLogger("werkzeug").setLevel(logging.ERROR)
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    endpoint = f"http://{host}:{port}"
    saved = {name: value for name, value in os.environ.items() if name.startswith("AWS_")}
    for name in saved:
        del os.environ[name]
    os.environ.update({"AWS_ACCESS_KEY_ID": "bench", "AWS_SECRET_ACCESS_KEY": "bench", "AWS_DEFAULT_REGION": "us-east-1",
                       "AWS_ENDPOINT_URL": endpoint, "AWS_EC2_METADATA_DISABLED": "true",
                       "AWS_CONFIG_FILE": os.devnull, "AWS_SHARED_CREDENTIALS_FILE": os.devnull})
    try:
        yield endpoint
    finally:
        for name in [n for n in os.environ if n.startswith("AWS_")]:
            del os.environ[name]
        os.environ.update(saved)
        server.stop()


def synthetic_project(root: Path, work: Path) -> tuple[Project, str]:
    """config/ and episodes/463 copied, with build files of realistic sizes where the stages write them."""
    shutil.copytree(root / "config", work / "config")
    shutil.copytree(root / "episodes" / EPISODE, work / "episodes" / EPISODE)
    project = Project(work)
    loaded = load_project(project, environ={})
    episode = loaded.episodes[EPISODE]
    paths = episode_paths(project, episode)
    paths.build.mkdir(parents=True)
    sizes = {paths.podcast_mp3: 4 * MB, paths.video_mp4("landscape"): 18 * MB, paths.captions_vtt: 9_000,
             paths.captions_srt: 9_500, paths.transcript_txt: 4_000, paths.transcript_json: 180_000,
             paths.transcript_p20_json: 60_000, paths.chapters_json: 600, paths.shownotes_html: 6_000,
             paths.video_vtt: 9_000}
    for path, size in sizes.items():
        path.write_bytes(os.urandom(size))
    site = project.build_dir / "site"
    (site / "episodes" / episode.key).mkdir(parents=True)
    (site / "index.html").write_bytes(os.urandom(8_000))
    (site / "episodes" / episode.key / "index.html").write_bytes(os.urandom(12_000))
    base = loaded.show.public_base
    for name, files in (("feed.xml", [paths.podcast_mp3]), ("feed-video.xml", [paths.video_mp4("landscape")])):
        items = "".join(f'<item><enclosure url="{base}{public_key(episode, f)}" length="{f.stat().st_size}" type="x"/></item>'
                        for f in files)
        (project.build_dir / name).write_text(f"<rss><channel>{items}</channel></rss>", encoding="utf-8")
    return project, "synthetic (4 MB MP3, 18 MB MP4, texts, site, feeds)"


def naive_publish(client: Any, bucket: str, files: list[tuple[Path, str]]) -> float:
    started = time.perf_counter()
    for path, key in files:
        with open(path, "rb") as body:
            client.put_object(Bucket=bucket, Key=key, Body=body)
    return time.perf_counter() - started


def run(root: Path) -> dict[str, Any]:
    import boto3

    from pipeline.stages.publish import publish

    root = Path(root).resolve()
    with tempfile.TemporaryDirectory(prefix="bench-publish-") as tmp, loopback_s3() as endpoint:
        bucket = f"bench-{uuid.uuid4().hex[:10]}"
        environ = {"PUBLISH_TARGET": f"s3://{bucket}/show"}
        project = Project(root)
        loaded = load_project(project, environ=environ)
        if episode_paths(project, loaded.episodes[EPISODE]).podcast_mp3.is_file() and feed_path(project).is_file():
            source = f"build/{EPISODE} and the feeds"
        else:
            project, source = synthetic_project(root, Path(tmp) / "show")
            loaded = load_project(project, environ=environ)
        client = boto3.client("s3", endpoint_url=endpoint)
        client.create_bucket(Bucket=bucket)
        ctx = Context.create(project, loaded, EPISODE, argparse.Namespace())

        _, cold = publish(ctx)
        noops = [publish(ctx)[1] for _ in range(RUNS)]
        assert not any(noop.uploaded for noop in noops), "a no-op re-publish uploaded files"
        noop = sorted(noops, key=lambda report: report.seconds)[RUNS // 2]
        files = ctx.publication().all
        naive_runs = [naive_publish(client, bucket, [(path, f"naive/{key}") for path, key in files]) for _ in range(RUNS)]
        naive_seconds = statistics.median(naive_runs)
        naive_bytes = sum(path.stat().st_size for path, _ in files)
        assert any(key == FEED_KEY for _, key in files)
    return {
        "source": source,
        "endpoint": "moto S3 server on 127.0.0.1",
        "cold": {"objects": len(cold.uploaded), "bytes": cold.bytes, "seconds": round(cold.seconds, 3)},
        "noop_seconds": round(noop.seconds, 3),  # the median of RUNS
        "noop_runs_s": [round(report.seconds, 3) for report in noops],
        "noop_uploaded": len(noop.uploaded),
        "noop_bytes": noop.bytes,
        "baseline_naive_put_each_run_seconds": round(naive_seconds, 3),
        "baseline_naive_runs_s": [round(seconds, 3) for seconds in naive_runs],
        "baseline_naive_bytes_each_run": naive_bytes,
        # On loopback, bandwidth is free: re-sending everything costs about what checking does (HEADs, lock).
        # The no-op's saving is the bytes, which on a real uplink is the time.
        "noop_bytes_vs_naive": round(noop.bytes / naive_bytes, 3) if naive_bytes else None,
        "noop_seconds_vs_naive": round(noop.seconds / naive_seconds, 2) if naive_seconds else None,
    }


if __name__ == "__main__":
    import json
    import sys

    print(json.dumps(run(Path(sys.argv[1]) if len(sys.argv) > 1 else Path(__file__).resolve().parent.parent), indent=2))
