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

Which orders each move frees is :mod:`suitesched.planning.neighbourhood`'s job; this module
queues those moves, solves them and keeps what improves the plan.
"""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

from suitesched.core.evaluate import is_bad, objective_value
from suitesched.core.problem import CoreProblem, Group
from suitesched.core.solution import CoreSolution
from suitesched.planning import neighbourhood
from suitesched.planning.explain import reason_seconds
from suitesched.planning.greedy import ONE_ORDER_MODEL
from suitesched.planning.neighbourhood import (
    ContestedRepair,
    GroupIndex,
    InTheWay,
    MapEach,
    Marker,
    Overtaken,
    ReleaseQueue,
    Repair,
    WaysAround,
    Wide,
    Window,
    arrival_windows,
    bad_groups,
    blame_batch,
    crew_day_windows,
    find_ways,
    neighbourhoods,
    overtakers,
    repair_moves,
    ways_around,
)
from suitesched.planning.subproblem import book_from, merge_move, subproblem
from suitesched.solver.run import SolveParams, solve_core

MOVE_SECONDS = 10.0
"""Most wall seconds one small move gets."""
MOVE_BUDGET = 2.0
"""Deterministic seconds per move. A move is solved like a one-order insertion (one worker, no
presolve, no LP): booked 93-order site, 60 s: 124 moves instead of 17, objective 38,604 ->
38,258 (RESULTS.md)."""
MIN_MOVE_SECONDS = 0.5
"""No move is started with less wall-clock time than this left."""
MIN_MOVE_CHARGE = 0.05
"""Deterministic seconds a move is charged at least. Without presolve CP-SAT counts far less
deterministic time than its search over the booked intervals takes (0.07 for 2.4 s at 400
orders), so an uncharged budget of a few seconds allowed hundreds of moves."""
MOVE_SLACK_DAYS = 1
"""A move's orders may end up to this long after the last of them ends now."""
CHUNK = 2
"""Orders freed per move: small moves solve to optimality fast and were measured best."""
REPAIR_AGAIN_AFTER = 8
"""Every this many kept moves, the orders still late or out are queued for repair again,
first in line: the moves since may have made room. Booked 400-order seed-4 site
(deterministic limit 20): the plan ended with an order 83 h late whose first repair move,
tried on that final plan, put it on time in 0.4 s (206,679 -> 181,614); the sweep it was
last tried in had hundreds of moves still to go."""
LAZY_BLAME = True
"""Whether fix-and-optimise finds the orders in a late order's way (a blame search: a few
one-order models) when its first repair move is reached (:class:`InTheWay` markers), rather
than every late order's when its repair moves are queued. On the booked 400-order seed-216
site, handed over with 17 orders late, those searches took the first 8 s before any move
was solved, and the 120 s runs that had 10 s left ended with the plan unmoved; reached one
or two at a time, each search is made against the plan as it is then, and not at all for
an order the moves before it have put on time (RESULTS.md)."""
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
PARALLEL_MOVES = 2
"""Moves tried at once in a new plan with 2 or more workers, one per core."""
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
CONTESTED_OVERTAKERS = 12
"""How many of the orders that overtook a late order (the latest first) join a refused trade's
orders in its :class:`ContestedRepair` move (see :func:`contested_move`), or the late order
alone in its own (``late_order_moves`` in :func:`improve`). From the final plan of a 60 s
run of the booked 100-order seed-139 site: with 8 nothing cheaper, with 12 every order on
time (7 s), with 16 one order late; on the 150-order seed-202 site, the order alone with 12
put both late orders on time, with 16 one (RESULTS.md)."""
CONTESTED_SECONDS = 10.0
"""Most wall seconds a :class:`ContestedRepair` move gets."""
CONTESTED_BUDGET = 0.2
"""Most deterministic seconds a :class:`ContestedRepair` move gets, less than an
:class:`Overtaken` move's :data:`OVERTAKEN_BUDGET`. Its model, with the trade's orders and the
overtakers free, takes long on the wall for its deterministic time (1.0 took 4-25 s), and its
repair, when there is one, comes first. Captured from 60 s runs of the booked 100-order sites
and solved again: on seeds 139 (twice), 20 and 136 the move's plan at 1.0 was found by 0.1,
on seed 113 nearly (726,000 against 721,500 before scaling); on seed 51, at 1.0 it ran 25 s
to keep the order late, at 0.2 it gave up in 9.5 s (RESULTS.md)."""
WINDOWS_AT = 0.4
"""Share of the improvement's time after which the window sweep starts, if the pairs have
not converged before. Once the round of a sweep that paid is over, the windows are swept
again, shifted (see :func:`arrival_windows`), while time is left."""


