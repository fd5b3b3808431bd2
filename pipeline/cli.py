"""The command line: a thin layer over the library. The only place that prints errors and picks exit codes:
`run_main` is the one boundary every entry point (`pipeline`, `python -m pipeline.serve`) goes through."""

from __future__ import annotations

import argparse
import logging
import os
import sys
import traceback
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from pathlib import Path

from pipeline import __version__
from pipeline.errors import INTERRUPTED_EXIT, UNEXPECTED_EXIT, PipelineError, UsageError
from pipeline.stages import STAGES

log = logging.getLogger("pipeline")

EXAMPLES = """\
examples:
  pipeline check-config 463     validate config/show.yaml and every episode.yaml
  pipeline ingest 463           make build/463/asr.wav and the podcast MP3
  pipeline publish 463 --dry-run
  pipeline import-feed https://example.com/feed.xml --limit 10
  pipeline catalogue            build every episode that is out of date on Ray, then the feed
Usually you run `make publish EPISODE=463`, which runs every stage in order and skips what is up to date.
"""


def build_parser(argv: Sequence[str]) -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="pipeline",
        description="Episode production pipeline: turns a recording into a published podcast episode.",
        epilog=EXAMPLES,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    _add_common_options(parser, defaults=True)
    # The same options after the command (`pipeline ingest 463 -v`); SUPPRESS keeps the top-level values otherwise.
    common = argparse.ArgumentParser(add_help=False)
    _add_common_options(common, defaults=False)
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)

    check = commands.add_parser(
        "check-config", parents=[common], help="validate show.yaml and every episode.yaml; write the per-stage config slices",
        description="Validate config/show.yaml and every episodes/*/episode.yaml, reporting every problem at once.",
    )
    check.add_argument("episode", help="episode id: a folder name under episodes/, e.g. 463")

    imports = commands.add_parser(
        "import-feed", parents=[common], help="import an existing show: an episodes/<id>/ folder per item of its feed",
        description="Import an existing show's feed: for every item, an episodes/<id>/ folder with the downloaded "
                    "recording and an episode.yaml holding what the feed said (its guid, date, season and number kept, "
                    "so podcast apps see no new episodes). The id is s<season>e<NN> (s2e01) for an item with a season "
                    "and a number, the number (12) for one without a season, the type (s2-trailer, bonus) for a trailer "
                    "or bonus without a number; -2, -3… when another item took it. Items already imported are skipped; "
                    "an edited episode.yaml is never overwritten; an interrupted download resumes.",
    )
    imports.add_argument("source", help="the feed: its URL (https://…) or a saved copy of it")
    imports.add_argument("--limit", type=int, metavar="N", help="import at most the newest N items not yet here")
    imports.add_argument("--since", type=_date, metavar="DATE", help="only items published on or after DATE (2024-01-31)")
    imports.add_argument("--dry-run", action="store_true",
                         help="list every item with the folder it would get and why (or why it is refused, already "
                              "here or left out); download and write nothing")

    catalogue = commands.add_parser(
        "catalogue", parents=[common], help="build every episode that is not up to date, in parallel on Ray; then the feed",
        description="Build many episodes at once: every step of every episode that is out of date (the same rule as "
                    "make's), in parallel on Ray (an embedded local Ray using every core, or the cluster at "
                    "RAY_ADDRESS), then the feed, validation and publish once. A failed episode is listed at the end "
                    "and does not stop the others.",
    )
    catalogue.add_argument("episodes", nargs="*", metavar="ID", help="episode ids (default: every episode)")
    catalogue.add_argument("--workers", type=int, metavar="N", help="episodes built at once (default: one per core)")
    catalogue.add_argument("--address", metavar="ADDR", help="a Ray cluster to run on (default: $RAY_ADDRESS, else embedded)")
    catalogue.add_argument("--artefacts", metavar="STORE", default=os.environ.get("ARTEFACTS") or None,
                           help="a store the workers share with this machine when they do not share its disk: "
                                "s3://bucket/prefix or a shared folder (default: $ARTEFACTS, else the project folder)")
    catalogue.add_argument("--no-publish", action="store_true", help="build the feed and validate it, but do not publish")

    for spec in STAGES.values():
        description = spec.help[0].upper() + spec.help[1:] + "."
        sub = commands.add_parser(spec.name, parents=[common], help=spec.help, description=description)
        sub.add_argument("episode", help="episode id: a folder name under episodes/, e.g. 463")
        module = spec.load() if spec.name in argv else None
        if module is not None and hasattr(module, "add_arguments"):
            module.add_arguments(sub)
    return parser


def _add_common_options(parser: argparse.ArgumentParser, *, defaults: bool) -> None:
    def default(value: object) -> object:
        return value if defaults else argparse.SUPPRESS

    parser.add_argument("--root", type=Path, default=default(Path.cwd()),
                        help="project folder holding config/ and episodes/ (default: .)")
    parser.add_argument("-v", "--verbose", action="store_true", default=default(False),
                        help="log every external command; implies --traceback")
    parser.add_argument("-q", "--quiet", action="store_true", default=default(False), help="only errors")
    add_traceback_option(parser, default=default(False))


def add_traceback_option(parser: argparse.ArgumentParser, default: object = False) -> None:
    """`--traceback`, for every entry point that goes through `run_main`."""
    parser.add_argument("--traceback", action="store_true", default=default,
                        help="on an error, print the traceback (where it was raised) before the error line")


def _configure_logging(verbose: bool, quiet: bool) -> None:
    level = logging.DEBUG if verbose else logging.WARNING if quiet else logging.INFO
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(_Formatter())
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(logging.WARNING)
    log.setLevel(level)


