"""What events do to the scenario a re-plan works on (SPEC §5).

Events change two things: the *scenario* (a later arrival, a new or cancelled order, a suite
down, an absence) and the *previous plan's standing* (a failed run no longer holds its suite, a
step's actual times replace the planned ones, a retest adds a QC run). This module computes
both, without solving anything: :func:`apply_events` returns the updated scenario, which is
also the one the re-plan is checked against, and an :class:`EventEffects` with the rest.

Decisions (README, "Re-planning"):

* A restarted order's new material is a new collection: its ``collected`` time becomes the new
  arrival, so its stability window counts from then.
* A suite the failed order's material was in when the failure was reported needs its
  changeover before another order may use it: the failure adds a down window
  ``[at, at + changeover)`` to that suite. A failure found after the material left the suite
  adds nothing (the suite was cleaned after that visit anyway).
* Events are applied in file order; an event's effects never depend on the solver.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from suitesched.model.plan import Plan, Retest
from suitesched.model.scenario import Equipment, Operator, Order, Scenario, Suite, Window


@dataclass
class EventEffects:
    """What the events mean for the previous plan's operations."""

    restarted: set[str] = field(default_factory=set)
    """Orders planned again from their first step (failed run, ``action: restart``)."""
    dropped: set[str] = field(default_factory=set)
    """Orders whose previous operations no longer stand (restarted or cancelled)."""
    touched: set[str] = field(default_factory=set)
    """Orders an event names directly; their operations are free to move (except frozen)."""
    actuals: dict[tuple[str, str], tuple[datetime, datetime]] = field(default_factory=dict)
    """(order, step) -> actual (start, end) from ``step_actual`` events."""
    retests: list[Retest] = field(default_factory=list)
    """Retests asked for by these events (earlier ones are in the previous plan)."""
    applied: list[str] = field(default_factory=list)
    """Event ids in the order they were applied."""
    adds_only: bool = True
    """Every event only added or cancelled orders: no capacity was taken away."""


def rebuild(scenario: Scenario, **updates: Any) -> Scenario:
    """A copy of ``scenario`` with some fields replaced, without stale cached lookups."""
    fields = {name: getattr(scenario, name) for name in Scenario.model_fields}
    fields.update(updates)
    return Scenario.model_construct(**fields)


def _with_order(orders: list[Order], order_id: str, **updates: Any) -> None:
    for k, order in enumerate(orders):
        if order.order_id == order_id:
            orders[k] = order.model_copy(update=updates)
            return


def _add_window(items: Sequence[Suite | Equipment | Operator], item_id: str,
                attribute: str, window: Window) -> tuple:
    out = []
    for item in items:
        if item.id == item_id:
            item = item.model_copy(update={attribute: (*getattr(item, attribute), window)})
        out.append(item)
    return tuple(out)


def apply_events(scenario: Scenario, events: Iterable[Any],
                 plan: Plan | None = None) -> tuple[Scenario, EventEffects]:
    """The scenario after ``events`` (in file order), and what they mean for ``plan``.

    ``events`` are validated event models (:mod:`suitesched.model.events`); references are
    assumed checked (:func:`suitesched.io.events_reader.event_problems`).
    """
    effects = EventEffects()
    orders = list(scenario.orders)
    suites, equipment, operators = scenario.suites, scenario.equipment, scenario.operators
    for event in events:
        kind = event.type
        effects.applied.append(event.id)
        if kind not in ("new_order", "cancel_order"):
            effects.adds_only = False
        if kind == "specimen_delay":
            _with_order(orders, event.order, arrival=event.arrival)
            effects.touched.add(event.order)
            effects.dropped.add(event.order)  # nothing of it can have started before arrival
        elif kind == "run_failure":
            effects.touched.add(event.order)
            effects.dropped.add(event.order)
            suite = _failed_suite(plan, event.order, event.at)
            if suite is not None:
                changeover = next(s.changeover for s in suites if s.id == suite)
                if changeover > 0:
                    cleaning = Window(start=event.at,
                                      end=event.at + timedelta(minutes=changeover))
                    suites = _add_window(suites, suite, "down", cleaning)
            if event.action == "restart":
                effects.restarted.add(event.order)
                current = next(o for o in orders if o.order_id == event.order)
                _with_order(orders, event.order, arrival=event.arrival,
                            collected=event.arrival if current.collected else None)
                effects.retests = [r for r in effects.retests if r.order_id != event.order]
            else:
                _with_order(orders, event.order, status="cancelled")
        elif kind == "resource_down":
            window = Window(start=event.start, end=event.end)
            if any(s.id == event.resource for s in suites):
                suites = _add_window(suites, event.resource, "down", window)
            else:
                equipment = _add_window(equipment, event.resource, "down", window)
        elif kind == "operator_absent":
            operators = _add_window(operators, event.operator, "absent",
                                    Window(start=event.start, end=event.end))
        elif kind == "qc_retest":
            effects.retests.append(Retest(order_id=event.order, assay=event.assay, at=event.at))
            effects.touched.add(event.order)
        elif kind == "new_order":
            orders.append(event.order)
            effects.touched.add(event.order.order_id)
        elif kind == "cancel_order":
            _with_order(orders, event.order, status="cancelled")
            effects.dropped.add(event.order)
            effects.touched.add(event.order)
        elif kind == "step_actual":
            effects.actuals[(event.order, event.step)] = (event.start, event.end)
            effects.touched.add(event.order)
        else:  # pragma: no cover - the event models admit no other type
            raise ValueError(f"unknown event type {kind!r}")
    updated = rebuild(scenario, orders=tuple(orders), suites=suites, equipment=equipment,
                      operators=operators)
    return updated, effects


def _failed_suite(plan: Plan | None, order_id: str, at: datetime) -> str | None:
    """The suite the failed order's material was in when the failure was reported, if any:
    that suite needs its changeover before anyone else may use it. A failure found later
    (after the material left the suite) needs no extra cleaning."""
    if plan is None:
        return None
    op = next((o for o in plan.operations if o.order_id == order_id and o.suite
               and o.start <= at < o.end), None)
    return op.suite if op is not None else None
