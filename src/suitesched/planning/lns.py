"""Fix-and-optimise improvement around an incumbent plan (large-neighbourhood search).

Repeatedly free a handful of orders that compete for the same days — first around orders that
are late or unscheduled, then in sliding windows by arrival and by crew day, then the
slowest orders with the orders whose crew work is in their way, and an order that stays late
with every order that started production ahead of it — keep everything else as
booked capacity, and re-solve the small exact model warm-started from the incumbent. A move
is kept only when the whole plan's objective improves, so the result is never worse than the
input.
A new plan on two cores tries two moves at once and keeps the better; the other, if it also
improved, is solved again on top of it (moves of different orders may compete for the same
capacity). With a deterministic budget the sequence of moves, and so the plan, is
reproducible.
"""

from __future__ import annotations

import dataclasses
import time
from collections import defaultdict, deque
from concurrent.futures import ThreadPoolExecutor

from suitesched.core.evaluate import objective_value
from suitesched.core.problem import BatchFamily, BatchMember, CoreProblem, Group, Lag, Task
from suitesched.core.solution import CoreSolution
from suitesched.planning.blame import in_the_way
from suitesched.planning.explain import reason_seconds
from suitesched.planning.greedy import ONE_ORDER, ONE_ORDER_MODEL
from suitesched.planning.subproblem import (
    BLOCKERS,
    blockers,
    book_from,
    merge_move,
    subproblem,
    task_reach,
)
from suitesched.solver.run import SolveParams, solve_core

MOVE_SECONDS = 10.0
"""Most wall seconds one small move gets."""
MOVE_BUDGET = 2.0
"""Deterministic seconds per move. A move is solved like a one-order insertion (one worker, no
presolve, no LP): booked 93-order site, 60 s: 124 moves instead of 17, objective 38,604 ->
38,258 (RESULTS.md)."""
MIN_MOVE_CHARGE = 0.05
"""Deterministic seconds a move is charged at least. Without presolve CP-SAT counts far less
deterministic time than its search over the booked intervals takes (0.07 for 2.4 s at 400
orders), so an uncharged budget of a few seconds allowed hundreds of moves."""
MOVE_SLACK_DAYS = 1
"""A move's orders may end up to this long after the last of them ends now."""
PARTNERS = 6
"""How many nearest orders (by arrival) a late or unscheduled order is paired with."""
CHUNK = 2
"""Orders freed per move: small moves solve to optimality fast and were measured best."""
SLOW = 10
"""The orders that wait longest beyond their earliest possible end (when not late) are freed
with their blockers too: on booked sites most of the cost is such waiting, not lateness."""
REPAIR_AGAIN_AFTER = 8
"""Every this many kept moves, the orders still late or out are queued for repair again,
first in line: the moves since may have made room. Booked 400-order seed-4 site
(deterministic limit 20): the plan ended with an order 83 h late whose first repair move,
tried on that final plan, put it on time in 0.4 s (206,679 -> 181,614); the sweep it was
last tried in had hundreds of moves still to go."""
RELEASE_RIVALS = 15
"""A late order whose release step (the QA review) waits for its people is also freed, as a
window, with up to this many orders whose release step starts within a day of its own: the
orders holding the reviewers' slots it needs (see :func:`release_rivals`)."""
WAYS_AROUND = 3
"""A late or unscheduled order is also freed with the orders in its way should one of the
first this many in its way stay where it is (see :func:`repair_moves`)."""
CREW_RIVALS = 5
"""Orders freed with a slow order in a crew move: those whose crew work lies most in the day
before each of its own crew steps (see :func:`crew_moves`)."""
CREW_SLOW = 30
"""How many of the slowest orders get a crew move per sweep."""
ROUNDS = 3
"""Sweeps of one width while they improve."""
MAX_CHUNK = 4
"""Once sweeps of pairs stop improving, sweeps of 3 and then 4 orders use the time left
(booked 100-order site: pairs converged after 50 of 60 s)."""
ALONE_AGAIN_SHARE = 0.05
"""Once this share of the time has passed (and a move was kept since), each order still late
or out is freed alone, first in line: the moves since may have freed a slot it fits in on its
own. On the final 120 s plan of the booked 400-order seed-6 site (8 late), two late orders
were each put on time by such a move in 0.1 s; the repairs queued every
:data:`REPAIR_AGAIN_AFTER` kept moves had not come round to them again. With these moves and
the reasons' time (:func:`improve`) the site ended with 2 late, 174,105 instead of 190,686,
and the booked 100-order seed-51 site with 1 late instead of 2; but four other 400-order
sites ended worse (seed 2: 3 late instead of none). Kept on large sites too: with these
moves off (the reasons' time kept), seven booked 400-order sites ended 0.76 % lower in sum
with 20 late orders against 21, but the paired differences run from -8,351 to +12,903: 1,406
lower per site, standard error 2,658: no clear sign either way. The two largest gains are
these moves' (seed 6: 7 late to 2; seed 51 at 100 orders: 2 late to 1). Queuing the full repair
moves of every such order as often instead took the time of all other moves there (17 late,
257,472; RESULTS.md)."""
PEOPLE = "people"
"""The kind of the compiled people pools (operators, analysts, reviewers)."""
PARALLEL_MOVES = 2
"""Moves tried at once in a new plan with 2 or more workers, one per core."""
WINDOW = 10
"""Orders freed per window move: consecutive orders by arrival, each window overlapping the
next by half. Once the small moves have converged (or had :data:`WINDOWS_AT` of the time), a
new plan sweeps the site in such windows, two at once like other moves (and again, shifted,
after one round of small moves, whenever a sweep paid). From the small
moves' converged 60 s plan on the booked 100-order seed-6 site, such windows found 842 more
in 57 s; within 60 s, the gap went from 6.0 to 3.9 % (RESULTS.md)."""
WINDOW_MODEL: dict[str, object] = {"cp_model_probing_level": 0, "linearization_level": 0}
"""A window move is solved with CP-SAT's presolve, but without presolve probing and without
the LP relaxation. Without presolve as well, as small moves are solved, windows found about as
much but the sweep as a whole did worse on the booked 100-order sites. Probing took most of a
window's first seconds (first solution at 1.3-1.9 s on average, 0.3 s without it), and neither
it nor the LP found more: every window of the 60 s plans of seeds 1, 3 and 6, each solved from
the same plan, gained 1,554 in all instead of 1,332, in 27 % less time (RESULTS.md)."""
WINDOW_SECONDS = 4.0
"""Most wall seconds one window move gets."""
WINDOW_BUDGET = 0.05
"""Most deterministic seconds one window move gets. Solved with the incumbent's cost as a
cut-off, a window that improves finds its best placement early: replayed from 60 s runs of
the booked 100-order seeds 24, 13 and 26, every window's gain at 0.4 (about what 4 s of wall
time counts) was found within 0.05 but on one window of seed 13 (-2 % of that run's window
gains), in 54-66 % of the wall time; the rest went to proving that nothing cheaper exists.
The time saved goes to more windows: over 42 sites the 60 s gap fell from 3.91 to 3.47 % on
average, and 38 instead of 33 came within 5 % (RESULTS.md)."""
RELEASE_QUEUE_BUDGET = 0.4
"""Most deterministic seconds a :class:`ReleaseQueue` gets. It frees a late order, so it is
solved from its warm start without the cut-off and must find the repair, not only prove that
nothing is cheaper: at :data:`WINDOW_BUDGET` the booked seed-20 site's late order stayed
late (60 s: 1 late, 6.59 % above the bound; at this budget none late and 4.14 %)."""
OVERTAKEN_MAX = 32
"""Most orders an :class:`Overtaken` move frees with its late order."""
OVERTAKEN_SECONDS = 30.0
"""Most wall seconds an :class:`Overtaken` move gets."""
OVERTAKEN_BUDGET = 1.0
"""Most deterministic seconds an :class:`Overtaken` move gets. Solved from the 60 s plans of
the booked 100-order seeds 50, 53 and 59 (one order late each), the move put the order on time
in 0.18, 0.41 and 1.0 deterministic seconds (1.9, 4.2 and 33 s); at 0.4 the seed-59 move
found nothing (RESULTS.md)."""
OVERTAKEN_AT = 0.4
"""Share of the improvement's time after which an order still late or out gets its
:class:`Overtaken` move, if the moves have not converged with it late before."""
OVERTAKEN_LATE = 2
"""Most orders late or out for :data:`OVERTAKEN_AT` to apply. With more, their cheap repair
moves still pay, and the Overtaken moves took both cores for most of the rest of the time
(booked seed-51 site, 6 orders late at 24 s of 60: 16 and 25 s, 4 late at the end against 3;
RESULTS.md)."""
WINDOWS_AT = 0.4
"""Share of the improvement's time after which the window sweep starts, if the pairs have
not converged before. Once the round of a sweep that paid is over, the windows are swept
again, shifted (see :func:`arrival_windows`), while time is left."""


