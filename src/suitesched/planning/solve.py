"""The one entry point that plans a scenario from scratch (SPEC §7 ``solve``)."""

from __future__ import annotations

import time
from datetime import UTC, datetime

from suitesched.errors import NoPlanError
from suitesched.model.plan import Plan
from suitesched.model.scenario import Scenario
from suitesched.model.values import to_site_datetime
from suitesched.core.evaluate import objective_terms, objective_value
from suitesched.core.solution import CoreSolution
from suitesched.planning.compile import OBJECTIVE_SCALE, Compiled, compile_scenario
from suitesched.planning.greedy import greedy_solution
from suitesched.planning.extract import build_plan
from suitesched.solver.run import ProgressCallback, SolveParams, solve_core


def resolve_now(scenario: Scenario, now: datetime | str | None) -> datetime:
    """``now`` as an aware site datetime; by default the horizon's start (SPEC §3)."""
    if now is None:
        return scenario.horizon.start
    return to_site_datetime(now, scenario.timezone, date_means_end_of_day=False)


WARM_START_MIN_ORDERS = 12
"""Below this many orders CP-SAT alone is quick; above, the greedy plan is a warm start."""


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
) -> CoreSolution:
    """Greedy warm start (on larger sites), then CP-SAT; the better of the two is returned.

    The greedy insertion is deterministic and its time counts against ``time_limit``; if
    CP-SAT finds nothing better in the time left, the greedy plan is the answer, so a large
    site always gets a plan.
    """
    started = time.monotonic()
    baseline = hint
    if baseline is None and len(compiled.orders) >= WARM_START_MIN_ORDERS:
        baseline = greedy_solution(compiled)
    remaining = None if time_limit is None else max(
        1.0, time_limit - (time.monotonic() - started))
    params = SolveParams(time_limit=remaining, workers=workers, seed=seed,
                         max_deterministic_time=max_deterministic_time,
                         extra={"cp_model_probing_level": 0, **(extra or {})}
                         if baseline is not None else dict(extra or {}))
    solution = solve_core(compiled.problem, params, progress=progress, hint=baseline,
                          objective_scale=OBJECTIVE_SCALE)
    if baseline is not None:
        base_value = objective_value(compiled.problem, baseline) / OBJECTIVE_SCALE
        if not solution.feasible or (solution.objective or 0) > base_value:
            baseline.objective = base_value
            baseline.bound = solution.bound
            baseline.status = "FEASIBLE"
            baseline.terms = {k: v / OBJECTIVE_SCALE for k, v in objective_terms(
                compiled.problem, baseline).items()}
            solution = baseline
    solution.wall_seconds = time.monotonic() - started
    return solution


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
    moment = resolve_now(scenario, now)
    compiled = compile_scenario(scenario, moment)
    solution = plan_core(compiled, time_limit=time_limit, workers=workers, seed=seed,
                         max_deterministic_time=max_deterministic_time, progress=progress,
                         extra=dict(cp_sat_parameters))
    if not solution.feasible:
        raise NoPlanError(
            f"no plan found (solver status {solution.status} after "
            f"{solution.wall_seconds:.1f} s); try a longer --time-limit")
    created = datetime.now(UTC).astimezone(scenario.timezone).replace(microsecond=0)
    return build_plan(compiled, solution, now=moment, created=created, workers=workers,
                      seed=seed)
