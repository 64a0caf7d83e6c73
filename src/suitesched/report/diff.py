"""What a re-plan changed against the previous plan (SPEC §5: ``diff.json`` and the summary).

Operations are matched by (order, step). An operation *moved* when its start changed, and
*changed resources* when its suite, equipment or people changed; orders *became late* or
*unscheduled* only if they were not already. Only ``order_id`` identifies an order.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

from suitesched.model.plan import Operation, Plan
from suitesched.model.values import elapsed_hours

DIFF_FORMAT = "suitesched-diff/1"


@dataclass(frozen=True)
class Move:
    order_id: str
    step: str
    old_start: str
    new_start: str
    shift_hours: float


@dataclass(frozen=True)
class ResourceChange:
    order_id: str
    step: str
    resource: str
    """``suite``, ``equipment`` or ``operators``."""
    old: Any
    new: Any


@dataclass
class PlanDiff:
    moved: list[Move] = field(default_factory=list)
    resources_changed: list[ResourceChange] = field(default_factory=list)
    added: list[str] = field(default_factory=list)
    """``order/step`` of operations only the new plan has."""
    removed: list[str] = field(default_factory=list)
    newly_late: list[str] = field(default_factory=list)
    newly_unscheduled: list[str] = field(default_factory=list)
    compared: int = 0
    unchanged: int = 0
    kpis_before: dict[str, float | int] = field(default_factory=dict)
    kpis_after: dict[str, float | int] = field(default_factory=dict)

    @property
    def kept_share(self) -> float:
        """Share of operations in both plans that kept start and every resource."""
        return self.unchanged / self.compared if self.compared else 1.0

    def to_json_dict(self, *, events: list[str] | None = None) -> dict[str, Any]:
        shifts = [abs(m.shift_hours) for m in self.moved]
        return {
            "format": DIFF_FORMAT,
            "events": events or [],
            "summary": {
                "operations_compared": self.compared,
                "unchanged": self.unchanged,
                "kept_share": round(self.kept_share, 4),
                "moved": len(self.moved),
                "max_shift_hours": round(max(shifts, default=0.0), 2),
                "mean_shift_hours": round(sum(shifts) / len(shifts), 2) if shifts else 0.0,
                "resources_changed": len(self.resources_changed),
                "added": len(self.added),
                "removed": len(self.removed),
                "newly_late": len(self.newly_late),
                "newly_unscheduled": len(self.newly_unscheduled),
            },
            "moved": [asdict(m) for m in self.moved],
            "resources_changed": [asdict(c) for c in self.resources_changed],
            "added": self.added,
            "removed": self.removed,
            "newly_late": self.newly_late,
            "newly_unscheduled": self.newly_unscheduled,
            "kpis_before": self.kpis_before,
            "kpis_after": self.kpis_after,
        }


def _key(op: Operation) -> tuple[str, str]:
    return op.order_id, op.step


def diff_plans(old: Plan, new: Plan) -> PlanDiff:
    """Compare two plans of the same site operation by operation."""
    out = PlanDiff(kpis_before=dict(old.kpis), kpis_after=dict(new.kpis))
    before = {_key(op): op for op in old.operations}
    after = {_key(op): op for op in new.operations}
    for key in sorted(before.keys() | after.keys()):
        a, b = before.get(key), after.get(key)
        label = f"{key[0]}/{key[1]}"
        if a is None:
            out.added.append(label)
            continue
        if b is None:
            out.removed.append(label)
            continue
        out.compared += 1
        same = True
        if a.start != b.start:
            same = False
            out.moved.append(Move(key[0], key[1], a.start.isoformat(), b.start.isoformat(),
                                  round(elapsed_hours(a.start, b.start), 2)))
        for resource in ("suite", "equipment", "operators"):
            old_value, new_value = getattr(a, resource), getattr(b, resource)
            if old_value != new_value:
                same = False
                out.resources_changed.append(ResourceChange(
                    key[0], key[1], resource,
                    list(old_value) if isinstance(old_value, tuple) else old_value,
                    list(new_value) if isinstance(new_value, tuple) else new_value))
        out.unchanged += same
    old_status = {o.order_id: o for o in old.orders}
    for outcome in new.orders:
        previous = old_status.get(outcome.order_id)
        was_late = previous is not None and (previous.tardiness_hours or 0) > 0
        was_unscheduled = previous is not None and previous.status == "unscheduled"
        if outcome.status == "scheduled" and (outcome.tardiness_hours or 0) > 0 and not was_late:
            out.newly_late.append(outcome.order_id)
        if outcome.status == "unscheduled" and not was_unscheduled:
            out.newly_unscheduled.append(outcome.order_id)
    return out
