"""A fast constructive plan: earliest-due-date insertion with earliest-finish resources.

What a planner with a spreadsheet does: take the orders by due date (then priority, then
arrival) and give each the earliest release the remaining capacity allows. An order that fits
nowhere is placed again together with the few orders already placed that hold its resources,
as a planner shifts booked slots to fit one more patient (see :meth:`Inserter.make_room`),
or failing that swaps places with one of them (:meth:`Inserter.swap_in`), or goes first and
the dozen or two orders that hold what is full go back after it, earliest due first
(:meth:`Inserter.reflow`);
orders that making room pushed past their due date, and on smaller sites orders that fit
only after it, are re-seated at once (:meth:`Inserter.mend`), and an order still out gets a
second try once every order was tried;
a re-plan's kept orders never move. Each insertion is a tiny exact model of *one* order (its
steps, suite, people, equipment and QC runs against the capacity already booked), so every
placement respects every hard rule; the result is both the baseline a user would otherwise have
and a complete warm start for the full CP-SAT model on large sites.
"""

from __future__ import annotations

import dataclasses
import threading
import time
from collections import defaultdict
from collections.abc import Callable, Collection
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Literal

from suitesched.core.evaluate import is_bad, objective_value
from suitesched.core.problem import CoreProblem, Group, Task
from suitesched.core.solution import CoreSolution
from suitesched.planning import processes
from suitesched.planning.blame import blamed_resources, booked_by_kind
from suitesched.planning.compile import Compiled
from suitesched.planning.subproblem import (
    BLOCKERS,
    Book,
    blockers,
    book_from,
    merge_move,
    record,
    subproblem,
)
from suitesched.solver.run import SolveParams, solve_core

SMALL_MODEL = {"cp_model_probing_level": 0, "max_presolve_iterations": 1}
"""CP-SAT settings for the many small models of fix-and-optimise: their wall time is mostly
presolve, and one presolve pass halves it (100 generated orders: greedy 17 s -> 8 s, as many
orders placed)."""
ONE_ORDER_MODEL = {**SMALL_MODEL, "cp_model_presolve": False, "linearization_level": 0}
"""A one-order model is solved faster without presolve or LP relaxation at all: its search is
short, and presolving ~1,000 booked intervals cost more than it saved (booked 400-order site:
greedy 98 s -> 41 s, every model still solved to optimality; RESULTS.md)."""
ONE_ORDER = SolveParams(time_limit=None, workers=1, seed=0, max_deterministic_time=2.0,
                        extra=ONE_ORDER_MODEL)
