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


@dataclasses.dataclass
class Book:
    """Capacity taken so far, per resource, and the QC runs made so far."""

    booked: dict[str, list[tuple[int, int, int]]] = dataclasses.field(
        default_factory=lambda: defaultdict(list))
    runs: dict[str, list[RunResult]] = dataclasses.field(
        default_factory=lambda: defaultdict(list))


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
    resources = tuple(dataclasses.replace(
        r, booked=tuple(b for b in book.booked.get(r.id, ()) if b[0] < limit and b[1] > floor),
        unavailable=tuple(u for u in r.unavailable if u[0] < limit and u[1] > floor))
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
