"""Quick start: plan the bundled demo site, print its KPIs and write the plan.

Run from the repository root (after ``pip install -e .``)::

    python examples/quickstart.py [OUT_DIR]

It prints one line per KPI (orders, scheduled, on time, late, unscheduled, mean flow days,
suite utilisation, ...), whether every hard rule holds, and where the plan was written.
``SUITESCHED_EXAMPLE_BUDGET`` (deterministic seconds, default 20) bounds the solve.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

import suitesched as ss

DEMO = Path(__file__).resolve().parents[1] / "data" / "demo"


def main(out_dir: str = "plan-quickstart") -> None:
    budget = float(os.environ.get("SUITESCHED_EXAMPLE_BUDGET", "20"))
    scenario = ss.load_scenario(DEMO)  # validated and immutable; bad input raises InputError
    plan = ss.solve(scenario, time_limit=None, max_deterministic_time=budget, workers=2, seed=0)
    for key, value in plan.kpis.items():
        print(f"{key:>22}: {value}")
    violations = ss.check_plan(scenario, plan)  # the independent checker of every hard rule
    print("hard rules:", "all hold" if not violations else ss.format_violations(violations))
    path = ss.write_plan(plan, out_dir)
    print(f"plan written to {path}")


if __name__ == "__main__":
    main(*sys.argv[1:2])
