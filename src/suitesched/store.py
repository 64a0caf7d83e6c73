"""The nightly job's plan store (SPEC §6): every plan version, applied event and audit record.

One SQLite file holds the whole history of a site's plans. The nightly job reads the latest
version and the ids of the events already applied, re-plans, and then stores the new version,
the events it applied and an audit record in **one** transaction (:meth:`PlanStore.commit_version`).
That single transaction is what makes the job safe to kill at any moment: the file then holds
either the old or the new version, never half of one, and the event ids already applied are a
primary key, so an event can never be applied twice.

Journal mode: the default rollback journal (``journal_mode=DELETE``) with ``synchronous=FULL``,
not WAL. The store has one writer a night and few readers, so WAL's readers-beside-a-writer
gain is small, while the rollback journal keeps the store one self-contained file between runs
(copied, backed up or moved with ``cp``, with no ``-wal``/``-shm`` files that must travel with
it, and usable on network file systems, where WAL's shared memory does not work). A
``SIGKILL`` mid-write leaves a hot journal beside the file, which the next opener rolls back.
Writes take ``BEGIN IMMEDIATE`` so two jobs never interleave: the second waits up to
``timeout`` seconds, then gets a clear :class:`~suitesched.errors.OutputError`.

The library never prints and never lets a ``sqlite3.Error`` escape: a file that cannot be
written (read-only, locked for too long, disk full) raises :class:`OutputError`; a file that
is not a suitesched store or is damaged raises :class:`~suitesched.errors.InputError`.
"""

from __future__ import annotations

import getpass
import hashlib
import json
import os
import socket
import sqlite3
from collections.abc import Iterator, Sequence
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from types import TracebackType
from typing import Any, Self

from pydantic import ValidationError

from suitesched.errors import InputError, OutputError, Problem, SuiteschedError
from suitesched.io.plan_io import plan_to_json
from suitesched.io.pydantic_errors import problems_from
from suitesched.model.plan import Plan

STORE_FORMAT = "suitesched-plan-store"
SCHEMA_VERSION = 1

EventRow = tuple[str, str, str, str]
"""An applied event as stored: ``(event_id, type, at_iso, event_json)``."""

# Statements run one at a time inside one transaction: ``executescript`` would commit first.
_SCHEMA: tuple[str, ...] = (
    "CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)",
    """CREATE TABLE versions (
        version INTEGER PRIMARY KEY,
        created TEXT NOT NULL,
        now TEXT NOT NULL,
        scenario TEXT NOT NULL,
        parent INTEGER NULL REFERENCES versions(version),
        plan_json TEXT NOT NULL,
        kpis_json TEXT,
        solver_status TEXT,
        objective REAL
    )""",
    """CREATE TABLE events (
        event_id TEXT PRIMARY KEY,
        version INTEGER NOT NULL REFERENCES versions(version),
        position INTEGER NOT NULL,
        type TEXT,
        at TEXT,
        event_json TEXT NOT NULL
    )""",
    "CREATE INDEX events_by_version ON events(version, position)",
    """CREATE TABLE audit (
        id INTEGER PRIMARY KEY,
        version INTEGER NULL REFERENCES versions(version),
        at TEXT NOT NULL,
        who TEXT,
        command TEXT NOT NULL,
        scenario_sha256 TEXT,
        events_sha256 TEXT,
        solver_status TEXT,
        wall_seconds REAL,
        outcome TEXT NOT NULL,
        message TEXT
    )""",
)
_TABLES = frozenset({"meta", "versions", "events", "audit"})

# Primary SQLite result codes (the low byte of an extended code).
_SQLITE_PERM, _SQLITE_BUSY, _SQLITE_LOCKED, _SQLITE_READONLY = 3, 5, 6, 8
_SQLITE_IOERR, _SQLITE_CORRUPT, _SQLITE_FULL, _SQLITE_CANTOPEN = 10, 11, 13, 14
_SQLITE_CONSTRAINT, _SQLITE_AUTH, _SQLITE_FORMAT, _SQLITE_NOTADB = 19, 23, 24, 26
_SQLITE_READONLY_ROLLBACK = 776  # read-only opener found a hot journal it cannot roll back


