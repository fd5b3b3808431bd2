"""One exception hierarchy for the whole pipeline.

The library raises these; only `pipeline.cli.run_main`, the one boundary every entry point goes through
(`pipeline`, `python -m pipeline.serve`), turns them into `error: …` lines and exit codes. Each class carries
its exit status; the two below belong to no class.
"""

from __future__ import annotations

UNEXPECTED_EXIT = 1  # an exception outside this hierarchy: a bug; --traceback (or -v) shows where it was raised
INTERRUPTED_EXIT = 130  # Ctrl-C: 128 + SIGINT, as a shell reports it


class PipelineError(Exception):
    """Base of every error the pipeline reports to a creator."""

    exit_code = 1

    def __init__(self, message: str, *, hint: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint

    def __str__(self) -> str:
        return f"{self.message}\n  fix: {self.hint}" if self.hint else self.message


def _problem_list(noun: str, problems: list[str]) -> str:
    """"2 configuration problems:" and one indented line a problem."""
    count = len(problems)
    return "\n".join([f"{count} {noun}{'s' if count != 1 else ''}:", *(f"  - {p}" for p in problems)])


class UsageError(PipelineError):
    """The command line itself is wrong (bad episode id, unknown option)."""

    exit_code = 2


class ConfigError(PipelineError):
    """show.yaml or episode.yaml is invalid. Carries every problem found, not just the first."""

    exit_code = 3

    def __init__(self, problems: list[str]) -> None:
        self.problems = problems
        super().__init__(_problem_list("configuration problem", problems))


class InputError(PipelineError):
    """A recording, image or other input file is missing, empty or unreadable."""

    exit_code = 4


class ToolError(PipelineError):
    """An external tool (ffmpeg, a Whisper engine, S3) failed."""

    exit_code = 5


class ValidationError(PipelineError):
    """A built artefact (the feed, artwork) breaks a directory's rules; publishing is refused."""

    exit_code = 6

    def __init__(self, problems: list[str]) -> None:
        self.problems = problems
        super().__init__("feed validation found " + _problem_list("problem", problems))


class PublishError(PipelineError):
    """Uploading failed, or the target cannot be written (credentials, bucket, lock)."""

    exit_code = 7


class BatchError(PipelineError):
    """Some items of a batch (an import, a catalogue build) failed; the others were done."""

    exit_code = 8

    def __init__(self, batch: str, summary: str, problems: list[str], report: object = None) -> None:
        self.problems = problems
        self.report = report  # what the batch did, for a caller that wants more than the message
        super().__init__(f"{batch}: {summary}\n" + "\n".join(f"  - {p}" for p in problems),
                         hint="fix what each line names and run it again: what was done is kept")
