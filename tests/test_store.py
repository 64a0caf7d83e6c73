"""The nightly job's SQLite plan store (SPEC §6): round trips, real SIGKILLs, bad files.

The kill tests run a child process that stops *inside* the commit transaction (a temporary
trigger calls a Python function that writes a marker file and sleeps), kill it with SIGKILL
and check that the store still opens, is intact and holds exactly the old version. The child
keeps SQLite's page cache tiny so that the half-written version has already reached the
database file when it dies: recovery must then really roll back a hot journal.
"""

from __future__ import annotations

import hashlib
import os
import signal
import sqlite3
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest

from suitesched.errors import InputError, OutputError
from suitesched.io.plan_io import plan_to_json
from suitesched.model.plan import Operation, OrderOutcome, Plan, SolverInfo
from suitesched.store import (
    SCHEMA_VERSION,
    AuditRecord,
    PlanStore,
    StoreConflictError,
    current_user,
    sha256_of,
)

T0 = datetime(2026, 12, 7, 6, 0, tzinfo=timezone(timedelta(hours=1)))


def make_plan(n_ops: int = 3, *, objective: float = 10.0, day: int = 0) -> Plan:
    """A small hand-made plan; ``n_ops`` in the thousands makes a ~1 MB JSON for kill tests."""
    created = T0 + timedelta(days=day)
    ops = tuple(
        Operation(order_id=f"COI-{i // 3:04d}", step=f"step{i % 3}",
                  start=created + timedelta(hours=i), end=created + timedelta(hours=i + 1),
                  suite="S1", operators=("OP01", "OP03"))
        for i in range(n_ops)
    )
    orders = (OrderOutcome(order_id="COI-0000", status="scheduled", start=created,
                           release=created + timedelta(days=12), due=created + timedelta(days=14),
                           tardiness_hours=0.0),)
    return Plan(scenario="tiny", created=created, now=created,
                solver=SolverInfo(status="OPTIMAL", objective=objective, wall_seconds=1.5),
                operations=ops, orders=orders,
                kpis={"orders": 1, "scheduled": 1, "late": 0, "suite_utilisation": 0.5})


def event(event_id: str) -> tuple[str, str, str, str]:
    return (event_id, "delay", "2026-12-08T08:00:00+01:00", f'{{"id": "{event_id}"}}')


def audit(outcome: str = "stored", **fields: Any) -> AuditRecord:
    return AuditRecord(command="nightly", outcome=outcome, **fields)


def file_digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def snapshot(store: PlanStore) -> tuple[object, ...]:
    """Everything a reader can see, to assert that a failed write changed nothing."""
    return (store.history(), store.applied_event_ids(), store.audit_log())


def integrity(path: Path) -> list[str]:
    conn = sqlite3.connect(path)
    try:
        return [row[0] for row in conn.execute("PRAGMA integrity_check")]
    finally:
        conn.close()


@pytest.fixture
def db(tmp_path: Path) -> Path:
    """A store holding version 1 (events e1, e2 applied)."""
    path = tmp_path / "store" / "plans.sqlite"
    with PlanStore.open(path) as store:
        store.commit_version(make_plan(), [event("e1"), event("e2")], audit(), parent=None)
    return path


# ---------------------------------------------------------------------------- round trip


def test_empty_store_is_created_with_schema(tmp_path: Path) -> None:
    path = tmp_path / "new" / "plans.sqlite"
    with PlanStore.open(path) as store:
        assert store.latest() is None
        assert store.history() == []
        assert store.applied_event_ids() == set()
    conn = sqlite3.connect(path)
    meta = dict(conn.execute("SELECT key, value FROM meta"))
    assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "delete"
    conn.close()
    assert meta == {"format": "suitesched-plan-store", "schema_version": str(SCHEMA_VERSION)}


