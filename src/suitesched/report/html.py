"""The plan report: one self-contained HTML file (plotly.js inlined; no network, fonts or images).

What it shows (SPEC §3 plan, seen by the people who run the floor):

- **Operations by suite** (``gantt-suite``): exactly one bar per operation. Rows are the
  suites; an operation without a suite sits on its equipment's row, and one with neither on a
  ``(no room) STEP`` row (receipt, QA review).
- **Operations by equipment** (``gantt-equipment``): one bar per operation that uses equipment.
- **Operations by operator** (``gantt-operator``): one bar per operation and named person, so
  an operation done by two people appears on both their rows.
- **QC runs** (``qc-runs``): one bar per run, on a row per assay.
- The KPI table and the orders table; for a re-plan the KPIs before and after, and the
  changed operations.

Operation bars are coloured by ``order_id``, one plotly trace per order, and carry
``customdata = [KEY, "operation"]`` with ``KEY = "order_id/step"``; a re-plan's old positions
are extra traces with ``meta = "previous"`` (hatched, outlined, ``customdata = [KEY,
"previous"]``), and changed operations get a thick outline. All times are site local time.

The page carries its expected bar counts (``<script type="application/json"
id="report-expected">``) and, once plotly has drawn every chart, writes what it drew into the
hidden ``<pre id="render-check">`` as JSON: bars in the data and SVG bar paths per chart, any
script error or ``console.error``, and every resource the page tried to load (none: the file
is self-contained). A headless browser checks the rendering by reading the DOM
(``tests/test_report_html.py``).

Only ``order_id`` identifies a patient; nothing else about patients is in a plan or printed
here. The same inputs give the same bytes. The library never prints.
"""

from __future__ import annotations

import html
import json
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta, tzinfo
from pathlib import Path
from typing import Any

from suitesched.model.plan import Operation, Plan
from suitesched.model.scenario import Scenario

CHART_IDS = ("gantt-suite", "gantt-equipment", "gantt-operator", "qc-runs")
"""The plotly graph divs of the report, in page order."""

NO_ROOM = "(no room)"
LEGEND_MAX_ORDERS = 40
"""Above this many orders the per-order legend is hidden (hover still names the order)."""

_TIME = "%a %d %b %H:%M"
_PALETTE = (
    "#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f",
    "#bcbd22", "#17becf", "#393b79", "#ad494a", "#637939", "#8c6d31", "#7b4173", "#3182bd",
    "#e6550d", "#31a354", "#756bb1", "#636363", "#6baed6", "#fd8d3c", "#74c476", "#9e9ac8",
)
_GHOST = "previous"
_OPERATION = "operation"


@dataclass(frozen=True)
class _Bar:
    """One horizontal bar: a row, a local start, a length, hover text and its identity."""

    row: str
    start: datetime
    ms: int
    hover: str
    key: str
    order: str = ""
    highlight: bool = False


def render_report(plan: Plan, scenario: Scenario | None = None,
                  previous: Plan | None = None) -> str:
    """The report of ``plan`` as one self-contained HTML page.

    Args:
        plan: The plan to show.
        scenario: The site the plan is for; gives the time zone's name and the order of the
            rows (suites, equipment, operators and assays as listed in ``site.yaml``, idle ones
            included). Optional: without it rows are sorted and times shown as the plan's
            own UTC offset (which is site time).
        previous: The plan this one replaces (a re-plan): changed operations are outlined and
            their old positions drawn as hatched bars; the KPIs are shown before and after.
    """
    return _Report(plan, scenario, previous).page()


def write_report(plan: Plan, path: str | Path, scenario: Scenario | None = None,
                 previous: Plan | None = None) -> Path:
    """Write :func:`render_report` to ``path`` atomically; return the path."""
    from suitesched.errors import OutputError
    from suitesched.io.plan_io import atomic_write_text

    target = Path(path)
    text = render_report(plan, scenario, previous)
    try:
        atomic_write_text(target, text)
    except OSError as exc:
        raise OutputError(f"cannot write the report {target}: {exc.strerror or exc}") from None
    return target


def op_key(op: Operation) -> str:
    """The identity of an operation in the report (and in ``diff.json``): ``order/step``."""
    return f"{op.order_id}/{op.step}"


def expected_counts(plan: Plan) -> dict[str, int]:
    """How many operation (or run) bars each chart of the report must show."""
    return {
        "gantt-suite": len(plan.operations),
        "gantt-equipment": sum(1 for op in plan.operations if op.equipment),
        "gantt-operator": sum(len(op.operators) for op in plan.operations),
        "qc-runs": len(plan.qc_runs),
    }


