"""Rich tables for the terminal: problems, scenario summary, KPIs, orders. CLI use only."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from typing import Any

from rich.table import Table
from rich.text import Text

from suitesched.errors import Problem
from suitesched.model.plan import Plan
from suitesched.model.scenario import Scenario


def problems_table(problems: Iterable[Problem], title: str = "Problems") -> Table:
    table = Table(title=title, show_lines=False, title_justify="left")
    table.add_column("file", style="cyan", no_wrap=True)
    table.add_column("where", style="magenta")
    table.add_column("what is wrong")
    for p in problems:
        table.add_row(p.file, p.location or "-", p.message)
    return table


def scenario_summary(scenario: Scenario) -> Table:
    # Names and ids are the site's own text: shown as written, never read as rich markup.
    table = Table(title=Text(f"Scenario {scenario.name}"), show_header=False,
                  title_justify="left")
    table.add_column("what", style="bold")
    table.add_column("value")

    def row(what: str, value: str) -> None:
        table.add_row(what, Text(value))

    h = scenario.horizon
    row("horizon", f"{h.start:%Y-%m-%d %H:%M} + {h.days} days "
        f"({scenario.timezone.key}, grid {scenario.time_step} min)")
    row("holidays", ", ".join(d.isoformat() for d in scenario.holidays) or "none")
    row("shifts", ", ".join(sorted(scenario.shifts)) or "none")
    tags = Counter(t for s in scenario.suites for t in s.tags)
    row("suites", f"{len(scenario.suites)}" + (
        f" (tagged: {', '.join(f'{t} ×{n}' for t, n in sorted(tags.items()))})" if tags else ""))
    types = Counter(e.type for e in scenario.equipment)
    row("equipment", ", ".join(f"{t} ×{n}" for t, n in sorted(types.items())) or "none")
    skills = Counter(q.skill for o in scenario.operators for q in o.skills)
    row("operators", f"{len(scenario.operators)}: " + ", ".join(
        f"{s} {n}" for s, n in sorted(skills.items())))
    row("assays", ", ".join(a.id for a in scenario.assays) or "none")
    row("processes", ", ".join(
        f"{p.id} ({len(p.steps)} steps)" for p in scenario.processes))
    status = Counter(o.status for o in scenario.orders)
    by_process = Counter(o.process for o in scenario.orders if o.status != "cancelled")
    row("orders", f"{len(scenario.orders)} ({status.get('cancelled', 0)} cancelled; "
        + ", ".join(f"{p} {n}" for p, n in sorted(by_process.items())) + ")")
    return table


KPI_LABELS = {
    "orders": "orders", "scheduled": "scheduled", "on_time": "on time", "late": "late",
    "unscheduled": "unscheduled", "cancelled": "cancelled",
    "total_tardiness_hours": "total lateness (h)", "mean_flow_days": "mean flow (days)",
    "suite_utilisation": "suite utilisation", "operator_utilisation": "operator utilisation",
    "operator_hours": "operator hours", "qc_runs": "QC runs",
}


def kpi_table(plan: Plan, before: Plan | None = None) -> Table:
    table = Table(title="KPIs", title_justify="left")
    table.add_column("KPI")
    if before is not None:
        table.add_column("before", justify="right")
    table.add_column("value" if before is None else "after", justify="right")
    for key, label in KPI_LABELS.items():
        if key not in plan.kpis:
            continue
        value = _fmt(key, plan.kpis[key])
        if before is not None:
            table.add_row(label, _fmt(key, before.kpis.get(key, "")), value)
        else:
            table.add_row(label, value)
    return table


def _fmt(key: str, value: object) -> str:
    if isinstance(value, float) and key.endswith("utilisation"):
        return f"{value:.0%}"
    return str(value)


def orders_table(plan: Plan) -> Table:
    table = Table(title="Orders", title_justify="left")
    for col in ("order", "status", "slot start", "release", "due", "late (h)", "reason"):
        table.add_column(col, justify="right" if col == "late (h)" else "left")
    style = {"scheduled": "green", "unscheduled": "red", "cancelled": "dim"}
    for o in plan.orders:
        late = o.tardiness_hours or 0
        status = o.status if not late else "late"
        table.add_row(
            o.order_id, f"[{style.get(o.status, '')}]{status}[/]" if not late
            else f"[yellow]{status}[/]",
            f"{o.start:%a %d %b %H:%M}" if o.start else "-",
            f"{o.release:%a %d %b %H:%M}" if o.release else "-",
            f"{o.due:%a %d %b %H:%M}" if o.due else "-",
            f"{late:.1f}" if late else "", o.reason or "")
    return table


def diff_table(diff: Any) -> Table:
    """What a re-plan changed, at a glance (the full list is in diff.json)."""
    table = Table(title="Changes against the previous plan", title_justify="left")
    table.add_column("what")
    table.add_column("count", justify="right")
    table.add_column("detail")
    shifts = [abs(m.shift_hours) for m in diff.moved]
    table.add_row("operations unchanged", f"{diff.unchanged}/{diff.compared}",
                  f"{diff.kept_share:.0%} kept start and resources")
    table.add_row("operations moved", str(len(diff.moved)),
                  f"max {max(shifts, default=0):.1f} h, mean "
                  f"{(sum(shifts) / len(shifts)) if shifts else 0:.1f} h")
    table.add_row("resources changed", str(len(diff.resources_changed)), "")
    table.add_row("operations added / removed", f"{len(diff.added)} / {len(diff.removed)}", "")
    table.add_row("orders newly late", str(len(diff.newly_late)),
                  ", ".join(diff.newly_late[:8]))
    table.add_row("orders newly unscheduled", str(len(diff.newly_unscheduled)),
                  ", ".join(diff.newly_unscheduled[:8]))
    return table


def history_table(versions: Iterable[Any]) -> Table:
    """Plan versions of a store, newest last."""
    table = Table(title="Plan versions", title_justify="left")
    for col in ("version", "created", "now", "events", "status", "served", "late",
                "missed"):
        table.add_column(col, justify="right" if col not in ("created", "now", "status")
                         else "left")
    for v in versions:
        k = v.kpis or {}
        table.add_row(str(v.version), f"{v.created:%d %b %H:%M}", f"{v.now:%d %b %H:%M}",
                      str(v.events),
                      v.solver_status or "-", str(k.get("scheduled", "-")),
                      str(k.get("late", "-")), str(k.get("unscheduled", "-")))
    return table


def offers_table(offers: Iterable[Any], process: str) -> Table:
    """Slot offers, best first: arrival, first step, suite, release."""
    table = Table(title=f"Slot offers for a new {process} order (best release first)",
                  title_justify="left")
    for col in ("#", "material arrives", "first step", "suite", "release"):
        table.add_column(col, justify="right" if col == "#" else "left")
    for k, o in enumerate(offers, 1):
        table.add_row(str(k), f"{o.arrival:%a %d %b %H:%M}", f"{o.start:%a %d %b %H:%M}",
                      o.suite or "-", f"{o.release:%a %d %b %H:%M}")
    if not table.row_count:
        table.add_row("-", "no arrival day in the window has a slot", "", "", "")
    return table


def explain_table(explanations: Iterable[Any]) -> Table:
    """Why orders are unscheduled or late: one row per order, the binding cause in words."""
    table = Table(title="Why orders are unscheduled or late", show_lines=True)
    table.add_column("order")
    table.add_column("status")
    table.add_column("binding")
    table.add_column("reason", overflow="fold")
    for e in explanations:
        style = "red" if e.status == "unscheduled" else "yellow"
        table.add_row(e.order_id, f"[{style}]{e.status}[/]", "\n".join(e.binding), e.reason)
    return table
