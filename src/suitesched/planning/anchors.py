"""What a re-plan holds on to from the previous plan, in the core's terms.

A previous plan anchors the new one three ways:

* *fixed* operations and QC runs keep their times and resources exactly: work that started
  before ``now`` (frozen, SPEC §4.1.10) and work inside the freeze window that still fits;
* *reference* placements of everything else planned before: the change term of SPEC §4.3
  prices moving them, and they warm-start the solver;
* *retests* add one QC sample each, released when the retest was asked for.

The compiler (:mod:`suitesched.planning.compile`) reads an :class:`Anchors`; extraction
(:mod:`suitesched.planning.extract`) writes fixed work back with its recorded times and people.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

PoolUnits = tuple[tuple[str, int], ...]
"""Pool id -> number of its people, as the solver sees a requirement."""


@dataclass(frozen=True)
class Placement:
    """Where and when an operation is (or was planned), in ticks and named resources."""

    start: int
    end: int
    suite: str | None
    equipment: str | None
    people: PoolUnits
    names: tuple[str, ...]
    start_time: datetime
    end_time: datetime


@dataclass(frozen=True)
class RunPlacement:
    """A QC run held from the previous plan: its id, start, samples (member ids) and people."""

    run_id: str
    assay: str
    start: int
    end: int
    members: tuple[str, ...]
    people: PoolUnits
    names: tuple[str, ...]
    start_time: datetime
    end_time: datetime
    closed: bool
    """A run that has started takes no new samples; a kept future run may take more."""


@dataclass(frozen=True)
class RetestSample:
    """One more sample of ``assay`` for ``order``, available from tick ``release``."""

    member_id: str
    order_id: str
    assay: str
    release: int


@dataclass
class Anchors:
    fixed: dict[str, Placement] = field(default_factory=dict)
    """Task id -> placement kept exactly."""
    frozen: set[str] = field(default_factory=set)
    """Task ids (and run ids) of work that started before ``now``: ``frozen`` in the plan."""
    reference: dict[str, Placement] = field(default_factory=dict)
    """Task id -> previous placement of work free to move."""
    runs: dict[str, list[RunPlacement]] = field(default_factory=dict)
    """Assay -> runs kept exactly."""
    reference_runs: list[RunPlacement] = field(default_factory=list)
    """Other runs of the previous plan (samples of orders still standing), for the warm start."""
    retests: list[RetestSample] = field(default_factory=list)
    mandatory: set[str] = field(default_factory=set)
    """Orders with frozen work: they cannot be dropped."""
    deadlines: dict[str, int] = field(default_factory=dict)
    """Order -> its previous release tick: orders no event touched stay in the plan and are
    never released later by a re-plan (a repair leaves nobody worse off)."""