class _Report:
    def __init__(self, plan: Plan, scenario: Scenario | None, previous: Plan | None) -> None:
        self.plan = plan
        self.scenario = scenario
        self.previous = previous
        self.tz: tzinfo | None = scenario.timezone if scenario is not None else None
        order_ids = [o.order_id for o in plan.orders]
        order_ids += sorted({op.order_id for op in plan.operations} - set(order_ids))
        self.order_ids = order_ids
        self.colour = {oid: _PALETTE[i % len(_PALETTE)] for i, oid in enumerate(order_ids)}
        self.old: dict[str, Operation] = (
            {op_key(op): op for op in previous.operations} if previous else {})
        self.new_keys = {op_key(op) for op in plan.operations}
        self.removed = [op for key, op in sorted(self.old.items()) if key not in self.new_keys]
        self.notes = {op_key(op): self.change(op) for op in plan.operations}
        self.x_range = self._x_range()

    # ----------------------------------------------------------------- times and text

    def local(self, moment: datetime) -> datetime:
        """Site local wall-clock time, naive (what the chart axis shows)."""
        if self.tz is not None:
            moment = moment.astimezone(self.tz)
        return moment.replace(tzinfo=None)

    def _x_range(self) -> list[str]:
        """One time axis for every chart: from the plan's ``now`` (or the earliest bar) to the
        latest end, with a little room either side."""
        spans = [(x.start, x.end) for x in (*self.plan.operations, *self.plan.qc_runs)]
        if self.previous is not None:
            spans += [(op.start, op.end) for op in self.previous.operations]
        lo = self.local(min([self.plan.now, *(s for s, _ in spans)]))
        hi = self.local(max([self.plan.now, *(e for _, e in spans)]))
        pad = max(hi - lo, timedelta(days=1)) * 0.02
        return [(lo - pad).isoformat(sep=" "), (hi + pad).isoformat(sep=" ")]

    def when(self, moment: datetime | None) -> str:
        return "–" if moment is None else f"{self.local(moment):{_TIME}}"

    def zone_label(self) -> str:
        if self.tz is not None:
            return str(getattr(self.tz, "key", self.tz))
        offsets = sorted({op.start.strftime("%z") for op in self.plan.operations})
        shown = ", ".join(f"UTC{o[:3]}:{o[3:]}" for o in offsets if o) or "the plan's offset"
        return f"site time as written in the plan ({shown})"

    def change(self, op: Operation) -> str | None:
        """What changed against the previous plan, or ``None`` (no previous plan / unchanged)."""
        if self.previous is None:
            return None
        old = self.old.get(op_key(op))
        if old is None:
            return "new in this plan"
        parts = []
        if old.start != op.start:
            hours = (op.start - old.start).total_seconds() / 3600
            parts.append(f"moved {hours:+.1f} h (was {self.when(old.start)})")
        for name in ("suite", "equipment", "operators"):
            a, b = getattr(old, name), getattr(op, name)
            if a != b:
                was = ", ".join(a) if isinstance(a, tuple) else a
                parts.append(f"{name} was {was or '–'}")
        return "; ".join(parts) or None

    def op_hover(self, op: Operation, note: str | None) -> str:
        hours = (op.end - op.start).total_seconds() / 3600
        lines = [
            f"<b>{_esc(op.order_id)}</b> · {_esc(op.step)}",
            f"suite {_esc(op.suite or '–')} · equipment {_esc(op.equipment or '–')}",
            f"people: {_esc(', '.join(op.operators) or '–')}",
            f"{self.when(op.start)} → {self.when(op.end)} ({hours:g} h)",
        ]
        if op.frozen:
            lines.append("frozen (started before the plan was made)")
        if note:
            lines.append(f"<i>{_esc(note)}</i>")
        return "<br>".join(lines)

    # ----------------------------------------------------------------- rows

    def _listed(self, kind: str) -> list[str]:
        if self.scenario is None:
            return []
        return [item.id for item in getattr(self.scenario, kind)]

    @staticmethod
    def _rows(listed: Sequence[str], used: Iterable[str],
              group: dict[str, int] | None = None) -> list[str]:
        """Rows in the site's order (idle ones too), then any the site does not list, by
        ``group`` (suites, equipment, ``(no room)`` rows), each in natural order (S2 < S10)."""
        rows = list(listed)
        rank = group or {}
        rows += sorted(set(used) - set(rows),
                       key=lambda row: (rank.get(row, 0), _natural(row)))
        return rows

    @staticmethod
    def suite_row(op: Operation) -> str:
        return op.suite or op.equipment or f"{NO_ROOM} {op.step}"

    # ----------------------------------------------------------------- figures

    def op_bars(self, chart: str, ops: Iterable[Operation]) -> tuple[list[_Bar], list[_Bar]]:
        """The bars of the operations in ``chart``, and the previous plan's bars (ghosts)."""
        bars: list[_Bar] = []
        for op in ops:
            note = self.notes[op_key(op)]
            for row in _op_rows(chart, op):
                bars.append(_Bar(row, self.local(op.start), _ms(op), self.op_hover(op, note),
                                 op_key(op), op.order_id, highlight=note is not None))
        ghosts: list[_Bar] = []
        if self.previous is not None:
            moved = [self.old[key] for key, note in self.notes.items()
                     if note is not None and key in self.old]
            for old in sorted([*moved, *self.removed],
                              key=lambda o: (o.start, o.order_id, o.step)):
                gone = op_key(old) not in self.new_keys
                hover = self.op_hover(old, "removed by the re-plan" if gone
                                      else "previous plan's position")
                for row in _op_rows(chart, old):
                    ghosts.append(_Bar(row, self.local(old.start), _ms(old), hover,
                                       op_key(old)))
        return bars, ghosts

    def gantt(self, chart: str, title: str, rows: list[str]) -> dict[str, Any]:
        ops = _on_chart(chart, self.plan.operations)
        bars, ghosts = self.op_bars(chart, ops)
        traces: list[dict[str, Any]] = []
        if ghosts:
            traces.append(_trace(ghosts, name="previous plan", meta=_GHOST, marker={
                "color": "rgba(255,255,255,0)",
                "line": {"color": "#333333", "width": 1.5},
                "pattern": {"shape": "/", "fgcolor": "#666666", "size": 6, "solidity": 0.3},
            }, showlegend=True))
        by_order: dict[str, list[_Bar]] = {}
        for bar in bars:
            by_order.setdefault(bar.order, []).append(bar)
        show_legend = len(self.order_ids) <= LEGEND_MAX_ORDERS
        for oid in self.order_ids:
            mine = by_order.get(oid)
            if not mine:
                continue
            traces.append(_trace(mine, name=oid, meta=_OPERATION, marker={
                "color": self.colour[oid],
                "line": {"color": ["#000000" if b.highlight else "#ffffff" for b in mine],
                         "width": [3.5 if b.highlight else 0.5 for b in mine]},
            }, showlegend=show_legend, legendgroup=oid))
        used = [b.row for b in (*bars, *ghosts)]
        group = {}
        for op in (*self.plan.operations, *self.removed):
            group[self.suite_row(op)] = 0 if op.suite else 1 if op.equipment else 2
        return self.figure(chart, title, traces, self._rows(rows, used, group))

    def qc_figure(self) -> dict[str, Any]:
        runs = self.plan.qc_runs
        bars = []
        for run in runs:
            hours = (run.end - run.start).total_seconds() / 3600
            lines = [f"<b>{_esc(run.run_id)}</b> · {_esc(run.assay)}",
                     f"orders: {_esc(', '.join(run.order_ids) or '–')}",
                     f"analysts: {_esc(', '.join(run.analysts) or '–')}",
                     f"{self.when(run.start)} → {self.when(run.end)} ({hours:g} h)"]
            if run.frozen:
                lines.append("frozen (started before the plan was made)")
            bars.append(_Bar(run.assay, self.local(run.start),
                             round((run.end - run.start).total_seconds() * 1000),
                             "<br>".join(lines), run.run_id))
        assays = self._listed("assays")
        traces = []
        for k, assay in enumerate(self._rows(assays, [b.row for b in bars])):
            mine = [b for b in bars if b.row == assay]
            if mine:
                traces.append(_trace(mine, name=assay, meta="qc-run", marker={
                    "color": _PALETTE[k % len(_PALETTE)],
                    "line": {"color": "#ffffff", "width": 0.5}}, showlegend=False,
                    kind="qc-run"))
        return self.figure("qc-runs", "QC runs by assay (one bar per run; hover lists its "
                           "orders)", traces, self._rows(assays, [b.row for b in bars]))

    def figure(self, chart: str, title: str, traces: list[dict[str, Any]],
               rows: list[str]) -> dict[str, Any]:
        import plotly.graph_objects as go

        now = self.local(self.plan.now).isoformat(sep=" ")
        layout = go.Layout(
            template="plotly_white",
            title={"text": _esc(title), "x": 0.01, "font": {"size": 15}},
            barmode="overlay",
            height=max(260, 140 + 24 * len(rows)),
            margin={"l": 10, "r": 10, "t": 50, "b": 40},
            hovermode="closest",
            hoverlabel={"align": "left"},
            xaxis={"type": "date", "showgrid": True, "range": self.x_range,
                   "tickformat": "%a %d %b\n%H:%M"},
            yaxis={"type": "category", "categoryorder": "array", "categoryarray": rows,
                   "autorange": "reversed", "automargin": True, "title": {"text": ""}},
            legend={"title": {"text": "order"}, "traceorder": "normal"},
            shapes=[{"type": "line", "xref": "x", "yref": "paper", "x0": now, "x1": now,
                     "y0": 0, "y1": 1, "line": {"color": "#d62728", "width": 1.5,
                                                  "dash": "dot"}}],
            annotations=[{"x": now, "y": 1, "xref": "x", "yref": "paper", "text": "now",
                          "showarrow": False, "yanchor": "bottom",
                          "font": {"color": "#d62728", "size": 11}}],
        )
        fig = go.Figure(data=[go.Bar(**t) for t in traces], layout=layout)
        return {"id": chart, "figure": fig.to_plotly_json()}

    def figures(self) -> list[dict[str, Any]]:
        suites, equipment = self._listed("suites"), self._listed("equipment")
        return [
            self.gantt("gantt-suite", "Operations by suite (every operation once: without a "
                       "suite on its equipment's row, without either on a '(no room)' row)",
                       suites + equipment),
            self.gantt("gantt-equipment", "Operations by equipment", equipment),
            self.gantt("gantt-operator", "Operations by operator (an operation with two "
                       "people is on both rows)", self._listed("operators")),
            self.qc_figure(),
        ]

    # ----------------------------------------------------------------- tables

    def kpi_table(self) -> str:
        from suitesched.report.tables import KPI_LABELS

        keys = [k for k in KPI_LABELS if k in self.plan.kpis]
        keys += sorted(k for k in self.plan.kpis if k not in KPI_LABELS)
        head = ["KPI", *(["before", "after"] if self.previous else ["value"])]
        rows = []
        for key in keys:
            cells = [KPI_LABELS.get(key, key)]
            if self.previous is not None:
                cells.append(_kpi(key, self.previous.kpis.get(key)))
            cells.append(_kpi(key, self.plan.kpis[key]))
            rows.append(cells)
        return _table("kpis", head, rows, numeric_from=1)

    def orders_table(self) -> str:
        head = ["order", "status", "slot start", "release", "due", "late (h)", "reason"]
        rows, classes = [], []
        for o in self.plan.orders:
            late = o.tardiness_hours or 0
            status = "late" if o.status == "scheduled" and late > 0 else o.status
            rows.append([o.order_id, status, self.when(o.start), self.when(o.release),
                         self.when(o.due), f"{late:.1f}" if late else "", o.reason or ""])
            classes.append(status)
        return _table("orders", head, rows, numeric_from=5, numeric_to=6, row_classes=classes)

    def changes_table(self) -> str:
        if self.previous is None:
            return ""
        rows = []
        for op in self.plan.operations:
            note = self.notes[op_key(op)]
            if note is not None:
                rows.append([op.order_id, op.step, self.when(op.start), note])
        rows += [[op.order_id, op.step, self.when(op.start), "removed by the re-plan"]
                 for op in self.removed]
        intro = (f"<p>{len(rows)} of {len(self.plan.operations)} operations changed against "
                 "the previous plan (outlined in the charts; their old positions hatched).</p>")
        return ("<h2>Changes against the previous plan</h2>" + intro
                + _table("changes", ["order", "step", "start", "what changed"], rows))

    # ----------------------------------------------------------------- page

    def page(self) -> str:
        from plotly.offline import get_plotlyjs

        plan = self.plan
        figures = self.figures()
        expected = expected_counts(plan)
        solver = plan.solver
        objective = "–" if solver.objective is None else f"{solver.objective:,.1f}"
        title = f"Plan report: {plan.scenario}"
        divs = "\n".join(f'<div id="{f["id"]}" class="chart"></div>' for f in figures)
        figure_json = _script_json([{"id": f["id"], **f["figure"]} for f in figures])
        return _PAGE.format(
            title=_esc(title),
            op_count=len(plan.operations),
            run_count=len(plan.qc_runs),
            replan="true" if self.previous is not None else "false",
            head_script=_HEAD_SCRIPT,
            plotly_js=get_plotlyjs(),
            heading=_esc(title),
            meta=_esc(f"made for {self.when(plan.now)} · created {self.when(plan.created)} · "
                      f"solver {solver.status}, objective {objective} · "
                      f"{len(plan.operations)} operations, {len(plan.qc_runs)} QC runs, "
                      f"{len(plan.orders)} orders"),
            zone=_esc(self.zone_label()),
            kpis=self.kpi_table(),
            changes=self.changes_table(),
            charts=divs,
            orders=self.orders_table(),
            expected=_script_json(expected),
            figures=figure_json,
            render_script=_RENDER_SCRIPT,
        )