def test_round_trip_two_versions(tmp_path: Path) -> None:
    path = tmp_path / "plans.sqlite"
    first, second = make_plan(objective=10.0), make_plan(6, objective=7.5, day=1)
    with PlanStore.open(path) as store:
        v1 = store.commit_version(first, [], audit(scenario_sha256=sha256_of("s")), parent=None)
        v2 = store.commit_version(second, [event("e1"), event("e2")],
                                  audit(solver_status="OPTIMAL", wall_seconds=2.0), parent=v1)
    assert (v1, v2) == (1, 2)

    with PlanStore.open(path, create=False) as store:
        latest = store.latest()
        assert latest is not None
        assert (latest.version, latest.parent, latest.plan) == (2, 1, second)
        assert latest.created == second.created
        assert store.plan(1) == first
        assert store.plan(2) == second
        assert store.applied_event_ids() == {"e1", "e2"}
        assert store.events(2) == [event("e1"), event("e2")]
        assert store.events(1) == []

        h1, h2 = store.history()
        assert (h1.version, h1.events, h1.parent, h1.objective) == (1, 0, None, 10.0)
        assert (h2.version, h2.events, h2.parent, h2.objective) == (2, 2, 1, 7.5)
        assert h2.solver_status == "OPTIMAL"
        assert h2.now == second.now
        assert h2.kpis == {"orders": 1, "scheduled": 1, "late": 0, "suite_utilisation": 0.5}

        a1, a2 = store.audit_log()
        assert (a1.version, a2.version) == (1, 2)
        assert a1.scenario_sha256 == hashlib.sha256(b"s").hexdigest()
        assert (a2.solver_status, a2.wall_seconds, a2.command) == ("OPTIMAL", 2.0, "nightly")
        assert a2.who == current_user()
        assert a2.at.tzinfo is not None and a2.at.utcoffset() == timedelta(0)


def test_reapplying_an_applied_event_fails_cleanly_and_changes_nothing(db: Path) -> None:
    with PlanStore.open(db) as store:
        before, digest = snapshot(store), file_digest(db)
        with pytest.raises(InputError) as info:
            store.commit_version(make_plan(day=1), [event("e3"), event("e1")], audit(), parent=1)
        assert snapshot(store) == before
    assert file_digest(db) == digest
    (problem,) = info.value.problems
    assert problem.location == "events[1]"
    assert "'e1' was already applied in version 1" in problem.message


def test_event_id_is_a_primary_key_in_the_file(db: Path) -> None:
    """Even a writer that bypasses the store's checks cannot apply an event twice."""
    conn = sqlite3.connect(db)
    with pytest.raises(sqlite3.IntegrityError):
        conn.execute("INSERT INTO events (event_id, version, position, type, at, event_json) "
                     "VALUES ('e1', 1, 9, 'delay', '', '{}')")
    conn.close()


def test_event_repeated_within_one_batch_is_refused(db: Path) -> None:
    with PlanStore.open(db) as store:
        before = snapshot(store)
        with pytest.raises(InputError, match="'e4' appears twice"):
            store.commit_version(make_plan(), [event("e4"), event("e4")], audit(), parent=1)
        assert snapshot(store) == before


def test_stale_parent_is_a_conflict(db: Path) -> None:
    """Two racing jobs both built on version 1: the second must not silently win."""
    with PlanStore.open(db) as store:
        assert store.commit_version(make_plan(day=1), [event("a")], audit(), parent=1) == 2
        before = snapshot(store)
        with pytest.raises(StoreConflictError, match="latest version is now 2"):
            store.commit_version(make_plan(day=1), [event("b")], audit(), parent=1)
        with pytest.raises(StoreConflictError):
            store.commit_version(make_plan(), [], audit(), parent=None)
        assert snapshot(store) == before


def test_record_audit_without_a_version(db: Path) -> None:
    with PlanStore.open(db) as store:
        versions = store.history()
        store.record_audit(audit("nothing new", version=1, message="no new events"))
        store.record_audit(audit("no plan", solver_status="INFEASIBLE", message="exit 4"))
        with pytest.raises(InputError, match="does not hold"):
            store.record_audit(audit("stored", version=99))
        assert store.history() == versions
        outcomes = [(a.outcome, a.version) for a in store.audit_log()]
    assert outcomes == [("stored", 1), ("nothing new", 1), ("no plan", None)]


def test_unknown_version_is_an_input_error(db: Path) -> None:
    with PlanStore.open(db) as store, pytest.raises(InputError, match="no such version"):
        store.plan(7)


