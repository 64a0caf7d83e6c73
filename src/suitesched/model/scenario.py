"""The scenario: a site (suites, equipment, people, assays, processes) and its orders.

Built once from validated input and immutable afterwards (frozen pydantic models, tuples).
Field-level checks live on the fields; cross-references (unknown skill, cycle in ``after``,
duplicate ids, …) are collected by :func:`site_problems` and :func:`order_problems` so that every
problem is reported at once, each with its key path (SPEC §2.3).
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, date, datetime, timedelta
from functools import cached_property
from typing import Annotated, Literal
from zoneinfo import ZoneInfo

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, field_validator, model_validator

from suitesched.model import limits
from suitesched.model.values import (
    WEEKDAYS,
    Day,
    Duration,
    SiteDateTime,
    SiteDeadline,
    TimeOfDay,
    WeekdayName,
    format_duration,
    minutes_of_day,
    parse_timezone,
)

ORDER_ID_PATTERN = r"^[A-Za-z0-9._-]+$"
ID_PATTERN = r"^[A-Za-z0-9._-]+$"

Id = Annotated[str, Field(pattern=ID_PATTERN, min_length=1, max_length=64)]

_LIST = limits.MAX_LIST_ENTRIES


def _printable(text: str, what: str) -> str:
    """Refuse control characters (NUL, escape codes, bidi overrides) and lone surrogates."""
    for char in text:
        code = ord(char)
        if code < 32 or code == 127 or 0xD800 <= code <= 0xDFFF or 0x202A <= code <= 0x202E \
                or 0x2066 <= code <= 0x2069:
            raise ValueError(f"the {what} holds an invisible control character (U+{code:04X}); "
                             "use plain printable text")
    return text


class Frozen(BaseModel):
    """Base of all input models: unknown fields are errors, instances are immutable."""

    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)


class Window(Frozen):
    """A closed period ``[start, end)``: a down time or an absence."""

    start: SiteDateTime
    end: SiteDateTime

    @model_validator(mode="after")
    def _end_after_start(self) -> Window:
        if self.end <= self.start:
            raise ValueError(f"end {self.end.isoformat()} is not after start")
        return self


class StartWindow(Frozen):
    """Allowed start times on given weekdays, ``from`` to ``to`` wall-clock (inclusive)."""

    days: tuple[WeekdayName, ...] = Field(default=WEEKDAYS, max_length=_LIST)
    from_: TimeOfDay = Field(alias="from")
    to: TimeOfDay

    @model_validator(mode="after")
    def _ordered(self) -> StartWindow:
        if minutes_of_day(self.to) < minutes_of_day(self.from_):
            raise ValueError("'to' is before 'from'; a start window cannot cross midnight")
        return self


class ShiftPattern(Frozen):
    """A weekly working pattern; ``end`` at or before ``start`` means it crosses midnight."""

    start: TimeOfDay
    end: TimeOfDay
    days: tuple[WeekdayName, ...] = Field(default=WEEKDAYS, max_length=_LIST)

    @model_validator(mode="after")
    def _not_empty(self) -> ShiftPattern:
        if minutes_of_day(self.start) == minutes_of_day(self.end):
            raise ValueError("start equals end: a shift must last more than zero minutes")
        return self

    @property
    def length_minutes(self) -> int:
        start, end = minutes_of_day(self.start), minutes_of_day(self.end)
        return end - start if end > start else end + 24 * 60 - start


class Horizon(Frozen):
    """The window in which orders may start (SPEC §2.1)."""

    start: SiteDateTime
    days: int = Field(gt=0, le=limits.MAX_HORIZON_DAYS)

    @property
    def end(self) -> datetime:
        return self.start + timedelta(days=self.days)


class Suite(Frozen):
    id: Id
    changeover: Duration = 0
    down: tuple[Window, ...] = Field(default=(), max_length=_LIST)
    tags: tuple[Id, ...] = Field(default=(), max_length=_LIST)


class Equipment(Frozen):
    id: Id
    type: Id
    capacity: int = Field(default=1, ge=1, le=limits.MAX_CAPACITY)
    down: tuple[Window, ...] = Field(default=(), max_length=_LIST)


def _qualification(value: object) -> object:
    if isinstance(value, str):
        return {"skill": value}
    return value


class Qualification(Frozen):
    """A skill; with ``until`` it counts only for work that ends before that moment."""

    skill: Id
    until: SiteDeadline | None = None


class Operator(Frozen):
    id: Id
    skills: tuple[Annotated[Qualification, BeforeValidator(_qualification)], ...] = Field(
        min_length=1, max_length=_LIST
    )
    shifts: tuple[Id, ...] = Field(min_length=1, max_length=_LIST)
    absent: tuple[Window, ...] = Field(default=(), max_length=_LIST)

    def qualification(self, skill: str) -> Qualification | None:
        return next((q for q in self.skills if q.skill == skill), None)


class Assay(Frozen):
    """A QC release test type; samples of several orders share one run up to ``capacity``."""

    id: Id
    duration: Duration = Field(gt=0)
    capacity: int = Field(default=1, ge=1, le=limits.MAX_CAPACITY)
    analysts: int = Field(default=1, ge=0, le=100)
    skill: Id | None = None
    hands_on: Duration = 0
    start_windows: tuple[StartWindow, ...] = Field(default=(), max_length=_LIST)
    sample_max_age: Duration | None = None

    @model_validator(mode="after")
    def _analysts_need_skill(self) -> Assay:
        if self.analysts > 0 and self.skill is None:
            raise ValueError("'skill' is required when 'analysts' is more than 0")
        if self.analysts > 0 and self.hands_on <= 0:
            raise ValueError("'hands_on' must be more than 0 when 'analysts' is more than 0")
        if self.hands_on > self.duration:
            raise ValueError("'hands_on' is longer than the assay's 'duration'")
        if self.sample_max_age == 0:
            raise ValueError("'sample_max_age' is 0, so no run could ever take a sample: give "
                             "the longest a sample may wait (e.g. 24h), or leave it out for no "
                             "limit")
        return self


class Lag(Frozen):
    """This step starts at least ``min`` and at most ``max`` after ``from`` of ``step``."""

    step: Id
    from_: Literal["start", "end"] = Field(default="end", alias="from")
    min: Duration = 0
    max: Duration | None = None

    @model_validator(mode="after")
    def _max_not_below_min(self) -> Lag:
        if self.max is not None and self.max < self.min:
            raise ValueError(
                f"'max' ({format_duration(self.max)}) is below 'min' ({format_duration(self.min)})"
            )
        return self


class Step(Frozen):
    id: Id
    duration: Duration = Field(gt=0)
    suite: bool = False
    equipment: Id | None = None
    operators: int = Field(default=0, ge=0, le=limits.MAX_OPERATORS_PER_STEP)
    skill: Id | None = None
    max_wait: Duration | None = None
    after: tuple[Lag, ...] = Field(default=(), max_length=_LIST)
    start_windows: tuple[StartWindow, ...] = Field(default=(), max_length=_LIST)

    @model_validator(mode="after")
    def _operators_need_skill(self) -> Step:
        if self.operators > 0 and self.skill is None:
            raise ValueError("'skill' is required when 'operators' is more than 0")
        if self.operators == 0 and self.skill is not None:
            raise ValueError("'skill' is given but 'operators' is 0; set how many people it needs")
        return self


class QcSample(Frozen):
    assay: Id
    sample_after: Id


class QaReview(Frozen):
    duration: Duration = Field(gt=0)
    skill: Id
    operators: int = Field(default=1, ge=1, le=5)


class Process(Frozen):
    id: Id
    same_suite: bool = False
    steps: tuple[Step, ...] = Field(min_length=1, max_length=limits.MAX_STEPS_PER_PROCESS)
    qc: tuple[QcSample, ...] = Field(default=(), max_length=limits.MAX_QC_SAMPLES_PER_PROCESS)
    qa_review: QaReview | None = None

    @cached_property
    def steps_by_id(self) -> dict[str, Step]:
        return {s.id: s for s in self.steps}

    def step_index(self, step_id: str) -> int:
        return next(i for i, s in enumerate(self.steps) if s.id == step_id)


class Objective(Frozen):
    """Weights of the soft goals (SPEC §4.3); defaults make a served order worth most."""

    unscheduled: int = Field(default=1_000_000, ge=0, le=limits.MAX_OBJECTIVE_WEIGHT)
    tardiness_per_hour: int = Field(default=100, ge=0, le=limits.MAX_OBJECTIVE_WEIGHT)
    flow_per_hour: int = Field(default=1, ge=0, le=limits.MAX_OBJECTIVE_WEIGHT)
    change: int = Field(default=10, ge=0, le=limits.MAX_OBJECTIVE_WEIGHT)


class Order(Frozen):
    """One patient's manufacturing request; ``order_id`` is the only patient identifier."""

    order_id: Annotated[str, Field(pattern=ORDER_ID_PATTERN, min_length=1, max_length=64)]
    process: Id
    arrival: SiteDateTime
    collected: SiteDateTime | None = None
    stability: Duration | None = None
    due: SiteDeadline
    priority: int = Field(default=3, ge=1, le=5)
    status: Literal["planned", "cancelled"] = "planned"
    requires: Id | None = None

    @property
    def weight(self) -> int:
        """Priority weight: 1 (highest) weighs 5, 5 weighs 1 (SPEC §2.2)."""
        return 6 - self.priority

    @property
    def latest_first_start(self) -> datetime | None:
        """The stability window's end: ``collected + stability`` (None when cryopreserved)."""
        if self.stability is None:
            return None
        start = (self.collected or self.arrival).astimezone(UTC)
        return (start + timedelta(minutes=self.stability)).astimezone(self.arrival.tzinfo)


