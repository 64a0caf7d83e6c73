"""A proven lower bound on the objective from each order alone on an empty site.

CP-SAT's own bound on a large site stays at 0 while the unscheduled term is in play (the
relaxation can always leave an order out): it says nothing about the plan. Dropping every
interaction *between* orders is a relaxation too, and a separable one: the objective of a new
plan is a sum of per-order terms (unscheduled, tardiness, flow), each order's best alone on the
site is at most what it gets in any plan, so the sum of those bests is a lower bound on every
plan's objective. Each order alone is a tiny exact model (its steps, calendars, lags and QC
start windows); its proven optimum - or CP-SAT's proven bound when the budget ends first - is
that order's share.

The bound is valid for a plan from scratch only: a re-plan's change term couples orders to
the previous plan and is not bounded here (its per-order shares stay valid lower bounds, the
change term adds to them).
"""

from __future__ import annotations

import dataclasses
from collections import defaultdict

from ortools.graph.python import min_cost_flow

from suitesched.core.evaluate import release_terms
from suitesched.core.problem import CoreProblem, Group, Task
from suitesched.planning.queue_bound import release_queue_bound
from suitesched.planning.subproblem import Book, subproblem
from suitesched.solver.run import SolveParams, solve_core
from suitesched.timeline import complement_spans

ALONE = SolveParams(time_limit=None, workers=1, seed=0, max_deterministic_time=1.0,
                    extra={"cp_model_probing_level": 0, "max_presolve_iterations": 1})
"""One order alone: a tiny model, usually proven optimal in a few milliseconds."""


@dataclasses.dataclass(frozen=True)
class Alone:
    """One order alone on the empty site: its proven share of the objective, and - when that
    share is proven optimal with the order served and its flow costed - its earliest release
    (the end of its end task: with a positive flow weight the alone optimum releases as early
    as possible)."""

    share: float
    earliest_release: int | None = None


def alone_results(problem: CoreProblem, params: SolveParams = ALONE) -> dict[str, Alone]:
    """Each order alone on the empty site (core units)."""
    tasks_of: dict[str, list[Task]] = defaultdict(list)
    for task in problem.tasks:
        tasks_of[task.group].append(task)
    empty = Book()
    out: dict[str, Alone] = {}
    for group in problem.groups:
        tasks = tasks_of[group.id]
        if not tasks:
            out[group.id] = Alone(0.0)
            continue
        # Keep the order optional with its own cost: leaving it out is a valid outcome too.
        sub = subproblem(problem, [dataclasses.replace(group, reference_present=None)],
                         tasks, empty, problem.horizon)
        solution = solve_core(sub, params)
        if solution.status == "OPTIMAL" and solution.objective is not None:
            release = None
            end = solution.tasks.get(group.end_task or "")
            if solution.present.get(group.id) and end is not None and group.flow_cost > 0 \
                    and group.flow_origin is not None:
                release = end.end
            out[group.id] = Alone(solution.objective, release)
        elif solution.status == "INFEASIBLE":
            # Mandatory and impossible alone: no plan exists; nothing to bound.
            out[group.id] = Alone(0.0)
        else:
            out[group.id] = Alone(max(0.0, solution.bound or 0.0))
    return out


def order_alone_bounds(problem: CoreProblem, params: SolveParams = ALONE) -> dict[str, float]:
    """Per order, a proven lower bound on its objective terms in any plan (core units)."""
    return {g: a.share for g, a in alone_results(problem, params).items()}


def separable_bound(problem: CoreProblem, params: SolveParams = ALONE) -> float:
    """The sum of the per-order bounds (core units), valid for a plan from scratch."""
    return sum(order_alone_bounds(problem, params).values())


