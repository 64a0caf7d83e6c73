"""The command line: a thin typer face over the library (SPEC §6 exit codes).

Exit codes: 0 done; 2 bad input (nothing written); 3 done, but some orders are unscheduled or
late; 4 no plan could be made (the previous plan stays current); 1 an unexpected error.
"""

from __future__ import annotations

import json
import os
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console, Group
from rich.live import Live
from rich.text import Text

from suitesched.errors import InputError, NoPlanError, Problem, SuiteschedError
from suitesched.model.plan import Plan

app = typer.Typer(
    name="suitesched",
    help="Plan an autologous cell-therapy manufacturing site with CP-SAT.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
console = Console()
err_console = Console(stderr=True)

EXIT_DONE, EXIT_INTERNAL, EXIT_BAD_INPUT, EXIT_ATTENTION, EXIT_NO_PLAN = 0, 1, 2, 3, 4
DEFAULT_TIME_LIMIT = 30.0
DEMO_TIME_LIMIT = 60.0

ScenarioArg = Annotated[Path, typer.Argument(help="Scenario directory (site.yaml + orders.csv) "
                                             "or a single YAML file.")]
OutOpt = Annotated[Path, typer.Option("--out", help="Output directory.")]
TimeLimitOpt = Annotated[float | None, typer.Option(
    "--time-limit", min=0.1,
    help="Wall-clock limit in seconds (default 30; none with --max-deterministic-time).")]
WorkersOpt = Annotated[int, typer.Option("--workers", min=1, max=64, help="CP-SAT workers.")]
SeedOpt = Annotated[int, typer.Option("--seed", help="Random seed.")]
DetOpt = Annotated[float | None, typer.Option(
    "--max-deterministic-time", min=0.01,
    help="Deterministic time limit; makes runs reproducible (SPEC §8).")]
NowOpt = Annotated[str | None, typer.Option("--now", help="The moment the plan is made for "
                                            "(ISO 8601; naive = site time).")]
JsonOpt = Annotated[bool, typer.Option("--json", help="Print machine-readable JSON instead "
                                       "of tables.")]


def _fail(exc: BaseException) -> int:
    """Report an error without a traceback; return its exit code."""
    from rich.markup import escape

    from suitesched.report.tables import problems_table

    def plain(problems: list[Problem]) -> list[Problem]:
        # Input text is shown as text: "[/x]" in a file must not be read as rich markup.
        return [Problem(escape(p.file), escape(p.location), escape(p.message)) for p in problems]

    if isinstance(exc, InputError):
        err_console.print(problems_table(plain(exc.problems), title=f"Bad {exc.what}: "
                                         f"{len(exc.problems)} problem(s); nothing was written"))
        return EXIT_BAD_INPUT
    if isinstance(exc, NoPlanError):
        err_console.print(f"[red]No plan:[/] {escape(str(exc))}")
        if exc.problems:
            err_console.print(problems_table(plain(exc.problems), title="Colliding records"))
        err_console.print("The previous plan stays current.")
        return EXIT_NO_PLAN
    if isinstance(exc, SuiteschedError):
        err_console.print(f"[red]Error:[/] {escape(str(exc))}")
        return exc.exit_code
    err_console.print(f"[red]Internal error:[/] {type(exc).__name__}: {escape(str(exc))}")
    err_console.print("This is a bug in suitesched; please report it with the input files. "
                      "Set SUITESCHED_DEBUG=1 to see the traceback.")
    if os.environ.get("SUITESCHED_DEBUG"):
        raise exc
    return EXIT_INTERNAL


def _run(body: Callable[[], int]) -> None:
    try:
        code = body()
    except typer.Exit:
        raise
    except KeyboardInterrupt:
        err_console.print("Interrupted; nothing was written.")
        code = 130
    except Exception as exc:
        code = _fail(exc)
    raise typer.Exit(code)


class _LiveProgress:
    """A live line fed by the solver's callback (solver thread -> shared state -> render)."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.started = time.monotonic()
        self.latest: Any = None

    def __call__(self, progress: Any) -> None:
        with self.lock:
            self.latest = progress

    def __rich__(self) -> Text:
        with self.lock:
            p = self.latest
        elapsed = time.monotonic() - self.started
        if p is None:
            return Text(f"⏳ solving… {elapsed:5.1f} s, no plan yet")
        gap = f"{p.gap:.1%}" if p.gap is not None else "-"
        return Text(f"⏳ solving… {elapsed:5.1f} s · solutions {p.solutions} · objective "
                    f"{p.objective:,.0f} · bound "
                    f"{'-' if p.bound is None else format(p.bound, ',.0f')} · gap {gap}")


def _with_progress(show: bool, work: Callable[[Callable[[Any], None] | None], Plan]) -> Plan:
    if not show:
        return work(None)
    progress = _LiveProgress()
    with Live(progress, console=err_console, refresh_per_second=4, transient=True):
        return work(progress)


def _exit_for(plan: Plan) -> int:
    k = plan.kpis
    return EXIT_ATTENTION if (k.get("unscheduled", 0) or k.get("late", 0)) else EXIT_DONE


def _print_plan(plan: Plan, out: Path | None, as_json: bool) -> None:
    from suitesched.report.tables import kpi_table, orders_table

    if as_json:
        payload = {"plan": str(out / "plan.json") if out else None,
                   "solver": plan.solver.model_dump(), "kpis": plan.kpis,
                   "orders": [o.model_dump(mode="json") for o in plan.orders]}
        sys.stdout.write(json.dumps(payload, indent=2) + "\n")
        return
    s = plan.solver
    gap = ""
    if s.objective is not None and s.bound is not None and s.objective:
        gap = f", gap {max(0.0, (s.objective - s.bound) / abs(s.objective)):.1%}"
    objective = f"{s.objective:,.1f}" if s.objective is not None else "-"
    bound = f"{s.bound:,.1f}" if s.bound is not None else "not computed"
    console.print(Group(
        Text(f"Solver {s.status} in {s.wall_seconds:.1f} s: objective {objective}, "
             f"bound {bound}{gap}"),
        kpi_table(plan), orders_table(plan)))
    if out is not None:
        console.print(f"Plan written to [bold]{out}[/] (plan.json, operations.csv, "
                      "qc_runs.csv, orders.csv, report.html)")


def _report_file(plan: Plan, scenario: Any = None, previous: Plan | None = None
                 ) -> dict[str, str]:
    """``report.html`` (the self-contained HTML report) as an extra output of ``write_plan``."""
    from suitesched.report.html import render_report

    return {"report.html": render_report(plan, scenario, previous)}


OVERRUN_SHARE = 0.1
"""Share of the wall-clock limit a run may take beyond it before the CLI remarks on it."""


def _wall_limit(time_limit: float | None, det: float | None) -> float | None:
    """30 s by default; a deterministic run is stopped by its deterministic budget alone."""
    if time_limit is not None:
        return time_limit
    return None if det is not None else DEFAULT_TIME_LIMIT


def _solve_and_write(scenario_path: Path, out: Path, time_limit: float | None, workers: int,
                     seed: int, det: float | None, now: str | None, as_json: bool) -> int:
    import suitesched as ss

    time_limit = _wall_limit(time_limit, det)
    scenario = ss.load_scenario(scenario_path)
    started = time.monotonic()
    plan = _with_progress(
        not as_json and sys.stderr.isatty(),
        lambda progress: ss.solve(scenario, time_limit=time_limit, workers=workers, seed=seed,
                                  max_deterministic_time=det, now=now, progress=progress))
    elapsed = time.monotonic() - started
    ss.write_plan(plan, out, extra_files=_report_file(plan, scenario))
    _print_plan(plan, out, as_json)
    if not as_json:
        _print_overrun(elapsed, time_limit)
    return _exit_for(plan)


def _print_overrun(elapsed: float, time_limit: float | None) -> None:
    """The :func:`overrun_note`, in yellow, if there is one."""
    note = overrun_note(elapsed, time_limit)
    if note is not None:
        console.print(Text(note, style="yellow"))


def overrun_note(elapsed: float, time_limit: float | None) -> str | None:
    """What to tell a planner whose run took clearly longer than its wall-clock limit, or None.

    The first complete plan is always made, since cutting it short would leave out orders
    that fit: on a 400-order site that takes about half a minute whatever the limit
    (docs/how-it-works.md). A few per cent over is the reasons' time (and a nightly
    run's store write); writing the output files comes after the time measured."""
    if time_limit is None or elapsed <= time_limit + max(1.0, OVERRUN_SHARE * time_limit):
        return None
    return (f"Planning took {elapsed:.0f} s, more than the {time_limit:g} s limit: a first "
            "complete plan of a site this size takes that long, and no order is left out to "
            "keep a limit. Give it more time for a better plan.")


@app.command()
def validate(
    scenario: ScenarioArg,
    plan: Annotated[Path | None, typer.Option("--plan", help="Also check this plan.json "
                                              "against every hard rule.")] = None,
    as_json: JsonOpt = False,
) -> None:
    """Validate a scenario (and optionally a plan); print a summary or every problem."""

    def body() -> int:
        import suitesched as ss
        from suitesched.report.tables import scenario_summary

        loaded = ss.load_scenario(scenario)
        if plan is None:
            if as_json:
                sys.stdout.write(json.dumps({"valid": True, "name": loaded.name}) + "\n")
            else:
                console.print(scenario_summary(loaded))
                console.print("[green]The scenario is valid.[/]")
            return EXIT_DONE
        from suitesched.check import check_plan

        violations = check_plan(loaded, ss.read_plan(plan))
        if as_json:
            sys.stdout.write(json.dumps({"violations": [
                {"rule": v.rule, "message": v.message, "records": list(v.records)}
                for v in violations]}, indent=2) + "\n")
        elif violations:
            from suitesched.report.tables import problems_table

            console.print(problems_table(
                [Problem(str(plan), v.rule, f"{v.message} [{', '.join(v.records)}]")
                 for v in violations], title=f"{len(violations)} violation(s)"))
        else:
            console.print("[green]The plan satisfies every hard rule.[/]")
        return EXIT_BAD_INPUT if violations else EXIT_DONE

    _run(body)


@app.command()
def solve(
    scenario: ScenarioArg,
    out: OutOpt = Path("plan"),
    time_limit: TimeLimitOpt = None,
    workers: WorkersOpt = 2,
    seed: SeedOpt = 0,
    max_deterministic_time: DetOpt = None,
    now: NowOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Plan every order of a scenario and write the plan."""
    _run(lambda: _solve_and_write(scenario, out, time_limit, workers, seed,
                                  max_deterministic_time, now, as_json))


def demo_path() -> Path:
    """The bundled demo site: ``data/demo`` of the checkout (or of the working directory)."""
    for base in (Path(__file__).resolve().parents[2], Path.cwd()):
        candidate = base / "data" / "demo"
        if (candidate / "site.yaml").exists():
            return candidate
    raise SuiteschedError("the demo data (data/demo) was not found; run from the repository "
                          "or install it with `pip install -e .`")


@app.command()
def demo(
    out: OutOpt = Path("plan"),
    time_limit: TimeLimitOpt = None,
    workers: WorkersOpt = 2,
    seed: SeedOpt = 0,
    as_json: JsonOpt = False,
) -> None:
    """Solve the bundled demo site (data/demo, 60 s by default) and write its plan."""

    def body() -> int:
        path = demo_path()
        if not as_json:
            console.print(f"Demo site: [bold]{path}[/]")
        return _solve_and_write(path, out, time_limit or DEMO_TIME_LIMIT, workers, seed, None,
                                None, as_json)

    _run(body)


@app.command()
def generate(
    out: Annotated[Path, typer.Argument(help="Directory to write site.yaml and orders.csv to.")],
    orders: Annotated[int, typer.Option("--orders", min=1, max=5000, help="Number of orders.")],
    weeks: Annotated[int, typer.Option("--weeks", min=1, max=52,
                                       help="Weeks over which orders arrive.")] = 4,
    seed: SeedOpt = 0,
    booked: Annotated[bool, typer.Option(
        "--booked", help="Keep only orders that booked a slot, as sites accept patients: at "
        "most --orders, each servable, due no earlier than its booked release.")] = False,
    as_json: JsonOpt = False,
) -> None:
    """Write a realistic synthetic site (resources scale with volume) for benchmarks."""

    def body() -> int:
        import suitesched as ss
        from suitesched.generate import book_site, generate_site, write_generated
        from suitesched.io.scenario_reader import build_scenario

        data = book_site(orders, weeks, seed) if booked else generate_site(orders, weeks, seed)
        site = {k: v for k, v in data.items() if k != "orders"}
        # Validate before writing: a site past the input limits is refused, nothing written.
        build_scenario(site, [(f"orders[{i}]", "orders.csv", o)
                              for i, o in enumerate(data["orders"])], site_label="site.yaml")
        path = write_generated(data, out)
        scenario = ss.load_scenario(path)
        if as_json:
            sys.stdout.write(json.dumps({
                "path": str(path), "orders": len(scenario.orders),
                "suites": len(scenario.suites), "operators": len(scenario.operators),
                "equipment": len(scenario.equipment)}, indent=2) + "\n")
            return EXIT_DONE
        console.print(f"Wrote [bold]{path}[/]: {len(scenario.orders)} orders, "
                      f"{len(scenario.suites)} suites, {len(scenario.operators)} operators, "
                      f"{len(scenario.equipment)} equipment units.")
        return EXIT_DONE

    _run(body)


EventsArg = Annotated[Path, typer.Option("--events", help="Events file (YAML or JSON list, "
                                         "SPEC §5).")]
FreezeOpt = Annotated[str, typer.Option("--freeze", help="Work starting this soon after --now "
                                        "keeps its times and resources when it still can.")]


def _diff_file(diff: Any, applied: list[str]) -> dict[str, str]:
    """``diff.json`` (SPEC §5) as an extra output file of ``write_plan``."""
    return {"diff.json": json.dumps(diff.to_json_dict(events=applied), indent=2) + "\n"}


def _print_diff(diff: Any, old: Plan, new: Plan) -> None:
    from suitesched.report.tables import diff_table, kpi_table

    console.print(Group(diff_table(diff), kpi_table(new, before=old)))


@app.command()
def replan(
    scenario: ScenarioArg,
    plan: Annotated[Path, typer.Option("--plan", help="The current plan.json.")],
    events: EventsArg,
    now: NowOpt = None,
    freeze: FreezeOpt = "24h",
    out: OutOpt = Path("plan"),
    time_limit: TimeLimitOpt = None,
    workers: WorkersOpt = 2,
    seed: SeedOpt = 0,
    max_deterministic_time: DetOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Re-plan after events: frozen work stays, the rest moves as little as it can."""

    def body() -> int:
        import suitesched as ss
        from suitesched.planning.replan import replan_with_scenario
        from suitesched.report.diff import diff_plans

        loaded = ss.load_scenario(scenario)
        old = ss.read_plan(plan)
        events_file = ss.load_events(events)  # read once; bound to the scenario by replan
        wall_limit = _wall_limit(time_limit, max_deterministic_time)
        started = time.monotonic()
        new, updated = _with_progress(
            not as_json and sys.stderr.isatty(),
            lambda progress: replan_with_scenario(
                loaded, old, events_file, now=now, freeze=freeze, time_limit=wall_limit,
                workers=workers, seed=seed, max_deterministic_time=max_deterministic_time,
                progress=progress))
        elapsed = time.monotonic() - started
        diff = diff_plans(old, new)
        data = events_file.data if isinstance(events_file.data, list) else []
        applied = [str(item.get("id")) for item in data if isinstance(item, dict)]
        ss.write_plan(new, out, extra_files={**_diff_file(diff, applied),
                                             **_report_file(new, updated, old)})
        if as_json:
            sys.stdout.write(json.dumps({"plan": str(out / "plan.json"),
                                         "solver": new.solver.model_dump(), "kpis": new.kpis,
                                         "diff": diff.to_json_dict(events=applied)["summary"]},
                                        indent=2) + "\n")
        else:
            _print_plan(new, out, False)
            _print_diff(diff, old, new)
            _print_overrun(elapsed, wall_limit)
        return _exit_for(new)

    _run(body)


@app.command()
def nightly(
    scenario: ScenarioArg,
    db: Annotated[Path, typer.Option("--db", help="SQLite plan store (created on first use).")],
    events: EventsArg,
    now: NowOpt = None,
    freeze: FreezeOpt = "24h",
    out: OutOpt = Path("plan"),
    time_limit: TimeLimitOpt = None,
    workers: WorkersOpt = 2,
    seed: SeedOpt = 0,
    max_deterministic_time: DetOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Apply new events to the latest stored plan, store the new version, write the outputs."""

    def body() -> int:
        import suitesched as ss
        from suitesched.nightly import run_nightly

        wall_limit = _wall_limit(time_limit, max_deterministic_time)
        started = time.monotonic()
        result = _with_progress(
            not as_json and sys.stderr.isatty(),
            lambda progress: run_nightly(
                db, scenario, events, now=now, freeze=freeze, time_limit=wall_limit,
                workers=workers, seed=seed, max_deterministic_time=max_deterministic_time,
                progress=progress))
        elapsed = time.monotonic() - started
        extra = _diff_file(result.diff, result.applied) if result.diff is not None else {}
        extra.update(_report_file(result.plan, result.scenario, result.previous))
        ss.write_plan(result.plan, out, extra_files=extra)
        if as_json:
            sys.stdout.write(json.dumps({
                "version": result.version, "created_versions": result.created_versions,
                "applied_events": result.applied, "pending_events": result.pending,
                "kpis": result.plan.kpis, "solver": result.plan.solver.model_dump()},
                indent=2) + "\n")
        else:
            if result.created_versions:
                console.print(f"Stored version(s) {', '.join(map(str, result.created_versions))}"
                              f" in [bold]{db}[/]; applied events: "
                              f"{', '.join(result.applied) or 'none'}")
            else:
                console.print(f"Nothing new: version {result.version} stays current.")
            if result.pending:
                console.print(f"Dated after now, left for a later run: "
                              f"{', '.join(result.pending)}")
            _print_plan(result.plan, out, False)
            if result.diff is not None and result.previous is not None:
                _print_diff(result.diff, result.previous, result.plan)
            if result.created_versions:  # a run with nothing new planned nothing
                _print_overrun(elapsed, wall_limit)
        return _exit_for(result.plan)

    _run(body)


@app.command()
def report(
    plan: Annotated[Path, typer.Argument(help="The plan.json (or the folder holding it).")],
    scenario: Annotated[Path | None, typer.Option(
        "--scenario", help="The scenario of the plan: the site's time zone, and rows in the "
        "site's order with idle suites, equipment and people.")] = None,
    previous: Annotated[Path | None, typer.Option(
        "--previous", help="The plan this one replaced: changed operations are outlined and "
        "their old positions drawn.")] = None,
    out: Annotated[Path | None, typer.Option(
        "--out", help="HTML file to write (default: report.html next to the plan).")] = None,
    as_json: JsonOpt = False,
) -> None:
    """Write the plan report: one self-contained HTML file (Gantt charts, QC runs, KPIs, orders).

    The file opens in any browser without a network: plotly's JavaScript is inside it.
    """

    def body() -> int:
        import suitesched as ss
        from suitesched.report.html import write_report

        loaded = ss.read_plan(plan)
        old = ss.read_plan(previous) if previous is not None else None
        site = ss.load_scenario(scenario) if scenario is not None else None
        target = out if out is not None else (
            plan if plan.is_dir() else plan.parent) / "report.html"
        written = write_report(loaded, target, scenario=site, previous=old)
        if as_json:
            sys.stdout.write(json.dumps({"report": str(written),
                                         "bytes": written.stat().st_size}) + "\n")
        else:
            from rich.markup import escape

            console.print(f"Report written to [bold]{escape(str(written))}[/] "
                          f"({written.stat().st_size / 1024:,.0f} KB)")
        return EXIT_DONE

    _run(body)


@app.command()
def offer(
    scenario: ScenarioArg,
    plan: Annotated[Path, typer.Option("--plan", help="The current plan.json.")],
    process: Annotated[str, typer.Option("--process", help="Process of the new order.")],
    earliest: Annotated[str | None, typer.Option(
        "--earliest", help="First arrival date to offer (default: the day after --now).")] = None,
    latest: Annotated[str | None, typer.Option(
        "--latest", help="Last arrival date to offer (default: 4 weeks after --earliest).")
    ] = None,
    top: Annotated[int, typer.Option("--top", min=1, max=100, help="How many offers.")] = 5,
    requires: Annotated[str | None, typer.Option(
        "--requires", help="Suite tag the new order needs (e.g. bsl2_plus).")] = None,
    arrival_time: Annotated[str, typer.Option(
        "--arrival-time", help="Local time the material reaches the site.")] = "09:00",
    now: NowOpt = None,
    time_limit: TimeLimitOpt = None,
    workers: WorkersOpt = 2,
    seed: SeedOpt = 0,
    max_deterministic_time: DetOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """When can a new patient's material come, and when would it be released? (SPEC §5a)

    Each arrival day is priced by a one-order model on one worker (--workers is accepted for
    symmetry with the other planning commands); --time-limit stops pricing further days.
    """

    def body() -> int:
        import suitesched as ss
        from suitesched.report.tables import offers_table

        loaded = ss.load_scenario(scenario)
        result = ss.offer(loaded, ss.read_plan(plan), process, earliest=earliest,
                          latest=latest, top=top, requires=requires, now=now,
                          arrival_time=arrival_time, time_limit=time_limit, seed=seed,
                          max_deterministic_time=max_deterministic_time)
        if as_json:
            sys.stdout.write(json.dumps(
                {"offers": [o.to_json_dict() for o in result.offers]}, indent=2) + "\n")
        else:
            console.print(offers_table(result.offers, process))
            console.print(f"Searched: {result.method} in {result.seconds:.1f} s.")
        return EXIT_DONE if result.offers else EXIT_ATTENTION

    _run(body)


@app.command()
def explain(
    scenario: ScenarioArg,
    plan: Annotated[Path | None, typer.Option(
        "--plan", help="Explain this plan.json (default: solve the scenario first).")] = None,
    now: NowOpt = None,
    time_limit: TimeLimitOpt = None,
    workers: WorkersOpt = 2,
    seed: SeedOpt = 0,
    max_deterministic_time: DetOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Why orders are unscheduled or late: the binding resource and when (SPEC §4.4)."""

    def body() -> int:
        import suitesched as ss
        from suitesched.report.tables import explain_table, problems_table

        loaded = ss.load_scenario(scenario)
        if plan is not None:
            current = ss.read_plan(plan)
            violations = ss.check_plan(loaded, current)
            if violations:
                # A hard conflict: the plan cannot stand on this scenario; name the records.
                if as_json:
                    sys.stdout.write(json.dumps({"conflicts": [
                        {"rule": v.rule, "message": v.message, "records": list(v.records)}
                        for v in violations]}, indent=2) + "\n")
                else:
                    err_console.print(problems_table(
                        [Problem(str(plan), v.rule, f"{v.message} [{', '.join(v.records)}]")
                         for v in violations],
                        title="The plan cannot stand on this scenario: colliding records"))
                return EXIT_NO_PLAN
        else:
            current = _with_progress(
                not as_json and sys.stderr.isatty(),
                lambda progress: ss.solve(
                    loaded, time_limit=_wall_limit(time_limit, max_deterministic_time),
                    workers=workers, seed=seed, max_deterministic_time=max_deterministic_time,
                    now=now, progress=progress))
        explanations = ss.explain(loaded, current, now=now)
        if as_json:
            sys.stdout.write(json.dumps({"kpis": current.kpis, "explanations": [
                e.to_json_dict() for e in explanations]}, indent=2) + "\n")
        elif explanations:
            console.print(explain_table(explanations))
        else:
            console.print("Every order is scheduled and on time: nothing to explain.")
        return EXIT_ATTENTION if explanations else EXIT_DONE

    _run(body)


@app.command()
def history(
    db: Annotated[Path, typer.Option("--db", help="SQLite plan store.")],
    as_json: JsonOpt = False,
) -> None:
    """List the plan versions of a store with their KPIs."""

    def body() -> int:
        from suitesched.report.tables import history_table
        from suitesched.store import PlanStore

        with PlanStore.open(db, create=False, readonly=True) as store:
            versions = store.history()
        if as_json:
            sys.stdout.write(json.dumps([{
                "version": v.version, "created": str(v.created), "now": str(v.now),
                "parent": v.parent, "solver_status": v.solver_status,
                "objective": v.objective, "events": v.events, "kpis": v.kpis}
                for v in versions], indent=2) + "\n")
        else:
            console.print(history_table(versions))
        return EXIT_DONE

    _run(body)


def main() -> None:
    """Console-script entry point."""
    app()


if __name__ == "__main__":
    main()
