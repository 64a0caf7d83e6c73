"""Why an order is unscheduled or late: the binding resource, found by relaxing the model.

An order left out of a plan (or released after its due date) is re-inserted alone against the
capacity every other order of the plan books - the same exact one-order model the greedy
insertion and a re-plan's repair use. That model is infeasible (or cannot meet the due date).
Then each resource class the order draws on - the suites, an equipment type, the people of one
skill, the runs of one QC assay - is given more capacity in turn, and the model solved again:
a class whose extra capacity lets the order in (on time) is a binding cause. Its window is where
the relaxed placement used that class, so the reason names the resource *and* the days.

If no single class helps, pairs are tried; if the order does not fit even on an empty site,
calendars are relaxed instead (nobody qualified on shift, a suite down) and the horizon and
stability window are named. Every test is a deterministic one-worker solve, so explanations are
reproducible like plans are.
"""

from __future__ import annotations

import dataclasses
import time
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from suitesched.core.problem import Candidate, CoreProblem, Group, Resource, Task
from suitesched.core.solution import CoreSolution
from suitesched.model.plan import Plan
from suitesched.model.scenario import Scenario
from suitesched.planning.compile import QA_STEP, Compiled
from suitesched.planning.greedy import ONE_ORDER
from suitesched.planning.subproblem import Book, book_from, subproblem
from suitesched.solver.run import SolveParams, solve_core
from suitesched.timeline import merge_spans

EXTRA_SLOTS = 2
"""QC runs added per day when the runs of an assay are relaxed."""
NARROW_TRIES = 3
"""Single uses of the extra unit tried when narrowing a cause's window."""


@dataclass(frozen=True)
class ResourceClass:
    """Resources one order draws on that a planner thinks of as one thing."""

    kind: str
    """``suites``, ``equipment``, ``people`` or ``qc``."""
    name: str
    """``suites``, the equipment type, the skill, or the assay id."""
    resources: frozenset[str]
    """Core resource ids (suite and equipment ids, people pools); for ``qc`` the family id."""
    amount: int = 1
    """How many units one of the order's tasks needs at once (an operator pair: 2)."""
    needs: frozenset[frozenset[str]] = frozenset()
    """The candidate sets of the order's needs of this class: the extra unit serves exactly
    these (a receipt step's people are a subset of the aseptic ones, yet another skill)."""

    @property
    def key(self) -> str:
        return f"{self.kind}:{self.name}"


@dataclass(frozen=True)
class Explanation:
    """The binding cause of one unscheduled or late order, in a planner's words."""

    order_id: str
    status: str
    """``unscheduled`` or ``late``."""
    reason: str
    binding: tuple[str, ...] = ()
    """Keys of the binding resource classes (``people:aseptic``, ``suites:suites``...)."""
    window: tuple[datetime, datetime] | None = None
    cause: str = "capacity"
    """``capacity`` (one more unit of ``binding`` frees it), ``calendar`` (nobody on shift or
    a resource down even on an empty site), ``time`` (stability window, horizon or due date
    too short even alone), ``contention`` (no class alone frees it) or ``search`` (it fits;
    the optimiser did not find the slot in its limit)."""

    def to_json_dict(self) -> dict[str, object]:
        return {"order_id": self.order_id, "status": self.status, "reason": self.reason,
                "cause": self.cause, "binding": list(self.binding),
                "window": None if self.window is None else [
                    self.window[0].isoformat(), self.window[1].isoformat()]}


