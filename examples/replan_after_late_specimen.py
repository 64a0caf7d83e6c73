"""Re-plan after two things go wrong: a specimen arrives late and a run fails.

Run from the repository root (after ``pip install -e .``)::

    python examples/replan_after_late_specimen.py [OUT_DIR]

It solves the demo site, then on Wednesday 9 December at 12:00 learns that COI-0004's
specimen comes a day late and that COI-0001's selection failed (new material on the 16th),
re-plans, and prints what moved: how many operations kept their start and resources, the moved
ones with their shift in hours, and the KPIs before and after. ``SUITESCHED_EXAMPLE_BUDGET``
(deterministic seconds, default 20) bounds the first solve.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

import suitesched as ss
from suitesched.report.diff import diff_plans

DEMO = Path(__file__).resolve().parents[1] / "data" / "demo"
NOW = "2026-12-09T12:00"  # naive times are site time (Europe/Amsterdam)

EVENTS = """
- {id: late-1, type: specimen_delay, at: 2026-12-09T08:00, order: COI-0004,
   arrival: 2026-12-11T15:00}
- {id: fail-1, type: run_failure, at: 2026-12-09T11:00, order: COI-0001, step: selection,
   action: restart, arrival: 2026-12-16T09:00}
"""


def main(out_dir: str = "plan-replanned") -> None:
    budget = float(os.environ.get("SUITESCHED_EXAMPLE_BUDGET", "20"))
    scenario = ss.load_scenario(DEMO)
    plan = ss.solve(scenario, time_limit=None, max_deterministic_time=budget, workers=2, seed=0)
    events_file = Path(out_dir) / "events.yaml"
    events_file.parent.mkdir(parents=True, exist_ok=True)
    events_file.write_text(EVENTS)
    events = ss.load_events(events_file)
    new_plan = ss.replan(scenario, plan, events, now=NOW, time_limit=30, workers=2, seed=0)
    # The new plan is valid for the scenario *with the events applied*.
    updated = ss.updated_scenario(scenario, plan, events)
    assert ss.check_plan(updated, new_plan, previous=plan) == []
    diff = diff_plans(plan, new_plan)
    print(f"{diff.unchanged} of {diff.compared} operations kept start and resources "
          f"({diff.kept_share:.0%}); {len(diff.moved)} moved:")
    for move in diff.moved:
        print(f"  {move.order_id}/{move.step}: {move.old_start} -> {move.new_start} "
              f"({move.shift_hours:+.1f} h)")
    print("newly late:", diff.newly_late or "none", "| newly unscheduled:",
          diff.newly_unscheduled or "none")
    for key in ("scheduled", "on_time", "late", "unscheduled", "mean_flow_days"):
        print(f"{key:>16}: {plan.kpis.get(key)} -> {new_plan.kpis.get(key)}")
    ss.write_plan(new_plan, out_dir)


if __name__ == "__main__":
    main(*sys.argv[1:2])
