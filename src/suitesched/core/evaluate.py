"""Evaluate a core solution's objective terms in plain Python (for baselines and reports).

Mirrors the named soft goals of the CP-SAT model so that a constructive plan (greedy) can be
compared with a solver plan on the same scale.
"""

from __future__ import annotations

from suitesched.core.problem import CoreProblem, Group
from suitesched.core.solution import CoreSolution


def release_terms(group: Group, end: int) -> tuple[int, int]:
    """A served order's tardiness and flow terms if it is released at tick ``end``."""
    tardiness = group.tardiness_cost * max(0, end - group.due) if group.due is not None else 0
    flow = group.flow_cost * max(0, end - group.flow_origin) \
        if group.flow_origin is not None else 0
    return tardiness, flow


def objective_terms(problem: CoreProblem, solution: CoreSolution) -> dict[str, int]:
    terms = {"unscheduled": 0, "tardiness": 0, "flow": 0, "makespan": 0, "change": 0}
    for group in problem.groups:
        present = solution.present.get(group.id, False)
        if not present:
            terms["unscheduled"] += group.unscheduled_cost if group.optional else 0
            continue
        if group.end_task is None or group.end_task not in solution.tasks:
            continue
        tardiness, flow = release_terms(group, solution.tasks[group.end_task].end)
        terms["tardiness"] += tardiness
        terms["flow"] += flow
    if problem.makespan_cost:
        # Over this problem's own tasks: a sub-problem's warm start may hold the others too.
        terms["makespan"] = problem.makespan_cost * max(
            (solution.tasks[t.id].end for t in problem.tasks if t.id in solution.tasks),
            default=0)
    for task in problem.tasks:
        result = solution.tasks.get(task.id)
        if result is None or task.reference_start is None or task.fixed_start is not None:
            continue
        moved = abs(result.start - task.reference_start)
        terms["change"] += problem.change_cost * int(moved > 0) + problem.move_cost_per_tick * moved
    return terms


def objective_value(problem: CoreProblem, solution: CoreSolution) -> int:
    return sum(objective_terms(problem, solution).values())


def is_bad(group: Group, solution: CoreSolution) -> bool:
    """Whether ``group`` is unscheduled in ``solution`` or ends there after its due tick."""
    if not solution.present.get(group.id):
        return True
    end = solution.tasks.get(group.end_task or "")
    return bool(end and group.due is not None and end.end > group.due)
