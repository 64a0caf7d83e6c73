"""The generic core on textbook instances with known optima (no site model involved)."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from suitesched.core import Candidate, CoreProblem, Group, Lag, Mode, Requirement, Resource, Task
from suitesched.core.evaluate import objective_value
from suitesched.core.instances import (
    InstanceError,
    parse_instance,
    read_fjsp,
    read_instance,
    read_jobshop,
)
from suitesched.core.solution import TaskResult
from suitesched.solver import MAKESPAN_SEARCH, SolveParams, solve_core

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
    # Neighbourhood search only (what benchmarks/fjsp.py uses) finds it too.
    params = dataclasses.replace(DETERMINISTIC, extra=MAKESPAN_SEARCH)
    assert solve_core(read_jobshop(path), params).objective == 55


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


def _two_jobs(left_justified: bool = False) -> CoreProblem:
    modes = (Mode(3, (Requirement(1, (Candidate("M0"),)),)),
             Mode(5, (Requirement(1, (Candidate("M1"),)),)))
    return CoreProblem(
        horizon=20, resources=(Resource("M0"), Resource("M1")),
        groups=(Group("J0", optional=False), Group("J1", optional=False)),
        tasks=(Task("J0.0", "J0", modes), Task("J1.0", "J1", modes)), makespan_cost=1,
        left_justified=left_justified)


@pytest.mark.parametrize("left_justified", [False, True])
def test_objective_below_admits_only_cheaper_plans(left_justified: bool) -> None:
    # Optimum 5 (see above). Below 6 it is found; below 5 there is no plan at all - also
    # under the left-justifying tie-break, whose objective is the cost times a scale.
    problem = _two_jobs(left_justified)
    found = solve_core(problem, DETERMINISTIC, objective_below=6)
    assert found.status == "OPTIMAL"
    assert found.objective == 5
    assert solve_core(problem, DETERMINISTIC, objective_below=5).status == "INFEASIBLE"


def test_makespan_is_evaluated_over_the_problems_own_tasks() -> None:
    # A sub-problem's warm start holds the whole plan; a task of another order ending later
    # must not count toward the sub-problem's makespan (the cut-off of a move relies on it).
    problem = _two_jobs()
    solution = solve_core(problem, DETERMINISTIC)
    solution.tasks["other.0"] = TaskResult(0, 19, 0, ())
    assert objective_value(problem, solution) == 5


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


FJSP_TWO_JOBS = """2 2 1.5
2 1 1 3 2 1 4 2 5
1 2 1 2 2 6
"""


def test_the_header_tells_a_job_shop_from_a_flexible_one(tmp_path: Path) -> None:
    shop, flexible = tmp_path / "ft06.txt", tmp_path / "two.fjs"
    shop.write_text(FT06)
    flexible.write_text(FJSP_TWO_JOBS)
    jobs, machines = parse_instance(shop)
    assert (len(jobs), machines) == (6, 6)
    assert jobs[0][:2] == [[(2, 1)], [(0, 3)]]  # one machine per operation, numbered from 0
    jobs, machines = parse_instance(flexible)
    assert machines == 2
    assert jobs == [[[(0, 3)], [(0, 4), (1, 5)]], [[(0, 2), (1, 6)]]]
    assert solve_core(read_instance(flexible), DETERMINISTIC).objective == 7


@pytest.mark.parametrize(("text", "says"), [
    ("\n".join(FT06.splitlines()[:-1]), "holds 72 numbers after its header, this file 60"),
    (FT06.replace("2 1 0 3", "2 1 9 3"), "job 1, operation 2: machine 9 is not among 0..5"),
    (FJSP_TWO_JOBS.replace("2 2 6", "2 3 6"), "job 2, operation 1: machine 3 is not among 1..2"),
    (FJSP_TWO_JOBS.rsplit("\n", 2)[0], "the file ends before job 2"),
    (FJSP_TWO_JOBS + "7 7\n", "2 numbers after the last of its 2 jobs"),
    ("sdata: a README\n", "'sdata:' is not a number"),
])
def test_a_file_that_is_no_instance_says_where(tmp_path: Path, text: str, says: str) -> None:
    path = tmp_path / "broken.txt"
    path.write_text(text)
    with pytest.raises(InstanceError) as raised:
        parse_instance(path)
    assert str(path) in str(raised.value) and says in str(raised.value)