class Explainer:
    """Explains the unscheduled and late orders of one solution of a compiled site."""

    def __init__(self, compiled: Compiled, solution: CoreSolution,
                 params: SolveParams = ONE_ORDER) -> None:
        self.fits = 0
        """One-order models solved so far: the budget of :func:`explain_solution` (a count,
        so that a budgeted explanation is as reproducible as the plan)."""
        self.deadline: float | None = None
        """A ``time.monotonic()`` moment after which no further model is solved: the
        explanation in progress is abandoned (:class:`OutOfTime`), so that one order needing
        dozens of models cannot overrun a wall-clock budget by as many seconds."""
        self.compiled = compiled
        self.problem = compiled.problem
        self.solution = solution
        self.params = params
        self.tl = compiled.timeline
        self.tasks_of: dict[str, list[Task]] = defaultdict(list)
        for task in self.problem.tasks:
            self.tasks_of[task.group].append(task)
        self.groups = {g.id: g for g in self.problem.groups}
        self.orders = {o.order_id: o for o in compiled.orders}
        self.resources = {r.id: r for r in self.problem.resources}
        self.present = {g for g, here in solution.present.items() if here}

    # ------------------------------------------------------------------ public
    def pending(self) -> list[str]:
        """Orders to explain: unscheduled ones, then late ones, in id order."""
        out = [g for g in sorted(self.groups) if g not in self.present]
        out += [g for g in sorted(self.groups) if g in self.present and self._late_by(g) > 0]
        return out

    def explain(self, order_id: str) -> Explanation:
        if order_id not in self.present:
            return self._unscheduled(order_id)
        return self._late(order_id)

    # ------------------------------------------------------------------ cases
    def _unscheduled(self, gid: str) -> Explanation:
        book = book_from(self.problem, self.solution, self.present - {gid})
        if self._fit(gid, book) is not None:
            return Explanation(gid, "unscheduled", (
                "it fits against the rest of this plan, but the optimiser did not place it "
                "within its time limit; a longer --time-limit or a re-plan will"),
                cause="search")
        return self._cause(gid, book, deadline=None, status="unscheduled")

    def _late(self, gid: str) -> Explanation:
        group = self.groups[gid]
        assert group.due is not None
        book = book_from(self.problem, self.solution, self.present - {gid})
        prefix = f"released {self._fmt(self._release(gid))}, after its due date " \
                 f"{self._fmt(self.tl.moment(group.due))}: "
        if self._fit(gid, book, deadline=group.due) is not None:
            return Explanation(gid, "late", prefix + (
                "an on-time slot is free against the rest of this plan, but the optimiser "
                "did not find it within its time limit"), cause="search")
        explanation = self._cause(gid, book, deadline=group.due, status="late")
        return dataclasses.replace(explanation, reason=prefix + explanation.reason)

    def _cause(self, gid: str, book: Book, *, deadline: int | None,
               status: str) -> Explanation:
        classes = self.classes(gid)
        # The first class (people, then suites, equipment, QC runs) whose extra capacity
        # frees the order is the cause named: one cause a planner can act on.
        for cls in classes:
            fit = self._fit(gid, book, deadline=deadline, relax=(cls,))
            if fit is not None:
                fit = self._narrowed(gid, book, deadline, cls, fit)
                text, window = self._phrase(gid, cls, fit)
                return Explanation(gid, status, text, (cls.key,), window)
        witness = None
        if len(classes) > 1:
            witness = self._fit(gid, book, deadline=deadline, relax=tuple(classes))
        if witness is None:
            return self._alone(gid, deadline, status, classes)
        # No single class frees it, all together do: shrink to a minimal set that still
        # does (a deletion filter: each class left out once, kept out if not needed). A fit
        # is a witness for every set holding the classes whose extra it used, so classes it
        # left unused drop out without a model of their own (a late order at 400 orders: 19
        # one-order models instead of 29).
        needed = self._used(classes, witness)

        def leave_out(trial: list[ResourceClass]) -> None:
            nonlocal needed, witness
            fit = self._fit(gid, book, deadline=deadline, relax=tuple(trial))
            if fit is not None:
                needed, witness = self._used(trial, fit), fit

        if any(c.kind == "qc" for c in needed) and any(c.kind != "qc" for c in needed):
            # Extra QC runs are rarely what frees an order: leave them all out in one model.
            leave_out([c for c in needed if c.kind != "qc"])
        for cls in list(needed):
            trial = [c for c in needed if c.key != cls.key]
            if len(trial) < len(needed) and trial:  # not dropped already, not the last one
                leave_out(trial)
        parts = [self._phrase(gid, cls, witness) for cls in needed]
        return Explanation(gid, status, " and ".join(p for p, _ in parts),
                           tuple(cls.key for cls in needed), parts[0][1])

    def _used(self, relax: list[ResourceClass], fit: CoreSolution) -> list[ResourceClass]:
        """The classes of ``relax`` whose extra capacity ``fit`` used. Extra QC runs cannot be
        told apart from the ordinary ones, so a QC class always counts as used. Never empty:
        if the fit used no extra at all, the single-class models before it failed only for
        their budget, and every class is kept."""
        used = [cls for cls in relax if cls.kind == "qc" or self._extra_spans(cls, fit)]
        return used or list(relax)

    def _narrowed(self, gid: str, book: Book, deadline: int | None, cls: ResourceClass,
                  fit: CoreSolution) -> CoreSolution:
        """A fit that needs the extra unit for one task only, if there is one.

        A free extra unit gets used wherever convenient, so the relaxed placement can spread
        it over days. Offering it only during one of those uses in turn (earliest first)
        finds *when* the order lacks it - the window a planner can act on.
        """
        uses = sorted(set(self._extra_spans(cls, fit, runs=False)))
        if len(uses) < 2:
            return fit
        for span in uses[:NARROW_TRIES]:
            narrow = self._fit(gid, book, deadline=deadline, relax=(cls,), only=span)
            if narrow is not None:
                return narrow
        return fit

    def _alone(self, gid: str, deadline: int | None, status: str,
               classes: list[ResourceClass]) -> Explanation:
        """The order does not fit even with more capacity: calendars or the horizon bind."""
        empty = Book()
        if self._fit(gid, empty, deadline=deadline) is not None:
            keys = ", ".join(cls.name for cls in classes)
            return Explanation(gid, status, (
                f"{keys} are all taken by other orders when it could run; no single resource "
                "frees it"), tuple(cls.key for cls in classes), cause="contention")
        for cls in classes:
            fit = self._fit(gid, empty, deadline=deadline, relax=(cls,), calendars=True)
            if fit is not None:
                text, window = self._calendar_phrase(gid, cls, fit)
                return Explanation(gid, status, text, (cls.key,), window, cause="calendar")
        return Explanation(gid, status, self._time_phrase(gid, deadline), (),
                           self._start_window(gid), cause="time")

    # ------------------------------------------------------------------ model
    def classes(self, gid: str) -> list[ResourceClass]:
        """The resource classes order ``gid`` draws on, in a stable order."""
        scenario = self.compiled.scenario
        equipment_type = {e.id: e.type for e in scenario.equipment}
        process = scenario.processes_by_id[self.orders[gid].process]
        skill_of = {s.id: s.skill for s in process.steps}
        if process.qa_review is not None:
            skill_of[QA_STEP] = process.qa_review.skill
        found: dict[str, ResourceClass] = {}

        def add(cls: ResourceClass) -> None:
            old = found.get(cls.key)
            if old is None:
                found[cls.key] = cls
            else:
                found[cls.key] = dataclasses.replace(
                    old, resources=old.resources | cls.resources,
                    amount=max(old.amount, cls.amount), needs=old.needs | cls.needs)

        suites = frozenset(r for h in self.problem.holds if h.group == gid
                           for r in h.candidates)
        if suites:
            add(ResourceClass("suites", "suites", suites, needs=frozenset(
                frozenset(h.candidates) for h in self.problem.holds if h.group == gid)))
        for task in self.tasks_of[gid]:
            step = task.id.split("/", 1)[1]
            for mode in task.modes:
                for req in mode.requirements:
                    ids = frozenset(c.resource for c in req.candidates)
                    if req.label == "equipment" and ids:
                        kind = equipment_type.get(next(iter(sorted(ids))), "equipment")
                        add(ResourceClass("equipment", kind, ids, needs=frozenset({ids})))
                    elif ids and self.resources[next(iter(ids))].kind == "people":
                        add(ResourceClass("people", skill_of.get(step) or "qualified", ids,
                                          req.amount, frozenset({ids})))
        for family in self.problem.batches:
            if any(m.group == gid for m in family.members):
                add(ResourceClass("qc", family.id, frozenset({family.id})))
                if family.requirement is not None:
                    assay = scenario.assays_by_id.get(family.id)
                    skill = assay.skill if assay is not None and assay.skill else "qc"
                    ids = frozenset(c.resource for c in family.requirement.candidates)
                    add(ResourceClass("people", skill, ids, family.requirement.amount,
                                      frozenset({ids})))
        order = {"people": 0, "suites": 1, "equipment": 2, "qc": 3}
        return sorted(found.values(), key=lambda c: (order[c.kind], c.name))

    def _fit(self, gid: str, book: Book, *, deadline: int | None = None,
             relax: Iterable[ResourceClass] = (), calendars: bool = False,
             only: tuple[int, int] | None = None) -> CoreSolution | None:
        """The order placed against ``book`` with ``relax`` given more capacity (available
        only during ``only``, when given), or None."""
        if self.deadline is not None and time.monotonic() >= self.deadline:
            raise OutOfTime(gid)
        tasks = self.tasks_of[gid]
        group: Group = dataclasses.replace(self.groups[gid], optional=True,
                                           unscheduled_cost=10**9)
        if deadline is not None:
            tasks = [dataclasses.replace(t, latest_end=deadline if t.latest_end is None
                                         else min(t.latest_end, deadline))
                     if t.id == group.end_task else t for t in tasks]
        sub = subproblem(self.problem, [group], tasks, book, self.problem.horizon)
        sub = _relaxed(sub, tuple(relax), calendars, only)
        solution = solve_core(sub, self.params)
        self.fits += 1
        if solution.feasible and solution.present.get(gid, False):
            return solution
        return None

    # ------------------------------------------------------------------ words
    def _phrase(self, gid: str, cls: ResourceClass, fit: CoreSolution
                ) -> tuple[str, tuple[datetime, datetime] | None]:
        window = self._use_window(cls, fit)
        days = self._span(window)
        if cls.kind == "suites":
            return f"suites {_id_range(cls.resources)} {self._taken(cls, window)} {days}", \
                window
        if cls.kind == "equipment":
            return (f"every {cls.name} ({_id_range(cls.resources)}) "
                    f"{self._taken(cls, window, 'taken')} {days}", window)
        if cls.kind == "qc":
            return f"{cls.name} run capacity full {days}", window
        who = f"{cls.name}-qualified operator" + (" pair" if cls.amount == 2 else "") \
            if cls.amount <= 2 else f"{cls.amount} {cls.name}-qualified operators"
        steps = self._extra_steps(cls, fit)
        if 1 <= len(steps) <= 3:
            # Name the steps that lacked people, each with its own time: more useful than one
            # window spanning the days between them.
            days = " and ".join(f"for {step} {self._span((a, b))}" for step, a, b in steps)
        return f"no {who} free on shift {days}{self._within_stability(gid, window)}", window

    def _taken(self, cls: ResourceClass, window: tuple[datetime, datetime] | None,
               booked: str = "fully booked") -> str:
        """``down`` when every unit of the class is down over the window (the record to name
        is the outage), ``booked or down`` when some are, else ``booked``."""
        if window is None:
            return booked
        lo, hi = self.tl.tick_floor(window[0]), self.tl.tick_ceil(window[1])
        down = [r for r in cls.resources if any(
            s < hi and e > lo for s, e in self.resources[r].unavailable)]
        if down and len(down) == len(cls.resources):
            return "down"
        return f"{booked} or down ({_id_range(down)})" if down else booked

    def _extra_steps(self, cls: ResourceClass, fit: CoreSolution
                     ) -> list[tuple[str, datetime, datetime]]:
        """The order's steps that used the extra unit of ``cls``, in time order."""
        extra = f"{VIRTUAL}{cls.key}"
        return [(tid.split("/", 1)[1], self.tl.moment(t.start), self.tl.moment(t.end))
                for tid, t in sorted(fit.tasks.items(), key=lambda kv: kv[1].start)
                if any(r == extra for req in t.choice for r, _ in req)]

    def _calendar_phrase(self, gid: str, cls: ResourceClass, fit: CoreSolution
                         ) -> tuple[str, tuple[datetime, datetime] | None]:
        window = self._use_window(cls, fit) or self._start_window(gid)
        days = self._span(window)
        if cls.kind == "people":
            return (f"no {cls.name}-qualified operator on shift {days}"
                    f"{self._within_stability(gid, window)}", window)
        if cls.kind == "qc":
            return f"no {cls.name} run can start {days} (start windows)", window
        return f"{cls.name} {_id_range(cls.resources)} down {days}", window

    def _time_phrase(self, gid: str, deadline: int | None) -> str:
        window = self._start_window(gid)
        if deadline is not None:
            return ("even alone on the site it cannot be released by its due date: the "
                    "shortest process from its arrival, with shifts, QC start windows and "
                    f"holidays, ends later (could start {self._span(window)})")
        stability = self._stability(gid)
        order = self.orders[gid]
        ends = order.latest_first_start  # None exactly when there is no stability window
        if ends is not None and ends <= order.arrival:
            # A specimen_delay can move the arrival past the window (input that says so is
            # refused by validate): name both moments rather than an empty window.
            return (f"its {stability} stability window ended {self._fmt(ends)}, before the "
                    f"specimen arrives {self._fmt(order.arrival)}")
        if stability and window:
            return (f"its {stability} stability window ({self._span(window)}) leaves no "
                    "time to start it, even alone on the site")
        return (f"it cannot start and finish inside the planning horizon "
                f"(could start {self._span(window)}), even alone on the site")

    # ------------------------------------------------------------------ helpers
    def _use_window(self, cls: ResourceClass, fit: CoreSolution
                    ) -> tuple[datetime, datetime] | None:
        holds = {h.id: h for h in self.problem.holds}
        # Where the relaxed placement used the extra capacity is where the order lacked it.
        spans = self._extra_spans(cls, fit)
        if spans:
            return (self.tl.moment(min(s for s, _ in spans)),
                    self.tl.moment(max(e for _, e in spans)))
        if cls.kind == "suites":
            for hold_id, resource in fit.holds.items():
                hold = holds[hold_id]
                if resource in cls.resources:
                    spans.append((fit.tasks[hold.first].start, fit.tasks[hold.last].end))
        elif cls.kind == "qc":
            spans += [(run.start, run.start + self._family_duration(cls.name))
                      for run in fit.runs if run.family == cls.name]
        else:
            for result in fit.tasks.values():
                if any(r in cls.resources for req in result.choice for r, _ in req):
                    spans.append((result.start, result.end))
            spans += [(run.start, run.start + self._family_duration(run.family))
                      for run in fit.runs
                      if any(r in cls.resources for r, _ in run.choice)]
        if not spans:
            return None
        return (self.tl.moment(min(s for s, _ in spans)), self.tl.moment(max(e for _, e in spans)))

    def _extra_spans(self, cls: ResourceClass, fit: CoreSolution, *, runs: bool = True
                     ) -> list[tuple[int, int]]:
        """Tick spans of the holds, tasks (and QC runs) that used the extra unit of ``cls``."""
        extra = f"{VIRTUAL}{cls.key}"
        holds = {h.id: h for h in self.problem.holds}
        spans = [(fit.tasks[holds[h].first].start, fit.tasks[holds[h].last].end)
                 for h, r in fit.holds.items() if r == extra]
        spans += [(t.start, t.end) for t in fit.tasks.values()
                  if any(r == extra for req in t.choice for r, _ in req)]
        if runs:
            spans += [(run.start, run.start + self._family_duration(run.family))
                      for run in fit.runs if any(r == extra for r, _ in run.choice)]
        return spans

    def _start_window(self, gid: str) -> tuple[datetime, datetime] | None:
        tasks = self.tasks_of[gid]
        first = min(t.earliest_start for t in tasks)
        latest = [t.latest_start for t in tasks if t.latest_start is not None]
        last = min(latest) if latest else self.tl.horizon_end
        return self.tl.moment(first), self.tl.moment(max(first, last))

    def _family_duration(self, family_id: str) -> int:
        return next(f.duration for f in self.problem.batches if f.id == family_id)

    def _stability(self, gid: str) -> str | None:
        order = self.orders[gid]
        if order.stability is None:
            return None
        hours = order.stability / 60
        return f"{hours:g} h"

    def _within_stability(self, gid: str, window: tuple[datetime, datetime] | None) -> str:
        """``, within the 48 h stability window of X`` when the window starts inside it."""
        stability = self._stability(gid)
        deadline = self.orders[gid].latest_first_start
        if stability and window and deadline and window[0] <= deadline:
            return f", within the {stability} stability window of {gid}"
        return ""

    def _release(self, gid: str) -> datetime:
        end_task = self.groups[gid].end_task or ""
        return self.tl.moment(self.solution.tasks[end_task].end)

    def _late_by(self, gid: str) -> int:
        group = self.groups[gid]
        end = self.solution.tasks.get(group.end_task or "")
        if end is None or group.due is None:
            return 0
        return max(0, end.end - group.due)

    def _fmt(self, moment: datetime) -> str:
        return moment.astimezone(self.tl.tz).strftime("%Y-%m-%d %H:%M")

    def _span(self, window: tuple[datetime, datetime] | None) -> str:
        if window is None:
            return "in the horizon"
        return f"{self._fmt(window[0])}…{self._fmt(window[1])}"


