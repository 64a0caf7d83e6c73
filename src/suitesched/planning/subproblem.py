"""Sub-problems over a few orders against capacity booked by the rest of a plan.

The greedy insertion (one order at a time) and the fix-and-optimise improvement (a handful of
orders at a time) both solve small exact models in which everything outside the chosen orders
is *booked* capacity: suite holds with their changeover, equipment, people, and QC runs that
newcomers may still join while they have room.
"""

from __future__ import annotations

import dataclasses
from collections import defaultdict
from collections.abc import Collection

from suitesched.core.problem import (
    BatchFamily,
    BatchMember,
    CoreProblem,
    FixedRun,
    Group,
    Hold,
    Resource,
)
from suitesched.core.solution import CoreSolution, RunResult

BLOCKERS = (3, 6)
"""A late or unscheduled order is also freed with the orders that hold its resources where it
wants to start: first the top 3 of them, then the top 6."""
BLOCKER_WINDOW_DAYS = 2
"""How far after its earliest start an order's blockers are looked for."""


@dataclasses.dataclass
class Book:
    """Capacity taken so far, per resource, and the QC runs made so far."""

    booked: dict[str, list[tuple[int, int, int]]] = dataclasses.field(
        default_factory=lambda: defaultdict(list))
    runs: dict[str, list[RunResult]] = dataclasses.field(
        default_factory=lambda: defaultdict(list))

    def all_runs(self) -> list[RunResult]:
        """Every QC run booked so far, as a solution lists them."""
        return [run for runs in self.runs.values() for run in runs]


def subproblem(problem: CoreProblem, groups: list[Group], tasks: list, book: Book,
               limit: int, avoid: Collection[str] = frozenset()) -> CoreProblem:
    """The orders ``groups`` (with their ``tasks``) against ``book``, up to tick ``limit``."""
    group_ids = {g.id for g in groups}
    ids = {t.id for t in tasks}
    es = earliest_ends(tasks, [lag for lag in problem.lags if lag.succ in ids])
    # Nothing of these orders can happen before their earliest start: older bookings and
    # calendar gaps are irrelevant and only make the model bigger.
    floor = min(t.fixed_start if t.fixed_start is not None else t.earliest_start
                for t in tasks)
    families = []
    for family in problem.batches:
        members = tuple(m for m in family.members if m.group in group_ids)
        if not members:
            continue
        open_runs = _runs_for(family, members, book, floor)
        spans = family.slot_spans
        if spans is not None:
            lo = min(es[m.after] for m in members if m.after) if any(
                m.after for m in members) else 0
            spans = tuple(sp for sp in spans if sp[0] < limit and sp[1] > lo)
        families.append(dataclasses.replace(family, members=members, fixed_runs=open_runs,
                                            slots_per_span=1, slot_spans=spans))
    holds = tuple(_avoiding(h, avoid) for h in problem.holds if h.group in group_ids)
    # Only the resources these orders can use: the others' bookings would only make the
    # model bigger (most of a large site's people, suites and equipment are irrelevant).
    used = {c.resource for t in tasks for mode in t.modes for req in mode.requirements
            for c in req.candidates}
    used |= {r for h in holds for r in h.candidates}
    used |= {c.resource for f in families if f.requirement for c in f.requirement.candidates}
    used |= {r for f in families for run in f.fixed_runs for r, _ in run.choice}
    # Per resource, only the bookings these orders could meet: a QA reviewer's bookings in the
    # order's first week, or a suite's after its stability window closed, cannot collide with
    # it (400 booked orders: 1,300 booked intervals per one-order model -> see RESULTS.md).
    reach = resource_reach(problem, tasks, families, holds, limit)
    resources = tuple(dataclasses.replace(
        r, booked=_within(book.booked.get(r.id, ()), reach.get(r.id, (floor, limit))),
        unavailable=_within(r.unavailable, reach.get(r.id, (floor, limit))))
        for r in problem.resources if r.id in used)
    return dataclasses.replace(
        problem, horizon=limit, resources=resources,
        groups=tuple(groups),
        tasks=tuple(tasks), lags=tuple(lag for lag in problem.lags if lag.succ in ids),
        holds=holds,
        batches=tuple(families))


def record(problem: CoreProblem, sub: CoreProblem, solution: CoreSolution, book: Book,
           result: CoreSolution) -> None:
    """Add a sub-problem's solution to ``result`` and book its capacity."""
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
    fixed_ids = {(f.id, r.id) for f in sub.batches for r in f.fixed_runs}
    for run in solution.runs:
        runs = book.runs[run.family]
        existing = next((i for i, r in enumerate(runs) if r.id == run.id), None)
        if (run.family, run.id) in fixed_ids and existing is None:
            runs.append(run)  # a kept run whose samples all belong to the re-solved orders
            continue
        if (run.family, run.id) in fixed_ids and existing is not None:
            old = runs[existing]
            runs[existing] = dataclasses.replace(
                old, members=old.members + tuple(m for m in run.members if m not in old.members))
            continue
        taken = {r.id for r in runs}
        new_id = next(f"{run.family}#n{k}" for k in range(len(runs) + 1)
                      if f"{run.family}#n{k}" not in taken)
        runs.append(dataclasses.replace(run, id=new_id))
        requirement = families[run.family].requirement
        hands_on = requirement.duration if requirement and requirement.duration else 0
        for resource, units in run.choice:
            book.booked[resource].append((run.start, run.start + hands_on, units))


