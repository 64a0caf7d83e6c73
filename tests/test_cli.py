"""The command line: exit codes of SPEC §6, outputs written, no tracebacks."""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path

from typer.testing import CliRunner

import suitesched as ss
from helpers import order, read, scenario, site
from suitesched.cli import app, overrun_note

runner = CliRunner()
FAST = ["--max-deterministic-time", "5", "--workers", "2"]


def test_solve_writes_all_outputs_and_exits_0(tmp_path: Path) -> None:
    out = tmp_path / "plan"
    result = runner.invoke(app, ["solve", str(read("spec_site.yaml")), "--out", str(out), *FAST])
    assert result.exit_code == 0, result.output
    for name in ("plan.json", "operations.csv", "qc_runs.csv", "orders.csv"):
        assert (out / name).exists()
    plan = ss.read_plan(out / "plan.json")
    assert ss.check_plan(ss.load_scenario(read("spec_site.yaml")), plan) == []
    checked = runner.invoke(app, ["validate", str(read("spec_site.yaml")), "--plan",
                                  str(out / "plan.json")])
    assert checked.exit_code == 0
    assert "every hard rule" in checked.output


def test_unscheduled_orders_exit_3_with_json(tmp_path: Path) -> None:
    # One suite, down all week: nothing can be served.
    data = site()
    data["suites"][0]["down"] = [{"start": "2026-12-07T00:00", "end": "2026-12-30T00:00"}]
    data["orders"] = [{"order_id": "O1", "process": "p", "arrival": "2026-12-07T08:00",
                       "due": "2026-12-20"}]
    path = tmp_path / "s.yaml"
    import yaml

    path.write_text(yaml.safe_dump(data))
    result = runner.invoke(app, ["solve", str(path), "--out", str(tmp_path / "o"), "--json",
                                 *FAST])
    assert result.exit_code == 3
    payload = json.loads(result.stdout)
    assert payload["kpis"]["unscheduled"] == 1
    assert payload["orders"][0]["reason"]


def test_bad_input_exits_2_and_writes_nothing(tmp_path: Path) -> None:
    path = tmp_path / "bad.yaml"
    path.write_text("name: x\nhorizon: {start: 2026-12-07T00:00, days: 0}\n")
    out = tmp_path / "out"
    result = runner.invoke(app, ["solve", str(path), "--out", str(out)])
    assert result.exit_code == 2
    assert "Traceback" not in result.output
    assert not out.exists()


def test_checker_rejects_a_corrupted_plan(tmp_path: Path) -> None:
    sc = ss.load_scenario(read("spec_site.yaml"))
    plan = ss.solve(sc, max_deterministic_time=5)
    first = plan.operations[1]
    moved = first.model_copy(update={"start": plan.operations[0].start})
    bad = plan.model_copy(update={"operations": (plan.operations[0], moved,
                                                 *plan.operations[2:])})
    ss.write_plan(bad, tmp_path)
    result = runner.invoke(app, ["validate", str(read("spec_site.yaml")), "--plan",
                                 str(tmp_path / "plan.json")])
    assert result.exit_code == 2
    assert "violation" in result.output


def test_generate_writes_a_valid_scenario(tmp_path: Path) -> None:
    result = runner.invoke(app, ["generate", str(tmp_path / "g"), "--orders", "30",
                                 "--weeks", "3", "--seed", "4"])
    assert result.exit_code == 0, result.output
    sc = ss.load_scenario(tmp_path / "g")
    assert len(sc.orders) == 30
    again = tmp_path / "h"
    runner.invoke(app, ["generate", str(again), "--orders", "30", "--weeks", "3", "--seed", "4"])
    assert (again / "orders.csv").read_text() == (tmp_path / "g" / "orders.csv").read_text()


def test_generate_booked_keeps_the_orders_that_booked_a_slot(tmp_path: Path) -> None:
    from suitesched.generate import generate_site

    args = ["--orders", "12", "--weeks", "2", "--seed", "4", "--booked"]
    result = runner.invoke(app, ["generate", str(tmp_path / "g"), *args])
    assert result.exit_code == 0, result.output
    booked = ss.load_scenario(tmp_path / "g")
    drawn = {o["order_id"]: o for o in generate_site(12 + 1 + 3, 2, 4)["orders"]}
    assert 0 < len(booked.orders) <= 12
    for o in booked.orders:  # candidates, each due no earlier than first asked
        assert o.due.date().isoformat() >= drawn[o.order_id]["due"]
    assert any(o.due.date().isoformat() > drawn[o.order_id]["due"] for o in booked.orders), \
        "some order was promised a later release than it asked for"
    runner.invoke(app, ["generate", str(tmp_path / "h"), *args])
    assert (tmp_path / "h" / "orders.csv").read_text() == \
        (tmp_path / "g" / "orders.csv").read_text()


def test_the_booking_is_a_valid_plan_with_every_booked_order_on_time() -> None:
    from suitesched.generate import book_site, booking, generated_scenario
    from suitesched.planning.compile import compile_scenario
    from suitesched.planning.extract import build_plan

    booked = booking(12, 2, 4)
    assert booked.site == book_site(12, 2, 4)
    sc = generated_scenario(booked.site)
    compiled = compile_scenario(sc, sc.horizon.start)
    plan = build_plan(compiled, booked.witness, now=sc.horizon.start,
                      created=sc.horizon.start, workers=1, seed=0)
    assert ss.check_plan(sc, plan) == []
    assert plan.kpis["scheduled"] == len(sc.orders) and plan.kpis["late"] == 0
    kept = {o.order_id for o in sc.orders}
    assert {oid for run in plan.qc_runs for oid in run.order_ids} <= kept, \
        "the candidates that were not kept left no sample in a QC run"