def _op_rows(chart: str, op: Operation) -> list[str]:
    if chart == "gantt-suite":
        return [_Report.suite_row(op)]
    if chart == "gantt-equipment":
        return [op.equipment] if op.equipment else []
    return list(op.operators)


def _natural(row: str) -> list[tuple[int, int | str]]:
    return [(1, int(t)) if t.isdigit() else (0, t) for t in re.split(r"(\d+)", row) if t]


def _on_chart(chart: str, ops: Iterable[Operation]) -> list[Operation]:
    return [op for op in ops if _op_rows(chart, op)]


def _ms(op: Operation) -> int:
    """Length in milliseconds (elapsed time; the bar starts at the local start)."""
    return round((op.end - op.start).total_seconds() * 1000)


def _trace(bars: list[_Bar], *, name: str, meta: str, marker: dict[str, Any],
           showlegend: bool, legendgroup: str | None = None,
           kind: str | None = None) -> dict[str, Any]:
    trace: dict[str, Any] = {
        "name": name,
        "meta": meta,
        "orientation": "h",
        "y": [b.row for b in bars],
        "base": [b.start.isoformat(sep=" ") for b in bars],
        "x": [b.ms for b in bars],
        "customdata": [[b.key, kind or meta] for b in bars],
        "hovertext": [b.hover for b in bars],
        "hovertemplate": "%{hovertext}<extra></extra>",
        "marker": marker,
        "showlegend": showlegend,
        "width": 0.7,
    }
    if legendgroup is not None:
        trace["legendgroup"] = legendgroup
    return trace