def test_sha256_of_file_and_text(tmp_path: Path) -> None:
    file = tmp_path / "events.yaml"
    file.write_text("events: []\n", encoding="utf-8")
    assert sha256_of(file) == sha256_of("events: []\n") == sha256_of(b"events: []\n")


# ---------------------------------------------------------------------------- SIGKILL

CHILD = r'''
"""Commit version 2 and stop inside the transaction at POINT, for the parent to SIGKILL."""
import os, sys, time
from pathlib import Path
from typing import Any

from suitesched.model.plan import Plan
from suitesched.store import AuditRecord, PlanStore

db, plan_file, marker, point = sys.argv[1:5]
plan = Plan.model_validate_json(Path(plan_file).read_text(encoding="utf-8"))
events = [(f"e{i}", "delay", "2026-12-08T08:00:00+01:00", "{}") for i in range(3, 6)]


def say(text):
    tmp = Path(marker + ".tmp")
    tmp.write_text(text)
    os.replace(tmp, marker)


def pause(where):
    if where == point:
        say(where)
        time.sleep(60)
    return 0


store = PlanStore.open(db)
conn = store._conn
conn.execute("PRAGMA cache_size=4")  # spill dirty pages into the file before COMMIT
conn.create_function("pause", 1, pause)
conn.execute("CREATE TEMP TRIGGER pv AFTER INSERT ON versions BEGIN SELECT pause('version'); END")
conn.execute("CREATE TEMP TRIGGER pe AFTER INSERT ON events "
             "BEGIN SELECT pause('event' || NEW.position); END")
conn.execute("CREATE TEMP TRIGGER pa AFTER INSERT ON audit BEGIN SELECT pause('audit'); END")
if point == "loop":
    # Commit again and again; the parent kills at a random moment. With the plan serialised
    # once up front, nearly all the time is spent inside the transaction, much of it in COMMIT.
    import suitesched.store
    text = suitesched.store.plan_to_json(plan)
    suitesched.store.plan_to_json = lambda _plan: text
    version = store.latest().version
    say("started")
    for i in range(100000):
        version = store.commit_version(plan, [(f"loop{os.getpid()}-{i}", "delay", "", "{}")],
                                       AuditRecord(command="nightly", outcome="stored"), version)
store.commit_version(plan, events, AuditRecord(command="nightly", outcome="stored"), parent=1)
say("committed")
'''


def run_child(tmp_path: Path, db: Path, point: str, *, kill_after: float = 0.0) -> None:
    """Start the child, wait for its marker, sleep ``kill_after`` seconds, then SIGKILL it."""
    script, plan_file = tmp_path / "child.py", tmp_path / "big.json"
    if not script.exists():
        script.write_text(CHILD, encoding="utf-8")
        plan_file.write_text(plan_to_json(make_plan(3000, day=1)), encoding="utf-8")
    marker = tmp_path / f"marker-{point}-{kill_after}"
    child = subprocess.Popen(
        [sys.executable, str(script), str(db), str(plan_file), str(marker), point],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE,
    )
    try:
        deadline = time.monotonic() + 30
        while not marker.exists():
            if child.poll() is not None:
                _, err = child.communicate()
                pytest.fail(f"child exited with {child.returncode}: {err.decode()}")
            if time.monotonic() > deadline:
                pytest.fail("child never reached the kill point")
            time.sleep(0.01)
        assert marker.read_text() in (point, "started")
        time.sleep(kill_after)
        os.kill(child.pid, signal.SIGKILL)
        status = child.wait(timeout=10)
        assert status == -signal.SIGKILL, child.communicate()[1].decode()
    finally:
        if child.poll() is None:
            child.kill()
            child.wait()
        child.communicate()


