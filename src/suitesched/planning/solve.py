"""The one entry point that plans a scenario from scratch (SPEC §7 ``solve``)."""

from __future__ import annotations

import time
from datetime import UTC, datetime

from suitesched.core.evaluate import objective_terms, objective_value
from suitesched.core.solution import CoreSolution
from suitesched.errors import NoPlanError
from suitesched.model.plan import Plan
from suitesched.model.scenario import Scenario
from suitesched.model.values import to_site_datetime
from suitesched.planning.compile import OBJECTIVE_SCALE, Compiled, compile_scenario
from suitesched.planning.explain import plan_reasons, solve_share
from suitesched.planning.extract import build_plan
from suitesched.planning.greedy import (
    PORTFOLIO_REPAIR_SHARE,
    PORTFOLIO_RESEAT_SHARE,
    REFLOW_ALONGSIDE,
    REFLOW_SECONDS,
    REPAIR_SHARE,
    greedy_solution,
    portfolio_solution,
)
from suitesched.planning.lns import improve
from suitesched.solver.run import Progress, ProgressCallback, SolveParams, solve_core


def resolve_now(scenario: Scenario, now: datetime | str | None) -> datetime:
    """``now`` as an aware site datetime; by default the horizon's start (SPEC §3)."""
    if now is None:
        return scenario.horizon.start
    return to_site_datetime(now, scenario.timezone, date_means_end_of_day=False)


SMALL_SITE = 12
"""Below this many orders CP-SAT alone solves the whole model comfortably."""
FULL_MODEL_SHARE = 0.5
"""Share of the time limit given to the full model before fix-and-optimise takes over."""
LARGE_SITE = 40
LARGE_SITE_SHARE = 0.2
"""From this many orders the full model only proves a bound: on booked sites of 45, 93 and
100 orders it never improved the greedy plan in 30 s, and fix-and-optimise did better with
the time (93 orders: objective 40,019 -> 36,377 at 60 s; RESULTS.md)."""
PORTFOLIO_SITE = 200
"""From this many orders the first plan is the best of several greedy dispatch rules, one per
core: on booked 400-order sites the rules placed up to 7 orders more or fewer, while at 100
orders the default rule won on every seed and the first plan has to come within seconds."""
MIN_FULL_MODEL_SECONDS = 1.0
"""The least time the full model is given; with a warm start and less time left it is not
run at all (the plan in hand is as good as a second of it would make it)."""
NO_FULL_MODEL_SITE = 50
"""From this many orders the full model is skipped: its bound stayed 0 in every benchmark row
from 53 booked orders up (53, 73, 93, 100, 200, 400; at 45 it proved a useful one), and
fix-and-optimise uses the time better (booked 93-order site, 60 s: gap 6.68 -> 6.28 %)."""


