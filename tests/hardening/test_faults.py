"""Faults (issue 8): no plan in time, outputs that cannot be written, a locked, read-only or
damaged plan store, and a full disk. Every one must end with a clear message and its exit code
(SPEC §6), and leave the previous plan files and the stored versions exactly as they were.

tests/test_store.py covers the store's own API against read-only, locked, random, truncated
and foreign files and SIGKILLs; tests/test_nightly.py covers killing the nightly job. These
tests drive the CLI (``solve``, ``replan``, ``nightly``) into the same faults.
"""

from __future__ import annotations

import errno
import hashlib
import os
import shutil
import sqlite3
from datetime import datetime
from pathlib import Path

import pytest
from cli_harness import Harness, contract_failures

import suitesched as ss
import suitesched.io.plan_io as plan_io
from helpers import read
from suitesched.errors import OutputError
from suitesched.store import AuditRecord, PlanStore

SPEC = read("spec_site.yaml")
EVENTS = read("replan/spec_events.yaml")
NOW = "2026-12-09T12:00"
FAST = ["--max-deterministic-time", "1", "--workers", "1", "--seed", "0"]
ROOT = os.geteuid() == 0


def digests(folder: Path) -> dict[str, str]:
    """Every file of a folder (or one file) by name, with its SHA-256."""
    if folder.is_file():
        return {folder.name: hashlib.sha256(folder.read_bytes()).hexdigest()}
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.iterdir())} if folder.exists() else {}


@pytest.fixture
def cli(monkeypatch: pytest.MonkeyPatch) -> Harness:
    return Harness(monkeypatch)