def _utc_now() -> datetime:
    return datetime.now(UTC)


def current_user() -> str:
    """``user@host`` of the process, for the audit trail; never anything about patients.

    ``getpass.getuser()`` fails in containers without a passwd entry or ``$USER``; the audit
    record must still be written then, so that case reads ``unknown``.
    """
    try:
        user = getpass.getuser()
    except (OSError, KeyError):
        user = "unknown"
    return f"{user}@{socket.gethostname() or 'unknown'}"


def sha256_of(data: bytes | str | Path) -> str:
    """Hex SHA-256 of bytes, text (UTF-8) or a file's content, for the audit's input digests.

    Digests let an auditor tell which scenario and events file a run used without the store
    keeping a copy of them (they may hold order details).
    """
    if isinstance(data, Path):
        digest = hashlib.sha256()
        with data.open("rb") as handle:
            for chunk in iter(lambda: handle.read(1 << 20), b""):
                digest.update(chunk)
        return digest.hexdigest()
    if isinstance(data, str):
        data = data.encode("utf-8")
    return hashlib.sha256(data).hexdigest()


@dataclass(frozen=True, slots=True, kw_only=True)
class AuditRecord:
    """One run of a command against the store, whether or not it stored a version.

    ``who`` and ``at`` default to the current ``user@host`` and UTC wall clock. ``message`` is
    free text for operators; keep patient details out of it (the audit log is kept forever).
    ``version`` is filled in by :meth:`PlanStore.commit_version`; for :meth:`record_audit` it
    names the version that stayed current, if any.
    """

    command: str
    outcome: str
    version: int | None = None
    scenario_sha256: str | None = None
    events_sha256: str | None = None
    solver_status: str | None = None
    wall_seconds: float | None = None
    message: str | None = None
    at: datetime = field(default_factory=_utc_now)
    who: str = field(default_factory=current_user)


@dataclass(frozen=True, slots=True, kw_only=True)
class AuditEntry(AuditRecord):
    """An :class:`AuditRecord` as read back from the store, with its row id."""

    id: int


@dataclass(frozen=True, slots=True)
class StoredVersion:
    """A stored plan version: its number, the plan itself, and the version it was made from."""

    version: int
    plan: Plan
    created: datetime
    parent: int | None


@dataclass(frozen=True, slots=True)
class VersionSummary:
    """One line of ``suitesched history``: a version's headline facts without its plan."""

    version: int
    created: datetime
    now: datetime
    scenario: str
    parent: int | None
    solver_status: str | None
    objective: float | None
    events: int
    kpis: dict[str, Any]


class StoreConflictError(OutputError):
    """The store gained a version after the caller read it; nothing was written.

    Raised when ``parent`` is not the latest version at commit time (two jobs raced): storing
    would silently drop the other job's events from the plan's lineage. Re-run the job.
    """


