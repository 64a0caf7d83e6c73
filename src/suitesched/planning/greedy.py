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

from suitesched.core.problem import BatchFamily, CoreProblem, FixedRun, Group, Resource
from suitesched.core.solution import CoreSolution, RunResult
from suitesched.planning.compile import Compiled
from suitesched.solver.run import SolveParams, solve_core

_ONE_ORDER = SolveParams(time_limit=10.0, workers=1, seed=0, max_deterministic_time=2.0,
                         extra={"cp_model_probing_level": 0})
WINDOW_DAYS = 35
"""Each insertion first looks this far after the order's arrival (a small model), then, if the
order does not fit, over the whole timeline."""


@dataclasses.dataclass
class _Book:
    """Capacity taken so far, per resource, and the QC runs made so far."""

    booked: dict[str, list[tuple[int, int, int]]] = dataclasses.field(
        default_factory=lambda: defaultdict(list))
    runs: dict[str, list[RunResult]] = dataclasses.field(
        default_factory=lambda: defaultdict(list))


def dispatch_order(compiled: Compiled) -> list[str]:
    """Orders by due date, then priority, then arrival (then id, for determinism)."""
    by_id = {o.order_id: o for o in compiled.orders}
    return sorted(by_id, key=lambda oid: (by_id[oid].due, by_id[oid].priority,
                                          by_id[oid].arrival, oid))


def greedy_solution(compiled: Compiled, params: SolveParams = _ONE_ORDER) -> CoreSolution:
    """Insert the orders one by one; an order that fits nowhere stays unscheduled."""
    started = time.monotonic()
    problem = compiled.problem
    book = _Book()
    result = CoreSolution(status="FEASIBLE", objective=None, bound=None, wall_seconds=0.0)
    tasks_of: dict[str, list] = defaultdict(list)
    for task in problem.tasks:
        tasks_of[task.group].append(task)
    groups = {g.id: g for g in problem.groups}
    ticks_per_day = 24 * 60 // compiled.timeline.step
    for group_id in dispatch_order(compiled):
        earliest = min(t.earliest_start for t in tasks_of[group_id])
        placed = False
        for window in (WINDOW_DAYS, None):
            limit = problem.horizon if window is None else min(
                problem.horizon, earliest + window * ticks_per_day)
            sub = _one_order_problem(problem, groups[group_id], tasks_of[group_id], book, limit)
            solution = solve_core(sub, params)
            placed = solution.feasible and solution.present.get(group_id, False)
            if placed or limit == problem.horizon:
                break
        result.present[group_id] = placed
        if placed:
            _record(problem, sub, solution, book, result)
    for family_runs in book.runs.values():
        result.runs += family_runs
    result.wall_seconds = time.monotonic() - started
    return result


def _one_order_problem(problem: CoreProblem, group: Group, tasks: list, book: _Book,
                       limit: int) -> CoreProblem:
    ids = {t.id for t in tasks}
    es = _earliest_ends(tasks, [lag for lag in problem.lags if lag.succ in ids])
    resources = tuple(dataclasses.replace(
        r, booked=tuple(b for b in book.booked.get(r.id, ()) if b[0] < limit),
        unavailable=tuple(u for u in r.unavailable if u[0] < limit))
        for r in problem.resources)
    families = []
    for family in problem.batches:
        members = tuple(m for m in family.members if m.group == group.id)
        if not members:
            continue
        open_runs = tuple(
            FixedRun(run.id, run.start, run.members, closed=False)
            for run in book.runs.get(family.id, []) if len(run.members) < family.capacity)
        spans = family.slot_spans
        if spans is not None:
            lo = min(es[m.after] for m in members if m.after) if any(
                m.after for m in members) else 0
            spans = tuple(sp for sp in spans if sp[0] < limit and sp[1] > lo)
        families.append(dataclasses.replace(family, members=members, fixed_runs=open_runs,
                                            slots_per_span=1, slot_spans=spans))
    return dataclasses.replace(
        problem, horizon=limit, resources=resources,
        groups=(dataclasses.replace(group, optional=True, unscheduled_cost=10**9),),
        tasks=tuple(tasks), lags=tuple(lag for lag in problem.lags if lag.succ in ids),
        holds=tuple(h for h in problem.holds if h.group == group.id),
        batches=tuple(families))


def _record(problem: CoreProblem, sub: CoreProblem, solution: CoreSolution, book: _Book,
            result: CoreSolution) -> None:
    resources: dict[str, Resource] = {r.id: r for r in problem.resources}
    hold_data = {h.id: h for h in sub.holds}
    for task_id, task_result in solution.tasks.items():
        result.tasks[task_id] = task_result
        for requirement in task_result.choice:
            for resource, units in requirement:
                book.booked[resource].append((task_result.start, task_result.end, units))
    for hold_id, resource in solution.holds.items():
        result.holds[hold_id] = resource
        hold = hold_data[hold_id]
        start = solution.tasks[hold.first].start
        end = solution.tasks[hold.last].end + resources[resource].setup
        book.booked[resource].append((start, end, 1))
    families: dict[str, BatchFamily] = {f.id: f for f in problem.batches}
    for run in solution.runs:
        runs = book.runs[run.family]
        existing = next((i for i, r in enumerate(runs) if r.id == run.id), None)
        if existing is not None:
            old = runs[existing]
            runs[existing] = dataclasses.replace(old, members=old.members + run.members)
            continue
        new_id = f"{run.family}#g{len(runs)}"
        runs.append(dataclasses.replace(run, id=new_id))
        requirement = families[run.family].requirement
        hands_on = requirement.duration if requirement and requirement.duration else 0
        for resource, units in run.choice:
            book.booked[resource].append((run.start, run.start + hands_on, units))


def _earliest_ends(tasks: list, lags: list) -> dict[str, int]:
    """Earliest end of each task from release dates and minimum lags (longest path)."""
    start = {t.id: t.earliest_start for t in tasks}
    duration = {t.id: min(m.duration for m in t.modes) for t in tasks}
    for _ in range(len(tasks)):
        changed = False
        for lag in lags:
            ref = start[lag.pred] + (duration[lag.pred] if lag.from_ == "end" else 0)
            if ref + lag.min > start[lag.succ]:
                start[lag.succ] = ref + lag.min
                changed = True
        if not changed:
            break
    return {t: start[t] + duration[t] for t in start}
