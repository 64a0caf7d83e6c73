"""suitesched: a CP-SAT scheduler for autologous cell-therapy manufacturing sites.

The public API (SPEC §7)::

    import suitesched as ss
    scenario = ss.load_scenario("data/demo")
    plan = ss.solve(scenario, time_limit=30, workers=2, seed=0)
    events = ss.load_events("events.yaml")
    new_plan = ss.replan(scenario, plan, events, now="2026-12-09T06:00")
    problems = ss.check_plan(ss.updated_scenario(scenario, plan, events), new_plan)
    ss.write_plan(new_plan, "out/")
"""

from suitesched.check import Violation, check_plan, format_violations
from suitesched.errors import InputError, NoPlanError, Problem, ScenarioError, SuiteschedError
from suitesched.io.events_reader import load_events
from suitesched.io.plan_io import read_plan, write_plan
from suitesched.io.scenario_reader import load_scenario
from suitesched.model.plan import Plan
from suitesched.model.scenario import Scenario
from suitesched.planning.explain import Explanation, explain
from suitesched.planning.offer import Offer, OfferResult, offer
from suitesched.planning.replan import replan, updated_scenario
from suitesched.planning.solve import solve
from suitesched.solver.run import Progress

__all__ = [
    "Explanation",
    "InputError",
    "NoPlanError",
    "Offer",
    "OfferResult",
    "Plan",
    "Problem",
    "Progress",
    "Scenario",
    "ScenarioError",
    "SuiteschedError",
    "Violation",
    "check_plan",
    "explain",
    "format_violations",
    "load_events",
    "load_scenario",
    "offer",
    "read_plan",
    "replan",
    "solve",
    "updated_scenario",
    "write_plan",
]
__version__ = "0.1.0"
