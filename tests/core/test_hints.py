"""The warm start: a plan hinted into a model is that plan, variable for variable."""

from __future__ import annotations

from types import SimpleNamespace

from ortools.sat.python import cp_model

from helpers import order, qc_site, scenario
from suitesched.planning.compile import compile_scenario
from suitesched.planning.solve import plan_core
from suitesched.solver.builder import CoreModel
from suitesched.solver.hints import _Hinter, add_hint
from suitesched.solver.run import SolveParams, configure, read_solution


def _hint_pairs(model: cp_model.CpModel) -> list[tuple[int, int]]:
    hint = model.proto.solution_hint
    return list(zip(hint.vars, hint.values, strict=True))


def test_a_plan_hinted_and_fixed_is_solved_back_to_the_same_plan() -> None:
    # Three orders on one suite, with their QC runs: every task, suite hold and run of the
    # plan must come back when the model may do nothing but follow the hint.
    orders = [order("A"), order("B", arrival="2026-12-07T09:00"),
              order("C", arrival="2026-12-08T07:00")]
    sc = scenario(qc_site(capacity=2), orders)
    compiled = compile_scenario(sc, sc.horizon.start)
    plan = plan_core(compiled, time_limit=None, workers=1, seed=0, max_deterministic_time=5.0)
    assert all(plan.present.values()) and plan.runs
    built = CoreModel(compiled.problem).build()
    add_hint(built, plan)
    solver = cp_model.CpSolver()
    configure(solver, SolveParams(time_limit=None, workers=1, seed=0,
                                  max_deterministic_time=5.0))
    solver.parameters.fix_variables_to_their_hinted_value = True
    status = solver.solve(built.model)
    assert status in (cp_model.OPTIMAL, cp_model.FEASIBLE)
    again = read_solution(built, solver, status, 0.0, 1.0, 0)
    assert again.tasks == plan.tasks
    assert again.holds == plan.holds
    assert sorted((r.family, r.start, r.members) for r in again.runs) == sorted(
        (r.family, r.start, r.members) for r in plan.runs)


def test_a_variable_is_hinted_once_inside_its_domain_and_a_fixed_one_not_at_all() -> None:
    model = cp_model.CpModel()
    x = model.new_int_var_from_domain(cp_model.Domain.from_intervals([[0, 3], [7, 9]]), "x")
    y = model.new_int_var(0, 10, "y")
    fixed = model.new_constant(4)
    flag = model.new_bool_var("flag")

    # The hinter reads one attribute of a CoreModel: its model.
    hinter = _Hinter(SimpleNamespace(model=model))  # type: ignore[arg-type]
    hinter.put(x, 5)  # in the gap of x's domain: skipped
    hinter.put(x, 8)
    hinter.put(x, 1)  # x was hinted already: the first value stays
    hinter.put(y, 11)  # outside y's domain: skipped
    hinter.put(fixed, 4)  # needs no hint
    hinter.put(3, 3)  # a constant, not a variable
    hinter.put(flag, 0)
    hinter.write()
    assert _hint_pairs(model) == [(x.index, 8), (flag.index, 0)]
