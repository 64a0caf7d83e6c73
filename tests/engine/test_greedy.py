"""The greedy plan: earliest-due-date insertion, and making room for an order that fits nowhere."""

from __future__ import annotations

import os
import threading
import time

import pytest

from helpers import order, scenario, site
from suitesched.check import check_plan
from suitesched.core.solution import CoreSolution
from suitesched.planning import greedy as greedy_module
from suitesched.planning import processes
from suitesched.planning.compile import compile_scenario
from suitesched.planning.extract import build_plan
from suitesched.planning.greedy import (
    Inserter,
    dispatch_order,
    greedy_solution,
    portfolio_solution,
    reseat_late_orders,
)
from suitesched.planning.subproblem import Book, book_from


def _one_suite_race():
    """One suite, two orders arriving together. A is due first, so it is inserted first and
    takes the suite at 07:00; C's fresh specimen must start within 1 h of collection, so once
    A holds the suite C fits nowhere unless A moves to after it."""
    sc = scenario(site(), [order("A", due="2026-12-09"),
                           order("C", collected="2026-12-07T07:00", stability="1h")])
    return sc, compile_scenario(sc, sc.horizon.start)


def _start(solution, group: str) -> int:
    return min(r.start for t, r in solution.tasks.items() if t.startswith(f"{group}/"))


def _plan_of(sc, compiled, solution):
    """The plan of a greedy solution, as the engine would write it at the horizon's start."""
    return build_plan(compiled, solution, now=sc.horizon.start, created=sc.horizon.start,
                      workers=1, seed=0)


def _both_placed_c_first(sc, compiled, solution):
    """Both orders in, C before A, and the plan passes the independent checker."""
    assert solution.present == {"A": True, "C": True}
    assert _start(solution, "C") < _start(solution, "A")
    plan = _plan_of(sc, compiled, solution)
    assert check_plan(sc, plan) == []
    return plan


def test_an_order_that_fits_nowhere_is_placed_by_moving_the_order_that_blocks_it() -> None:
    sc, compiled = _one_suite_race()
    plain = greedy_solution(compiled, make_room=False)
    assert plain.present == {"A": True, "C": False}

    plan = _both_placed_c_first(sc, compiled, greedy_solution(compiled))
    assert plan.outcome("A").tardiness_hours == 0


def test_while_room_is_made_the_plain_insertion_is_previewed_as_a_valid_plan() -> None:
    # D comes after C in the dispatch: the preview inserts it around A with C left out,
    # while the plan itself makes room for C first.
    sc = scenario(site(), [order("A", due="2026-12-09"),
                           order("C", collected="2026-12-07T07:00", stability="1h"),
                           order("D", due="2026-12-30")])
    compiled = compile_scenario(sc, sc.horizon.start)
    previews = []
    solution = greedy_solution(compiled, preview=previews.append)
    assert solution.present == {"A": True, "C": True, "D": True}
    assert [p.present for p in previews] == [{"A": True, "C": False, "D": True}]
    preview_plan = _plan_of(sc, compiled, previews[0])
    assert check_plan(sc, preview_plan) == []
    # Where no room is made, nothing is previewed: the plan is the plain insertion.
    _, race = _one_suite_race()
    assert greedy_solution(race, make_room=False, preview=previews.append).present == \
        {"A": True, "C": False}
    assert len(previews) == 1


def test_a_replan_repair_never_moves_the_orders_it_keeps() -> None:
    _, compiled = _one_suite_race()
    plain = greedy_solution(compiled, make_room=False)
    kept = greedy_solution(compiled, start=plain)
    assert kept.present == {"A": True, "C": False}
    assert kept.tasks == plain.tasks


def test_room_is_made_only_with_blockers_whose_absence_lets_the_order_fit(
        monkeypatch: pytest.MonkeyPatch) -> None:
    # The joint model of C with A is solved only once C alone is known to fit with A gone:
    # where it does not, no re-placement of A can make room, and the model would only prove
    # so. Joint models are the solves warm-started from the plan (``hint``).
    _, compiled = _one_suite_race()
    inserter = Inserter(compiled)
    partial = CoreSolution(status="FEASIBLE", objective=None, bound=None, wall_seconds=0.0)
    book = Book()
    assert inserter.place("A", book, partial) and not inserter.place("C", book, partial)
    real_solve = greedy_module.solve_core
    joint: list[object] = []

    def counted(problem, params=None, **kwargs):
        if kwargs.get("hint") is not None:
            joint.append(problem)
        return real_solve(problem, params, **kwargs)

    monkeypatch.setattr(greedy_module, "solve_core", counted)
    made = inserter.make_room("C", partial, book)
    assert made is not None and made[0].present == {"A": True, "C": True}
    assert len(joint) == 1

    joint.clear()
    monkeypatch.setattr(Inserter, "insert", lambda *args, **kwargs: None)
    assert inserter.make_room("C", partial, book) is None
    assert joint == []


