"""The nightly job (SPEC §6): stored versions, idempotency, and surviving SIGKILL."""

from __future__ import annotations

import hashlib
import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest
from typer.testing import CliRunner

import suitesched as ss
from helpers import read
from suitesched.cli import app
from suitesched.nightly import run_nightly
from suitesched.store import PlanStore

runner = CliRunner()
SCENARIO = read("spec_site.yaml")
EVENTS = read("replan/spec_events.yaml")
FAST = {"time_limit": None, "workers": 2, "seed": 0, "max_deterministic_time": 3.0}


def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_first_run_stores_initial_plan_then_the_replan(tmp_path: Path) -> None:
    db = tmp_path / "store.sqlite"
    result = run_nightly(db, SCENARIO, EVENTS, now="2026-12-09T12:00", **FAST)
    assert result.created_versions == [1, 2]
    assert result.applied == ["n-1", "n-2", "n-3"]
    assert result.plan.outcome("COI-0031").status == "scheduled"
    assert result.plan.outcome("COI-0005").status == "cancelled"
    with PlanStore.open(db) as store:
        first, second = store.plan(1), store.plan(2)
        assert store.applied_event_ids() == {"n-1", "n-2", "n-3"}
        assert [v.version for v in store.history()] == [1, 2]
    assert ss.check_plan(ss.load_scenario(SCENARIO), first) == []
    assert ss.check_plan(result.scenario, second, previous=first) == []


def test_second_run_with_same_input_changes_nothing(tmp_path: Path) -> None:
    db = tmp_path / "store.sqlite"
    run_nightly(db, SCENARIO, EVENTS, now="2026-12-09T12:00", **FAST)
    before = _digest(db)
    again = run_nightly(db, SCENARIO, EVENTS, now="2026-12-09T12:00", **FAST)
    assert again.created_versions == [] and again.applied == []
    assert again.version == 2
    assert _digest(db) == before


def test_events_dated_after_now_wait_for_a_later_run(tmp_path: Path) -> None:
    db = tmp_path / "store.sqlite"
    early = run_nightly(db, SCENARIO, EVENTS, now="2026-12-08T08:00", **FAST)
    assert early.applied == ["n-1"] and early.pending == ["n-2", "n-3"]
    later = run_nightly(db, SCENARIO, EVENTS, now="2026-12-09T12:00", **FAST)
    assert later.applied == ["n-2", "n-3"] and later.created_versions == [3]
    # The delay applied in version 2 still holds in version 3 (the store rebuilds the site).
    first_op = min((op for op in later.plan.operations if op.order_id == "COI-0004"),
                   key=lambda op: op.start)
    assert first_op.start >= ss.load_scenario(SCENARIO).orders_by_id["COI-0004"].arrival
    assert ss.check_plan(later.scenario, later.plan, previous=early.plan) == []


def test_cli_nightly_and_history(tmp_path: Path) -> None:
    db, out = tmp_path / "store.sqlite", tmp_path / "out"
    args = ["nightly", str(SCENARIO), "--db", str(db), "--events", str(EVENTS), "--now",
            "2026-12-09T12:00", "--max-deterministic-time", "3", "--out", str(out), "--json"]
    result = runner.invoke(app, args)
    assert result.exit_code in (0, 3), result.output
    assert (out / "plan.json").exists() and (out / "diff.json").exists()
    listed = runner.invoke(app, ["history", "--db", str(db), "--json"])
    assert listed.exit_code == 0
    assert '"version": 2' in listed.output


def test_history_of_a_missing_store_is_a_clear_error(tmp_path: Path) -> None:
    result = runner.invoke(app, ["history", "--db", str(tmp_path / "none.sqlite")])
    assert result.exit_code == 2
    assert "Traceback" not in result.output


def _consistent(db: Path) -> list[int]:
    """The store opens, passes SQLite's integrity check, and every version is whole."""
    with sqlite3.connect(db) as raw:
        assert raw.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    with PlanStore.open(db) as store:
        versions = [v.version for v in store.history()]
        assert versions == list(range(1, len(versions) + 1))
        for version in versions:
            store.plan(version)  # parses: never half a plan
        applied = store.applied_event_ids()
        # Events are stored with their version, all of them or none.
        assert applied in (set(), {"n-1", "n-2", "n-3"})
        if len(versions) == 2:
            assert applied == {"n-1", "n-2", "n-3"}
    return versions


@pytest.mark.parametrize("delay", [1.0, 3.0, 6.0])
def test_sigkill_leaves_a_consistent_store_and_a_rerun_completes(tmp_path: Path,
                                                                 delay: float) -> None:
    db, out = tmp_path / "store.sqlite", tmp_path / "out"
    cmd = [sys.executable, "-m", "suitesched.cli", "nightly", str(SCENARIO), "--db", str(db),
           "--events", str(EVENTS), "--now", "2026-12-09T12:00",
           "--max-deterministic-time", "3", "--out", str(out), "--json"]
    child = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    time.sleep(delay)
    if child.poll() is None:
        os.kill(child.pid, signal.SIGKILL)
    child.wait()
    if db.exists():
        _consistent(db)
    rerun = subprocess.run(cmd, capture_output=True, text=True, timeout=300)
    assert rerun.returncode in (0, 3), rerun.stderr
    assert _consistent(db) == [1, 2]
    plan = ss.read_plan(out / "plan.json")
    with PlanStore.open(db) as store:
        assert plan == store.plan(2)
