"""Serve a published folder over HTTP on this machine, the way a podcast host would.

    python -m pipeline.serve [FOLDER] [--port 8000] [--host 127.0.0.1] [--traceback]

Starlette's StaticFiles (under uvicorn) answers GET, HEAD and byte-range requests, which podcast apps
and browsers need to seek; Content-Type and Cache-Control come from pipeline.formats.mime, the same
table the publisher uses, so local playback behaves like the published show.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import socket
import sys
import threading
import time
from collections.abc import Iterator, Sequence
from pathlib import Path

from starlette.applications import Starlette
from starlette.datastructures import Headers
from starlette.responses import FileResponse, Response
from starlette.routing import Mount
from starlette.staticfiles import NotModifiedResponse, StaticFiles
from starlette.types import Scope

from pipeline.cli import add_traceback_option, run_main
from pipeline.errors import UsageError
from pipeline.formats.mime import cache_control, content_type


class PublishedFiles(StaticFiles):
    """StaticFiles with the project's content types and cache lifetimes; serves index.html for folders."""

    def __init__(self, directory: Path) -> None:
        super().__init__(directory=directory, html=True)
        self.root = Path(directory).resolve()

    def file_response(self, full_path: str | os.PathLike[str], stat_result: os.stat_result, scope: Scope,
                      status_code: int = 200) -> Response:
        key = Path(full_path).resolve().relative_to(self.root).as_posix()
        response = FileResponse(full_path, status_code=status_code, stat_result=stat_result, media_type=content_type(key),
                                headers={"Cache-Control": cache_control(key)})
        if self.is_not_modified(response.headers, Headers(scope=scope)):
            return NotModifiedResponse(response.headers)
        return response


def make_app(folder: Path) -> Starlette:
    """The ASGI app: the folder at /, with Starlette's exception handling turning misses into plain 404s."""
    return Starlette(routes=[Mount("/", app=PublishedFiles(folder))])


def make_server(folder: Path, host: str = "127.0.0.1", port: int = 8000, log_level: str = "info"):  # type: ignore[no-untyped-def]
    import uvicorn

    config = uvicorn.Config(make_app(folder), host=host, port=port, log_level=log_level, access_log=log_level == "info")
    return uvicorn.Server(config)


@contextlib.contextmanager
def running_server(folder: Path, host: str = "127.0.0.1") -> Iterator[str]:
    """Serve `folder` on a free port in a background thread; yields the base URL (for tests and scripts)."""
    server = make_server(folder, host=host, port=0, log_level="warning")
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((host, 0))
    port = sock.getsockname()[1]
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            raise RuntimeError(f"the server for {folder} did not start")
        time.sleep(0.02)
    try:
        yield f"http://{host}:{port}/"
    finally:
        server.should_exit = True
        thread.join(timeout=10)
        sock.close()


def _parse(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m pipeline.serve",
        description="Serve a published folder (the site, the feeds and the media) on this machine, with the right "
                    "content types, HEAD and byte-range requests, as a podcast host would.",
    )
    parser.add_argument("folder", nargs="?", type=Path, default=Path("public"), help="the folder to serve (default: public/)")
    parser.add_argument("--port", type=int, default=8000, help="TCP port (default: 8000)")
    parser.add_argument("--host", default="127.0.0.1", help="address to listen on (default: 127.0.0.1, this machine only)")
    add_traceback_option(parser)
    return parser.parse_args(argv)


def _serve(args: argparse.Namespace) -> int:
    if not args.folder.is_dir():
        raise UsageError(f"{args.folder}/ does not exist",
                         hint="publish first (make publish EPISODE=463), or name the folder to serve")
    print(f"Serving {args.folder}/ at http://{args.host}:{args.port}/ (Ctrl-C to stop)", file=sys.stderr)
    # uvicorn shuts down on Ctrl-C, then raises it again: here it is how to stop, not an error.
    with contextlib.suppress(KeyboardInterrupt):
        make_server(args.folder, host=args.host, port=args.port).run()
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    """`python -m pipeline.serve`, through the command line's one error boundary (pipeline.cli.run_main)."""
    return run_main(_parse, _serve, argv)


if __name__ == "__main__":
    sys.exit(main())
