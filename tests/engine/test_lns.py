"""Fix-and-optimise queues its moves, solves them two at a time and keeps what improves the
plan (:mod:`suitesched.planning.lns`); which orders each move frees is tested in
``test_neighbourhood.py``."""

from __future__ import annotations

import dataclasses
from collections import deque

from helpers import order, scenario, site
from small_plans import four_days, two_orders_one_suite, without
from suitesched.core.evaluate import objective_value
from suitesched.core.solution import CoreSolution
from suitesched.planning import lns, neighbourhood
from suitesched.planning.blame import in_the_way
from suitesched.planning.compile import compile_scenario
from suitesched.planning.explain import reason_seconds
from suitesched.planning.greedy import ONE_ORDER, greedy_solution
from suitesched.planning.lns import (
    MOVE_SLACK_DAYS,
    _next_moves,
    improve,
    move_limit,
    queue_after_repairs,
)
from suitesched.planning.neighbourhood import (
    ContestedRepair,
    GroupIndex,
    InTheWay,
    Overtaken,
    ReleaseQueue,
    Repair,
    WaysAround,
    Wide,
    WideRepair,
    Window,
    bad_groups,
    overtakers,
    release_rivals,
    repair_moves,
    start_of_release_step_waits,
    ways_around,
)
from suitesched.planning.solve import plan_core
from suitesched.planning.subproblem import BLOCKERS
from suitesched.solver.run import SolveParams


def test_a_move_reaches_a_day_past_its_last_order_unless_one_is_out() -> None:
    compiled, solution = two_orders_one_suite()
    problem = compiled.problem
    groups = list(problem.groups)
    day_ticks = compiled.timeline.ticks_per_day
    last_end = max(solution.tasks[g.end_task].end for g in groups)
    assert move_limit(problem, solution, groups, day_ticks) == min(
        problem.horizon, last_end + MOVE_SLACK_DAYS * day_ticks)
    assert move_limit(problem, solution, groups, day_ticks) < problem.horizon
    dropped = dataclasses.replace(solution, present={**solution.present, "C": False})
    assert move_limit(problem, dropped, groups, day_ticks) == problem.horizon


