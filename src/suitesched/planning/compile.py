"""Compile a scenario (site + orders) into the generic core problem.

What maps to what:

* suites -> unary resources with the changeover as setup; an order's consecutive suite steps
  that follow each other within ``max_wait`` <= twice the changeover are one *hold* (no other
  order could be cleaned in and out between them); ``same_suite`` shares the hold choice;
* equipment units -> resources of their capacity, down times as unavailable spans;
* operators -> pools of interchangeable people (see :mod:`suitesched.planning.pools`) whose
  calendar is their shifts minus holidays and absences;
* steps -> tasks; the default link and ``after`` lags -> lags; stability -> the first step's
  latest start; the horizon -> the first step's latest start too;
* QC samples -> batch members of their assay's family; QA review -> a task after every run.

Objective weights are scaled by 60 so that per-hour weights become integers per tick.
"""

from __future__ import annotations

import dataclasses
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from suitesched.core.problem import (
    BatchFamily,
    BatchMember,
    Candidate,
    CoreProblem,
    FixedRun,
    Group,
    Hold,
    Lag,
    Mode,
    Requirement,
    Resource,
    Task,
)
from suitesched.model.scenario import Order, Process, Scenario, Step
from suitesched.model.values import ceil_div
from suitesched.planning.anchors import Anchors, Placement
from suitesched.planning.pools import Pool, make_pools
from suitesched.timeline import Span, Timeline, complement_spans, merge_spans, subtract_spans

OBJECTIVE_SCALE = 60
QA_STEP = "qa_review"


def task_id(order_id: str, step_id: str) -> str:
    return f"{order_id}/{step_id}"


@dataclass
class Compiled:
    """The core problem plus what is needed to read its solution back as a plan."""

    scenario: Scenario
    timeline: Timeline
    now_tick: int
    problem: CoreProblem
    pools: list[Pool]
    step_hold: dict[str, str] = field(default_factory=dict)
    """task id -> hold id, for suite steps."""
    member_of: dict[str, tuple[str, str]] = field(default_factory=dict)
    """batch member id -> (order id, assay id)."""
    orders: list[Order] = field(default_factory=list)
    anchors: Anchors = field(default_factory=Anchors)


def people_calendar(timeline: Timeline, pool: Pool) -> list[Span]:
    """Working spans of a pool: union of its shifts, minus holidays and absences."""
    scenario = timeline.scenario
    working: list[Span] = []
    for shift in pool.operator.shifts:
        working += timeline.shift_spans(scenario.shifts[shift])
    absent = [timeline.window_span(w) for w in pool.operator.absent]
    return subtract_spans(merge_spans(working), absent)


def compile_scenario(
    scenario: Scenario,
    now: datetime | None = None,
    *,
    pooled: bool = True,
    anchors: Anchors | None = None,
    pools: list[Pool] | None = None,
) -> Compiled:
    """Build the core problem of a scenario for a plan made at ``now``.

    ``anchors`` (re-planning) fix work that must stay and price moving the rest.
    """
    timeline = Timeline.of(scenario)
    now_tick = max(0, timeline.tick_ceil(now)) if now is not None else 0
    if pools is None:
        pools = make_pools(scenario, pooled=pooled)
    builder = _Builder(scenario, timeline, now_tick, pools, anchors or Anchors())
    return builder.build()


