"""The per-order bound is a true lower bound, and tight where orders do not interact."""

from __future__ import annotations

from helpers import order, scenario, site, solve
from suitesched.planning.bounds import (
    alone_results,
    order_alone_bounds,
    relaxed_bound,
    release_step_bound,
    separable_bound,
)
from suitesched.planning.compile import OBJECTIVE_SCALE, compile_scenario
from suitesched.planning.queue_bound import release_queue_bound


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


def test_queue_bound_sees_orders_that_become_ready_at_the_same_moment_mid_shift() -> None:
    # Three orders arrive at 11:00, three suites, two people on the day shift: alone each ends
    # its one step at 13:00, and so could two of them, but the third ends at 15:00 at best.
    # The flow counts each person's steps from the shift's start (07:00-09:00, 09:00-11:00,
    # 11:00-13:00, ...), so it sees room for all three by 13:00; the exact model does not.
    suites = [{"id": f"S{i}", "changeover": "2h"} for i in (1, 2, 3)]
    sc = scenario(site(suites=suites),
                  [order(o, arrival="2026-12-07T11:00", due="2026-12-07") for o in "ABC"])
    plan = solve(sc)
    problem = compile_scenario(sc, sc.horizon.start).problem
    alone = alone_results(problem)
    separable = sum(a.share for a in alone.values())
    assert release_step_bound(problem, alone) == separable
    queued = release_queue_bound(problem, {g: a.earliest_release for g, a in alone.items()},
                                 {g: a.share for g, a in alone.items()})
    assert queued is not None
    # Two hours more for one order: flow and tardiness (due at the end of the arrival day: it
    # is not late at 15:00).
    assert (queued - separable) / OBJECTIVE_SCALE == 2.0
    assert relaxed_bound(problem) == queued
    assert queued / OBJECTIVE_SCALE <= plan.solver.objective


def test_queue_bound_keeps_the_share_of_an_order_without_an_earliest_release() -> None:
    # Without a known earliest release an order is not in the model: it counts with its
    # share alone, so the bound is exactly the sum of the shares.
    sc = scenario(site(), [order("A"), order("B", arrival="2026-12-08T07:00")])
    problem = compile_scenario(sc, sc.horizon.start).problem
    shares = {"A": 5.0, "B": 7.0}
    assert release_queue_bound(problem, {"A": None, "B": None}, shares) == 12.0
