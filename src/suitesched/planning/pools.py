"""Pool interchangeable people (CPSAT_NOTES: pooling) and name them after the solve.

Operators with the same qualifications (including expiry), the same shifts and the same
absences are interchangeable for the solver: one cumulative resource with capacity = head
count. After the solve, each pool's uses are given names by a greedy sweep in start order;
because all members share one calendar and the solver kept the pool within its head count at
every moment, a free member always exists (interval-graph colouring). ``check_plan`` verifies
the named result independently.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

from suitesched.model.scenario import Operator, Scenario


@dataclass(frozen=True)
class Pool:
    id: str
    members: tuple[str, ...]
    operator: Operator
    """A representative: every member has its skills, shifts and absences."""


def _signature(op: Operator) -> tuple:
    skills = tuple(sorted((q.skill, q.until.isoformat() if q.until else "") for q in op.skills))
    absent = tuple(sorted((w.start.isoformat(), w.end.isoformat()) for w in op.absent))
    return skills, tuple(sorted(op.shifts)), absent


def make_pools(scenario: Scenario, *, pooled: bool = True) -> list[Pool]:
    """Group interchangeable operators; with ``pooled=False`` each person is their own pool."""
    groups: dict[tuple, list[Operator]] = defaultdict(list)
    for op in scenario.operators:
        key = _signature(op) if pooled else (op.id,)
        groups[key].append(op)
    pools = []
    for members in groups.values():
        ids = tuple(sorted(o.id for o in members))
        name = ids[0] if len(ids) == 1 else f"pool[{ids[0]}+{len(ids) - 1}]"
        pools.append(Pool(name, ids, members[0]))
    return sorted(pools, key=lambda p: p.members)


@dataclass(frozen=True)
class PoolUse:
    """``units`` people of a pool busy over ``[start, end)`` for the use ``key``."""

    pool: str
    start: int
    end: int
    units: int
    key: str


def name_people(pools: list[Pool], uses: list[PoolUse], *,
                fixed: dict[str, tuple[str, ...]] | None = None,
                preferred: dict[str, tuple[str, ...]] | None = None,
                ) -> dict[tuple[str, str], list[str]]:
    """Give each use its named people: (key, pool) -> member ids, greedy in start order.

    In a re-plan, ``fixed`` names (use key -> people) are kept as they are: they belong to
    work that started before ``now``, so they come first in start order and the sweep stays
    exact. ``preferred`` names (work kept from the previous plan) are taken when free.
    """
    fixed = fixed or {}
    preferred = preferred or {}
    members = {p.id: p.members for p in pools}
    busy_until: dict[str, int] = {}
    named: dict[tuple[str, str], list[str]] = {}
    for use in sorted(uses, key=lambda u: (u.start, u.end, u.key, u.pool)):
        if use.key in fixed:
            chosen = [m for m in fixed[use.key] if m in members[use.pool]]
        else:
            free = [m for m in members[use.pool] if busy_until.get(m, -(10**9)) <= use.start]
            if len(free) < use.units:
                raise RuntimeError(
                    f"pool {use.pool} over capacity at tick {use.start}: the solver broke the "
                    "head count (internal error)")
            liked = set(preferred.get(use.key, ()))
            free.sort(key=lambda m: m not in liked)
            chosen = free[: use.units]
        for m in chosen:
            busy_until[m] = max(busy_until.get(m, -(10**9)), use.end)
        named[(use.key, use.pool)] = chosen
    return named
