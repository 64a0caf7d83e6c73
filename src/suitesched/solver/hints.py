"""Warm start: a complete solution hint from a previous solution (CPSAT_NOTES: hints must be
complete to help). Every decision variable gets a value derived from the solution."""

from __future__ import annotations

from suitesched.core.solution import CoreSolution
from suitesched.solver.builder import CoreModel


def add_hint(built: CoreModel, hint: CoreSolution) -> None:
    """Hint presence, starts, modes, resource choices, holds and batch assignment."""
    m = built.model
    m.clear_hints()
    hinted: set[int] = set()

    def put(var, value: int) -> None:
        index = var.index
        if index in hinted or list(var.proto.domain) == [value, value]:
            return
        domain = list(var.proto.domain)
        if not any(domain[i] <= value <= domain[i + 1] for i in range(0, len(domain), 2)):
            return
        hinted.add(index)
        m.add_hint(var, value)

    for group, lit in built.present.items():
        if group in hint.present:
            put(lit, int(hint.present[group]))
    for task_id, tv in built.tasks.items():
        result = hint.tasks.get(task_id)
        if result is None:
            continue
        put(tv.start, result.start)
        put(tv.end, result.end)
        for k, lit in enumerate(tv.modes):
            put(lit, int(k == result.mode))
        for k, reqs in enumerate(tv.choices):
            for r, cands in enumerate(reqs):
                chosen = dict(result.choice[r]) if k == result.mode and r < len(
                    result.choice) else {}
                for c in cands:
                    units = chosen.get(c.resource, 0)
                    if not isinstance(c.units, int):
                        put(c.units, units)
                    put(c.used, int(units > 0))
    for hold_id, hv in built.holds.items():
        resource = hint.holds.get(hold_id)
        if resource is None:
            continue
        for resource_id, (used, _) in hv.candidates.items():
            put(used, int(resource_id == resource))
