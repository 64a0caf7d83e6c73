"""The one entry point that plans a scenario from scratch (SPEC §7 ``solve``)."""

from __future__ import annotations

from datetime import UTC, datetime

from suitesched.errors import NoPlanError
from suitesched.model.plan import Plan
from suitesched.model.scenario import Scenario
from suitesched.model.values import to_site_datetime
from suitesched.planning.compile import OBJECTIVE_SCALE, compile_scenario
from suitesched.planning.extract import build_plan
from suitesched.solver.run import ProgressCallback, SolveParams, solve_core


def resolve_now(scenario: Scenario, now: datetime | str | None) -> datetime:
    """``now`` as an aware site datetime; by default the horizon's start (SPEC §3)."""
    if now is None:
        return scenario.horizon.start
    return to_site_datetime(now, scenario.timezone, date_means_end_of_day=False)


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
    params = SolveParams(time_limit=time_limit, workers=workers, seed=seed,
                         max_deterministic_time=max_deterministic_time,
                         extra=dict(cp_sat_parameters))
    moment = resolve_now(scenario, now)
    compiled = compile_scenario(scenario, moment)
    solution = solve_core(compiled.problem, params, progress=progress,
                          objective_scale=OBJECTIVE_SCALE)
    if not solution.feasible:
        raise NoPlanError(
            f"no plan found (solver status {solution.status} after "
            f"{solution.wall_seconds:.1f} s); try a longer --time-limit")
    created = datetime.now(UTC).astimezone(scenario.timezone).replace(microsecond=0)
    return build_plan(compiled, solution, now=moment, created=created, workers=workers,
                      seed=seed)
