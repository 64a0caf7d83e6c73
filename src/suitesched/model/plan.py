"""The plan (SPEC §3): operations, QC runs, order outcomes and KPIs, as written to plan.json."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

PLAN_FORMAT = "suitesched-plan/1"

PlanId = Annotated[str, Field(pattern=r"^[A-Za-z0-9._-]+$", min_length=1, max_length=128)]
"""An id in a plan (order, step, suite, operator, run): the scenario's id alphabet."""


class _PlanModel(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class SolverInfo(_PlanModel):
    status: str
    objective: float | None = None
    bound: float | None = None
    wall_seconds: float = 0.0
    workers: int = 1
    seed: int = 0


class Operation(_PlanModel):
    """One order's instance of a step (or its ``qa_review``), with times and named resources."""

    order_id: PlanId
    step: PlanId
    start: AwareDatetime
    end: AwareDatetime
    suite: PlanId | None = None
    equipment: PlanId | None = None
    operators: tuple[PlanId, ...] = ()
    frozen: bool = False


class QcRun(_PlanModel):
    """One execution of an assay over a batch of samples (one per listed order)."""

    run_id: PlanId
    assay: PlanId
    start: AwareDatetime
    end: AwareDatetime
    analysts: tuple[PlanId, ...] = ()
    order_ids: tuple[PlanId, ...] = ()
    frozen: bool = False


class OrderOutcome(_PlanModel):
    order_id: PlanId
    status: Literal["scheduled", "unscheduled", "cancelled"]
    start: AwareDatetime | None = None
    release: AwareDatetime | None = None
    due: AwareDatetime | None = None
    tardiness_hours: float | None = None
    reason: str | None = None


class Retest(_PlanModel):
    """A QC retest of a retained sample (SPEC §5): one more run of ``assay`` after ``at``."""

    order_id: PlanId
    assay: PlanId
    at: AwareDatetime


class Plan(_PlanModel):
    """A complete plan. Times carry their UTC offset."""

    format: Literal["suitesched-plan/1"] = PLAN_FORMAT
    scenario: str
    created: AwareDatetime
    now: AwareDatetime
    solver: SolverInfo
    operations: tuple[Operation, ...] = ()
    qc_runs: tuple[QcRun, ...] = ()
    orders: tuple[OrderOutcome, ...] = ()
    kpis: dict[str, float | int] = Field(default_factory=dict)
    retests: tuple[Retest, ...] = ()

    def operations_of(self, order_id: str) -> list[Operation]:
        return [op for op in self.operations if op.order_id == order_id]

    def outcome(self, order_id: str) -> OrderOutcome | None:
        return next((o for o in self.orders if o.order_id == order_id), None)

