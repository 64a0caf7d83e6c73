"""The HTML plan report: self-contained, deterministic, one bar per operation, re-plan changes
outlined, nothing about patients but order_id — and it really renders in a headless browser.

The browser tests open report.html from disk in headless Chromium with every host name
unresolvable, and read what the page's own render check wrote into ``<pre id="render-check">``
after plotly drew the charts: the bars in each chart's data and the SVG bar paths drawn, script
errors, and every resource the page tried to load. Without Chromium they skip locally and fail
in CI (``CI=true``). Screenshots go to ``$SUITESCHED_ARTIFACTS`` or ``tests/artifacts/``.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
from collections import Counter
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from plotly.offline import get_plotlyjs
from typer.testing import CliRunner

import suitesched as ss
from helpers import read
from suitesched.cli import app
from suitesched.errors import OutputError
from suitesched.model.plan import Operation, OrderOutcome, Plan, QcRun, SolverInfo
from suitesched.report.html import CHART_IDS, expected_counts, render_report, write_report

runner = CliRunner()
FAST = ["--max-deterministic-time", "5", "--workers", "2"]
ARTIFACTS = Path(os.environ.get("SUITESCHED_ARTIFACTS")
                 or Path(__file__).resolve().parent / "artifacts")
TZ = ZoneInfo("Europe/Amsterdam")


# ----------------------------------------------------------------------------- fixtures


@pytest.fixture(scope="module")
def spec() -> tuple[ss.Scenario, Plan]:
    """The spec site (suites, an incubator, two-person steps, QC batches), solved reproducibly."""
    scenario = ss.load_scenario(read("spec_site.yaml"))
    return scenario, ss.solve(scenario, time_limit=None, max_deterministic_time=5, workers=2,
                              seed=0)


def _figures(page: str) -> dict[str, dict[str, Any]]:
    match = re.search(r'<script type="application/json" id="report-figures">(.*?)</script>',
                      page, re.S)
    assert match, "the figures' JSON is missing"
    return {f["id"]: f for f in json.loads(match.group(1))}


def _bars(figure: dict[str, Any], meta: str = "operation") -> list[tuple[str, str]]:
    """(key, row) of every bar of the traces with this ``meta``."""
    return [(cd[0], row) for t in figure["data"] if t["meta"] == meta
            for cd, row in zip(t["customdata"], t["y"], strict=True)]


def _without_plotly(page: str) -> str:
    js = get_plotlyjs()
    assert page.count(js) == 1, "plotly.js must be inlined exactly once"
    return page.replace(js, "")


def _shifted(plan: Plan) -> tuple[Plan, Operation, Operation]:
    """A fake previous plan: one suite operation 3 h later, another on other people."""
    suite_ops = [op for op in plan.operations if op.suite and op.operators]
    moved, restaffed = suite_ops[0], suite_ops[-1]
    ops = []
    for op in plan.operations:
        if op == moved:
            op = op.model_copy(update={"start": op.start + timedelta(hours=3),
                                       "end": op.end + timedelta(hours=3)})
        elif op == restaffed:
            op = op.model_copy(update={"operators": ("OPX",)})
        ops.append(op)
    return plan.model_copy(update={"operations": tuple(ops)}), moved, restaffed


def _synthetic(orders: int, suites: int = 24, operators: int = 60) -> Plan:
    """A large plan built directly (no solve): 9 operations per order, QC runs in batches."""
    t0 = datetime(2027, 1, 4, 7, 0, tzinfo=TZ)
    ops: list[Operation] = []
    runs: list[QcRun] = []
    outcomes: list[OrderOutcome] = []
    h = timedelta(hours=1)
    steps = [("receipt", None, None, 1, 1), ("selection", "S", None, 2, 5),
             ("activation", "S", None, 2, 2), ("expansion", None, "INC", 0, 150),
             ("feed", "S", None, 1, 2), ("harvest", "S", None, 2, 3),
             ("formulation", "S", None, 2, 2), ("cryo", None, "CRF", 0, 4),
             ("qa_review", None, None, 1, 2)]
    for k in range(orders):
        oid = f"COI-{k + 1:04d}"
        t = t0 + timedelta(hours=6 * k)
        for n, (step, suite, equipment, people, hours) in enumerate(steps):
            ops.append(Operation(
                order_id=oid, step=step, start=t, end=t + hours * h,
                suite=f"S{(k % suites) + 1}" if suite else None,
                equipment=f"{equipment}{(k % 40) + 1}" if equipment else None,
                operators=tuple(f"OP{((k * 3 + n + j) % operators) + 1:02d}"
                                for j in range(people))))
            t += hours * h
        outcomes.append(OrderOutcome(order_id=oid, status="scheduled", start=t0, release=t,
                                     due=t + 48 * h, tardiness_hours=0.0))
    for b in range(0, orders, 5):
        for assay in ("sterility", "mycoplasma", "endotoxin"):
            start = t0 + timedelta(hours=6 * b + 170)
            runs.append(QcRun(run_id=f"{assay}-{b:04d}", assay=assay, start=start,
                              end=start + 24 * h, analysts=("QC01",),
                              order_ids=tuple(f"COI-{i + 1:04d}"
                                              for i in range(b, min(b + 5, orders)))))
    return Plan(scenario="synthetic", created=t0, now=t0, solver=SolverInfo(status="FEASIBLE"),
                operations=tuple(sorted(ops, key=lambda o: (o.start, o.order_id, o.step))),
                qc_runs=tuple(runs), orders=tuple(outcomes), kpis={"orders": orders})


# ----------------------------------------------------------------------------- the HTML


def test_report_is_self_contained(spec) -> None:
    scenario, plan = spec
    page = render_report(plan, scenario)
    assert page.startswith("<!DOCTYPE html>")
    rest = _without_plotly(page)
    # Nothing is loaded from anywhere: no src/href on any loading tag, no CSS imports or urls.
    loading = re.findall(r"(?is)<(?:script|link|img|iframe|embed|object|source|audio|video|"
                         r"image|use)\b[^>]*\b(?:src|href|data)\s*=", rest)
    assert loading == []
    assert not re.search(r"(?i)@import|url\(|@font-face", rest)
    assert "http://" not in rest and "https://" not in rest, "a URL outside plotly.js"
    assert 'data-operation-count="40"' in page


def test_same_plan_gives_the_same_bytes(spec, tmp_path: Path) -> None:
    scenario, plan = spec
    first = render_report(plan, scenario)
    assert render_report(plan, scenario) == first
    ss.write_plan(plan, tmp_path)  # a plan read back from plan.json gives the same report
    assert render_report(ss.read_plan(tmp_path / "plan.json"), scenario) == first
    assert render_report(ss.read_plan(tmp_path / "plan.json")) == render_report(plan)
    assert not re.search(r'id="[0-9a-f]{8}-[0-9a-f]{4}-', first), "a random div id"


def test_every_chart_has_one_bar_per_operation(spec) -> None:
    scenario, plan = spec
    figures = _figures(render_report(plan, scenario))
    assert list(figures) == list(CHART_IDS)
    keys = Counter(f"{op.order_id}/{op.step}" for op in plan.operations)
    assert max(keys.values()) == 1, "order/step identifies an operation"

    by_suite = _bars(figures["gantt-suite"])
    assert Counter(k for k, _ in by_suite) == keys, "every operation exactly once by suite"
    rows = dict(by_suite)
    for op in plan.operations:
        expected = op.suite or op.equipment or f"(no room) {op.step}"
        assert rows[f"{op.order_id}/{op.step}"] == expected
    assert {r for r in rows.values() if r.startswith("(no room)")} == {
        "(no room) receipt", "(no room) qa_review"}

    assert sorted(_bars(figures["gantt-equipment"])) == sorted(
        (f"{op.order_id}/{op.step}", op.equipment) for op in plan.operations if op.equipment)
    people = sorted((f"{op.order_id}/{op.step}", p) for op in plan.operations
                    for p in op.operators)
    assert sorted(_bars(figures["gantt-operator"])) == people
    assert any(len(op.operators) == 2 for op in plan.operations), "two-person steps covered"
    qc = [(cd[0], row) for t in figures["qc-runs"]["data"]
          for cd, row in zip(t["customdata"], t["y"], strict=True)]
    assert sorted(qc) == sorted((r.run_id, r.assay) for r in plan.qc_runs)
    assert expected_counts(plan) == {"gantt-suite": 40, "gantt-equipment": 10,
                                     "gantt-operator": len(people), "qc-runs": 10}


def test_bars_are_coloured_by_order_and_times_are_site_local(spec) -> None:
    scenario, plan = spec
    figure = _figures(render_report(plan, scenario))["gantt-operator"]
    traces = {t["name"]: t for t in figure["data"]}
    assert set(traces) == {op.order_id for op in plan.operations}
    assert len({t["marker"]["color"] for t in traces.values()}) == len(traces)
    two = next(op for op in plan.operations if len(op.operators) == 2)
    trace = traces[two.order_id]
    at = [i for i, cd in enumerate(trace["customdata"]) if cd[0] == f"{two.order_id}/{two.step}"]
    assert [trace["y"][i] for i in at] == list(two.operators)  # on both people's rows
    local = two.start.astimezone(TZ).replace(tzinfo=None)
    for i in at:
        assert trace["base"][i] == local.isoformat(sep=" ")
        assert trace["x"][i] == (two.end - two.start).total_seconds() * 1000
        hover = trace["hovertext"][i]
        assert two.order_id in hover and two.step in hover and f"{local:%a %d %b %H:%M}" in hover
        assert all(p in hover for p in two.operators) and str(two.suite) in hover
    qc = _figures(render_report(plan, scenario))["qc-runs"]["data"]
    run = plan.qc_runs[0]
    hover = next(h for t in qc for h, cd in zip(t["hovertext"], t["customdata"], strict=True)
                 if cd[0] == run.run_id)
    assert all(o in hover for o in run.order_ids) and all(a in hover for a in run.analysts)


def test_kpi_and_orders_tables(spec) -> None:
    scenario, plan = spec
    page = _without_plotly(render_report(plan, scenario))
    assert "<h2>Key figures</h2>" in page and "suite utilisation" in page
    for outcome in plan.orders:
        assert f"<td>{outcome.order_id}</td><td>{outcome.status}</td>" in page
    assert 'class="cancelled"' in page
    assert "Changes against the previous plan" not in page


def test_a_replan_outlines_changed_operations_and_draws_their_old_place(spec) -> None:
    scenario, plan = spec
    previous, moved, restaffed = _shifted(plan)
    page = render_report(plan, scenario, previous=previous)
    assert 'data-replan="true"' in page
    assert "2 of 40 operations changed" in page
    figures = _figures(page)
    changed = {f"{op.order_id}/{op.step}" for op in (moved, restaffed)}
    for chart in ("gantt-suite", "gantt-operator"):
        widths = {}
        for t in figures[chart]["data"]:
            if t["meta"] == "operation":
                widths.update({cd[0]: w for cd, w in
                               zip(t["customdata"], t["marker"]["line"]["width"], strict=True)})
        assert {k for k, w in widths.items() if w > 1} == changed, chart
        assert len(_bars(figures[chart])) == expected_counts(plan)[chart]
    ghosts = next(t for t in figures["gantt-suite"]["data"] if t["meta"] == "previous")
    assert {cd[0] for cd in ghosts["customdata"]} == changed
    old_start = (moved.start + timedelta(hours=3)).astimezone(TZ).replace(tzinfo=None)
    i = [cd[0] for cd in ghosts["customdata"]].index(f"{moved.order_id}/{moved.step}")
    assert ghosts["base"][i] == old_start.isoformat(sep=" ")
    assert ghosts["y"][i] == moved.suite  # the old position, in its row
    old_people = _bars(figures["gantt-operator"], "previous")
    assert (f"{restaffed.order_id}/{restaffed.step}", "OPX") in old_people
    assert "moved -3.0 h" in page and "operators was OPX" in page


def test_no_patient_data_but_order_id(spec) -> None:
    scenario, plan = spec
    page = _without_plotly(render_report(plan, scenario, previous=_shifted(plan)[0]))
    for field in ("arrival", "collected", "stability", "priority", "requires", "patient",
                  "process"):
        assert field not in page.lower(), field
    ids = set(re.findall(r"COI-\d+", page))
    assert ids == {o.order_id for o in plan.orders}
    for order in scenario.orders:  # no order's dates from the scenario other than its due
        if order.collected is not None:
            assert order.collected.isoformat() not in page


def test_the_library_is_silent_and_writes_atomically(spec, tmp_path: Path, capsys) -> None:
    scenario, plan = spec
    path = write_report(plan, tmp_path / "sub" / "report.html", scenario)
    assert path.read_text(encoding="utf-8") == render_report(plan, scenario)
    assert [p.name for p in path.parent.iterdir()] == ["report.html"]
    captured = capsys.readouterr()
    assert captured.out == "" and captured.err == ""
    (tmp_path / "dir.html").mkdir()
    with pytest.raises(OutputError):
        write_report(plan, tmp_path / "dir.html")


def test_an_empty_plan_renders() -> None:
    moment = datetime(2027, 1, 4, tzinfo=TZ)
    plan = Plan(scenario="empty", created=moment, now=moment,
                solver=SolverInfo(status="INFEASIBLE"),
                orders=(OrderOutcome(order_id="COI-1", status="unscheduled", reason="no slot"),))
    page = render_report(plan)
    assert 'data-operation-count="0"' in page and "no slot" in page
    assert all(f["data"] == [] for f in _figures(page).values())


def test_a_large_plan_stays_compact() -> None:
    plan = _synthetic(400)
    assert len(plan.operations) == 3600
    page = render_report(plan)
    figures = _figures(page)
    assert len(_bars(figures["gantt-suite"])) == 3600
    assert len(figures["gantt-suite"]["data"]) == 400  # one trace per order
    assert len(page.encode()) - len(get_plotlyjs().encode()) < 8_000_000


# ----------------------------------------------------------------------------- the CLI


def test_cli_report_writes_next_to_the_plan(spec, tmp_path: Path) -> None:
    _, plan = spec
    previous, _, _ = _shifted(plan)
    ss.write_plan(plan, tmp_path / "v2")
    ss.write_plan(previous, tmp_path / "v1")
    result = runner.invoke(app, ["report", str(tmp_path / "v2" / "plan.json"), "--scenario",
                                 str(read("spec_site.yaml")), "--previous",
                                 str(tmp_path / "v1")])
    assert result.exit_code == 0, result.output
    page = (tmp_path / "v2" / "report.html").read_text(encoding="utf-8")
    assert "Europe/Amsterdam" in page and "2 of 40 operations changed" in page
    out = tmp_path / "elsewhere" / "r.html"
    result = runner.invoke(app, ["report", str(tmp_path / "v2"), "--out", str(out), "--json"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["report"] == str(out) and out.exists()


@pytest.mark.parametrize("content", [None, "{not json", '{"format": "suitesched-plan/1"}'])
def test_cli_report_of_a_bad_plan_exits_2(tmp_path: Path, content: str | None) -> None:
    path = tmp_path / "plan.json"
    if content is not None:
        path.write_text(content)
    result = runner.invoke(app, ["report", str(path)])
    assert result.exit_code == 2, result.output
    assert "Traceback" not in result.output and "Bad plan" in result.output
    assert not (tmp_path / "report.html").exists()


def test_cli_solve_writes_report_html(tmp_path: Path) -> None:
    out = tmp_path / "plan"
    result = runner.invoke(app, ["solve", str(read("spec_site.yaml")), "--out", str(out),
                                 *FAST])
    assert result.exit_code == 0, result.output
    plan = ss.read_plan(out)
    page = (out / "report.html").read_text(encoding="utf-8")
    assert f'data-operation-count="{len(plan.operations)}"' in page
    assert page == render_report(plan, ss.load_scenario(read("spec_site.yaml")))


# ----------------------------------------------------------------------------- a real browser


def _chromium() -> str:
    for name in ("chromium", "chromium-browser", "google-chrome"):
        found = shutil.which(name)
        if found:
            return found
    if Path("/usr/bin/chromium").exists():
        return "/usr/bin/chromium"
    message = "headless Chromium is not installed (apt-get install chromium)"
    if os.environ.get("CI", "").lower() in ("1", "true", "yes"):
        pytest.fail(message)
    pytest.skip(message)


def _browse(page: Path, tmp_path: Path, screenshot: str | None = None) -> dict[str, Any]:
    """Open ``page`` from disk with no name resolvable; return its render check and console."""
    browser = _chromium()
    flags = [browser, "--headless=new", "--no-sandbox", "--disable-gpu",
             f"--user-data-dir={tmp_path / 'chromium-profile'}", "--no-first-run",
             "--no-default-browser-check", "--disable-extensions",
             "--disable-background-networking", "--disable-component-update",
             "--disable-sync", "--host-resolver-rules=MAP * ~NOTFOUND",
             "--proxy-server=127.0.0.1:9", "--virtual-time-budget=30000",
             "--enable-logging=stderr", "--v=0", "--window-size=1600,2600",
             "--hide-scrollbars"]
    url = page.resolve().as_uri()
    done = subprocess.run([*flags, "--dump-dom", url], capture_output=True, text=True,
                          timeout=180, check=False)
    assert done.returncode == 0, done.stderr[-2000:]
    match = re.search(r'<pre id="render-check">(.*?)</pre>', done.stdout, re.S)
    assert match and match.group(1), "the page's render check never ran"
    check = json.loads(match.group(1).replace("&lt;", "<").replace("&gt;", ">")
                       .replace("&quot;", '"').replace("&amp;", "&"))
    check["console"] = [line for line in done.stderr.splitlines() if ":CONSOLE" in line]
    if screenshot:
        shot = tmp_path / screenshot
        subprocess.run([*flags, f"--screenshot={shot}", url], capture_output=True,
                       timeout=180, check=False)
        if shot.exists():
            ARTIFACTS.mkdir(parents=True, exist_ok=True)
            shutil.copy(shot, ARTIFACTS / screenshot)
    return check


def _assert_rendered(check: dict[str, Any], expected: dict[str, int]) -> None:
    assert check["errors"] == [], check["errors"]
    assert check["console"] == [], check["console"]
    assert check["resources"] == [], "the page tried to load something"
    for chart, n in expected.items():
        counts = check["charts"][chart]
        assert counts["data_bars"] == n, (chart, counts)
        assert counts["svg_bars"] == n, (chart, counts)  # really drawn, one path per bar
    assert check["ok"] is True


def test_browser_renders_every_bar_offline(spec, tmp_path: Path) -> None:
    scenario, plan = spec
    path = write_report(plan, tmp_path / "report.html", scenario)
    check = _browse(path, tmp_path, screenshot="report-spec.png")
    _assert_rendered(check, expected_counts(plan))
    assert check["charts"]["gantt-suite"]["svg_bars"] == len(plan.operations)


def test_browser_renders_a_replan_with_old_positions(spec, tmp_path: Path) -> None:
    scenario, plan = spec
    previous, _, _ = _shifted(plan)
    path = write_report(plan, tmp_path / "report.html", scenario, previous=previous)
    check = _browse(path, tmp_path, screenshot="report-replan.png")
    _assert_rendered(check, expected_counts(plan))
    assert check["charts"]["gantt-suite"]["previous_svg_bars"] == 2
    assert check["charts"]["gantt-operator"]["previous_svg_bars"] >= 2


def test_browser_renders_a_400_order_plan(tmp_path: Path) -> None:
    plan = _synthetic(400)
    path = write_report(plan, tmp_path / "report.html")
    check = _browse(path, tmp_path, screenshot="report-400-orders.png")
    _assert_rendered(check, expected_counts(plan))


def test_cli_solve_report_renders_in_the_browser(tmp_path: Path) -> None:
    out = tmp_path / "plan"
    result = runner.invoke(app, ["solve", str(read("spec_site.yaml")), "--out", str(out),
                                 *FAST])
    assert result.exit_code == 0, result.output
    check = _browse(out / "report.html", tmp_path)
    _assert_rendered(check, expected_counts(ss.read_plan(out)))
