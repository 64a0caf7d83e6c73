"""The generic core on textbook instances with known optima (no site model involved)."""

from __future__ import annotations

from pathlib import Path

import pytest

from suitesched.core import Candidate, CoreProblem, Group, Lag, Mode, Requirement, Resource, Task
from suitesched.core.instances import read_fjsp, read_jobshop
from suitesched.solver import SolveParams, solve_core

SHARED = Path(__file__).resolve().parents[3] / "shared" / "benchmarks"
DETERMINISTIC = SolveParams(time_limit=120, workers=2, max_deterministic_time=30.0)

FT06 = """# Fisher & Thompson 6x6 (ft06), optimum 55
6 6
2 1 0 3 1 6 3 7 5 3 4 6
1 8 2 5 4 10 5 10 0 10 3 4
2 5 3 4 5 8 0 9 1 1 4 7
1 5 0 5 2 5 3 3 4 8 5 9
2 9 1 3 4 5 5 4 0 3 3 1
1 3 3 3 5 9 0 10 4 4 2 1
"""


def test_ft06_job_shop_reaches_its_optimum(tmp_path: Path) -> None:
    path = tmp_path / "ft06.txt"
    path.write_text(FT06)
    solution = solve_core(read_jobshop(path), DETERMINISTIC)
    assert solution.status == "OPTIMAL"
    assert solution.objective == 55


def test_flexible_job_shop_uses_the_faster_machine() -> None:
    # Two jobs of one operation each; M0 takes 3, M1 takes 5. Optimum: both on... J0 on M0
    # (3) and J1 on M1 (5) give makespan 5; both on M0 give 6. So the optimum is 5.
    modes = (Mode(3, (Requirement(1, (Candidate("M0"),)),)),
             Mode(5, (Requirement(1, (Candidate("M1"),)),)))
    problem = CoreProblem(
        horizon=20, resources=(Resource("M0"), Resource("M1")),
        groups=(Group("J0", optional=False), Group("J1", optional=False)),
        tasks=(Task("J0.0", "J0", modes), Task("J1.0", "J1", modes)), makespan_cost=1)
    solution = solve_core(problem, DETERMINISTIC)
    assert solution.objective == 5
    assert sorted(r.mode for r in solution.tasks.values()) == [0, 1]


def test_optional_groups_are_dropped_when_they_cannot_fit() -> None:
    # Capacity for one 6-tick task in a horizon of 10: the costlier group is kept.
    problem = CoreProblem(
        horizon=10, resources=(Resource("M"),),
        groups=(Group("cheap", unscheduled_cost=1), Group("dear", unscheduled_cost=5)),
        tasks=tuple(Task(f"{g}.0", g, (Mode(6, (Requirement(1, (Candidate("M"),)),)),))
                    for g in ("cheap", "dear")))
    solution = solve_core(problem, DETERMINISTIC)
    assert solution.present == {"cheap": False, "dear": True}


def test_lag_with_maximum_is_kept() -> None:
    problem = CoreProblem(
        horizon=50, resources=(Resource("M", unavailable=((0, 10),)),),
        groups=(Group("J", optional=False),),
        tasks=(Task("a", "J", (Mode(2),)),
               Task("b", "J", (Mode(2, (Requirement(1, (Candidate("M"),)),)),))),
        lags=(Lag("a", "b", "end", 1, 3),), makespan_cost=1)
    solution = solve_core(problem, DETERMINISTIC)
    a, b = solution.tasks["a"], solution.tasks["b"]
    assert 1 <= b.start - a.end <= 3
    assert b.start >= 10


@pytest.mark.skipif(not (SHARED / "fjsp" / "brandimarte" / "Mk01.fjs").exists(),
                    reason="shared benchmark instances not present")
def test_brandimarte_mk01_optimum() -> None:
    solution = solve_core(read_fjsp(SHARED / "fjsp" / "brandimarte" / "Mk01.fjs"),
                          DETERMINISTIC)
    assert solution.objective == 40
