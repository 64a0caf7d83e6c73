"""An exact bound on the queue at the release step: each order's last step alone on its team.

:func:`~suitesched.planning.bounds.release_step_bound` relaxes the queue at the last step (the
QA review) into a min-cost flow of "the k-th review of a span ends no earlier than k review
lengths after the span starts". That forgets when the reviews become ready: three orders whose
sterility results come in at noon all get a "slot" that ends at their own earliest release,
although two reviewers can finish only two of them by then. On booked sites, where QC runs
start at fixed hours and a run's orders are ready for review at the same moment a week later,
that is most of the queue.

This module solves the same relaxation exactly instead: keep nothing of the site but the last
step of every order, each starting no earlier than its own earliest release allows, on its
real candidates with their calendars, and minimise the sum of the orders' costs at their
release. Every plan from scratch is a solution of it (every order ends its last step no
earlier than it could alone, and the step needs the same people), so its optimum - or any
proven bound on it - is a lower bound on every plan. As a time-indexed model (one 0/1 choice
per order, candidate and start tick; at each tick at most ``capacity`` steps on a unit) CP-SAT
proves it within seconds: a few seconds at 100 orders, 15 s at 400 (benchmarks/RESULTS.md).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping

from ortools.sat.python import cp_model

from suitesched.core.evaluate import release_terms
from suitesched.core.problem import CoreProblem, Resource
from suitesched.solver.run import SolveParams, configure

QUEUE_WINDOW_STEPS = 84
"""Start ticks modelled per order: this many step lengths from its earliest start (a week for
a 2 h review). A later start is one choice priced at the window's end - what any later start
costs at least - which keeps the model small and the bound valid."""
QUEUE_PARAMS = SolveParams(time_limit=None, workers=1, seed=0, max_deterministic_time=30.0)
"""One worker and a deterministic limit: the same site always gets the same bound."""


def release_queue_bound(problem: CoreProblem, earliest_release: Mapping[str, int | None],
                        shares: Mapping[str, float],
                        params: SolveParams = QUEUE_PARAMS) -> float | None:
    """A lower bound on any plan from scratch (core units), or None if CP-SAT proved nothing.

    ``earliest_release`` is each order's earliest possible end of its end task (None where
    unknown) and ``shares`` its proven share alone; orders without a known earliest release,
    whose end task is fixed, needs no resource or has modes that differ, count with their
    share.
    Only the end task's first requirement is kept, as one unit of one candidate: a relaxation
    of whatever the step really needs.
    """
    by_id = {t.id: t for t in problem.tasks}
    resources = {r.id: r for r in problem.resources}
    fixed_part = 0.0
    model = cp_model.CpModel()
    costs: list[tuple[int, cp_model.IntVar]] = []
    occupying: dict[str, dict[int, list[cp_model.IntVar]]] = defaultdict(
        lambda: defaultdict(list))  # resource -> tick -> choices in use at that tick
    free = _FreeTicks(problem.horizon)
    for group in problem.groups:
        task = by_id.get(group.end_task or "")
        release = earliest_release.get(group.id)
        if release is None or task is None or task.fixed_start is not None \
                or not task.modes[0].requirements \
                or any(m != task.modes[0] for m in task.modes):
            fixed_part += shares.get(group.id, 0.0)
            continue
        duration = task.modes[0].duration
        need = task.modes[0].requirements[0]
        occupy = need.duration or duration
        first = max(task.earliest_start, release - duration, 0)
        stop = min(first + QUEUE_WINDOW_STEPS * duration, problem.horizon - duration + 1)
        choices = []
        for candidate in need.candidates:
            resource = resources[candidate.resource]
            for start in range(first, stop):
                end = start + duration
                if (candidate.latest_end is not None and end > candidate.latest_end) \
                        or (task.latest_end is not None and end > task.latest_end) \
                        or (task.latest_start is not None and start > task.latest_start) \
                        or not free.of(resource, start, start + occupy):
                    continue
                choice = model.new_bool_var(f"{group.id}@{resource.id}+{start}")
                choices.append(choice)
                costs.append((sum(release_terms(group, end)), choice))
                for tick in range(start, start + occupy):
                    occupying[resource.id][tick].append(choice)
        later = model.new_bool_var(f"{group.id}:later")
        choices.append(later)
        costs.append((sum(release_terms(group, max(stop, first) + duration)), later))
        if group.optional:
            out = model.new_bool_var(f"{group.id}:out")
            choices.append(out)
            costs.append((group.unscheduled_cost, out))
        model.add_exactly_one(choices)
    if not costs:
        return fixed_part
    for rid, by_tick in occupying.items():
        resource = resources[rid]
        booked = _booked_units(resource)
        for tick, choices in by_tick.items():
            room = max(0, resource.capacity - booked.get(tick, 0))
            if len(choices) > room:
                model.add(sum(choices) <= room)
    model.minimize(sum(cost * choice for cost, choice in costs))
    solver = cp_model.CpSolver()
    configure(solver, params)
    status = solver.solve(model)
    if status not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
        return None
    return fixed_part + solver.best_objective_bound


class _FreeTicks:
    """Per resource, whether a span of ticks is clear of its unavailable spans (prefix sums,
    built on first use: the window scan asks for every start tick)."""

    def __init__(self, horizon: int) -> None:
        self.horizon = horizon
        self.prefix: dict[str, list[int]] = {}

    def of(self, resource: Resource, start: int, end: int) -> bool:
        prefix = self.prefix.get(resource.id)
        if prefix is None:
            blocked = [0] * (self.horizon + 2)
            for s, e in resource.unavailable:
                for tick in range(max(0, s), min(e, self.horizon + 1)):
                    blocked[tick] = 1
            prefix = [0]
            for value in blocked:
                prefix.append(prefix[-1] + value)
            self.prefix[resource.id] = prefix
        end = min(end, len(prefix) - 1)
        return prefix[end] - prefix[start] == 0


def _booked_units(resource: Resource) -> dict[int, int]:
    """Units taken at each tick by work outside the problem (none in a plan from scratch)."""
    units: dict[int, int] = defaultdict(int)
    for start, end, amount in resource.booked:
        for tick in range(start, end):
            units[tick] += amount
    return units
