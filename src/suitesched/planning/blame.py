"""What keeps one order from fitting: the resources whose bookings are in its way, and the
orders that hold them there.

The orders that use most of an order's resources are not always the ones in its way. On a
tight weekend it is the weekend crew, booked by the feeds and harvests of orders that started
days before; for an order that needs the one tagged suite it is whoever holds that suite when
the order would use it, days after it could start. Both the greedy (an order that fits
nowhere) and fix-and-optimise (an order that ends after its due date) find those resources
by freeing bookings and putting them back while the order still fits.
"""

from __future__ import annotations

import dataclasses
from collections import defaultdict
from collections.abc import Callable

from suitesched.core.problem import CoreProblem
from suitesched.core.solution import CoreSolution
from suitesched.planning.subproblem import Book, book_from, subproblem, wanted_resources
from suitesched.solver.run import SolveParams, solve_core

ALIKE_BLAMED = 3
"""At most this many alike resources are blamed together for keeping an order out."""


def blamed_resources(kinds: dict[str, list[str]], fits_without: Callable[[list[str]], bool],
                     alike: bool = True) -> list[str] | None:
    """The resources (of ``kinds``, booked resources by kind) whose bookings keep an order
    from fitting: with every other resource's bookings kept, freeing these lets it fit
    (``fits_without``). None when even freeing every one of them does not.

    Found by putting bookings back, a whole kind of resource first, then halves of a kind,
    while the order still fits: a few one-order models. With ``alike``, a few resources
    alike to one found (any of which would do) are blamed too, which takes about as many
    models again.
    """
    blamed = [r for kind in sorted(kinds) for r in kinds[kind]]
    if not fits_without(blamed):
        return None

    def put_back(resources: list[str]) -> None:
        nonlocal blamed
        rest = [r for r in blamed if r not in resources]
        if fits_without(rest):
            blamed = rest
        elif len(resources) > 1:
            half = len(resources) // 2
            put_back(resources[:half])
            put_back(resources[half:])

    for kind in sorted(kinds):
        put_back(kinds[kind])
    if not alike:
        return sorted(blamed)
    # Where freeing any one of a few alike resources would do (two weekend crews), the
    # first found stands for all: blame each of them, kind by kind. Where many of a kind
    # would do (any of 19 incubators), the crowd says little: keep the one found.
    kind_of = {r: kind for kind, resources in kinds.items() for r in resources}
    blame = set(blamed)

    def search(resources: list[str], besides: list[str], found: list[str]) -> None:
        if len(found) > ALIKE_BLAMED or not fits_without([*besides, *resources]):
            return
        if len(resources) == 1:
            found.append(resources[0])
            return
        half = len(resources) // 2
        search(resources[:half], besides, found)
        search(resources[half:], besides, found)

    for kind in sorted({kind_of[r] for r in blamed}):
        found: list[str] = []
        search(kinds[kind], [r for r in blamed if kind_of[r] != kind], found)
        if len(found) <= ALIKE_BLAMED:
            blame |= set(found)
    return sorted(blame)


def booked_by_kind(problem: CoreProblem, group_id: str, book: Book) -> dict[str, list[str]]:
    """The resources ``group_id`` may use that ``book`` has bookings on, by kind."""
    resource_kind = {r.id: r.kind for r in problem.resources}
    kinds: dict[str, list[str]] = defaultdict(list)
    for resource in sorted(wanted_resources(problem, group_id)):
        if book.booked.get(resource):
            kinds[resource_kind[resource]].append(resource)
    return kinds