def test_when_no_room_can_be_made_the_order_swaps_in_and_its_blocker_goes_elsewhere(
        monkeypatch: pytest.MonkeyPatch) -> None:
    # The joint re-placement of an order with its blockers can run out of budget on a large
    # site; the swap (the order takes A's place, A goes back wherever it fits) is the fallback.
    sc, compiled = _one_suite_race()
    monkeypatch.setattr(Inserter, "make_room", lambda *args: None)
    _both_placed_c_first(sc, compiled, greedy_solution(compiled))
    without_swap = greedy_solution(compiled, make_room=False)
    assert without_swap.present["C"] is False


def test_the_portfolio_keeps_the_best_dispatch_rule_and_one_core_runs_only_the_first(
        monkeypatch: pytest.MonkeyPatch) -> None:
    # With no room-making, the due-date rule books A first and C's 1-hour specimen fits
    # nowhere; the stability rule books C first and both fit. Two cores run both rules and
    # keep the better plan; one core runs the due-date rule alone.
    sc, compiled = _one_suite_race()
    assert dispatch_order(compiled) == ["A", "C"]
    assert dispatch_order(compiled, "stability") == ["C", "A"]
    monkeypatch.setattr(Inserter, "make_room", lambda *args: None)
    monkeypatch.setattr(Inserter, "swap_in", lambda *args: None)
    monkeypatch.setattr(Inserter, "reflow", lambda *args, **kwargs: None)
    _both_placed_c_first(sc, compiled, portfolio_solution(compiled, workers=2))
    assert portfolio_solution(compiled, workers=1).present == {"A": True, "C": False}


def test_when_neither_room_nor_a_swap_works_the_order_goes_first_and_its_blockers_after_it(
        monkeypatch: pytest.MonkeyPatch) -> None:
    sc, compiled = _one_suite_race()
    monkeypatch.setattr(Inserter, "make_room", lambda *args: None)
    monkeypatch.setattr(Inserter, "swap_in", lambda *args: None)
    _both_placed_c_first(sc, compiled, greedy_solution(compiled))
    _both_placed_c_first(sc, compiled, greedy_solution(compiled, reflow_seconds=60.0))
    # A reflow out of time gives up before putting A back: C stays out, for fix-and-optimise.
    assert greedy_solution(compiled, reflow_seconds=0.0).present == {"A": True, "C": False}
    monkeypatch.setattr(Inserter, "reflow", lambda *args, **kwargs: None)
    assert greedy_solution(compiled).present == {"A": True, "C": False}


def test_with_a_spare_core_the_reflow_runs_alongside_room_making_and_changes_no_plan(
        monkeypatch: pytest.MonkeyPatch) -> None:
    # As soon as C needs room, its reflow starts on a second thread. Here room-making places
    # C, so the reflow is cancelled and the plan is room-making's; where neither room-making
    # nor a swap places C, it is the reflow's. Either way the plan is the one-core plan.
    sc, compiled = _one_suite_race()
    real_reflow = Inserter.reflow
    calls: list[tuple[bool, threading.Event | None]] = []

    def watched(self, group_id, placed, book, give_up_at=None, cancelled=None):
        calls.append((threading.current_thread() is threading.main_thread(), cancelled))
        return real_reflow(self, group_id, placed, book, give_up_at, cancelled)

    monkeypatch.setattr(Inserter, "reflow", watched)
    one_core = greedy_solution(compiled)
    assert calls == []  # room-making placed C: no reflow
    two_cores = greedy_solution(compiled, spare_core=True)
    assert (two_cores.present, two_cores.tasks) == (one_core.present, one_core.tasks)
    assert len(calls) == 1
    on_main, cancelled = calls[0]
    assert not on_main and cancelled is not None and cancelled.is_set()

    calls.clear()
    monkeypatch.setattr(Inserter, "make_room", lambda *args: None)
    monkeypatch.setattr(Inserter, "swap_in", lambda *args: None)
    one_core = greedy_solution(compiled)
    two_cores = greedy_solution(compiled, spare_core=True)
    _both_placed_c_first(sc, compiled, two_cores)
    assert two_cores.tasks == one_core.tasks
    assert [on_main for on_main, _ in calls] == [True, False]
    assert calls[1][1] is not None and not calls[1][1].is_set()
    # A reflow cancelled before it starts puts nothing back: C stays out.
    inserter = Inserter(compiled)
    partial = CoreSolution(status="FEASIBLE", objective=None, bound=None, wall_seconds=0.0)
    book = Book()
    assert inserter.place("A", book, partial) and not inserter.place("C", book, partial)
    stopped = threading.Event()
    stopped.set()
    assert real_reflow(inserter, "C", partial, book, cancelled=stopped) is None
    assert real_reflow(inserter, "C", partial, book) is not None


