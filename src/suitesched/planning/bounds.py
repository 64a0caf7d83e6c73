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

from suitesched.core.problem import CoreProblem, Task
from suitesched.planning.subproblem import Book, subproblem
from suitesched.solver.run import SolveParams, solve_core

ALONE = SolveParams(time_limit=None, workers=1, seed=0, max_deterministic_time=1.0,
                    extra={"cp_model_probing_level": 0, "max_presolve_iterations": 1})
"""One order alone: a tiny model, usually proven optimal in a few milliseconds."""


def order_alone_bounds(problem: CoreProblem, params: SolveParams = ALONE) -> dict[str, float]:
    """Per order, a proven lower bound on its objective terms in any plan (core units)."""
    tasks_of: dict[str, list[Task]] = defaultdict(list)
    for task in problem.tasks:
        tasks_of[task.group].append(task)
    empty = Book()
    out: dict[str, float] = {}
    for group in problem.groups:
        tasks = tasks_of[group.id]
        if not tasks:
            out[group.id] = 0.0
            continue
        # Keep the order optional with its own cost: leaving it out is a valid outcome too.
        sub = subproblem(problem, [dataclasses.replace(group, reference_present=None)],
                         tasks, empty, problem.horizon)
        solution = solve_core(sub, params)
        if solution.status == "OPTIMAL" and solution.objective is not None:
            out[group.id] = solution.objective
        elif solution.status == "INFEASIBLE":
            # Mandatory and impossible alone: no plan exists; nothing to bound.
            out[group.id] = 0.0
        else:
            out[group.id] = max(0.0, solution.bound or 0.0)
    return out


def separable_bound(problem: CoreProblem, params: SolveParams = ALONE) -> float:
    """The sum of the per-order bounds (core units), valid for a plan from scratch."""
    return sum(order_alone_bounds(problem, params).values())
