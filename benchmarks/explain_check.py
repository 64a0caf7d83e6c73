"""Does the resource `explain` names really bind? Add one unit of it and see the order fit.

For generated sites (sizes and seeds given on the command line, so sites nobody tuned on can be
checked), plan each site, explain every unscheduled and late order, then for each explanation
add to the *scenario* one more unit of every class it names - a suite (with the order's
required tag), one unit of the equipment type, or as many operators of the skill as the step
needs, on every shift that skill is worked - and re-insert the order against the plan's other
orders. The check passes when the order now fits (late orders: on time) and the plan with it
passes ``check_plan`` on the enlarged scenario. Run::

    python benchmarks/explain_check.py --sizes 50 100 --seeds 7 11 --time-limit 60

It prints one CSV row per explained order and a summary line per site.
"""

from __future__ import annotations

import argparse
import copy
import csv
import dataclasses
import sys
import time
from typing import Any

from suitesched.check import check_plan
from suitesched.generate import generate_site, generated_scenario
from suitesched.model.scenario import Scenario
from suitesched.planning.compile import compile_scenario
from suitesched.planning.explain import Explainer, Explanation, explain
from suitesched.planning.extract import build_plan
from suitesched.planning.greedy import ONE_ORDER
from suitesched.planning.plan_solution import solution_from_plan
from suitesched.planning.solve import solve
from suitesched.planning.subproblem import book_from, merge_move, subproblem
from suitesched.solver.run import solve_core

COLUMNS = ["orders", "seed", "order_id", "status", "cause", "binding", "freed", "violations",
           "reason"]


def enlarged(data: dict[str, Any], explanation: Explanation, order: dict[str, Any]
             ) -> dict[str, Any] | None:
    """The site with one more unit of each class the explanation names (None: a class this
    check cannot add at scenario level, e.g. QC runs a day or a calendar)."""
    if explanation.cause != "capacity":
        return None  # calendars, time windows and search are not a matter of one more unit
    data = copy.deepcopy(data)
    for key in explanation.binding:
        kind, name = key.split(":", 1)
        if kind == "suites":
            tags = [order["requires"]] if order.get("requires") else []
            data["suites"].append({"id": "EXTRA-S", "changeover": data["suites"][0]["changeover"],
                                   "tags": tags})
        elif kind == "equipment":
            like = next(e for e in data["equipment"] if e["type"] == name)
            data["equipment"].append({"id": f"EXTRA-{name}", "type": name,
                                      "capacity": like.get("capacity", 1)})
        elif kind == "people":
            skilled = [op for op in data["operators"] if any(
                (s if isinstance(s, str) else s["skill"]) == name for s in op["skills"])]
            shifts = sorted({s for op in skilled for s in op["shifts"]})
            for i in range(2):  # enough for a pair; a single-operator step uses one
                data["operators"].append({"id": f"EXTRA-{name}-{i + 1}", "skills": [name],
                                          "shifts": shifts})
        else:
            return None
    return data


def freed(scenario: Scenario, plan, order_id: str, late: bool) -> tuple[bool, int]:
    """Re-insert ``order_id`` against the plan's other orders; (fits, checker violations)."""
    compiled = compile_scenario(scenario, plan.now)
    solution = solution_from_plan(compiled, plan)
    explainer = Explainer(compiled, solution)
    others = explainer.present - {order_id}
    book = book_from(compiled.problem, solution, others)
    group = dataclasses.replace(explainer.groups[order_id], optional=True,
                                unscheduled_cost=10**9)
    tasks = explainer.tasks_of[order_id]
    if late and group.due is not None:
        tasks = [dataclasses.replace(t, latest_end=group.due) if t.id == group.end_task else t
                 for t in tasks]
    sub = subproblem(compiled.problem, [group], tasks, book, compiled.problem.horizon)
    fit = solve_core(sub, ONE_ORDER)
    if not (fit.feasible and fit.present.get(order_id)):
        return False, 0
    merged = merge_move(compiled.problem, solution, others, sub, fit, book)
    new_plan = build_plan(compiled, merged, now=plan.now, created=plan.created, workers=1,
                          seed=0)
    violations = check_plan(scenario, new_plan)
    for v in violations[:3]:
        print(f"# {order_id}: {v}", file=sys.stderr)
    return True, len(violations)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[50, 100])
    parser.add_argument("--seeds", type=int, nargs="+", default=[7])
    parser.add_argument("--weeks", type=int, default=4)
    parser.add_argument("--time-limit", type=float, default=60.0)
    args = parser.parse_args()
    writer = csv.DictWriter(sys.stdout, COLUMNS)
    writer.writeheader()
    for size in args.sizes:
        for seed in args.seeds:
            data = generate_site(size, args.weeks, seed)
            scenario = generated_scenario(data)
            plan = solve(scenario, time_limit=args.time_limit, workers=2, seed=0)
            started = time.monotonic()
            explanations = explain(scenario, plan)
            seconds = time.monotonic() - started
            orders = {o["order_id"]: o for o in data["orders"]}
            passed = checked = 0
            for e in explanations:
                bigger = enlarged(data, e, orders[e.order_id])
                ok, violations = (False, 0)
                if bigger is not None:
                    checked += 1
                    ok, violations = freed(generated_scenario(bigger), plan, e.order_id,
                                           e.status == "late")
                    passed += ok and violations == 0
                writer.writerow({"orders": size, "seed": seed, "order_id": e.order_id,
                                 "status": e.status, "cause": e.cause,
                                 "binding": " ".join(e.binding),
                                 "freed": "n/a" if bigger is None else ok,
                                 "violations": violations, "reason": e.reason})
            print(f"# {size} orders, seed {seed}: {len(explanations)} explained in "
                  f"{seconds:.1f} s; {checked} checkable, {passed} freed by one more unit of "
                  "the named resource with a valid plan", file=sys.stderr)


if __name__ == "__main__":
    main()