@pytest.mark.parametrize("point", ["version", "event0", "event2", "audit"])
def test_sigkill_inside_the_transaction_keeps_the_old_version(
    tmp_path: Path, db: Path, point: str
) -> None:
    run_child(tmp_path, db, point)
    journal = db.with_name(db.name + "-journal")
    # The half-written version reached the file: recovery has real work to undo.
    assert journal.exists() and journal.stat().st_size > 0

    with PlanStore.open(db) as store:
        assert not journal.exists() or journal.stat().st_size == 0
        assert integrity(db) == ["ok"]
        latest = store.latest()
        assert latest is not None and latest.version == 1
        assert latest.plan == make_plan()
        assert store.applied_event_ids() == {"e1", "e2"}
        assert [v.version for v in store.history()] == [1]
        assert [a.version for a in store.audit_log()] == [1]

        # The job re-runs and completes.
        big = make_plan(3000, day=1)
        events = [(f"e{i}", "delay", "2026-12-08T08:00:00+01:00", "{}") for i in range(3, 6)]
        assert store.commit_version(big, events, audit(), parent=1) == 2
        assert store.plan(2) == big
        assert store.applied_event_ids() == {"e1", "e2", "e3", "e4", "e5"}
    assert integrity(db) == ["ok"]


def test_read_only_open_after_a_kill_asks_for_recovery(tmp_path: Path, db: Path) -> None:
    """A reader cannot roll back a hot journal: it is told to let a writer recover first."""
    run_child(tmp_path, db, "audit")
    with pytest.raises(OutputError, match="needs recovery after an interrupted write"):
        PlanStore.open(db, readonly=True)
    with PlanStore.open(db) as store:
        assert [v.version for v in store.history()] == [1]
    with PlanStore.open(db, readonly=True) as store:
        assert store.applied_event_ids() == {"e1", "e2"}


def test_sigkill_at_random_moments_never_leaves_half_a_version(tmp_path: Path, db: Path) -> None:
    """Kill a child committing in a loop at several moments, until one died mid-write.

    Most kills land inside a transaction, many inside COMMIT itself (its journal syncs and
    file writes), which the trigger-based test above cannot stop in.
    """
    journal = db.with_name(db.name + "-journal")
    delays = [0.05, 0.2, 0.45, 0.1, 0.3, 0.15, 0.25, 0.35]
    hot_journals = 0
    for attempt, kill_after in enumerate(delays):
        if attempt >= 3 and hot_journals:
            break
        run_child(tmp_path, db, "loop", kill_after=kill_after)
        hot_journals += journal.exists() and journal.stat().st_size > 0
        with PlanStore.open(db) as store:
            assert integrity(db) == ["ok"]
            history = store.history()
            versions = [v.version for v in history]
            assert versions == list(range(1, len(versions) + 1))
            for summary in history[1:]:
                # Each loop version is whole: its parent, its one event and its audit record.
                assert summary.parent == summary.version - 1
                assert summary.events == 1
            assert [a.version for a in store.audit_log()] == versions
            latest = store.latest()
            assert latest is not None and latest.version == versions[-1]
            nxt = store.commit_version(make_plan(day=2), [event(f"after{attempt}")], audit(),
                                       parent=latest.version)
            assert nxt == latest.version + 1
    assert hot_journals, "no kill landed inside a write; the test proved nothing"


# ---------------------------------------------------------------------------- bad files


@pytest.mark.skipif(os.geteuid() == 0, reason="root ignores file permissions")
@pytest.mark.parametrize("what", ["file", "folder"])
def test_read_only_store_is_an_output_error(db: Path, what: str) -> None:
    target = db if what == "file" else db.parent
    mode = target.stat().st_mode
    target.chmod(0o444 if what == "file" else 0o555)
    try:
        with pytest.raises(OutputError, match="read-only"):
            PlanStore.open(db)
        # Reading still works, for `suitesched history`.
        with PlanStore.open(db, readonly=True) as store:
            assert [v.version for v in store.history()] == [1]
    finally:
        target.chmod(mode)


def test_writing_through_a_read_only_connection_is_an_output_error(db: Path) -> None:
    """Runs as root too: SQLite itself refuses the write, and the refusal is translated."""
    with PlanStore.open(db, readonly=True) as store:
        assert store.latest() is not None
        with pytest.raises(OutputError, match="read-only"):
            store.commit_version(make_plan(day=1), [event("e9")], audit(), parent=1)
        # Bypass the guard to reach SQLite's own refusal (SQLITE_READONLY).
        store.readonly = False
        with pytest.raises(OutputError, match="cannot write the plan store"):
            store.commit_version(make_plan(day=1), [event("e9")], audit(), parent=1)
    with PlanStore.open(db) as store:
        assert store.applied_event_ids() == {"e1", "e2"}


