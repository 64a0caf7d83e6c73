"""Explanations name the binding resource, and it really binds: more of it lets the order in.

Each scenario is built so that exactly one resource class blocks one order. The test reads the
reason, then adds one unit of the named resource and solves again: the order must now be
served (or on time). A reason computed from the wrong class, or canned text, fails here.
"""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest
import yaml
from typer.testing import CliRunner

import suitesched as ss
from helpers import order, scenario, site, solve
from suitesched.cli import app
from suitesched.planning import explain as explain_module
from suitesched.planning.compile import compile_scenario
from suitesched.planning.explain import explain_solution
from suitesched.planning.plan_solution import solution_from_plan
from suitesched.solver.run import solve_core

PAIR_STEP = {"id": "process", "duration": "6h", "suite": True, "operators": 2,
             "skill": "aseptic"}


def fresh(order_id: str) -> dict:
    # Collected Monday 06:00, good for 24 h: it must start by Tuesday 06:00.
    return order(order_id, collected="2026-12-07T06:00", stability="24h")


def pair_site(suites: int, operators: int) -> dict:
    return site(
        suites=[{"id": f"S{i + 1}", "changeover": "2h"} for i in range(suites)],
        operators=[{"id": f"OP{i + 1}", "skills": ["aseptic", "qa"], "shifts": ["day"]}
                   for i in range(operators)],
        processes=[{"id": "p", "steps": [PAIR_STEP]}])


def test_operator_pair_binds_and_one_more_pair_lets_the_order_in() -> None:
    plan = solve(scenario(pair_site(suites=2, operators=2), [fresh("A"), fresh("B")]))
    left_out = [o for o in plan.orders if o.status == "unscheduled"]
    assert len(left_out) == 1
    reason = left_out[0].reason or ""
    assert "aseptic-qualified operator pair" in reason
    assert "2026-12-07" in reason and "24 h stability window" in reason
    explained = ss.explain(scenario(pair_site(2, 2), [fresh("A"), fresh("B")]), plan)
    assert [e.binding for e in explained] == [("people:aseptic",)]
    more = solve(scenario(pair_site(suites=2, operators=4), [fresh("A"), fresh("B")]))
    assert all(o.status == "scheduled" for o in more.orders)


def test_suite_binds_and_one_more_suite_lets_the_order_in() -> None:
    plan = solve(scenario(pair_site(suites=1, operators=4), [fresh("A"), fresh("B")]))
    left_out = [o for o in plan.orders if o.status == "unscheduled"]
    assert len(left_out) == 1
    assert (left_out[0].reason or "").startswith("suites S1 fully booked 2026-12-07")
    more = solve(scenario(pair_site(suites=2, operators=4), [fresh("A"), fresh("B")]))
    assert all(o.status == "scheduled" for o in more.orders)


def test_late_order_names_the_suite_and_a_second_suite_makes_it_on_time() -> None:
    orders = [order("A", due="2026-12-07", priority=1), order("B", due="2026-12-07", priority=5)]
    plan = solve(scenario(pair_site(suites=1, operators=4), orders))
    late = [o for o in plan.orders if (o.tardiness_hours or 0) > 0]
    assert [o.order_id for o in late] == ["B"]
    reason = late[0].reason or ""
    assert reason.startswith("released 2026-12-08")
    assert "suites S1 fully booked" in reason
    more = solve(scenario(pair_site(suites=2, operators=4), orders))
    assert all((o.tardiness_hours or 0) == 0 for o in more.orders)


def test_nobody_on_shift_in_the_stability_window_is_named() -> None:
    # Arrives Friday evening, good for 24 h, and nobody works at the weekend.
    data = pair_site(suites=1, operators=2)
    sc = scenario(data, [order("W", arrival="2026-12-11T16:00",
                               collected="2026-12-11T15:00", stability="24h")])
    plan = solve(sc)
    reason = plan.outcome("W").reason or ""
    assert plan.outcome("W").status == "unscheduled"
    assert "no aseptic-qualified operator on shift" in reason
    assert "2026-12-11 16:00" in reason


def test_every_order_served_on_time_has_nothing_to_explain() -> None:
    sc = scenario(pair_site(suites=2, operators=4), [fresh("A"), fresh("B")])
    plan = solve(sc)
    assert ss.explain(sc, plan) == []
    assert all(o.reason is None for o in plan.orders)


def _write(tmp_path: Path, data: dict, orders: list[dict]) -> Path:
    path = tmp_path / "site.yaml"
    path.write_text(yaml.safe_dump({**data, "orders": orders}, sort_keys=False))
    return path


