"""Test helpers: tiny scenarios from dicts, deterministic solves, plan lookups."""

from __future__ import annotations

import copy
import importlib.util
import os
import sys
from datetime import datetime, timedelta
from pathlib import Path
from types import ModuleType
from typing import Any

from suitesched.io.scenario_reader import build_scenario
from suitesched.model.plan import Operation, Plan
from suitesched.model.scenario import Scenario

CHECK = os.environ.get("NOCHECK") is None
DATA = Path(__file__).parent / "data"


def read(name: str) -> Path:
    """A path under tests/data."""
    return DATA / name


def load_script(path: Path, name: str) -> ModuleType:
    """A standalone script (benchmarks/, docs/) imported as module ``name``, for its functions.

    The module is registered under ``name`` before it runs: dataclasses with postponed
    annotations look their module up by name while it is being made."""
    spec = importlib.util.spec_from_file_location(name, path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


BASE_SITE: dict[str, Any] = {
    "name": "tiny",
    "timezone": "Europe/Amsterdam",
    # Monday 7 December 2026.
    "horizon": {"start": "2026-12-07T00:00", "days": 7},
    "time_step": "15m",
    "shifts": {
        "day": {"start": "07:00", "end": "15:30", "days": ["mon", "tue", "wed", "thu", "fri"]},
        "late": {"start": "14:30", "end": "23:00", "days": ["mon", "tue", "wed", "thu", "fri"]},
    },
    "suites": [{"id": "S1", "changeover": "2h"}],
    "equipment": [{"id": "INC1", "type": "incubator", "capacity": 1}],
    "operators": [
        {"id": "OP1", "skills": ["aseptic", "qa"], "shifts": ["day"]},
        {"id": "OP2", "skills": ["aseptic", "qa"], "shifts": ["day"]},
    ],
    "assays": [],
    "processes": [{
        "id": "p",
        "steps": [{"id": "process", "duration": "2h", "suite": True, "operators": 1,
                   "skill": "aseptic"}],
    }],
}


def site(**changes: Any) -> dict[str, Any]:
    """A deep copy of the base site with top-level keys replaced."""
    data = copy.deepcopy(BASE_SITE)
    data.update(copy.deepcopy(changes))
    return data


def qc_site(capacity: int = 1) -> dict[str, Any]:
    """The base site with one QC analyst and a sterility assay of ``capacity`` samples per
    run, started on Tuesday and Thursday mornings; the process samples after its step and
    ends with a QA review."""
    return site(
        operators=[{"id": "OP1", "skills": ["aseptic", "qa"], "shifts": ["day"]},
                   {"id": "QC1", "skills": ["qc_micro"], "shifts": ["day"]}],
        assays=[{"id": "sterility", "duration": "2d", "capacity": capacity, "analysts": 1,
                 "skill": "qc_micro", "hands_on": "1h", "sample_max_age": "3d",
                 "start_windows": [{"days": ["tue", "thu"], "from": "08:00", "to": "10:00"}]}],
        processes=[{"id": "p", "steps": [copy.deepcopy(BASE_SITE["processes"][0]["steps"][0])],
                    "qc": [{"assay": "sterility", "sample_after": "process"}],
                    "qa_review": {"duration": "1h", "skill": "qa"}}],
    )


def order(order_id: str, arrival: str = "2026-12-07T07:00", due: str = "2026-12-20",
          process: str = "p", **fields: Any) -> dict[str, Any]:
    return {"order_id": order_id, "process": process, "arrival": arrival, "due": due, **fields}


def scenario(site_data: dict[str, Any], orders: list[dict[str, Any]]) -> Scenario:
    raw = [(f"orders[{i}]", "test.yaml", o) for i, o in enumerate(orders)]
    return build_scenario(site_data, raw, site_label="test.yaml")


def solve(sc: Scenario, *, now: str | None = None, check: bool = CHECK) -> Plan:
    """Solve deterministically and, by default, assert the independent checker is happy."""
    import suitesched as ss

    plan = ss.solve(sc, time_limit=60, workers=2, seed=0, max_deterministic_time=10.0, now=now)
    if check:
        from suitesched.check import check_plan

        violations = check_plan(sc, plan)
        assert violations == [], "\n".join(str(v) for v in violations)
    return plan


def op(plan: Plan, order_id: str, step: str) -> Operation:
    return next(o for o in plan.operations if o.order_id == order_id and o.step == step)


def local(text: str) -> datetime:
    from zoneinfo import ZoneInfo

    return datetime.fromisoformat(text).replace(tzinfo=ZoneInfo("Europe/Amsterdam"))


def hours_between(a: datetime, b: datetime) -> float:
    return (b - a) / timedelta(hours=1)
