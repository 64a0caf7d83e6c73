"""Which orders a fix-and-optimise move frees together (its neighbourhood).

Each function here looks at a plan and names groups of orders worth re-placing at once:
a late or unscheduled order with the orders in its way, its blockers, the orders reviewed
around it or the orders that overtook it; the slowest orders with their blockers or their
crew rivals; pairs and windows of orders by arrival or by crew day. The classes mark what a
group is, which decides how :mod:`suitesched.planning.lns` solves it, when it drops it from
the queue and whether it keeps its result. Nothing here solves a model but the one-order
models that find the orders in a late order's way (:func:`~suitesched.planning.blame.in_the_way`).
"""

from __future__ import annotations

import dataclasses
from collections import defaultdict
from collections.abc import Callable, Iterable

from suitesched.core.evaluate import is_bad
from suitesched.core.problem import BatchFamily, BatchMember, CoreProblem, Lag, Task
from suitesched.core.solution import CoreSolution
from suitesched.planning.blame import in_the_way
from suitesched.planning.greedy import ONE_ORDER
from suitesched.planning.subproblem import BLOCKERS, blockers, task_reach

MapEach = Callable[[Callable[[str], list[str]], Iterable[str]], Iterable[list[str]]]
"""How the blame searches of several orders are run: :func:`map`, or an executor's ``map``."""

PARTNERS = 6
"""How many nearest orders (by arrival) a late or unscheduled order is paired with."""
SLOW = 10
"""The orders that wait longest beyond their earliest possible end (when not late) are freed
with their blockers too: on booked sites most of the cost is such waiting, not lateness."""
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
PEOPLE = "people"
"""The kind of the compiled people pools (operators, analysts, reviewers)."""
WINDOW = 10
"""Orders freed per window move: consecutive orders by arrival, each window overlapping the next by
half. Once the small moves have converged (or had :data:`~suitesched.planning.lns.WINDOWS_AT` of the
time), a new plan sweeps the site in such windows, two at once like other moves (and again, shifted,
after one round of small moves, whenever a sweep paid). From the small moves' converged 60 s plan on
the booked 100-order seed-6 site, such windows found 842 more in 57 s; within 60 s, the gap went
from 6.0 to 3.9 % (RESULTS.md)."""
OVERTAKEN_MAX = 32
"""Most orders an :class:`Overtaken` move frees with its late order."""


def neighbourhoods(problem: CoreProblem, solution: CoreSolution, size: int,
                   focus: set[str] | None = None, day_ticks: int | None = None,
                   index: GroupIndex | None = None, map_each: MapEach = map,
                   lazy: bool = False) -> list[list[str] | Marker]:
    """Groups to free together: each bad group first (with the orders in its way and its
    blockers, :func:`repair_moves`, then with its neighbours by arrival), then the slowest
    groups with their blockers, then sliding windows, then the slowest groups with their
    crew rivals (:func:`crew_moves`: last, because on the booked 100-order sites they pay
    once the cheap pairs have converged, and first they crowded out the moves that pay early).

    With ``focus`` (a re-plan: the orders events touched), only the focus groups are freed,
    each with its nearest competitors: the rest of the plan is meant to stay (and a move that
    would end any freed order later, or drop it, is refused: see
    :func:`~suitesched.planning.lns.improve`).

    ``map_each`` is how :func:`repair_moves` finds each bad order's moves, and ``lazy``
    whether it leaves that to when they are reached (see there).
    """
    order = arrival_order(problem)
    position = {g: i for i, g in enumerate(order)}
    out: list[list[str] | Marker] = []
    bad = bad_groups(problem, solution)
    if focus is None and day_ticks is not None:
        out += repair_moves(problem, solution, [g for g in order if g in bad], day_ticks,
                            map_each=map_each, lazy=lazy)
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
                 day_ticks: int, *, map_each: MapEach = map, lazy: bool = False
                 ) -> list[list[str] | Marker]:
    """Each late or unscheduled group first with the orders in its way (those holding what
    keeps it from its due date where it would be: :func:`~suitesched.planning.blame.in_the_way`),
    then with its top blockers (:func:`blocker_moves`), then - if that did not repair it - with
    the orders in its way should one of the first in its way stay (:class:`WaysAround`), and
    last, should its release step wait for its people, with the orders holding them
    (:class:`ReleaseQueue`, a window of its :func:`release_rivals`).
    Narrow moves first; the wide ones are :class:`Wide`, dropped once the order is on time.
    The moves with the orders in its way are :class:`Repair` moves, which must put no other
    order late; blocker moves may (as :class:`Repair` moves, the seed-20 site's late order
    stayed late: deterministic limit 12, 63,373 against 40,968).

    Finding the orders in each one's way is a blame search of one-order models, the bulk of
    this function's time: ``map_each`` (like :func:`map`, in order) may run them on several
    threads, as fix-and-optimise does on its idle move threads (booked 400-order site, 16
    orders late: 7.2 s on one thread, 4.3 s on two, the same moves).

    With ``lazy`` no blame search is run here: the moves with the orders in each one's way
    are :class:`InTheWay` markers in the same places, found when the first of them is
    reached, against the plan as it is then, and only if the order is still late or out
    (see :data:`~suitesched.planning.lns.LAZY_BLAME`)."""
    found = _FoundWays()
    queued: list[list[str] | Marker] = [
        *(InTheWay(gid, wide, found) for wide in (False, True) for gid in bad),
        *(Wide(move) if len(move) > 1 + BLOCKERS[0] else move
          for move in blocker_moves(problem, solution, bad, day_ticks)),
        *(InTheWay(gid, None, found) for gid in bad),
        *(ReleaseQueue([gid, *rivals]) for gid in bad
          if (rivals := release_rivals(problem, solution, gid, day_ticks)))]
    if lazy:
        return queued
    find_ways(problem, solution, [m for m in queued if isinstance(m, InTheWay)], map_each)
    return [move for item in queued
            for move in (item.moves() if isinstance(item, InTheWay) else [item])]


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