class _Builder:
    def __init__(self, scenario: Scenario, timeline: Timeline, now_tick: int,
                 pools: list[Pool], anchors: Anchors) -> None:
        self.s = scenario
        self.anchors = anchors
        self.tl = timeline
        self.now = now_tick
        self.pools = pools
        self.groups: list[Group] = []
        self.tasks: list[Task] = []
        self.lags: list[Lag] = []
        self.holds: list[Hold] = []
        self.members: dict[str, list[BatchMember]] = defaultdict(list)
        self.step_hold: dict[str, str] = {}
        self.member_of: dict[str, tuple[str, str]] = {}
        self.calendars = {pool.id: people_calendar(timeline, pool) for pool in pools}
        self._fit_cache: dict[tuple, tuple[Span, ...]] = {}

    def _people_starts(self, requirement: Requirement, duration: int) -> tuple[Span, ...]:
        """Start ticks at which at least one candidate pool is on shift for ``duration``.

        A redundant restriction (the pools' calendars enforce it anyway) that lets CP-SAT see
        at once that, say, a harvest can only start inside a shift - so the expansion before
        it must end near one. It is what makes shift-bound chains solvable at scale.
        """
        key = (tuple((c.resource, c.latest_end) for c in requirement.candidates), duration)
        if key not in self._fit_cache:
            spans = []
            for cand in requirement.candidates:
                for start, end in self.calendars[cand.resource]:
                    last = end - duration
                    if cand.latest_end is not None:
                        last = min(last, cand.latest_end - duration)
                    if last >= start:
                        spans.append((start, last + 1))
            self._fit_cache[key] = tuple(merge_spans(spans))
        return self._fit_cache[key]

    def build(self) -> Compiled:
        resources = self._resources()
        orders = [o for o in self.s.orders if o.status != "cancelled"]
        for order in orders:
            self._order(order, self.s.processes_by_id[order.process])
        change = self.s.objective.change
        problem = CoreProblem(
            horizon=self.tl.end,
            resources=tuple(resources),
            groups=tuple(self.groups),
            tasks=tuple(self.tasks),
            lags=tuple(self.lags),
            holds=tuple(self.holds),
            batches=tuple(self._families()),
            change_cost=change * OBJECTIVE_SCALE if self.anchors.reference else 0,
            move_cost_per_tick=change * self.tl.step if self.anchors.reference else 0,
        )
        return Compiled(self.s, self.tl, self.now, problem, self.pools, self.step_hold,
                        self.member_of, orders, self.anchors)

    # ------------------------------------------------------------------ resources
    def _resources(self) -> list[Resource]:
        tl = self.tl
        out = [
            Resource(s.id, 1, tuple(merge_spans(tl.window_span(w) for w in s.down)),
                     tl.ticks_ceil(s.changeover), "suite")
            for s in self.s.suites
        ]
        out += [
            Resource(e.id, e.capacity, tuple(merge_spans(tl.window_span(w) for w in e.down)),
                     0, "equipment")
            for e in self.s.equipment
        ]
        for pool in self.pools:
            off = complement_spans(people_calendar(tl, pool), 0, tl.end + 1)
            out.append(Resource(pool.id, len(pool.members), tuple(off), 0, "people"))
        return out

    def _people(self, skill: str, amount: int, label: str) -> Requirement:
        candidates = []
        for pool in self.pools:
            qual = pool.operator.qualification(skill)
            if qual is None:
                continue
            latest_end = self.tl.tick_floor(qual.until) if qual.until is not None else None
            if latest_end is not None and latest_end <= self.now:
                continue
            candidates.append(Candidate(pool.id, latest_end))
        return Requirement(amount, tuple(candidates), label=label)

    # ------------------------------------------------------------------ orders
    def _order(self, order: Order, process: Process) -> None:
        tl, s = self.tl, self.s
        oid = order.order_id
        arrival = max(tl.tick_ceil(order.arrival), self.now)
        latest_first = tl.horizon_end - 1
        if (limit := order.latest_first_start) is not None:
            latest_first = min(latest_first, tl.tick_floor(limit))
        ids = {step.id: task_id(oid, step.id) for step in process.steps}
        fixed = self.anchors.fixed
        for index, step in enumerate(process.steps):
            if ids[step.id] in fixed:
                self.tasks.append(self._fixed_task(ids[step.id], oid, step.equipment,
                                                   step.operators, step.skill))
                self._step_lags(process, index, step, ids)
                continue
            duration = tl.ticks_ceil(step.duration)
            needs = self._step_needs(step)
            allowed = tuple(tl.start_window_spans(step.start_windows)) \
                if step.start_windows else None
            for need in needs:
                if need.label == "operators":
                    allowed = _intersect(allowed, self._people_starts(need, duration))
            self.tasks.append(self._referenced(Task(
                ids[step.id], oid, (Mode(duration, needs),),
                earliest_start=arrival,
                latest_start=latest_first if index == 0 else None,
                allowed_starts=allowed,
            ), bool(step.equipment), bool(step.operators)))
            self._step_lags(process, index, step, ids)
        self._suite_holds(order, process, ids)
        end_task = ids[process.steps[-1].id]
        qa_id = None
        if process.qa_review is not None:
            qa = process.qa_review
            qa_id = task_id(oid, QA_STEP)
            if qa_id in fixed:
                self.tasks.append(self._fixed_task(qa_id, oid, None, qa.operators, qa.skill))
            else:
                reviewers = self._people(qa.skill, qa.operators, "reviewer")
                qa_duration = tl.ticks_ceil(qa.duration)
                self.tasks.append(self._referenced(Task(
                    qa_id, oid, (Mode(qa_duration, (reviewers,)),), earliest_start=arrival,
                    allowed_starts=self._people_starts(reviewers, qa_duration)), False, True))
            self.lags += [Lag(ids[step.id], qa_id) for step in process.steps]
            end_task = qa_id
        for q_index, sample in enumerate(process.qc):
            assay = s.assays_by_id[sample.assay]
            member_id = f"{oid}/{sample.assay}#{q_index}"
            self.members[sample.assay].append(BatchMember(
                member_id, oid, after=ids[sample.sample_after], before=qa_id,
                max_age=tl.ticks_floor(assay.sample_max_age)
                if assay.sample_max_age is not None else None))
            self.member_of[member_id] = (oid, sample.assay)
        deadline = self.anchors.deadlines.get(oid)
        if deadline is not None:
            # A kept order may move, but never to a later release (see Anchors.deadlines).
            k = next(i for i, t in enumerate(self.tasks) if t.id == end_task)
            if self.tasks[k].fixed_start is None:
                self.tasks[k] = dataclasses.replace(self.tasks[k], latest_end=deadline)
        for retest in self.anchors.retests:
            if retest.order_id == oid:
                self.members[retest.assay].append(BatchMember(
                    retest.member_id, oid, after=None, before=qa_id,
                    release=max(retest.release, self.now)))
                self.member_of[retest.member_id] = (oid, retest.assay)
        objective = s.objective
        self.groups.append(Group(
            oid, optional=oid not in self.anchors.mandatory and oid not in self.anchors.deadlines,
            unscheduled_cost=objective.unscheduled * order.weight * OBJECTIVE_SCALE,
            end_task=end_task,
            due=tl.tick_floor(order.due),
            tardiness_cost=objective.tardiness_per_hour * order.weight * tl.step,
            flow_origin=tl.tick_floor(order.arrival),
            flow_cost=objective.flow_per_hour * tl.step,
        ))

    def _fixed_task(self, tid: str, oid: str, equipment: str | None, operators: int,
                    skill: str | None) -> Task:
        """A task kept exactly: its start, duration and resources as placed before.

        Its requirements name only the resources it holds, so an expired qualification or a
        changed pool cannot make recorded work impossible; the capacity it takes still counts.
        """
        placed = self.anchors.fixed[tid]
        needs = []
        if equipment is not None:
            needs.append(Requirement(1, (Candidate(placed.equipment or ""),), label="equipment"))
        if operators:
            needs.append(Requirement(operators, tuple(Candidate(pool) for pool, _ in
                                                      placed.people), label="operators"))
        choice = _placement_choice(placed, equipment is not None, bool(operators))
        return Task(tid, oid, (Mode(placed.end - placed.start, tuple(needs)),),
                    fixed_start=placed.start, fixed_choice=choice)

    def _referenced(self, task: Task, equipment: bool, people: bool) -> Task:
        """``task`` with its previous placement attached, when it had one."""
        placed = self.anchors.reference.get(task.id)
        if placed is None:
            return task
        return Task(task.id, task.group, task.modes, task.earliest_start, task.latest_start,
                    task.latest_end, task.allowed_starts, reference_start=placed.start,
                    reference_choice=_placement_choice(placed, equipment, people))

    def _step_needs(self, step: Step) -> tuple[Requirement, ...]:
        needs = []
        if step.equipment is not None:
            units = [Candidate(e.id) for e in self.s.equipment_of_type(step.equipment)]
            needs.append(Requirement(1, tuple(units), label="equipment"))
        if step.operators:
            needs.append(self._people(step.skill or "", step.operators, "operators"))
        return tuple(needs)

    def _step_lags(self, process: Process, index: int, step: Step, ids: dict[str, str]) -> None:
        if ids[step.id] in self.anchors.fixed and (index == 0 or all(
                ids[s.id] in self.anchors.fixed for s in process.steps[:index])):
            return  # kept work after kept work: facts, not constraints
        if step.after:
            for lag in step.after:
                self.lags.append(self._lag(ids[lag.step], ids[step.id], lag.from_, lag.min,
                                           lag.max))
        elif index > 0:
            self.lags.append(self._lag(ids[process.steps[index - 1].id], ids[step.id], "end",
                                       0, step.max_wait))

    def _lag(self, pred: str, succ: str, ref: str, low: int, high: int | None) -> Lag:
        """A lag in ticks. From kept work whose recorded time is off the grid (an actual
        start at 09:15 on a 30 min grid sits at the 09:00 tick), the minutes between the
        tick and the real moment are added first, so the lag counts from the real moment."""
        tl = self.tl
        offset = 0
        placed = self.anchors.fixed.get(pred)
        if placed is not None:
            real = placed.start_time if ref == "start" else placed.end_time
            tick = placed.start if ref == "start" else placed.end
            offset = round((real.astimezone(UTC) - tl.moment(tick).astimezone(UTC))
                           .total_seconds() / 60)
        # ticks_ceil and ticks_floor round negative minutes the right way too.
        return Lag(pred, succ, ref, tl.ticks_ceil(offset + low),
                   tl.ticks_floor(offset + high) if high is not None else None)

    def _suite_holds(self, order: Order, process: Process, ids: dict[str, str]) -> None:
        """Group the order's suite steps into holds (see the module docstring)."""
        suites = self.s.suites_for(order)
        candidates = tuple(s.id for s in suites)
        longest_changeover = max((s.changeover for s in suites), default=0)
        sessions: list[list[Step]] = []
        previous: Step | None = None
        for step in process.steps:
            if not step.suite:
                previous = step
                continue
            joins = (
                previous is not None and previous.suite and not step.after
                and step.max_wait is not None and step.max_wait <= 2 * longest_changeover
                and sessions
            )
            if joins:
                sessions[-1].append(step)
            else:
                sessions.append([step])
            previous = step
        if process.same_suite:
            # Kept work pins the one suite the whole order uses.
            pinned = [placed.suite for session in sessions
                      if (placed := self.anchors.fixed.get(ids[session[0].id])) is not None
                      and placed.suite]
            if pinned:
                candidates = (pinned[0],)
        for k, session in enumerate(sessions):
            hold_id = f"{order.order_id}/hold{k}"
            first = ids[session[0].id]
            fixed = self.anchors.fixed.get(first)
            reference = self.anchors.reference.get(first)
            self.holds.append(Hold(
                hold_id, order.order_id, first, ids[session[-1].id],
                (fixed.suite,) if fixed is not None and fixed.suite else candidates,
                choice_key=order.order_id if process.same_suite else None,
                fixed_resource=fixed.suite if fixed is not None else None,
                reference_resource=reference.suite if reference is not None else None))
            for step in session:
                self.step_hold[ids[step.id]] = hold_id

    # ------------------------------------------------------------------ QC
    def _day_spans(self) -> list[Span]:
        tl = self.tl
        spans = []
        for day in tl.days:
            start = tl.tick_floor(tl.wall(day, 0))
            end = tl.tick_floor(tl.wall(day + timedelta(days=1), 0))
            if end > self.now and start < tl.end:
                spans.append((max(start, self.now), min(end, tl.end)))
        return spans

    def _families(self) -> list[BatchFamily]:
        tl = self.tl
        out = []
        days = self._day_spans()
        for assay in self.s.assays:
            members = self.members.get(assay.id, [])
            if not members:
                continue
            allowed = None
            window_days = days
            if assay.start_windows:
                allowed = tuple(subtract_spans(tl.start_window_spans(assay.start_windows),
                                               [(-1, self.now)]))
                window_days = [d for d in days if any(s < d[1] and e > d[0] for s, e in allowed)]
            horizon_days = max(1, sum(1 for d in window_days if d[0] < tl.horizon_end))
            load = len(members) / horizon_days
            slots = 1 + ceil_div(int(2 * load * 100), assay.capacity * 100)
            requirement = None
            if assay.analysts:
                base = self._people(assay.skill or "", assay.analysts, "analysts")
                requirement = Requirement(base.amount, base.candidates,
                                          duration=tl.ticks_ceil(assay.hands_on),
                                          label="analysts")
                allowed = _intersect(allowed, self._people_starts(
                    base, tl.ticks_ceil(assay.hands_on)))
            kept = tuple(
                FixedRun(run.run_id, run.start, run.members, run.people, closed=run.closed)
                for run in self.anchors.runs.get(assay.id, ()))
            out.append(BatchFamily(
                assay.id, tl.ticks_ceil(assay.duration), assay.capacity, tuple(members),
                requirement=requirement, allowed_starts=allowed, fixed_runs=kept,
                slot_spans=tuple(days), slots_per_span=slots))
        return out


def _intersect(a: tuple[Span, ...] | None, b: tuple[Span, ...]) -> tuple[Span, ...]:
    """Intersection of two span lists; ``None`` means no restriction."""
    if a is None:
        return b
    out = []
    for s1, e1 in a:
        for s2, e2 in b:
            lo, hi = max(s1, s2), min(e1, e2)
            if hi > lo:
                out.append((lo, hi))
    return tuple(merge_spans(out))


def _placement_choice(placement: Placement, equipment: bool, people: bool
                      ) -> tuple[tuple[tuple[str, int], ...], ...]:
    """A placement's resources in the order of a step's requirements (equipment, people)."""
    choice: list[tuple[tuple[str, int], ...]] = []
    if equipment:
        choice.append(((placement.equipment, 1),) if placement.equipment else ())
    if people:
        choice.append(placement.people)
    return tuple(choice)