SWAP_BLOCKERS = 12
"""Blockers an order that fits nowhere may swap places with, most in its way first."""
REFLOW_BLOCKERS = (12, 24)
"""How many of the orders using most of what keeps it out an order that fits nowhere, even by
a swap, is placed before: those are taken out and put back after it, one by one (see
:meth:`Inserter.reflow`)."""
REFLOW_ANY_BLOCKERS = 48
"""Failing those, the orders that use most of any of its resources are taken out, this many."""
REFLOW_STAYING = 2
"""A reflow's blockers that cannot be put back stay where they were, at most this many per
set of blockers, and the order is placed around them (booked 400-order seed-41 site, the
stability rule: with its blockers put back by due date, one of them no longer fit and the
order it made room for was left out)."""
DispatchRule = Literal["due", "stability"]
PORTFOLIO_RULES: tuple[DispatchRule, ...] = ("due", "stability")
"""Dispatch rules of :func:`portfolio_solution`, the default first."""
PORTFOLIO_PROCESSES = True
"""Whether the portfolio runs its rules in processes of their own rather than in threads
(forked where :func:`suitesched.planning.processes.can_fork` says it is safe, else each in a
fresh interpreter): the rules then do not queue for the interpreter, and the loser is
stopped at once when a rule has placed every order. Booked 400-order seed 216, the race
alone under a 120 s limit: in threads 113.5 s with 399 of 400 placed (the stability rule,
65 s alone, passed room-making's deadline); in forked processes 76.3 s with all 400. On
seeds 212, 214, 215, 219 and 220 the race ended 2-21 s sooner (RESULTS.md)."""
REPAIR_SHARE = 0.7
"""Share of a wall-clock limit after which the greedy stops making room: ``plan_core`` turns
it into the ``deadline`` it takes."""
PORTFOLIO_REPAIR_SHARE = 0.85
"""The same share for the portfolio (sites of ``solve.PORTFOLIO_SITE`` orders and more). On
large sites making room is what serves every order, and fix-and-optimise rarely places an
order the greedy left out. On the booked 400-order seed-41 site the due-date rule, slowed by
the other rule on the other core, was still making room at 70 % of the limit: cut off there,
one run in three ended with 399 of 400 orders served; with 85 % it placed all 400 at 78 s.
On seeds 0, 1, 3 and 11 the portfolio is done by 43 s, so the share never binds
(RESULTS.md)."""
PORTFOLIO_RESEAT_SHARE = 0.95
"""Share of a wall-clock limit until which the portfolio's winner has its late orders re-seated
(:func:`reseat_late_orders`), past the room-making deadline: on a large site the re-seats
mend late orders that fix-and-optimise's last seconds do not. On the booked 400-order
seed-216 site the winner came at 72-80 s with 26 orders late and its re-seats needed 31-34 s.
Cut off at 85 %, three 120 s runs ended with 20, 18 and 20 late; let run, the re-seats ended
at 104-114 s with 17, and so did all three runs. A run whose re-seats end before 85 % is
unchanged (two `scale.py` runs of the same site: 23 and 20 late; RESULTS.md)."""
REFLOW_ALONGSIDE = True
"""Whether a new plan with two or more workers runs the reflow of an order that fits nowhere
(the slowest way to place it) on the second core from the start, alongside the attempts
to make room for it and to swap it in, instead of after them. Below ``solve.PORTFOLIO_SITE``
orders the greedy otherwise leaves that core idle. The plan is the one-core plan (the first
of the three in that order that places the order wins); the booked 100-order seed-145 site,
which makes room for six orders, got its greedy plan in 28.7-34.6 s instead of 33.6-47.6 s,
and at 60 s its fix-and-optimise lacks exactly that time (RESULTS.md)."""
REFLOW_SECONDS = 5.0
"""Under a wall-clock limit, how long one reflow may take on a site below
``solve.PORTFOLIO_SITE`` orders before it gives up and leaves the order out, for
fix-and-optimise to repair. On the booked 100-order sites the reflows that placed their order
took 0.8 and 2.5 s (seeds 22 and 10); the one that failed (seed 31) took 18 s of a 60 s limit,
and fix-and-optimise served that order anyway. On large sites reflows take longer and place
orders nothing else does, so they keep their time."""
RESEAT_LATE_SITE = 200
"""Sites with fewer orders re-seat at once (:meth:`Inserter.mend`) an order whose plain
insertion fits only after its due date, and the orders that making room pushed past theirs.
At 100 orders it pays: 43 of the 56 booked sites whose greedy plan had a late order get a
cheaper one, and at 60 s on 19 of them no run ends with an order late (2 before). On large
sites its time is what serving every order lacks, and each rule of the portfolio would pay
it: there the portfolio re-seats the late orders of its winner once, at the end
(:func:`reseat_late_orders`).

- Re-seating at insertion: on booked 400-order seed 53 the greedy took 65 s instead of 32 and
  the 120 s plan ended with 3 late (none in the run before; that site ends either way from
  run to run), though seed 71 went from 4 late to none.
- Re-seating room-making's victims: on unseen booked 400-order seed 246 the rules' mends took
  29-32 s each, neither rule was done by the room-making deadline, and the 120 s plan served
  397 of 400; without them the stability rule alone placed all 400 in 57 s (112 s before),
  and the plan served 400 in 3 of 3 runs. Seed 216, where the stability rule ends near
  the deadline, served 400 in 4 of 5 runs (2 of 4 before, the same day), with a few more
  orders late (23-31 against 21-27). Of nine other 400-order sites six ended about the same,
  two cheaper (seeds 219, 220: 4 and 3 late to 2 and 0); seed 247 ends 3-7 late from run to
  run either way (RESULTS.md)."""
WINDOW_DAYS = 35
"""Each insertion first looks this far after the order's arrival (a small model), then, if the
order does not fit, over the whole timeline."""


def dispatch_order(compiled: Compiled, rule: DispatchRule = "due") -> list[str]:
    """Material is booked as it arrives: by arrival day, then (rule ``due``) due date, then
    priority (then id, for determinism) - earliest-due-date dispatch among what is on site.
    Rule ``stability`` takes each day's fresh specimens first, the one whose stability window
    ends first leading, then cryopreserved material as it arrived: a planner's other habit."""
    by_id = {o.order_id: o for o in compiled.orders}
    tz = compiled.scenario.timezone

    def key(oid: str) -> tuple:
        order = by_id[oid]
        day = order.arrival.astimezone(tz).date()
        if rule == "stability":
            window_end = order.latest_first_start
            urgent = (0, window_end) if window_end is not None else (1, order.arrival)
            return (day, *urgent, order.due, order.priority, oid)
        return (day, order.due, order.priority, oid)

    return sorted(by_id, key=key)


def portfolio_solution(compiled: Compiled, workers: int,
                       deadline: float | None = None,
                       reseat_until: float | None = None) -> CoreSolution:
    """The greedy plan by each dispatch rule of :data:`PORTFOLIO_RULES`, one per core, and the
    best of them kept (the first rule on a tie: reproducible).

    Which order the greedy takes decides a handful of orders on a large, tight site, and no
    rule wins everywhere (booked 400-order sites: 382 vs 389 of 390 placed on one, 399 vs 398
    of 400 on another; at 100 orders the due-date rule is best). The rules run in processes
    of their own (:data:`PORTFOLIO_PROCESSES`), else in threads, which queue for the
    interpreter: two rules in threads took 1.1-1.7x the time of one.

    With a ``deadline`` (a ``time.monotonic()`` value, given under a wall-clock limit only, so
    the plan is not reproducible anyway) no rule makes room for an order after it, and the
    first rule to place every order wins and the others stop (a process is killed at once; a
    thread stops once the order it is placing is placed, room-making included); once the
    deadline has passed, the first plan in ends the race as well, and room is then made for
    the orders the best plan leaves out (:func:`place_left_out`). Without one every rule runs to the
    end. The winner's late orders are then re-seated (:func:`reseat_late_orders`); both
    until ``reseat_until`` (by default the ``deadline``; see
    :data:`PORTFOLIO_RESEAT_SHARE`). If a rule's process dies without a result, the rules
    run again in threads.
    """
    rules = PORTFOLIO_RULES if workers >= 2 else PORTFOLIO_RULES[:1]
    plans: list[CoreSolution] = []
    if len(rules) > 1 and PORTFOLIO_PROCESSES:
        plans = _rules_in_processes(compiled, rules, deadline)
    if not plans:
        plans = _rules_in_threads(compiled, rules, deadline)
    best = min(plans, key=lambda plan: objective_value(compiled.problem, plan))
    until = deadline if reseat_until is None else reseat_until
    if deadline is not None and not _places_every_order(best):
        best = place_left_out(compiled, best, until)
    return reseat_late_orders(compiled, best, until)