VIRTUAL = "+extra:"
"""Prefix of the resources a relaxation adds (one more suite, unit or qualified pair)."""


def _relaxed(sub: CoreProblem, relax: tuple[ResourceClass, ...], calendars: bool,
             only: tuple[int, int] | None = None) -> CoreProblem:
    """``sub`` with one more unit of each class in ``relax`` - a suite, an equipment unit, a
    qualified operator (pair) working whenever any of the class works, more QC runs a day -
    or, with ``calendars``, with the class's calendars opened (nobody off shift, nothing down).

    Extra capacity is a *new* resource rather than more of an existing one: people pools mix
    skills, and one more member of a pool would also add the pool's other skills.
    """
    if not relax:
        return sub
    if calendars:
        return _open_calendars(sub, relax)
    resources = {r.id: r for r in sub.resources}
    added: list[Resource] = []
    extra_of: dict[frozenset[str], list[str]] = defaultdict(list)
    for cls in relax:
        if cls.kind == "qc":
            continue
        members = [resources[r] for r in sorted(cls.resources) if r in resources]
        if not members:
            continue
        unavailable = _common(m.unavailable for m in members) if cls.kind == "people" else ()
        if only is not None:
            unavailable = tuple(merge_spans([*unavailable, (0, only[0]),
                                             (only[1], sub.horizon + 1)]))
        extra = Resource(f"{VIRTUAL}{cls.key}", cls.amount if cls.kind == "people" else 1,
                         unavailable, members[0].setup, members[0].kind)
        added.append(extra)
        for need in cls.needs:
            extra_of[need].append(extra.id)

    def widened(candidates: tuple[Candidate, ...]) -> tuple[Candidate, ...]:
        ids = frozenset(c.resource for c in candidates)
        return candidates + tuple(Candidate(rid) for rid in extra_of.get(ids, ()))

    tasks = tuple(dataclasses.replace(t, modes=tuple(dataclasses.replace(m, requirements=tuple(
        dataclasses.replace(req, candidates=widened(req.candidates))
        for req in m.requirements)) for m in t.modes)) for t in sub.tasks)
    holds = tuple(dataclasses.replace(h, candidates=h.candidates + tuple(
        extra_of.get(frozenset(h.candidates), ()))) for h in sub.holds)
    families = {f for cls in relax if cls.kind == "qc" for f in cls.resources}
    batches = []
    for family in sub.batches:
        if family.id in families:
            family = dataclasses.replace(family,
                                         slots_per_span=family.slots_per_span + EXTRA_SLOTS)
        if family.requirement is not None:
            requirement = dataclasses.replace(
                family.requirement, candidates=widened(family.requirement.candidates))
            family = dataclasses.replace(family, requirement=requirement)
        batches.append(family)
    return dataclasses.replace(sub, resources=sub.resources + tuple(added), tasks=tasks,
                               holds=holds, batches=tuple(batches))


