"""Flexible job shop benchmark: suitesched's generic core against PyJobShop, same run.

Reads FJSPLIB files (Brandimarte, Hurink) - and OR-Library job shop files (Fisher & Thompson),
a job shop being a flexible one with one machine per operation - into suitesched's core (the
same core the site model compiles into), minimises makespan with CP-SAT (both cores on
neighbourhood search: ``suitesched.solver.MAKESPAN_SEARCH``), validates every
suitesched schedule with a small independent checker, and solves the same instance with
PyJobShop (benchmark-only extra: ``pip install -e ".[bench]"``) under the same time limit and
workers. Run::

    python benchmarks/fjsp.py ../shared/benchmarks/fjsp/brandimarte/Mk*.fjs --time-limit 30

Prints ``instance,solver,makespan,bound,seconds,bks,gap_pct`` rows; mean gaps go to stderr.
A file that is not an instance is reported on stderr and skipped; the exit code is then 2.
"""

from __future__ import annotations

import argparse
import csv
import itertools
import statistics
import sys
import time
from pathlib import Path

from suitesched.core.instances import InstanceError, Jobs, parse_instance, read_instance
from suitesched.solver import MAKESPAN_SEARCH, SolveParams, solve_core

COLUMNS = ["instance", "solver", "makespan", "bound", "seconds", "bks", "gap_pct"]


def best_known(path: Path, bks_file: Path | None) -> int | None:
    """The best-known makespan of the instance at ``path``.

    The Hurink sets share instance names (``la01`` is in edata, rdata and vdata, each with its
    own value), so a row whose ``set`` names the instance's folder wins over a row that only
    names the instance."""
    candidates = [bks_file] if bks_file else [path.parent / "bks.csv",
                                              path.parent.parent / "bks.csv"]
    for candidate in candidates:
        if not (candidate and candidate.exists()):
            continue
        rows = [row for row in csv.DictReader(candidate.open())
                if row["instance"].lower() == path.stem.lower()]
        same_set = [row for row in rows
                    if row.get("set", "").lower() == path.parent.name.lower()]
        if same_set or rows:
            return int((same_set or rows)[0]["bks"])
    return None


def check_schedule(jobs: Jobs, tasks: dict[str, tuple[int, int, int]], makespan: int) -> None:
    """Independent validation: eligible machine and duration, job order, no machine overlap."""
    busy: dict[int, list[tuple[int, int]]] = {}
    for j, job in enumerate(jobs):
        previous_end = 0
        for o, options in enumerate(job):
            start, end, machine = tasks[f"J{j}.{o}"]
            assert (machine, end - start) in options, f"J{j}.{o}: not an eligible mode"
            assert start >= previous_end, f"J{j}.{o}: starts before its predecessor ends"
            assert end <= makespan, f"J{j}.{o}: ends after the makespan"
            previous_end = end
            busy.setdefault(machine, []).append((start, end))
    for machine, spans in busy.items():
        spans.sort()
        for (_, e1), (s2, _) in itertools.pairwise(spans):
            assert s2 >= e1, f"machine {machine}: overlapping operations"


def run_suitesched(path: Path, jobs: Jobs, limit: float, workers: int, seed: int
                   ) -> tuple[float, float, float]:
    problem = read_instance(path)
    started = time.monotonic()
    solution = solve_core(problem, SolveParams(time_limit=limit, workers=workers, seed=seed,
                                               extra=MAKESPAN_SEARCH))
    seconds = time.monotonic() - started
    if not solution.feasible:
        return float("nan"), float("nan"), seconds
    machines = {}
    for task_id, result in solution.tasks.items():
        machines[task_id] = int(result.choice[0][0][0].removeprefix("M"))
    schedule = {t: (r.start, r.end, machines[t]) for t, r in solution.tasks.items()}
    check_schedule(jobs, schedule, int(solution.objective or 0))
    return float(solution.objective or 0), float(solution.bound or 0), seconds


def run_pyjobshop(jobs: Jobs, n_machines: int, limit: float, workers: int
                  ) -> tuple[float, float, float]:
    from pyjobshop import Model

    model = Model()
    machines = [model.add_machine() for _ in range(n_machines)]
    for job in jobs:
        handle = model.add_job()
        previous = None
        for options in job:
            task = model.add_task(handle)
            for machine, duration in options:
                model.add_mode(task, machines[machine], duration)
            if previous is not None:
                model.add_end_before_start(previous, task)
            previous = task
    model.set_objective(weight_makespan=1)
    started = time.monotonic()
    result = model.solve(time_limit=limit, display=False, num_workers=workers)
    return float(result.objective), float(result.lower_bound), time.monotonic() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("instances", type=Path, nargs="+")
    parser.add_argument("--time-limit", type=float, default=30.0)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--bks", type=Path, default=None)
    parser.add_argument("--solvers", default="suitesched,pyjobshop")
    args = parser.parse_args()
    solvers = args.solvers.split(",")
    if "pyjobshop" in solvers:
        try:
            import pyjobshop  # noqa: F401
        except ImportError:
            sys.stderr.write("pyjobshop is not installed (pip install -e '.[bench]'); "
                             "running suitesched only\n")
            solvers.remove("pyjobshop")
    writer = csv.DictWriter(sys.stdout, fieldnames=COLUMNS)
    writer.writeheader()
    gaps: dict[str, list[float]] = {s: [] for s in solvers}
    unread = 0
    for path in args.instances:
        try:
            jobs, n_machines = parse_instance(path)
        except InstanceError as error:  # the message names the file
            sys.stderr.write(f"fjsp.py: skipped {error}\n")
            unread += 1
            continue
        except OSError as error:
            sys.stderr.write(f"fjsp.py: skipped {path}: {error.strerror}\n")
            unread += 1
            continue
        bks = best_known(path, args.bks)
        for solver in solvers:
            if solver == "suitesched":
                makespan, bound, seconds = run_suitesched(path, jobs, args.time_limit,
                                                          args.workers, args.seed)
            else:
                makespan, bound, seconds = run_pyjobshop(jobs, n_machines, args.time_limit,
                                                         args.workers)
            gap = 100.0 * (makespan - bks) / bks if bks else float("nan")
            gaps[solver].append(gap)
            writer.writerow({"instance": path.stem, "solver": solver, "makespan": makespan,
                             "bound": bound, "seconds": round(seconds, 1), "bks": bks,
                             "gap_pct": round(gap, 2)})
            sys.stdout.flush()
    for solver, values in gaps.items():
        if values:
            sys.stderr.write(f"{solver}: mean gap to best-known {statistics.fmean(values):.2f}% "
                             f"over {len(values)} instances\n")
    if unread:
        sys.exit(2)


if __name__ == "__main__":
    main()
