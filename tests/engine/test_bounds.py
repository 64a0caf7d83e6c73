"""The per-order bound is a true lower bound, and tight where orders do not interact."""

from __future__ import annotations

from helpers import order, scenario, site, solve
from suitesched.planning.bounds import order_alone_bounds, separable_bound
from suitesched.planning.compile import OBJECTIVE_SCALE, compile_scenario


def test_bound_is_below_the_plan_and_exact_for_one_order() -> None:
    one = scenario(site(), [order("A")])
    plan = solve(one)
    compiled = compile_scenario(one, one.horizon.start)
    assert separable_bound(compiled.problem) / OBJECTIVE_SCALE == plan.solver.objective


def test_bound_stays_below_a_plan_where_orders_compete() -> None:
    # One suite, one pair of hands: the second order waits, which no order alone does.
    sc = scenario(site(), [order("A", due="2026-12-07"), order("B", due="2026-12-07"),
                           order("C", due="2026-12-07")])
    plan = solve(sc)
    compiled = compile_scenario(sc, sc.horizon.start)
    per_order = order_alone_bounds(compiled.problem)
    assert set(per_order) == {"A", "B", "C"}
    bound = sum(per_order.values()) / OBJECTIVE_SCALE
    assert 0 < bound < plan.solver.objective