def _esc(text: str) -> str:
    return html.escape(str(text), quote=True)


def _kpi(key: str, value: object) -> str:
    if value is None:
        return "–"
    if isinstance(value, float) and key.endswith("utilisation"):
        return f"{value:.0%}"
    return str(value)


def _table(css: str, head: list[str], rows: list[list[str]], *, numeric_from: int | None = None,
           numeric_to: int | None = None, row_classes: list[str] | None = None) -> str:
    def cell(tag: str, k: int, text: str) -> str:
        numeric = numeric_from is not None and k >= numeric_from and (
            numeric_to is None or k < numeric_to)
        attr = ' class="num"' if numeric else ""
        return f"<{tag}{attr}>{_esc(text)}</{tag}>"

    out = [f'<table class="{css}"><thead><tr>'
           + "".join(cell("th", k, h) for k, h in enumerate(head)) + "</tr></thead><tbody>"]
    for i, row in enumerate(rows):
        cls = f' class="{_esc(row_classes[i])}"' if row_classes else ""
        out.append(f"<tr{cls}>" + "".join(cell("td", k, c) for k, c in enumerate(row))
                   + "</tr>")
    if not rows:
        out.append(f'<tr><td colspan="{len(head)}">none</td></tr>')
    out.append("</tbody></table>")
    return "\n".join(out)