def plan_core(
    compiled: Compiled,
    *,
    time_limit: float | None,
    workers: int,
    seed: int,
    max_deterministic_time: float | None,
    progress: ProgressCallback | None = None,
    extra: dict[str, object] | None = None,
    hint: CoreSolution | None = None,
    focus: set[str] | None = None,
    reason_reserve: float = 0.0,
) -> CoreSolution:
    """Plan the compiled site: the full CP-SAT model, then fix-and-optimise around it.

    Small sites get the whole budget on the full model. On larger ones the greedy insertion
    plan comes first: it warm-starts the full model (given half the remaining time, a fifth
    from 40 orders, none from 50) and is the fallback if CP-SAT finds nothing better, so
    every site gets a plan; then fix-and-optimise re-solves small groups of competing orders
    against the rest (see :mod:`suitesched.planning.lns`). Deterministic limits are split the
    same way as wall time.

    A re-plan passes its repaired plan as ``hint`` and the orders the events touched as
    ``focus``: on a large site the full model is then skipped and fix-and-optimise frees only
    the focus and late orders with their competitors - a re-plan is a repair, not a new plan.

    ``reason_reserve`` is the time the caller keeps back, beyond ``time_limit``, to explain
    unscheduled and late orders; fix-and-optimise may use it while its plan has no such order
    (see :func:`~suitesched.planning.lns.improve`).
    """
    started = time.monotonic()
    problem = compiled.problem
    n_orders = len(compiled.orders)
    share = 1.0 if n_orders < SMALL_SITE else FULL_MODEL_SHARE if n_orders < LARGE_SITE \
        else LARGE_SITE_SHARE if n_orders < NO_FULL_MODEL_SITE else 0.0
    if focus is not None and n_orders >= SMALL_SITE:
        share = 0.0
    reported = 0

    def report(plan: CoreSolution) -> None:
        nonlocal reported
        reported += 1
        if progress is not None:
            progress(Progress(reported, objective_value(problem, plan) / OBJECTIVE_SCALE,
                              None, time.monotonic() - started))

    # Under a wall-clock limit the greedy makes no more room for orders that fit nowhere
    # after REPAIR_SHARE of it (PORTFOLIO_REPAIR_SHARE for the portfolio): on an open-intake
    # 100-order site (seed 21) making room took 73 s of a 60 s limit. A deterministic limit
    # keeps it to the end, so the plan stays reproducible.
    repair_share = PORTFOLIO_REPAIR_SHARE if n_orders >= PORTFOLIO_SITE else REPAIR_SHARE
    deadline = started + repair_share * time_limit \
        if time_limit is not None and max_deterministic_time is None else None
    baseline = hint
    if baseline is None and n_orders >= PORTFOLIO_SITE:
        # Its winner's late orders are re-seated past that deadline: on large sites the
        # re-seats mend late orders that fix-and-optimise's last seconds do not.
        reseat_until = None if deadline is None else \
            started + PORTFOLIO_RESEAT_SHARE * time_limit
        baseline = portfolio_solution(compiled, workers, deadline=deadline,
                                      reseat_until=reseat_until)
    elif baseline is None and n_orders >= SMALL_SITE:
        # While the greedy makes room, its plain insertion (with those orders left out) is a
        # valid plan already: the first one to report.
        baseline = greedy_solution(compiled, deadline=deadline,
                                   reflow_seconds=None if deadline is None else REFLOW_SECONDS,
                                   preview=None if progress is None else report,
                                   spare_core=REFLOW_ALONGSIDE and workers >= 2)
    if baseline is not None and progress is not None:
        report(baseline)  # the warm start is a complete, valid plan too

    def left() -> float | None:
        """Seconds of ``time_limit`` still to come (negative once past it), None without."""
        return None if time_limit is None else time_limit - (time.monotonic() - started)

    # With a warm start in hand, no stage is started once the limit has run out: on a booked
    # 400-order site at 10 s the first plan came at 28.6 s, and fix-and-optimise, given its
    # minimum of a second, spent 8.4 s finding its first moves (RESULTS.md).
    remaining = left()
    if share > 0 and (baseline is None or remaining is None
                      or remaining * share >= MIN_FULL_MODEL_SECONDS):
        full_time = None if remaining is None else max(MIN_FULL_MODEL_SECONDS,
                                                       remaining * share)
        params = SolveParams(
            time_limit=full_time, workers=workers, seed=seed,
            max_deterministic_time=None if max_deterministic_time is None
            else max_deterministic_time * share,
            extra={"cp_model_probing_level": 0, **(extra or {})} if baseline is not None
            else dict(extra or {}))
        solution = solve_core(problem, params, progress=progress, hint=baseline,
                              objective_scale=OBJECTIVE_SCALE)
    else:
        solution = CoreSolution(status="NOT_RUN", objective=None, bound=None,
                                wall_seconds=0.0)
    bound = solution.bound
    if baseline is not None and any(not g.optional and not baseline.present.get(g.id)
                                    for g in problem.groups):
        baseline = None  # it drops work that must stay (a started order): never a fallback
    incumbent = solution if solution.feasible else baseline
    if baseline is not None and solution.feasible and \
            objective_value(problem, baseline) < objective_value(problem, solution):
        incumbent = baseline
    if incumbent is None:
        return solution
    if share < 1.0:
        budget = None if max_deterministic_time is None else \
            max_deterministic_time * (1 - share)
        remaining = left()
        incumbent = improve(problem, incumbent,
                            time_limit=60.0 if remaining is None else max(0.0, remaining),
                            params=SolveParams(workers=workers, seed=seed,
                                               max_deterministic_time=budget), focus=focus,
                            day_ticks=compiled.timeline.ticks_per_day,
                            reason_reserve=reason_reserve,
                            on_better=None if progress is None else report)
    if incumbent is not solution:
        value = objective_value(problem, incumbent)
        incumbent.objective = value / OBJECTIVE_SCALE
        incumbent.bound = bound
        incumbent.status = "FEASIBLE"
        incumbent.terms = {k: v / OBJECTIVE_SCALE for k, v in objective_terms(
            problem, incumbent).items() if v}
        if progress is not None:
            progress(Progress(solution.solutions_found + reported + 1, incumbent.objective, bound,
                              time.monotonic() - started))
    incumbent.wall_seconds = time.monotonic() - started
    return incumbent


def solve(
    scenario: Scenario,
    *,
    time_limit: float | None = 30.0,
    workers: int = 2,
    seed: int = 0,
    max_deterministic_time: float | None = None,
    now: datetime | str | None = None,
    progress: ProgressCallback | None = None,
    **cp_sat_parameters: object,
) -> Plan:
    """Plan every order of ``scenario``; orders that do not fit come back unscheduled.

    Raises :class:`NoPlanError` if the solver finds no plan within its limits (with optional
    orders this only happens when the limit is too short).
    """
    started = time.monotonic()
    moment = resolve_now(scenario, now)
    compiled = compile_scenario(scenario, moment)
    share = solve_share(time_limit)
    solution = plan_core(compiled, time_limit=share, workers=workers, seed=seed,
                         max_deterministic_time=max_deterministic_time, progress=progress,
                         extra=dict(cp_sat_parameters),
                         reason_reserve=0.0 if time_limit is None or share is None
                         else time_limit - share)
    if not solution.feasible:
        raise NoPlanError(
            f"no plan found (solver status {solution.status} after "
            f"{solution.wall_seconds:.1f} s); try a longer --time-limit")
    reasons = plan_reasons(
        compiled, solution, max_deterministic_time=max_deterministic_time,
        seconds_left=None if time_limit is None else time_limit - (time.monotonic() - started))
    created = datetime.now(UTC).astimezone(scenario.timezone).replace(microsecond=0)
    return build_plan(compiled, solution, now=moment, created=created, workers=workers,
                      seed=seed, reasons=reasons)
