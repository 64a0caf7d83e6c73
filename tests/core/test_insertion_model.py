"""The one-order insertion model: what it may leave out, and how it breaks ties."""

from __future__ import annotations

import dataclasses

from ortools.sat.python import cp_model

from suitesched.core import Candidate, CoreProblem, Group, Lag, Mode, Requirement, Resource, Task
from suitesched.core.problem import BatchFamily, BatchMember, FixedRun
from suitesched.core.solution import CoreSolution, TaskResult
from suitesched.planning.subproblem import Book, subproblem, task_reach
from suitesched.solver import SolveParams, solve_core
from suitesched.solver.builder import CoreModel
from suitesched.solver.hints import add_hint
from suitesched.solver.run import configure, read_solution

EXACT = SolveParams(time_limit=60, workers=1, max_deterministic_time=10.0)


def _needs(resource: str, duration: int) -> Mode:
    return Mode(duration, (Requirement(1, (Candidate(resource),)),))


def _two_steps(latest_start: int | None = None) -> CoreProblem:
    """Step ``a`` on the suite S (within 5 ticks of its release when ``latest_start``), then
    ``b`` on the reviewer Q, 20 to 30 ticks after ``a`` ends."""
    return CoreProblem(
        horizon=200, resources=(Resource("S"), Resource("Q")),
        groups=(Group("J", optional=False, end_task="b", flow_origin=0, flow_cost=1),),
        tasks=(Task("a", "J", (_needs("S", 10),), earliest_start=0, latest_start=latest_start),
               Task("b", "J", (_needs("Q", 5),))),
        lags=(Lag("a", "b", "end", 20, 30),))


def test_reach_follows_lags_both_ways() -> None:
    problem = _two_steps(latest_start=5)
    reach = task_reach(list(problem.tasks), list(problem.lags), [], problem.horizon)
    assert reach["a"] == (0, 15)  # starts by 5, lasts 10
    assert reach["b"] == (30, 50)  # 20..30 after a's end (10..15), lasts 5


def test_bookings_outside_a_resources_reach_are_left_out_and_those_inside_kept() -> None:
    problem = _two_steps(latest_start=5)
    book = Book()
    book.booked["Q"] += [(0, 25, 1), (40, 45, 1)]  # before b can start / where it could be
    book.booked["S"] += [(100, 120, 1)]  # long after a's stability window
    sub = subproblem(problem, list(problem.groups), list(problem.tasks), book, problem.horizon)
    booked = {r.id: r.booked for r in sub.resources}
    assert booked["Q"] == ((40, 45, 1),)
    assert booked["S"] == ()
    # Leaving them out changes nothing: b avoids the one that matters.
    solution = solve_core(sub, EXACT)
    b = solution.tasks["b"]
    assert b.end <= 40 or b.start >= 45


def _floating_first_step() -> CoreProblem:
    """``b`` can only start at 100 (its reviewer is away before), so ``a`` may start
    anywhere from 0 to 70 at the same cost."""
    return CoreProblem(
        horizon=200, resources=(Resource("S"), Resource("Q", unavailable=((0, 100),))),
        groups=(Group("J", optional=False, end_task="b", flow_origin=0, flow_cost=1),),
        tasks=(Task("a", "J", (_needs("S", 10),)), Task("b", "J", (_needs("Q", 5),))),
        lags=(Lag("a", "b", "end", 20, None),))


def _solved(problem: CoreProblem, fixed: CoreSolution | None = None
            ) -> tuple[int, CoreSolution]:
    """The solver's own objective (cost times the tie-break scale, plus the tie-break) and
    the solution read back; with ``fixed``, of that very plan in the same model."""
    built = CoreModel(problem).build()
    solver = cp_model.CpSolver()
    configure(solver, EXACT)
    if fixed is not None:
        add_hint(built, fixed)
        solver.parameters.fix_variables_to_their_hinted_value = True
    status = solver.solve(built.model)
    assert status == cp_model.OPTIMAL
    return round(solver.objective_value), read_solution(built, solver, status, 0.0, 1.0, 0)


def test_left_justified_ties_start_as_early_as_they_can() -> None:
    problem = dataclasses.replace(_floating_first_step(), left_justified=True)
    best_raw, best = _solved(problem)
    late = CoreSolution(status="FEASIBLE", objective=None, bound=None, wall_seconds=0.0)
    late.present = {"J": True}
    late.tasks = {"a": TaskResult(60, 70, 0, ((("S", 1),),)),
                  "b": TaskResult(100, 105, 0, ((("Q", 1),),))}
    late_raw, late_read = _solved(problem, fixed=late)
    assert best.objective == late_read.objective == 105  # the same cost ...
    assert best_raw < late_raw  # ... but the later start loses the tie
    assert best.tasks["a"].start == 0


def test_left_justified_ties_join_an_open_run_rather_than_open_a_new_one() -> None:
    # A sample taken at the end of ``a`` may join the open run at 20 (one sample in it
    # already) or a new run starting at 20 too; both release ``b`` equally early.
    family = BatchFamily(
        "assay", duration=10, capacity=2,
        members=(BatchMember("J/s", "J", after="a", before="b"),),
        fixed_runs=(FixedRun("open", 20, ("other",), closed=False),), max_runs=1)
    problem = CoreProblem(
        horizon=100, resources=(Resource("S"),),
        groups=(Group("J", optional=False, end_task="b", flow_origin=0, flow_cost=1),),
        tasks=(Task("a", "J", (_needs("S", 10),), earliest_start=10),
               Task("b", "J", (Mode(5),))),
        batches=(family,), left_justified=True)
    closed = dataclasses.replace(problem, batches=(dataclasses.replace(
        family, fixed_runs=(FixedRun("open", 20, ("other",), closed=True),)),))
    open_raw, joined = _solved(problem)
    closed_raw, opened = _solved(closed)
    assert joined.objective == opened.objective == 35
    assert open_raw < closed_raw
    assert [(r.id, r.start) for r in joined.runs] == [("open", 20)]
    assert [r.start for r in opened.runs if r.id != "open"] == [20]
