"""Where a plan's fix-and-optimise time goes: every move of one run, by kind.

How a 60 s run spends its moves decides much of its gap to the bound (RESULTS.md: on some
sites the windows gain steadily to the end while the small moves stopped paying early). The
measurements of where the time goes were taken with one-off wrappers around the engine's move
solver; this is that wrapper, kept. It runs one generated site through ``suitesched.solve``
as ``scale.py`` does, and records:

- every move: when it started (seconds from the solve's start), how long it took, its kind
  (``Window``, ``Repair``, ``WideRepair``, ``ReleaseQueue``, ``Overtaken``, ``Wide``, or
  ``move`` for the plain small moves) and size, the plan's value it started from, and the
  value it found (only when it found a cheaper plan: two moves run at once, so a move that
  found one may still lose to the other; "found" is not "kept");
- every round of moves: when it was queued, the width of its small moves, the plan's value
  then and how many moves were queued.

It prints the run's result and rounds as ``#`` lines, then one CSV row per kind and size:
``kind,orders,moves,thread_s,found`` (``found``: the sum of what that kind's moves found,
in plan units). ``--moves FILE`` writes every move as CSV too. Run::

    python benchmarks/moves.py --orders 100 --seed 24 --limit 60

``--deterministic D`` stops at D deterministic seconds instead of the wall clock
(reproducible). The wrapper patches ``suitesched.planning.lns`` for the run only
(:func:`recording_moves`); the engine itself records nothing and prints nothing.
"""

from __future__ import annotations

import argparse
import csv
import io
import sys
import time
from collections import defaultdict
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import astuple, dataclass, fields
from pathlib import Path
from typing import Any


@dataclass(frozen=True)
class MoveRecord:
    """One move of fix-and-optimise, values in plan units."""

    started_s: float
    seconds: float
    kind: str
    orders: int
    base: float
    found: float | None  # the cheaper plan's value, None when the move found none


@dataclass(frozen=True)
class RoundRecord:
    """One round of moves as it was queued."""

    started_s: float
    size: int
    value: float
    queued: int


@contextmanager
def recording_moves(moves: list[MoveRecord], rounds: list[RoundRecord],
                    started: float) -> Iterator[None]:
    """Record every move and round of ``suitesched.planning.lns`` while the block runs.

    Patches the move solver and the round's neighbourhoods, and restores both on the way out.
    Moves run in two threads; appending to a list is atomic in CPython."""
    from suitesched.core.evaluate import objective_value
    from suitesched.planning import lns
    from suitesched.planning.compile import OBJECTIVE_SCALE

    solve_move, make_rounds = lns._Moves.solve, lns.neighbourhoods

    def value(problem: Any, solution: Any) -> float:
        return objective_value(problem, solution) / OBJECTIVE_SCALE

    def recorded_solve(self: Any, base: Any, chunk: list[str], *args: Any) -> Any:
        began = time.monotonic()
        result = solve_move(self, base, chunk, *args)
        seconds = time.monotonic() - began  # the move alone, not the valuing below
        candidate, _ = result
        before = value(self.problem, base)
        after = None if candidate is None else value(self.problem, candidate)
        kind = "move" if type(chunk) is list else type(chunk).__name__
        moves.append(MoveRecord(round(began - started, 2), round(seconds, 3), kind, len(chunk),
                                before, after if after is not None and after < before else None))
        return result

    def recorded_rounds(problem: Any, solution: Any, size: int, *args: Any,
                        **kwargs: Any) -> Any:
        queued = make_rounds(problem, solution, size, *args, **kwargs)
        rounds.append(RoundRecord(round(time.monotonic() - started, 2), size,
                                  value(problem, solution), len(queued)))
        return queued

    lns._Moves.solve, lns.neighbourhoods = recorded_solve, recorded_rounds
    try:
        yield
    finally:
        lns._Moves.solve, lns.neighbourhoods = solve_move, make_rounds


@dataclass(frozen=True)
class Trace:
    """One run's plan value, late orders, the plan checker's findings, and its moves and
    rounds."""

    objective: float
    late: int
    scheduled: int
    violations: int
    wall_s: float
    moves: list[MoveRecord]
    rounds: list[RoundRecord]


def trace(orders: int, seed: int, *, limit: float | None, weeks: int = 4, booked: bool = True,
          deterministic: float | None = None) -> Trace:
    """Generate (or book) one site and plan it with 2 workers, recording its moves; the plan
    goes through ``check_plan``."""
    import suitesched as ss
    from suitesched.generate import booking, generate_site, generated_scenario

    data = booking(orders, weeks, seed).site if booked else generate_site(orders, weeks, seed)
    scenario = generated_scenario(data)
    moves: list[MoveRecord] = []
    rounds: list[RoundRecord] = []
    started = time.monotonic()
    with recording_moves(moves, rounds, started):
        plan = ss.solve(scenario, time_limit=limit, workers=2, seed=seed,
                        max_deterministic_time=deterministic)
    wall = round(time.monotonic() - started, 1)
    return Trace(plan.solver.objective or 0.0, plan.kpis["late"], plan.kpis["scheduled"],
                 len(ss.check_plan(scenario, plan)), wall, moves, rounds)


def by_kind(moves: list[MoveRecord]) -> list[tuple[str, int, int, float, float]]:
    """Per kind and size: moves, thread seconds, and the sum of what they found."""
    count: dict[tuple[str, int], int] = defaultdict(int)
    seconds: dict[tuple[str, int], float] = defaultdict(float)
    found: dict[tuple[str, int], float] = defaultdict(float)
    for move in moves:
        key = (move.kind, move.orders)
        count[key] += 1
        seconds[key] += move.seconds
        if move.found is not None:
            found[key] += move.base - move.found
    return [(kind, size, count[kind, size], round(seconds[kind, size], 1),
             round(found[kind, size], 1)) for kind, size in sorted(count)]


def main() -> None:
    from suitesched.io.plan_io import atomic_write_text

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--orders", type=int, default=100)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--limit", type=float, default=60.0, help="wall seconds")
    parser.add_argument("--deterministic", type=float, default=None,
                        help="deterministic seconds instead of the wall-clock limit")
    parser.add_argument("--weeks", type=int, default=4)
    parser.add_argument("--open-intake", action="store_true",
                        help="plain generated sites instead of booked ones")
    parser.add_argument("--moves", type=Path, default=None, help="write every move as CSV")
    args = parser.parse_args()
    run = trace(args.orders, args.seed,
                limit=None if args.deterministic is not None else args.limit,
                weeks=args.weeks, booked=not args.open_intake, deterministic=args.deterministic)
    out = sys.stdout
    out.write(f"# {args.orders} orders, seed {args.seed}: plan {run.objective:,.2f}, "
              f"{run.scheduled} scheduled, {run.late} late, {run.violations} violations, "
              f"{run.wall_s} s, {len(run.moves)} moves\n")
    for r in run.rounds:
        out.write(f"# round at {r.started_s} s: moves of {r.size}, plan {r.value:,.2f}, "
                  f"{r.queued} queued\n")
    writer = csv.writer(out)
    writer.writerow(["kind", "orders", "moves", "thread_s", "found"])
    writer.writerows(by_kind(run.moves))
    if args.moves is not None:
        table = io.StringIO()
        rows = csv.writer(table)
        rows.writerow([f.name for f in fields(MoveRecord)])
        rows.writerows(astuple(m) for m in run.moves)
        atomic_write_text(args.moves, table.getvalue())  # whole or not at all


if __name__ == "__main__":
    main()
