"""A written plan read back as a core solution of a freshly compiled scenario.

``explain --plan`` asks why orders of an *existing* plan are left out or late: the capacity the
other orders book must be the plan's own, so its operations, suites and QC runs are read back
into ticks and people pools of the compiled model (the inverse of
:func:`suitesched.planning.extract.build_plan`, up to the names of people in a pool).
"""

from __future__ import annotations

from collections import defaultdict
from datetime import UTC

from suitesched.core.solution import CoreSolution, RunResult, TaskResult
from suitesched.model.plan import Plan
from suitesched.planning.compile import Compiled, task_id


def solution_from_plan(compiled: Compiled, plan: Plan) -> CoreSolution:
    """``plan`` as a :class:`CoreSolution` of ``compiled`` (operations it does not know, e.g.
    of cancelled orders, are skipped)."""
    tl = compiled.timeline
    pool_of = {m: p.id for p in compiled.pools for m in p.members}
    tasks = {t.id: t for t in compiled.problem.tasks}
    holds = {h.id: h for h in compiled.problem.holds}
    solution = CoreSolution(status="FEASIBLE", objective=None, bound=None, wall_seconds=0.0)
    solution.present = {g.id: False for g in compiled.problem.groups}

    def units(names: tuple[str, ...]) -> tuple[tuple[str, int], ...]:
        count: dict[str, int] = defaultdict(int)
        for name in names:
            if name in pool_of:
                count[pool_of[name]] += 1
        return tuple(sorted(count.items()))

    def ticks(start, end) -> tuple[int, int]:
        first = tl.tick_floor(start)
        elapsed = (end.astimezone(UTC) - start.astimezone(UTC)).total_seconds() / 60
        return first, max(first + 1, first + tl.ticks_ceil(round(elapsed)))

    for outcome in plan.orders:
        if outcome.status == "scheduled" and outcome.order_id in solution.present:
            solution.present[outcome.order_id] = True
    for op in plan.operations:
        tid = task_id(op.order_id, op.step)
        task = tasks.get(tid)
        if task is None:
            continue
        start, end = ticks(op.start, op.end)
        choice = []
        for requirement in task.modes[0].requirements:
            if requirement.label == "equipment":
                choice.append(((op.equipment, 1),) if op.equipment else ())
            else:
                choice.append(units(op.operators))
        solution.tasks[tid] = TaskResult(start, end, 0, tuple(choice))
        hold = compiled.step_hold.get(tid)
        if hold is not None and op.suite is not None:
            solution.holds[hold] = op.suite
    # A hold spans its first to last task: keep only holds whose ends are both known.
    solution.holds = {h: r for h, r in solution.holds.items()
                      if holds[h].first in solution.tasks and holds[h].last in solution.tasks}
    members: dict[tuple[str, str], list[str]] = defaultdict(list)
    for member_id, (order_id, assay) in compiled.member_of.items():
        members[(order_id, assay)].append(member_id)
    used: dict[tuple[str, str], int] = defaultdict(int)
    for run in sorted(plan.qc_runs, key=lambda r: (r.start, r.run_id)):
        start, end = ticks(run.start, run.end)
        taken = []
        for order_id in run.order_ids:
            key = (order_id, run.assay)
            if used[key] < len(members[key]):
                taken.append(members[key][used[key]])
                used[key] += 1
        solution.runs.append(RunResult(run.run_id, run.assay, start, end, tuple(taken),
                                       units(run.analysts)))
    return solution
