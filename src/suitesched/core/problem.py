"""Data of the generic scheduling problem, in integer ticks.

Conventions: every time is an integer tick; spans are half-open ``[start, end)``; ids are
strings and unique within their kind. A *group* is a job that is scheduled as a whole or not at
all (an order); every task, hold and batch member belongs to one group.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

Tick = int
Span = tuple[Tick, Tick]


@dataclass(frozen=True)
class Resource:
    """A renewable resource: a unit of capacity ``capacity`` with a calendar.

    ``unavailable`` spans block the whole capacity (down time, off shift). ``setup`` is the gap
    a unary resource needs between two holds of different groups (a suite's changeover).
    ``kind`` is a free label for reporting (``suite``, ``equipment``, ``people``, ``machine``).
    """

    id: str
    capacity: int = 1
    unavailable: tuple[Span, ...] = ()
    setup: Tick = 0
    kind: str = "resource"
    booked: tuple[tuple[Tick, Tick, int], ...] = ()
    """Capacity already taken by work outside the problem: ``(start, end, units)``."""


@dataclass(frozen=True)
class Candidate:
    """A resource that may serve a requirement; ``latest_end`` bounds the task's end when used
    (an expiring qualification)."""

    resource: str
    latest_end: Tick | None = None


@dataclass(frozen=True)
class Requirement:
    """``amount`` units in total drawn from the candidates, for the whole task (or, when
    ``duration`` is set, for that long from the task's start)."""

    amount: int
    candidates: tuple[Candidate, ...]
    duration: Tick | None = None
    label: str = ""


@dataclass(frozen=True)
class Mode:
    """One way to do a task: its duration and what it needs."""

    duration: Tick
    requirements: tuple[Requirement, ...] = ()


@dataclass(frozen=True)
class Task:
    """An operation. Exactly one mode is used when the task's group is scheduled.

    ``allowed_starts`` restricts the start to a union of spans (start windows); ``fixed_start``
    and ``fixed_choice`` (resource id -> units, per requirement index) freeze it; ``reference``
    is the previous plan's start and resources, for the change penalty and warm start.
    """

    id: str
    group: str
    modes: tuple[Mode, ...]
    earliest_start: Tick = 0
    latest_start: Tick | None = None
    latest_end: Tick | None = None
    allowed_starts: tuple[Span, ...] | None = None
    fixed_start: Tick | None = None
    fixed_mode: int | None = None
    fixed_choice: tuple[tuple[tuple[str, int], ...], ...] | None = None
    reference_start: Tick | None = None
    reference_choice: tuple[tuple[tuple[str, int], ...], ...] | None = None


@dataclass(frozen=True)
class Lag:
    """``start(succ) >= ref(pred) + min`` and, if ``max`` is set, ``<= ref(pred) + max``;
    ``ref`` is the predecessor's start or end."""

    pred: str
    succ: str
    from_: Literal["start", "end"] = "end"
    min: Tick = 0
    max: Tick | None = None


@dataclass(frozen=True)
class Hold:
    """A unary resource held from the start of ``first`` to the end of ``last`` (plus the
    resource's setup). Holds with the same ``choice_key`` use the same resource (same suite)."""

    id: str
    group: str
    first: str
    last: str
    candidates: tuple[str, ...]
    choice_key: str | None = None
    fixed_resource: str | None = None
    reference_resource: str | None = None


@dataclass(frozen=True)
class BatchMember:
    """A sample: released at the end of task ``after`` (or at ``release`` if given), must join a
    run starting within ``max_age`` of its release; task ``before`` starts after that run ends.
    """

    id: str
    group: str
    after: str | None
    before: str | None
    max_age: Tick | None = None
    release: Tick | None = None
    fixed_run: str | None = None


@dataclass(frozen=True)
class FixedRun:
    """A run that already exists (frozen): its start and the members already in it."""

    id: str
    start: Tick
    members: tuple[str, ...]
    choice: tuple[tuple[str, int], ...] = ()
    closed: bool = True
    """A closed run takes no new members; an open one takes more up to the capacity."""


@dataclass(frozen=True)
class BatchFamily:
    """Runs of one kind (an assay): fixed duration, up to ``capacity`` members each, starting
    inside ``allowed_starts``; each run needs ``requirement`` (analysts) from its start."""

    id: str
    duration: Tick
    capacity: int
    members: tuple[BatchMember, ...]
    requirement: Requirement | None = None
    allowed_starts: tuple[Span, ...] | None = None
    max_runs: int | None = None
    fixed_runs: tuple[FixedRun, ...] = ()
    slot_spans: tuple[Span, ...] | None = None
    slots_per_span: int = 1
    """With ``slot_spans`` (e.g. the days), run slots are created per span, each starting
    inside its span: a far smaller model than ``len(members)`` free slots on long horizons."""


@dataclass(frozen=True)
class Group:
    """A job scheduled whole or not at all; ``optional=False`` makes it mandatory.

    Objective data: ``unscheduled_cost`` if left out; with ``due`` and ``end_task``,
    ``tardiness_cost`` per tick of ``end(end_task) - due``; ``flow_cost`` per tick of
    ``end(end_task) - flow_origin``.
    """

    id: str
    optional: bool = True
    unscheduled_cost: int = 0
    end_task: str | None = None
    due: Tick | None = None
    tardiness_cost: int = 0
    flow_origin: Tick | None = None
    flow_cost: int = 0
    reference_present: bool | None = None


@dataclass(frozen=True)
class CoreProblem:
    """The whole problem. ``horizon`` is the last tick anything may occupy."""

    horizon: Tick
    resources: tuple[Resource, ...]
    groups: tuple[Group, ...]
    tasks: tuple[Task, ...]
    lags: tuple[Lag, ...] = ()
    holds: tuple[Hold, ...] = ()
    batches: tuple[BatchFamily, ...] = ()
    makespan_cost: int = 0
    change_cost: int = 0
    move_cost_per_tick: int = 0
    names: dict[str, str] = field(default_factory=dict)
    left_justified: bool = False
    """Among plans of equal cost, prefer fewer new batch runs, then earlier starts. The tie-break
    never outweighs one unit of cost. An insertion heuristic needs it: which of many equally
    good placements an order takes decides what the orders after it can still use."""