def test_library_api_never_prints(capsys) -> None:
    sc = scenario(site(), [{"order_id": "O1", "process": "p", "arrival": "2026-12-07T08:00",
                            "due": "2026-12-20"}])
    seen = []
    ss.solve(sc, max_deterministic_time=2, progress=seen.append)
    captured = capsys.readouterr()
    assert captured.out == "" and captured.err == ""
    assert seen, "the progress callback was called"


def _solved_spec_plan(tmp_path: Path) -> Path:
    out = tmp_path / "v1"
    result = runner.invoke(app, ["solve", str(read("spec_site.yaml")), "--out", str(out), *FAST])
    assert result.exit_code == 0, result.output
    return out / "plan.json"


def test_replan_writes_plan_and_diff(tmp_path: Path) -> None:
    old = _solved_spec_plan(tmp_path)
    out = tmp_path / "v2"
    result = runner.invoke(app, ["replan", str(read("spec_site.yaml")), "--plan", str(old),
                                 "--events", str(read("replan/spec_events.yaml")), "--now",
                                 "2026-12-09T12:00", "--out", str(out), *FAST])
    assert result.exit_code in (0, 3), result.output
    diff = json.loads((out / "diff.json").read_text())
    assert diff["events"] == ["n-1", "n-2", "n-3"]
    assert "COI-0031/qa_review" in diff["added"]
    assert diff["summary"]["operations_compared"] > 0
    assert "Changes against the previous plan" in result.output


def test_outage_over_running_work_exits_4_naming_the_records(tmp_path: Path) -> None:
    old_path = _solved_spec_plan(tmp_path)
    old = ss.read_plan(old_path)
    running = min((op for op in old.operations if op.suite), key=lambda op: op.start)
    now = running.start + (running.end - running.start) / 2
    events = tmp_path / "down.yaml"
    events.write_text(
        f"- {{id: d-1, type: resource_down, at: '{running.start.isoformat()}', "
        f"resource: {running.suite}, start: '{now.isoformat()}', "
        f"end: '{(now + timedelta(hours=4)).isoformat()}'}}\n")
    out = tmp_path / "v2"
    result = runner.invoke(app, ["replan", str(read("spec_site.yaml")), "--plan", str(old_path),
                                 "--events", str(events), "--now", now.isoformat(),
                                 "--out", str(out), *FAST])
    assert result.exit_code == 4, result.output
    assert f"{running.order_id}/{running.step}" in result.output
    assert not out.exists()


def test_a_scenario_name_that_looks_like_markup_is_printed_as_written() -> None:
    from io import StringIO

    from rich.console import Console

    from suitesched.report.tables import scenario_summary

    sc = scenario(site(name="[/] site [bold]A"), [order("A")])
    out = StringIO()
    Console(file=out, width=200).print(scenario_summary(sc))
    assert "Scenario [/] site [bold]A" in out.getvalue()


class _TwentySecondsACall:
    """A stand-in for the CLI's clock on which every reading is 20 s after the last."""

    def __init__(self) -> None:
        self.now = 0.0

    def monotonic(self) -> float:
        self.now += 20.0
        return self.now


def test_a_run_clearly_past_its_wall_clock_limit_says_why(tmp_path: Path, monkeypatch) -> None:
    # The first complete plan is always made, so a short limit on a large site is overrun.
    note = overrun_note(31.3, 10.0)
    assert note is not None and "31 s" in note and "10 s limit" in note
    assert overrun_note(10.9, 10.0) is None  # the reasons' and the writing's few per cent
    assert overrun_note(300.0, None) is None  # a deterministic run has no wall-clock limit
    # The CLI prints it under the plan's summary: here the clock says 40 s went by.
    import suitesched.cli as cli

    monkeypatch.setattr(cli, "time", _TwentySecondsACall())
    result = runner.invoke(app, ["solve", str(read("spec_site.yaml")), "--out",
                                 str(tmp_path / "plan"), "--time-limit", "5"])
    assert result.exit_code == 0, result.output
    assert "more than the 5 s limit" in " ".join(result.output.split())


def test_a_replan_or_nightly_run_clearly_past_its_limit_says_why(tmp_path: Path,
                                                                 monkeypatch) -> None:
    # A re-plan makes its complete plan first too; the clock says 20 s went by.
    old = _solved_spec_plan(tmp_path)
    import suitesched.cli as cli

    monkeypatch.setattr(cli, "time", _TwentySecondsACall())
    events = ["--events", str(read("replan/spec_events.yaml")), "--now", "2026-12-09T12:00"]
    result = runner.invoke(app, ["replan", str(read("spec_site.yaml")), "--plan", str(old),
                                 *events, "--out", str(tmp_path / "v2"), "--time-limit", "3"])
    assert result.exit_code in (0, 3), result.output
    assert "more than the 3 s limit" in " ".join(result.output.split())
    result = runner.invoke(app, ["nightly", str(read("spec_site.yaml")), "--db",
                                 str(tmp_path / "store.sqlite"), *events,
                                 "--out", str(tmp_path / "v3"), "--time-limit", "3"])
    assert result.exit_code in (0, 3), result.output
    assert "more than the 3 s limit" in " ".join(result.output.split())
    # Nothing new to plan: the stored plan is printed as it is, with no remark on time.
    result = runner.invoke(app, ["nightly", str(read("spec_site.yaml")), "--db",
                                 str(tmp_path / "store.sqlite"), *events,
                                 "--out", str(tmp_path / "v4"), "--time-limit", "3"])
    assert result.exit_code in (0, 3), result.output
    assert "Nothing new" in result.output and "limit" not in result.output
