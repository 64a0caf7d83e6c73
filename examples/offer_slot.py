"""Offer slots to a treatment centre for a new patient, then accept the first one.

Run from the repository root (after ``pip install -e .``)::

    python examples/offer_slot.py [OUT_DIR]

It solves the demo site, asks on Wednesday 9 December at 12:00 when a new cart-std patient's
material could come in the next two weeks, prints the ranked offers (arrival, first step,
suite, release) and how they were searched, then accepts the first as a ``new_order`` event,
re-plans, and prints the promised and the planned release and that no other order is worse
off. ``SUITESCHED_EXAMPLE_BUDGET`` (deterministic seconds, default 20) bounds the first solve.
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

import suitesched as ss

DEMO = Path(__file__).resolve().parents[1] / "data" / "demo"
NOW = "2026-12-09T12:00"


def main(out_dir: str = "plan-offer") -> None:
    budget = float(os.environ.get("SUITESCHED_EXAMPLE_BUDGET", "20"))
    scenario = ss.load_scenario(DEMO)
    plan = ss.solve(scenario, time_limit=None, max_deterministic_time=budget, workers=2, seed=0)
    result = ss.offer(scenario, plan, "cart-std", now=NOW, earliest="2026-12-10",
                      latest="2026-12-23", top=3)
    print(result.method)
    for rank, o in enumerate(result.offers, 1):
        print(f"  {rank}. arrive {o.arrival:%a %d %b %H:%M}, first step {o.start:%a %d %b %H:%M}"
              f" in {o.suite}, release {o.release:%a %d %b %H:%M}")
    best = result.offers[0]
    # The centre accepts: book it as a new order with the offered arrival.
    events_file = Path(out_dir) / "accepted.json"
    events_file.parent.mkdir(parents=True, exist_ok=True)
    events_file.write_text(json.dumps([{
        "id": "accept-COI-0031", "type": "new_order", "at": NOW,
        "order": {"order_id": "COI-0031", "process": "cart-std",
                  "arrival": best.arrival.isoformat(), "due": best.release.isoformat()}}]))
    new_plan = ss.replan(scenario, plan, ss.load_events(events_file), now=NOW, time_limit=30)
    planned = new_plan.outcome("COI-0031")
    print(f"promised release {best.release:%a %d %b %H:%M}, "
          f"planned {planned.release:%a %d %b %H:%M}")
    worse = [o.order_id for o in plan.orders if o.status == "scheduled"
             and (new_plan.outcome(o.order_id).release or o.release) > o.release]
    print("orders released later than before:", worse or "none")
    ss.write_plan(new_plan, out_dir)


if __name__ == "__main__":
    main(*sys.argv[1:2])