def _open_calendars(sub: CoreProblem, relax: tuple[ResourceClass, ...]) -> CoreProblem:
    ids = {r for cls in relax if cls.kind != "qc" for r in cls.resources}
    families = {f for cls in relax if cls.kind == "qc" for f in cls.resources}
    resources = tuple(dataclasses.replace(r, unavailable=()) if r.id in ids else r
                      for r in sub.resources)
    # Shift-fit start windows are derived from the calendars: open them too.
    tasks = tuple(dataclasses.replace(t, allowed_starts=None) if any(
        c.resource in ids for m in t.modes for req in m.requirements
        for c in req.candidates) else t for t in sub.tasks)
    batches = tuple(dataclasses.replace(f, allowed_starts=None) if f.id in families or (
        f.requirement is not None and any(c.resource in ids for c in f.requirement.candidates))
        else f for f in sub.batches)
    return dataclasses.replace(sub, resources=resources, tasks=tasks, batches=batches)


def _common(calendars: Iterable[tuple[tuple[int, int], ...]]) -> tuple[tuple[int, int], ...]:
    """Spans unavailable in *every* calendar (the extra person works when anyone does)."""
    result: list[tuple[int, int]] | None = None
    for spans in calendars:
        if result is None:
            result = list(spans)
            continue
        out = []
        for a0, a1 in result:
            for b0, b1 in spans:
                lo, hi = max(a0, b0), min(a1, b1)
                if lo < hi:
                    out.append((lo, hi))
        result = sorted(out)
    return tuple(result or ())