def test_an_error_in_a_cancelled_reflow_is_raised_not_swallowed(
        monkeypatch: pytest.MonkeyPatch) -> None:
    # Room-making places C, so the reflow alongside is cancelled and its result dropped; an
    # error it raised is a bug all the same, and greedy_solution raises it.
    _, compiled = _one_suite_race()

    def broken(self, group_id, placed, book, give_up_at=None, cancelled=None):
        raise RuntimeError("reflow broke")

    monkeypatch.setattr(Inserter, "reflow", broken)
    assert greedy_solution(compiled).present == {"A": True, "C": True}  # no reflow needed
    with pytest.raises(RuntimeError, match="reflow broke"):
        greedy_solution(compiled, spare_core=True)


def test_the_resource_that_keeps_an_order_out_is_named_and_the_others_are_not() -> None:
    # Once A holds the only suite, C would fit if the suite were free; the operators and the
    # incubator A also books are not what keeps C out.
    _, compiled = _one_suite_race()
    plain = greedy_solution(compiled, make_room=False)
    book = book_from(compiled.problem, plain, {"A"})
    assert {r.kind for r in compiled.problem.resources} == {"suite", "people", "equipment"}
    assert Inserter(compiled).blocking_resources("C", book) == ["S1"]


def test_past_its_deadline_the_greedy_makes_no_room_and_once_stopped_it_places_nothing() -> None:
    _, compiled = _one_suite_race()
    late = greedy_solution(compiled, deadline=time.monotonic() - 1)
    assert late.present == {"A": True, "C": False}
    stop = threading.Event()
    stop.set()
    assert greedy_solution(compiled, stop=stop).present == {"A": False, "C": False}


def test_with_a_time_limit_the_first_rule_to_place_every_order_stops_the_other(
        monkeypatch: pytest.MonkeyPatch) -> None:
    # In threads (where forking is not safe): the stability rule places both orders at once;
    # the due-date rule, without any room making, would leave C out. The complete plan
    # raises the stop flag both rules watch.
    sc, compiled = _one_suite_race()
    for repair in ("make_room", "swap_in", "reflow"):
        monkeypatch.setattr(Inserter, repair, lambda *args, **kwargs: None)
    monkeypatch.setattr(greedy_module, "PORTFOLIO_PROCESSES", False)
    flags: list[threading.Event | None] = []
    real = greedy_module.greedy_solution

    def watched(*args, stop=None, **kwargs):
        flags.append(stop)
        return real(*args, stop=stop, **kwargs)

    monkeypatch.setattr(greedy_module, "greedy_solution", watched)
    _both_placed_c_first(sc, compiled, portfolio_solution(compiled, workers=2,
                                                          deadline=time.monotonic() + 60))
    assert len(flags) == 2 and flags[0] is flags[1] and flags[0] is not None
    assert flags[0].is_set()
    flags.clear()
    portfolio_solution(compiled, workers=2)  # reproducible: every rule runs to the end
    assert flags == [None, None]


def _slow_rule(slow: str, seconds: float, mark):
    """The greedy, with dispatch rule ``slow`` taking ``seconds`` longer and writing ``mark``
    once it ends (a killed rule's process leaves none)."""
    def greedy(*args, rule="due", **kwargs):
        if rule == slow:
            time.sleep(seconds)
            mark.write_text("ended")
        return greedy_solution(*args, rule=rule, **kwargs)  # as imported: never the patch
    return greedy


def _race_with_a_slow_rule(monkeypatch, compiled, slow: str, mark, **seconds_from_now):
    """The portfolio's plan with rule ``slow`` made two minutes slow (see :func:`_slow_rule`),
    its limits given in seconds from now; and whether the slow rule was stopped: the race
    was over within a minute, and the rule left no mark."""
    monkeypatch.setattr(greedy_module, "greedy_solution", _slow_rule(slow, 120, mark))
    started = time.monotonic()
    plan = portfolio_solution(compiled, workers=2, **{
        limit: started + seconds for limit, seconds in seconds_from_now.items()})
    return plan, time.monotonic() - started < 60 and not mark.exists()


