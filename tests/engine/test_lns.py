"""Fix-and-optimise frees a bad order together with the orders that stand in its way."""

from __future__ import annotations

from helpers import order, scenario, site
from suitesched.planning.compile import compile_scenario
from suitesched.planning.lns import blockers
from suitesched.planning.solve import plan_core


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
