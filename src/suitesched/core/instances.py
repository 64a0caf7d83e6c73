"""Readers for textbook scheduling instances into the core problem.

* Job shop (OR-Library format: ``n m`` then per job ``machine duration`` pairs, machines from 0;
  ``#`` lines are comments), e.g. Fisher & Thompson ft06.
* Flexible job shop (FJSPLIB / Brandimarte format: ``jobs machines avg`` then per job the number
  of operations and, per operation, ``k`` followed by ``k`` pairs ``machine duration``, machines
  from 1).

Both minimise makespan with every job mandatory.
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


def _numbers(path: Path) -> list[int]:
    values: list[int] = []
    for line in path.read_text().splitlines():
        line = line.split("#", 1)[0]
        values += [int(float(x)) for x in line.split()]
    return values


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


def read_jobshop(path: str | Path) -> CoreProblem:
    """An OR-Library job shop instance (machines numbered from 0)."""
    values = _numbers(Path(path))
    n, m = values[0], values[1]
    pos = 2
    jobs = []
    for _ in range(n):
        ops = []
        for _ in range(m):
            ops.append([(values[pos], values[pos + 1])])
            pos += 2
        jobs.append(ops)
    return _build(jobs, m)


def read_fjsp(path: str | Path) -> CoreProblem:
    """A flexible job shop instance in FJSPLIB format (machines numbered from 1)."""
    jobs, machines = parse_fjsp(path)
    return _build(jobs, machines)


def parse_fjsp(path: str | Path) -> tuple[Jobs, int]:
    """The jobs and machine count of an FJSPLIB file."""
    values = _numbers(Path(path))
    n, m = values[0], values[1]
    pos = 3
    jobs = []
    for _ in range(n):
        count = values[pos]
        pos += 1
        ops = []
        for _ in range(count):
            k = values[pos]
            pos += 1
            options = []
            for _ in range(k):
                options.append((values[pos] - 1, values[pos + 1]))
                pos += 2
            ops.append(options)
        jobs.append(ops)
    return jobs, m
