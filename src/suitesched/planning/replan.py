"""Re-planning after events (SPEC §5): keep what stands, repair what broke, re-optimise.

The steps, in order:

1. Apply the events to the scenario (:mod:`suitesched.planning.events_apply`).
2. Read the previous plan back into ticks and pools. Work that started before ``now`` is
   *frozen* (at its planned, or ``step_actual``, times and resources); the operations of orders
   no event touches are *kept*, unless the independent checker finds that an event broke them
   (a suite now down under them, an operator now absent); kept work inside the freeze window is
   fixed, the rest carries its previous placement for the change term (SPEC §4.3).
3. If frozen work itself now breaks a hard rule (an outage over a running operation), no plan
   can be made: :class:`NoPlanError` names the colliding records and the old plan stays.
4. Repair: the kept orders' capacity is booked and every other order (touched, new, restarted,
   previously unscheduled) is inserted greedily - a complete, valid warm start.
5. Optimise from that warm start: on small sites (under 12 orders) the full model, on larger
   ones fix-and-optimise around the touched orders only; the change term keeps untouched work
   where it was, and kept orders carry deadlines (never later when the events only add or
   cancel orders, never late otherwise).
"""

from __future__ import annotations

import time
from collections import defaultdict
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from suitesched.check import check_plan
from suitesched.core.solution import CoreSolution, RunResult, TaskResult
from suitesched.errors import InputError, NoPlanError, Problem
from suitesched.io.events_reader import EventsFile, event_problems, load_events
from suitesched.model.plan import Operation, OrderOutcome, Plan, QcRun, Retest
from suitesched.model.scenario import Scenario
from suitesched.model.values import parse_duration, to_site_datetime
from suitesched.planning.anchors import Anchors, Placement, RetestSample, RunPlacement
from suitesched.planning.compile import QA_STEP, Compiled, compile_scenario, task_id
from suitesched.planning.events_apply import EventEffects, apply_events
from suitesched.planning.explain import (
    REASON_SHARE,
    explain_solution,
    plan_reasons,
    solve_share,
)
from suitesched.planning.extract import build_plan
from suitesched.planning.greedy import greedy_solution
from suitesched.planning.pools import Pool, make_pools
from suitesched.planning.solve import plan_core
from suitesched.solver.run import ProgressCallback
from suitesched.timeline import Timeline

Events = Sequence[Any] | str | Path | EventsFile
"""Events as a path, an unbound file (``load_events(path)``) or validated event models."""

DEFAULT_FREEZE = 24 * 60
"""Minutes after ``now`` in which kept work keeps its times and resources (``--freeze``)."""


def resolve_replan_now(scenario: Scenario, now: datetime | str | None) -> datetime:
    """``now`` as an aware site datetime; by default the wall clock (SPEC §3)."""
    if now is None:
        return datetime.now(UTC).astimezone(scenario.timezone).replace(microsecond=0)
    return to_site_datetime(now, scenario.timezone, date_means_end_of_day=False)


