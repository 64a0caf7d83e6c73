"""Re-planning benchmark: one event against a full solve, on generated sites of growing size.

For each size N (orders over four weeks, generated as in ``benchmarks/scale.py``) one fresh
subprocess writes the site (``generate_site`` + ``write_generated``), loads it, makes the full
plan with ``suitesched.solve`` and then re-plans from that plan twice, in-process, with the same
time limit, workers and seed:

* ``specimen_delay`` - ``now`` is the horizon's start + 3 days at 06:00 site time; the first
  scheduled order (by its first operation's start) whose first operation starts after
  ``now + 2 days`` gets its arrival delayed by 2 days (``at = now``);
* ``run_failure`` (``action: restart``) - the first order in progress at ``now`` (first
  operation started before ``now``, last operation ends after it) whose failed step (the
  manufacturing operation running at ``now``, else the last one started) started at or before
  ``at = now - 1 h``; new material arrives at ``now + 7 days``. If no order fits, ``now``
  moves on by a day (up to 10 days) and the row says so.

Measured per (size, event): full-solve and re-plan wall seconds and their ratio (target
<= 0.20); the share of the old plan's operations of untouched orders (every order but the
event's) that keep start, suite, equipment and operators (target >= 0.90), also among those
not frozen; frozen operations in the new plan; orders scheduled before and after;
``check_plan(updated_scenario, new_plan, previous=plan)`` violations (must be 0); the
subprocess's peak resident memory so far. A re-plan that raises is a row with ``error`` set.
Run::

    python benchmarks/replan.py --sizes 25 50 100 200 --time-limit 60 --out /tmp/replan

By default the re-plans start from the plan object ``solve`` returned; ``--from-json`` starts
them from that plan read back from its ``plan.json`` (as ``suitesched replan`` does).
The sites are booked, as in ``benchmarks/scale.py`` (``suitesched generate --booked``: every
order servable; ``--booked`` is accepted and changes nothing); ``--open-intake`` takes the
plain generated sites instead.
It prints a markdown table to stdout and writes ``replan.md`` and ``replan.csv`` to ``--out``;
each size's site, full plan and events are kept under ``--out/N/`` to reproduce a row.
"""

from __future__ import annotations

import argparse
import csv
import json
import subprocess
import sys
import time
import traceback
from datetime import datetime, timedelta
from datetime import time as dtime
from pathlib import Path
from typing import Any

from scale import peak_mb  # this folder's scale.py: the run's peak memory, rule processes too

COLUMNS = ["orders", "event", "order", "now", "full_s", "replan_s", "ratio", "kept_pct",
           "kept_unfrozen_pct", "untouched_ops", "frozen_ops", "scheduled_before",
           "scheduled_after", "violations", "peak_mb", "error"]
HEADERS = ["orders", "event", "order", "now", "full s", "re-plan s", "ratio",
           "kept %", "kept % (not frozen)", "untouched ops", "frozen ops", "scheduled before",
           "scheduled after", "violations", "peak MB", "error"]
WEEKS = 4


def _spans(plan: Any) -> dict[str, tuple[datetime, datetime]]:
    """Each scheduled order's first operation start and last operation end."""
    spans: dict[str, tuple[datetime, datetime]] = {}
    for op in plan.operations:
        first, last = spans.get(op.order_id, (op.start, op.end))
        spans[op.order_id] = (min(first, op.start), max(last, op.end))
    return spans


def _delay_event(scenario: Any, plan: Any, now: datetime) -> dict[str, Any] | None:
    spans = _spans(plan)
    for order_id, (first, _) in sorted(spans.items(), key=lambda kv: (kv[1][0], kv[0])):
        if first > now + timedelta(days=2):
            arrival = scenario.orders_by_id[order_id].arrival + timedelta(days=2)
            return {"id": "bench-delay", "type": "specimen_delay", "at": now.isoformat(),
                    "order": order_id, "arrival": arrival.isoformat()}
    return None


def _failure_event(plan: Any, now: datetime) -> dict[str, Any] | None:
    at = now - timedelta(hours=1)
    spans = _spans(plan)
    for order_id, (first, last) in sorted(spans.items(), key=lambda kv: (kv[1][0], kv[0])):
        if not first < now < last:
            continue
        started = sorted((op for op in plan.operations_of(order_id)
                          if op.step != "qa_review" and op.start < now),
                         key=lambda op: op.start)
        if not started:
            continue
        running = [op for op in started if op.end > now]
        step = (running or started)[-1]
        if step.start <= at:
            return {"id": "bench-failure", "type": "run_failure", "at": at.isoformat(),
                    "order": order_id, "step": step.step, "action": "restart",
                    "arrival": (now + timedelta(days=7)).isoformat()}
    return None


def _kept(plan: Any, new_plan: Any, touched: str) -> tuple[int, int, int, int]:
    """(kept, untouched ops, kept among not frozen, not frozen) over the old plan's ops."""
    new = {(op.order_id, op.step): op for op in new_plan.operations}
    kept = total = kept_free = free = 0
    for op in plan.operations:
        if op.order_id == touched:
            continue
        after = new.get((op.order_id, op.step))
        same = after is not None and (
            (after.start, after.suite, after.equipment, tuple(sorted(after.operators)))
            == (op.start, op.suite, op.equipment, tuple(sorted(op.operators))))
        total += 1
        kept += same
        if after is None or not after.frozen:
            free += 1
            kept_free += same
    return kept, total, kept_free, free


