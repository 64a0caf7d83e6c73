"""Write and read plans: plan.json (atomic) and the flat CSV tables of SPEC §3."""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path

import pandas as pd
from pydantic import ValidationError

from suitesched.errors import InputError, OutputError, Problem
from suitesched.io.pydantic_errors import problems_from
from suitesched.model.plan import Plan


def atomic_write_text(path: Path, text: str) -> None:
    """Write ``text`` to ``path`` via a temporary file in the same folder and a rename."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as handle:
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def plan_to_json(plan: Plan) -> str:
    return json.dumps(plan.model_dump(mode="json"), indent=2, ensure_ascii=False) + "\n"


def plan_tables(plan: Plan) -> dict[str, pd.DataFrame]:
    """The three flat tables: operations, QC runs and order outcomes."""
    ops = pd.DataFrame(
        [{**o.model_dump(mode="json"), "operators": ";".join(o.operators)}
         for o in plan.operations],
        columns=["order_id", "step", "start", "end", "suite", "equipment", "operators", "frozen"],
    )
    runs = pd.DataFrame(
        [{**r.model_dump(mode="json"), "analysts": ";".join(r.analysts),
          "order_ids": ";".join(r.order_ids)} for r in plan.qc_runs],
        columns=["run_id", "assay", "start", "end", "analysts", "order_ids", "frozen"],
    )
    orders = pd.DataFrame(
        [o.model_dump(mode="json") for o in plan.orders],
        columns=["order_id", "status", "start", "release", "due", "tardiness_hours", "reason"],
    )
    return {"operations.csv": ops, "qc_runs.csv": runs, "orders.csv": orders}


def write_plan(plan: Plan, out_dir: str | Path, extra_files: dict[str, str] | None = None) -> Path:
    """Write plan.json and the CSV tables into ``out_dir``; return the plan.json path.

    Each file is replaced atomically; plan.json is written last so that a reader who sees a new
    plan.json also sees its tables.
    """
    out = Path(out_dir)
    try:
        out.mkdir(parents=True, exist_ok=True)
        for name, frame in plan_tables(plan).items():
            atomic_write_text(out / name, frame.to_csv(index=False))
        for name, text in (extra_files or {}).items():
            atomic_write_text(out / name, text)
        atomic_write_text(out / "plan.json", plan_to_json(plan))
    except OSError as exc:
        raise OutputError(f"cannot write the plan into {out}: {exc.strerror or exc}") from None
    return out / "plan.json"


def read_plan(path: str | Path) -> Plan:
    """Read a plan.json (or a folder holding one); bad files raise :class:`InputError`."""
    path = Path(path)
    if path.is_dir():
        path = path / "plan.json"
    label = str(path)
    try:
        text = path.read_bytes().decode("utf-8-sig")
    except FileNotFoundError:
        raise InputError([Problem(label, "", "file not found")], what="plan") from None
    except (OSError, UnicodeDecodeError) as exc:
        problem = Problem(label, "", f"cannot read the file: {exc}")
        raise InputError([problem], what="plan") from None
    try:
        data = json.loads(text)
    except (json.JSONDecodeError, RecursionError) as exc:
        where = f"line {exc.lineno}, column {exc.colno}" if isinstance(
            exc, json.JSONDecodeError) else ""
        raise InputError([Problem(label, where, f"not valid JSON: {exc}")], what="plan") from None
    try:
        return Plan.model_validate(data)
    except ValidationError as exc:
        raise InputError(problems_from(exc, label), what="plan") from None