def neighbourhoods(problem: CoreProblem, solution: CoreSolution, size: int,
                   focus: set[str] | None = None, day_ticks: int | None = None,
                   index: GroupIndex | None = None) -> list[list[str] | WaysAround]:
    """Groups to free together: each bad group first (with the orders in its way and its
    blockers, :func:`repair_moves`, then with its neighbours by arrival), then the slowest
    groups with their blockers, then sliding windows, then the slowest groups with their
    crew rivals (:func:`crew_moves`: last, because on the booked 100-order sites they pay
    once the cheap pairs have converged, and first they crowded out the moves that pay early).

    With ``focus`` (a re-plan: the orders events touched), only the focus groups are freed,
    each with its nearest competitors: the rest of the plan is meant to stay (and a move that
    would end any freed order later, or drop it, is refused: see :func:`improve`).
    """
    order = arrival_order(problem)
    position = {g: i for i, g in enumerate(order)}
    out: list[list[str] | WaysAround] = []
    bad = bad_groups(problem, solution)
    if focus is None and day_ticks is not None:
        out += repair_moves(problem, solution, [g for g in order if g in bad], day_ticks)
    for gid in order:
        if (gid in focus) if focus is not None else gid in bad:
            # Pair a late or missing order with each of its nearest competitors in turn.
            i = position[gid]
            near = sorted((j for j in range(len(order)) if j != i), key=lambda j: abs(j - i))
            out += [[gid, order[j]] for j in near[:PARTNERS]]
    if focus is None and day_ticks is not None:
        # Refinements after repairs: a missing order is worth far more than any wait.
        slow = [g for g in slowest_groups(problem, solution, index) if g not in bad]
        out += blocker_moves(problem, solution, slow[:SLOW], day_ticks)
    if focus is None:
        step = max(1, size // 2)
        out += [order[i:i + size] for i in range(0, max(1, len(order) - size + 1), step)]
    if focus is None and day_ticks is not None:
        out += crew_moves(problem, solution, slow[:CREW_SLOW], day_ticks)
    return out


def arrival_order(problem: CoreProblem) -> list[str]:
    """Group ids by the earliest start of their first task (their arrival), then id."""
    first_start: dict[str, int] = defaultdict(lambda: 10**9)
    for task in problem.tasks:
        first_start[task.group] = min(first_start[task.group], task.earliest_start)
    return sorted((g.id for g in problem.groups), key=lambda g: (first_start[g], g))


class Window(list):
    """A window move's orders (see :data:`WINDOW`): solved with presolve
    (:data:`WINDOW_MODEL`), not like a one-order insertion."""


def arrival_windows(problem: CoreProblem, width: int | None = None,
                    sweep: int = 0) -> list[Window]:
    """Runs of ``width`` (by default :data:`WINDOW`) consecutive orders by arrival, each
    overlapping the next by half. Each later ``sweep`` shifts the runs by half a step more
    (a quarter of the width, rounded down; modulo the step), so that orders the last sweep
    split apart are freed together."""
    width = width or WINDOW
    order = arrival_order(problem)
    step = max(1, width // 2)
    shift = sweep * max(1, step // 2) % step
    starts = list(range(shift, max(1, len(order) - width + 1), step))
    if not starts or starts[0] > 0:
        starts.insert(0, 0)  # the first orders get a window too
    if starts[-1] + width < len(order):
        starts.append(len(order) - width)  # and the last
    return [Window(order[i:i + width]) for i in starts]


def crew_day_windows(problem: CoreProblem, solution: CoreSolution, day_ticks: int,
                     width: int | None = None, shift: int = 0) -> list[Window]:
    """Per day of the plan, the ``width`` (by default :data:`WINDOW`) orders whose people
    work most that day, as a window, in the order of the days; each set of orders once.
    Days start ``shift`` ticks after the timeline's start.

    Windows by arrival free orders that arrive together; but on a given day the crew
    harvests orders that arrived a week or more before while it starts new ones, and which of
    them gets the morning decides which makes the sterility run. A window of that day's
    orders can trade those places. Put first in each window sweep (shifted by half a day
    every other sweep), they changed the deterministic-12 gaps of seven booked 100-order sites
    by -2.45 to +0.63 points, -0.56 on average, and 4 of 7 came within 5 % instead of 2
    (seed 31 6.60 -> 4.15 %, seed 16 5.41 -> 4.61 %; seed 24 8.27 -> 8.90 %). At the end of
    each sweep instead, they changed the gaps by -0.66 to +0.16 points (RESULTS.md)."""
    width = width or WINDOW
    by_day: dict[int, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    for start, end, group in crew_work(problem, solution):
        for day in range((start - shift) // day_ticks, (end - 1 - shift) // day_ticks + 1):
            lo, hi = shift + day * day_ticks, shift + (day + 1) * day_ticks
            by_day[day][group] += min(end, hi) - max(start, lo)
    out: list[Window] = []
    seen: set[frozenset[str]] = set()
    for day in sorted(by_day):
        work = by_day[day]
        chosen = sorted(work, key=lambda g: (-work[g], g))[:width]
        if len(chosen) > 1 and frozenset(chosen) not in seen:
            seen.add(frozenset(chosen))
            out.append(Window(chosen))
    return out


@dataclasses.dataclass(frozen=True)
class GroupIndex:
    """Per order: its tasks, and the earliest its end task could end (steps, lags and QC run
    lengths only: no calendars, no competition). Built once per improvement: every sweep
    reads it."""

    tasks_of: dict[str, list[Task]]
    earliest_end: dict[str, int]

    @classmethod
    def of(cls, problem: CoreProblem) -> GroupIndex:
        tasks_of: dict[str, list[Task]] = defaultdict(list)
        for task in problem.tasks:
            tasks_of[task.group].append(task)
        group_of = {t.id: t.group for t in problem.tasks}
        lags_of: dict[str, list[Lag]] = defaultdict(list)
        for lag in problem.lags:
            lags_of[group_of[lag.succ]].append(lag)
        families_of: dict[str, list[BatchFamily]] = defaultdict(list)
        for family in problem.batches:
            members_of: dict[str, list[BatchMember]] = defaultdict(list)
            for member in family.members:
                members_of[member.group].append(member)
            for group, members in members_of.items():
                families_of[group].append(dataclasses.replace(family, members=tuple(members)))
        earliest_end = {}
        for group in problem.groups:
            tasks = tasks_of[group.id]
            last = next((t for t in tasks if t.id == group.end_task), None)
            if last is None:
                continue
            reach = task_reach(tasks, lags_of[group.id], families_of[group.id], problem.horizon)
            earliest_end[group.id] = reach[last.id][0] + min(m.duration for m in last.modes)
        return cls(tasks_of, earliest_end)


def slowest_groups(problem: CoreProblem, solution: CoreSolution,
                   index: GroupIndex | None = None) -> list[str]:
    """Scheduled groups by how long after their earliest possible end they end (steps, lags
    and QC run lengths only: no calendars, no competition), longest wait first."""
    index = index or GroupIndex.of(problem)
    wait: dict[str, int] = {}
    for group in problem.groups:
        end = solution.tasks.get(group.end_task or "")
        if not solution.present.get(group.id) or end is None or group.id not in index.earliest_end:
            continue
        wait[group.id] = end.end - index.earliest_end[group.id]
    return sorted(wait, key=lambda g: (-wait[g], g))


def bad_groups(problem: CoreProblem, solution: CoreSolution) -> set[str]:
    """The groups that are unscheduled or end after their due tick."""
    return {group.id for group in problem.groups if is_bad(group, solution)}


def is_bad(group: Group, solution: CoreSolution) -> bool:
    """Whether ``group`` is unscheduled in ``solution`` or ends there after its due tick."""
    if not solution.present.get(group.id):
        return True
    end = solution.tasks.get(group.end_task or "")
    return bool(end and group.due is not None and end.end > group.due)


def crew_work(problem: CoreProblem, solution: CoreSolution) -> list[tuple[int, int, str]]:
    """Start, end and order of every placed task that people work on."""
    people = {r.id for r in problem.resources if r.kind == PEOPLE}
    group_of = {t.id: t.group for t in problem.tasks}
    return [(result.start, result.end, group_of[task_id])
            for task_id, result in solution.tasks.items()
            if any(resource in people for requirement in result.choice
                   for resource, _ in requirement)]


def crew_moves(problem: CoreProblem, solution: CoreSolution, slow: list[str],
               day_ticks: int) -> list[list[str]]:
    """Each slow order with its crew rivals: the orders whose people work most from a day
    before each of the slow order's own crew steps to two hours after it.

    A booked site's orders mostly wait for people: a pair of operators at the harvest or the
    formulation, a day late, makes the sample miss a QC run day. Whoever works in the hours
    just before such a step is what keeps it from moving earlier, wherever in the process the
    step is - unlike :func:`blocker_moves`, which look at the days after the order could
    start. From a converged plan (booked 100-order site, seed 3), moves of 6 orders chosen so
    lowered the objective 39,936 -> 39,105 in 60 s where pairs by arrival found nothing.
    """
    crew = crew_work(problem, solution)
    crew_of: dict[str, list[tuple[int, int]]] = defaultdict(list)
    for start, end, group in crew:
        crew_of[group].append((start, end))
    lead, tail = day_ticks, max(1, day_ticks // 12)
    out = []
    for gid in slow:
        windows = [(start - lead, end + tail) for start, end in crew_of[gid]]
        overlap: dict[str, int] = defaultdict(int)
        for start, end, group in crew:
            if group == gid:
                continue
            for lo, hi in windows:
                if start < hi and end > lo:
                    overlap[group] += min(end, hi) - max(start, lo)
        if overlap:
            out.append([gid, *sorted(overlap, key=lambda g: (-overlap[g], g))[:CREW_RIVALS]])
    return out


def blocker_moves(problem: CoreProblem, solution: CoreSolution, bad: list[str],
                  day_ticks: int) -> list[list[str]]:
    """Each bad group with its top blockers: all the narrow moves first, then the wide."""
    ranked = {gid: blockers(problem, solution, gid, max(BLOCKERS), day_ticks) for gid in bad}
    return [[gid, *others[:width]] for width in BLOCKERS for gid, others in ranked.items()]


def repair_moves(problem: CoreProblem, solution: CoreSolution, bad: list[str],
                 day_ticks: int) -> list[list[str] | WaysAround]:
    """Each late or unscheduled group first with the orders in its way (those holding what
    keeps it from its due date where it would be: :func:`~suitesched.planning.blame.in_the_way`),
    then with its top blockers (:func:`blocker_moves`), then - if that did not repair it - with
    the orders in its way should one of the first in its way stay (:class:`WaysAround`), and
    last, should its release step wait for its people, with the orders holding them
    (:class:`ReleaseQueue`, a window of its :func:`release_rivals`).
    Narrow moves first; the wide ones are :class:`Wide`, dropped once the order is on time.
    The moves with the orders in its way are :class:`Repair` moves, which must put no other
    order late; blocker moves may (as :class:`Repair` moves, the seed-20 site's late order
    stayed late: deterministic limit 12, 63,373 against 40,968)."""
    ways = {gid: in_the_way(problem, solution, gid, max(BLOCKERS), ONE_ORDER) for gid in bad}
    queues = {gid: release_rivals(problem, solution, gid, day_ticks) for gid in bad}
    return [*_widening({gid: [way] for gid, way in ways.items()}),
            *(Wide(move) if len(move) > 1 + BLOCKERS[0] else move
              for move in blocker_moves(problem, solution, bad, day_ticks)),
            *(WaysAround(gid, tuple(way[:WAYS_AROUND])) for gid, way in ways.items() if way),
            *(ReleaseQueue([gid, *rivals]) for gid, rivals in queues.items() if rivals)]


def release_rivals(problem: CoreProblem, solution: CoreSolution, gid: str,
                   day_ticks: int) -> list[str]:
    """The orders queued for the same release step as a served order ``gid`` whose release
    step waits (:func:`start_of_release_step_waits`): those whose end task starts from a day
    before its end task to a day after it, on a resource its end task could use; nearest in
    time first, at most :data:`RELEASE_RIVALS`; none if its release step does not wait.

    A late order whose QA review waits for the reviewers is kept late by the orders that took
    the slots before it, whatever their arrival: the booked seed-20 site's order ended 9 h late
    behind the Monday reviews of 13 orders arriving over two weeks, and no move by arrival,
    in-the-way or blocker freed them. As one window with them it was on time (deterministic
    12 plan: 40,968.25 -> 40,068.25, 0.4 deterministic seconds)."""
    by_id = {t.id: t for t in problem.tasks}
    groups = {g.id: g for g in problem.groups}

    def release_step(group_id: str) -> tuple[Task, int] | None:
        task = by_id.get(groups[group_id].end_task or "")
        placed = solution.tasks.get(task.id) if task is not None else None
        if not solution.present.get(group_id) or task is None or placed is None:
            return None
        return task, placed.start

    own = release_step(gid)
    if own is None or not start_of_release_step_waits(problem, solution, own[0]):
        return []
    task, start = own

    def units(step_task: Task) -> set[str]:
        return {c.resource for mode in step_task.modes for req in mode.requirements
                for c in req.candidates}

    own_units = units(task)
    rivals = []
    for other in groups:
        step = release_step(other) if other != gid else None
        if step is not None and start - day_ticks <= step[1] < start + day_ticks \
                and own_units & units(step[0]):
            rivals.append((abs(step[1] - start), step[1], other))
    return [other for _, _, other in sorted(rivals)[:RELEASE_RIVALS]]


@dataclasses.dataclass(frozen=True)
class WaysAround:
    """In the queue of moves: once reached, if ``group`` is still late or out, the moves that
    free it with the orders in its way should one of the first :data:`WAYS_AROUND` orders
    in its way stay where it is (:func:`ways_around`). Finding each takes a dozen one-order
    models, so only for orders the moves before did not repair: computed for every late
    order at once, they held up the first moves on the booked seed-16 site by 17 s.
    ``staying`` are the orders that were first in its way when the marker was queued."""

    group: str
    staying: tuple[str, ...]


def ways_around(problem: CoreProblem, solution: CoreSolution, marker: WaysAround
                ) -> list[list[str]]:
    """The moves of a :class:`WaysAround`: narrow first, each way once."""
    return _widening({marker.group: [
        in_the_way(problem, solution, marker.group, max(BLOCKERS), ONE_ORDER, staying=other)
        for other in marker.staying]})


class Wide(list):
    """A wide move (:data:`BLOCKERS`) queued for the late or unscheduled order first in it
    (:func:`repair_moves`): dropped from the queue if that order is on time and served by
    the time it is reached. A narrow move often repairs the order first, or another order's
    move does; wide moves (7 orders) cost seconds each on a large site and then only shuffle
    waiting (booked 400-order seed-1 site at 120 s: 62 repair moves took 69 s of the 70 s
    fix-and-optimise had, leaving 20 pair moves against 483 before them). Narrow moves are
    cheap and kept: dropping them too left an order late on the booked seed-10 site."""


class Repair(list):
    """A move that frees a late or unscheduled order with orders in its way: kept only if it
    makes no other order late or drops it, unless it leaves fewer orders late or out than
    before (:func:`trades_late_orders`). Trading one late order for another rarely ends
    well: the order pushed late has usually started days before and cannot move back (booked
    seed-20 site: a harvest at the end of an 8-day expansion; the order stayed late to the
    end), while a way around it that puts no other order late was the next move. Two or
    more put on time for one put late is progress, though: the booked seed-51 site, with 12
    orders late in the greedy plan, refused such a move (5 late to 4, 569,220 cheaper) and
    ended with 3 late, 51.5 % above the bound; keeping it, 2 late and 44.1 % (RESULTS.md)."""


def trades_late_orders(bad_before: set[str], bad_after: set[str]) -> bool:
    """Whether a move that leaves ``bad_after`` late or unscheduled (``bad_before`` before it)
    puts another order late or out without leaving fewer such orders: a :class:`Repair` move
    that does is not kept."""
    return bool(bad_after - bad_before) and len(bad_after) >= len(bad_before)


class WideRepair(Repair, Wide):
    """A wide :class:`Repair` move: dropped, like any :class:`Wide` move, once its order is on
    time."""


def start_of_release_step_waits(problem: CoreProblem, solution: CoreSolution,
                                task: Task) -> bool:
    """Whether the placed end ``task`` starts later than its placed predecessors (steps and
    QC runs) allow: it waits for its people (or their shift), not for its own order."""
    placed = solution.tasks[task.id]
    ready = 0
    for lag in problem.lags:
        if lag.succ == task.id and (pred := solution.tasks.get(lag.pred)) is not None:
            ready = max(ready, (pred.start if lag.from_ == "start" else pred.end) + lag.min)
    members = {m.id for family in problem.batches for m in family.members
               if m.before == task.id}
    for run in solution.runs:
        if members.intersection(run.members):
            ready = max(ready, run.end)
    return placed.start > max(ready, task.earliest_start)


class ReleaseQueue(WideRepair, Window):
    """A late order with its :func:`release_rivals`: solved as a :class:`Window` (a dozen
    orders), kept as a :class:`Repair`, dropped as a :class:`Wide` move once it is on time."""


class Overtaken(Wide, Window):
    """A late order with the orders that overtook it (:func:`overtakers`): solved as a
    :class:`Window` with a larger budget (:data:`OVERTAKEN_BUDGET`) and, unlike the other
    moves that free a late order, with the cut-off - kept only if the whole plan is cheaper,
    whoever ends late then; dropped, as a :class:`Wide` move, once its order is on time."""


def overtakers(problem: CoreProblem, solution: CoreSolution, gid: str,
               index: GroupIndex) -> list[str]:
    """The orders that took a suite (:func:`suite_starts`) from the earliest ``gid`` could
    start to when it took its own in ``solution``: those that took the days it could have
    had, at most :data:`OVERTAKEN_MAX`, the latest first; none if ``gid`` is out of the plan.

    An order started later than it could have been loses its days to a queue of orders
    started in between, and it is on time only if that whole queue shifts a little: on the
    booked seed-59 site, an order that could have been received at 272 h started production
    at 442 h and was released 58 h late; freed with the 28 orders that started in between,
    24 of them moved (most by hours) and every order was on time (3,049,500 -> 2,338,620),
    while freed with the first 8, 12 or 16 of them nothing cheaper existed (RESULTS.md)."""
    starts = suite_starts(problem, solution, index)
    own = starts.get(gid)
    if own is None:
        return []
    earliest = min(t.earliest_start for t in index.tasks_of[gid])
    between = [(start, other) for other, start in starts.items()
               if other != gid and earliest <= start <= own]
    return [other for _, other in sorted(between, reverse=True)[:OVERTAKEN_MAX]]


def suite_starts(problem: CoreProblem, solution: CoreSolution,
                 index: GroupIndex) -> dict[str, int]:
    """Per served order, when it first takes a suite (the first task of its first hold), or
    when its first task starts if it holds none.

    Not its first task: a specimen is received on arrival, or days later when the suites are
    full, and waits in stability until production starts."""
    starts: dict[str, int] = {}
    for hold in problem.holds:
        placed = solution.tasks.get(hold.first)
        if placed is not None and solution.present.get(hold.group):
            starts[hold.group] = min(starts.get(hold.group, placed.start), placed.start)
    for group in problem.groups:
        if group.id in starts or not solution.present.get(group.id):
            continue
        placed = [solution.tasks[t.id].start for t in index.tasks_of[group.id]
                  if t.id in solution.tasks]
        if placed:
            starts[group.id] = min(placed)
    return starts


def _widening(ways: dict[str, list[list[str]]]) -> list[list[str]]:
    """Each group with the first few orders of each of its ways, then with more of them
    (:data:`BLOCKERS`), as :class:`Repair` moves; no move twice."""
    narrow, wide = BLOCKERS
    moves: list[list[str]] = []
    for width in (narrow, wide):
        for gid, others_of in ways.items():
            for others in others_of:
                chunk = (Repair if width == narrow else WideRepair)([gid, *others[:width]])
                if others and (width == narrow or len(others) > narrow) and chunk not in moves:
                    moves.append(chunk)
    return moves


def queue_after_repairs(pending: deque[list[str] | WaysAround], moves: list[list[str]],
                        bad: set[str]) -> None:
    """Put ``moves`` in ``pending`` right after the last move queued that frees one of the
    ``bad`` orders first (its repair moves), or first in line if there is none.

    The cheap repairs go first: on the booked seed-16 site the time for the Overtaken move
    came 0.2 s before a pair already queued put the order on time, and the Overtaken move,
    taken first, spent 19 s on a costlier trade that left another order late (60 s: 10.56 %
    above the bound, 1 late, against 4.33 %, none late; RESULTS.md)."""
    def repairs(item: list[str] | WaysAround) -> bool:
        return item.group in bad if isinstance(item, WaysAround) else bool(item) and item[0] in bad

    last = max((i for i, item in enumerate(pending) if repairs(item)), default=-1)
    for offset, move in enumerate(moves):
        pending.insert(last + 1 + offset, move)


def _next_moves(problem: CoreProblem, solution: CoreSolution,
                pending: deque[list[str] | WaysAround], count: int) -> list[list[str]]:
    """Up to ``count`` moves from the head of ``pending``; a :class:`WaysAround` reached on
    the way is replaced by its moves, and a :class:`Wide` move is taken, only while its
    group is still bad in ``solution``."""
    chunks: list[list[str]] = []
    bad = bad_groups(problem, solution)
    while pending and len(chunks) < count:
        item = pending.popleft()
        if isinstance(item, WaysAround):
            if item.group in bad:
                pending.extendleft(reversed(ways_around(problem, solution, item)))
        elif not isinstance(item, Wide) or item[0] in bad:
            chunks.append(item)
    return chunks


def improve(
    problem: CoreProblem,
    incumbent: CoreSolution,
    *,
    time_limit: float,
    params: SolveParams,
    size: int = CHUNK,
    focus: set[str] | None = None,
    day_ticks: int | None = None,
    reason_reserve: float = 0.0,
) -> CoreSolution:
    """Improve ``incumbent`` by fix-and-optimise moves within ``time_limit`` seconds (or the
    deterministic budget of ``params``); never returns a worse solution. ``day_ticks`` (ticks
    per day) enables the moves that free a bad order with its blockers.

    A new plan with 2 or more workers tries two moves at once, one per core, both against the
    same incumbent (see :class:`_Moves`); a re-plan's repair stays one move at a time.

    ``reason_reserve`` seconds, kept back by the caller to explain unscheduled and late
    orders, are used too, but for what the reasons of the plan's late and unscheduled
    orders need (:func:`~suitesched.planning.explain.reason_seconds`); with none, all of it
    (booked 100-order sites: every order served on time, and 60 s limits planned for 51 s).
    Keeping all of it back while an order was late left most of it unused: the booked
    400-order seed-6 site explained its 8 late orders in 0.5 s of the 18 s kept back.
    Should the last move make an order late, the reasons still get their minimum few
    seconds."""
    started = time.monotonic()
    budget = params.max_deterministic_time
    spent = 0.0
    best = incumbent
    best_value = objective_value(problem, best)
    moves = _Moves(problem, GroupIndex.of(problem), day_ticks, params.seed)
    at_once = PARALLEL_MOVES if params.workers >= 2 and focus is None else 1
    rounds = 0
    kept_since_repairs = 0  # moves kept since the late orders' repair moves were last queued
    # When the bad orders were last freed alone, and the plan's value then.
    alone_at, alone_from = 0.0, best_value
    bad_now = bad_groups(problem, best)  # the late or unscheduled orders of ``best``
    reserve = _usable(reason_reserve, bad_now)
    # A re-plan's repair frees each touched order once with its competitors; a new plan
    # sweeps again while the sweep improves, then with wider moves while time is left.
    max_rounds = 1 if focus is not None else ROUNDS
    # Once the small moves have had their share of the time (or converged first), one sweep
    # of window moves; then the small moves again, wider, with whatever is left. Not while an
    # order is late or out: repairing it is worth far more than any wait, and windows took
    # the time of those repairs (booked 400-order site at 120 s: 8 late, 243,604, against
    # 2 late, 171,075 without windows).
    windows = arrival_windows(problem) if focus is None and day_ticks is not None \
        and len(problem.groups) > WINDOW else []
    sweeps, swept_from = 0, best_value  # window sweeps queued; the value when the last began
    # Each late or unscheduled order gets one Overtaken move: once the moves have converged
    # with it late, or once the share OVERTAKEN_AT of the time is spent (booked seed-50 site:
    # the order stayed late from 24 s to the end of a 60 s run; its Overtaken move, 1.9 s,
    # put it on time; RESULTS.md).
    overtaken_for: set[str] = set()
    first_next: list[list[str]] = []

    def share_spent() -> float:
        if budget is not None:
            return spent / budget if budget else 1.0
        return (time.monotonic() - started) / time_limit if time_limit else 1.0

    def windows_due(pairs_converged: bool) -> bool:
        if not windows or bad_now:
            return False
        return pairs_converged or share_spent() >= WINDOWS_AT

    def overtaken_moves() -> list[list[str]]:
        """An :class:`Overtaken` move for each late or unscheduled order that has not had
        one yet (none in a re-plan's repair)."""
        if focus is not None or day_ticks is None:
            return []
        untried = sorted(bad_now - overtaken_for)
        overtaken_for.update(untried)
        return [Overtaken([gid, *others]) for gid in untried
                if (others := overtakers(problem, best, gid, moves.index))]

    def queue_windows(pending: deque[list[str] | WaysAround]) -> None:
        """Put the windows by crew day of the plan as it is now (:func:`crew_day_windows`)
        first in line, then the sweep's windows by arrival, and note where the sweep began."""
        nonlocal windows, sweeps, swept_from
        if day_ticks is not None:  # always so, when there are windows
            windows = crew_day_windows(problem, best, day_ticks,
                                       shift=(sweeps % 2) * (day_ticks // 2)) + windows
        pending.extendleft(reversed(windows))
        windows, sweeps, swept_from = [], sweeps + 1, best_value

    with ThreadPoolExecutor(max_workers=at_once) as pool:
        while True:
            rounds += 1
            improved = False
            pending = deque(neighbourhoods(problem, best, size, focus, day_ticks, moves.index))
            pending.extendleft(reversed(first_next))
            first_next = []
            if windows_due(pairs_converged=rounds == 1 and size > CHUNK):
                queue_windows(pending)
            while pending:
                left = time_limit + reserve - (time.monotonic() - started)
                if budget is not None:
                    # Deterministic mode: only the deterministic budget stops the search.
                    left = 1e9
                if left < 0.5 or (budget is not None and spent >= budget):
                    return best
                if windows_due(pairs_converged=False):
                    queue_windows(pending)
                if bad_now - overtaken_for and len(bad_now) <= OVERTAKEN_LATE \
                        and share_spent() >= OVERTAKEN_AT:
                    queue_after_repairs(pending, overtaken_moves(), bad_now)
                if bad_now and best_value < alone_from and focus is None \
                        and share_spent() - alone_at >= ALONE_AGAIN_SHARE:
                    pending.extendleft([gid] for gid in sorted(bad_now, reverse=True))
                    alone_at, alone_from = share_spent(), best_value
                chunks = _next_moves(problem, best, pending, at_once)
                if not chunks:
                    continue
                # Moves made at once share what is left of a deterministic budget.
                share = (budget - spent) / len(chunks) if budget is not None else None
                tried_at_once = [pool.submit(moves.solve, best, chunk,
                                             *_limits(chunk, left, share))
                                 for chunk in chunks]
                tried = [future.result() for future in tried_at_once]
                spent += sum(max(dtime, MIN_MOVE_CHARGE) for _, dtime in tried)
                kept: list[tuple[int, int, CoreSolution]] = []
                bad_before = bad_now
                for k, (candidate, _) in enumerate(tried):
                    if candidate is None:
                        continue
                    if focus is not None and _someone_worse(moves.groups, chunks[k], best,
                                                            candidate):
                        continue
                    if isinstance(chunks[k], Repair) and \
                            trades_late_orders(bad_before, bad_groups(problem, candidate)):
                        continue
                    value = objective_value(problem, candidate)
                    if value < best_value:
                        kept.append((value, k, candidate))
                if not kept:
                    continue
                # The best move wins (the first on a tie: reproducible); another move that
                # also improved was solved against the old incumbent, so it is tried again -
                # a window is first made on top, if its orders still fit as it placed them
                # (solving a window again costs seconds; re-solving small moves instead of
                # combining them planned better: seed-2 site, 37,541 against 38,084).
                kept.sort(key=lambda item: (item[0], item[1]))
                value, k, candidate = kept[0]
                for other_value, i, other in kept[1:]:
                    if not isinstance(chunks[i], Window):
                        pending.appendleft(chunks[i])
                        continue
                    combined, dtime = moves.combine(candidate, chunks[i], other)
                    spent += max(dtime, MIN_MOVE_CHARGE)
                    # Kept only with the whole of its own gain: its orders placed as it
                    # placed them (each order's cost depends on its own placement only).
                    wanted = value - (best_value - other_value)
                    if combined is not None and \
                            (combined_value := objective_value(problem, combined)) <= wanted:
                        candidate, value = combined, combined_value
                    else:
                        pending.appendleft(chunks[i])
                bad_now = bad_groups(problem, candidate)
                if focus is None and day_ticks is not None:
                    # An order this move pushed out or late is freed with its blockers next,
                    # not a whole sweep later; so, every few kept moves, is an order still
                    # late: the moves since may have made room for its repair.
                    kept_since_repairs = (kept_since_repairs + 1) % REPAIR_AGAIN_AFTER
                    to_repair = bad_now if kept_since_repairs == 0 else bad_now - bad_before
                    pending.extendleft(reversed(
                        repair_moves(problem, candidate, sorted(to_repair), day_ticks)))
                best, best_value, improved = candidate, value, True
                reserve = _usable(reason_reserve, bad_now)
            if focus is None and sweeps and not windows and not bad_now \
                    and best_value < swept_from:
                # The round of the last window sweep is over and the sweep (or the small
                # moves after it) paid: the next sweep, shifted, starts the next round at
                # once, rather than after more rounds of pairs and the growth to wider moves
                # (RESULTS.md: over 42 booked 100-order sites at 60 s, 3.37 % above the
                # bound on average instead of 3.47 %, and 39 within 5 % instead of 38).
                windows, rounds = arrival_windows(problem, sweep=sweeps), 0
                continue
            if improved and rounds < max_rounds:
                continue
            if bad_now - overtaken_for:
                # The moves have converged with an order late or out: it is freed with the
                # orders that overtook it, first in the next round.
                first_next = overtaken_moves()
                if first_next:
                    continue
            if focus is not None or size >= MAX_CHUNK:
                # Every move has converged and no sweep is due: the last found nothing, an
                # order is late or out, or (a re-plan's repair) there are no windows.
                break
            size, rounds = size + 1, 0
    return best


def _usable(reason_reserve: float, bad: set[str]) -> float:
    """The part of ``reason_reserve`` the moves may use while ``bad`` orders are late or out:
    all of it but what their reasons need (:func:`~suitesched.planning.explain.reason_seconds`)."""
    return max(0.0, reason_reserve - reason_seconds(len(bad))) if bad else reason_reserve


def _limits(chunk: list[str], left: float, share: float | None) -> tuple[float, float, bool]:
    """A move's wall limit, deterministic limit and whether only the latter counts (with
    ``share``, the deterministic time left per move tried at once)."""
    if isinstance(chunk, Overtaken):
        seconds, budget = OVERTAKEN_SECONDS, OVERTAKEN_BUDGET
    elif isinstance(chunk, ReleaseQueue):
        seconds, budget = WINDOW_SECONDS, RELEASE_QUEUE_BUDGET
    elif isinstance(chunk, Window):
        seconds, budget = WINDOW_SECONDS, WINDOW_BUDGET
    else:
        seconds, budget = MOVE_SECONDS, MOVE_BUDGET
    return min(left, seconds), budget if share is None else min(budget, share), share is not None


class _Moves:
    """One fix-and-optimise move: free ``chunk``, book the rest of ``base`` as it is, and
    solve the small exact model warm-started from ``base``. Safe to run in two threads at
    once (CP-SAT solves outside the interpreter lock, and each move builds its own model)."""

    def __init__(self, problem: CoreProblem, index: GroupIndex, day_ticks: int | None,
                 seed: int) -> None:
        self.problem = problem
        self.index = index
        self.day_ticks = day_ticks
        self.seed = seed
        self.groups = {g.id: g for g in problem.groups}

    def solve(self, base: CoreSolution, chunk: list[str], time_limit: float,
              move_budget: float, deterministic: bool) -> tuple[CoreSolution | None, float]:
        """The plan with the move made (None when the move found nothing), and the move's
        deterministic time. A small move is solved like a one-order insertion
        (``ONE_ORDER_MODEL``); a :class:`Window` with CP-SAT's presolve. Only placements
        that cost less than ``base``'s are solutions (a move is kept only then), unless the
        move frees a late or unscheduled order (:meth:`_frees_a_bad_order`) and is not an
        :class:`Overtaken` move."""
        params = SolveParams(time_limit=None if deterministic else time_limit,
                             workers=1, seed=self.seed,
                             extra=WINDOW_MODEL if isinstance(chunk, Window) else ONE_ORDER_MODEL,
                             max_deterministic_time=move_budget)
        return self._solve(base, chunk, params, base,
                           only_better=isinstance(chunk, Overtaken)
                           or not self._frees_a_bad_order(base, chunk))

    def _frees_a_bad_order(self, base: CoreSolution, chunk: list[str]) -> bool:
        """Whether ``chunk`` holds an order that is late or out of ``base``.

        Such a move is solved without the cut-off, as it was before there was one: CP-SAT
        starts from the warm start and improves on it. With the cut-off it finds an equally
        cheap but different placement from scratch, and which placement a repair returns
        steers the repairs of the late orders after it: on the booked seed-26 site, two of
        three 60 s runs with the cut-off on every move ended with the second of two late
        orders still late (46,067.25, 14 % above the bound; RESULTS.md)."""
        return any(is_bad(self.groups[gid], base) for gid in chunk)

    def combine(self, base: CoreSolution, chunk: list[str],
                other: CoreSolution) -> tuple[CoreSolution | None, float]:
        """``base`` with the orders of ``chunk`` re-placed by CP-SAT's first solution when
        warm-started from where ``other`` - a window move solved against an older plan -
        placed them (None if it finds none).

        Two windows tried at once often both improve. Solving the second again against the
        plan with the first made costs seconds; most of the time its orders still fit where
        it put them, and then the first solution is that placement, found in milliseconds.
        The caller keeps the result only when it has all of ``other``'s gain. (Fixing every
        variable to its hint instead found even an unchanged placement infeasible.)"""
        params = SolveParams(time_limit=None, workers=1, seed=self.seed,
                             extra={**ONE_ORDER_MODEL, "stop_after_first_solution": True},
                             max_deterministic_time=MOVE_BUDGET)
        return self._solve(base, chunk, params, other)

    def _solve(self, base: CoreSolution, chunk: list[str], params: SolveParams,
               hint: CoreSolution, only_better: bool = False
               ) -> tuple[CoreSolution | None, float]:
        problem = self.problem
        keep = set(self.groups) - set(chunk)
        book = book_from(problem, base, keep)
        sub = subproblem(problem, [self.groups[g] for g in chunk],
                         [t for g in chunk for t in self.index.tasks_of[g]], book,
                         move_limit(problem, base, [self.groups[g] for g in chunk],
                                    self.day_ticks))
        # The rest of the plan is booked as it is, so the whole plan improves exactly when
        # the freed orders' own cost drops below what they cost in ``base``.
        below = objective_value(sub, base) if only_better else None
        solution = solve_core(sub, params, hint=hint, objective_below=below)
        if not solution.feasible:
            return None, solution.deterministic_time
        return merge_move(problem, base, keep, sub, solution, book), solution.deterministic_time


def move_limit(problem: CoreProblem, solution: CoreSolution, chunk: list[Group],
               day_ticks: int | None) -> int:
    """The horizon of a move: a day after the last of its orders now ends, or the whole
    horizon when one of them is out of the plan.

    Freed orders that all end later than the last of them does now rarely lower the cost,
    and the shorter horizon leaves out every booking after it: moves of 7 orders on the
    booked 100-order site solved several times faster (RESULTS.md).
    """
    ends = []
    for group in chunk:
        end = solution.tasks.get(group.end_task or "")
        if not solution.present.get(group.id) or end is None:
            return problem.horizon
        ends.append(end.end)
    if any(g.due is not None and end > g.due for g, end in zip(chunk, ends, strict=True)):
        # A late order's repair may need an order in its way to end later than any of them
        # ends now, though not after its own due date (seed-20 site: 58 h late without).
        ends += [g.due for g in chunk if g.due is not None]
    slack = MOVE_SLACK_DAYS * day_ticks if day_ticks else 0
    return min(problem.horizon, max(ends) + slack)


def _someone_worse(groups: dict, chunk: list[str], before: CoreSolution,
                   after: CoreSolution) -> bool:
    """A re-plan's repair moves nobody to a later end, nor out of the plan (Pareto)."""
    for gid in chunk:
        if not before.present.get(gid):
            continue
        if not after.present.get(gid):
            return True
        end_task = groups[gid].end_task
        if end_task and after.tasks[end_task].end > before.tasks[end_task].end:
            return True
    return False