class PlanStore:
    """The SQLite plan store. Open it with :meth:`open`; use it as a context manager.

    One instance holds one connection; it is not meant to be shared between threads.
    """

    def __init__(
        self, conn: sqlite3.Connection, path: Path, timeout: float, readonly: bool
    ) -> None:
        """Wrap an open connection; use :meth:`open`, which also checks and creates the schema."""
        self._conn = conn
        self.path = path
        self.timeout = timeout
        self.readonly = readonly

    # ------------------------------------------------------------------ opening and closing

    @classmethod
    def open(
        cls,
        path: str | Path,
        *,
        create: bool = True,
        timeout: float = 10.0,
        readonly: bool = False,
    ) -> PlanStore:
        """Open the store at ``path``, creating the file and its schema if ``create``.

        ``timeout`` is how long to wait for another job's lock before giving up with an
        :class:`OutputError`. ``readonly`` opens it for reading only (``suitesched history``
        on a store the user may not write); otherwise write access to the file and its folder
        is checked now, before the caller spends a night's solve on a plan it cannot store.
        The file is checked (``PRAGMA quick_check``) on every open, so a damaged store is
        reported before anything is added to it.
        """
        path = Path(path)
        label = str(path)
        create = create and not readonly
        try:
            is_dir, exists = path.is_dir(), path.exists()
        except OSError as exc:
            raise OutputError(f"cannot reach the plan store {label}: {exc.strerror or exc}. "
                              "Give the user running the job access to its folder.") from None
        if is_dir:
            raise _not_a_store(label, "this is a folder; give the path of the store's file")
        if not exists and not create:
            raise InputError(
                [Problem(label, "", "file not found: no plan store here yet "
                                    "(the nightly job creates it on its first run)")],
                what="plan store",
            )
        if not readonly:
            _check_writable(path)
        mode = "ro" if readonly else ("rwc" if create else "rw")
        try:
            conn = sqlite3.connect(
                f"{path.resolve().as_uri()}?mode={mode}",
                uri=True,
                timeout=timeout,
                isolation_level=None,  # autocommit: transactions are explicit BEGIN/COMMIT
            )
        except sqlite3.Error as exc:
            raise _translate(exc, label, timeout, "opening the store") from None
        store = cls(conn, path, timeout, readonly)
        try:
            store._prepare(create)
        except BaseException:
            conn.close()
            raise
        return store

    def close(self) -> None:
        """Close the connection; an unfinished transaction is rolled back by SQLite."""
        self._conn.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def _prepare(self, create: bool) -> None:
        """Set the connection up, then create the schema or check that this is a store."""
        with self._errors("opening the store"):
            self._conn.execute("PRAGMA foreign_keys=ON")
            self._conn.execute("PRAGMA synchronous=FULL")
            tables = self._table_names()
        if not tables:
            if not create:
                raise _not_a_store(str(self.path), "the database is empty")
            self._create_schema()
            return
        with self._errors("checking the store"):
            self._check_schema(tables)
            problems = [row[0] for row in self._conn.execute("PRAGMA quick_check")]
        if problems != ["ok"]:
            shown = "; ".join(str(p) for p in problems[:5])
            more = f" (and {len(problems) - 5} more)" if len(problems) > 5 else ""
            raise _not_a_store(
                str(self.path), f"the database is damaged (quick_check: {shown}{more})"
            )

    def _table_names(self) -> set[str]:
        rows = self._conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")
        return {row[0] for row in rows}

    def _create_schema(self) -> None:
        """Create every table in one transaction, so a killed first run leaves an empty file."""
        with self._transaction("creating the store"):
            if self._table_names():  # another job created it while we waited for the lock
                return
            for statement in _SCHEMA:
                self._conn.execute(statement)
            self._conn.executemany(
                "INSERT INTO meta (key, value) VALUES (?, ?)",
                [("format", STORE_FORMAT), ("schema_version", str(SCHEMA_VERSION))],
            )
        with self._errors("creating the store"):
            # Outside a transaction, as SQLite requires; DELETE is the default, said explicitly.
            self._conn.execute("PRAGMA journal_mode=DELETE")

    def _check_schema(self, tables: set[str]) -> None:
        label = str(self.path)
        if "meta" not in tables:
            found = ", ".join(sorted(tables))
            raise _not_a_store(label, f"it has no 'meta' table (tables: {found})")
        meta = dict(self._conn.execute("SELECT key, value FROM meta").fetchall())
        if meta.get("format") != STORE_FORMAT:
            raise _not_a_store(label, f"meta.format is {meta.get('format')!r}, "
                                      f"expected {STORE_FORMAT!r}")
        if meta.get("schema_version") != str(SCHEMA_VERSION):
            raise _not_a_store(
                label,
                f"schema version {meta.get('schema_version')!r}; this suitesched reads "
                f"version {SCHEMA_VERSION}: use the suitesched release that wrote the store",
            )
        if missing := _TABLES - tables:
            raise _not_a_store(label, f"tables missing: {', '.join(sorted(missing))}")

    # ------------------------------------------------------------------ reading

    def latest(self) -> StoredVersion | None:
        """The newest version, or ``None`` for an empty store (the job then solves afresh)."""
        with self._errors("reading the latest version"):
            row = self._conn.execute(
                "SELECT version, created, parent, plan_json FROM versions "
                "ORDER BY version DESC LIMIT 1"
            ).fetchone()
        if row is None:
            return None
        version, created, parent, plan_json = row
        return StoredVersion(version, self._parse_plan(version, plan_json),
                             datetime.fromisoformat(created), parent)

    def plan(self, version: int) -> Plan:
        """The plan of ``version``; an unknown version is an :class:`InputError`."""
        with self._errors(f"reading version {version}"):
            row = self._conn.execute(
                "SELECT plan_json FROM versions WHERE version = ?", (version,)
            ).fetchone()
        if row is None:
            raise InputError(
                [Problem(str(self.path), f"version {version}", "no such version in the store")],
                what="plan store",
            )
        return self._parse_plan(version, row[0])

    def applied_event_ids(self) -> set[str]:
        """Ids of every event applied in any stored version: the job skips these."""
        with self._errors("reading the applied events"):
            return {row[0] for row in self._conn.execute("SELECT event_id FROM events")}

    def events(self, version: int) -> list[EventRow]:
        """The events applied in ``version``, in the order they were applied."""
        with self._errors(f"reading the events of version {version}"):
            rows = self._conn.execute(
                "SELECT event_id, type, at, event_json FROM events WHERE version = ? "
                "ORDER BY position",
                (version,),
            ).fetchall()
        return [(r[0], r[1], r[2], r[3]) for r in rows]

    def history(self) -> list[VersionSummary]:
        """Every version, oldest first, with its KPIs and how many events it applied."""
        with self._errors("reading the history"):
            rows = self._conn.execute(
                "SELECT v.version, v.created, v.now, v.scenario, v.parent, v.solver_status, "
                "v.objective, (SELECT COUNT(*) FROM events e WHERE e.version = v.version), "
                "v.kpis_json FROM versions v ORDER BY v.version"
            ).fetchall()
        out: list[VersionSummary] = []
        for version, created, now, scenario, parent, status, objective, n, kpis in rows:
            out.append(VersionSummary(
                version=version,
                created=datetime.fromisoformat(created),
                now=datetime.fromisoformat(now),
                scenario=scenario,
                parent=parent,
                solver_status=status,
                objective=objective,
                events=n,
                kpis=self._parse_kpis(version, kpis),
            ))
        return out

    def audit_log(self) -> list[AuditEntry]:
        """Every audit record, oldest first."""
        with self._errors("reading the audit log"):
            rows = self._conn.execute(
                "SELECT id, version, at, who, command, scenario_sha256, events_sha256, "
                "solver_status, wall_seconds, outcome, message FROM audit ORDER BY id"
            ).fetchall()
        return [
            AuditEntry(id=r[0], version=r[1], at=datetime.fromisoformat(r[2]), who=r[3],
                       command=r[4], scenario_sha256=r[5], events_sha256=r[6],
                       solver_status=r[7], wall_seconds=r[8], outcome=r[9], message=r[10])
            for r in rows
        ]

    # ------------------------------------------------------------------ writing

    def commit_version(
        self,
        plan: Plan,
        events: Sequence[EventRow],
        audit: AuditRecord,
        parent: int | None,
    ) -> int:
        """Store ``plan`` as a new version with the events it applied and its audit record.

        All three go in one transaction: after a crash the store holds all of them or none.
        ``parent`` must be the current latest version (``None`` only on an empty store), so
        two racing jobs cannot both build on the same version; otherwise
        :class:`StoreConflictError`. An event id applied before (or twice in ``events``) is an
        :class:`InputError` and nothing is written; the primary key on ``events.event_id``
        enforces the same in the file itself. Returns the new version number.
        """
        rows = list(events)
        self._check_event_rows(rows)
        plan_json = plan_to_json(plan)  # serialised before the lock is taken, to keep it short
        kpis_json = json.dumps(plan.kpis, sort_keys=True)
        with self._transaction("storing a new plan version"):
            latest = self._conn.execute("SELECT MAX(version) FROM versions").fetchone()[0]
            if parent != latest:
                raise StoreConflictError(
                    f"the plan store {self.path} changed while this plan was made: it was made "
                    f"from version {parent}, but the latest version is now {latest}. "
                    "Nothing was stored; run the job again."
                )
            self._refuse_applied(rows)
            version = (latest or 0) + 1
            self._conn.execute(
                "INSERT INTO versions (version, created, now, scenario, parent, plan_json, "
                "kpis_json, solver_status, objective) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (version, plan.created.isoformat(), plan.now.isoformat(), plan.scenario, parent,
                 plan_json, kpis_json, plan.solver.status, plan.solver.objective),
            )
            self._conn.executemany(
                "INSERT INTO events (event_id, version, position, type, at, event_json) "
                "VALUES (?, ?, ?, ?, ?, ?)",
                [(eid, version, i, kind, at, body) for i, (eid, kind, at, body) in enumerate(rows)],
            )
            self._insert_audit(audit, version)
        return version

    def record_audit(self, audit: AuditRecord) -> int:
        """Store an audit record of a run that stored no version (nothing new, or exit 4).

        Returns the record's id. ``audit.version`` should name the version that stayed
        current; an unknown version is an :class:`InputError`.
        """
        with self._transaction("recording an audit entry"):
            if audit.version is not None and self._conn.execute(
                "SELECT 1 FROM versions WHERE version = ?", (audit.version,)
            ).fetchone() is None:
                raise InputError(
                    [Problem(str(self.path), f"version {audit.version}",
                             "the audit record names a version the store does not hold")],
                    what="plan store",
                )
            return self._insert_audit(audit, audit.version)

    def _insert_audit(self, audit: AuditRecord, version: int | None) -> int:
        cursor = self._conn.execute(
            "INSERT INTO audit (version, at, who, command, scenario_sha256, events_sha256, "
            "solver_status, wall_seconds, outcome, message) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (version, audit.at.astimezone(UTC).isoformat(), audit.who, audit.command,
             audit.scenario_sha256, audit.events_sha256, audit.solver_status,
             audit.wall_seconds, audit.outcome, audit.message),
        )
        assert cursor.lastrowid is not None
        return cursor.lastrowid

    def _check_event_rows(self, rows: list[EventRow]) -> None:
        """Refuse malformed rows and ids repeated within the batch, before any lock is taken."""
        label = str(self.path)
        problems: list[Problem] = []
        seen: set[str] = set()
        for i, row in enumerate(rows):
            if len(row) != 4 or not all(isinstance(part, str) for part in row) or not row[0]:
                problems.append(Problem(label, f"events[{i}]",
                                        "expected (event_id, type, at, event_json) as text"))
            elif row[0] in seen:
                problems.append(Problem(label, f"events[{i}]",
                                        f"event id {row[0]!r} appears twice in this batch"))
            else:
                seen.add(row[0])
        if problems:
            raise InputError(problems, what="events")

    def _refuse_applied(self, rows: list[EventRow]) -> None:
        """Name every event id that an earlier version already applied (inside the lock)."""
        problems: list[Problem] = []
        for i, (event_id, *_rest) in enumerate(rows):
            hit = self._conn.execute(
                "SELECT version FROM events WHERE event_id = ?", (event_id,)
            ).fetchone()
            if hit is not None:
                problems.append(Problem(
                    str(self.path), f"events[{i}]",
                    f"event {event_id!r} was already applied in version {hit[0]}; "
                    "an event is applied once",
                ))
        if problems:
            raise InputError(problems, what="events")

    # ------------------------------------------------------------------ helpers

    def _parse_plan(self, version: int, text: str) -> Plan:
        try:
            return Plan.model_validate_json(text)
        except ValidationError as exc:
            prefix = f"versions[{version}].plan_json"
            raise InputError(problems_from(exc, str(self.path), prefix=prefix),
                             what="plan store") from None

    def _parse_kpis(self, version: int, text: str | None) -> dict[str, Any]:
        if not text:
            return {}
        try:
            kpis = json.loads(text)
        except json.JSONDecodeError as exc:
            raise _not_a_store(str(self.path), f"versions[{version}].kpis_json: {exc}") from None
        return kpis if isinstance(kpis, dict) else {}

    @contextmanager
    def _errors(self, doing: str) -> Iterator[None]:
        """Turn any ``sqlite3.Error`` raised inside into a suitesched error."""
        try:
            yield
        except sqlite3.Error as exc:
            raise _translate(exc, str(self.path), self.timeout, doing) from None

    @contextmanager
    def _transaction(self, doing: str) -> Iterator[None]:
        """``BEGIN IMMEDIATE`` … ``COMMIT``; any failure rolls back and is translated.

        ``IMMEDIATE`` takes the write lock up front, so a second job waits (up to
        ``timeout``) at the start instead of failing half-way, and the reads inside the
        transaction (latest version, applied ids) cannot go stale before the writes.
        """
        if self.readonly:
            raise OutputError(f"the plan store {self.path} was opened read-only; "
                              "open it without readonly=True to store anything")
        with self._errors(doing):
            self._conn.execute("BEGIN IMMEDIATE")
        try:
            yield
            self._conn.execute("COMMIT")
        except BaseException as exc:
            if self._conn.in_transaction:
                with suppress(sqlite3.Error):
                    self._conn.execute("ROLLBACK")
            if isinstance(exc, sqlite3.Error):
                raise _translate(exc, str(self.path), self.timeout, doing) from None
            raise