def _id_range(ids: Iterable[str]) -> str:
    """``S01–S07`` for a run of ids, else the ids joined (a planner reads the range)."""
    names = sorted(ids)
    if not names:
        return ""
    if len(names) == 1:
        return names[0]
    if len(names) <= 3:
        return ", ".join(names)
    return f"{names[0]}–{names[-1]}"


NOT_EXPLAINED = ("not explained within this run's budget: `suitesched explain SCENARIO --plan "
                 "plan.json` names the binding resource")


def explain_solution(compiled: Compiled, solution: CoreSolution, *,
                     params: SolveParams = ONE_ORDER, orders: Iterable[str] | None = None,
                     max_models: int | None = None, max_seconds: float | None = None
                     ) -> dict[str, Explanation]:
    """Explanations of the unscheduled and late orders of ``solution`` (or of ``orders``).

    With ``max_models`` (a count: reproducible) or ``max_seconds`` (wall clock), orders are
    explained in turn until the budget is spent; the rest are left out.
    """
    explainer = Explainer(compiled, solution, params)
    pending = explainer.pending() if orders is None else list(orders)
    return _explain_within(explainer, pending, max_models, max_seconds)


class OutOfTime(Exception):
    """The wall-clock budget of an explanation ended before its next model."""


def _explain_within(explainer: Explainer, pending: list[str], max_models: int | None,
                    max_seconds: float | None) -> dict[str, Explanation]:
    """Explain ``pending`` in turn. A model count is checked between orders (a started
    explanation finishes: reproducible); wall-clock seconds also stop an explanation midway,
    and that order is left out with the rest."""
    if max_seconds is not None:
        explainer.deadline = time.monotonic() + max_seconds
    out: dict[str, Explanation] = {}
    for gid in pending:
        if max_models is not None and explainer.fits >= max_models:
            break
        try:
            out[gid] = explainer.explain(gid)
        except OutOfTime:
            break
    return out