@pytest.mark.skipif(not processes.can_fork(), reason="forks only on Linux")
def test_in_processes_the_first_rule_to_place_every_order_has_the_other_killed(
        monkeypatch: pytest.MonkeyPatch, tmp_path) -> None:
    # The due-date rule is made slow (two minutes) and leaves a mark when it ends. Under a
    # wall-clock limit the stability rule's complete plan wins and the slow rule's process
    # is killed: no mark, and no two-minute wait. Without one, every rule runs to its end.
    sc, compiled = _one_suite_race()
    mark = tmp_path / "due-rule-ended"
    plan, stopped = _race_with_a_slow_rule(monkeypatch, compiled, "due", mark, deadline=900)
    _both_placed_c_first(sc, compiled, plan)
    assert stopped
    monkeypatch.setattr(greedy_module, "greedy_solution", _slow_rule("due", 0.5, mark))
    _both_placed_c_first(sc, compiled, portfolio_solution(compiled, workers=2))
    assert mark.read_text() == "ended"


def test_past_the_deadline_room_is_made_for_the_order_the_best_rule_left_out(
        monkeypatch: pytest.MonkeyPatch) -> None:
    # Both rules are the due-date rule, which past room-making's deadline leaves C out. The
    # portfolio then makes room for C in the winner's plan while its re-seats may run, and
    # not once that time is over too.
    sc, compiled = _one_suite_race()
    monkeypatch.setattr(greedy_module, "PORTFOLIO_RULES", ("due", "due"))
    for processes_or_threads in (True, False):
        monkeypatch.setattr(greedy_module, "PORTFOLIO_PROCESSES", processes_or_threads)
        placed = portfolio_solution(compiled, workers=2, deadline=time.monotonic() - 1,
                                    reseat_until=time.monotonic() + 60)
        plan = _both_placed_c_first(sc, compiled, placed)
        assert plan.outcome("A").tardiness_hours == 0
        out = portfolio_solution(compiled, workers=2, deadline=time.monotonic() - 1)
        assert out.present == {"A": True, "C": False}


@pytest.mark.skipif(not processes.can_fork(), reason="forks only on Linux")
def test_past_the_deadline_the_first_rule_in_ends_the_race(
        monkeypatch: pytest.MonkeyPatch, tmp_path) -> None:
    # The stability rule is made slow (two minutes) and leaves a mark when it ends. Past
    # room-making's deadline the due-date rule's plan, which leaves C out, is in first: the
    # slow rule's process is killed (no mark, no two-minute wait), and room is made for C
    # in the plan in hand.
    sc, compiled = _one_suite_race()
    plan, stopped = _race_with_a_slow_rule(monkeypatch, compiled, "stability",
                                           tmp_path / "stability-rule-ended",
                                           deadline=-1, reseat_until=60)
    _both_placed_c_first(sc, compiled, plan)
    assert stopped


@pytest.mark.skipif(not processes.can_fork(), reason="forks only on Linux")
def test_a_rule_process_killed_from_outside_has_the_rules_run_again_in_threads(
        monkeypatch: pytest.MonkeyPatch) -> None:
    # The due-date rule's process dies at once, as if the out-of-memory killer took it. The
    # solve does not fail: both rules run again in this process, with and without a limit,
    # and the plan is the one the rules give anyway.
    sc, compiled = _one_suite_race()
    real = greedy_module.greedy_solution
    parent = os.getpid()
    in_parent: list[str] = []

    def dies_in_a_child(*args, rule="due", **kwargs):
        if os.getpid() != parent:
            if rule == "due":
                os._exit(9)
        else:
            in_parent.append(rule)
        return real(*args, rule=rule, **kwargs)

    monkeypatch.setattr(greedy_module, "greedy_solution", dies_in_a_child)
    for deadline in (time.monotonic() + 900, None):
        in_parent.clear()
        _both_placed_c_first(sc, compiled,
                             portfolio_solution(compiled, workers=2, deadline=deadline))
        assert sorted(in_parent) == ["due", "stability"]


def test_where_forking_is_not_safe_the_rules_run_in_fresh_interpreters(
        monkeypatch: pytest.MonkeyPatch) -> None:
    # As for a caller with worker threads of its own, or on another system: each rule is
    # pickled to a fresh interpreter, and its plan comes back, under a limit and without.
    sc, compiled = _one_suite_race()
    monkeypatch.setattr(processes, "can_fork", lambda: False)
    spawned: list[list] = []
    real = processes.run_spawned

    def spy(jobs, wins=None, settle_at=None):
        results = real(jobs, wins, settle_at)
        spawned.append(results)
        return results

    monkeypatch.setattr(processes, "run_spawned", spy)
    monkeypatch.setattr(greedy_module, "greedy_solution", None)  # not run in this process
    for deadline in (time.monotonic() + 900, None):
        _both_placed_c_first(sc, compiled,
                             portfolio_solution(compiled, workers=2, deadline=deadline))
    assert len(spawned) == 2 and all(isinstance(plan, CoreSolution) for plan in spawned[1])


