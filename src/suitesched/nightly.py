"""The nightly re-plan job over the plan store (SPEC §6).

One run: open the store; on an empty store make and store the initial plan (as ``solve``
would); rebuild the site as the store knows it (the scenario plus every event applied so far,
so orders added by earlier ``new_order`` events are still there); apply only the events not
applied before (by id) whose ``at`` is not after ``now``; re-plan from the latest stored plan;
store the new version, its events and an audit record in one transaction; write the outputs.

Safe to repeat and to kill: the store changes in one transaction or not at all, and a run with
nothing new stores nothing (it only rewrites the outputs of the latest version, so a run killed
after its commit but before its files leaves nothing stale after the next run).
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from suitesched.errors import NoPlanError
from suitesched.io.events_reader import EventsFile, load_events, parse_events
from suitesched.io.scenario_reader import load_scenario
from suitesched.model.plan import Plan
from suitesched.model.scenario import Scenario
from suitesched.planning.events_apply import apply_events
from suitesched.planning.replan import replan_with_scenario, resolve_replan_now
from suitesched.planning.solve import solve
from suitesched.report.diff import PlanDiff, diff_plans
from suitesched.solver.run import ProgressCallback
from suitesched.store import AuditRecord, PlanStore, sha256_of


@dataclass
class NightlyResult:
    """What a nightly run did: the current plan and scenario, and what changed."""

    plan: Plan
    scenario: Scenario
    version: int
    created_versions: list[int] = field(default_factory=list)
    applied: list[str] = field(default_factory=list)
    pending: list[str] = field(default_factory=list)
    """Event ids dated after ``now``: left for a later run."""
    diff: PlanDiff | None = None
    previous: Plan | None = None


def _scenario_digest(path: Path) -> str:
    if path.is_dir():
        return sha256_of(b"".join(sha256_of(p).encode() for p in sorted(path.iterdir())
                                  if p.is_file()))
    return sha256_of(path)


def _stored_events(store: PlanStore) -> list[dict[str, Any]]:
    """Every event applied so far, in the order it was applied (raw, as read from its file)."""
    out = []
    for summary in store.history():
        out += [json.loads(row[3]) for row in store.events(summary.version)]
    return out


def run_nightly(
    db: str | Path,
    scenario_path: str | Path,
    events_path: str | Path,
    *,
    now: datetime | str | None = None,
    freeze: int | str | None = None,
    time_limit: float | None = 30.0,
    workers: int = 2,
    seed: int = 0,
    max_deterministic_time: float | None = None,
    progress: ProgressCallback | None = None,
) -> NightlyResult:
    """One nightly run (see the module docstring). Raises what ``replan`` raises; a failed run
    is audited and leaves the latest version current."""
    scenario_path = Path(scenario_path)
    scenario = load_scenario(scenario_path)
    events_file = load_events(events_path)
    assert isinstance(events_file, EventsFile)
    scenario_sha = _scenario_digest(scenario_path)
    events_sha = sha256_of(Path(events_path))
    moment = resolve_replan_now(scenario, now)
    solver = dict(time_limit=time_limit, workers=workers, seed=seed,
                  max_deterministic_time=max_deterministic_time, progress=progress)
    with PlanStore.open(db) as store:
        created: list[int] = []
        latest = store.latest()
        if latest is None:
            started = time.monotonic()
            first = solve(scenario, **solver)  # type: ignore[arg-type]
            version = store.commit_version(first, [], AuditRecord(
                command="nightly: initial plan", outcome="stored",
                scenario_sha256=scenario_sha, events_sha256=None,
                solver_status=first.solver.status,
                wall_seconds=round(time.monotonic() - started, 3)), parent=None)
            created.append(version)
            latest = store.latest()
            assert latest is not None
        known = apply_events(scenario, parse_events(_stored_events(store), scenario,
                                                    "plan store"), None)[0]
        raw = events_file.data if isinstance(events_file.data, list) else []
        applied = store.applied_event_ids()
        fresh = [item for item in raw if not (isinstance(item, dict)
                                              and item.get("id") in applied)]
        events = parse_events(fresh, known, events_file.label, plan=latest.plan)
        due = [(item, e) for item, e in zip(fresh, events, strict=True) if e.at <= moment]
        pending = [e.id for e in events if e.at > moment]
        if not due:
            return NightlyResult(latest.plan, known, latest.version, created, [], pending)
        started = time.monotonic()
        try:
            new_plan, new_scenario = replan_with_scenario(
                known, latest.plan, [e for _, e in due], now=moment, freeze=freeze, **solver)
        except NoPlanError as exc:
            store.record_audit(AuditRecord(
                command="nightly", outcome="no plan", version=latest.version,
                scenario_sha256=scenario_sha, events_sha256=events_sha,
                wall_seconds=round(time.monotonic() - started, 3), message=str(exc)[:2000]))
            raise
        rows = [(e.id, e.type, e.at.isoformat(), json.dumps(item, default=str, sort_keys=True))
                for item, e in due]
        version = store.commit_version(new_plan, rows, AuditRecord(
            command="nightly", outcome="stored", scenario_sha256=scenario_sha,
            events_sha256=events_sha, solver_status=new_plan.solver.status,
            wall_seconds=round(time.monotonic() - started, 3)), parent=latest.version)
        created.append(version)
        return NightlyResult(new_plan, new_scenario, version, created, [e.id for _, e in due],
                             pending, diff_plans(latest.plan, new_plan), latest.plan)
