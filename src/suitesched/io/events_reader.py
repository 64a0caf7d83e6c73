"""Read and check an events file (SPEC §5): a YAML or JSON list of events.

Like the scenario reader, nothing is returned until everything is checked, and every problem is
collected before :class:`~suitesched.errors.InputError` is raised, so a planner fixes a file in
one pass. Each problem is located as ``event 3 (ev-2) · order``: the 1-based position in the
list (what a person counts in the file) and the event's id when it has one.

Events apply in list order, never sorted by ``at``: an event may refer to an order that an
*earlier* ``new_order`` introduced, and nothing after an order's cancellation may refer to it.

Decisions (also in docs/events-format.md):

* An empty file is an error (write ``[]`` for "no events"): an empty export is far more often a
  failed export than a quiet day, and the nightly job must not take it as one.
* A ``cancel_order`` for an order that is already cancelled is accepted silently: cancelling is
  idempotent, and the nightly job may see the same withdrawal both in orders.csv and as an
  event. Any other event for a cancelled order is a problem.
* A ``run_failure`` with ``action: cancel`` cancels its order for the events after it.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, cast, overload

from pydantic import BaseModel, ValidationError

from suitesched.errors import InputError, Problem
from suitesched.io.pydantic_errors import problems_from
from suitesched.io.yaml_io import YamlReadError, check_file_size, read_yaml, unprintable_text
from suitesched.model import limits
from suitesched.model.events import (
    EVENT_TYPES,
    QA_REVIEW_STEP,
    BaseEvent,
    CancelOrder,
    Event,
    NewOrder,
    OperatorAbsent,
    QcRetest,
    ResourceDown,
    RunFailure,
    StepActual,
)
from suitesched.model.plan import Plan
from suitesched.model.scenario import Order, Process, Scenario, order_problems

MAX_EVENTS = limits.MAX_EVENTS
"""More than this is surely not a day's or a week's events; refuse instead of grinding."""

_EXAMPLE = "- {id: ev-1, type: cancel_order, at: 2026-12-08T10:00, order: COI-0004}"


@dataclass(frozen=True)
class EventsFile:
    """An events file read before its scenario is known (``ss.load_events(path)``, SPEC §7).

    Naive times mean site time, so the events are validated when a re-plan binds them to its
    scenario and plan (:meth:`bind`).
    """

    label: str
    data: Any

    def bind(self, scenario: Scenario, plan: Plan | None = None) -> tuple[Event, ...]:
        return parse_events(self.data, scenario, self.label, plan=plan)


@overload
def load_events(path: str | Path) -> EventsFile: ...
@overload
def load_events(path: str | Path, scenario: Scenario, *,
                plan: Plan | None = None) -> tuple[Event, ...]: ...
def load_events(
    path: str | Path, scenario: Scenario | None = None, *, plan: Plan | None = None
) -> tuple[Event, ...] | EventsFile:
    """Read, validate and cross-check an events file against ``scenario`` (and ``plan``).

    ``.json`` files are parsed as JSON (for JSON's own line/column messages), anything else as
    YAML. Raise :class:`InputError` (``what="events"``) listing every problem found. Without
    a scenario the file is only read; the re-plan validates it (see :class:`EventsFile`).
    """
    path = Path(path)
    if not path.exists():
        raise InputError([Problem(str(path), "", "file not found; give the path of a YAML or "
                                  "JSON list of events")], what="events")
    if path.is_dir():
        raise InputError([Problem(str(path), "", "is a directory; give the path of a YAML or "
                                  "JSON list of events")], what="events")
    label = path.name
    try:
        data = _read_json(path, label) if path.suffix.lower() == ".json" else read_yaml(path)
    except YamlReadError as exc:
        raise InputError([exc.problem], what="events") from None
    if data is None:
        raise InputError([Problem(label, "", "the file is empty; write [] for no events, or a "
                                  f"list such as: {_EXAMPLE}")], what="events")
    if scenario is None:
        return EventsFile(label, data)
    return parse_events(data, scenario, label, plan=plan)


def parse_events(
    data: object, scenario: Scenario, label: str, *, plan: Plan | None = None
) -> tuple[Event, ...]:
    """Validate already-parsed data (a list of mappings) into events, in list order.

    ``label`` names the source in problems (a file name, or e.g. ``"nightly batch"``).
    Naive datetimes are read in the scenario's time zone. Raise :class:`InputError` listing
    every field problem and every cross-reference problem (see :func:`event_problems`).
    """
    if not isinstance(data, list):
        kind = "a mapping" if isinstance(data, dict) else type(data).__name__
        raise InputError([Problem(label, "(top level)", f"must be a list of events (got {kind});"
                                  f" each item starts with '- ', e.g. {_EXAMPLE}")],
                         what="events")
    if len(data) > MAX_EVENTS:
        raise InputError([Problem(label, "(top level)", f"{len(data)} events; at most "
                                  f"{MAX_EVENTS} are read at once — split the file")],
                         what="events")
    located: list[tuple[int, Problem]] = []
    indexed: list[tuple[int, Event]] = []
    raw_ids: list[tuple[int, str]] = []
    failed_new_orders: set[str] = set()
    context = {"tz": scenario.timezone}
    for index, item in enumerate(data):
        where = _where(index, item)
        if isinstance(item, dict) and (event_id := _raw_id(item)) is not None:
            raw_ids.append((index, event_id))
        event, problems = _validate_one(item, where, label, context)
        located += [(index, p) for p in problems]
        if event is not None:
            indexed.append((index, event))
        elif isinstance(item, dict) and item.get("type") == "new_order":
            order = item.get("order")
            if isinstance(order, dict) and isinstance(order.get("order_id"), str):
                failed_new_orders.add(order["order_id"])
    located += _check(indexed, scenario, plan, label, raw_ids=raw_ids,
                      unchecked_orders=failed_new_orders)
    if located:
        located.sort(key=lambda pair: pair[0])
        raise InputError([p for _, p in located], what="events")
    return tuple(event for _, event in indexed)


def event_problems(
    events: Sequence[Event], scenario: Scenario, plan: Plan | None = None, label: str = "events"
) -> list[Problem]:
    """Every cross-reference problem of validated events, in list order.

    Checks duplicate ids; orders that are unknown (not in the scenario, the plan's ``orders``,
    or an earlier ``new_order``), already exist (``new_order``), or are cancelled (in the
    scenario, the plan, or by an earlier event); steps, assays, suites, equipment and operators
    the site does not have; and, with a plan, events that need planned work (``run_failure``,
    ``step_actual``, ``qc_retest``) for an order the plan left unscheduled.
    """
    indexed = list(enumerate(events))
    raw_ids = [(i, e.id) for i, e in indexed]
    return [p for _, p in _check(indexed, scenario, plan, label, raw_ids=raw_ids)]


# --------------------------------------------------------------------------------------------
# Reading and field validation
# --------------------------------------------------------------------------------------------


def _read_json(path: Path, label: str) -> Any:
    """Parse JSON with its line/column messages; duplicate keys are refused as in YAML."""
    check_file_size(path, label)
    try:
        text = path.read_bytes().decode("utf-8-sig")
    except OSError as exc:
        raise YamlReadError(Problem(label, "", f"cannot read the file: {exc.strerror}")) from None
    except UnicodeDecodeError as exc:
        raise YamlReadError(Problem(label, f"byte {exc.start}", "the file is not UTF-8 text")
                            ) from None
    if not text.strip():
        return None
    try:
        data = json.loads(text, object_pairs_hook=_no_duplicate_keys)
    except json.JSONDecodeError as exc:
        raise YamlReadError(Problem(label, f"line {exc.lineno}, column {exc.colno}",
                                    f"not valid JSON: {exc.msg}")) from None
    except _DuplicateKeyError as exc:
        raise YamlReadError(Problem(label, "", f"not valid JSON: duplicate key '{exc.key}'")
                            ) from None
    except RecursionError:
        raise YamlReadError(Problem(label, "", "the JSON nests too deeply")) from None
    if (found := unprintable_text(data)) is not None:
        raise YamlReadError(Problem(label, *found))
    return data


class _DuplicateKeyError(ValueError):
    def __init__(self, key: str) -> None:
        self.key = key
        super().__init__(key)


def _no_duplicate_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in pairs:
        if key in out:
            raise _DuplicateKeyError(key)
        out[key] = value
    return out


def _raw_id(item: dict[Any, Any]) -> str | None:
    value = item.get("id")
    if isinstance(value, str) and value.strip():
        return value.strip()
    return None


def _where(index: int, item: object) -> str:
    """``event 3 (ev-2)``: the position a person counts, plus the id when there is one."""
    event_id = _raw_id(item) if isinstance(item, dict) else None
    return f"event {index + 1}" + (f" ({event_id})" if event_id is not None else "")


def _at(where: str, key: str) -> str:
    return f"{where} · {key}" if key else where


def _validate_one(
    item: object, where: str, label: str, context: dict[str, Any]
) -> tuple[Event | None, list[Problem]]:
    """Validate one list item by its ``type``; problems are located under ``where``."""
    known = ", ".join(EVENT_TYPES)
    if not isinstance(item, dict):
        return None, [Problem(label, where, f"each event must be a mapping of fields, got "
                              f"{item!r:.60}; e.g. {_EXAMPLE}")]
    kind = item.get("type")
    if kind is None:
        return None, [Problem(label, _at(where, "type"), f"required field is missing; "
                              f"one of: {known}")]
    if not isinstance(kind, str) or kind not in EVENT_TYPES:
        return None, [Problem(label, _at(where, "type"), f"unknown event type {kind!r} "
                              f"(known: {known})")]
    if kind == "new_order" and isinstance(item.get("order"), str):
        return None, [Problem(label, _at(where, "order"), "a new_order's 'order' is a mapping "
                              "of order fields (order_id, process, arrival, due, …), not an id")]
    model = EVENT_TYPES[kind]
    try:
        event = model.model_validate(item, context=context)
    except ValidationError as exc:
        problems = []
        errors = exc.errors(include_url=False)
        for p, error in zip(problems_from(exc, label, model=model), errors, strict=True):
            key = "" if p.location == "(top level)" else p.location
            message = p.message
            if error["type"] == "extra_forbidden":
                message = _unknown_field(kind, error["loc"])
            problems.append(Problem(label, _at(where, key), message))
        return None, problems
    return cast(Event, event), []  # EVENT_TYPES holds only members of Event


def _unknown_field(kind: str, loc: tuple[int | str, ...]) -> str:
    """Name the fields the event type (or a new_order's order) does have: the likely fix."""
    model: type[BaseModel] = Order if kind == "new_order" and len(loc) > 1 else EVENT_TYPES[kind]
    fields = [f.alias or name for name, f in model.model_fields.items()]
    owner = "a new order" if model is Order else f"a {kind} event"
    return f"unknown field '{loc[-1]}' for {owner} (its fields: {', '.join(fields)})"


# --------------------------------------------------------------------------------------------
# Cross-references
# --------------------------------------------------------------------------------------------


@dataclass
class _Known:
    """What the checks know of an order at some point of the list."""

    origin: str  # "the scenario", "the plan", "event 6 (ev-6)"
    process: Process | None = None  # None: unknown process, or known only from the plan
    plan_steps: frozenset[str] = frozenset()  # steps the plan holds (orders only in the plan)
    plan_assays: frozenset[str] = frozenset()
    cancelled_by: str | None = None
    unscheduled: bool = False


@dataclass
class _State:
    """Orders as the list has made them so far (events apply in order)."""

    orders: dict[str, _Known] = field(default_factory=dict)
    introduced_later: dict[str, str] = field(default_factory=dict)  # order id -> where


def _initial_state(
    scenario: Scenario, plan: Plan | None, located_events: Iterable[tuple[str, Event]]
) -> _State:
    state = _State()
    for order in scenario.orders:
        state.orders[order.order_id] = _Known(
            "the scenario", scenario.processes_by_id.get(order.process),
            cancelled_by="the scenario" if order.status == "cancelled" else None)
    if plan is not None:
        for outcome in plan.orders:
            known = state.orders.get(outcome.order_id)
            if known is None:
                steps = frozenset(op.step for op in plan.operations_of(outcome.order_id))
                assays = frozenset(r.assay for r in plan.qc_runs
                                   if outcome.order_id in r.order_ids)
                known = state.orders[outcome.order_id] = _Known("the plan", None, steps, assays)
            if outcome.status == "cancelled" and known.cancelled_by is None:
                known.cancelled_by = "the plan"
            known.unscheduled = outcome.status == "unscheduled"
    for where, event in located_events:
        if isinstance(event, NewOrder):
            state.introduced_later.setdefault(event.order.order_id, where)
    return state


def _check(
    indexed: Sequence[tuple[int, Event]],
    scenario: Scenario,
    plan: Plan | None,
    label: str,
    *,
    raw_ids: Sequence[tuple[int, str]],
    unchecked_orders: Iterable[str] = (),
) -> list[tuple[int, Problem]]:
    """Cross-reference problems, each with the position of its event.

    ``raw_ids`` are the ids of every list item (valid or not), for the duplicate check;
    ``unchecked_orders`` are ids of ``new_order`` events that failed validation: references to
    them are not reported as unknown, since fixing that one event fixes them too.
    """
    out: list[tuple[int, Problem]] = []
    first: dict[str, int] = {}
    for index, event_id in raw_ids:
        if event_id in first:
            out.append((index, Problem(label, _at(f"event {index + 1} ({event_id})", "id"),
                                       f"duplicate event id '{event_id}' (first at event "
                                       f"{first[event_id] + 1}); every event needs its own id")))
        else:
            first[event_id] = index
    wheres = [(_where(i, {"id": e.id}), e) for i, e in indexed]
    state = _initial_state(scenario, plan, wheres)
    skip = set(unchecked_orders)
    for (index, event), (where, _) in zip(indexed, wheres, strict=True):
        for key, message in _event_problems(event, where, scenario, state, skip):
            out.append((index, Problem(label, _at(where, key), message)))
    return out


Found = list[tuple[str, str]]
"""(field, message) pairs of one event; the field is '' for the event as a whole."""


def _event_problems(
    event: Event, where: str, scenario: Scenario, state: _State, skip: set[str]
) -> Found:
    """Problems of one event given the state so far; then apply the event to the state."""
    if isinstance(event, NewOrder):
        return _new_order(event, where, scenario, state)
    if isinstance(event, ResourceDown):
        resources = [s.id for s in scenario.suites] + [e.id for e in scenario.equipment]
        if event.resource not in resources:
            return [("resource", f"unknown resource '{event.resource}' (suites and equipment: "
                     f"{', '.join(resources) or 'none'})")]
        return []
    if isinstance(event, OperatorAbsent):
        if event.operator not in scenario.operators_by_id:
            return [("operator", f"unknown operator '{event.operator}' (known: "
                     f"{', '.join(scenario.operators_by_id) or 'none'})")]
        return []
    order_id = event.order_id
    assert order_id is not None
    known = state.orders.get(order_id)
    if known is None:
        if order_id in skip:
            return []
        later = state.introduced_later.get(order_id)
        hint = (f"; its new_order is later, at {later} — events apply in list order, so move "
                "the new_order up" if later else "; check the COI id")
        return [("order", f"unknown order '{order_id}': not in the scenario, the plan or an "
                 f"earlier new_order{hint}")]
    if known.cancelled_by is not None:
        if isinstance(event, CancelOrder):
            return []  # cancelling again changes nothing (see the module docstring)
        return [("order", f"order '{order_id}' is cancelled (by {known.cancelled_by}); an "
                 f"event for it cannot apply — remove the event or the cancellation")]
    found = _order_event_problems(event, known, order_id)
    if isinstance(event, CancelOrder) or (isinstance(event, RunFailure)
                                          and event.action == "cancel"):
        known.cancelled_by = where
    if isinstance(event, RunFailure) and event.action == "restart":
        known.unscheduled = False  # it is planned again from its first step
    return found


def _order_event_problems(event: BaseEvent, known: _Known, order_id: str) -> Found:
    """Step, assay and plan checks of an event about a known, not cancelled order."""
    out: Found = []
    if isinstance(event, RunFailure | StepActual):
        out += _step_problem(event, known)
    if isinstance(event, QcRetest):
        out += _assay_problem(event, known)
    if known.unscheduled and isinstance(event, RunFailure | StepActual | QcRetest):
        out.append(("order", f"the plan leaves order '{order_id}' unscheduled, so it has no "
                    f"planned work for a {event.type}; re-plan it first or remove the event"))
    return out


def _step_problem(event: RunFailure | StepActual, known: _Known) -> Found:
    process = known.process
    if process is None:
        if known.plan_steps and event.step not in known.plan_steps:
            return [("step", f"the plan has no step '{event.step}' for this order (its steps: "
                     f"{', '.join(sorted(known.plan_steps))})")]
        return []
    steps = [s.id for s in process.steps]
    if event.step in steps:
        return []
    if event.step == QA_REVIEW_STEP and isinstance(event, StepActual) and process.qa_review:
        return []
    if event.step == QA_REVIEW_STEP and isinstance(event, RunFailure):
        return [("step", "qa_review is not a manufacturing run; a run_failure names a step of "
                 f"process '{process.id}' ({', '.join(steps)})")]
    allowed = steps + ([QA_REVIEW_STEP] if isinstance(event, StepActual) and process.qa_review
                       else [])
    return [("step", f"unknown step '{event.step}' of process '{process.id}' (steps: "
             f"{', '.join(allowed)})")]


def _assay_problem(event: QcRetest, known: _Known) -> Found:
    process = known.process
    if process is None:
        if known.plan_assays and event.assay not in known.plan_assays:
            return [("assay", f"the plan has no '{event.assay}' run for this order (its "
                     f"assays: {', '.join(sorted(known.plan_assays))})")]
        return []
    assays = [q.assay for q in process.qc]
    if event.assay in assays:
        return []
    return [("assay", f"assay '{event.assay}' is not a QC sample of process '{process.id}', "
             f"so there is nothing to retest (its assays: {', '.join(assays) or 'none'})")]


def _new_order(event: NewOrder, where: str, scenario: Scenario, state: _State) -> Found:
    """A new order must be new and valid against the site; it is then known to later events."""
    order = event.order
    out: Found = []
    existing = state.orders.get(order.order_id)
    if existing is not None:
        out.append(("order.order_id", f"order '{order.order_id}' already exists (in "
                    f"{existing.origin}); a new_order needs a new COI id — to change an "
                    "existing order use specimen_delay or cancel_order"))
    if order.status == "cancelled":
        out.append(("order.status", "a new order cannot start cancelled; remove 'status' "
                    "(or add a cancel_order event after it)"))
    out += [("order", message) for _, message in order_problems(scenario, [("", order)])]
    if existing is None:
        state.orders[order.order_id] = _Known(where, scenario.processes_by_id.get(order.process))
    return out
