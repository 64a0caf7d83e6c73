"""Which orders a fix-and-optimise move frees: the bad orders, their blockers, the slowest
orders and their crew rivals, windows by arrival and by crew day, and a late order's release
rivals (:mod:`suitesched.planning.neighbourhood`)."""

from __future__ import annotations

import dataclasses

from helpers import order, scenario, site
from small_plans import four_days, two_orders_one_suite, without
from suitesched.planning import neighbourhood
from suitesched.planning.compile import compile_scenario
from suitesched.planning.neighbourhood import (
    Window,
    arrival_windows,
    bad_groups,
    blocker_moves,
    crew_day_windows,
    crew_moves,
    neighbourhoods,
    release_rivals,
    slowest_groups,
    start_of_release_step_waits,
)
from suitesched.planning.solve import plan_core
from suitesched.planning.subproblem import BLOCKERS, blockers


def test_blockers_are_the_orders_holding_its_resources_in_the_days_it_wants() -> None:
    # One suite: A and C both arrive on Monday morning and take turns in it; B arrives on
    # Thursday, outside the two days after C's earliest start.
    sc = scenario(site(), [order("A"), order("B", arrival="2026-12-10T07:00"),
                           order("C", arrival="2026-12-07T07:15")])
    compiled = compile_scenario(sc, sc.horizon.start)
    solution = plan_core(compiled, time_limit=None, workers=1, seed=0,
                         max_deterministic_time=5.0)
    assert all(solution.present.values())
    day_ticks = compiled.timeline.ticks_per_day
    assert blockers(compiled.problem, solution, "C", 3, day_ticks) == ["A"]
    assert blockers(compiled.problem, solution, "B", 3, day_ticks) == []


def test_a_slow_orders_crew_rivals_are_those_working_the_day_before_its_steps() -> None:
    # One suite and two operators: A and C arrive on Monday morning, and C goes second, after
    # A's step and the changeover; B arrives on Thursday, when nobody else works. Only C has
    # a rival: nobody works in the day before A's step or B's.
    sc = scenario(site(), [order("A"), order("B", arrival="2026-12-10T07:00"),
                           order("C", arrival="2026-12-07T07:15")])
    compiled = compile_scenario(sc, sc.horizon.start)
    problem = compiled.problem
    solution = plan_core(compiled, time_limit=None, workers=1, seed=0,
                         max_deterministic_time=5.0)
    assert all(solution.present.values())
    day_ticks = compiled.timeline.ticks_per_day
    assert crew_moves(problem, solution, ["C", "A", "B"], day_ticks) == [["C", "A"]]
    # A new plan's sweep ends with the crew moves of its slowest orders.
    sweep = neighbourhoods(problem, solution, 2, day_ticks=day_ticks)
    assert sweep[-1:] == crew_moves(problem, solution, slowest_groups(problem, solution),
                                    day_ticks) == [["C", "A"]]


def test_bad_orders_are_the_missing_and_the_late_and_each_gets_narrow_moves_first() -> None:
    compiled, solution = two_orders_one_suite()
    problem = compiled.problem
    assert bad_groups(problem, solution) == set()
    dropped = dataclasses.replace(solution, present={**solution.present, "C": False})
    assert bad_groups(problem, dropped) == {"C"}
    late = {g.id: dataclasses.replace(g, due=0) for g in problem.groups}
    assert bad_groups(dataclasses.replace(problem, groups=tuple(late.values())),
                      solution) == {"A", "C"}
    day_ticks = compiled.timeline.ticks_per_day
    moves = blocker_moves(problem, solution, ["C", "A"], day_ticks)
    assert moves[:2] == [["C", "A"], ["A", "C"]]  # every bad order's narrow move first
    assert len(moves) == 2 * len(BLOCKERS)


def test_the_order_that_waits_for_the_suite_is_the_slowest() -> None:
    # One suite, two orders arriving together: whichever goes second waits for the first.
    compiled, solution = two_orders_one_suite()
    first_start = {g: min(r.start for t, r in solution.tasks.items() if t.startswith(f"{g}/"))
                   for g in ("A", "C")}
    second = max(first_start, key=first_start.get)
    ranked = slowest_groups(compiled.problem, solution)
    assert ranked[0] == second, (first_start, ranked)
    assert ranked != sorted(ranked)  # not merely by id