def in_the_way(problem: CoreProblem, solution: CoreSolution, group_id: str, count: int,
               params: SolveParams, staying: str | None = None) -> list[str]:
    """The ``count`` orders most in the way of ``group_id`` ending by its due date (or, when
    it is out of the plan, fitting at all), most first; empty when freeing every booking of
    its resources would not do (its QC runs are full) or when it needs nothing freed.

    The order is placed as it would be with the bookings of the resources to blame
    (:func:`blamed_resources`) freed; the orders whose bookings on those resources overlap
    that placement are in its way, ranked by how long (ties by id, for determinism). The
    bookings of the order ``staying`` are never freed, and it is never named: the order is
    placed around it. That is another way out when the first placement runs into an order
    that cannot move, such as a harvest at the end of a long expansion.

    Booked 100-order site, seed 20: an order needing the one tagged suite stayed 58 h late.
    The orders using most of its resources were the crews' other orders; those in its way
    were two holding the weekend crew the day after it arrived, and the one whose harvest
    held that suite when it would need it. With that one staying, the third order in its
    way was one whose first step took the suite a day later; freeing those three put the
    order on time and took 37 % off the plan's cost.
    """
    group = next(g for g in problem.groups if g.id == group_id)
    tasks = [t for t in problem.tasks if t.group == group_id]
    if not tasks:
        return []
    present = bool(solution.present.get(group_id))
    limit = group.due if present and group.due is not None else problem.horizon
    others = {g for g, here in solution.present.items() if here and g != group_id}
    book = book_from(problem, solution, others)
    stay = book_from(problem, solution, {staying} & others)
    single = dataclasses.replace(group, optional=True, unscheduled_cost=10**9)
    # The blame search ends on a set it has already solved: its placement is reused, not
    # solved again (the same model gives the same placement).
    placements: dict[tuple[str, ...], CoreSolution | None] = {}

    def placed_without(resources: list[str]) -> CoreSolution | None:
        key = tuple(sorted(resources))
        if key in placements:
            return placements[key]
        freed = Book(booked=defaultdict(list, book.booked), runs=book.runs)
        for resource in resources:
            freed.booked[resource] = list(stay.booked.get(resource, ()))
        sub = dataclasses.replace(subproblem(problem, [single], tasks, freed, limit),
                                  left_justified=True)
        placed = solve_core(sub, params)
        placements[key] = placed if placed.feasible and placed.present.get(group_id) else None
        return placements[key]

    if placed_without([]) is not None:
        return []
    # One set of resources to free is enough for a placement: no alike ones (half the
    # models; booked seed-10 site: 0.25-0.53 s per late order instead of 0.41-1.38 s).
    blamed = blamed_resources(booked_by_kind(problem, group_id, book),
                              lambda resources: placed_without(resources) is not None,
                              alike=False)
    placement = placed_without(blamed) if blamed else None
    if placement is None:
        return []
    bookings = _uses(problem, solution, others - {staying}, set(blamed))
    overlap: dict[str, int] = defaultdict(int)
    for (mine, first, last, _) in _uses(problem, placement, {group_id}, set(blamed)):
        for (resource, start, end, other) in bookings:
            if resource == mine and start < last and end > first:
                overlap[other] += min(end, last) - max(start, first)
    return sorted(overlap, key=lambda g: (-overlap[g], g))[:count]


def _uses(problem: CoreProblem, solution: CoreSolution, groups: set[str],
          resources: set[str]) -> list[tuple[str, int, int, str]]:
    """Each booking ``groups`` hold on ``resources`` in ``solution``: resource, start, end
    (with a suite's changeover after the hold, as it is booked) and group."""
    group_of = {t.id: t.group for t in problem.tasks}
    setup = {r.id: r.setup for r in problem.resources}
    out = []
    for task_id, result in solution.tasks.items():
        if group_of.get(task_id) in groups:
            out += [(resource, result.start, result.end, group_of[task_id])
                    for requirement in result.choice for resource, _ in requirement
                    if resource in resources]
    for hold in problem.holds:
        resource = solution.holds.get(hold.id)
        if hold.group in groups and resource in resources and hold.first in solution.tasks:
            out.append((resource, solution.tasks[hold.first].start,
                        solution.tasks[hold.last].end + setup[resource], hold.group))
    return out
