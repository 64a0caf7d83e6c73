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
from suitesched.io.yaml_io import YamlReadError, check_file_size, unprintable_text
from suitesched.model.plan import Plan


def _new_file_mode(path: Path) -> int:
    """The permissions ``path`` gets: those it has now, or what the user's umask gives a new
    file. A temporary file is created private (0600); plans are read by the whole team."""
    try:
        return path.stat().st_mode & 0o777
    except OSError:
        mask = os.umask(0o022)
        os.umask(mask)
        return 0o666 & ~mask


def _stage(path: Path, text: str) -> Path:
    """Write ``text`` to a synced temporary file beside ``path``; return the temp path."""
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        if hasattr(os, "fchmod"):  # POSIX; Windows files have no such modes
            os.fchmod(fd, _new_file_mode(path))
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as handle:
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return Path(tmp)


def atomic_write_text(path: Path, text: str) -> None:
    """Write ``text`` to ``path`` via a temporary file in the same folder and a rename."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = _stage(path, text)
    try:
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def atomic_write_files(out: Path, files: dict[str, str]) -> None:
    """Write several files so that a failure changes none of them.

    Every file is first written in full to a synced temporary file (the step that fails when
    the disk is full); only when all are written are they renamed into place, in the given
    order. A failure while staging removes the temporary files and leaves the old files as
    they were.
    """
    out.mkdir(parents=True, exist_ok=True)
    staged: list[tuple[Path, Path]] = []
    try:
        for name, text in files.items():
            staged.append((_stage(out / name, text), out / name))
        for tmp, target in staged:
            os.replace(tmp, target)
    finally:
        for tmp, _ in staged:
            tmp.unlink(missing_ok=True)


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

    All files are staged in full before any is replaced (:func:`atomic_write_files`), so a
    failure (a full disk, a folder that is not writable) leaves the previous files as they were;
    plan.json is renamed last so that a reader who sees a new plan.json also sees its tables.
    """
    out = Path(out_dir)
    files = {name: frame.to_csv(index=False) for name, frame in plan_tables(plan).items()}
    files.update(extra_files or {})
    files["plan.json"] = plan_to_json(plan)
    try:
        atomic_write_files(out, files)
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
        if path.exists():
            check_file_size(path, label)
        text = path.read_bytes().decode("utf-8-sig")
    except YamlReadError as exc:
        raise InputError([exc.problem], what="plan") from None
    except FileNotFoundError:
        raise InputError([Problem(label, "", "file not found")], what="plan") from None
    except UnicodeDecodeError as exc:
        problem = Problem(label, f"byte {exc.start}", "the file is not UTF-8 text")
        raise InputError([problem], what="plan") from None
    except OSError as exc:
        problem = Problem(label, "", f"cannot read the file: {exc.strerror or exc}")
        raise InputError([problem], what="plan") from None
    try:
        data = json.loads(text)
    except (json.JSONDecodeError, RecursionError) as exc:
        where = f"line {exc.lineno}, column {exc.colno}" if isinstance(
            exc, json.JSONDecodeError) else ""
        raise InputError([Problem(label, where, f"not valid JSON: {exc}")], what="plan") from None
    if (found := unprintable_text(data)) is not None:
        raise InputError([Problem(label, *found)], what="plan")
    try:
        return Plan.model_validate(data)
    except ValidationError as exc:
        raise InputError(problems_from(exc, label), what="plan") from None