def test_arrival_windows_are_runs_of_orders_by_arrival_overlapping_by_half() -> None:
    arrivals = {"A": "2026-12-09T07:00", "B": "2026-12-07T07:00", "C": "2026-12-10T07:00",
                "D": "2026-12-08T07:00", "E": "2026-12-11T07:00"}
    sc = scenario(site(), [order(o, arrival=a) for o, a in arrivals.items()])
    problem = compile_scenario(sc, sc.horizon.start).problem
    windows = arrival_windows(problem, width=4)
    # By arrival: B D A C E. Windows of four, moving by two; E, left over, gets the last one.
    assert windows == [["B", "D", "A", "C"], ["D", "A", "C", "E"]]
    assert all(isinstance(w, Window) for w in windows)
    assert arrival_windows(problem, width=2) == [["B", "D"], ["D", "A"], ["A", "C"],
                                                 ["C", "E"]]


def test_a_later_sweep_shifts_the_windows_and_still_covers_the_first_and_last_orders() -> None:
    arrivals = [f"2026-12-{day:02d}T07:00" for day in range(7, 14)]
    sc = scenario(site(), [order(f"O{k}", arrival=a) for k, a in enumerate(arrivals)])
    problem = compile_scenario(sc, sc.horizon.start).problem
    first = arrival_windows(problem, width=4)
    assert first == [["O0", "O1", "O2", "O3"], ["O2", "O3", "O4", "O5"],
                     ["O3", "O4", "O5", "O6"]]
    # Shifted by one: O1 and O2 - split by the first sweep's second window - are together
    # in a window that is new.
    assert arrival_windows(problem, width=4, sweep=1) == [
        ["O0", "O1", "O2", "O3"], ["O1", "O2", "O3", "O4"], ["O3", "O4", "O5", "O6"]]
    assert arrival_windows(problem, width=4, sweep=2) == first


def test_a_crew_day_window_frees_the_orders_whose_people_work_that_day() -> None:
    # One suite and one operator: A, B and C arrive on Monday, D on Tuesday. A and B are
    # done on Monday; C waits for Tuesday and is done after D, which arrived a day later.
    sc = scenario(site(), [order("A"), order("B", arrival="2026-12-07T07:15"),
                           order("C", arrival="2026-12-07T07:30"),
                           order("D", arrival="2026-12-08T07:00")])
    compiled = compile_scenario(sc, sc.horizon.start)
    problem = compiled.problem
    full = plan_core(compiled, time_limit=None, workers=1, seed=0, max_deterministic_time=5.0)
    day = compiled.timeline.ticks_per_day
    assert [t for t, r in sorted(full.tasks.items(), key=lambda item: item[1].start)] == \
        ["A/process", "B/process", "D/process", "C/process"]
    windows = crew_day_windows(problem, full, day)
    assert windows == [["A", "B"], ["C", "D"]]
    assert all(isinstance(window, Window) for window in windows)
    # A lone order is no window.
    assert crew_day_windows(problem, full, day, width=1) == []
    # Days from noon: D's whole step falls in the day from Monday noon, B's and C's one hour
    # each, so D leads.
    assert crew_day_windows(problem, full, day, shift=day // 2) == \
        [["A", "B"], ["D", "B", "C"]]


def test_release_rivals_are_orders_whose_release_step_starts_within_a_day_of_its_own(
        monkeypatch) -> None:
    # Four orders a day apart, each one step long: that step is each order's release step,
    # and it starts as soon as its order arrives: it waits for nobody, so it has no rivals.
    compiled, full = four_days()
    problem = compiled.problem
    day = compiled.timeline.ticks_per_day
    assert not any(start_of_release_step_waits(problem, full, t) for t in problem.tasks)
    assert release_rivals(problem, full, "C", day) == []
    # Were they waiting, each one's rivals would be those starting from a day before to a
    # day after it, nearest first.
    monkeypatch.setattr(neighbourhood, "start_of_release_step_waits", lambda *args: True)
    assert release_rivals(problem, full, "C", day) == ["B"]
    assert release_rivals(problem, full, "A", day) == []
    monkeypatch.setattr(neighbourhood, "RELEASE_RIVALS", 1)
    assert release_rivals(problem, full, "C", day) == ["B"]
    # An order out of the plan neither has rivals nor is one.
    without_b = without(problem, full, {"B"})
    assert release_rivals(problem, without_b, "C", day) == []
    assert release_rivals(problem, without_b, "B", day) == []