def _freeze_minutes(freeze: int | str | timedelta | None) -> int:
    if freeze is None:
        return DEFAULT_FREEZE
    if isinstance(freeze, timedelta):
        return int(freeze.total_seconds() // 60)
    return parse_duration(freeze) if isinstance(freeze, str) else int(freeze)


def _events_of(events: Sequence[Any] | str | Path | EventsFile, scenario: Scenario,
               plan: Plan) -> list[Any]:
    if isinstance(events, (str, Path)):
        return list(load_events(events, scenario, plan=plan))
    if isinstance(events, EventsFile):
        return list(events.bind(scenario, plan))
    problems = event_problems(list(events), scenario, plan)
    if problems:
        raise InputError(problems, what="events")
    return list(events)


def replan(scenario: Scenario, plan: Plan, events: Events = (), **options: Any) -> Plan:
    """The new plan after ``events`` (a path, :func:`load_events` result or event models).

    Takes the options of :func:`replan_with_scenario` (``now``, ``freeze``, ``time_limit``,
    ``workers``, ``seed``, ``max_deterministic_time``, ``progress``). Check the new plan against
    :func:`updated_scenario`, which has the events applied. Raises :class:`InputError` for
    events that do not fit the scenario or plan, :class:`NoPlanError` when frozen work collides
    with an event or no plan is found.
    """
    return replan_with_scenario(scenario, plan, events, **options)[0]


def updated_scenario(scenario: Scenario, plan: Plan, events: Events) -> Scenario:
    """The scenario with ``events`` applied: new orders, cancellations, down times, absences."""
    return apply_events(scenario, _events_of(events, scenario, plan), plan)[0]


def replan_with_scenario(
    scenario: Scenario,
    plan: Plan,
    events: Events = (),
    *,
    now: datetime | str | None = None,
    freeze: int | str | timedelta | None = None,
    time_limit: float | None = 30.0,
    workers: int = 2,
    seed: int = 0,
    max_deterministic_time: float | None = None,
    progress: ProgressCallback | None = None,
    **cp_sat_parameters: object,
) -> tuple[Plan, Scenario]:
    """:func:`replan`, also returning the updated scenario the new plan is valid for."""
    started = time.monotonic()
    moment = resolve_replan_now(scenario, now)
    loaded = _events_of(events, scenario, plan)
    _check_event_times(loaded, moment)
    _check_started_delays(loaded, plan)
    _check_retests(loaded, plan)
    new_scenario, effects = apply_events(scenario, loaded, plan)
    timeline = Timeline.of(new_scenario)
    if moment >= timeline.moment(timeline.horizon_end):
        raise InputError([Problem("--now", "", f"{moment.isoformat()} is after the horizon's "
                                  "end; extend the horizon in site.yaml")], what="re-plan")
    pools = make_pools(new_scenario)
    retests = _retests(plan, effects)
    reader = _PlanReader(new_scenario, timeline, pools, moment, _freeze_minutes(freeze))
    anchors, kept = reader.anchors(plan, effects, retests)
    compiled = compile_scenario(new_scenario, moment, anchors=anchors, pools=pools)
    warm = _warm_start(compiled, kept, _unserved(plan, new_scenario) - effects.touched)
    _check_started_orders_fit(compiled, warm)
    solution = plan_core(compiled, time_limit=solve_share(time_limit), workers=workers,
                         seed=seed,
                         max_deterministic_time=max_deterministic_time, progress=progress,
                         extra=dict(cp_sat_parameters), hint=warm,
                         focus=effects.touched)
    if not solution.feasible:
        raise NoPlanError(
            f"no plan found (solver status {solution.status} after "
            f"{solution.wall_seconds:.1f} s); the previous plan stays current")
    # A repair is quick; its reasons get the share of the limit a full solve leaves them, not
    # all the time the repair did not need (400 orders: 50 of a 55 s re-plan went to reasons).
    reasons = plan_reasons(
        compiled, solution, max_deterministic_time=max_deterministic_time,
        seconds_left=None if time_limit is None else min(
            time_limit - (time.monotonic() - started), REASON_SHARE * time_limit),
        known=_carried_reasons(plan, compiled, solution, effects.touched))
    created = datetime.now(UTC).astimezone(scenario.timezone).replace(microsecond=0)
    new_plan = build_plan(compiled, solution, now=moment, created=created, workers=workers,
                          seed=seed, retests=tuple(retests), reasons=reasons)
    return new_plan, new_scenario


def _carried_reasons(plan: Plan, compiled: Compiled, solution: CoreSolution,
                     touched: set[str]) -> dict[str, str]:
    """Reasons an untouched order keeps from the previous plan: one that stays unscheduled,
    or stays late with the same release.

    The plan around it was kept, so the reason still describes it; explaining it again costs
    one-order models that a large site's re-plan cannot afford (400 orders: 19 unscheduled
    orders took 50 of a 55 s re-plan; 7 late ones 7.5 of 14.6 s). That includes the pointer
    to ``suitesched explain`` of an order the previous plan had no budget to explain: a
    repair explains what it changed, not what an earlier plan left open (400 orders: 11 such
    orders took 14 of a 24 s re-plan). Orders the events touched, and orders whose release
    moved, are explained afresh.
    """
    ends = {g.id: g.end_task for g in compiled.problem.groups}
    out = {}
    for outcome in plan.orders:
        oid = outcome.order_id
        if oid in touched or not outcome.reason:
            continue
        if outcome.status == "unscheduled" and not solution.present.get(oid, True):
            out[oid] = outcome.reason
        elif outcome.status == "scheduled" and outcome.release is not None \
                and solution.present.get(oid) and ends.get(oid) in solution.tasks:
            end = solution.tasks[ends[oid]].end
            if compiled.timeline.moment(end) == outcome.release:
                out[oid] = outcome.reason
    return out


def _check_started_orders_fit(compiled: Compiled, warm: CoreSolution) -> None:
    """Work that has started cannot be dropped (SPEC §4.1.10): an order with frozen work that
    the repair cannot finish any more is a hard conflict, named with its binding cause."""
    stuck = sorted(g.id for g in compiled.problem.groups
                   if not g.optional and not warm.present.get(g.id))
    if not stuck:
        return
    # Name why; an order the exact one-order model can still place ("search") is left to
    # the solver rather than reported.
    explained = explain_solution(compiled, warm, orders=stuck)
    problems = [Problem(f"order {oid}", "started work",
                        "its work has started (frozen) but it can no longer be finished: "
                        + explained[oid].reason) for oid in stuck
                if explained[oid].cause != "search"]
    if problems:
        raise NoPlanError(
            f"{len(problems)} order(s) with started work can no longer be finished; the "
            "previous plan stays current", problems)


def _check_started_delays(events: list[Any], plan: Plan) -> None:
    """A specimen cannot arrive late for an order whose processing had already begun."""
    problems = []
    for e in events:
        if e.type != "specimen_delay":
            continue
        started = sorted((op for op in plan.operations
                          if op.order_id == e.order and op.start < e.at), key=lambda o: o.start)
        if started:
            problems.append(Problem(
                "events", f"event {e.id} · order",
                f"order {e.order} started {started[0].step} at "
                f"{started[0].start.isoformat()}, before this delay was known; report a "
                "run_failure (restart or cancel) or step_actual times instead"))
    if problems:
        raise InputError(problems, what="events")


def _check_retests(events: list[Any], plan: Plan) -> None:
    """A retest repeats a test that has run: the order must have had a run of that assay
    starting before the retest was asked for."""
    problems = []
    for e in events:
        if e.type != "qc_retest":
            continue
        tested = any(run.assay == e.assay and e.order in run.order_ids and run.start <= e.at
                     for run in plan.qc_runs)
        if not tested:
            problems.append(Problem(
                "events", f"event {e.id} · order",
                f"order {e.order} has no {e.assay} run before {e.at.isoformat()}: a retest "
                "repeats a test that has run; wait until it has, or cancel and re-plan"))
    if problems:
        raise InputError(problems, what="events")


def _unserved(plan: Plan, scenario: Scenario) -> set[str]:
    """Orders the previous plan did not serve (or did not know): worth one more try."""
    served = {o.order_id for o in plan.orders if o.status == "scheduled"}
    return {o.order_id for o in scenario.orders if o.status != "cancelled"} - served


def _check_event_times(events: list[Any], now: datetime) -> None:
    late = [Problem("events", f"event {e.id}", f"'at' {e.at.isoformat()} is after now "
                    f"({now.isoformat()}); an event cannot be known before it happens")
            for e in events if e.at > now]
    if late:
        raise InputError(late, what="events")


def _retests(plan: Plan, effects: EventEffects) -> list[Retest]:
    """Retests still standing: the previous plan's (unless the order restarted) and new ones."""
    old = [r for r in plan.retests if r.order_id not in effects.dropped]
    return old + [r for r in effects.retests if r.order_id not in effects.dropped]


class _PlanReader:
    """Reads a previous plan into anchors, in the new scenario's ticks and pools."""

    def __init__(self, scenario: Scenario, timeline: Timeline, pools: list[Pool],
                 now: datetime, freeze_minutes: int) -> None:
        self.s = scenario
        self.tl = timeline
        self.now = now
        self.now_tick = max(0, timeline.tick_ceil(now))
        self.freeze_end = now + timedelta(minutes=freeze_minutes)
        self.pool_of = {m: p.id for p in pools for m in p.members}

    def placement(self, op: Operation | QcRun, start: datetime, end: datetime,
                  frozen: bool) -> Placement:
        tl = self.tl
        units: dict[str, int] = defaultdict(int)
        names = op.operators if isinstance(op, Operation) else op.analysts
        for name in names:
            if name in self.pool_of:
                units[self.pool_of[name]] += 1
        first = tl.tick_floor(start) if frozen else tl.tick_ceil(start)
        # Elapsed minutes in UTC: two datetimes sharing one ZoneInfo subtract as wall clock,
        # which is an hour off across a daylight-saving change.
        elapsed = (end.astimezone(UTC) - start.astimezone(UTC)).total_seconds() / 60
        last = tl.tick_ceil(end) if frozen else first + tl.ticks_ceil(round(elapsed))
        return Placement(first, max(first + 1, last), getattr(op, "suite", None),
                         getattr(op, "equipment", None), tuple(sorted(units.items())),
                         tuple(names), start, end)

    # ------------------------------------------------------------------ anchors
    def anchors(self, plan: Plan, effects: EventEffects,
                retests: list[Retest]) -> tuple[Anchors, set[str]]:
        """The anchors of the new plan, and the orders kept as they were planned."""
        s = self.s
        active = {o.order_id for o in s.orders if o.status != "cancelled"}
        standing = active - effects.dropped
        ops = [self._with_actual(op, effects) for op in plan.operations
               if op.order_id in standing]
        frozen_ops = [op for op in ops if op.start < self.now]
        frozen_orders = {op.order_id for op in frozen_ops}
        runs = self._standing_runs(plan, standing)
        frozen_runs = [r for r in runs if r.start < self.now]
        frozen_orders |= {oid for r in frozen_runs for oid in r.order_ids}
        self._frozen_conflicts(plan, frozen_ops, frozen_runs, retests)
        kept = self._kept_orders(plan, ops, runs, standing - effects.touched, retests)
        anchors = Anchors()
        member_ids = self._member_ids(plan, runs, standing)
        for op in ops:
            tid = task_id(op.order_id, op.step)
            frozen = op.start < self.now
            placed = self.placement(op, op.start, op.end, frozen)
            if frozen:
                anchors.fixed[tid] = placed
                anchors.frozen.add(tid)
            elif op.order_id in kept and op.start < self.freeze_end:
                anchors.fixed[tid] = placed
            elif op.order_id not in effects.restarted:
                anchors.reference[tid] = placed
        for run in runs:
            members = tuple(member_ids[(run.run_id, oid)] for oid in run.order_ids
                            if (run.run_id, oid) in member_ids)
            frozen = run.start < self.now
            keep = frozen or (run.start < self.freeze_end
                              and all(oid in kept for oid in run.order_ids))
            if not members:
                continue
            placed = self.placement(run, run.start, run.end, frozen)
            held = RunPlacement(run.run_id, run.assay, placed.start, placed.end, members,
                                placed.people, placed.names, run.start, run.end, closed=frozen)
            if not keep:
                anchors.reference_runs.append(held)
                continue
            anchors.runs.setdefault(run.assay, []).append(held)
            if frozen:
                anchors.frozen.add(run.run_id)
        for (order_id, assay), ats in self._retest_numbers(retests).items():
            for k, at in enumerate(ats):
                anchors.retests.append(RetestSample(
                    f"{order_id}/{assay}#r{k}", order_id, assay, self.tl.tick_ceil(at)))
        for oid in kept:
            before = plan.outcome(oid)
            if before is None or before.release is None:
                continue
            # Adding or cancelling orders takes nothing away: nobody is released later (an
            # accepted slot offer harms no one). Other events may use an order's slack, but
            # never make it late (or later, if it already was).
            limit = before.release if effects.adds_only else max(before.release,
                                                                 self.s.orders_by_id[oid].due)
            anchors.deadlines[oid] = self.tl.tick_ceil(limit)
        anchors.mandatory = frozen_orders | {
            tid.split("/")[0] for tid in anchors.fixed} | {
            m.split("/")[0] for runs_ in anchors.runs.values() for r in runs_ for m in r.members}
        return anchors, kept

    def _with_actual(self, op: Operation, effects: EventEffects) -> Operation:
        actual = effects.actuals.get((op.order_id, op.step))
        if actual is None:
            return op
        return op.model_copy(update={"start": actual[0], "end": actual[1]})

    def _standing_runs(self, plan: Plan, standing: set[str]) -> list[QcRun]:
        out = []
        for run in plan.qc_runs:
            orders = tuple(o for o in run.order_ids if o in standing)
            if orders:
                out.append(run.model_copy(update={"order_ids": orders}))
        return out

    @staticmethod
    def _retest_numbers(retests: list[Retest]) -> dict[tuple[str, str], list[datetime]]:
        out: dict[tuple[str, str], list[datetime]] = defaultdict(list)
        for r in sorted(retests, key=lambda r: r.at):
            out[(r.order_id, r.assay)].append(r.at)
        return out

    def _member_ids(self, plan: Plan, runs: list[QcRun],
                    standing: set[str]) -> dict[tuple[str, str], str]:
        """(run id, order) -> batch member id: an order's runs of an assay, in start order,
        are its samples in process order, then its retests in the order they were asked."""
        out: dict[tuple[str, str], str] = {}
        by_order: dict[tuple[str, str], list[QcRun]] = defaultdict(list)
        for run in sorted(runs, key=lambda r: (r.start, r.run_id)):
            for oid in run.order_ids:
                by_order[(oid, run.assay)].append(run)
        for (oid, assay), order_runs in by_order.items():
            order = self.s.orders_by_id[oid]
            process = self.s.processes_by_id[order.process]
            samples = [f"{oid}/{assay}#{q}" for q, smp in enumerate(process.qc)
                       if smp.assay == assay]
            extra = [f"{oid}/{assay}#r{k}" for k in range(len(order_runs))]
            for run, member in zip(order_runs, samples + extra, strict=False):
                out[(run.run_id, oid)] = member
        return out

    # ------------------------------------------------------------------ checks
    def _partial_plan(self, plan: Plan, ops: list[Operation], runs: list[QcRun],
                      orders: set[str], retests: list[Retest]) -> Plan:
        frozen = {(op.order_id, op.step) for op in ops if op.start < self.now}
        outcomes = []
        for o in self.s.orders:
            if o.order_id in orders:
                mine = [op for op in ops if op.order_id == o.order_id]
                before = plan.outcome(o.order_id)
                if before is not None and before.status == "scheduled" and before.release \
                        and max(op.end for op in mine) == before.release:
                    outcomes.append(before)
                    continue
                if mine:
                    outcomes.append(OrderOutcome(order_id=o.order_id, status="scheduled",
                                                 start=min(op.start for op in mine),
                                                 release=max(op.end for op in mine), due=o.due,
                                                 tardiness_hours=0.0))
                    continue
            outcomes.append(OrderOutcome(
                order_id=o.order_id, due=o.due,
                status="cancelled" if o.status == "cancelled" else "unscheduled"))
        return plan.model_copy(update={
            "now": self.now,
            "operations": tuple(op.model_copy(update={
                "frozen": (op.order_id, op.step) in frozen}) for op in ops
                if op.order_id in orders),
            "qc_runs": tuple(r.model_copy(update={
                "frozen": r.start < self.now,
                "order_ids": tuple(o for o in r.order_ids if o in orders)})
                for r in runs if any(o in orders for o in r.order_ids)),
            "orders": tuple(outcomes),
            "retests": tuple(r for r in retests if r.order_id in orders)})

    def _frozen_conflicts(self, plan: Plan, frozen_ops: list[Operation],
                          frozen_runs: list[QcRun], retests: list[Retest]) -> None:
        """Frozen work against the updated scenario: a broken hard rule here cannot be
        repaired by planning, so it is reported with the records that collide."""
        partial = self._partial_plan(plan, frozen_ops, frozen_runs,
                                     {op.order_id for op in frozen_ops}, [])
        hard = ("4.1.2", "4.1.3", "4.1.4", "4.1.5", "4.1.6")
        problems = [Problem("frozen work", ", ".join(v.records), v.message)
                    for v in check_plan(self.s, partial) if v.rule.startswith(hard)]
        released = {op.order_id: op for op in frozen_ops if op.step == QA_STEP}
        for retest in retests:
            if retest.order_id in released and retest.at > released[retest.order_id].start:
                op = released[retest.order_id]
                problems.append(Problem(
                    "frozen work", f"{op.order_id}/{QA_STEP}",
                    f"QA review of {op.order_id} started {op.start.isoformat()}, before the "
                    f"{retest.assay} retest asked at {retest.at.isoformat()}; release cannot "
                    "wait for it any more"))
        if problems:
            raise NoPlanError(
                "frozen work collides with the events; the previous plan stays current",
                problems)

    def _kept_orders(self, plan: Plan, ops: list[Operation], runs: list[QcRun],
                     candidates: set[str], retests: list[Retest]) -> set[str]:
        """Untouched orders whose planned work still obeys every hard rule after the events;
        an order the checker finds broken (a new down time under it, an absent operator)
        is repaired instead."""
        planned = {op.order_id for op in ops}
        kept = {oid for oid in candidates if oid in planned
                and (o := plan.outcome(oid)) is not None and o.status == "scheduled"}
        frozen_orders = {op.order_id for op in ops if op.start < self.now}
        for _ in range(20):
            partial = self._partial_plan(plan, ops, runs, kept | frozen_orders, retests)
            broken = set()
            run_orders = {f"run {r.run_id}": r.order_ids for r in runs}
            for violation in check_plan(self.s, partial):
                for record in violation.records:
                    if record in run_orders:
                        broken |= set(run_orders[record])
                    else:
                        broken.add(record.split("/")[0])
            broken &= kept
            if not broken:
                return kept
            kept -= broken
        return set()


def _warm_start(compiled: Compiled, kept: set[str], one_try: set[str]) -> CoreSolution:
    """The kept orders as they were, every other order inserted greedily around them."""
    return greedy_solution(compiled, start=_kept_start(compiled, kept), one_try=one_try)


def _kept_start(compiled: Compiled, kept: set[str]) -> CoreSolution:
    """The kept orders exactly as the previous plan has them, as a partial core solution."""
    problem = compiled.problem
    anchors = compiled.anchors
    solution = CoreSolution(status="FEASIBLE", objective=None, bound=None, wall_seconds=0.0)
    requirement_kinds = {t.id: t for t in problem.tasks}
    for task_id_, placed in {**anchors.reference, **anchors.fixed}.items():
        group = task_id_.split("/")[0]
        if group not in kept or task_id_ not in requirement_kinds:
            continue
        task = requirement_kinds[task_id_]
        choice = task.fixed_choice if task.fixed_choice is not None else \
            task.reference_choice or ()
        solution.tasks[task_id_] = TaskResult(placed.start, placed.end, 0, choice)
    for hold in problem.holds:
        if hold.group in kept:
            placed = anchors.fixed.get(hold.first) or anchors.reference.get(hold.first)
            if placed is not None and placed.suite:
                solution.holds[hold.id] = placed.suite
    for group in problem.groups:
        solution.present[group.id] = group.id in kept
    solution.runs = _kept_runs(compiled, kept)
    return solution


def _kept_runs(compiled: Compiled, kept: set[str]) -> list[RunResult]:
    """Runs of the warm start: every fixed run (with all its members), and the previous
    plan's other runs with the samples of kept orders."""
    anchors = compiled.anchors
    out: list[RunResult] = []
    for assay, runs in anchors.runs.items():
        for run in runs:
            out.append(RunResult(run.run_id, assay, run.start, run.end, run.members,
                                 run.people))
    for run in anchors.reference_runs:
        members = tuple(m for m in run.members if m.split("/")[0] in kept)
        if members:
            out.append(RunResult(f"ref:{run.run_id}", run.assay, run.start, run.end, members,
                                 run.people))
    return out
