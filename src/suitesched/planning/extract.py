"""Turn a core solution into a plan (SPEC §3): times as site datetimes, people named."""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime

from suitesched.core.solution import CoreSolution
from suitesched.model.plan import Operation, OrderOutcome, Plan, QcRun, Retest, SolverInfo
from suitesched.model.values import elapsed_hours
from suitesched.planning.compile import QA_STEP, Compiled, task_id
from suitesched.planning.pools import PoolUse, name_people
from suitesched.report.kpis import compute_kpis


def _people_uses(compiled: Compiled, solution: CoreSolution) -> list[PoolUse]:
    pool_ids = {p.id for p in compiled.pools}
    uses: list[PoolUse] = []
    for tid, result in solution.tasks.items():
        for requirement in result.choice:
            for resource, units in requirement:
                if resource in pool_ids:
                    uses.append(PoolUse(resource, result.start, result.end, units, tid))
    families = {f.id: f for f in compiled.problem.batches}
    for run in solution.runs:
        req = families[run.family].requirement
        hands_on = req.duration if req is not None and req.duration else 0
        for resource, units in run.choice:
            uses.append(PoolUse(resource, run.start, run.start + hands_on, units, run.id))
    return uses


def build_plan(
    compiled: Compiled,
    solution: CoreSolution,
    *,
    now: datetime,
    created: datetime,
    workers: int,
    seed: int,
    reasons: dict[str, str] | None = None,
    retests: tuple[Retest, ...] = (),
) -> Plan:
    """The plan of a feasible core solution.

    Work kept from a previous plan (``compiled.anchors``) is written with its recorded times
    and people; work that started before ``now`` is marked ``frozen``.
    """
    s, tl = compiled.scenario, compiled.timeline
    anchors = compiled.anchors
    fixed_names = {tid: p.names for tid, p in anchors.fixed.items() if tid in anchors.frozen}
    fixed_names |= {r.run_id: r.names for runs in anchors.runs.values() for r in runs
                    if r.run_id in anchors.frozen}
    preferred = {tid: p.names for tid, p in anchors.fixed.items()}
    preferred |= {tid: p.names for tid, p in anchors.reference.items()}
    preferred |= {r.run_id: r.names for runs in anchors.runs.values() for r in runs}
    names = name_people(compiled.pools, _people_uses(compiled, solution),
                        fixed=fixed_names, preferred=preferred)
    pool_ids = {p.id for p in compiled.pools}
    equipment_ids = {e.id for e in s.equipment}

    def people(key: str, choice) -> tuple[str, ...]:
        return tuple(sorted(
            person for requirement in choice for resource, _ in requirement
            if resource in pool_ids for person in names[(key, resource)]))

    operations: list[Operation] = []
    outcomes: list[OrderOutcome] = []
    for order in s.orders:
        if order.status == "cancelled":
            outcomes.append(OrderOutcome(order_id=order.order_id, status="cancelled",
                                         due=order.due))
            continue
        process = s.processes_by_id[order.process]
        if not solution.present.get(order.order_id):
            reason = (reasons or {}).get(order.order_id) or (
                "no feasible slot inside the horizon with the available capacity")
            outcomes.append(OrderOutcome(order_id=order.order_id, status="unscheduled",
                                         due=order.due, reason=reason))
            continue
        steps = [st.id for st in process.steps] + ([QA_STEP] if process.qa_review else [])
        order_ops = []
        for step_id in steps:
            tid = task_id(order.order_id, step_id)
            result = solution.tasks[tid]
            hold = compiled.step_hold.get(tid)
            equipment = next((r for req in result.choice for r, _ in req
                              if r in equipment_ids), None)
            kept = anchors.fixed.get(tid)
            order_ops.append(Operation(
                order_id=order.order_id, step=step_id,
                start=kept.start_time if kept else tl.moment(result.start),
                end=kept.end_time if kept else tl.moment(result.end),
                suite=solution.holds.get(hold) if hold else None,
                equipment=equipment, operators=people(tid, result.choice),
                frozen=tid in anchors.frozen))
        operations += order_ops
        release = order_ops[-1].end if process.qa_review else max(o.end for o in order_ops)
        late_hours = max(0.0, elapsed_hours(order.due, release))
        outcomes.append(OrderOutcome(
            order_id=order.order_id, status="scheduled", start=order_ops[0].start,
            release=release, due=order.due, tardiness_hours=round(late_hours, 4),
            reason=(reasons or {}).get(order.order_id) if late_hours > 0 else None))
    runs = _qc_runs(compiled, solution, names)
    present = {o.order_id for o in outcomes if o.status == "scheduled"}
    operations.sort(key=lambda o: (o.start, o.order_id, o.step))
    plan = Plan(
        scenario=s.name, created=created, now=now,
        solver=SolverInfo(status=solution.status, objective=solution.objective,
                          bound=solution.bound, wall_seconds=round(solution.wall_seconds, 3),
                          workers=workers, seed=seed),
        operations=tuple(operations), qc_runs=tuple(runs), orders=tuple(outcomes),
        retests=tuple(r for r in retests if r.order_id in present),
    )
    return plan.model_copy(update={"kpis": compute_kpis(s, plan)})


def _qc_runs(compiled: Compiled, solution: CoreSolution,
             names: dict[tuple[str, str], list[str]]) -> list[QcRun]:
    """The runs, numbered per assay in start order; runs kept from a previous plan keep their
    id, times and (if they started) their frozen mark."""
    tl = compiled.timeline
    anchors = compiled.anchors
    kept = {r.run_id: r for runs in anchors.runs.values() for r in runs}
    by_family: dict[str, list] = defaultdict(list)
    for run in solution.runs:
        by_family[run.family].append(run)
    out = []
    for family in sorted(by_family):
        used = {run.id for run in by_family[family] if run.id in kept}
        numbers = (f"{family}-{k:04d}" for k in range(1, 10**6))
        for run in sorted(by_family[family], key=lambda r: (r.start, r.id)):
            analysts = tuple(sorted(p for resource, _ in run.choice
                                    for p in names[(run.id, resource)]))
            orders = tuple(sorted(compiled.member_of[m][0] for m in run.members
                                  if m in compiled.member_of))
            if not orders:
                continue
            held = kept.get(run.id)
            run_id = run.id if held else next(n for n in numbers if n not in used)
            out.append(QcRun(run_id=run_id, assay=family,
                             start=held.start_time if held else tl.moment(run.start),
                             end=held.end_time if held else tl.moment(run.end),
                             analysts=analysts, order_ids=orders,
                             frozen=run.id in anchors.frozen))
    out.sort(key=lambda r: (r.start, r.run_id))
    return out
