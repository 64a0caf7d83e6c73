"""Run CP-SAT on a core problem and read the solution back into plain data."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field

from ortools.sat.python import cp_model

from suitesched.core.problem import CoreProblem
from suitesched.core.solution import CoreSolution, RunResult, TaskResult
from suitesched.solver.builder import CoreModel
from suitesched.solver.hints import add_hint


@dataclass(frozen=True)
class Progress:
    """One progress report: a new incumbent or a bound move."""

    solutions: int
    objective: float | None
    bound: float | None
    elapsed: float

    @property
    def gap(self) -> float | None:
        if self.objective is None or self.bound is None:
            return None
        if abs(self.objective) < 1e-9:
            return 0.0
        return max(0.0, (self.objective - self.bound) / abs(self.objective))


ProgressCallback = Callable[[Progress], None]


MAKESPAN_SEARCH: dict[str, object] = {"use_lns_only": True}
"""CP-SAT settings for a pure makespan shop (the job shops of ``benchmarks/fjsp.py``): both
workers search neighbourhoods of the incumbent.

With 2 workers CP-SAT's defaults run one full search and interleave everything else on the
other core: about 70 neighbourhood searches in 30 s on Brandimarte Mk10, nearly all of them
improving. Giving both cores to them found shorter schedules (Mk10 at 30 s, 2 workers: 213-219
over seeds 0-3, against 220-228 over seeds 0-4 with the defaults; benchmarks/RESULTS.md); the
price is a weaker bound and fewer proofs of optimality (Mk09: 307 proven in 11 s with the
defaults, found but not proven in 30 s without). The site model keeps the defaults: its large
sites are planned by fix-and-optimise, not by one search, and small ones need the proof."""


@dataclass(frozen=True)
class SolveParams:
    """Solver options shared by every planning command (SPEC §5: ``--time-limit`` …).

    With ``max_deterministic_time`` set, the search is interleaved on one thread so that the
    same input, seed and workers give the same plan (SPEC §8).
    """

    time_limit: float | None = 30.0
    workers: int = 2
    seed: int = 0
    max_deterministic_time: float | None = None
    log_search: bool = False
    extra: dict[str, object] = field(default_factory=dict)

    @property
    def deterministic(self) -> bool:
        return self.max_deterministic_time is not None


class _Callback(cp_model.CpSolverSolutionCallback):
    def __init__(self, progress: ProgressCallback | None, scale: float) -> None:
        super().__init__()
        self.progress = progress
        self.scale = scale
        self.count = 0
        self.started = time.monotonic()

    def on_solution_callback(self) -> None:
        self.count += 1
        if self.progress is not None:
            self.progress(Progress(self.count, self.objective_value / self.scale,
                                   self.best_objective_bound / self.scale,
                                   time.monotonic() - self.started))


def configure(solver: cp_model.CpSolver, params: SolveParams) -> None:
    p = solver.parameters
    p.num_workers = max(1, params.workers)
    p.random_seed = params.seed
    if params.time_limit is not None:
        p.max_time_in_seconds = float(params.time_limit)
    if params.max_deterministic_time is not None:
        p.max_deterministic_time = float(params.max_deterministic_time)
        # One worker is deterministic on its own; more are made so by interleaving.
        p.interleave_search = params.workers > 1
    p.log_search_progress = params.log_search
    for key, value in params.extra.items():
        setattr(p, key, value)
    if p.interleave_search and p.cp_model_probing_level == 0:
        # OR-Tools 9.15 aborts the process ("Check failed: heuristics.fixed_search != nullptr")
        # on some interleaved searches without probing (found by fuzzing re-plans); one level
        # of probing avoids it at little cost.
        p.cp_model_probing_level = 1


def solve_core(
    problem: CoreProblem,
    params: SolveParams | None = None,
    *,
    progress: ProgressCallback | None = None,
    hint: CoreSolution | None = None,
    objective_scale: float = 1.0,
    log_callback: Callable[[str], None] | None = None,
    objective_below: int | None = None,
) -> CoreSolution:
    """Solve a core problem; ``objective``/``bound`` are divided by ``objective_scale``.

    With ``objective_below`` (in the problem's own cost units) only plans that cost less are
    solutions: the status is INFEASIBLE when CP-SAT proves there is none. A neighbourhood
    move needs nothing else, and the cut-off lets presolve and search discard placements no
    better than the incumbent from the start: fix-and-optimise moves captured from 60 s runs
    were solved about a third faster to the same placements (benchmarks/RESULTS.md)."""
    params = params or SolveParams()
    built = CoreModel(problem).build()
    if objective_below is not None:
        # cost < below  <=>  cost * tie_scale + tie_break <= below * tie_scale - 1, as the
        # tie-break stays below tie_scale.
        built.model.add(built.objective <= objective_below * built.tie_scale - 1)
    if hint is not None:
        add_hint(built, hint)
    solver = cp_model.CpSolver()
    configure(solver, params)
    if log_callback is not None:
        solver.parameters.log_search_progress = True
        solver.log_callback = log_callback
    callback = _Callback(progress, objective_scale)
    started = time.monotonic()
    status = solver.solve(built.model, callback)
    wall = time.monotonic() - started
    return read_solution(built, solver, status, wall, objective_scale, callback.count)


def read_solution(
    built: CoreModel,
    solver: cp_model.CpSolver,
    status: int,
    wall: float,
    scale: float,
    count: int,
) -> CoreSolution:
    name = solver.status_name(status)
    solution = CoreSolution(status=name, objective=None, bound=None, wall_seconds=wall,
                            deterministic_time=solver.deterministic_time,
                            solutions_found=count)
    if status not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
        return solution
    # Under a tie-break the solver's objective is the cost times ``tie_scale`` plus the tie-break.
    solution.objective = (solver.objective_value // built.tie_scale) / scale
    solution.bound = (solver.best_objective_bound // built.tie_scale) / scale
    for group, lit in built.present.items():
        solution.present[group] = bool(solver.value(lit))
    for task_id, tv in built.tasks.items():
        if not solver.value(tv.present):
            continue
        mode = next(k for k, lit in enumerate(tv.modes) if solver.value(lit))
        choice = tuple(
            tuple((c.resource, int(solver.value(c.units))) for c in cands
                  if solver.value(c.units))
            for cands in tv.choices[mode]
        )
        solution.tasks[task_id] = TaskResult(solver.value(tv.start), solver.value(tv.end),
                                             mode, choice)
    for hold_id, hv in built.holds.items():
        for resource_id, (used, _) in hv.candidates.items():
            if solver.value(used):
                solution.holds[hold_id] = resource_id
    for family in built.problem.batches:
        bv = built.batches[family.id]
        for r, run in enumerate(bv.runs):
            if not solver.value(run.active):
                continue
            members = tuple(m for m, options in bv.assign.items()
                            if r in options and solver.value(options[r]))
            start = solver.value(run.start)
            choice = tuple((c.resource, int(solver.value(c.units))) for c in run.choices
                           if solver.value(c.units))
            solution.runs.append(RunResult(run.id, family.id, start, start + family.duration,
                                           members, choice))
    for term, items in built.terms.items():
        value = sum(c * solver.value(v) for c, v in items) + built.constant_terms.get(term, 0)
        solution.terms[term] = value / scale
    return solution
