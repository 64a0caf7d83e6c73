"""Input limits: the one place that says how big an input suitesched accepts.

A file beyond a limit is bad input (exit 2) with a located message, rather than a run that
grinds for hours or runs out of memory. The limits sit well above real sites: the largest
benchmark (400 orders over four weeks, 28 suites, 168 operators) uses a fraction of each, and
``suitesched generate`` writes sites up to 5,000 orders inside them. docs/limits.md explains
each one; the tests in tests/hardening/test_limits.py check each at and one past its value.
"""

from __future__ import annotations

MAX_FILE_BYTES = 50 * 1024 * 1024
"""Any input file (site.yaml, orders.csv, a single-file scenario, events, plan.json)."""

MAX_HORIZON_DAYS = 366
"""Days in the horizon: orders may start within a year."""

MAX_DURATION_MINUTES = 366 * 24 * 60
"""Any duration (step, changeover, lag, stability, sample age): at most a year."""

MIN_TIME_STEP_MINUTES = 5
"""The finest planning grid; ``time_step`` must also divide a day evenly."""

MAX_TIME_STEP_MINUTES = 24 * 60
"""The coarsest planning grid: one day."""

MAX_ORDERS = 5_000
"""Orders in one scenario (``suitesched generate --orders`` goes up to this many)."""

MAX_OPERATORS = 1_000
MAX_SUITES = 500
MAX_EQUIPMENT = 500
MAX_ASSAYS = 200
MAX_PROCESSES = 200
MAX_SHIFTS = 200

MAX_STEPS_PER_PROCESS = 50
"""Steps of one process (a CAR-T process has about ten)."""

MAX_QC_SAMPLES_PER_PROCESS = 50
MAX_LIST_ENTRIES = 1_000
"""Entries of any other list: holidays, a resource's down times, an operator's absences and
skills, start windows, a step's lags, a suite's tags, a shift's days."""

MAX_CAPACITY = 10_000
"""An equipment unit's or an assay run's capacity."""

MAX_OPERATORS_PER_STEP = 20

MAX_EVENTS = 100_000
"""Events in one events file: more is not a day's or a week's events."""


def megabytes(size: int) -> str:
    """``52428800`` -> ``'50 MB'`` for messages."""
    return f"{size / (1024 * 1024):.0f} MB" if size >= 1024 * 1024 else f"{size} bytes"

MAX_OBJECTIVE_WEIGHT = 10_000_000
"""Any weight of ``objective:`` (ten times the default for an unscheduled order): larger
weights would overflow the solver's 64-bit objective on big sites."""

EARLIEST_YEAR, LATEST_YEAR = 1970, 2200
"""Every date and datetime of an input lies in these years (a typo such as 20266 is caught
here rather than overflowing date arithmetic)."""
