"""The generic scheduling core: tasks with modes, resources with calendars, lags, holds, batches.

The site model compiles into this; only :mod:`suitesched.solver` turns it into CP-SAT. Nothing
here knows about patients, suites or assays, so the core can be tested on textbook instances
(job shop, flexible job shop) and measured on public benchmarks.
"""

from suitesched.core.problem import (
    BatchFamily,
    BatchMember,
    Candidate,
    CoreProblem,
    FixedRun,
    Group,
    Hold,
    Lag,
    Mode,
    Requirement,
    Resource,
    Task,
)
from suitesched.core.solution import CoreSolution, RunResult, TaskResult

__all__ = [
    "BatchFamily",
    "BatchMember",
    "Candidate",
    "CoreProblem",
    "CoreSolution",
    "FixedRun",
    "Group",
    "Hold",
    "Lag",
    "Mode",
    "Requirement",
    "Resource",
    "RunResult",
    "Task",
    "TaskResult",
]
