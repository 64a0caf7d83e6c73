"""Run the real ``suitesched`` CLI in-process and record how it ended.

The hardening tests (input fuzzing, faults) drive the typer app exactly as a user's shell
would, through :class:`typer.testing.CliRunner`, and record the error object the CLI's error
handler (``suitesched.cli._fail``) received, so that a test can assert on the located problems
of an exit 2 as well as on the exit code and the printed output.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from typer.testing import CliRunner

import suitesched.cli as cli
from suitesched.errors import InputError

ALLOWED_CODES = frozenset({0, 2, 3, 4})
PLAN_FILES = frozenset({"plan.json", "operations.csv", "qc_runs.csv", "orders.csv"})
OPTIONAL_FILES = frozenset({"report.html"})
"""Written by newer versions beside the plan (SPEC §3); allowed, not required."""


@dataclass
class Outcome:
    """How one CLI run ended."""

    args: list[str]
    code: int
    output: str
    error: BaseException | None = None
    """The exception the CLI's error handler turned into the exit code, if any."""
    escaped: BaseException | None = None
    """An exception that got past the CLI's handler (a crash)."""
    notes: list[str] = field(default_factory=list)

    def describe(self) -> str:
        return (f"suitesched {' '.join(self.args)} -> exit {self.code}\n"
                f"error: {self.error!r}\nescaped: {self.escaped!r}\n{self.output[-3000:]}")


class Harness:
    """One CliRunner plus a recording wrapper around ``cli._fail``."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.runner = CliRunner()
        self.last_error: BaseException | None = None
        original = cli._fail

        def recording_fail(exc: BaseException) -> int:
            self.last_error = exc
            return original(exc)

        monkeypatch.setattr(cli, "_fail", recording_fail)
        monkeypatch.delenv("SUITESCHED_DEBUG", raising=False)
        monkeypatch.setenv("COLUMNS", "200")

    def run(self, args: list[str]) -> Outcome:
        self.last_error = None
        result = self.runner.invoke(cli.app, args)
        escaped = None
        if result.exception is not None and not isinstance(result.exception, SystemExit):
            escaped = result.exception
        return Outcome(list(args), result.exit_code, result.output, self.last_error, escaped)


@contextmanager
def harness(monkeypatch: pytest.MonkeyPatch) -> Iterator[Harness]:
    yield Harness(monkeypatch)


def contract_failures(outcome: Outcome, files: set[str]) -> list[str]:
    """What is wrong with how a run ended (SPEC §6): [] when it kept the contract.

    ``files`` are the names (or paths) of the input files: an exit 2 must name one of them, or
    another file the run was given, and where in it the problem is.
    """
    out: list[str] = []
    if outcome.escaped is not None:
        out.append(f"exception escaped the CLI: {outcome.escaped!r}")
    if outcome.code not in ALLOWED_CODES:
        out.append(f"exit code {outcome.code}")
    if "Traceback" in outcome.output:
        out.append("a traceback was printed")
    if outcome.code == 2 and isinstance(outcome.error, InputError):
        for problem in outcome.error.problems:
            if not problem.file or not any(name in problem.file or problem.file in name
                                           for name in files):
                out.append(f"problem names no input file: {problem}")
            if not problem.location and not _whole_file_problem(problem.message):
                out.append(f"problem has no location: {problem}")
    return out


_WHOLE_FILE = ("the file is empty", "not UTF-8", "file not found", "cannot read the file",
               "no such file", "nests too deeply", "is a directory", "at most",
               "not a usable suitesched plan store", "not a CSV text file")


def _whole_file_problem(message: str) -> bool:
    """Problems about a file as a whole, which have no row or key to point at."""
    return any(marker in message for marker in _WHOLE_FILE)


def output_failures(out_dir: Path, expected: set[str], written: bool) -> list[str]:
    """An output folder holds nothing new, or a complete set whose plan.json parses."""
    present = {p.name for p in out_dir.iterdir()} if out_dir.exists() else set()
    temps = sorted(n for n in present if n.endswith(".tmp"))
    if temps:
        return [f"temporary files left behind: {temps}"]
    if not written:
        return [] if not present else [f"files written although nothing should be: "
                                       f"{sorted(present)}"]
    if not expected <= present <= expected | OPTIONAL_FILES:
        return [f"incomplete output: {sorted(present)} (expected {sorted(expected)})"]
    try:
        json.loads((out_dir / "plan.json").read_text(encoding="utf-8"))
    except ValueError as exc:
        return [f"plan.json does not parse: {exc}"]
    return []