PLAN_MODELS = 80
"""One-order models a reproducible plan (one with a deterministic limit) may spend on the
``reason`` of its orders; `explain` has no such budget."""
REASON_SHARE = 0.15
"""Share of a wall-clock time limit kept back from the solve for the reasons, so that planning
and explaining together take about the limit (a one-order model costs 0.1-0.3 s at 50 orders
and about a second at 400)."""
MIN_REASON_SECONDS = 3.0
SECONDS_PER_REASON = 1.0
"""Seconds kept back per order to explain, beyond :data:`MIN_REASON_SECONDS`."""


def reason_seconds(orders: int) -> float:
    """The seconds the reasons of ``orders`` unscheduled or late orders are given: the rest
    of the time kept back for the reasons may go to the search."""
    return MIN_REASON_SECONDS + SECONDS_PER_REASON * orders


def solve_share(time_limit: float | None) -> float | None:
    """The part of ``time_limit`` the solver gets; the rest is for the reasons."""
    return None if time_limit is None else time_limit * (1 - REASON_SHARE)


def plan_reasons(compiled: Compiled, solution: CoreSolution, *,
                 seconds_left: float | None = None,
                 max_deterministic_time: float | None = None,
                 known: dict[str, str] | None = None) -> dict[str, str]:
    """The ``reason`` of every unscheduled and late order for a plan's ``orders`` table,
    unscheduled orders first, within what is left of the time limit (or, for a reproducible
    plan, :data:`PLAN_MODELS` models); orders past the budget say how to get theirs. Orders
    in ``known`` keep the reason given there (a re-plan's untouched orders)."""
    known = known or {}
    explainer = Explainer(compiled, solution)
    every = explainer.pending()
    pending = [gid for gid in every if gid not in known]
    if max_deterministic_time is not None or seconds_left is None:
        done = _explain_within(explainer, pending, PLAN_MODELS, None)
    else:
        done = _explain_within(explainer, pending, None,
                               max(MIN_REASON_SECONDS, seconds_left))
    return {gid: known[gid] if gid in known else done[gid].reason if gid in done
            else NOT_EXPLAINED for gid in every}


def explain(scenario: Scenario, plan: Plan, *, now: datetime | str | None = None,
            orders: Iterable[str] | None = None) -> list[Explanation]:
    """Why the unscheduled and late orders of ``plan`` (or ``orders``) are so (SPEC §4.4).

    ``plan`` must satisfy every hard rule on ``scenario`` (see :func:`suitesched.check_plan`;
    a plan that does not names its colliding records there). The capacity every other order
    books is read from the plan itself, so the answer is about *this* plan.
    """
    from suitesched.planning.compile import compile_scenario
    from suitesched.planning.plan_solution import solution_from_plan
    from suitesched.planning.solve import resolve_now

    moment = resolve_now(scenario, now if now is not None else plan.now)
    compiled = compile_scenario(scenario, moment)
    solution = solution_from_plan(compiled, plan)
    return list(explain_solution(compiled, solution, orders=orders).values())