def _script_json(value: Any) -> str:
    """JSON safe inside a ``<script>`` element (no ``</`` or ``<!--`` can end it)."""
    from plotly.utils import PlotlyJSONEncoder

    text = json.dumps(value, cls=PlotlyJSONEncoder, ensure_ascii=False, sort_keys=False,
                      separators=(",", ":"))
    return (text.replace("<", "\\u003c").replace(">", "\\u003e")
            .replace("\u2028", "\\u2028").replace("\u2029", "\\u2029"))


_HEAD_SCRIPT = """\
window.__reportErrors = [];
window.addEventListener("error", function (e) {
  window.__reportErrors.push(String(e.message || e.type));
});
window.addEventListener("unhandledrejection", function (e) {
  window.__reportErrors.push("unhandled rejection: " + String(e.reason));
});
(function (original) {
  console.error = function () {
    window.__reportErrors.push("console.error: " + Array.prototype.join.call(arguments, " "));
    return original.apply(console, arguments);
  };
})(console.error);"""

_RENDER_SCRIPT = """\
(function () {
  var errors = window.__reportErrors;
  var expected = JSON.parse(document.getElementById("report-expected").textContent);
  var figures = JSON.parse(document.getElementById("report-figures").textContent);
  var config = {responsive: true, displaylogo: false, showLink: false,
                showSendToCloud: false, showEditInChartStudio: false};
  function count(div) {
    var out = {data_bars: 0, svg_bars: 0, previous_data_bars: 0, previous_svg_bars: 0};
    (div.data || []).forEach(function (t) {
      var n = (t.x || []).length;
      if (t.meta === "previous") { out.previous_data_bars += n; } else { out.data_bars += n; }
    });
    div.querySelectorAll("g.trace.bars").forEach(function (g) {
      var d = g.__data__, meta = d && d[0] && d[0].trace ? d[0].trace.meta : null;
      var n = g.querySelectorAll("g.point path").length;
      if (meta === "previous") { out.previous_svg_bars += n; } else { out.svg_bars += n; }
    });
    return out;
  }
  function report() {
    var charts = {};
    figures.forEach(function (f) {
      charts[f.id] = count(document.getElementById(f.id));
      charts[f.id].expected = expected[f.id];
    });
    var resources = (performance.getEntriesByType ?
                     performance.getEntriesByType("resource") : []).map(function (e) {
      return e.name;
    });
    var ok = errors.length === 0 && resources.length === 0 && figures.every(function (f) {
      var c = charts[f.id];
      return c.data_bars === c.expected && c.svg_bars === c.expected;
    });
    var pre = document.getElementById("render-check");
    pre.textContent = JSON.stringify({ok: ok, charts: charts, errors: errors,
                                      resources: resources});
    document.body.setAttribute("data-rendered", ok ? "ok" : "failed");
  }
  try {
    Promise.all(figures.map(function (f) {
      return Plotly.newPlot(f.id, f.data, f.layout, config);
    })).then(report, function (e) { errors.push("plotly: " + String(e)); report(); });
  } catch (e) {
    errors.push(String(e && e.message || e));
    report();
  }
})();"""