class _Formatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        message = record.getMessage()
        if record.levelno >= logging.WARNING:
            return f"{record.levelname.lower()}: {message}"
        return message


def _date(text: str) -> datetime:
    try:
        day = datetime.fromisoformat(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(f"{text!r} is not a date like 2024-01-31") from exc
    return day if day.tzinfo else day.replace(tzinfo=UTC)


DRY_RUN_ACTIONS = {"import": "import", "here": "already here", "refuse": "refuse", "leave": "leave out"}


def run_import(args: argparse.Namespace) -> list[Path]:
    from pipeline.imports import import_feed
    from pipeline.layout import Project

    project = Project(args.root)
    report = import_feed(project, args.source, limit=args.limit, since=args.since, dry_run=args.dry_run)
    if args.dry_run:
        width = max((len(item.episode_id) for item in report.planned), default=0) + len("episodes//")
        for item in report.planned:
            print(f"{DRY_RUN_ACTIONS[item.action]:<12} {'episodes/' + item.episode_id + '/':<{width}} {item.title!r}: {item.why}")
    log.info("import: %s", report.summary())
    return [project.episodes_dir / number for number in report.imported]


def run_catalogue_command(args: argparse.Namespace) -> list[Path]:
    from pipeline.catalogue import run_catalogue
    from pipeline.graph import SHOW_STAGES
    from pipeline.layout import Project

    if args.workers is not None and args.workers < 1:
        raise UsageError(f"--workers {args.workers}: must be at least 1", hint="e.g. --workers 2")
    stages = [stage for stage in SHOW_STAGES if not (args.no_publish and stage == "publish")]
    report = run_catalogue(Project(args.root), args.episodes, workers=args.workers, address=args.address,
                           artefacts=args.artefacts, show_stages=stages)
    log.info("catalogue: %s", report.summary())
    return []


def run_command(args: argparse.Namespace) -> list[Path]:
    from pipeline.config.load import check_episode_id, load_project
    from pipeline.context import Context
    from pipeline.layout import Project
    from pipeline.slices import write_make_fragment, write_slices

    if args.command == "import-feed":
        return run_import(args)
    if args.command == "catalogue":
        return run_catalogue_command(args)
    project = Project(args.root)
    check_episode_id(args.episode, project)
    loaded = load_project(project)
    for warning in loaded.warnings:
        log.warning(warning)
    context = Context.create(project, loaded, args.episode, args)
    if args.command == "check-config":
        written = write_slices(context.paths, loaded.show, context.episode)
        make_fragment = write_make_fragment(project, context.paths, loaded.show, context.episode)
        return [*written, *([make_fragment] if make_fragment else [])]
    module = STAGES[args.command].load()
    return module.run(context)


def _parse(argv: list[str]) -> argparse.Namespace:
    # A stage module (and its options) is imported only when that stage is named on the command line.
    return build_parser(argv).parse_args(argv)


def _execute(args: argparse.Namespace) -> int:
    _configure_logging(args.verbose, args.quiet)
    for path in run_command(args):
        log.debug("wrote %s", path)
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    return run_main(_parse, _execute, argv)


TRACEBACK_FLAGS = {"--traceback", "-v", "--verbose"}  # looked for by hand only until the parser has read them
TRACEBACK_ENV = "PIPELINE_TRACEBACK"  # =1: --traceback for every command, e.g. under make (make publish PIPELINE_TRACEBACK=1)


def run_main(parse: Callable[[list[str]], argparse.Namespace], body: Callable[[argparse.Namespace], int],
             argv: Sequence[str] | None = None) -> int:
    """The one boundary: parse `argv`, run `body`, and turn every exception into an `error: …` line and its exit
    status (from `pipeline.errors`). An unexpected exception (a bug) gets one line too, and the way to see where it
    was raised; with --traceback (or -v where an entry point has it, or PIPELINE_TRACEBACK=1) every error's
    traceback comes first. SystemExit (argparse's usage errors, --help) passes through."""
    argv = list(sys.argv[1:] if argv is None else argv)
    from_env = os.environ.get(TRACEBACK_ENV, "") not in {"", "0"}
    show_traceback = from_env or not TRACEBACK_FLAGS.isdisjoint(argv)
    try:
        args = parse(argv)
        show_traceback = from_env or args.traceback or getattr(args, "verbose", False)
        return body(args)
    except PipelineError as exc:
        _print_traceback(show_traceback)
        if isinstance(exc, UsageError):  # one line: what was wrong and what to type
            print(f"error: {exc.message}; {exc.hint}" if exc.hint else f"error: {exc.message}", file=sys.stderr)
        else:
            print(f"error: {exc}", file=sys.stderr)
        return exc.exit_code
    except KeyboardInterrupt:
        _print_traceback(show_traceback)
        print("error: interrupted; nothing half-written was kept", file=sys.stderr)
        return INTERRUPTED_EXIT
    except Exception as exc:
        _print_traceback(show_traceback)
        lines = str(exc).strip().splitlines()
        what = f"{type(exc).__name__}: {lines[0]}{' …' if len(lines) > 1 else ''}" if lines else type(exc).__name__
        where = "the traceback is above" if show_traceback else "run again with --traceback to see where"
        print(f"error: {what} (unexpected; {where})", file=sys.stderr)
        return UNEXPECTED_EXIT


def _print_traceback(wanted: bool) -> None:
    if wanted:
        traceback.print_exc(file=sys.stderr)