def one_size(orders: int, limit: float, workers: int, seed: int, out: Path,
             from_json: bool = False, booked: bool = False) -> list[dict]:
    """Generate (or book), solve and re-plan one site after each event; return the rows."""
    import suitesched as ss
    from suitesched.generate import book_site, generate_site, write_generated
    from suitesched.io.events_reader import parse_events
    from suitesched.planning.replan import replan_with_scenario

    data = book_site(orders, WEEKS, seed) if booked else generate_site(orders, WEEKS, seed)
    site_dir = write_generated(data, out / str(orders) / "site")
    scenario = ss.load_scenario(site_dir)
    started = time.monotonic()
    plan = ss.solve(scenario, time_limit=limit, workers=workers, seed=seed)
    full_s = time.monotonic() - started
    ss.write_plan(plan, out / str(orders) / "plan")
    if from_json:  # re-plan from the plan as the CLI would read it (fixed UTC offsets)
        plan = ss.read_plan(out / str(orders) / "plan" / "plan.json")
    base = {"orders": orders, "full_s": round(full_s, 1),
            "scheduled_before": plan.kpis["scheduled"]}
    day0 = scenario.horizon.start.astimezone(scenario.timezone).date()
    rows = []
    for kind in ("specimen_delay", "run_failure"):
        row: dict[str, Any] = dict(base, event=kind, error="")
        for extra in range(11):
            now = datetime.combine(day0 + timedelta(days=3 + extra), dtime(6),
                                   tzinfo=scenario.timezone)
            raw = (_delay_event(scenario, plan, now) if kind == "specimen_delay"
                   else _failure_event(plan, now))
            if raw is not None:
                break
        row["now"] = now.strftime("%m-%d %H:%M")
        if raw is None:
            row["error"] = "no order fits the event"
            rows.append(row)
            continue
        row["order"] = raw["order"]
        events_path = out / str(orders) / f"events-{kind}.json"
        events_path.write_text(json.dumps([raw], indent=1) + "\n")
        try:
            events = parse_events([raw], scenario, "bench", plan=plan)
            started = time.monotonic()
            new_plan, updated = replan_with_scenario(scenario, plan, events, now=now,
                                                     time_limit=limit, workers=workers,
                                                     seed=seed)
            replan_s = time.monotonic() - started
        except Exception as exc:  # recorded in the table, not hidden
            traceback.print_exc()
            row["error"] = f"{type(exc).__name__}: {str(exc).splitlines()[0][:80]}"
            row["peak_mb"] = peak_mb()
            rows.append(row)
            continue
        ss.write_plan(new_plan, out / str(orders) / f"replan-{kind}")
        violations = ss.check_plan(updated, new_plan, previous=plan)
        if violations:
            sys.stderr.write(f"size {orders}, {kind}: {len(violations)} violations\n"
                             + ss.format_violations(violations) + "\n")
        kept, total, kept_free, free = _kept(plan, new_plan, raw["order"])
        row.update(
            replan_s=round(replan_s, 1), ratio=round(replan_s / full_s, 2),
            kept_pct=round(100 * kept / total, 1) if total else "",
            kept_unfrozen_pct=round(100 * kept_free / free, 1) if free else "",
            untouched_ops=total, frozen_ops=sum(op.frozen for op in new_plan.operations),
            scheduled_after=new_plan.kpis["scheduled"], violations=len(violations),
            peak_mb=peak_mb())
        rows.append(row)
    return rows


def markdown(rows: list[dict]) -> str:
    lines = ["| " + " | ".join(HEADERS) + " |",
             "| " + " | ".join("---" if c in ("event", "order", "now", "error") else "---:"
                               for c in COLUMNS) + " |"]
    lines += ["| " + " | ".join(str(r.get(c, "")) for c in COLUMNS) + " |" for r in rows]
    return "\n".join(lines) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[25, 50, 100, 200, 400])
    parser.add_argument("--time-limit", type=float, default=60.0)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--out", type=Path, default=Path("replan-out"))
    parser.add_argument("--from-json", action="store_true",
                        help="re-plan from the full plan read back from plan.json")
    intake = parser.add_mutually_exclusive_group()
    intake.add_argument("--booked", action="store_true",
                        help="sites whose orders booked a slot, all servable (the default)")
    intake.add_argument("--open-intake", action="store_true",
                        help="plain generated sites instead, some orders servable by no plan")
    parser.add_argument("--one", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    if args.one:
        rows = one_size(args.one, args.time_limit, args.workers, args.seed, args.out,
                        args.from_json, booked=not args.open_intake)
        sys.stdout.write(json.dumps(rows) + "\n")
        return
    rows: list[dict] = []
    for size in args.sizes:
        done = subprocess.run(
            [sys.executable, str(Path(__file__)), "--one", str(size),
             "--time-limit", str(args.time_limit), "--workers", str(args.workers),
             "--seed", str(args.seed), "--out", str(args.out)]
            + (["--from-json"] if args.from_json else [])
            + (["--open-intake"] if args.open_intake else []),
            stdout=subprocess.PIPE, text=True, check=False)
        if done.returncode != 0:
            sys.stderr.write(f"size {size}: subprocess failed (exit {done.returncode})\n")
            rows.append({"orders": size, "error": f"subprocess exit {done.returncode}"})
            continue
        rows += json.loads(done.stdout.strip().splitlines()[-1])
        sys.stderr.write(markdown(rows[-2:]))
    table = markdown(rows)
    sys.stdout.write(table)
    (args.out / "replan.md").write_text(table)
    with (args.out / "replan.csv").open("w", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=COLUMNS)
        writer.writeheader()
        writer.writerows(rows)


if __name__ == "__main__":
    main()