class Site(Frozen):
    """Everything of ``site.yaml`` (SPEC §2.1)."""

    name: str = Field(min_length=1, max_length=200)
    timezone: Annotated[ZoneInfo, BeforeValidator(parse_timezone)] = ZoneInfo("UTC")
    horizon: Horizon
    time_step: Duration = 15
    holidays: tuple[Day, ...] = Field(default=(), max_length=_LIST)
    shifts: dict[Id, ShiftPattern] = Field(default_factory=dict, max_length=limits.MAX_SHIFTS)
    suites: tuple[Suite, ...] = Field(default=(), max_length=limits.MAX_SUITES)
    equipment: tuple[Equipment, ...] = Field(default=(), max_length=limits.MAX_EQUIPMENT)
    operators: tuple[Operator, ...] = Field(default=(), max_length=limits.MAX_OPERATORS)
    assays: tuple[Assay, ...] = Field(default=(), max_length=limits.MAX_ASSAYS)
    processes: tuple[Process, ...] = Field(default=(), max_length=limits.MAX_PROCESSES)
    objective: Objective = Objective()

    model_config = ConfigDict(extra="forbid", frozen=True, arbitrary_types_allowed=True)

    @field_validator("name")
    @classmethod
    def _name_is_printable(cls, value: str) -> str:
        if not value.strip():
            raise ValueError("the site name is blank")
        return _printable(value, "site name")

    @field_validator("time_step")
    @classmethod
    def _time_step_fits_a_day(cls, value: int) -> int:
        low, high = limits.MIN_TIME_STEP_MINUTES, limits.MAX_TIME_STEP_MINUTES
        if not low <= value <= high or (24 * 60) % value:
            raise ValueError(
                f"time_step {format_duration(value)} is not a usable planning grid: it must be "
                f"{low} minutes to 1 day and divide a day evenly (e.g. 5m, 10m, 15m, 30m, 1h)")
        return value

    @cached_property
    def processes_by_id(self) -> dict[str, Process]:
        return {p.id: p for p in self.processes}

    @cached_property
    def assays_by_id(self) -> dict[str, Assay]:
        return {a.id: a for a in self.assays}

    @cached_property
    def suites_by_id(self) -> dict[str, Suite]:
        return {s.id: s for s in self.suites}

    @cached_property
    def equipment_by_id(self) -> dict[str, Equipment]:
        return {e.id: e for e in self.equipment}

    @cached_property
    def operators_by_id(self) -> dict[str, Operator]:
        return {o.id: o for o in self.operators}

    @cached_property
    def holiday_set(self) -> frozenset[date]:
        return frozenset(self.holidays)

    def operators_with(self, skill: str) -> list[Operator]:
        return [o for o in self.operators if o.qualification(skill) is not None]

    def equipment_of_type(self, type_: str) -> list[Equipment]:
        return [e for e in self.equipment if e.type == type_]

    def suites_for(self, order: Order) -> list[Suite]:
        """Suites an order's suite steps may use: all, or those with its required tag."""
        if order.requires is None:
            return list(self.suites)
        return [s for s in self.suites if order.requires in s.tags]


