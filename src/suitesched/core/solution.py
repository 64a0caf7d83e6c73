"""What the solver hands back: per task its start, mode and resources; per batch its runs."""

from __future__ import annotations

from dataclasses import dataclass, field

Tick = int


@dataclass(frozen=True)
class TaskResult:
    start: Tick
    end: Tick
    mode: int
    # per requirement index: resource id -> units
    choice: tuple[tuple[tuple[str, int], ...], ...]


@dataclass(frozen=True)
class RunResult:
    id: str
    family: str
    start: Tick
    end: Tick
    members: tuple[str, ...]
    choice: tuple[tuple[str, int], ...] = ()


@dataclass
class CoreSolution:
    status: str
    objective: float | None
    bound: float | None
    wall_seconds: float
    deterministic_time: float = 0.0
    present: dict[str, bool] = field(default_factory=dict)
    tasks: dict[str, TaskResult] = field(default_factory=dict)
    holds: dict[str, str] = field(default_factory=dict)
    runs: list[RunResult] = field(default_factory=list)
    terms: dict[str, float] = field(default_factory=dict)
    solutions_found: int = 0

    @property
    def feasible(self) -> bool:
        return self.status in {"OPTIMAL", "FEASIBLE"}