def _runs_for(family: BatchFamily, members: tuple[BatchMember, ...], book: Book,
              floor: int) -> tuple[FixedRun, ...]:
    """Runs the re-solved samples may use: booked runs with room (a closed, started run only
    for its own samples), and kept runs holding these samples."""
    held = {r.id: r for r in family.fixed_runs}
    mine = {m.id for m in members}
    out = []
    booked_ids = set()
    for run in book.runs.get(family.id, []):
        booked_ids.add(run.id)
        kept = held.get(run.id)
        own = tuple(m for m in kept.members if m in mine) if kept else ()
        closed = kept is not None and kept.closed
        if own or (not closed and len(run.members) < family.capacity and run.start >= floor):
            out.append(FixedRun(run.id, run.start, run.members + own, closed=closed))
    for kept in family.fixed_runs:
        own = tuple(m for m in kept.members if m in mine)
        if kept.id not in booked_ids and own:
            out.append(FixedRun(kept.id, kept.start, own, kept.choice, closed=kept.closed))
    return tuple(out)


def earliest_ends(tasks: list, lags: list) -> dict[str, int]:
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


def task_reach(tasks: list, lags: list, families: list[BatchFamily], limit: int
               ) -> dict[str, tuple[int, int]]:
    """Earliest start and latest end of each task below ``limit``: release dates, deadlines
    and the lags propagated both ways, with a sample's run between its task and the task that
    waits for the result. Bounds only; the model decides the rest."""
    ids = {t.id for t in tasks}
    shortest = {t.id: min(m.duration for m in t.modes) for t in tasks}
    longest = {t.id: max(m.duration for m in t.modes) for t in tasks}
    lo: dict[str, int] = {}
    hi: dict[str, int] = {}
    for t in tasks:
        if t.fixed_start is not None:
            lo[t.id] = hi[t.id] = t.fixed_start
            continue
        lo[t.id] = t.earliest_start
        top = limit - shortest[t.id]
        if t.latest_start is not None:
            top = min(top, t.latest_start)
        if t.latest_end is not None:
            top = min(top, t.latest_end - shortest[t.id])
        hi[t.id] = top
    links = [(lag.pred, lag.succ, lag.from_ == "end", lag.min, lag.max) for lag in lags
             if lag.pred in ids and lag.succ in ids]
    links += [(m.after, m.before, True, f.duration, None) for f in families for m in f.members
              if m.after in ids and m.before in ids]
    for _ in range(len(tasks) + 1):
        changed = False
        for pred, succ, from_end, low, high in links:
            lo_ref = lo[pred] + (shortest[pred] if from_end else 0)
            hi_ref = hi[pred] + (longest[pred] if from_end else 0)
            bounds = (max(lo[succ], lo_ref + low),
                      hi[succ] if high is None else min(hi[succ], hi_ref + high),
                      min(hi[pred], hi[succ] - low - (shortest[pred] if from_end else 0)),
                      lo[pred] if high is None else max(
                          lo[pred], lo[succ] - high - (longest[pred] if from_end else 0)))
            if bounds != (lo[succ], hi[succ], hi[pred], lo[pred]):
                lo[succ], hi[succ], hi[pred], lo[pred] = bounds
                changed = True
        if not changed:
            break
    return {t: (lo[t], max(lo[t], hi[t]) + longest[t]) for t in lo}


def resource_reach(problem: CoreProblem, tasks: list, families: list[BatchFamily],
                   holds: tuple[Hold, ...], limit: int) -> dict[str, tuple[int, int]]:
    """The span in which ``tasks`` (their holds and QC runs) could use each resource."""
    ids = {t.id for t in tasks}
    reach = task_reach(tasks, [lag for lag in problem.lags if lag.succ in ids], families, limit)
    setup = {r.id: r.setup for r in problem.resources}
    spans: dict[str, list[tuple[int, int]]] = defaultdict(list)
    for t in tasks:
        for mode in t.modes:
            for req in mode.requirements:
                for c in req.candidates:
                    spans[c.resource].append(reach[t.id])
    for h in holds:
        if h.first in reach and h.last in reach:
            for r in h.candidates:
                spans[r].append((reach[h.first][0], reach[h.last][1] + setup.get(r, 0)))
    for f in families:
        hands_on = (f.requirement.duration or f.duration) if f.requirement else f.duration
        for m in f.members:
            first = m.release if m.release is not None else (
                reach[m.after][0] if m.after in reach else 0)
            last = limit
            if m.after in reach and m.max_age is not None:
                last = reach[m.after][1] + m.max_age
            if m.before in reach:
                last = min(last, reach[m.before][1])
            for c in (f.requirement.candidates if f.requirement else ()):
                spans[c.resource].append((first, max(first, last) + hands_on))
        for run in f.fixed_runs:
            for r, _ in run.choice:
                spans[r].append((run.start, run.start + hands_on))
    return {r: (min(s for s, _ in sp), max(e for _, e in sp)) for r, sp in spans.items()}