def test_under_a_wall_clock_limit_the_greedy_makes_no_room_after_its_share(
        monkeypatch: pytest.MonkeyPatch) -> None:
    from suitesched.planning import solve as solve_module
    from suitesched.planning.solve import plan_core

    monkeypatch.setattr(solve_module, "SMALL_SITE", 1)  # the greedy first, even for two orders
    deadlines, reflow_limits, spare_cores = [], [], []
    real = solve_module.greedy_solution

    def spy(compiled, *args, **kwargs):
        deadlines.append(kwargs.get("deadline"))
        reflow_limits.append(kwargs.get("reflow_seconds"))
        spare_cores.append(kwargs.get("spare_core"))
        return real(compiled, *args, **kwargs)

    monkeypatch.setattr(solve_module, "greedy_solution", spy)
    _, compiled = _one_suite_race()
    before = time.monotonic()
    plan_core(compiled, time_limit=10, workers=1, seed=0, max_deterministic_time=None)
    assert before + greedy_module.REPAIR_SHARE * 10 <= deadlines[0] \
        <= time.monotonic() + greedy_module.REPAIR_SHARE * 10
    # A deterministic limit keeps the greedy reproducible: it makes room to the end, and a
    # reflow takes as long as it takes.
    plan_core(compiled, time_limit=10, workers=1, seed=0, max_deterministic_time=2.0)
    assert deadlines[1] is None
    assert reflow_limits == [greedy_module.REFLOW_SECONDS, None]
    # With a second worker the reflow may run on the core the greedy leaves idle.
    plan_core(compiled, time_limit=10, workers=2, seed=0, max_deterministic_time=2.0)
    assert spare_cores == [False, False, True]
    # And past its deadline the greedy makes no room: C, which fits nowhere, stays out.
    assert greedy_solution(compiled, deadline=time.monotonic()).present == \
        {"A": True, "C": False}


def test_once_the_limit_has_run_out_the_warm_start_is_the_plan(
        monkeypatch: pytest.MonkeyPatch) -> None:
    """Neither the full model nor fix-and-optimise starts after the limit: each used to get a
    minimum second, and fix-and-optimise's first moves alone took seconds on large sites."""
    from suitesched.planning import lns
    from suitesched.planning import solve as solve_module
    from suitesched.planning.solve import plan_core

    monkeypatch.setattr(solve_module, "SMALL_SITE", 1)  # the greedy first, then both stages
    stages: list[str] = []
    full_model, moves = solve_module.solve_core, lns.neighbourhoods

    def full_model_spy(*args, **kwargs):
        stages.append("full model")
        return full_model(*args, **kwargs)

    def moves_spy(*args, **kwargs):
        stages.append("moves")
        return moves(*args, **kwargs)

    monkeypatch.setattr(solve_module, "solve_core", full_model_spy)
    monkeypatch.setattr(lns, "neighbourhoods", moves_spy)
    sc = scenario(site(), [order("A"), order("B", arrival="2026-12-08T07:00")])
    compiled = compile_scenario(sc, sc.horizon.start)
    greedy = greedy_solution(compiled)
    plan = plan_core(compiled, time_limit=1e-6, workers=1, seed=0, max_deterministic_time=None)
    assert stages == []
    assert plan.tasks == greedy.tasks and all(plan.present.values())
    assert check_plan(sc, _plan_of(sc, compiled, plan)) == []
    # With time left both run (so the spies above would have seen them).
    plan_core(compiled, time_limit=30, workers=1, seed=0, max_deterministic_time=None)
    assert stages[0] == "full model" and "moves" in stages


def test_on_a_portfolio_site_the_greedy_makes_room_for_a_larger_share_of_the_limit(
        monkeypatch: pytest.MonkeyPatch) -> None:
    from suitesched.planning import solve as solve_module
    from suitesched.planning.solve import plan_core

    # Two orders count as a large site here: the portfolio plans them.
    monkeypatch.setattr(solve_module, "PORTFOLIO_SITE", 1)
    monkeypatch.setattr(solve_module, "SMALL_SITE", 1)
    deadlines = []
    real = solve_module.portfolio_solution

    reseats_until = []

    def spy(compiled, workers, deadline=None, reseat_until=None):
        deadlines.append(deadline)
        reseats_until.append(reseat_until)
        return real(compiled, workers, deadline=deadline, reseat_until=reseat_until)

    monkeypatch.setattr(solve_module, "portfolio_solution", spy)
    _, compiled = _one_suite_race()
    before = time.monotonic()
    plan_core(compiled, time_limit=10, workers=2, seed=0, max_deterministic_time=None)
    share = greedy_module.PORTFOLIO_REPAIR_SHARE
    assert share > greedy_module.REPAIR_SHARE
    assert before + share * 10 <= deadlines[0] <= time.monotonic() + share * 10
    # The winner's late orders are re-seated for longer still: the re-seats mend what
    # fix-and-optimise's last seconds on a large site do not.
    reseat_share = greedy_module.PORTFOLIO_RESEAT_SHARE
    assert share < reseat_share < 1
    assert reseats_until[0] == pytest.approx(deadlines[0] + (reseat_share - share) * 10)
    # A deterministic limit: every rule makes room to the end.
    plan_core(compiled, time_limit=10, workers=2, seed=0, max_deterministic_time=2.0)
    assert deadlines[1] is None and reseats_until[1] is None