def _rules_in_processes(compiled: Compiled, rules: Collection[DispatchRule],
                        deadline: float | None) -> list[CoreSolution]:
    """Each rule's plan from a process of its own (forked where that is safe, else a fresh
    interpreter), the first complete one winning under a ``deadline``, and from the
    deadline on the first one in (the rules still running are killed; see
    :func:`place_left_out`); none at all if no process can be started here or one died
    without a result.

    A process killed from outside (the out-of-memory killer, an operator's ``kill``) says
    nothing about the plan, so the caller runs the rules again in threads rather than fail
    the solve or keep a portfolio that lacks a rule (which, without a deadline, would make
    the plan depend on the death). A rule's own exception is a bug and is raised."""
    if processes.can_fork():
        run = processes.run_forked
    elif processes.can_spawn():
        run = processes.run_spawned
    else:
        return []
    wall_deadline = None if deadline is None else time.time() + (deadline - time.monotonic())
    try:
        results = run([RulePlan(compiled, rule, wall_deadline) for rule in rules],
                      wins=None if deadline is None else _places_every_order,
                      settle_at=deadline)
    except processes.ProcessDied:
        return []
    return [plan for plan in results if plan is not None]


@dataclasses.dataclass(frozen=True)
class RulePlan:
    """One dispatch rule's greedy plan, as a job for a process of its own: it pickles, for a
    fresh interpreter, and carries its deadline on the wall clock (``time.time()``), as
    ``time.monotonic()`` has no reference point shared between processes."""

    compiled: Compiled
    rule: DispatchRule
    wall_deadline: float | None = None

    def __call__(self) -> CoreSolution:
        deadline = None if self.wall_deadline is None \
            else time.monotonic() + (self.wall_deadline - time.time())
        return greedy_solution(self.compiled, rule=self.rule, deadline=deadline)


def _rules_in_threads(compiled: Compiled, rules: Collection[DispatchRule],
                      deadline: float | None) -> list[CoreSolution]:
    """Each rule's plan from a thread of its own: under a ``deadline`` the first complete plan,
    or the first plan in past the deadline, raises a flag the others stop at, once the order
    they are placing is placed."""
    done = threading.Event()

    def plan_by(rule: DispatchRule) -> CoreSolution:
        plan = greedy_solution(compiled, rule=rule, deadline=deadline,
                               stop=done if deadline is not None else None)
        if deadline is not None and (_places_every_order(plan)
                                     or time.monotonic() >= deadline):
            done.set()
        return plan

    with ThreadPoolExecutor(max_workers=len(rules)) as pool:
        return list(pool.map(plan_by, rules))


def _places_every_order(plan: CoreSolution) -> bool:
    """Whether a rule's ``plan`` wins the portfolio's race under a deadline."""
    return all(plan.present.values())


def place_left_out(compiled: Compiled, plan: CoreSolution, deadline: float) -> CoreSolution:
    """``plan`` with room made for each order it leaves out, by due date, while ``deadline``
    (a ``time.monotonic()`` value) has not passed: the room-making that a rule past its own
    deadline no longer does, done once on the portfolio's winner.

    The race ends at the rules' room-making deadline once a plan is in
    (:func:`_rules_in_processes`): a rule still running then is in the middle of making room
    for an order and may take minutes more, while the plan in hand may lack only an order
    that reached room-making a little late. On the booked 400-order seed-216 site the
    stability rule placed its last order by room-making at 74-78 s, 1-2 s after it reached
    it; in a run where it reached that order after the deadline (86.7 s), the race waited
    until 115.7 s for the due-date rule's room-making, and the plan served 399 of 400
    (RESULTS.md). The orders that making room pushes past their due date are re-seated, as
    in the greedy."""
    inserter = Inserter(compiled)
    left_out = [g for g in dispatch_order(compiled) if not plan.present.get(g)]
    placed = _copy_plan(plan)
    book = book_from(compiled.problem, plan, {g for g, p in plan.present.items() if p})

    def keep_going() -> bool:
        return time.monotonic() < deadline

    for group_id in left_out:
        if not keep_going():
            break
        if inserter.place(group_id, book, placed):
            continue
        late_before = inserter.late(placed)
        made = inserter.fit_in(group_id, placed, book, give_up_at=deadline)
        if made is not None:
            placed, book = inserter.mend(*made, inserter.late(made[0]) - late_before,
                                         keep_going=keep_going)
    placed.runs = book.all_runs()
    return placed


