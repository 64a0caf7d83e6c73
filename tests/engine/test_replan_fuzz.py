"""Random event streams over a solved site: re-planning never crashes, and every new plan
passes the independent checker with its frozen work unchanged.

Each case draws 1-4 events of every SPEC §5 type at a random ``now`` in the first two weeks.
An event stream may be refused (InputError, e.g. a retest before any test ran) or collide with
frozen work (NoPlanError, which must then name the colliding records); anything else must give
a valid plan. Found, while written: an OR-Tools abort with interleaved search and no probing,
and contradicting step actuals accepted as frozen work.
"""

from __future__ import annotations

import random
from datetime import timedelta
from functools import cache
from typing import Any

import pytest

from helpers import read
from suitesched import check_plan, load_scenario, solve
from suitesched.errors import InputError, NoPlanError
from suitesched.io.events_reader import parse_events
from suitesched.model.plan import Plan
from suitesched.model.scenario import Scenario
from suitesched.planning.replan import replan_with_scenario

CASES = 60
KINDS = ("specimen_delay", "run_failure", "resource_down", "operator_absent", "qc_retest",
         "new_order", "cancel_order", "step_actual")


@cache
def base() -> tuple[Scenario, Plan]:
    sc = load_scenario(read("spec_site.yaml"))
    return sc, solve(sc, time_limit=None, workers=2, seed=0, max_deterministic_time=3.0)


def random_events(sc: Scenario, plan: Plan, rnd: random.Random) -> tuple[Any, list[dict]]:
    now = sc.horizon.start + timedelta(hours=rnd.randrange(6, 24 * 14))
    orders = [o.order_id for o in sc.orders if o.status != "cancelled"]
    resources = [s.id for s in sc.suites] + [e.id for e in sc.equipment]
    out: list[dict[str, Any]] = []
    for i in range(rnd.randint(1, 4)):
        at = now - timedelta(minutes=rnd.randrange(0, 48 * 60))
        kind = rnd.choice(KINDS)
        oid = rnd.choice(orders)
        process = sc.processes_by_id[sc.orders_by_id[oid].process]
        ev: dict[str, Any] = {"id": f"e{i}", "type": kind, "at": at.isoformat()}
        if kind == "specimen_delay":
            ev |= {"order": oid, "arrival": (now + timedelta(hours=rnd.randrange(1, 96))
                                             ).isoformat()}
        elif kind == "run_failure":
            action = rnd.choice(["restart", "cancel"])
            ev |= {"order": oid, "step": rnd.choice(process.steps).id, "action": action}
            if action == "restart":
                ev["arrival"] = (now + timedelta(days=rnd.randrange(1, 10))).isoformat()
        elif kind in ("resource_down", "operator_absent"):
            start = now + timedelta(hours=rnd.randrange(-24, 120))
            end = start + timedelta(hours=rnd.randrange(2, 72))
            who = ("resource", rnd.choice(resources)) if kind == "resource_down" else \
                ("operator", rnd.choice([o.id for o in sc.operators]))
            ev |= {who[0]: who[1], "start": start.isoformat(), "end": end.isoformat()}
        elif kind == "qc_retest":
            runs = [r for r in plan.qc_runs if r.start <= at]
            if not runs:
                continue
            run = rnd.choice(runs)
            ev |= {"order": rnd.choice(run.order_ids), "assay": run.assay}
        elif kind == "new_order":
            arrival = now + timedelta(hours=rnd.randrange(1, 200))
            ev |= {"order": {"order_id": f"NEW-{i}", "process": process.id,
                             "arrival": arrival.isoformat(),
                             "due": (arrival + timedelta(days=rnd.randrange(5, 30))
                                     ).isoformat()}}
        elif kind == "cancel_order":
            ev |= {"order": oid}
        else:
            started = [o for o in plan.operations if o.order_id == oid and o.start < now]
            if not started:
                continue
            op = rnd.choice(started)
            end = max(op.start + timedelta(minutes=15),
                      op.end + timedelta(minutes=rnd.choice([-30, 0, 15, 45])))
            ev |= {"order": oid, "step": op.step, "start": op.start.isoformat(),
                   "end": end.isoformat()}
        out.append(ev)
    return now, out


@pytest.mark.parametrize("seed", range(CASES))
def test_random_event_streams_replan_to_valid_plans(seed: int) -> None:
    sc, plan = base()
    now, items = random_events(sc, plan, random.Random(seed))
    try:
        events = parse_events(items, sc, "fuzz", plan=plan)
        new, updated = replan_with_scenario(sc, plan, events, now=now, time_limit=None,
                                            workers=2, seed=0, max_deterministic_time=1.5)
    except InputError as refused:
        assert refused.problems
        return
    except NoPlanError as collision:
        assert collision.problems, "a collision with frozen work must name the records"
        return
    actuals = {f"{e['order']}/{e['step']}" for e in items if e["type"] == "step_actual"}
    violations = [v for v in check_plan(updated, new, previous=plan)
                  if not (v.rule.startswith("4.1.10") and set(v.records) <= actuals)]
    assert violations == [], "\n".join(map(str, violations))
    for op in new.operations:
        assert op.frozen == (op.start < now) or f"{op.order_id}/{op.step}" in actuals

