"""A fast constructive plan: earliest-due-date insertion with earliest-finish resources.

What a planner with a spreadsheet does: take the orders by due date (then priority, then
arrival) and give each the earliest release the remaining capacity allows, never moving an order
already placed. Each insertion is a tiny exact model of *one* order (its steps, suite, people,
equipment and QC runs against the capacity already booked), so every placement respects every
hard rule; the result is both the baseline a user would otherwise have and a complete warm
start for the full CP-SAT model on large sites.
"""

from __future__ import annotations

import dataclasses
import time
from collections import defaultdict
from collections.abc import Collection

from suitesched.core.problem import CoreProblem, Task
from suitesched.core.solution import CoreSolution
from suitesched.planning.compile import Compiled
from suitesched.planning.subproblem import Book, book_from, record, subproblem
from suitesched.solver.run import SolveParams, solve_core

SMALL_MODEL = {"cp_model_probing_level": 0, "max_presolve_iterations": 1}
"""CP-SAT settings for the many small models of fix-and-optimise: their wall time is mostly
presolve, and one presolve pass halves it (100 generated orders: greedy 17 s -> 8 s, as many
orders placed)."""
ONE_ORDER_MODEL = {**SMALL_MODEL, "cp_model_presolve": False, "linearization_level": 0}
"""A one-order model is solved faster without presolve or LP relaxation at all: its search is
short, and presolving ~1,000 booked intervals cost more than it saved (booked 400-order site:
greedy 98 s -> 41 s, every model still solved to optimality; RESULTS.md)."""
ONE_ORDER = SolveParams(time_limit=None, workers=1, seed=0, max_deterministic_time=2.0,
                        extra=ONE_ORDER_MODEL)
WINDOW_DAYS = 35
"""Each insertion first looks this far after the order's arrival (a small model), then, if the
order does not fit, over the whole timeline."""


def dispatch_order(compiled: Compiled) -> list[str]:
    """Material is booked as it arrives: by arrival day, then due date, then priority (then
    id, for determinism) - earliest-due-date dispatch among what is on site."""
    by_id = {o.order_id: o for o in compiled.orders}
    tz = compiled.scenario.timezone
    return sorted(by_id, key=lambda oid: (by_id[oid].arrival.astimezone(tz).date(),
                                          by_id[oid].due, by_id[oid].priority, oid))


def greedy_solution(compiled: Compiled, params: SolveParams = ONE_ORDER, *,
                    start: CoreSolution | None = None,
                    one_try: Collection[str] = ()) -> CoreSolution:
    """Insert the orders one by one; an order that fits nowhere stays unscheduled.

    With ``start`` (a re-plan's kept orders), its present orders stay exactly as they are and
    only the others are inserted around them. Orders in ``one_try`` (a re-plan's orders that
    did not fit before either) get one attempt, within ``WINDOW_DAYS`` of their earliest start.
    """
    started = time.monotonic()
    problem = compiled.problem
    result = CoreSolution(status="FEASIBLE", objective=None, bound=None, wall_seconds=0.0)
    placed_before: set[str] = set()
    if start is not None:
        placed_before = {g for g, present in start.present.items() if present}
        book = book_from(problem, start, placed_before)
        result.present = {g: True for g in placed_before}
        result.tasks = {t: r for t, r in start.tasks.items()}
        result.holds = dict(start.holds)
    else:
        book = Book()
    inserter = Inserter(compiled, params)
    # Orders that did not fit before either come last: a repair serves what the events
    # touched (and a promised slot offer) first.
    order = sorted(dispatch_order(compiled), key=lambda g: g in one_try)
    for group_id in order:
        if group_id in placed_before:
            continue
        placed = inserter.insert(group_id, book, one_try=group_id in one_try)
        result.present[group_id] = placed is not None
        if placed is not None:
            record(problem, placed[0], placed[1], book, result)
    for family_runs in book.runs.values():
        result.runs += family_runs
    result.wall_seconds = time.monotonic() - started
    return result


class Inserter:
    """Places one order at a time against booked capacity: the greedy's step, and the way a
    re-plan repairs and a slot offer is priced (the same exact one-order model)."""

    def __init__(self, compiled: Compiled, params: SolveParams = ONE_ORDER) -> None:
        self.problem = compiled.problem
        self.params = params
        self.tasks_of: dict[str, list[Task]] = defaultdict(list)
        for task in self.problem.tasks:
            self.tasks_of[task.group].append(task)
        self.groups = {g.id: g for g in self.problem.groups}
        self.ticks_per_day = compiled.timeline.ticks_per_day
        self.reserved = {s.id for s in compiled.scenario.suites if s.tags}
        self.required = {o.order_id for o in compiled.orders if o.requires}

    def insert(self, group_id: str, book: Book, *, one_try: bool = False
               ) -> tuple[CoreProblem, CoreSolution] | None:
        """The order's best placement against ``book`` (sub-problem and its solution), or
        None when it fits nowhere. ``book`` is not changed."""
        tasks = self.tasks_of[group_id]
        if any(t.latest_start is not None and t.fixed_start is None
               and t.earliest_start > t.latest_start for t in tasks):
            return None  # its stability window closed before it can start
        earliest = min(t.earliest_start for t in tasks)
        # Like a planner, keep tagged (reserved) suites for the orders that need them when
        # an untagged suite will do; widen the search window only when nothing fits.
        attempts: list[tuple[int | None, set[str]]] = [
            (WINDOW_DAYS, self.reserved), (None, self.reserved), (None, set())]
        if group_id in self.required or not self.reserved:
            attempts = [(WINDOW_DAYS, set()), (None, set())]
        if one_try:
            attempts = [(WINDOW_DAYS, set())]
        problem = self.problem
        for window, avoid in attempts:
            limit = problem.horizon if window is None else min(
                problem.horizon, earliest + window * self.ticks_per_day)
            group = dataclasses.replace(self.groups[group_id], optional=True,
                                        unscheduled_cost=10**9)
            sub = dataclasses.replace(subproblem(problem, [group], tasks, book, limit, avoid),
                                      left_justified=True)
            solution = solve_core(sub, self.params)
            if solution.feasible and solution.present.get(group_id, False):
                return sub, solution
        return None