def reseat_late_orders(compiled: Compiled, plan: CoreSolution, deadline: float | None = None
                       ) -> CoreSolution:
    """``plan`` with each order it serves late re-seated once, the latest first, while
    ``deadline`` (a ``time.monotonic()`` value) has not passed: the large sites' stand-in
    for the greedy's re-seat at insertion (see :data:`RESEAT_LATE_SITE`).

    Done once on the portfolio's winner, not in each rule, it costs the seconds of a few
    re-seats instead of one per order that fitted late or that room-making pushed late (in
    each rule: booked 400-order seed-59 site, first plan 74 s instead of 54; seed 246, the
    stability rule 112 s instead of 57). Fix-and-optimise rarely puts such an order
    back on time by itself: seeds 71 and 19 ended their 120 s runs with 4 and 3 late, and
    with this re-seat with none.

    A re-seat that puts an order late that was on time is not kept here, though the plan
    gets cheaper: on seed 53 (both rules to the end, no deadline) such a trade left the
    winner with 3 late instead of 2, in a dearer plan (RESULTS.md)."""
    inserter = Inserter(compiled)
    late = inserter.late(plan)
    if not late:
        return plan  # nothing to re-seat: no copy, no bookings to rebuild
    served = {g for g, present in plan.present.items() if present}
    mended, book = inserter.mend(
        _copy_plan(plan), book_from(compiled.problem, plan, served), late,
        keep_going=lambda: deadline is None or time.monotonic() < deadline, keep_on_time=True)
    mended.runs = book.all_runs()
    return mended


def greedy_solution(compiled: Compiled, params: SolveParams = ONE_ORDER, *,
                    start: CoreSolution | None = None,
                    one_try: Collection[str] = (), make_room: bool = True,
                    rule: DispatchRule = "due", deadline: float | None = None,
                    reflow_seconds: float | None = None,
                    stop: threading.Event | None = None,
                    preview: Callable[[CoreSolution], None] | None = None,
                    spare_core: bool = False) -> CoreSolution:
    """Insert the orders one by one; an order that fits nowhere stays unscheduled.

    Without ``start``, an order that fits nowhere (or, below :data:`RESEAT_LATE_SITE`
    orders, only late) is re-placed with its blockers (unless ``make_room`` is false: the
    benchmarks' booked sites are booked by plain insertion, so that they stay the same
    instances as the engine changes); below :data:`RESEAT_LATE_SITE` orders, the orders that
    this pushes past their due date are re-seated at once.

    With ``start`` (a re-plan's kept orders), its present orders stay exactly as they are and
    only the others are inserted around them. Orders in ``one_try`` (a re-plan's orders that
    did not fit before either) get one attempt, within ``WINDOW_DAYS`` of their earliest start.
    ``rule`` is the dispatch rule (:func:`dispatch_order`). After ``deadline`` (a
    ``time.monotonic()`` value) no room is made any more; once ``stop`` is set the orders not
    yet inserted stay out (another rule's plan has won). With ``reflow_seconds`` (wall-clock
    limits only) a reflow gives up after that long (see :data:`REFLOW_SECONDS`). With
    ``spare_core`` an order's reflow runs on a second thread while room is made for it and it
    is swapped in (see :data:`REFLOW_ALONGSIDE`).

    ``preview``, if given, is called (from another thread, before this returns) with the plain
    insertion's plan as soon as the first order needs room made or re-seating: the orders
    placed so far and the rest inserted around them, the ones that fit nowhere left out. It
    is a complete, valid plan while room-making still takes seconds (booked 100-order seed-10
    site: plain insertion 3.6 s, with room made for its 5 orders 11.5 s).
    """
    started = time.monotonic()
    problem = compiled.problem
    result = CoreSolution(status="FEASIBLE", objective=None, bound=None, wall_seconds=0.0)
    placed_before: set[str] = set()
    if start is not None:
        placed_before = {g for g, present in start.present.items() if present}
        book = book_from(problem, start, placed_before)
        result.present = {g: True for g in placed_before}
        result.tasks = {t: r for t, r in start.tasks.items()}
        result.holds = dict(start.holds)
    else:
        book = Book()
    inserter = Inserter(compiled, params)
    # Re-seat at once the orders that end late: those that fit only late, and those that
    # making room pushed late (larger sites leave both to the portfolio's winner).
    reseat_late = len(compiled.orders) < RESEAT_LATE_SITE
    # Orders that did not fit before either come last: a repair serves what the events
    # touched (and a promised slot offer) first.
    order = sorted(dispatch_order(compiled, rule), key=lambda g: g in one_try)
    previewing: Future[None] | None = None
    abandoned: list[Future[tuple[CoreSolution, Book] | None]] = []  # cancelled reflows

    def may_make_room() -> bool:
        return start is None and make_room and (deadline is None or time.monotonic() < deadline)

    def room_for(group_id: str) -> None:
        # A new plan may still move the orders already placed: make room by re-placing the
        # order together with those that hold its resources (a re-plan keeps them).
        nonlocal result, book
        late_before = inserter.late(result) if reseat_late else set()

        def give_up_at() -> float | None:  # a reflow's limit counts from its own start
            return None if reflow_seconds is None else time.monotonic() + reflow_seconds

        if not spare_core:
            made = inserter.fit_in(group_id, result, book, give_up_at())
        else:
            cancelled = threading.Event()
            reflowing = spare.submit(inserter.reflow, group_id, result, book, give_up_at(),
                                     cancelled)
            made = inserter.make_room(group_id, result, book) or \
                inserter.swap_in(group_id, result, book)
            # The first of the three that places the order wins, in this order whatever the
            # timing: the plan stays the same as without the second thread.
            if made is not None:
                # Not waited for: it stops at its next put-back, and nothing changes the plan
                # and bookings it reads (room-making's plan and bookings are new objects).
                cancelled.set()
                abandoned.append(reflowing)
            else:
                made = reflowing.result()
        if made is None:
            return
        result, book = made
        if reseat_late:
            result, book = inserter.mend(result, book, inserter.late(result) - late_before)

    with ThreadPoolExecutor(max_workers=1) as background, \
            ThreadPoolExecutor(max_workers=1) as spare:  # a thread only once submitted

        def preview_from(position: int) -> None:
            # The plan so far and the rest by plain insertion, handed on while the greedy
            # makes room or re-seats (once, the first time it does).
            nonlocal previewing
            if preview is not None and previewing is None:
                partial, placed_ids = _with_runs(result, book)
                previewing = background.submit(
                    _plain_preview, inserter, _copy_plan(partial),
                    book_from(problem, partial, placed_ids), order[position + 1:], preview)

        for position, group_id in enumerate(order):
            if group_id in placed_before:
                continue
            if stop is not None and stop.is_set():
                result.present[group_id] = False
                continue
            if inserter.place(group_id, book, result, one_try=group_id in one_try):
                if reseat_late and may_make_room() and \
                        is_bad(inserter.groups[group_id], result):
                    # It fits only after its due date: re-seat it with the orders in its
                    # way, as room-making's victims are, while the later orders are not yet
                    # booked (see RESEAT_LATE_SITE).
                    preview_from(position)
                    result, book = inserter.mend(result, book, [group_id])
                continue
            if may_make_room():
                preview_from(position)
                room_for(group_id)
        # A second chance for each order still out, now that room has been made for the
        # others: the plan around it has changed since it was tried (booked 400-order
        # seed-59 site: the order the first pass left out fitted by a reflow at the end).
        for group_id in order:
            if result.present.get(group_id) or (stop is not None and stop.is_set()) or \
                    not may_make_room():
                continue
            if not inserter.place(group_id, book, result):
                room_for(group_id)
    if previewing is not None:
        previewing.result()  # the preview's errors are this call's
    for dropped in abandoned:
        dropped.result()  # so are a cancelled reflow's: its result is dropped, not its error
    result.runs = book.all_runs()
    result.wall_seconds = time.monotonic() - started
    return result


