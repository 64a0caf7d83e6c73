"""Readers for textbook scheduling instances into the core problem.

* Job shop (OR-Library format: ``n m`` then per job ``machine duration`` pairs, machines from 0;
  ``#`` lines are comments), e.g. Fisher & Thompson ft06.
* Flexible job shop (FJSPLIB / Brandimarte format: ``jobs machines avg`` then per job the number
  of operations and, per operation, ``k`` followed by ``k`` pairs ``machine duration``, machines
  from 1).

Both minimise makespan with every job mandatory. :func:`parse_instance` tells the two apart by
the header (two numbers for a job shop, three for FJSPLIB) and checks that the file holds
exactly the numbers its header promises, so a truncated or foreign file is an
:class:`InstanceError` that says where, not a wrong schedule or an index error.
"""

from __future__ import annotations

from pathlib import Path

from suitesched.core.problem import (
    Candidate,
    CoreProblem,
    Group,
    Lag,
    Mode,
    Requirement,
    Resource,
    Task,
)

Jobs = list[list[list[tuple[int, int]]]]
"""Per job, per operation, the eligible ``(machine, duration)`` pairs (machines from 0)."""


class InstanceError(ValueError):
    """A file that is not a job shop or flexible job shop instance: the message names the file
    and what does not fit."""


def _numbers(path: Path) -> tuple[list[str], list[int]]:
    """The header line's fields and every number of the file (``#`` starts a comment)."""
    header: list[str] = []
    values: list[int] = []
    for line in path.read_text().splitlines():
        fields = line.split("#", 1)[0].split()
        if fields and not header:
            header = fields
        for field in fields:
            try:
                values.append(int(float(field)))
            except ValueError:
                raise InstanceError(f"{path}: {field!r} is not a number; an instance holds "
                                    "numbers only (# starts a comment)") from None
    if len(values) < 2:
        raise InstanceError(f"{path}: no header; expected 'jobs machines' (job shop) or "
                            "'jobs machines average' (FJSPLIB)")
    return header, values


def _take(values: list[int], pos: int, path: Path, what: str) -> int:
    if pos >= len(values):
        raise InstanceError(f"{path}: the file ends before {what}; is it complete?")
    return values[pos]


def _build(jobs: Jobs, machines: int) -> CoreProblem:
    horizon = sum(max(d for _, d in op) for job in jobs for op in job)
    resources = tuple(Resource(f"M{k}", kind="machine") for k in range(machines))
    groups, tasks, lags = [], [], []
    for j, job in enumerate(jobs):
        groups.append(Group(f"J{j}", optional=False))
        for o, options in enumerate(job):
            modes = tuple(
                Mode(d, (Requirement(1, (Candidate(f"M{mach}"),)),)) for mach, d in options
            )
            tasks.append(Task(f"J{j}.{o}", f"J{j}", modes))
            if o > 0:
                lags.append(Lag(f"J{j}.{o - 1}", f"J{j}.{o}"))
    return CoreProblem(horizon=horizon, resources=resources, groups=tuple(groups),
                       tasks=tuple(tasks), lags=tuple(lags), makespan_cost=1)


def parse_instance(path: str | Path) -> tuple[Jobs, int]:
    """The jobs and machine count of a job shop or FJSPLIB file (machines from 0), the format
    told by the header: ``n m`` is a job shop, ``jobs machines average`` FJSPLIB."""
    path = Path(path)
    header, values = _numbers(path)
    return _jobshop(path, values) if len(header) == 2 else _fjsp(path, values)


def read_instance(path: str | Path) -> CoreProblem:
    """A job shop or flexible job shop instance (see :func:`parse_instance`)."""
    return _build(*parse_instance(path))


def read_jobshop(path: str | Path) -> CoreProblem:
    """An OR-Library job shop instance (machines numbered from 0)."""
    return _build(*parse_jobshop(path))


def parse_jobshop(path: str | Path) -> tuple[Jobs, int]:
    """The jobs and machine count of an OR-Library job shop file: per job, one
    ``machine duration`` pair per machine (a job shop is a flexible one with one choice)."""
    path = Path(path)
    return _jobshop(path, _numbers(path)[1])


def _jobshop(path: Path, values: list[int]) -> tuple[Jobs, int]:
    n, m = values[0], values[1]
    if len(values) != 2 + 2 * n * m:
        raise InstanceError(f"{path}: a {n} x {m} job shop holds {2 * n * m} numbers after "
                            f"its header, this file {len(values) - 2}")
    pos = 2
    jobs = []
    for j in range(n):
        ops = []
        for o in range(m):
            machine, duration = values[pos], values[pos + 1]
            if not 0 <= machine < m:
                raise InstanceError(f"{path}: job {j + 1}, operation {o + 1}: machine "
                                    f"{machine} is not among 0..{m - 1}")
            ops.append([(machine, duration)])
            pos += 2
        jobs.append(ops)
    return jobs, m


def read_fjsp(path: str | Path) -> CoreProblem:
    """A flexible job shop instance in FJSPLIB format (machines numbered from 1)."""
    return _build(*parse_fjsp(path))


def parse_fjsp(path: str | Path) -> tuple[Jobs, int]:
    """The jobs and machine count of an FJSPLIB file."""
    path = Path(path)
    return _fjsp(path, _numbers(path)[1])


def _fjsp(path: Path, values: list[int]) -> tuple[Jobs, int]:
    n, m = values[0], values[1]
    pos = 3
    jobs = []
    for j in range(n):
        count = _take(values, pos, path, f"job {j + 1}")
        pos += 1
        ops = []
        for o in range(count):
            k = _take(values, pos, path, f"job {j + 1}, operation {o + 1}")
            pos += 1
            options = []
            for _ in range(k):
                machine = _take(values, pos, path, f"job {j + 1}, operation {o + 1} is complete")
                duration = _take(values, pos + 1, path,
                                 f"job {j + 1}, operation {o + 1} is complete")
                if not 1 <= machine <= m:
                    raise InstanceError(f"{path}: job {j + 1}, operation {o + 1}: machine "
                                        f"{machine} is not among 1..{m}")
                options.append((machine - 1, duration))
                pos += 2
            if not options:
                raise InstanceError(f"{path}: job {j + 1}, operation {o + 1} has no machine")
            ops.append(options)
        jobs.append(ops)
    if pos != len(values):
        raise InstanceError(f"{path}: {len(values) - pos} numbers after the last of its {n} "
                            "jobs; is it an FJSPLIB file?")
    return jobs, m
