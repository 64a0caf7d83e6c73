"""The per-order bound is a true lower bound, and tight where orders do not interact."""

from __future__ import annotations

from helpers import order, scenario, site, solve
from suitesched.planning.bounds import (
    alone_results,
    order_alone_bounds,
    release_step_bound,
    separable_bound,
)
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


def test_release_step_bound_counts_the_queue_at_the_last_step() -> None:
    # Three orders ready at the same moment, two people for their one (last) step: alone each
    # is done at 09:00, but only two can be, so one waits at least one more step length.
    sc = scenario(site(), [order("A", due="2026-12-07"), order("B", due="2026-12-07"),
                           order("C", due="2026-12-07")])
    plan = solve(sc)
    problem = compile_scenario(sc, sc.horizon.start).problem
    alone = alone_results(problem)
    separable = sum(a.share for a in alone.values())
    assert all(a.earliest_release is not None for a in alone.values())
    queued = release_step_bound(problem, alone)
    # One order released 2 h later than alone (still before its due day ends): 2 h of flow.
    assert (queued - separable) / OBJECTIVE_SCALE == 2.0
    assert queued / OBJECTIVE_SCALE <= plan.solver.objective