def trades_late_orders(bad_before: set[str], bad_after: set[str], out_before: int,
                       out_after: int) -> bool:
    """Whether a move that leaves ``bad_after`` late or unscheduled (``bad_before`` before it;
    ``out_after`` and ``out_before`` of them unscheduled) puts another order late or out
    without leaving fewer such orders, nor fewer out: a :class:`Repair` move that does is not
    kept.

    Serving an order that was out is worth orders late, as the objective says: on the booked
    100-order seed-139 site the repairs that served the one order the greedy had left out
    put two on-time orders late (first 4,103,510 -> 182,206); refused as trades each time,
    the 60 s plan ended with the order still out (4,102,307)."""
    return bool(bad_after - bad_before) and len(bad_after) >= len(bad_before) \
        and out_after >= out_before


def contested_move(problem: CoreProblem, solution: CoreSolution, trade: list[str],
                   index: GroupIndex) -> ContestedRepair | None:
    """The move tried once a :class:`Repair` move of a late order was refused as a trade
    (:func:`trades_late_orders`): its orders with the first :data:`CONTESTED_OVERTAKERS`
    orders that overtook the late order (:func:`overtakers`), solved as an :class:`Overtaken`
    move, with the cut-off, on a smaller budget (:data:`CONTESTED_BUDGET`), and kept only if
    it trades no late orders (a :class:`ContestedRepair`). None if no order overtook it.

    The trade says the order can be on time, but only in a place another order needs; that
    order in turn needs a place that the orders queued after it hold. On the booked 100-order
    seed-139 site the last late order's repairs put the order they displaced 432 ticks late,
    and no repair of that one put it back; the move of the repair's four orders and twelve
    overtakers, solved from the run's final plan, put every order on time at the bound's
    level (67,570.75 -> 42,246.75, 7 s; the order's Overtaken move of all 30: 28 s, 2 late;
    RESULTS.md)."""
    gid = trade[0]
    others = [o for o in overtakers(problem, solution, gid, index) if o not in trade]
    if not others:
        return None
    return ContestedRepair([*trade, *others[:CONTESTED_OVERTAKERS]])


def queue_after_repairs(pending: deque[list[str] | Marker], moves: list[list[str]],
                        bad: set[str]) -> None:
    """Put ``moves`` in ``pending`` right after the last move queued that frees one of the
    ``bad`` orders first (its repair moves), or first in line if there is none.

    The cheap repairs go first: on the booked seed-16 site the time for the Overtaken move
    came 0.2 s before a pair already queued put the order on time, and the Overtaken move,
    taken first, spent 19 s on a costlier trade that left another order late (60 s: 10.56 %
    above the bound, 1 late, against 4.33 %, none late; RESULTS.md)."""
    def repairs(item: list[str] | Marker) -> bool:
        return item.group in bad if isinstance(item, Marker) else bool(item) and item[0] in bad

    last = max((i for i, item in enumerate(pending) if repairs(item)), default=-1)
    for offset, move in enumerate(moves):
        pending.insert(last + 1 + offset, move)