def test_random_bytes_are_not_a_store_and_are_not_overwritten(tmp_path: Path) -> None:
    path = tmp_path / "plans.sqlite"
    path.write_bytes(os.urandom(8192))
    digest = file_digest(path)
    with pytest.raises(InputError, match="not a usable suitesched plan store") as info:
        PlanStore.open(path)
    assert info.value.what == "plan store"
    assert info.value.problems[0].file == str(path)
    assert "file is not a database" in str(info.value)
    assert file_digest(path) == digest


@pytest.mark.parametrize("keep", [50, 4096, 0.5])
def test_truncated_store_is_an_input_error(tmp_path: Path, keep: float) -> None:
    path = tmp_path / "plans.sqlite"
    with PlanStore.open(path) as store:
        store.commit_version(make_plan(500), [event("e1")], audit(), parent=None)
    data = path.read_bytes()
    path.write_bytes(data[: int(keep * len(data)) if keep < 1 else int(keep)])
    digest = file_digest(path)
    with pytest.raises(InputError, match="not a usable suitesched plan store"):
        PlanStore.open(path)
    assert file_digest(path) == digest


def test_foreign_database_is_not_a_store(tmp_path: Path) -> None:
    path = tmp_path / "other.sqlite"
    conn = sqlite3.connect(path)
    conn.execute("CREATE TABLE patients (id TEXT)")
    conn.commit()
    conn.close()
    digest = file_digest(path)
    with pytest.raises(InputError, match="no 'meta' table"):
        PlanStore.open(path)
    assert file_digest(path) == digest


def test_wrong_schema_version_is_an_input_error(db: Path) -> None:
    conn = sqlite3.connect(db)
    conn.execute("UPDATE meta SET value = '99' WHERE key = 'schema_version'")
    conn.commit()
    conn.close()
    with pytest.raises(InputError, match="schema version '99'"):
        PlanStore.open(db)


def test_damaged_plan_row_is_an_input_error(db: Path) -> None:
    conn = sqlite3.connect(db)
    conn.execute("UPDATE versions SET plan_json = '{\"format\": \"x\"}'")
    conn.commit()
    conn.close()
    with PlanStore.open(db) as store, pytest.raises(InputError) as info:
        store.latest()
    assert info.value.problems[0].location.startswith("versions[1].plan_json")


def test_missing_store_without_create(tmp_path: Path) -> None:
    path = tmp_path / "absent.sqlite"
    with pytest.raises(InputError, match="file not found"):
        PlanStore.open(path, create=False)
    with pytest.raises(InputError, match="file not found"):
        PlanStore.open(path, readonly=True)
    assert not path.exists()
    with pytest.raises(InputError, match="folder"):
        PlanStore.open(tmp_path)


def test_locked_store_is_an_output_error(db: Path) -> None:
    store = PlanStore.open(db, timeout=0.2)
    other = sqlite3.connect(db, isolation_level=None)
    other.execute("BEGIN EXCLUSIVE")
    try:
        started = time.monotonic()
        with pytest.raises(OutputError, match="another job holds the store"):
            PlanStore.open(db, timeout=0.2)
        with pytest.raises(OutputError, match="another job holds the store"):
            store.commit_version(make_plan(day=1), [event("e3")], audit(), parent=1)
        assert time.monotonic() - started < 5
    finally:
        other.execute("ROLLBACK")
        other.close()
    # Once the other job is done, the same store object works and holds nothing half-done.
    assert store.applied_event_ids() == {"e1", "e2"}
    assert store.commit_version(make_plan(day=1), [event("e3")], audit(), parent=1) == 2
    store.close()


def test_audit_time_is_utc(db: Path) -> None:
    local = datetime(2026, 12, 8, 3, 0, tzinfo=timezone(timedelta(hours=1)))
    with PlanStore.open(db) as store:
        store.record_audit(audit("nothing new", version=1, at=local))
        entry = store.audit_log()[-1]
    assert entry.at == local and entry.at.tzinfo == UTC