class Scenario(Site):
    """A site with its orders: the validated, immutable input of every planning command."""

    orders: tuple[Order, ...] = ()

    @cached_property
    def orders_by_id(self) -> dict[str, Order]:
        return {o.order_id: o for o in self.orders}

    @property
    def active_orders(self) -> list[Order]:
        return [o for o in self.orders if o.status != "cancelled"]

    @classmethod
    def from_parts(cls, site: Site, orders: Iterable[Order]) -> Scenario:
        """Join a validated site and validated orders without parsing anything again."""
        fields = {name: getattr(site, name) for name in Site.model_fields}
        return cls.model_construct(**fields, orders=tuple(orders))

    def with_orders(self, orders: Iterable[Order]) -> Scenario:
        """A copy with another order list (used by re-planning and slot offers)."""
        return Scenario.from_parts(self, orders)


# --------------------------------------------------------------------------------------------
# Cross-reference checks. Each returns (key path, message) pairs; the reader adds the file.
# --------------------------------------------------------------------------------------------

Located = tuple[str, str]


def _duplicates(ids: Iterable[str]) -> set[str]:
    seen: set[str] = set()
    dup: set[str] = set()
    for i in ids:
        (dup if i in seen else seen).add(i)
    return dup


def site_problems(site: Site) -> list[Located]:
    """Every cross-reference problem inside ``site.yaml``, located by key path."""
    out: list[Located] = []
    if not site.processes:
        out.append(("processes", "the site defines no processes; at least one is needed"))
    out += _id_problems(site)
    out += _operator_problems(site)
    out += _assay_problems(site)
    for p_index, process in enumerate(site.processes):
        out += _process_problems(site, process, f"processes[{p_index}]")
    return out


