"""Benchmarks: each module has `run(root: Path) -> dict`; `python -m benchmarks.run` collects them."""
