"""`make bench`: run every benchmark, write build/bench.json and print the figures as a table.

Each benchmark compares the project's way with a baseline run side by side in the same run, so the
ratios hold on whatever machine runs them. `BENCH=render,publish make bench` runs only some.
"""

from __future__ import annotations

import argparse
import importlib
import json
import os
import sys
import time
import traceback
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
BENCHMARKS = {"transcribe": "benchmarks.transcribe", "ingest": "benchmarks.ingest", "speakers": "benchmarks.speakers",
              "render": "benchmarks.render", "captions": "benchmarks.captions", "publish": "benchmarks.publish",
              "catalogue": "benchmarks.catalogue", "long": "benchmarks.long",
              "episode": "benchmarks.episode", "production": "benchmarks.production", "edit": "benchmarks.edit",
              "notes": "benchmarks.notes", "languages": "benchmarks.languages"}


def flatten(prefix: str, value: Any) -> list[tuple[str, Any]]:
    if isinstance(value, dict):
        rows: list[tuple[str, Any]] = []
        for key, inner in value.items():
            rows += flatten(f"{prefix}.{key}" if prefix else str(key), inner)
        return rows
    return [(prefix, value)]


def render_table(results: dict[str, Any]) -> str:
    rows = flatten("", results)
    width = max((len(key) for key, _ in rows), default=10)
    lines = [f"{'figure':<{width}}  value", f"{'-' * width}  -----"]
    for key, value in rows:
        shown = f"{value:.3f}" if isinstance(value, float) else str(value)
        lines.append(f"{key:<{width}}  {shown}")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="make bench", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--only", default=os.environ.get("BENCH", ""), help="comma-separated: " + ",".join(BENCHMARKS))
    parser.add_argument("--output", type=Path, default=ROOT / "build" / "bench.json")
    args = parser.parse_args(argv)
    chosen = [name for name in (args.only.split(",") if args.only else BENCHMARKS) if name]
    unknown = [name for name in chosen if name not in BENCHMARKS]
    if unknown:
        parser.error(f"unknown benchmark {', '.join(unknown)}; choose from {', '.join(BENCHMARKS)}")

    results: dict[str, Any] = json.loads(args.output.read_text()) if args.output.is_file() else {}
    failed = []
    for name in chosen:
        print(f"bench: {name} …", file=sys.stderr, flush=True)
        started = time.perf_counter()
        try:
            results[name] = importlib.import_module(BENCHMARKS[name]).run(ROOT)
        except Exception:  # one failing benchmark must not hide the others figures
            traceback.print_exc()
            failed.append(name)
            continue
        results[name]["bench_seconds"] = round(time.perf_counter() - started, 1)
        args.output.parent.mkdir(parents=True, exist_ok=True)
        args.output.write_text(json.dumps(results, indent=2) + "\n")
    print(render_table({name: results[name] for name in chosen if name in results}))
    print(f"\nwritten to {args.output.relative_to(ROOT) if args.output.is_relative_to(ROOT) else args.output}")
    if failed:
        print(f"error: benchmark(s) failed: {', '.join(failed)}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
