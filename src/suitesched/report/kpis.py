"""Key figures of a plan: service (scheduled, on time, late), flow and utilisation."""

from __future__ import annotations

from datetime import datetime, timedelta

from suitesched.model.plan import Plan
from suitesched.model.scenario import Scenario
from suitesched.model.values import elapsed_hours
from suitesched.timeline import Timeline, merge_spans, subtract_spans


def _hours(a: datetime, b: datetime) -> float:
    return elapsed_hours(a, b)


def _overlap_hours(start: datetime, end: datetime, lo: datetime, hi: datetime) -> float:
    s, e = max(start, lo), min(end, hi)
    return max(0.0, _hours(s, e))


def compute_kpis(scenario: Scenario, plan: Plan) -> dict[str, float | int]:
    """KPIs of SPEC §3 plus operator utilisation; utilisation is measured inside the horizon."""
    outcomes = [o for o in plan.orders if o.status != "cancelled"]
    scheduled = [o for o in outcomes if o.status == "scheduled"]
    late = [o for o in scheduled if (o.tardiness_hours or 0) > 0]
    arrivals = {o.order_id: o.arrival for o in scenario.orders}
    flows = [_hours(arrivals[o.order_id], o.release) / 24.0 for o in scheduled
             if o.release is not None and o.order_id in arrivals]
    lo = scenario.horizon.start
    hi = lo + timedelta(days=scenario.horizon.days)
    suite_capacity = len(scenario.suites) * _hours(lo, hi) - sum(
        _overlap_hours(w.start, w.end, lo, hi) for s in scenario.suites for w in s.down)
    suite_busy = sum(_overlap_hours(op.start, op.end, lo, hi)
                     for op in plan.operations if op.suite)
    person_busy = sum(_overlap_hours(op.start, op.end, lo, hi) * len(op.operators)
                      for op in plan.operations)
    shift_hours = _shift_hours(scenario)
    return {
        "orders": len(outcomes),
        "scheduled": len(scheduled),
        "on_time": len(scheduled) - len(late),
        "late": len(late),
        "unscheduled": len(outcomes) - len(scheduled),
        "cancelled": len(plan.orders) - len(outcomes),
        "total_tardiness_hours": round(sum(o.tardiness_hours or 0 for o in scheduled), 2),
        "mean_flow_days": round(sum(flows) / len(flows), 2) if flows else 0.0,
        "suite_utilisation": round(suite_busy / suite_capacity, 3) if suite_capacity else 0.0,
        "operator_hours": round(person_busy, 1),
        "operator_utilisation": round(person_busy / shift_hours, 3) if shift_hours else 0.0,
        "qc_runs": len(plan.qc_runs),
    }


def _shift_hours(scenario: Scenario) -> float:
    """Paid shift hours of all operators inside the horizon (holidays and absences removed)."""
    tl = Timeline.of(scenario)
    total = 0
    for op in scenario.operators:
        spans: list[tuple[int, int]] = []
        for shift in op.shifts:
            if shift in scenario.shifts:
                spans += tl.shift_spans(scenario.shifts[shift])
        working = subtract_spans(merge_spans(spans), [tl.window_span(w) for w in op.absent])
        total += sum(min(e, tl.horizon_end) - max(s, 0) for s, e in working
                     if e > 0 and s < tl.horizon_end)
    return total * scenario.time_step / 60.0