def test_an_order_room_making_pushed_past_its_due_date_is_reseated_on_time(
        monkeypatch: pytest.MonkeyPatch) -> None:
    # A (due Monday) and B (due weeks later) take the one suite on Monday; C's 1-hour
    # specimen fits nowhere. With no joint room-making, C swaps in for A, and A, put back
    # wherever it still fits, lands on Tuesday: late. Re-seating A with the orders in its way
    # puts it before B on Monday, and B, which has weeks, goes to Tuesday.
    sc = scenario(site(), [order("A", due="2026-12-07"), order("B", due="2026-12-30"),
                           order("C", collected="2026-12-07T07:00", stability="1h",
                                 due="2026-12-31")])
    compiled = compile_scenario(sc, sc.horizon.start)
    monkeypatch.setattr(Inserter, "make_room", lambda *args: None)
    solution = greedy_solution(compiled)
    assert all(solution.present.values())
    plan = _plan_of(sc, compiled, solution)
    assert check_plan(sc, plan) == []
    assert [plan.outcome(o).tardiness_hours for o in "ABC"] == [0, 0, 0]
    assert _start(solution, "C") < _start(solution, "A") < _start(solution, "B")

    # On a site as large as RESEAT_LATE_SITE each rule leaves A late, and the portfolio
    # re-seats its winner's late orders instead, once.
    with monkeypatch.context() as large_site:
        large_site.setattr(greedy_module, "RESEAT_LATE_SITE", 3)
        unmended = _plan_of(sc, compiled, greedy_solution(compiled))
        assert unmended.outcome("A").tardiness_hours > 0
        for workers in (1, 2):
            winner = portfolio_solution(compiled, workers=workers)
            assert all(winner.present.values())
            assert _start(winner, "C") < _start(winner, "A") < _start(winner, "B")
            assert check_plan(sc, _plan_of(sc, compiled, winner)) == []

    monkeypatch.setattr(Inserter, "reseat", lambda *args, **kwargs: None)
    unmended = _plan_of(sc, compiled, greedy_solution(compiled))
    assert unmended.outcome("A").tardiness_hours > 0


def test_an_order_left_out_gets_a_second_chance_once_every_order_was_tried(
        monkeypatch: pytest.MonkeyPatch) -> None:
    # Room-making for C fails the first time (on a large site the plan around it was
    # different then); once every order was tried, C is tried again, and fits.
    sc, compiled = _one_suite_race()
    real = Inserter.make_room
    calls: list[str] = []

    def fails_first(self, group_id, *args):
        calls.append(group_id)
        return None if len(calls) == 1 else real(self, group_id, *args)

    monkeypatch.setattr(Inserter, "make_room", fails_first)
    monkeypatch.setattr(Inserter, "swap_in", lambda *args: None)
    monkeypatch.setattr(Inserter, "reflow", lambda *args, **kwargs: None)
    _both_placed_c_first(sc, compiled, greedy_solution(compiled))
    assert calls == ["C", "C"]
    # Past the deadline there is no second chance either.
    calls.clear()
    assert greedy_solution(compiled, deadline=time.monotonic()).present == \
        {"A": True, "C": False}
    assert calls == []


def _placed_then_out(compiled, first: str, second: str, out: str):
    """An inserter and the partial plan with ``first`` then ``second`` inserted, and ``out``
    fitting nowhere around them."""
    inserter = Inserter(compiled)
    partial = CoreSolution(status="FEASIBLE", objective=None, bound=None, wall_seconds=0.0)
    book = Book()
    assert inserter.place(first, book, partial) and inserter.place(second, book, partial)
    assert not inserter.place(out, book, partial)
    return inserter, partial, book


