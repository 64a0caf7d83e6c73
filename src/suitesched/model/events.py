"""Events: what happened on the floor after a plan was made (SPEC §5).

One frozen model per event type, joined into the discriminated union :data:`Event` on
``type``. Field-level rules (an ``end`` after its ``start``, a restart that names its new
``arrival``) live on the models, so a bad event is rejected where it is read; references to
the scenario (unknown order, step, suite, operator, assay) are checked by
:func:`suitesched.io.events_reader.event_problems`, which needs the scenario and the list order.

Datetimes use the scenario's types: validate with ``context={"tz": scenario.timezone}`` so that
a naive datetime is local time of the site, as everywhere else in the input (SPEC §2).
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from pydantic import AfterValidator, Field, StringConstraints, ValidationInfo, field_validator

from suitesched.model.scenario import ORDER_ID_PATTERN, Frozen, Id, Order
from suitesched.model.values import SiteDateTime

QA_REVIEW_STEP = "qa_review"
"""The pseudo step name a ``step_actual`` uses for an order's QA review (as plan.json does)."""

EventId = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=128)]
"""Any non-empty text: ids come from other systems (LIMS, MES), so no pattern is imposed."""

OrderId = Annotated[str, Field(pattern=ORDER_ID_PATTERN, min_length=1, max_length=64)]


def _after_start(value: datetime, info: ValidationInfo) -> datetime:
    """An ``end`` must lie after the ``start`` validated just before it (when that was valid)."""
    start = info.data.get("start")
    if isinstance(start, datetime) and value <= start:
        raise ValueError(f"end {value.isoformat()} is not after start {start.isoformat()}")
    return value


SpanEnd = Annotated[SiteDateTime, AfterValidator(_after_start)]
"""The end of a ``[start, end)`` period; declare it right after ``start``."""


class BaseEvent(Frozen):
    """Something that became known at ``at``; subclasses say what."""

    id: EventId
    type: str
    at: SiteDateTime

    @property
    def order_id(self) -> str | None:
        """The COI id the event is about, or None for site events (resource, operator)."""
        return None


class _OrderEvent(BaseEvent):
    """An event about one existing order, named by its COI id."""

    order: OrderId

    @property
    def order_id(self) -> str | None:
        return self.order


class SpecimenDelay(_OrderEvent):
    """The order's apheresis specimen will reach the site later (or earlier) than planned."""

    type: Literal["specimen_delay"] = "specimen_delay"
    arrival: SiteDateTime


class RunFailure(_OrderEvent):
    """A manufacturing step of the order failed; it restarts from new material or is cancelled."""

    type: Literal["run_failure"] = "run_failure"
    step: Id
    action: Literal["restart", "cancel"]
    arrival: SiteDateTime | None = Field(default=None, validate_default=True)

    @field_validator("arrival")
    @classmethod
    def _arrival_iff_restart(cls, value: datetime | None, info: ValidationInfo) -> datetime | None:
        """A restart needs to know when new material arrives; a cancel has none to plan."""
        action = info.data.get("action")
        if action == "restart" and value is None:
            raise ValueError("required when action is 'restart': when does the new starting "
                             "material arrive?")
        if action == "cancel" and value is not None:
            raise ValueError("only allowed with action 'restart': a cancelled run gets no new "
                             "material; remove 'arrival' or use action: restart")
        return value


class ResourceDown(BaseEvent):
    """A suite or equipment unit is unavailable from ``start`` to ``end``."""

    type: Literal["resource_down"] = "resource_down"
    resource: Id
    start: SiteDateTime
    end: SpanEnd


class OperatorAbsent(BaseEvent):
    """An operator will not work from ``start`` to ``end`` (sickness, leave)."""

    type: Literal["operator_absent"] = "operator_absent"
    operator: Id
    start: SiteDateTime
    end: SpanEnd


class QcRetest(_OrderEvent):
    """A QC result of the order must be repeated on the retained sample."""

    type: Literal["qc_retest"] = "qc_retest"
    assay: Id


class NewOrder(BaseEvent):
    """A new patient's order was booked after the plan was made."""

    type: Literal["new_order"] = "new_order"
    order: Order

    @property
    def order_id(self) -> str | None:
        return self.order.order_id


class CancelOrder(_OrderEvent):
    """The order was withdrawn (patient no longer eligible, specimen lost, …)."""

    type: Literal["cancel_order"] = "cancel_order"


class StepActual(_OrderEvent):
    """A step of the order (or its ``qa_review``) really ran from ``start`` to ``end``."""

    type: Literal["step_actual"] = "step_actual"
    step: Id
    start: SiteDateTime
    end: SpanEnd


Event = Annotated[
    SpecimenDelay | RunFailure | ResourceDown | OperatorAbsent | QcRetest | NewOrder
    | CancelOrder | StepActual,
    Field(discriminator="type"),
]
"""Any event; pydantic picks the model by its ``type``."""

EVENT_TYPES: dict[str, type[BaseEvent]] = {
    "specimen_delay": SpecimenDelay,
    "run_failure": RunFailure,
    "resource_down": ResourceDown,
    "operator_absent": OperatorAbsent,
    "qc_retest": QcRetest,
    "new_order": NewOrder,
    "cancel_order": CancelOrder,
    "step_actual": StepActual,
}
"""Event models by ``type``, in SPEC §5 order (the reader uses it to name the known types)."""