def _not_a_store(label: str, why: str) -> InputError:
    return InputError(
        [Problem(label, "", f"not a usable suitesched plan store: {why}. Restore it from a "
                            "backup, or move it aside to start a new store")],
        what="plan store",
    )


def _check_writable(path: Path) -> None:
    """Fail early if the store or its folder cannot be written (SQLite needs both).

    SQLite silently opens a write-protected file read-only and fails only at the first
    write; and it writes its rollback journal beside the file, so the folder must be
    writable too.
    """
    folder = path.parent
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise OutputError(f"cannot create the folder {folder} for the plan store: "
                          f"{exc.strerror or exc}") from None
    if path.exists() and not os.access(path, os.R_OK | os.W_OK):
        raise OutputError(f"the plan store {path} is read-only: give the user running the job "
                          "write access to it, or open it read-only to only read it")
    if not os.access(folder, os.W_OK | os.X_OK):
        raise OutputError(f"the folder {folder} of the plan store is read-only: SQLite writes "
                          "its journal beside the store, so give the user running the job "
                          "write access to the folder")


def _translate(exc: sqlite3.Error, label: str, timeout: float, doing: str) -> SuiteschedError:
    """Map a ``sqlite3.Error`` to the suitesched error that tells the user what to do."""
    code = getattr(exc, "sqlite_errorcode", None)
    primary = code & 0xFF if isinstance(code, int) else None
    if primary in (_SQLITE_BUSY, _SQLITE_LOCKED):
        return OutputError(
            f"the plan store {label} is locked: another job holds the store (waited "
            f"{timeout:g} s while {doing}). Let it finish and run again; if no other "
            "suitesched job is running, look for a stuck process that has the file open."
        )
    if code == _SQLITE_READONLY_ROLLBACK:
        return OutputError(
            f"the plan store {label} needs recovery after an interrupted write, which needs "
            "write access: open it once with write access (e.g. run the nightly job)."
        )
    if primary in (_SQLITE_READONLY, _SQLITE_PERM, _SQLITE_CANTOPEN, _SQLITE_AUTH):
        return OutputError(
            f"cannot write the plan store {label} while {doing}: {exc}. Give the user running "
            "the job write access to the file and its folder. Nothing was stored."
        )
    if primary in (_SQLITE_IOERR, _SQLITE_FULL):
        return OutputError(
            f"cannot write the plan store {label} while {doing}: {exc}. Check the disk and its "
            "free space; the store still holds its last complete version."
        )
    if primary in (_SQLITE_NOTADB, _SQLITE_CORRUPT, _SQLITE_FORMAT):
        return _not_a_store(label, str(exc))
    if primary == _SQLITE_CONSTRAINT or isinstance(exc, sqlite3.IntegrityError):
        return InputError([Problem(label, "", f"{doing}: {exc}; nothing was stored")],
                          what="plan store")
    return SuiteschedError(f"unexpected database error while {doing} in {label}: {exc}")