def test_cli_explain_reads_a_plan_and_prints_json(tmp_path: Path) -> None:
    path = _write(tmp_path, pair_site(suites=2, operators=2), [fresh("A"), fresh("B")])
    runner = CliRunner()
    solved = runner.invoke(app, ["solve", str(path), "--out", str(tmp_path / "plan"),
                                 "--max-deterministic-time", "5"])
    assert solved.exit_code == 3, solved.output
    result = runner.invoke(app, ["explain", str(path), "--plan",
                                 str(tmp_path / "plan" / "plan.json"), "--json"])
    assert result.exit_code == 3, result.output
    payload = json.loads(result.output)
    [entry] = payload["explanations"]
    assert entry["status"] == "unscheduled" and entry["binding"] == ["people:aseptic"]
    assert entry["window"][0].startswith("2026-12-07")
    # The plan's own reason field says the same.
    plan = ss.read_plan(tmp_path / "plan" / "plan.json")
    assert plan.outcome(entry["order_id"]).reason == entry["reason"]


def test_cli_explain_names_colliding_records_of_a_plan_that_cannot_stand(
        tmp_path: Path) -> None:
    data = pair_site(suites=1, operators=2)
    path = _write(tmp_path, data, [order("A")])
    runner = CliRunner()
    assert runner.invoke(app, ["solve", str(path), "--out", str(tmp_path / "plan"),
                               "--max-deterministic-time", "5"]).exit_code == 0
    # The suite now goes down over the planned work.
    data["suites"][0]["down"] = [{"start": "2026-12-07T00:00", "end": "2026-12-09T00:00"}]
    path = _write(tmp_path, data, [order("A")])
    result = runner.invoke(app, ["explain", str(path), "--plan",
                                 str(tmp_path / "plan" / "plan.json"), "--json"])
    assert result.exit_code == 4, result.output
    conflicts = json.loads(result.output)["conflicts"]
    assert conflicts and any("S1" in " ".join(c["records"]) + c["message"] for c in conflicts)


def rested_site(suites: int, operators: int) -> dict:
    """The pair site, with an incubator step that has room to spare after the suite step."""
    data = pair_site(suites, operators)
    data["equipment"] = [{"id": "INC1", "type": "incubator", "capacity": 4}]
    data["processes"][0]["steps"].append(
        {"id": "rest", "duration": "2h", "equipment": "incubator"})
    return data


def test_when_no_single_class_frees_an_order_the_minimal_pair_of_classes_is_named() -> None:
    # One suite and one operator pair for two orders that must both start on Monday: a
    # second suite alone or a second pair alone leaves one order out; both together let it
    # in. The order also rests on an incubator with room to spare: the deletion filter must
    # keep exactly the two classes that bind and drop the one no relaxed fit needed.
    orders = [fresh("A"), fresh("B")]
    plan = solve(scenario(rested_site(suites=1, operators=2), orders))
    [left_out] = [o for o in plan.orders if o.status == "unscheduled"]
    [explained] = ss.explain(scenario(rested_site(1, 2), orders), plan)
    assert sorted(explained.binding) == ["people:aseptic", "suites:suites"]
    assert "operator pair" in (left_out.reason or "") and "S1" in (left_out.reason or "")
    for suites, operators in ((2, 2), (1, 4)):
        one_more = solve(scenario(rested_site(suites, operators), orders))
        assert sum(o.status == "unscheduled" for o in one_more.orders) == 1
    both = solve(scenario(rested_site(suites=2, operators=4), orders))
    assert all(o.status == "scheduled" for o in both.orders)


def test_a_wall_clock_budget_stops_an_explanation_midway(monkeypatch: pytest.MonkeyPatch) -> None:
    # The multi-class explanation above takes six one-order models. With each model slowed
    # to 0.2 s and a 0.3 s budget, the explanation must stop at its third model and leave
    # the order out (its reason then points to `suitesched explain`), not run to the end.
    sc = scenario(rested_site(1, 2), [fresh("A"), fresh("B")])
    plan = solve(sc)
    compiled = compile_scenario(sc, plan.now)
    solution = solution_from_plan(compiled, plan)
    assert len(explain_solution(compiled, solution)) == 1
    slow_models: list[int] = []

    def slow_solve(*args: object, **kwargs: object):
        slow_models.append(1)
        time.sleep(0.2)
        return solve_core(*args, **kwargs)

    monkeypatch.setattr(explain_module, "solve_core", slow_solve)
    assert explain_solution(compiled, solution, max_seconds=0.3) == {}
    assert 1 <= len(slow_models) <= 3  # of the six the whole explanation takes