def ways_around(problem: CoreProblem, solution: CoreSolution, marker: WaysAround,
                map_each: MapEach = map) -> list[list[str]]:
    """The moves of a :class:`WaysAround`: narrow first, each way once. ``map_each`` runs
    the blame searches, one per order staying, as in :func:`repair_moves`."""
    return _widening({marker.group: list(map_each(
        lambda other: in_the_way(problem, solution, marker.group, max(BLOCKERS), ONE_ORDER,
                                 staying=other), marker.staying))})


class _FoundWays(dict):
    """The orders in each bad order's way, found once for all of its :class:`InTheWay`
    markers (``group -> orders``)."""


@dataclasses.dataclass(frozen=True, eq=False)
class InTheWay:
    """In the queue of moves: once reached, if ``group`` is still late or out, its move with
    the first few orders in its way (``wide`` False: a :class:`Repair`), with more of them
    (True: a :class:`WideRepair`, if there are more), or its :class:`WaysAround` marker
    (None), as :func:`repair_moves` would have queued them (see its ``lazy``). The blame
    search behind them runs when the first of the group's markers is reached, against the
    plan of that moment, and is kept in ``found`` for the others."""

    group: str
    wide: bool | None
    found: _FoundWays

    def moves(self) -> list[list[str] | WaysAround]:
        """What the marker stands for, once ``found`` holds its group's blame."""
        way = self.found[self.group]
        if self.wide is None:
            return [WaysAround(self.group, tuple(way[:WAYS_AROUND]))] if way else []
        return _widening({self.group: [way]}, wide_only=self.wide, narrow_only=not self.wide)


Marker = WaysAround | InTheWay
"""A queued item that stands for moves found only once it is reached."""


def blame_batch(first: InTheWay, pending: Iterable[object], bad: set[str],
                count: int) -> list[InTheWay]:
    """``first`` and the next :class:`InTheWay` markers in ``pending`` whose blame is still
    to find (of orders in ``bad``), ``count`` groups in all: searched together, as the moves
    are solved ``count`` at a time."""
    batch = [first]
    for marker in pending:
        if len(batch) >= count:
            break
        if isinstance(marker, InTheWay) and marker.group in bad and \
                marker.group not in marker.found and not any(
                    m.found is marker.found and m.group == marker.group for m in batch):
            batch.append(marker)
    return batch


def find_ways(problem: CoreProblem, solution: CoreSolution, markers: list[InTheWay],
              map_each: MapEach = map) -> None:
    """Run the blame searches the ``markers`` still need (their groups', once each), by
    ``map_each``, and keep them in each marker's ``found``."""
    needed = {(id(m.found), m.group): m for m in markers if m.group not in m.found}
    ways = list(map_each(lambda m: in_the_way(problem, solution, m.group, max(BLOCKERS),
                                              ONE_ORDER), needed.values()))
    for marker, way in zip(needed.values(), ways, strict=True):
        marker.found[marker.group] = way


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
    makes no other order late or drops it, unless it leaves fewer orders late or out than before, or
    fewer out (:func:`~suitesched.planning.lns.trades_late_orders`). Trading one late order for
    another rarely ends well: the order pushed late has usually started days before and cannot
    move back (booked seed-20 site: a harvest at the end of an 8-day expansion; the order stayed
    late to the end), while a way around it that puts no other order late was the next move. Two
    or more put on time for one put late is progress, though: the booked seed-51 site, with 12
    orders late in the greedy plan, refused such a move (5 late to 4, 569,220 cheaper) and ended
    with 3 late, 51.5 % above the bound; keeping it, 2 late and 44.1 % (RESULTS.md)."""


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
    :class:`Window` with a larger budget (:data:`~suitesched.planning.lns.OVERTAKEN_BUDGET`) and,
    unlike the other moves that free a late order, with the cut-off - kept only if the whole plan is
    cheaper, whoever ends late then; dropped, as a :class:`Wide` move, once its order is on time."""


class ContestedRepair(Repair, Overtaken):
    """A late order's refused trade's orders with orders that overtook it
    (:func:`~suitesched.planning.lns.contested_move`): solved as an :class:`Overtaken` move
    on a smaller budget (:data:`~suitesched.planning.lns.CONTESTED_BUDGET`), kept, as a
    :class:`Repair`, only if it puts no order late in another's place: it is tried because
    such a trade was refused, and keeping the same trade with more orders moved would undo
    the refusal."""


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


def _widening(ways: dict[str, list[list[str]]], *, narrow_only: bool = False,
              wide_only: bool = False) -> list[list[str]]:
    """Each group with the first few orders of each of its ways, then with more of them
    (:data:`BLOCKERS`), as :class:`Repair` moves; no move twice. ``narrow_only`` and
    ``wide_only`` keep one of the two widths."""
    narrow, wide = BLOCKERS
    moves: list[list[str]] = []
    widths = (narrow,) if narrow_only else (wide,) if wide_only else (narrow, wide)
    for width in widths:
        for gid, others_of in ways.items():
            for others in others_of:
                chunk = (Repair if width == narrow else WideRepair)([gid, *others[:width]])
                if others and (width == narrow or len(others) > narrow) and chunk not in moves:
                    moves.append(chunk)
    return moves