def _plain_preview(inserter: Inserter, partial: CoreSolution, book: Book, rest: list[str],
                   preview: Callable[[CoreSolution], None]) -> None:
    """Insert ``rest`` into the partial plan without making room, and hand the plan on."""
    for group_id in rest:
        inserter.place(group_id, book, partial)
    partial.runs = book.all_runs()
    preview(partial)


def _copy_plan(plan: CoreSolution) -> CoreSolution:
    """A copy of a partial plan that inserting into it does not share with ``plan``."""
    return dataclasses.replace(plan, present=dict(plan.present), tasks=dict(plan.tasks),
                               holds=dict(plan.holds), runs=list(plan.runs))


class Inserter:
    """Places one order at a time against booked capacity: the greedy's step, and the way a
    re-plan repairs and a slot offer is priced (the same exact one-order model)."""

    def __init__(self, compiled: Compiled, params: SolveParams = ONE_ORDER) -> None:
        self.problem = compiled.problem
        self.params = params
        self.tasks_of: dict[str, list[Task]] = defaultdict(list)
        for task in self.problem.tasks:
            self.tasks_of[task.group].append(task)
        self.groups = {g.id: g for g in self.problem.groups}
        self.ticks_per_day = compiled.timeline.ticks_per_day
        self.reserved = {s.id for s in compiled.scenario.suites if s.tags}
        self.required = {o.order_id for o in compiled.orders if o.requires}

    def insert(self, group_id: str, book: Book, *, one_try: bool = False
               ) -> tuple[CoreProblem, CoreSolution] | None:
        """The order's best placement against ``book`` (sub-problem and its solution), or
        None when it fits nowhere. ``book`` is not changed."""
        tasks = self.tasks_of[group_id]
        if any(t.latest_start is not None and t.fixed_start is None
               and t.earliest_start > t.latest_start for t in tasks):
            return None  # its stability window closed before it can start
        earliest = min(t.earliest_start for t in tasks)
        # Like a planner, keep tagged (reserved) suites for the orders that need them when
        # an untagged suite will do; widen the search window only when nothing fits.
        attempts: list[tuple[int | None, set[str]]] = [
            (WINDOW_DAYS, self.reserved), (None, self.reserved), (None, set())]
        if group_id in self.required or not self.reserved:
            attempts = [(WINDOW_DAYS, set()), (None, set())]
        if one_try:
            attempts = [(WINDOW_DAYS, set())]
        problem = self.problem
        for window, avoid in attempts:
            limit = problem.horizon if window is None else min(
                problem.horizon, earliest + window * self.ticks_per_day)
            group = dataclasses.replace(self.groups[group_id], optional=True,
                                        unscheduled_cost=10**9)
            sub = dataclasses.replace(subproblem(problem, [group], tasks, book, limit, avoid),
                                      left_justified=True)
            solution = solve_core(sub, self.params)
            if solution.feasible and solution.present.get(group_id, False):
                return sub, solution
        return None

    def place(self, group_id: str, book: Book, plan: CoreSolution, *,
              one_try: bool = False) -> bool:
        """Insert the order at its best placement, into ``plan`` and ``book``; False (and
        the order marked out of ``plan``) when it fits nowhere."""
        placed = self.insert(group_id, book, one_try=one_try)
        plan.present[group_id] = placed is not None
        if placed is not None:
            record(self.problem, placed[0], placed[1], book, plan)
        return placed is not None

    def fit_in(self, group_id: str, placed: CoreSolution, book: Book,
               give_up_at: float | None = None) -> tuple[CoreSolution, Book] | None:
        """Place an order that fits nowhere by the first of :meth:`make_room`,
        :meth:`swap_in` and :meth:`reflow` (which gives up at ``give_up_at``) that places
        it: the new partial plan and its bookings, or None."""
        return self.make_room(group_id, placed, book) or \
            self.swap_in(group_id, placed, book) or \
            self.reflow(group_id, placed, book, give_up_at=give_up_at)

    def make_room(self, group_id: str, placed: CoreSolution, book: Book
                  ) -> tuple[CoreSolution, Book] | None:
        """Place an order that fits nowhere by re-placing it together with the orders that
        hold its resources in the days it wants (first 3, then 6 of them); those stay in the
        plan, possibly later. Returns the new partial plan and its bookings, or None.

        Sites book patients in advance, so a planner shifts a few booked slots to fit one
        more patient rather than turn them away; doing it while the later orders are not yet
        booked leaves the most room (booked 400-order site: 391 -> 398 placed; RESULTS.md).
        """
        wanted = dataclasses.replace(self.groups[group_id], optional=True,
                                     unscheduled_cost=10**9)
        return self._with_blockers(group_id, wanted, placed, book, min_blockers=1,
                                   accept=lambda merged: merged.present.get(group_id, False))

    def _with_blockers(self, group_id: str, wanted: Group, placed: CoreSolution, book: Book,
                       *, min_blockers: int, accept: Callable[[CoreSolution], bool]
                       ) -> tuple[CoreSolution, Book] | None:
        """Solve the order (as ``wanted``) again together with the orders that hold its
        resources in the days it wants, first 3, then 6 of them (at least ``min_blockers``),
        those kept in the plan, from the plan as it is; the first new partial plan
        ``accept`` takes, with its bookings, or None. :meth:`make_room` and :meth:`reseat`.

        An order that may stay out (``wanted`` optional: room-making) is tried with a set of
        blockers only if it fits with them gone (one cheap one-order model): if it does not,
        it does not fit beside them re-placed either, and the joint model would only prove
        so, at length (booked 100-order seed-145 site: 4.2 s for one such proof; RESULTS.md).
        A re-seated order is in the plan already, so it always fits; it is tried with a set
        of blockers only if it would end sooner with them gone (:func:`_ends_sooner`)."""
        problem = self.problem
        partial, placed_ids = _with_runs(placed, book)
        ranked = blockers(problem, partial, group_id, max(BLOCKERS), self.ticks_per_day)
        tried = min_blockers - 1
        for width in BLOCKERS:
            others = ranked[:width]
            if len(others) <= tried:
                return None  # too few blockers, or no more than the narrower try freed
            tried = len(others)
            chunk = [group_id, *others]
            keep = placed_ids - set(chunk)
            kept_book = book_from(problem, partial, keep)
            alone = self.insert(group_id, kept_book)
            if alone is None or not (wanted.optional or _ends_sooner(
                    self.groups[group_id], alone[1], placed)):
                continue
            groups = [wanted, *(dataclasses.replace(self.groups[g], optional=False)
                                for g in others)]
            sub = subproblem(problem, groups, [t for g in chunk for t in self.tasks_of[g]],
                             kept_book, problem.horizon)
            solution = solve_core(sub, self.params, hint=partial)
            if not solution.feasible:
                continue
            merged = merge_move(problem, partial, keep, sub, solution, kept_book)
            merged.status = placed.status
            if accept(merged):
                return merged, kept_book
        return None

    def swap_in(self, group_id: str, placed: CoreSolution, book: Book
                ) -> tuple[CoreSolution, Book] | None:
        """Place an order that fits nowhere, even with room made, by taking one blocker's
        place and putting that blocker back wherever it still fits. Returns the new partial
        plan and its bookings, or None.

        :meth:`make_room` re-places only the 3 or 6 worst blockers jointly with the order: a
        dozen at once over the whole horizon is too big a model for its budget (8-80 s each
        at 400 orders). One at a time is cheap, and often enough: a blocker may have a later
        slot, another suite or another crew, while the order, bound by its stability window,
        has none. Each swap is two one-order models (booked 400-order site: 398 -> 399 of 400
        placed). Longer chains - the blocker in turn taking the place of one of its own
        blockers - did not place the last order there and cost 20 s more.
        """
        problem = self.problem
        partial, placed_ids = _with_runs(placed, book)
        ranked = blockers(problem, partial, group_id, SWAP_BLOCKERS, self.ticks_per_day)
        # If the order does not fit even with all of them gone, no swap can place it: one
        # model instead of a dozen for an order no plan serves.
        if not ranked or self.insert(group_id, book_from(problem, partial,
                                                         placed_ids - set(ranked))) is None:
            return None
        for other in ranked:
            keep = placed_ids - {other}
            kept_book = book_from(problem, partial, keep)
            entered = self.insert(group_id, kept_book)
            if entered is None:
                continue
            trial = merge_move(problem, partial, keep, *entered, kept_book)
            moved = self.insert(other, kept_book)
            if moved is None:
                continue
            record(problem, moved[0], moved[1], kept_book, trial)
            trial.present[other] = True
            trial.runs = kept_book.all_runs()
            trial.status = placed.status
            return trial, kept_book
        return None

    def reflow(self, group_id: str, placed: CoreSolution, book: Book,
               give_up_at: float | None = None, cancelled: threading.Event | None = None
               ) -> tuple[CoreSolution, Book] | None:
        """Place an order that fits nowhere, even by a swap, *before* the dozen or two orders
        most in its way: take them out, insert the order, then put them back one by one,
        those that must start soonest first, then the earliest due first. Returns the new
        partial plan and its bookings, or None when no try puts every one of them back.

        :meth:`make_room` solves the order with at most 6 blockers in one exact model, which
        is too slow for more; :meth:`swap_in` moves one blocker. Where neither is enough, a
        planner re-books the patients of the days the order wants around it - each
        re-insertion is one cheap one-order model, so two dozen cost a few seconds. A blocker
        that cannot be put back stays where it was for the next try (:data:`REFLOW_STAYING`).
        After ``give_up_at`` (a ``time.monotonic()`` value), or once ``cancelled`` is set, no
        more orders are put back: None.
        """
        problem = self.problem
        partial, placed_ids = _with_runs(placed, book)

        def gave_up() -> bool:
            return (give_up_at is not None and time.monotonic() > give_up_at) or \
                (cancelled is not None and cancelled.is_set())

        blamed = self.blocking_resources(group_id, book)
        targeted = blockers(problem, partial, group_id, max(REFLOW_BLOCKERS),
                            self.ticks_per_day, on=blamed) if blamed else []
        anyhow = blockers(problem, partial, group_id, REFLOW_ANY_BLOCKERS, self.ticks_per_day)

        def put_back_first(group: str) -> tuple[int, int, str]:
            # Orders that must start soon (fresh cells) go back first, the rest by due date,
            # as the greedy dispatches them. In the sequence they had, the orders that
            # started first took the slots of orders due sooner (booked 100-order seed-51
            # site: one reflow made nine orders late; RESULTS.md).
            must_start_by = min((t.latest_start for t in self.tasks_of[group]
                                 if t.latest_start is not None), default=problem.horizon)
            due = self.groups[group].due
            return must_start_by, problem.horizon if due is None else due, group

        tries = [targeted[:width] for width in REFLOW_BLOCKERS] + [anyhow]
        seen: list[set[str]] = []
        for chosen in tries:
            if not chosen or set(chosen) in seen:
                continue
            seen.append(set(chosen))
            # A blocker that cannot be put back stays where it was, and the order goes
            # first around it, up to REFLOW_STAYING of them.
            staying: list[str] = []
            while len(staying) <= REFLOW_STAYING:
                if gave_up():
                    return None
                others = sorted((g for g in chosen if g not in staying), key=put_back_first)
                keep = placed_ids - set(others)
                kept_book = book_from(problem, partial, keep)
                entered = self.insert(group_id, kept_book)
                if entered is None:
                    break
                reflowed, stuck = self._put_back(partial, keep, kept_book, entered, others,
                                                 gave_up)
                if reflowed is not None:
                    reflowed[0].status = placed.status
                    return reflowed
                if stuck is None:
                    return None  # out of time
                staying.append(stuck)
        return None

    def _put_back(self, partial: CoreSolution, keep: set[str], kept_book: Book,
                  entered: tuple[CoreProblem, CoreSolution], others: list[str],
                  gave_up: Callable[[], bool]
                  ) -> tuple[tuple[CoreSolution, Book] | None, str | None]:
        """:meth:`reflow`'s one try: the plan of the orders ``keep`` (booked in
        ``kept_book``, which this try takes over) and the order as it ``entered``, then
        ``others`` put back in this sequence. Returns the new partial plan and its bookings,
        or (None, the order that did not fit), or (None, None) once it ``gave_up``."""
        problem = self.problem
        trial = merge_move(problem, partial, keep, *entered, kept_book)
        for other in others:
            if gave_up():
                return None, None
            moved = self.insert(other, kept_book)
            if moved is not None:
                record(problem, moved[0], moved[1], kept_book, trial)
                trial.present[other] = True
                continue
            # One level deeper: make room for the blocker as for the order itself.
            made = self.make_room(other, trial, kept_book) or \
                self.swap_in(other, trial, kept_book)
            if made is None:
                return None, other
            trial, kept_book = made
        trial.runs = kept_book.all_runs()
        return (trial, kept_book), None

    def late(self, plan: CoreSolution) -> set[str]:
        """The orders ``plan`` serves after their due date."""
        return {g for g, present in plan.present.items()
                if present and is_bad(self.groups[g], plan)}

    def mend(self, placed: CoreSolution, book: Book, late_orders: Collection[str], *,
             keep_going: Callable[[], bool] | None = None, keep_on_time: bool = False
             ) -> tuple[CoreSolution, Book]:
        """Re-seat each order in ``late_orders`` (the orders room-making just pushed past
        their due date, or any late ones), the latest first, with the orders in its way (see
        :meth:`reseat`), as long as ``keep_going`` (if given) says so. With ``keep_on_time``
        a re-seat that puts an order late that was on time is not kept.

        Making room for one order serves it at any price: the orders moved for it may end
        days late, and the greedy used to leave them so for fix-and-optimise. Re-seating them
        at once, while the orders after them are not yet booked, finds room that is gone by
        the end (booked 100-order seed-104 site: one order made 440 ticks late by the first
        make-room stayed late to the end of a 60 s run; seed 113: one reflow made nine late;
        RESULTS.md). Large sites do it once, on the portfolio's winner
        (:data:`RESEAT_LATE_SITE`)."""
        def lateness(group_id: str) -> int:
            group = self.groups[group_id]
            return placed.tasks[group.end_task or ""].end - (group.due or 0)

        for group_id in sorted(late_orders, key=lambda g: (-lateness(g), g)):
            if keep_going is not None and not keep_going():
                break
            if not is_bad(self.groups[group_id], placed):
                continue  # an earlier re-seat put it back on time
            seated = self.reseat(group_id, placed, book, keep_on_time=keep_on_time)
            if seated is not None:
                placed, book = seated
        return placed, book

    def reseat(self, group_id: str, placed: CoreSolution, book: Book, *,
               keep_on_time: bool = False) -> tuple[CoreSolution, Book] | None:
        """Place a placed order again together with the orders that hold its resources in
        the days it wants (first 3, then 6 of them), every one of them kept in the plan.
        Returns the new partial plan and its bookings if the plan's objective falls (and,
        with ``keep_on_time``, no order on time in ``placed`` is late in it), else None. The
        model starts from the plan as it is, so it finds at worst the same."""
        value = objective_value(self.problem, placed)
        late_before = self.late(placed) if keep_on_time else set()

        def better(merged: CoreSolution) -> bool:
            return objective_value(self.problem, merged) < value and \
                (not keep_on_time or self.late(merged) <= late_before)

        return self._with_blockers(
            group_id, dataclasses.replace(self.groups[group_id], optional=False), placed, book,
            min_blockers=0, accept=better)

    def blocking_resources(self, group_id: str, book: Book) -> list[str] | None:
        """The resources whose bookings keep the order out: with every other resource's
        bookings kept, freeing these lets it fit (within its first window). None when even
        freeing every resource does not (its QC runs are full, or it fits only later).

        Which orders to move depends on what is full (see :mod:`suitesched.planning.blame`):
        on a booked 390-order site the order fitted once the top 12 orders on the weekend
        crew were moved, but not the top 48 on everything.
        """
        def fits_without(resources: list[str]) -> bool:
            freed = Book(booked=defaultdict(list, book.booked), runs=book.runs)
            for resource in resources:
                freed.booked[resource] = []
            return self.insert(group_id, freed, one_try=True) is not None

        return blamed_resources(booked_by_kind(self.problem, group_id, book), fits_without)


def _with_runs(placed: CoreSolution, book: Book) -> tuple[CoreSolution, set[str]]:
    """A partial plan with the runs its bookings hold (the greedy keeps runs in the book
    while it inserts), and the orders it places."""
    partial = dataclasses.replace(placed, runs=book.all_runs())
    return partial, {g for g, present in partial.present.items() if present}


def _ends_sooner(group: Group, alone: CoreSolution, placed: CoreSolution) -> bool:
    """Whether the order, placed ``alone`` against the plan without it and its blockers, ends
    before it does in ``placed``.

    If it does not, re-placing it together with the blockers cannot end it sooner either
    (they only take capacity back), so a re-seat would at most move the blockers, which is
    fix-and-optimise's work, not the re-seat's; one one-order model instead of a joint one.
    On the booked 400-order seed-216 site, the portfolio's winner with 26 late: 14 of its 26
    re-seats failed, and the 6-blocker joint models behind them took 1.5 s each; with this
    test the same plan came in 24 s instead of 34 (RESULTS.md)."""
    end_task = group.end_task or ""
    return alone.tasks[end_task].end < placed.tasks[end_task].end