@pytest.fixture(scope="module")
def previous(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A folder holding a complete plan of the spec site: the 'previous plan'."""
    out = tmp_path_factory.mktemp("previous")
    plan = ss.solve(ss.load_scenario(SPEC), time_limit=None, workers=1, seed=0,
                    max_deterministic_time=2.0)
    ss.write_plan(plan, out)
    return out


def _copy(previous: Path, tmp_path: Path) -> Path:
    out = tmp_path / "out"
    shutil.copytree(previous, out)
    return out


def _collision(previous: Path, tmp_path: Path) -> Path:
    """An outage of the suite of an operation running at NOW: frozen work collides (exit 4)."""
    plan = ss.read_plan(previous / "plan.json")
    now = datetime.fromisoformat(NOW).replace(tzinfo=ss.load_scenario(SPEC).timezone)
    running = min((op for op in plan.operations if op.suite and op.start < now),
                  key=lambda op: op.start)
    path = tmp_path / "outage.yaml"
    path.write_text(
        f"- {{id: x-1, type: resource_down, at: {NOW}, resource: {running.suite}, "
        f"start: '{running.start.isoformat()}', end: '{running.end.isoformat()}'}}\n",
        encoding="utf-8")
    return path


# ---------------------------------------------------------------------------- (1) no plan


def test_solve_without_a_plan_in_time_exits_4_and_keeps_the_previous_files(
        cli: Harness, tmp_path: Path, previous: Path) -> None:
    out = _copy(previous, tmp_path)
    before = digests(out)
    # Six orders (< 12: the full model only, no greedy warm start) and a tiny budget.
    outcome = cli.run(["solve", str(SPEC), "--out", str(out), "--max-deterministic-time",
                       "0.01", "--workers", "1"])
    assert outcome.code == 4, outcome.describe()
    assert "previous plan stays current" in outcome.output
    assert digests(out) == before


def test_replan_that_collides_with_frozen_work_exits_4_and_keeps_the_previous_files(
        cli: Harness, tmp_path: Path, previous: Path) -> None:
    out = _copy(previous, tmp_path)
    before = digests(out)
    outcome = cli.run(["replan", str(SPEC), "--plan", str(previous / "plan.json"), "--events",
                       str(_collision(previous, tmp_path)), "--now", NOW, "--out", str(out),
                       *FAST])
    assert outcome.code == 4, outcome.describe()
    assert digests(out) == before


# ---------------------------------------------------------------------------- (2) outputs


@pytest.mark.parametrize("how", ["out is a file", "out is under a file"])
def test_output_path_that_cannot_be_a_folder_is_exit_2_and_writes_nothing(
        cli: Harness, tmp_path: Path, how: str) -> None:
    blocker = tmp_path / "blocker"
    blocker.write_text("not a folder\n", encoding="utf-8")
    out = blocker if how == "out is a file" else blocker / "plan"
    outcome = cli.run(["solve", str(SPEC), "--out", str(out), *FAST])
    assert outcome.code == 2, outcome.describe()
    assert isinstance(outcome.error, OutputError)
    assert "cannot write the plan into" in outcome.output
    assert not contract_failures(outcome, {str(out)})
    assert sorted(p.name for p in tmp_path.iterdir()) == ["blocker"]
    assert blocker.read_text(encoding="utf-8") == "not a folder\n"


@pytest.mark.skipif(ROOT, reason="root ignores folder permissions")
def test_read_only_output_folder_is_exit_2_and_keeps_the_previous_files(
        cli: Harness, tmp_path: Path, previous: Path) -> None:
    out = _copy(previous, tmp_path)
    before = digests(out)
    out.chmod(0o500)
    try:
        outcome = cli.run(["solve", str(SPEC), "--out", str(out), *FAST])
    finally:
        out.chmod(0o700)
    assert outcome.code == 2, outcome.describe()
    assert digests(out) == before


# ---------------------------------------------------------------------------- (5) disk full


class _FullDisk:
    """A file handle that writes half of what it is given, then fails with ENOSPC."""

    def __init__(self, handle) -> None:
        self.handle = handle

    def __enter__(self) -> _FullDisk:
        return self

    def __exit__(self, *exc: object) -> None:
        self.handle.close()

    def write(self, text: str) -> int:
        self.handle.write(text[: len(text) // 2])
        self.handle.flush()
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    def __getattr__(self, name: str):
        return getattr(self.handle, name)


@pytest.mark.parametrize("fail_at", [1, 3, 5])
def test_disk_full_while_writing_keeps_every_previous_file(
        cli: Harness, monkeypatch: pytest.MonkeyPatch, tmp_path: Path, previous: Path,
        fail_at: int) -> None:
    """The disk fills up while the n-th output file is written: none of the old files changes
    (all are staged before any is replaced), and no temporary file is left behind."""
    out = _copy(previous, tmp_path)
    before = digests(out)
    real_fdopen = os.fdopen
    opened = []

    def fdopen(fd, *args, **kwargs):
        handle = real_fdopen(fd, *args, **kwargs)
        opened.append(fd)
        return _FullDisk(handle) if len(opened) == fail_at else handle

    monkeypatch.setattr(plan_io.os, "fdopen", fdopen)
    outcome = cli.run(["solve", str(SPEC), "--out", str(out), *FAST])
    assert outcome.code == 2, outcome.describe()
    assert "No space left on device" in outcome.output
    assert digests(out) == before  # also: no temporary files


def test_sqlite_full_during_commit_keeps_the_stored_versions(tmp_path: Path,
                                                             previous: Path) -> None:
    """SQLITE_FULL (here: PRAGMA max_page_count) while a version is stored: OutputError, and
    the store holds exactly what it held."""
    db = tmp_path / "store.sqlite"
    plan = ss.read_plan(previous / "plan.json")
    with PlanStore.open(db) as store:
        store.commit_version(plan, [], AuditRecord(command="test", outcome="stored"), None)
    before = digests(db)
    with PlanStore.open(db) as store:
        pages = store._conn.execute("PRAGMA page_count").fetchone()[0]
        store._conn.execute(f"PRAGMA max_page_count = {pages}")
        with pytest.raises(OutputError, match="Check the disk"):
            store.commit_version(plan, [("e1", "x", NOW, "{}")],
                                 AuditRecord(command="test", outcome="stored"), parent=1)
    assert digests(db) == before
    with PlanStore.open(db) as store:
        assert [v.version for v in store.history()] == [1]
        assert store.applied_event_ids() == set()


# ---------------------------------------------------------------------------- (3), (4) store


def _nightly(cli: Harness, db: Path, out: Path, events: Path = EVENTS) -> object:
    return cli.run(["nightly", str(SPEC), "--db", str(db), "--events", str(events), "--now",
                    NOW, "--out", str(out), *FAST])


@pytest.fixture(scope="module")
def stored(tmp_path_factory: pytest.TempPathFactory, previous: Path) -> Path:
    """A store holding version 1 (the initial plan), as a first nightly run leaves it."""
    db = tmp_path_factory.mktemp("store") / "store.sqlite"
    with PlanStore.open(db) as store:
        store.commit_version(ss.read_plan(previous / "plan.json"), [],
                             AuditRecord(command="nightly: initial plan", outcome="stored"),
                             None)
    return db


def test_locked_store_is_exit_2_and_unchanged(cli: Harness, tmp_path: Path,
                                              stored: Path, monkeypatch) -> None:
    db = tmp_path / "store.sqlite"
    shutil.copy(stored, db)
    before = digests(db)
    real_open = PlanStore.open.__func__
    monkeypatch.setattr(PlanStore, "open", classmethod(
        lambda cls, path, **kw: real_open(cls, path, **{**kw, "timeout": 0.3})))
    other = sqlite3.connect(db, isolation_level=None)
    other.execute("BEGIN EXCLUSIVE")
    try:
        outcome = _nightly(cli, db, tmp_path / "out")
    finally:
        other.execute("ROLLBACK")
        other.close()
    assert outcome.code == 2, outcome.describe()
    assert "another job holds the store" in outcome.output
    assert digests(db) == before
    assert not (tmp_path / "out").exists()


@pytest.mark.skipif(ROOT, reason="root ignores file permissions")
def test_read_only_store_is_exit_2_and_unchanged(cli: Harness, tmp_path: Path,
                                                 stored: Path) -> None:
    db = tmp_path / "store.sqlite"
    shutil.copy(stored, db)
    before = digests(db)
    db.chmod(0o444)
    try:
        outcome = _nightly(cli, db, tmp_path / "out")
    finally:
        db.chmod(0o644)
    assert outcome.code == 2, outcome.describe()
    assert "read-only" in outcome.output
    assert digests(db) == before


def test_store_under_a_file_is_exit_2(cli: Harness, tmp_path: Path) -> None:
    """Root-independent: the store's folder cannot exist."""
    blocker = tmp_path / "blocker"
    blocker.write_text("x", encoding="utf-8")
    outcome = _nightly(cli, blocker / "store.sqlite", tmp_path / "out")
    assert outcome.code == 2, outcome.describe()
    assert "plan store" in outcome.output
    assert sorted(p.name for p in tmp_path.iterdir()) == ["blocker"]


@pytest.mark.parametrize("damage", ["random bytes", "truncated", "text file", "zeroed header"])
def test_damaged_store_is_exit_2_and_untouched(cli: Harness, tmp_path: Path, stored: Path,
                                               damage: str) -> None:
    db = tmp_path / "store.sqlite"
    data = stored.read_bytes()
    db.write_bytes({
        "random bytes": os.urandom(len(data)),
        "truncated": data[: len(data) // 3],
        "text file": b"order_id,process\nCOI-0001,cart-std\n",
        "zeroed header": b"\0" * 100 + data[100:],
    }[damage])
    before = digests(db)
    outcome = _nightly(cli, db, tmp_path / "out")
    assert outcome.code == 2, outcome.describe()
    assert "not a usable suitesched plan store" in outcome.output
    assert not contract_failures(outcome, {str(db)})
    assert digests(db) == before
    assert not (tmp_path / "out").exists()
    listed = cli.run(["history", "--db", str(db)])
    assert listed.code == 2 and digests(db) == before


def test_nightly_with_no_plan_exits_4_keeps_the_version_and_audits_it(
        cli: Harness, tmp_path: Path, stored: Path, previous: Path) -> None:
    db = tmp_path / "store.sqlite"
    shutil.copy(stored, db)
    outcome = _nightly(cli, db, tmp_path / "out", _collision(previous, tmp_path))
    assert outcome.code == 4, outcome.describe()
    with PlanStore.open(db) as store:
        assert [v.version for v in store.history()] == [1]
        assert store.applied_event_ids() == set()
        assert store.audit_log()[-1].outcome == "no plan"
    assert not (tmp_path / "out").exists()