def test_a_reflow_puts_the_orders_it_moved_back_earliest_due_first() -> None:
    # B (due weeks later) took the one suite on Monday before A (due Monday). C's 1-hour
    # specimen fits nowhere, so it goes first and both are put back after it: A first, as it
    # is due first, which keeps it on time; B, which has weeks, goes after it. Put back in
    # the sequence they had, B would take the slot after C and A would end late.
    sc = scenario(site(), [order("A", due="2026-12-07"), order("B", due="2026-12-30"),
                           order("C", collected="2026-12-07T07:00", stability="1h",
                                 due="2026-12-31")])
    compiled = compile_scenario(sc, sc.horizon.start)
    inserter, partial, book = _placed_then_out(compiled, "B", "A", "C")
    assert _start(partial, "B") < _start(partial, "A")

    reflowed = inserter.reflow("C", partial, book)
    assert reflowed is not None
    solution = reflowed[0]
    assert all(solution.present.values())
    assert _start(solution, "C") < _start(solution, "A") < _start(solution, "B")
    plan = _plan_of(sc, compiled, solution)
    assert check_plan(sc, plan) == []
    assert [plan.outcome(o).tardiness_hours for o in "ABC"] == [0, 0, 0]


def test_a_reflow_leaves_a_blocker_that_cannot_go_back_where_it_was(
        monkeypatch: pytest.MonkeyPatch) -> None:
    # X and A hold both suites on Monday at 07:00, and C's 1-hour specimen fits nowhere. Both
    # are taken out for C; X, due first, would go back first but (as on a full site, where
    # neither room-making nor a swap can place it again) no longer fits anywhere. It stays
    # where it was, and C takes A's suite instead; A goes back after it.
    two_suites = site(suites=[{"id": "S1", "changeover": "2h"}, {"id": "S2", "changeover": "2h"}],
                      operators=[{"id": f"OP{i}", "skills": ["aseptic", "qa"], "shifts": ["day"]}
                                 for i in (1, 2, 3)])
    sc = scenario(two_suites, [order("X", due="2026-12-08"), order("A", due="2026-12-30"),
                               order("C", collected="2026-12-07T07:00", stability="1h",
                                     due="2026-12-31")])
    compiled = compile_scenario(sc, sc.horizon.start)
    inserter, partial, book = _placed_then_out(compiled, "X", "A", "C")
    assert _start(partial, "X") == _start(partial, "A")

    real_insert = Inserter.insert

    def x_never_fits_again(self, group_id, *args, **kwargs):
        return None if group_id == "X" else real_insert(self, group_id, *args, **kwargs)

    monkeypatch.setattr(Inserter, "insert", x_never_fits_again)
    monkeypatch.setattr(Inserter, "make_room", lambda *args: None)
    monkeypatch.setattr(Inserter, "swap_in", lambda *args: None)
    reflowed = inserter.reflow("C", partial, book)
    assert reflowed is not None
    solution = reflowed[0]
    assert all(solution.present.values())
    assert {t: r for t, r in solution.tasks.items() if t.startswith("X/")} == \
        {t: r for t, r in partial.tasks.items() if t.startswith("X/")}
    assert _start(solution, "C") == _start(partial, "X") < _start(solution, "A")
    plan = _plan_of(sc, compiled, solution)
    assert check_plan(sc, plan) == []

    monkeypatch.setattr(greedy_module, "REFLOW_STAYING", 0)
    assert inserter.reflow("C", partial, book) is None


def _one_long_step() -> dict:
    """A site of one suite whose process is one 5-hour step on the day shift: one order a
    day."""
    return site(processes=[{"id": "p", "steps": [
        {"id": "process", "duration": "5h", "suite": True, "operators": 1,
         "skill": "aseptic"}]}])