def _id_problems(site: Site) -> list[Located]:
    out: list[Located] = []
    groups: list[tuple[str, list[str]]] = [
        ("suites", [s.id for s in site.suites]),
        ("equipment", [e.id for e in site.equipment]),
        ("operators", [o.id for o in site.operators]),
        ("assays", [a.id for a in site.assays]),
        ("processes", [p.id for p in site.processes]),
    ]
    for key, ids in groups:
        for dup in sorted(_duplicates(ids)):
            index = ids.index(dup, ids.index(dup) + 1)
            out.append((f"{key}[{index}].id", f"duplicate id '{dup}'"))
    resource_ids = [s.id for s in site.suites] + [e.id for e in site.equipment]
    for clash in sorted(_duplicates(resource_ids) - _duplicates([s.id for s in site.suites])):
        if clash in {s.id for s in site.suites}:
            index = [e.id for e in site.equipment].index(clash)
            out.append(
                (f"equipment[{index}].id", f"id '{clash}' is also a suite's; resource ids must "
                 "be unique across suites and equipment")
            )
    return out


def _operator_problems(site: Site) -> list[Located]:
    out: list[Located] = []
    known = sorted(site.shifts)
    for o_index, op in enumerate(site.operators):
        for s_index, shift in enumerate(op.shifts):
            if shift not in site.shifts:
                out.append(
                    (f"operators[{o_index}].shifts[{s_index}]",
                     f"unknown shift '{shift}' (known: {', '.join(known) or 'none defined'})")
                )
        for dup in sorted(_duplicates(q.skill for q in op.skills)):
            out.append((f"operators[{o_index}].skills", f"skill '{dup}' is listed twice"))
    return out


def _skill_problem(site: Site, skill: str, needed: int, where: str) -> list[Located]:
    holders = site.operators_with(skill)
    if not holders:
        return [(where, f"skill '{skill}' is held by no operator")]
    if len(holders) < needed:
        return [(where, f"needs {needed} people with skill '{skill}' but only "
                 f"{len(holders)} operator(s) hold it")]
    return []


def _assay_problems(site: Site) -> list[Located]:
    out: list[Located] = []
    for a_index, assay in enumerate(site.assays):
        if assay.analysts > 0 and assay.skill is not None:
            out += _skill_problem(site, assay.skill, assay.analysts, f"assays[{a_index}].skill")
    return out


