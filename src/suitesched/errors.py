"""Errors the library raises, each carrying located problems instead of a traceback.

The CLI turns these into a table and an exit code (SPEC §6); library users can inspect
``.problems`` to show them in their own way.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Problem:
    """One thing wrong with an input: where it is and what is wrong, in plain words."""

    file: str
    location: str
    message: str

    def __str__(self) -> str:
        where = f"{self.file}: {self.location}" if self.location else self.file
        return f"{where}: {self.message}"


class SuiteschedError(Exception):
    """Base class of every error suitesched raises on purpose."""

    exit_code = 1


class InputError(SuiteschedError):
    """Bad input (scenario, events or plan): every problem found, each located. Exit code 2."""

    exit_code = 2

    def __init__(self, problems: list[Problem], what: str = "input") -> None:
        self.problems = list(problems)
        self.what = what
        lines = "\n".join(f"  - {p}" for p in self.problems)
        super().__init__(f"{len(self.problems)} problem(s) in the {what}:\n{lines}")


class ScenarioError(InputError):
    """The scenario is invalid (SPEC §2.3)."""

    def __init__(self, problems: list[Problem]) -> None:
        super().__init__(problems, what="scenario")


class NoPlanError(SuiteschedError):
    """No plan could be made (solver found nothing, or frozen work collides). Exit code 4.

    ``problems`` names the colliding records where the cause is known.
    """

    exit_code = 4

    def __init__(self, message: str, problems: list[Problem] | None = None) -> None:
        self.problems = list(problems or [])
        super().__init__(message)


class OutputError(SuiteschedError):
    """An output (directory, file, database) could not be written; nothing was half-written."""

    exit_code = 2