_PAGE = """\
<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="generator" content="suitesched">
<title>{title}</title>
<script>
{head_script}
</script>
<style>
body {{ font-family: system-ui, -apple-system, "Segoe UI", Roboto, Helvetica, Arial,
        sans-serif; margin: 1.2rem 2rem; color: #1d2733; }}
h1 {{ font-size: 1.5rem; margin-bottom: 0.2rem; }}
h2 {{ font-size: 1.15rem; margin-top: 1.8rem; }}
p.meta {{ color: #555; margin-top: 0; }}
table {{ border-collapse: collapse; font-size: 0.88rem; margin: 0.4rem 0; }}
th, td {{ border-bottom: 1px solid #dde3ea; padding: 0.22rem 0.7rem; text-align: left; }}
th {{ background: #f2f5f8; }}
td.num, th.num {{ text-align: right; }}
tr.late td {{ background: #fff4d6; }}
tr.unscheduled td {{ background: #fde2e1; }}
tr.cancelled td {{ color: #888; }}
.chart {{ width: 100%; margin-bottom: 0.8rem; }}
#render-check {{ display: none; }}
</style>
</head>
<body data-operation-count="{op_count}" data-qc-run-count="{run_count}" data-replan="{replan}">
<script>
{plotly_js}
</script>
<h1>{heading}</h1>
<p class="meta">{meta}</p>
<p class="meta">All times are site local time: {zone}. The dotted red line marks the moment
the plan was made for; hover over a bar for its details; drag to zoom, double-click to reset.</p>
<h2>Key figures</h2>
{kpis}
{changes}
<h2>Schedule</h2>
{charts}
<h2>Orders</h2>
{orders}
<pre id="render-check"></pre>
<script type="application/json" id="report-expected">{expected}</script>
<script type="application/json" id="report-figures">{figures}</script>
<script>
{render_script}
</script>
</body>
</html>
"""