def release_step_bound(problem: CoreProblem, alone: dict[str, Alone]) -> float:
    """A bound that keeps the one interaction the alone bound misses most: the release step.

    Every order ends with one task (the QA review) on a small shared team, and sterility runs
    on fixed weekdays make releases arrive in waves that queue for the reviewers - the main
    reason generated plans sit above the alone bound. This relaxes everything *but* that step:

    - no plan releases an order before its alone-optimal release ``E``;
    - a person works only inside their availability spans, one task at a time, so the k-th
      end task a unit of a resource does in a span of its calendar ends no earlier than
      ``span start + k * d`` (``d`` the shortest duration of those tasks);
    - so every plan maps each served order to a (resource, span, position) "slot", at most
      ``capacity`` orders per slot, and pays at least ``f(max(E, slot end))``, where ``f`` is
      the order's tardiness-plus-flow cost at that release (or its unscheduled cost).

    The cheapest such assignment - a min-cost flow, exact and fast - is therefore a lower bound
    on any plan from scratch. Each order's terms depend only on its release, which is what
    makes this valid; orders without a proven earliest release, or whose end task needs no
    people, keep their alone share. The result is never below the alone bound's sum.
    """
    by_id = {t.id: t for t in problem.tasks}
    resources = {r.id: r for r in problem.resources}
    separable = sum(a.share for a in alone.values())
    fixed_part = 0.0
    jobs: list[tuple[Group, int, set[str]]] = []  # group, earliest release, candidates
    for group in problem.groups:
        result = alone.get(group.id, Alone(0.0))
        task = by_id.get(group.end_task or "")
        needs = task.modes[0].requirements if task is not None else ()
        if result.earliest_release is None or task is None or task.fixed_start is not None \
                or not needs or any(m.requirements != needs for m in task.modes):
            fixed_part += result.share
            continue
        # One requirement of one unit is a relaxation of whatever the step really needs.
        jobs.append((group, result.earliest_release, {c.resource for c in needs[0].candidates}))
    if not jobs:
        return separable
    duration = min(mode.duration for group, _, _ in jobs
                   for mode in by_id[group.end_task or ""].modes)
    slots: list[tuple[str, int, int, int]] = []  # resource, earliest end, latest end, units
    for rid in sorted(set().union(*(cands for _, _, cands in jobs))):
        resource = resources[rid]
        for start, end in complement_spans(resource.unavailable, 0, problem.horizon):
            for k in range(1, (end - start) // duration + 1):
                slots.append((rid, start + k * duration, end, resource.capacity))
    flow = min_cost_flow.SimpleMinCostFlow()
    source, sink = 0, 1
    first_slot = 2 + len(jobs)
    for j, (group, release, cands) in enumerate(jobs):
        node = 2 + j
        flow.add_arc_with_capacity_and_unit_cost(source, node, 1, 0)
        if group.optional:
            flow.add_arc_with_capacity_and_unit_cost(node, sink, 1, group.unscheduled_cost)
        for s, (rid, earliest_end, latest_end, _) in enumerate(slots):
            end = max(earliest_end, release)
            if rid in cands and end <= latest_end:
                flow.add_arc_with_capacity_and_unit_cost(node, first_slot + s, 1,
                                                         sum(release_terms(group, end)))
    for s, (_, _, _, units) in enumerate(slots):
        flow.add_arc_with_capacity_and_unit_cost(first_slot + s, sink, units, 0)
    flow.set_node_supply(source, len(jobs))
    flow.set_node_supply(sink, -len(jobs))
    if flow.solve() != flow.OPTIMAL:
        return separable  # a mandatory order has no slot at all: nothing to add
    return max(separable, fixed_part + flow.optimal_cost())


def relaxed_bound(problem: CoreProblem, params: SolveParams = ALONE) -> float:
    """The best proven lower bound this module has for a plan from scratch (core units):
    each order alone, tightened by the shared release step - as a min-cost flow, and solved
    exactly from each order's earliest release (:mod:`~suitesched.planning.queue_bound`),
    which is the stronger of the two whenever CP-SAT proves its model within its limit."""
    alone = alone_results(problem, params)
    queued = release_queue_bound(problem, {g: a.earliest_release for g, a in alone.items()},
                                 {g: a.share for g, a in alone.items()})
    return max(release_step_bound(problem, alone), queued or 0.0)