def test_an_order_that_fits_only_late_is_reseated_before_the_order_in_its_way(
        monkeypatch: pytest.MonkeyPatch) -> None:
    # One suite, a 5-hour step on the day shift. B arrived on Monday evening and, due weeks
    # later, was booked for Tuesday morning; A arrives on Tuesday, due that day, and the
    # only room left is Wednesday: late. A planner would give A Tuesday and B Wednesday.
    sc = scenario(_one_long_step(), [
        order("B", arrival="2026-12-07T16:00", due="2026-12-30"),
        order("A", arrival="2026-12-08T07:00", due="2026-12-08")])
    compiled = compile_scenario(sc, sc.horizon.start)
    assert dispatch_order(compiled) == ["B", "A"]
    previews: list[CoreSolution] = []
    solution = greedy_solution(compiled, preview=previews.append)
    assert all(solution.present.values())
    assert _start(solution, "A") < _start(solution, "B")
    # While it re-seats, the plain insertion (A after B) is reported as the first plan.
    assert len(previews) == 1 and all(previews[0].present.values())
    assert _start(previews[0], "B") < _start(previews[0], "A")
    plan = _plan_of(sc, compiled, solution)
    assert check_plan(sc, plan) == []
    assert [plan.outcome(o).tardiness_hours for o in "AB"] == [0, 0]

    # On a site as large as RESEAT_LATE_SITE, where its time is what fix-and-optimise
    # lacks, the greedy keeps A late; the portfolio re-seats it once its winner is chosen.
    monkeypatch.setattr(greedy_module, "RESEAT_LATE_SITE", 2)
    large = _plan_of(sc, compiled, greedy_solution(compiled))
    assert large.outcome("A").tardiness_hours > 0
    for workers in (1, 2):
        winner = portfolio_solution(compiled, workers=workers)
        assert all(winner.present.values()) and _start(winner, "A") < _start(winner, "B")
        assert check_plan(sc, _plan_of(sc, compiled, winner)) == []
    # That last re-seat stops at room-making's deadline, or at its own when given one: past
    # it A keeps its late slot, before it A is re-seated on time.
    past = portfolio_solution(compiled, workers=2, deadline=time.monotonic() - 1)
    assert _plan_of(sc, compiled, past).outcome("A").tardiness_hours > 0
    later = portfolio_solution(compiled, workers=2, deadline=time.monotonic() - 1,
                               reseat_until=time.monotonic() + 60)
    assert _start(later, "A") < _start(later, "B")
    past = portfolio_solution(compiled, workers=2, deadline=time.monotonic() + 60,
                              reseat_until=time.monotonic() - 1)
    assert _plan_of(sc, compiled, past).outcome("A").tardiness_hours > 0
    monkeypatch.undo()
    monkeypatch.setattr(Inserter, "reseat", lambda *args, **kwargs: None)
    plain = _plan_of(sc, compiled, greedy_solution(compiled))
    assert plain.outcome("A").tardiness_hours > 0


def test_the_large_sites_last_reseat_puts_no_order_late_that_was_on_time() -> None:
    # B (priority 5) arrived on Monday evening and holds Tuesday, its due date; A
    # (priority 1) arrives on Tuesday, due that day, and fits only on Wednesday. Swapping
    # them lowers the weighted tardiness but puts B late: the plain re-seat swaps them, the
    # portfolio's last re-seat (which fix-and-optimise cannot undo cheaply) does not.
    sc = scenario(_one_long_step(), [
        order("B", arrival="2026-12-07T16:00", due="2026-12-08", priority=5),
        order("A", arrival="2026-12-08T07:00", due="2026-12-08", priority=1)])
    compiled = compile_scenario(sc, sc.horizon.start)
    inserter = Inserter(compiled)

    def plain() -> CoreSolution:
        solution = greedy_solution(compiled, make_room=False)
        assert inserter.late(solution) == {"A"}
        return solution

    before = plain()
    swapped, _ = inserter.mend(before, book_from(compiled.problem, before, {"A", "B"}), {"A"})
    assert inserter.late(swapped) == {"B"}
    assert check_plan(sc, _plan_of(sc, compiled, swapped)) == []
    kept = reseat_late_orders(compiled, plain())
    assert inserter.late(kept) == {"A"} and check_plan(sc, _plan_of(sc, compiled, kept)) == []


def test_a_late_order_that_ends_no_sooner_with_its_blockers_gone_is_not_reseated_jointly(
        monkeypatch: pytest.MonkeyPatch) -> None:
    # A arrives on Tuesday evening, due that day: Wednesday is its first chance, so it is
    # late whatever the others do. B, due weeks later, takes Thursday. A re-seat with B would
    # solve the two jointly only to find A no sooner; one model of A alone shows that first.
    sc = scenario(_one_long_step(), [
        order("A", arrival="2026-12-08T20:00", due="2026-12-08"),
        order("B", arrival="2026-12-09T07:00", due="2026-12-30")])
    compiled = compile_scenario(sc, sc.horizon.start)
    plain = greedy_solution(compiled, make_room=False)
    inserter = Inserter(compiled)
    assert inserter.late(plain) == {"A"} and _start(plain, "A") < _start(plain, "B")
    solved: list[int] = []  # the orders in each model solved
    real = greedy_module.solve_core

    def counting(problem, *args, **kwargs):
        solved.append(len(problem.groups))
        return real(problem, *args, **kwargs)

    monkeypatch.setattr(greedy_module, "solve_core", counting)
    kept = reseat_late_orders(compiled, plain)
    assert solved and max(solved) == 1  # only one-order models
    assert kept.tasks == plain.tasks and inserter.late(kept) == {"A"}
    assert check_plan(sc, _plan_of(sc, compiled, kept)) == []
