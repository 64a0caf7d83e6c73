"""Input limits (docs/limits.md, src/suitesched/model/limits.py): each is accepted at its value
and refused one past it, by ``validate``, with exit 2 and a located message."""

from __future__ import annotations

import copy
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest
import yaml
from cli_harness import Harness

import suitesched as ss
from helpers import BASE_SITE
from suitesched.model import limits


@pytest.fixture
def cli(monkeypatch: pytest.MonkeyPatch) -> Harness:
    return Harness(monkeypatch)


def _site(**changes: Any) -> dict[str, Any]:
    data = copy.deepcopy(BASE_SITE)
    data.update(changes)
    return data


def _order(i: int) -> dict[str, str]:
    return {"order_id": f"COI-{i:05d}", "process": "p", "arrival": "2026-12-07T07:00",
            "due": "2026-12-20"}


def _write(tmp_path: Path, site: dict[str, Any], orders: int = 1) -> Path:
    folder = tmp_path / "site"
    folder.mkdir(exist_ok=True)
    (folder / "site.yaml").write_text(yaml.safe_dump(site), encoding="utf-8")
    rows = ["order_id,process,arrival,due"] + [
        f"COI-{i:05d},p,2026-12-07T07:00,2026-12-20" for i in range(orders)]
    (folder / "orders.csv").write_text("\n".join(rows) + "\n", encoding="utf-8")
    return folder


def _operators(n: int) -> list[dict[str, Any]]:
    return [{"id": f"OP{i}", "skills": ["aseptic", "qa"], "shifts": ["day"]} for i in range(n)]


def _steps(n: int) -> list[dict[str, Any]]:
    return [{"id": f"s{i}", "duration": "15m"} for i in range(n)]


CASES = {
    # name: (site with n entries, the limit, where the problem is reported)
    "horizon days": (lambda n: _site(horizon={"start": "2026-12-07T00:00", "days": n}),
                     limits.MAX_HORIZON_DAYS, "horizon.days"),
    "suites": (lambda n: _site(suites=[{"id": f"S{i}"} for i in range(n)]),
               limits.MAX_SUITES, "suites"),
    "equipment": (lambda n: _site(equipment=[{"id": f"E{i}", "type": "incubator"}
                                             for i in range(n)]),
                  limits.MAX_EQUIPMENT, "equipment"),
    "operators": (lambda n: _site(operators=_operators(n)), limits.MAX_OPERATORS, "operators"),
    "steps per process": (lambda n: _site(processes=[{"id": "p", "steps": _steps(n)}]),
                          limits.MAX_STEPS_PER_PROCESS, "processes[0].steps"),
    "holidays": (lambda n: _site(holidays=[(date(2030, 1, 1) + timedelta(days=i)).isoformat()
                                           for i in range(n)]),
                 limits.MAX_LIST_ENTRIES, "holidays"),
}


@pytest.mark.parametrize("name", list(CASES))
def test_site_limit_is_accepted_at_and_refused_past(cli: Harness, tmp_path: Path,
                                                    name: str) -> None:
    build, limit, location = CASES[name]
    at = _write(tmp_path, build(limit))
    outcome = cli.run(["validate", str(at)])
    assert outcome.code == 0, outcome.describe()
    over = _write(tmp_path, build(limit + 1))
    outcome = cli.run(["validate", str(over)])
    assert outcome.code == 2, outcome.describe()
    problems = outcome.error.problems
    assert [p.location for p in problems] == [location], problems
    assert problems[0].file == "site.yaml"
    assert str(limit) in problems[0].message


def test_order_limit(cli: Harness, tmp_path: Path) -> None:
    at = _write(tmp_path, _site(), orders=limits.MAX_ORDERS)
    assert len(ss.load_scenario(at).orders) == limits.MAX_ORDERS
    over = _write(tmp_path, _site(), orders=limits.MAX_ORDERS + 1)
    outcome = cli.run(["validate", str(over)])
    assert outcome.code == 2, outcome.describe()
    (problem,) = outcome.error.problems
    assert problem.file == "orders.csv"
    assert problem.location == f"row {limits.MAX_ORDERS + 2}"
    assert f"at most {limits.MAX_ORDERS}" in problem.message


@pytest.mark.parametrize("step, ok", [("5m", True), ("4m", False), ("1d", True), ("7m", False),
                                      ("25h", False)])
def test_time_step_limit(cli: Harness, tmp_path: Path, step: str, ok: bool) -> None:
    outcome = cli.run(["validate", str(_write(tmp_path, _site(time_step=step)))])
    assert outcome.code == (0 if ok else 2), outcome.describe()
    if not ok:
        assert [p.location for p in outcome.error.problems] == ["time_step"]


@pytest.mark.parametrize("duration, ok", [(f"{limits.MAX_DURATION_MINUTES}", True),
                                          (f"{limits.MAX_DURATION_MINUTES + 1}", False)])
def test_duration_limit(cli: Harness, tmp_path: Path, duration: str, ok: bool) -> None:
    site = _site(suites=[{"id": "S1", "changeover": int(duration)}])
    outcome = cli.run(["validate", str(_write(tmp_path, site))])
    assert outcome.code == (0 if ok else 2), outcome.describe()


def test_file_size_limit(cli: Harness, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The size check runs before a file is read; the limit is lowered to keep the test small."""
    folder = _write(tmp_path, _site())
    size = max((folder / name).stat().st_size for name in ("site.yaml", "orders.csv"))
    monkeypatch.setattr(limits, "MAX_FILE_BYTES", size)
    assert cli.run(["validate", str(folder)]).code == 0
    (folder / "orders.csv").write_bytes((folder / "orders.csv").read_bytes()
                                        + b"\n" * (size + 1))
    outcome = cli.run(["validate", str(folder)])
    assert outcome.code == 2, outcome.describe()
    (problem,) = outcome.error.problems
    assert problem.file == "orders.csv" and "at most" in problem.message


def test_generated_400_order_site_is_inside_the_limits(tmp_path: Path) -> None:
    from suitesched.generate import generate_site, write_generated

    scenario = ss.load_scenario(write_generated(generate_site(400, 4, 1), tmp_path / "g400"))
    assert len(scenario.orders) == 400