def _c_late_behind_a():
    """One suite: A and C arrive together, the greedy books A (due first) and then C, and C
    is made due an hour after A ends - in time only had it gone first. A is due a week later."""
    sc = scenario(site(), [order("A", due="2026-12-09"), order("C", due="2026-12-10")])
    compiled = compile_scenario(sc, sc.horizon.start)
    solution = greedy_solution(compiled, make_room=False)
    a_end = solution.tasks["A/process"].end
    ticks = compiled.timeline.ticks_per_day
    groups = {g.id: g for g in compiled.problem.groups}
    groups["C"] = dataclasses.replace(groups["C"], due=a_end + ticks // 24)
    groups["A"] = dataclasses.replace(groups["A"], due=a_end + 7 * ticks)
    problem = dataclasses.replace(compiled.problem, groups=tuple(groups.values()))
    return compiled, problem, solution


def test_a_late_order_is_freed_first_with_the_orders_in_the_way_of_its_due_date() -> None:
    compiled, problem, solution = _c_late_behind_a()
    assert bad_groups(problem, solution) == {"C"}
    assert solution.tasks["C/process"].start > solution.tasks["A/process"].start
    # A is in C's way; with A staying where it is, nothing else would put C on time.
    assert in_the_way(problem, solution, "C", 3, ONE_ORDER) == ["A"]
    assert in_the_way(problem, solution, "C", 3, ONE_ORDER, staying="A") == []
    # An order that ends by its due date as it is needs nobody moved.
    assert in_the_way(problem, solution, "A", 3, ONE_ORDER) == []
    day_ticks = compiled.timeline.ticks_per_day
    moves = repair_moves(problem, solution, ["C"], day_ticks)
    assert moves[0] == ["C", "A"]
    # The move may end A as late as its own due date (plus the slack): its repair may need A
    # to end later than either order ends now.
    groups = {g.id: g for g in problem.groups}
    assert move_limit(problem, solution, [groups["C"], groups["A"]], day_ticks) == min(
        problem.horizon, groups["A"].due + MOVE_SLACK_DAYS * day_ticks)
    kept: list[CoreSolution] = []
    repaired = improve(problem, solution, time_limit=30.0,
                       params=SolveParams(workers=1, seed=0, max_deterministic_time=2.0),
                       day_ticks=day_ticks, on_better=kept.append)
    assert bad_groups(problem, repaired) == set()
    assert repaired.tasks["C/process"].start < repaired.tasks["A/process"].start
    _assert_valid(compiled, repaired)
    # Each incumbent kept on the way was reported, each cheaper than the one before.
    values = [objective_value(problem, plan) for plan in kept]
    assert values and values == sorted(set(values), reverse=True)
    assert values[0] < objective_value(problem, solution)
    assert values[-1] == objective_value(problem, repaired)


def test_fix_and_optimise_finds_the_late_orders_in_the_way_on_its_move_threads(
        monkeypatch) -> None:
    """The blame searches of the late orders' repair moves (one-order models, seconds on a
    large site) run on the move threads, which are idle meanwhile; the moves are the same."""
    import threading

    compiled, problem, solution = _c_late_behind_a()
    day_ticks = compiled.timeline.ticks_per_day
    one_by_one = repair_moves(problem, solution, ["C"], day_ticks)
    queued = len(repair_moves(problem, solution, ["C"], day_ticks, lazy=True))
    threads: list[str] = []
    real_in_the_way = neighbourhood.in_the_way

    def spy(*args, **kwargs):
        threads.append(threading.current_thread().name)
        return real_in_the_way(*args, **kwargs)

    monkeypatch.setattr(neighbourhood, "in_the_way", spy)
    seen: list[list[list[str] | WaysAround]] = []
    real_neighbourhoods = lns.neighbourhoods

    def neighbourhoods_spy(*args, **kwargs):
        seen.append(real_neighbourhoods(*args, **kwargs))
        return seen[-1]

    monkeypatch.setattr(lns, "neighbourhoods", neighbourhoods_spy)
    improve(problem, solution, time_limit=30.0,
            params=SolveParams(workers=2, seed=0, max_deterministic_time=2.0),
            day_ticks=day_ticks)
    assert threads and threading.main_thread().name not in threads
    # Queued as markers (see the next test), they stand for the same moves.
    assert isinstance(seen[0][0], InTheWay)
    assert _next_moves(problem, solution, deque(seen[0][:queued]), 99) == \
        _next_moves(problem, solution, deque(one_by_one), 99)
    # So do those of a WaysAround marker's moves, once it is reached.
    mapped: list[str] = []

    def counting_map(function, items):
        items = list(items)
        mapped.extend(items)
        return map(function, items)

    marker = WaysAround("C", ("A",))
    assert _next_moves(problem, solution, deque([marker]), 1, map_each=counting_map) == \
        _next_moves(problem, solution, deque([marker]), 1)
    assert mapped == ["A"]


def test_a_late_orders_blame_is_found_only_once_its_first_repair_move_is_reached(
        monkeypatch) -> None:
    compiled, problem, solution = _c_late_behind_a()
    day_ticks = compiled.timeline.ticks_per_day
    eager = repair_moves(problem, solution, ["C"], day_ticks)
    searched: list[str] = []
    real_in_the_way = neighbourhood.in_the_way

    def spy(problem, solution, group_id, *args, **kwargs):
        if kwargs.get("staying") is None:  # not a WaysAround's search
            searched.append(group_id)
        return real_in_the_way(problem, solution, group_id, *args, **kwargs)

    monkeypatch.setattr(neighbourhood, "in_the_way", spy)
    lazy = repair_moves(problem, solution, ["C"], day_ticks, lazy=True)
    assert searched == []  # nothing searched while queuing
    # Reached, C's markers give the moves queued without them, from one search.
    assert _next_moves(problem, solution, deque(lazy), 99) == \
        _next_moves(problem, solution, deque(eager), 99)
    assert searched == ["C"]
    # A marker whose order is on time by the time it is reached is dropped, unsearched.
    on_time = repair_moves(problem, solution, ["A"], day_ticks, lazy=True)
    searched.clear()
    taken = _next_moves(problem, solution, deque(on_time), 99)
    assert not any(isinstance(move, Repair) for move in taken) and searched == []
    # The first marker reached has its blame found with the next ones', ``count`` at a
    # time (here two orders late, two moves at a time: one batch of two searches).
    both = repair_moves(problem, solution, ["C", "A"], day_ticks, lazy=True)
    batches: list[list[str]] = []

    def batch_map(function, items):
        items = list(items)
        batches.append([item.group for item in items])
        return map(function, items)

    monkeypatch.setattr(lns, "bad_groups", lambda *args: {"C", "A"})
    _next_moves(problem, solution, deque(both), 2, map_each=batch_map)
    assert batches[0] == ["C", "A"]


def test_the_ways_around_the_orders_in_its_way_are_found_only_if_still_late(
        monkeypatch) -> None:
    compiled, problem, solution = _c_late_behind_a()
    day_ticks = compiled.timeline.ticks_per_day
    # Last but its release-queue window among a late order's repair moves, should those
    # before not repair it.
    around = WaysAround("C", staying=("A",))
    assert repair_moves(problem, solution, ["C"], day_ticks)[-2:] == [around, ["C", "A"]]
    assert ways_around(problem, solution, around) == []  # A is all that is in its way
    calls = []
    monkeypatch.setattr(lns, "ways_around", lambda *args: calls.append(args) or [["C", "X"]])
    # Reached in the queue, it gives way to its moves while its order is late (C), and to
    # nothing once it is not (A).
    pending = deque([around, WaysAround("A", staying=("C",)), ["A", "C"]])
    assert _next_moves(problem, solution, pending, 2) == [["C", "X"], ["A", "C"]]
    assert [args[2] for args in calls] == [around] and not pending


def test_a_late_orders_wide_moves_are_dropped_once_it_is_on_time() -> None:
    compiled, problem, solution = _c_late_behind_a()
    day_ticks = compiled.timeline.ticks_per_day
    moves = [m for m in repair_moves(problem, solution, ["C"], day_ticks)
             if not isinstance(m, WaysAround | ReleaseQueue)]
    # The wide moves queued for C (more than the narrow few others) are its Wide moves; its
    # release-queue window is one too, whatever its width (see the test below).
    assert moves and all(isinstance(m, Wide) == (len(m) > 1 + BLOCKERS[0]) for m in moves)
    # While C is late they are taken; A's (A is on time) and, once C is on time, C's are
    # dropped; narrow and other moves are taken either way.
    pending = deque([Wide(["A", "C"]), WideRepair(["C", "A"]), ["A", "C"]])
    assert _next_moves(problem, solution, pending, 3) == [["C", "A"], ["A", "C"]]
    repaired = improve(problem, solution, time_limit=30.0,
                       params=SolveParams(workers=1, seed=0, max_deterministic_time=2.0),
                       day_ticks=day_ticks)
    assert bad_groups(problem, repaired) == set()
    pending = deque([WideRepair(["C", "A"]), Wide(["C", "A"]), Repair(["C", "A"]), ["C"]])
    assert _next_moves(problem, repaired, pending, 3) == [["C", "A"], ["C"]]


def _assert_valid(compiled, solution) -> None:
    """The independent checker accepts ``solution`` as a plan."""
    import suitesched as ss
    from suitesched.planning.extract import build_plan

    sc = compiled.scenario
    plan = build_plan(compiled, solution, now=sc.horizon.start, created=sc.horizon.start,
                      workers=1, seed=0)
    assert ss.check_plan(sc, plan) == []


def _spy_moves(monkeypatch, moves: list[list[str]]):
    """Make fix-and-optimise try ``moves`` (and no others); record each solved move with the
    orders present in the plan it was solved against."""
    calls: list[tuple[tuple[str, ...], frozenset[str]]] = []
    solve = lns._Moves.solve

    def spy(self, base, chunk, *args):
        calls.append((tuple(chunk), frozenset(g for g, p in base.present.items() if p)))
        return solve(self, base, chunk, *args)

    monkeypatch.setattr(lns._Moves, "solve", spy)
    monkeypatch.setattr(lns, "neighbourhoods", lambda *args, **kwargs: moves)
    monkeypatch.setattr(lns, "overtakers", lambda *args, **kwargs: [])
    return calls, solve


def test_two_moves_at_once_and_an_improving_move_that_lost_is_solved_again(monkeypatch) -> None:
    # Four orders on four days; A and D are taken out, and a move that frees one of them puts
    # it back.
    compiled, full = four_days()
    problem = compiled.problem
    assert all(full.present.values())
    start = without(problem, full, {"A", "D"})
    # One order per move, in a fixed order: A and D first, side by side.
    calls, solve = _spy_moves(monkeypatch, [["A"], ["D"], ["B"], ["C"]])
    params = SolveParams(workers=2, seed=0, max_deterministic_time=5.0)
    day_ticks = compiled.timeline.ticks_per_day
    result = lns.improve(problem, start, time_limit=60, params=params, day_ticks=day_ticks)
    assert result.present == {"A": True, "B": True, "C": True, "D": True}
    # The first two moves ran side by side (in either order) against the same incumbent.
    assert set(calls[:2]) == {(("A",), frozenset("BC")), (("D",), frozenset("BC"))}
    # Both improved; the better one was kept and the other is solved again next, on top of it.
    third, third_base = calls[2]
    assert third in (("A",), ("D",)) and third[0] not in third_base, calls[:3]
    assert len(third_base) == 3
    _assert_valid(compiled, result)
    # Reproducible: the same moves in the same order give the same plan.
    monkeypatch.setattr(lns._Moves, "solve", solve)
    again_result = lns.improve(problem, start, time_limit=60, params=params,
                               day_ticks=day_ticks)
    assert again_result.tasks == result.tasks


def _c_costlier_late_behind_a():
    """C is late behind A; both are due an hour after A ends, and C's lateness costs ten
    times A's: C first and A late is cheaper."""
    compiled, problem, solution = _c_late_behind_a()
    groups = {g.id: g for g in problem.groups}
    groups["A"] = dataclasses.replace(groups["A"], due=groups["C"].due)
    groups["C"] = dataclasses.replace(groups["C"],
                                      tardiness_cost=10 * groups["A"].tardiness_cost)
    problem = dataclasses.replace(problem, groups=tuple(groups.values()))
    return compiled, problem, solution


def test_a_repair_move_that_would_make_another_order_late_is_not_kept(monkeypatch) -> None:
    # Freeing C and A, C goes first and A is late: cheaper, so a plain move keeps it, but a
    # repair (a late order with what is in its way) must not put another order late.
    compiled, problem, solution = _c_costlier_late_behind_a()
    assert bad_groups(problem, solution) == {"C"}
    params = SolveParams(workers=1, seed=0, max_deterministic_time=2.0)
    day_ticks = compiled.timeline.ticks_per_day
    _spy_moves(monkeypatch, [Repair(["C", "A"])])
    kept = improve(problem, solution, time_limit=30, params=params, day_ticks=day_ticks)
    assert kept.tasks == solution.tasks
    _spy_moves(monkeypatch, [["C", "A"]])
    traded = improve(problem, solution, time_limit=30, params=params, day_ticks=day_ticks)
    assert bad_groups(problem, traded) == {"A"}
    _assert_valid(compiled, traded)


def test_a_repair_move_that_serves_an_order_left_out_is_kept_though_it_puts_another_late(
        monkeypatch) -> None:
    # One suite: C's fresh specimen must start within an hour of 07:00, so once A holds the
    # suite then, C is out. Freed with A, C goes first and A, due an hour after its own slot
    # ends, is late: one order late for one served, far cheaper, and kept by a repair (a
    # one-for-one trade of late orders stays refused: the test above).
    sc = scenario(site(), [order("A", due="2026-12-09"),
                           order("C", collected="2026-12-07T07:00", stability="1h")])
    compiled = compile_scenario(sc, sc.horizon.start)
    solution = greedy_solution(compiled, make_room=False)
    assert solution.present == {"A": True, "C": False}
    groups = {g.id: g for g in compiled.problem.groups}
    hour = compiled.timeline.ticks_per_day // 24
    groups["A"] = dataclasses.replace(
        groups["A"], due=solution.tasks[groups["A"].end_task].end + hour)
    problem = dataclasses.replace(compiled.problem, groups=tuple(groups.values()))
    assert bad_groups(problem, solution) == {"C"}
    _spy_moves(monkeypatch, [Repair(["C", "A"])])
    repaired = _improve_deterministically(compiled, problem, solution)
    assert repaired.present == {"A": True, "C": True}
    assert bad_groups(problem, repaired) == {"A"}
    assert objective_value(problem, repaired) < objective_value(problem, solution)
    _assert_valid(compiled, repaired)


def test_a_late_order_whose_repair_was_refused_as_a_trade_is_freed_next_with_its_overtakers(
        monkeypatch) -> None:
    # Freeing C with A only trades C's lateness for A's: refused. The trade's orders are freed
    # next with those that overtook C (here E, faked, as E really started after C): C and E
    # first and A late is cheaper and leaves fewer orders late, so this repair is kept.
    compiled, problem, solution, kinds, repaired = _improve_c_and_e_overtaken(
        monkeypatch, [Repair(["C", "A"])], overtaking_c=["E"])
    assert kinds[:2] == [("Repair", ("C", "A")), ("ContestedRepair", ("C", "A", "E"))]
    assert kinds.count(("ContestedRepair", ("C", "A", "E"))) == 1  # once per late order
    assert bad_groups(problem, repaired) == {"A"}
    assert objective_value(problem, repaired) < objective_value(problem, solution)
    _assert_valid(compiled, repaired)


def test_a_late_order_is_freed_with_its_nearest_overtakers_before_its_overtaken_move(
        monkeypatch) -> None:
    # C and E are late behind A and no move is queued. Once the moves have converged, C
    # (overtaken, faked here, by A and E) is freed first, before its Overtaken move, with
    # its nearest overtaker only (one, not twelve, for this test): C first and A late is
    # refused as a trade, as a repair would be, so the trade's orders are freed with C's
    # other overtaker next: C and E first and A late leaves fewer orders late.
    monkeypatch.setattr(lns, "CONTESTED_OVERTAKERS", 1)
    compiled, problem, _, kinds, repaired = _improve_c_and_e_overtaken(
        monkeypatch, [], overtaking_c=["A", "E"])
    assert kinds[:2] == [("ContestedRepair", ("C", "A")), ("ContestedRepair", ("C", "A", "E"))]
    assert kinds.count(("ContestedRepair", ("C", "A"))) == 1  # once per late order
    assert bad_groups(problem, repaired) == {"A"}
    _assert_valid(compiled, repaired)


def _record_kinds(monkeypatch) -> list[tuple[str, tuple[str, ...]]]:
    """Record each move fix-and-optimise solves: its kind and its orders."""
    kinds: list[tuple[str, tuple[str, ...]]] = []
    solve = lns._Moves.solve
    monkeypatch.setattr(lns._Moves, "solve", lambda self, base, chunk, *args: (
        kinds.append((type(chunk).__name__, tuple(chunk))) or solve(self, base, chunk, *args)))
    return kinds


def _improve_c_and_e_overtaken(monkeypatch, moves: list[list[str]], overtaking_c: list[str]):
    """Fix-and-optimise of :func:`_c_and_e_late_behind_a`'s plan (C and E late) trying only
    ``moves`` and the moves it queues itself, with C overtaken, faked, by ``overtaking_c`` and
    no other order overtaken; the site, the plan, each move solved (:func:`_record_kinds`) and
    the plan it ends with."""
    compiled, problem, solution = _c_and_e_late_behind_a()
    assert bad_groups(problem, solution) == {"C", "E"}
    _spy_moves(monkeypatch, moves)
    monkeypatch.setattr(lns, "overtakers", lambda problem, solution, gid, index:
                        list(overtaking_c) if gid == "C" else [])
    kinds = _record_kinds(monkeypatch)
    repaired = _improve_deterministically(compiled, problem, solution)
    return compiled, problem, solution, kinds, repaired


def _improve_deterministically(compiled, problem, solution):
    """Fix-and-optimise on one worker with a deterministic limit."""
    return improve(problem, solution, time_limit=30,
                   params=SolveParams(workers=1, seed=0, max_deterministic_time=2.0),
                   day_ticks=compiled.timeline.ticks_per_day)


def _c_and_e_late_behind_a():
    """One suite: A, C and E arrive together and the greedy books them in that order. C and E
    are due an hour after the first and the second slot ends (in time only had both gone
    before A), A an hour after the first; C's and E's lateness costs ten times A's."""
    sc = scenario(site(), [order("A", due="2026-12-09"), order("C", due="2026-12-10"),
                           order("E", due="2026-12-11")])
    compiled = compile_scenario(sc, sc.horizon.start)
    solution = greedy_solution(compiled, make_room=False)
    ends = [solution.tasks[f"{gid}/process"].end for gid in "ACE"]
    assert ends == sorted(ends)
    hour = compiled.timeline.ticks_per_day // 24
    groups = {g.id: g for g in compiled.problem.groups}
    groups["C"] = dataclasses.replace(groups["C"], due=ends[0] + hour)
    groups["E"] = dataclasses.replace(groups["E"], due=ends[1] + hour)
    groups["A"] = dataclasses.replace(groups["A"], due=ends[0] + hour)
    for gid in "CE":
        groups[gid] = dataclasses.replace(groups[gid],
                                          tardiness_cost=10 * groups["A"].tardiness_cost)
    problem = dataclasses.replace(compiled.problem, groups=tuple(groups.values()))
    return compiled, problem, solution


def test_a_repair_move_that_puts_one_order_late_to_put_two_on_time_is_kept(
        monkeypatch) -> None:
    # Freeing C with E and A: C and E first and A late is cheaper and leaves fewer orders
    # late, so the repair is kept although it puts A late (one-for-one trades stay refused:
    # the test above).
    compiled, problem, solution = _c_and_e_late_behind_a()
    assert bad_groups(problem, solution) == {"C", "E"}
    _spy_moves(monkeypatch, [Repair(["C", "E", "A"])])
    repaired = _improve_deterministically(compiled, problem, solution)
    assert bad_groups(problem, repaired) == {"A"}
    assert objective_value(problem, repaired) < objective_value(problem, solution)
    _assert_valid(compiled, repaired)


def test_a_late_order_the_moves_left_late_is_freed_with_the_orders_that_overtook_it(
        monkeypatch) -> None:
    # The repair move is refused, as above. Once the round is over with C still late, C is
    # freed with the orders that started from C's earliest start to its own start (A): an
    # Overtaken move, solved with the cut-off, so kept although it puts A late.
    compiled, problem, solution = _c_costlier_late_behind_a()
    index = GroupIndex.of(problem)
    assert overtakers(problem, solution, "C", index) == ["A"]
    assert overtakers(problem, solution, "A", index) == []  # A started as early as it could
    _spy_moves(monkeypatch, [Repair(["C", "A"])])
    monkeypatch.setattr(lns, "overtakers", overtakers)
    solve = lns._Moves.solve
    kinds = _record_kinds(monkeypatch)
    traded = _improve_deterministically(compiled, problem, solution)
    assert kinds[:2] == [("Repair", ("C", "A")), ("Overtaken", ("C", "A"))]
    assert kinds.count(("Overtaken", ("C", "A"))) == 1  # once per late order
    assert bad_groups(problem, traded) == {"A"}
    assert objective_value(problem, traded) < objective_value(problem, solution)
    _assert_valid(compiled, traded)
    # With the cut-off, an Overtaken move that finds nothing cheaper returns nothing, where
    # another move freeing a late order returns its warm start (see the next test).
    moves = lns._Moves(problem, index, compiled.timeline.ticks_per_day, 0)
    assert solve(moves, solution, Overtaken(["C"]), 10.0, 2.0, True)[0] is None


def test_an_overtaken_move_waits_for_the_repair_moves_already_queued_for_late_orders(
) -> None:
    overtaken = Overtaken(["C", "A", "B"])
    pending = deque([Repair(["C", "A"]), ["B", "D"], WaysAround("C", staying=("A",)),
                     ["A", "B"]])
    queue_after_repairs(pending, [overtaken], {"C"})
    assert list(pending)[3] is overtaken and len(pending) == 5
    # With no repair queued for a late order, it goes first.
    pending = deque([["B", "D"], ["A", "B"]])
    queue_after_repairs(pending, [overtaken], {"C"})
    assert pending[0] is overtaken


def test_a_move_finds_only_cheaper_placements_and_nothing_once_there_is_none() -> None:
    # C is late behind A, and A is due a week later: freeing both, C goes first, cheaper.
    # Solved again on that plan, where no order is late, the move proves there is nothing
    # cheaper and returns None (solved with the plan's own cost as a cut-off).
    compiled, problem, solution = _c_late_behind_a()
    moves = lns._Moves(problem, GroupIndex.of(problem),
                       compiled.timeline.ticks_per_day, 0)
    better, _ = moves.solve(solution, ["C", "A"], 10.0, 2.0, True)
    assert better is not None
    assert objective_value(problem, better) < objective_value(problem, solution)
    assert bad_groups(problem, better) == set()
    _assert_valid(compiled, better)
    again, _ = moves.solve(better, ["C", "A"], 10.0, 2.0, True)
    assert again is None
    # A move that frees a late order is solved without the cut-off: C alone cannot get
    # ahead of A, and the move returns the plan as it was (the warm start), not None.
    alone, _ = moves.solve(solution, ["C"], 10.0, 2.0, True)
    assert alone is not None
    assert objective_value(problem, alone) == objective_value(problem, solution)


def test_two_windows_at_once_and_one_that_lost_is_made_on_top_when_it_still_fits(
        monkeypatch) -> None:
    # Four orders on four days; A and D are taken out, and a window that frees one of them
    # puts it back, on its own day: both fit at once.
    compiled, full = four_days()
    problem = compiled.problem
    assert all(full.present.values())
    start = without(problem, full, {"A", "D"})
    # One order per move, in a fixed order: windows of A and D first, side by side.
    calls, solve = _spy_moves(monkeypatch, [Window(["A"]), Window(["D"]), ["B"], ["C"]])
    params = SolveParams(workers=2, seed=0, max_deterministic_time=5.0)
    day_ticks = compiled.timeline.ticks_per_day
    result = lns.improve(problem, start, time_limit=60, params=params, day_ticks=day_ticks)
    assert result.present == {"A": True, "B": True, "C": True, "D": True}
    # The first two moves ran side by side (in either order) against the same incumbent.
    assert set(calls[:2]) == {(("A",), frozenset("BC")), (("D",), frozenset("BC"))}
    # Both improved and both were made: the next move is B's, on the plan with all four.
    assert calls[2] == (("B",), frozenset("ABCD"))
    # No window was solved again in that sweep.
    assert sorted(chunk for chunk, _ in calls[:4]) == [("A",), ("B",), ("C",), ("D",)]
    # A and D are where the exact plan had them.
    for task_id, result_task in result.tasks.items():
        if task_id.split("/")[0] in "AD":
            assert (result_task.start, result_task.end) == \
                (full.tasks[task_id].start, full.tasks[task_id].end)
    _assert_valid(compiled, result)
    # Reproducible: the same moves in the same order give the same plan.
    monkeypatch.setattr(lns._Moves, "solve", solve)
    again_result = lns.improve(problem, start, time_limit=60, params=params,
                               day_ticks=day_ticks)
    assert again_result.tasks == result.tasks


def test_a_window_that_lost_and_no_longer_fits_is_solved_again_on_top(monkeypatch) -> None:
    # One suite, A and C arriving together; both are taken out, and each window alone puts
    # its order into the suite first thing: both cannot be made as they were solved.
    compiled, full = two_orders_one_suite()
    problem = compiled.problem
    start = without(problem, full, {"A", "C"})
    calls, _ = _spy_moves(monkeypatch, [Window(["A"]), Window(["C"])])
    params = SolveParams(workers=2, seed=0, max_deterministic_time=5.0)
    result = lns.improve(problem, start, time_limit=60, params=params,
                         day_ticks=compiled.timeline.ticks_per_day)
    assert set(calls[:2]) == {(("A",), frozenset()), (("C",), frozenset())}
    # The better one was kept, and the other is solved again next, on top of it.
    third, third_base = calls[2]
    assert third in (("A",), ("C",)) and third_base == frozenset("AC") - set(third)
    assert result.present == {"A": True, "C": True}
    _assert_valid(compiled, result)


def test_fix_and_optimise_keeps_back_of_the_reasons_reserve_what_the_reasons_need(
        monkeypatch) -> None:
    sc = scenario(site(), [order("A"), order("B", arrival="2026-12-08T07:00")])
    compiled = compile_scenario(sc, sc.horizon.start)
    problem = compiled.problem
    plan = plan_core(compiled, time_limit=None, workers=1, seed=0, max_deterministic_time=5.0)
    assert all(plan.present.values()) and not bad_groups(problem, plan)
    move_limits: list[float] = []
    solve = lns._Moves.solve

    def spy(self, base, chunk, time_limit, *args):
        move_limits.append(time_limit)
        return solve(self, base, chunk, time_limit, *args)

    monkeypatch.setattr(lns._Moves, "solve", spy)
    monkeypatch.setattr(lns, "neighbourhoods", lambda *args, **kwargs: [["A"]])
    params = SolveParams(workers=1, seed=0)
    lns.improve(problem, plan, time_limit=2.0, params=params, reason_reserve=5.0)
    assert 6.0 < move_limits[-1] <= 7.0  # the limit and the reserve
    # Both orders late: their reasons need reason_seconds(2) = 5 s of the reserve.
    late = dataclasses.replace(problem, groups=tuple(
        dataclasses.replace(g, due=0) for g in problem.groups))
    assert reason_seconds(2) == 5.0
    lns.improve(late, plan, time_limit=2.0, params=params, reason_reserve=5.0)
    assert 1.0 < move_limits[-1] <= 2.0
    lns.improve(late, plan, time_limit=2.0, params=params, reason_reserve=8.0)
    assert 4.0 < move_limits[-1] <= 5.0  # the limit and what the reasons leave of the reserve


def test_a_new_plan_sweeps_windows_once_the_pairs_converged_unless_an_order_is_out(
        monkeypatch) -> None:
    compiled, full = four_days()
    problem = compiled.problem
    assert all(full.present.values()) and not bad_groups(problem, full)
    monkeypatch.setattr(neighbourhood, "WINDOW", 3)
    # No small moves at all: the pairs have converged at once.
    calls, _ = _spy_moves(monkeypatch, [])
    params = SolveParams(workers=1, seed=0, max_deterministic_time=5.0)
    day_ticks = compiled.timeline.ticks_per_day
    result = lns.improve(problem, full, time_limit=60, params=params, day_ticks=day_ticks)
    assert calls == [(("A", "B", "C"), frozenset("ABCD")), (("B", "C", "D"), frozenset("ABCD"))]
    _assert_valid(compiled, result)
    # With an order out of the plan, repairing it comes first: no windows.
    calls.clear()
    lns.improve(problem, without(problem, full, {"B"}), time_limit=60, params=params,
                day_ticks=day_ticks)
    assert calls == []
    # A re-plan's repair frees only the orders events touched: no windows either.
    lns.improve(problem, full, time_limit=60, params=params, day_ticks=day_ticks,
                focus={"B"})
    assert calls == []


def test_windows_are_swept_again_right_after_the_round_of_a_sweep_that_paid(
        monkeypatch) -> None:
    compiled, full = four_days()
    problem = compiled.problem
    # A complete plan on time in which B starts a day later than it could: the plan of the
    # same orders with B arriving with C.
    sc = scenario(site(), [order("A"), order("B", arrival="2026-12-09T07:00"),
                           order("C", arrival="2026-12-09T07:00"),
                           order("D", arrival="2026-12-10T07:00")])
    slow = plan_core(compile_scenario(sc, sc.horizon.start), time_limit=None, workers=1,
                     seed=0, max_deterministic_time=5.0)
    assert not bad_groups(problem, slow)
    assert objective_value(problem, slow) > objective_value(problem, full)
    monkeypatch.setattr(neighbourhood, "WINDOW", 3)
    calls, _ = _spy_moves(monkeypatch, [])  # no small moves: windows only
    params = SolveParams(workers=1, seed=0, max_deterministic_time=5.0)
    result = lns.improve(problem, slow, time_limit=60, params=params,
                         day_ticks=compiled.timeline.ticks_per_day)
    windows = [("A", "B", "C"), ("B", "C", "D")]
    # The first sweep moved B forward; so the windows were swept again, which found nothing
    # more: no third sweep. The first sweep began with the window by crew day of B and C,
    # whose people worked on the same day then; after it no two orders share a day.
    assert [chunk for chunk, _ in calls] == [("B", "C"), *windows, *windows]
    assert objective_value(problem, result) == objective_value(problem, full)
    _assert_valid(compiled, result)
    # With a small move too (A alone, which finds nothing): the pairs' round converges, the
    # windows come with the round of threes, and the second sweep starts the very next round
    # - not after further rounds and the growth to fours, as when every move had to
    # converge first.
    calls.clear()
    monkeypatch.setattr(lns, "neighbourhoods", lambda *args, **kwargs: [["A"]])
    again = lns.improve(problem, slow, time_limit=60, params=params,
                        day_ticks=compiled.timeline.ticks_per_day)
    assert [chunk for chunk, _ in calls] == [
        ("A",), ("B", "C"), *windows, ("A",), *windows, ("A",), ("A",)]
    assert objective_value(problem, again) == objective_value(problem, full)
    _assert_valid(compiled, again)


def test_an_order_still_out_is_queued_for_repair_again_every_few_kept_moves(monkeypatch) -> None:
    # A, B and D are out; the moves only ever free A, B or C. D's repair moves come only
    # from the re-queue, due once two moves have been kept (A's, then B's).
    compiled, full = four_days()
    problem = compiled.problem
    start = without(problem, full, {"A", "B", "D"})
    day_ticks = compiled.timeline.ticks_per_day
    params = SolveParams(workers=1, seed=0, max_deterministic_time=5.0)
    queued: list[list[str]] = []
    real_repair_moves = lns.repair_moves

    def spy(problem, solution, bad, day_ticks, **kwargs):
        queued.append(list(bad))
        return real_repair_moves(problem, solution, bad, day_ticks, **kwargs)

    monkeypatch.setattr(lns, "repair_moves", spy)
    monkeypatch.setattr(lns, "REPAIR_AGAIN_AFTER", 2)
    calls, _ = _spy_moves(monkeypatch, [["A"], ["B"], ["C"]])
    result = improve(problem, start, time_limit=60, params=params, day_ticks=day_ticks)
    # After A's move nothing new went bad; after B's, the second kept move, D is queued
    # and its repair is the next move solved.
    assert queued[:2] == [[], ["D"]]
    assert calls[2][0][0] == "D", calls[:3]
    assert all(result.present.values())
    _assert_valid(compiled, result)
    # Without the re-queue (a period no run reaches) D is never tried and stays out.
    queued.clear()
    monkeypatch.setattr(lns, "REPAIR_AGAIN_AFTER", 1000)
    monkeypatch.setattr(lns, "ALONE_AGAIN_SHARE", 2.0)  # nor freed alone (the next test)
    stays_out = improve(problem, start, time_limit=60, params=params, day_ticks=day_ticks)
    assert ["D"] not in queued
    assert stays_out.present["D"] is False and stays_out.present["B"] is True


def test_orders_still_out_are_freed_alone_once_a_share_of_the_time_has_passed(
        monkeypatch) -> None:
    # A, B and D are out; the moves only ever free A, B or C, and no repair move is queued:
    # D can come back only when the orders still out are freed alone.
    compiled, full = four_days()
    problem = compiled.problem
    start = without(problem, full, {"A", "B", "D"})
    day_ticks = compiled.timeline.ticks_per_day
    params = SolveParams(workers=1, seed=0, max_deterministic_time=5.0)
    monkeypatch.setattr(lns, "repair_moves", lambda *args, **kwargs: [])
    monkeypatch.setattr(lns, "ALONE_AGAIN_SHARE", 0.0)
    calls, _ = _spy_moves(monkeypatch, [["A"], ["B"], ["C"]])
    result = improve(problem, start, time_limit=60, params=params, day_ticks=day_ticks)
    # A's move is kept; then B and D, still out, are freed alone, first in line.
    assert [chunk for chunk, _ in calls[:3]] == [("A",), ("B",), ("D",)]
    assert all(result.present.values())
    _assert_valid(compiled, result)
    # Not before the share has passed: D stays out.
    calls.clear()
    monkeypatch.setattr(lns, "ALONE_AGAIN_SHARE", 2.0)
    stays_out = improve(problem, start, time_limit=60, params=params, day_ticks=day_ticks)
    assert ("D",) not in [chunk for chunk, _ in calls]
    assert stays_out.present["D"] is False and stays_out.present["B"] is True


def test_a_late_order_freed_with_its_release_rivals_is_a_window_kept_only_as_a_repair(
        monkeypatch) -> None:
    compiled, problem, solution = _c_late_behind_a()
    day_ticks = compiled.timeline.ticks_per_day
    by_id = {t.id: t for t in problem.tasks}
    # C waits for the suite A holds: A is its rival.
    assert start_of_release_step_waits(problem, solution, by_id["C/process"])
    assert release_rivals(problem, solution, "C", day_ticks) == ["A"]
    queued = [m for m in repair_moves(problem, solution, ["C"], day_ticks)
              if isinstance(m, ReleaseQueue)]
    assert queued == [["C", "A"]]
    assert isinstance(queued[0], Window) and isinstance(queued[0], WideRepair)
    # That move alone puts C on time (A, due a week later, goes second).
    _spy_moves(monkeypatch, queued)
    params = SolveParams(workers=1, seed=0, max_deterministic_time=2.0)
    repaired = improve(problem, solution, time_limit=30, params=params, day_ticks=day_ticks)
    assert bad_groups(problem, repaired) == set()
    _assert_valid(compiled, repaired)


def test_release_queues_keep_the_time_to_repair_and_sweep_windows_stop_early() -> None:
    # A sweep window is solved with the cut-off and stopped early; a release queue frees a
    # late order, is solved without the cut-off, and needs its time to find the repair.
    window = Window(["A", "B"])
    queue = ReleaseQueue(["C", "A"])
    _, window_budget, _ = lns._limits(window, 60.0, None)
    _, queue_budget, _ = lns._limits(queue, 60.0, None)
    assert window_budget == lns.WINDOW_BUDGET
    assert queue_budget == lns.RELEASE_QUEUE_BUDGET > window_budget
    # A deterministic run's share of its budget still caps both.
    assert lns._limits(queue, 60.0, 0.01)[1] == 0.01
    assert lns._limits(queue, 3.0, None)[0] == 3.0


def test_a_contested_move_gets_less_time_than_the_overtaken_move_it_is_solved_as() -> None:
    # Its repair, when there is one, comes early; without one, an Overtaken move's full
    # budget ran 25 s on the wall to keep the order late (booked seed-51 site).
    contested = ContestedRepair(["C", "A", "E"])
    overtaken = Overtaken(["C", "A", "E"])
    seconds, budget, _ = lns._limits(contested, 60.0, None)
    assert (seconds, budget) == (lns.CONTESTED_SECONDS, lns.CONTESTED_BUDGET)
    assert budget < lns._limits(overtaken, 60.0, None)[1] == lns.OVERTAKEN_BUDGET
    assert seconds < lns._limits(overtaken, 60.0, None)[0] == lns.OVERTAKEN_SECONDS