def _within(spans, reach: tuple[int, int]) -> tuple:
    lo, hi = reach
    return tuple(s for s in spans if s[0] < hi and s[1] > lo)


def _avoiding(hold: Hold, avoid: Collection[str]) -> Hold:
    kept = tuple(c for c in hold.candidates if c not in avoid)
    return dataclasses.replace(hold, candidates=kept) if kept else hold


def book_from(problem: CoreProblem, solution: CoreSolution, keep: set[str]) -> Book:
    """The capacity that the groups in ``keep`` take in ``solution``."""
    book = Book()
    group_of = {t.id: t.group for t in problem.tasks}
    setup = {r.id: r.setup for r in problem.resources}
    holds = {h.id: h for h in problem.holds}
    for task_id, result in solution.tasks.items():
        if group_of[task_id] in keep:
            for requirement in result.choice:
                for resource, units in requirement:
                    book.booked[resource].append((result.start, result.end, units))
    for hold_id, resource in solution.holds.items():
        hold = holds[hold_id]
        if hold.group in keep and hold.first in solution.tasks:
            book.booked[resource].append((solution.tasks[hold.first].start,
                                          solution.tasks[hold.last].end + setup[resource], 1))
    member_group = {m.id: m.group for f in problem.batches for m in f.members}
    hands_on = {f.id: (f.requirement.duration or 0) if f.requirement else 0
                for f in problem.batches}
    for run in solution.runs:
        kept = tuple(m for m in run.members if member_group.get(m) in keep)
        if not kept:
            continue
        book.runs[run.family].append(dataclasses.replace(run, members=kept))
        for resource, units in run.choice:
            book.booked[resource].append((run.start, run.start + hands_on[run.family], units))
    return book


def blockers(problem: CoreProblem, solution: CoreSolution, group_id: str, count: int,
             day_ticks: int, on: Collection[str] | None = None) -> list[str]:
    """The ``count`` orders that book most of ``group_id``'s resources (or of the resources
    ``on``) in the days it wants.

    Pairs by arrival rarely free a late or unscheduled order: what stands in its way is
    whoever holds its people, suites and equipment in the days after it could start, and
    those orders must move together with it. Ties go by order id, for determinism.
    """
    tasks = [t for t in problem.tasks if t.group == group_id]
    if not tasks:
        return []
    wanted = set(on) if on is not None else wanted_resources(problem, group_id)
    start = min(t.earliest_start for t in tasks)
    end = start + BLOCKER_WINDOW_DAYS * day_ticks
    group_of = {t.id: t.group for t in problem.tasks}
    overlap: dict[str, int] = defaultdict(int)

    def count_use(other: str, first: int, last: int) -> None:
        if other != group_id and first < end and last > start:
            overlap[other] += min(last, end) - max(first, start)

    for task_id, result in solution.tasks.items():
        if any(resource in wanted for requirement in result.choice for resource, _ in requirement):
            count_use(group_of[task_id], result.start, result.end)
    for hold in problem.holds:
        resource = solution.holds.get(hold.id)
        if resource in wanted and hold.first in solution.tasks:
            count_use(hold.group, solution.tasks[hold.first].start,
                      solution.tasks[hold.last].end)
    return sorted(overlap, key=lambda g: (-overlap[g], g))[:count]


def wanted_resources(problem: CoreProblem, group_id: str) -> set[str]:
    """Every resource one of the order's tasks or suite holds may use."""
    wanted = {c.resource for t in problem.tasks if t.group == group_id for mode in t.modes
              for req in mode.requirements for c in req.candidates}
    return wanted | {r for h in problem.holds if h.group == group_id for r in h.candidates}


def merge_move(problem: CoreProblem, base: CoreSolution, keep: set[str], sub: CoreProblem,
               solution: CoreSolution, book: Book) -> CoreSolution:
    """``base`` with the groups outside ``keep`` replaced by a sub-problem's ``solution``."""
    group_of = {t.id: t.group for t in problem.tasks}
    hold_group = {h.id: h.group for h in problem.holds}
    merged = CoreSolution(status="FEASIBLE", objective=None, bound=base.bound,
                          wall_seconds=base.wall_seconds)
    merged.present = {g: (base.present.get(g, False) if g in keep
                          else solution.present.get(g, False)) for g in base.present}
    merged.tasks = {t: r for t, r in base.tasks.items() if group_of[t] in keep}
    merged.holds = {h: r for h, r in base.holds.items() if hold_group[h] in keep}
    record(problem, sub, solution, book, merged)
    merged.runs = book.all_runs()
    return merged
