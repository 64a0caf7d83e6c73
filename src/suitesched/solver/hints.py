"""Warm start: a *complete* solution hint (CPSAT_NOTES: partial hints barely help).

Every variable of the model gets a value derived from a previous solution: presence, starts,
ends, modes, resource choices and units, holds and their sizes, batch slots and assignments,
and the objective's auxiliary variables. Values outside a variable's domain are skipped (the
hint is then partial, never invalid).
"""

from __future__ import annotations

from ortools.sat.python import cp_model

from suitesched.core.solution import CoreSolution, RunResult
from suitesched.solver.builder import CoreModel


class _Hinter:
    """Collects the hint's (variable, value) pairs and writes them to the model at once.

    A move's model gets a hint on every one of its ~1,700 variables, a few hundred times in
    a 60 s run. Through ``CpModel.add_hint`` one by one, each domain read back as a list,
    that took 17 ms a model (booked 100-order site), about as long as building the model; now
    6 ms (RESULTS.md). The pairs, their order and the domain checks are the same either way."""

    def __init__(self, built: CoreModel) -> None:
        self.model = built.model
        self.done: set[int] = set()
        self.indices: list[int] = []
        self.values: list[int] = []

    def put(self, var: cp_model.IntVar | int, value: int) -> None:
        if isinstance(var, int):
            return
        index = var.index
        if index in self.done or not _worth_hinting(var, value):
            return
        self.done.add(index)
        self.indices.append(index)  # variables only: a negated literal has no domain to check
        self.values.append(int(value))

    def write(self) -> None:
        """Add the collected pairs to the model's hint."""
        hint = self.model.proto.solution_hint
        hint.vars.extend(self.indices)
        hint.values.extend(self.values)


def _worth_hinting(var: cp_model.IntVar, value: int) -> bool:
    """Whether ``value`` is in the domain of ``var`` and that domain is not the one value
    (a fixed variable needs no hint)."""
    domain = var.proto.domain
    if len(domain) == 2:
        lo, hi = domain[0], domain[1]
        return lo <= value <= hi and lo != hi
    return _in(list(domain), value)


def _in(bounds: list[int], value: int) -> bool:
    """Whether ``value`` is in a domain given as its flat list of interval bounds."""
    return any(bounds[i] <= value <= bounds[i + 1] for i in range(0, len(bounds), 2))


def add_hint(built: CoreModel, hint: CoreSolution) -> None:
    """Hint every variable of ``built`` from ``hint``."""
    built.model.clear_hints()
    h = _Hinter(built)
    for group, lit in built.present.items():
        h.put(lit, int(hint.present.get(group, False)))
    _tasks(built, hint, h)
    _holds(built, hint, h)
    _batches(built, hint, h)
    _objective(built, hint, h)
    h.write()


def _tasks(built: CoreModel, hint: CoreSolution, h: _Hinter) -> None:
    for task_id, tv in built.tasks.items():
        result = hint.tasks.get(task_id)
        if result is None:
            for lit in tv.modes:
                h.put(lit, 0)
            for reqs in tv.choices:
                for cands in reqs:
                    for c in cands:
                        h.put(c.units, 0)
                        h.put(c.used, 0)
            continue
        h.put(tv.start, result.start)
        h.put(tv.end, result.end)
        for k, lit in enumerate(tv.modes):
            h.put(lit, int(k == result.mode))
        for k, reqs in enumerate(tv.choices):
            for r, cands in enumerate(reqs):
                chosen = dict(result.choice[r]) if k == result.mode and r < len(
                    result.choice) else {}
                for c in cands:
                    units = chosen.get(c.resource, 0)
                    h.put(c.units, units)
                    h.put(c.used, int(units > 0))


def _holds(built: CoreModel, hint: CoreSolution, h: _Hinter) -> None:
    holds = {hold.id: hold for hold in built.problem.holds}
    for hold_id, hv in built.holds.items():
        resource = hint.holds.get(hold_id)
        hold = holds[hold_id]
        first, last = hint.tasks.get(hold.first), hint.tasks.get(hold.last)
        for resource_id, (used, _) in hv.candidates.items():
            h.put(used, int(resource_id == resource))
            size, setup = built.hold_sizes[(hold_id, resource_id)]
            if first is not None and last is not None:
                h.put(size, last.end + setup - first.start)


def _batches(built: CoreModel, hint: CoreSolution, h: _Hinter) -> None:
    by_family: dict[str, list[RunResult]] = {}
    for run in hint.runs:
        by_family.setdefault(run.family, []).append(run)
    for family in built.problem.batches:
        bv = built.batches[family.id]
        # The hint holds every run of the plan; a move's model only this family's fixed runs
        # and a few free slots: look the fixed ones up by id, read the slots' domains once.
        fixed_slot: dict[str, int] = {}
        for r, rv in enumerate(bv.runs):
            if rv.fixed:
                fixed_slot.setdefault(rv.id, r)
        free = [(r, rv) for r, rv in enumerate(bv.runs) if not rv.fixed]
        free_domains = {r: list(rv.start.proto.domain) for r, rv in free}
        slot_of_member: dict[str, int] = {}
        taken: set[int] = set()
        for run in sorted(by_family.get(family.id, []), key=lambda r: (r.start, r.id)):
            slot = fixed_slot.get(run.id)
            if slot is None:
                slot = next((r for r, _ in free
                             if r not in taken and _in(free_domains[r], run.start)), None)
            if slot is None:
                continue
            taken.add(slot)
            rv = bv.runs[slot]
            h.put(rv.active, 1)
            h.put(rv.start, run.start)
            chosen = dict(run.choice)
            for c in rv.choices:
                h.put(c.units, chosen.get(c.resource, 0))
                h.put(c.used, int(chosen.get(c.resource, 0) > 0))
            for member in run.members:
                slot_of_member[member] = slot
        for r, rv in free:
            if r not in taken:
                h.put(rv.active, 0)
                h.put(rv.start, free_domains[r][0])
                for c in rv.choices:
                    h.put(c.units, 0)
                    h.put(c.used, 0)
        for member, options in bv.assign.items():
            for r, lit in options.items():
                h.put(lit, int(slot_of_member.get(member) == r))


def _objective(built: CoreModel, hint: CoreSolution, h: _Hinter) -> None:
    for group in built.problem.groups:
        if group.end_task is None:
            continue
        end = hint.tasks.get(group.end_task)
        present = hint.present.get(group.id, False)
        if group.id in built.late:
            value = max(0, end.end - group.due) if present and end and group.due is not None else 0
            h.put(built.late[group.id], value)
        if group.id in built.flow:
            value = max(0, end.end - group.flow_origin) if present and end and \
                group.flow_origin is not None else 0
            h.put(built.flow[group.id], value)
    tasks = {t.id: t for t in built.problem.tasks}
    for task_id, (dev, moved) in built.deviation.items():
        result = hint.tasks.get(task_id)
        ref = tasks[task_id].reference_start
        value = abs(result.start - ref) if result is not None and ref is not None else 0
        h.put(dev, value)
        if moved is not None:
            h.put(moved, int(value > 0))
    if built.makespan is not None:
        h.put(built.makespan, max((t.end for t in hint.tasks.values()), default=0))
