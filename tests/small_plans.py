"""Small exact plans the fix-and-optimise tests and the neighbourhood tests share.

Each is a site of one suite with a few orders, planned exactly, small enough that what a move
or a neighbourhood should do with it can be written down by hand.
"""

from __future__ import annotations

import dataclasses

from helpers import order, scenario, site
from suitesched.core.problem import CoreProblem
from suitesched.core.solution import CoreSolution
from suitesched.planning.compile import Compiled, compile_scenario
from suitesched.planning.solve import plan_core


def two_orders_one_suite() -> tuple[Compiled, CoreSolution]:
    """One suite, A and C arriving together on Monday morning, planned exactly."""
    sc = scenario(site(), [order("A"), order("C", arrival="2026-12-07T07:15")])
    compiled = compile_scenario(sc, sc.horizon.start)
    return compiled, plan_core(compiled, time_limit=None, workers=1, seed=0,
                               max_deterministic_time=5.0)


def four_days() -> tuple[Compiled, CoreSolution]:
    """Four orders arriving on four days, planned exactly."""
    sc = scenario(site(), [order("A"), order("B", arrival="2026-12-08T07:00"),
                           order("C", arrival="2026-12-09T07:00"),
                           order("D", arrival="2026-12-10T07:00")])
    compiled = compile_scenario(sc, sc.horizon.start)
    full = plan_core(compiled, time_limit=None, workers=1, seed=0, max_deterministic_time=5.0)
    return compiled, full


def without(problem: CoreProblem, solution: CoreSolution,
            dropped: set[str]) -> CoreSolution:
    """``solution`` with the orders ``dropped`` taken out of the plan."""
    group_of = {t.id: t.group for t in problem.tasks}
    hold_group = {h.id: h.group for h in problem.holds}
    return dataclasses.replace(
        solution,
        present={g: p and g not in dropped for g, p in solution.present.items()},
        tasks={t: r for t, r in solution.tasks.items() if group_of[t] not in dropped},
        holds={h: r for h, r in solution.holds.items() if hold_group[h] not in dropped})