def _next_moves(problem: CoreProblem, solution: CoreSolution,
                pending: deque[list[str] | Marker], count: int, *,
                map_each: MapEach = map) -> list[list[str]]:
    """Up to ``count`` moves from the head of ``pending``; a :class:`WaysAround` or
    :class:`InTheWay` marker reached on the way is replaced by its moves (their blame
    searches run by ``map_each``), and a :class:`Wide` move is taken, only while its group
    is still bad in ``solution``. An :class:`InTheWay` marker whose blame is still to find
    has it found together with those of the next markers in line, ``count`` in all, as the
    moves are solved ``count`` at a time."""
    chunks: list[list[str]] = []
    bad = bad_groups(problem, solution)
    while pending and len(chunks) < count:
        item = pending.popleft()
        if isinstance(item, InTheWay):
            if item.group in bad:
                if item.group not in item.found:
                    find_ways(problem, solution, blame_batch(item, pending, bad, count),
                              map_each)
                pending.extendleft(reversed(item.moves()))
        elif isinstance(item, WaysAround):
            if item.group in bad:
                pending.extendleft(reversed(ways_around(problem, solution, item, map_each)))
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
    on_better: Callable[[CoreSolution], None] | None = None,
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
    seconds.

    ``on_better``, if given, is called with each new incumbent as it is kept: the command
    line's progress line shows the plan improving, not only the first plan and the last."""
    started = time.monotonic()
    budget = params.max_deterministic_time
    spent = 0.0
    best = incumbent
    best_value = objective_value(problem, best)
    bad_now = bad_groups(problem, best)  # the late or unscheduled orders of ``best``
    reserve = _usable(reason_reserve, bad_now)
    if budget is None and time_limit + reserve < MIN_MOVE_SECONDS:
        # No time for a move: not even the first moves are looked for (their blame searches
        # took 8.4 s on a booked 400-order site with 23 orders late or out).
        return best
    moves = _Moves(problem, GroupIndex.of(problem), day_ticks, params.seed)
    at_once = PARALLEL_MOVES if params.workers >= 2 and focus is None else 1
    rounds = 0
    kept_since_repairs = 0  # moves kept since the late orders' repair moves were last queued
    # When the bad orders were last freed alone, and the plan's value then.
    alone_at, alone_from = 0.0, best_value
    # A re-plan's repair frees each touched order once with its competitors; a new plan
    # sweeps again while the sweep improves, then with wider moves while time is left.
    max_rounds = 1 if focus is not None else ROUNDS
    # Once the small moves have had their share of the time (or converged first), one sweep
    # of window moves; then the small moves again, wider, with whatever is left. Not while an
    # order is late or out: repairing it is worth far more than any wait, and windows took
    # the time of those repairs (booked 400-order site at 120 s: 8 late, 243,604, against
    # 2 late, 171,075 without windows). The site must be wider than one window; WINDOW is
    # read through its module, so that the width and this test are always the same value.
    windows = arrival_windows(problem) if focus is None and day_ticks is not None \
        and len(problem.groups) > neighbourhood.WINDOW else []
    sweeps, swept_from = 0, best_value  # window sweeps queued; the value when the last began
    # Each late or unscheduled order gets one Overtaken move: once the moves have converged
    # with it late, or once the share OVERTAKEN_AT of the time is spent (booked seed-50 site:
    # the order stayed late from 24 s to the end of a 60 s run; its Overtaken move, 1.9 s,
    # put it on time; RESULTS.md).
    overtaken_for: set[str] = set()
    # Each late order whose repair was refused as a trade gets one contested move, next in
    # line, while no more than OVERTAKEN_LATE orders are late or out (contested_move).
    contested_for: set[str] = set()
    # And, with as few late, each late order gets one such move of its own with its nearest
    # overtakers, first in line, before its Overtaken move (booked 150-order seed-202 site:
    # the run ended with 2 late behind the repairs queued for them, and from its final plan
    # one such move of 13 orders put both on time in 0.2 deterministic seconds; its Overtaken
    # move of all 30 left both late, in 1.0; RESULTS.md).
    near_for: set[str] = set()
    first_next: list[list[str]] = []

    def share_spent() -> float:
        if budget is not None:
            return spent / budget if budget else 1.0
        return (time.monotonic() - started) / time_limit if time_limit else 1.0

    def windows_due(pairs_converged: bool) -> bool:
        if not windows or bad_now:
            return False
        return pairs_converged or share_spent() >= WINDOWS_AT

    def late_order_moves() -> tuple[list[list[str]], list[list[str]]]:
        """For each late or unscheduled order, the moves with the orders that overtook it
        that it has not had yet (none in a re-plan's repair): a :class:`ContestedRepair` of
        the order with its :data:`CONTESTED_OVERTAKERS` latest overtakers, only while no more
        than :data:`OVERTAKEN_LATE` orders are late or out and only if more overtook it (else
        its Overtaken move frees the same orders); and its :class:`Overtaken` move. Each
        order's overtakers are found once for both."""
        if focus is not None or day_ticks is None:
            return [], []
        near_due = sorted(bad_now - near_for) if len(bad_now) <= OVERTAKEN_LATE else []
        overtaken_due = sorted(bad_now - overtaken_for)
        near_for.update(near_due)
        overtaken_for.update(overtaken_due)
        ahead = {gid: overtakers(problem, best, gid, moves.index)
                 for gid in {*near_due, *overtaken_due}}
        near = [ContestedRepair([gid, *ahead[gid][:CONTESTED_OVERTAKERS]]) for gid in near_due
                if len(ahead[gid]) > CONTESTED_OVERTAKERS]
        return near, [Overtaken([gid, *ahead[gid]]) for gid in overtaken_due if ahead[gid]]

    def queue_windows(pending: deque[list[str] | Marker]) -> None:
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
            pending = deque(neighbourhoods(problem, best, size, focus, day_ticks, moves.index,
                                           map_each=pool.map, lazy=LAZY_BLAME))
            pending.extendleft(reversed(first_next))
            first_next = []
            if windows_due(pairs_converged=rounds == 1 and size > CHUNK):
                queue_windows(pending)
            while pending:
                left = time_limit + reserve - (time.monotonic() - started)
                if budget is not None:
                    # Deterministic mode: only the deterministic budget stops the search.
                    left = 1e9
                if left < MIN_MOVE_SECONDS or (budget is not None and spent >= budget):
                    return best
                if windows_due(pairs_converged=False):
                    queue_windows(pending)
                if bad_now - overtaken_for and len(bad_now) <= OVERTAKEN_LATE \
                        and share_spent() >= OVERTAKEN_AT:
                    near, overtaken = late_order_moves()
                    queue_after_repairs(pending, overtaken, bad_now)
                    pending.extendleft(reversed(near))
                if bad_now and best_value < alone_from and focus is None \
                        and share_spent() - alone_at >= ALONE_AGAIN_SHARE:
                    pending.extendleft([gid] for gid in sorted(bad_now, reverse=True))
                    alone_at, alone_from = share_spent(), best_value
                chunks = _next_moves(problem, best, pending, at_once, map_each=pool.map)
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
                    if isinstance(chunks[k], Repair) and trades_late_orders(
                            bad_before, bad_after := bad_groups(problem, candidate),
                            _out(best, bad_before), _out(candidate, bad_after)):
                        late_order = chunks[k][0]
                        if focus is None and late_order in bad_before \
                                and late_order not in contested_for \
                                and len(bad_before) <= OVERTAKEN_LATE:
                            contested_for.add(late_order)
                            contested = contested_move(problem, best, chunks[k], moves.index)
                            if contested is not None:
                                pending.appendleft(contested)
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
                        repair_moves(problem, candidate, sorted(to_repair), day_ticks,
                                     map_each=pool.map, lazy=LAZY_BLAME)))
                best, best_value, improved = candidate, value, True
                reserve = _usable(reason_reserve, bad_now)
                if on_better is not None:
                    on_better(best)
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
                near, overtaken = late_order_moves()
                first_next = near + overtaken
                if first_next:
                    continue
            if focus is not None or size >= MAX_CHUNK:
                # Every move has converged and no sweep is due: the last found nothing, an
                # order is late or out, or (a re-plan's repair) there are no windows.
                break
            size, rounds = size + 1, 0
    return best


def _out(solution: CoreSolution, bad: set[str]) -> int:
    """How many of the ``bad`` orders ``solution`` leaves out of the plan."""
    return sum(1 for gid in bad if not solution.present.get(gid))


def _usable(reason_reserve: float, bad: set[str]) -> float:
    """The part of ``reason_reserve`` the moves may use while ``bad`` orders are late or out:
    all of it but what their reasons need (:func:`~suitesched.planning.explain.reason_seconds`)."""
    return max(0.0, reason_reserve - reason_seconds(len(bad))) if bad else reason_reserve


def _limits(chunk: list[str], left: float, share: float | None) -> tuple[float, float, bool]:
    """A move's wall limit, deterministic limit and whether only the latter counts (with
    ``share``, the deterministic time left per move tried at once)."""
    if isinstance(chunk, ContestedRepair):
        seconds, budget = CONTESTED_SECONDS, CONTESTED_BUDGET
    elif isinstance(chunk, Overtaken):
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