def _process_problems(site: Site, process: Process, at: str) -> list[Located]:
    out: list[Located] = []
    step_ids = [s.id for s in process.steps]
    for dup in sorted(_duplicates(step_ids)):
        out.append((f"{at}.steps[{step_ids.index(dup, step_ids.index(dup) + 1)}].id",
                    f"duplicate step id '{dup}'"))
    equipment_types = sorted({e.type for e in site.equipment})
    for s_index, step in enumerate(process.steps):
        where = f"{at}.steps[{s_index}]"
        if step.suite and not site.suites:
            out.append((f"{where}.suite", "the step needs a suite but the site has no suites"))
        if step.equipment is not None and step.equipment not in equipment_types:
            out.append((f"{where}.equipment",
                        f"unknown equipment type '{step.equipment}' (known: "
                        f"{', '.join(equipment_types) or 'none'})"))
        if step.skill is not None:
            out += _skill_problem(site, step.skill, step.operators, f"{where}.skill")
        for l_index, lag in enumerate(step.after):
            if lag.step not in step_ids:
                out.append((f"{where}.after[{l_index}].step",
                            f"unknown step '{lag.step}' (steps of '{process.id}': "
                            f"{', '.join(step_ids)})"))
            elif lag.step == step.id:
                out.append((f"{where}.after[{l_index}].step", "a step cannot lag itself"))
    if s_cycle := _lag_cycle(process):
        out.append((f"{at}.steps", "cycle in 'after' lags: " + " -> ".join(s_cycle)))
    for q_index, sample in enumerate(process.qc):
        if sample.assay not in site.assays_by_id:
            out.append((f"{at}.qc[{q_index}].assay",
                        f"unknown assay '{sample.assay}' (known: "
                        f"{', '.join(sorted(site.assays_by_id)) or 'none'})"))
        if sample.sample_after not in step_ids:
            out.append((f"{at}.qc[{q_index}].sample_after",
                        f"unknown step '{sample.sample_after}' of process '{process.id}'"))
    if process.qa_review is not None:
        out += _skill_problem(site, process.qa_review.skill, process.qa_review.operators,
                              f"{at}.qa_review.skill")
    elif process.qc:
        # Release is the end of the QA review that follows the last QC run (SPEC §4.1.8): with
        # QC samples and no review there is no moment the results are in.
        out.append((f"{at}.qa_review", "a process with qc samples needs a qa_review (release "
                    "is the end of the QA review after the last QC run); add e.g. "
                    "{duration: 2h, skill: qa}"))
    return out


def step_predecessors(process: Process) -> dict[str, list[str]]:
    """Which steps each step is linked to: its ``after`` steps, else the previous step."""
    preds: dict[str, list[str]] = {}
    for index, step in enumerate(process.steps):
        if step.after:
            preds[step.id] = [lag.step for lag in step.after]
        else:
            preds[step.id] = [process.steps[index - 1].id] if index > 0 else []
    return preds


def _lag_cycle(process: Process) -> list[str] | None:
    """A cycle in the step-link graph, as a path of step ids, or None."""
    preds = step_predecessors(process)
    state: dict[str, int] = {}
    stack: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = 1
        stack.append(node)
        for nxt in preds.get(node, []):
            if nxt not in preds:
                continue
            if state.get(nxt) == 1:
                return [*stack[stack.index(nxt):], nxt]
            if nxt not in state and (found := visit(nxt)):
                return found
        stack.pop()
        state[node] = 2
        return None

    for step in process.steps:
        if step.id not in state and (found := visit(step.id)):
            return list(reversed(found))
    return None


def order_problems(site: Site, orders: list[tuple[str, Order]]) -> list[Located]:
    """Problems of orders against the site; each order comes with its location string."""
    out: list[Located] = []
    seen: dict[str, str] = {}
    tags = sorted({t for s in site.suites for t in s.tags})
    for where, order in orders:
        if order.order_id in seen:
            first = seen[order.order_id]
            out.append((where, f"duplicate order_id '{order.order_id}' (first at {first})"))
        else:
            seen[order.order_id] = where
        if order.process not in site.processes_by_id:
            out.append((where, f"unknown process '{order.process}' (known: "
                        f"{', '.join(sorted(site.processes_by_id))})"))
        if order.requires is not None and order.requires not in tags:
            out.append((where, f"requires suite tag '{order.requires}' that no suite carries "
                        f"(tags: {', '.join(tags) or 'none'})"))
        if order.status != "cancelled" and order.arrival >= site.horizon.end:
            out.append((where, f"arrival {order.arrival.isoformat()} is after the horizon's end "
                        f"{site.horizon.end.isoformat()}"))
        if order.collected is not None and order.collected > order.arrival:
            out.append((where, "'collected' is after 'arrival'"))
        if order.due <= order.arrival:
            out.append((where, "'due' is not after 'arrival'"))
        if (limit := order.latest_first_start) is not None and limit <= order.arrival:
            out.append((where, "the stability window ends before the specimen arrives "
                        "(collected + stability <= arrival)"))
    return out

