"""Slot offers (SPEC §5a): when can a new patient's material come, and when is it released?

Each candidate arrival day is priced by the same exact model a re-plan uses to insert a new
order: the order alone (its steps, suite, people, equipment and QC runs) against the capacity
the current plan books, with frozen and planned work held exactly where it is. So an offer
never makes a planned order late or unscheduled and never moves frozen work, and a
``new_order`` event with the offered arrival re-plans to the same slot (a re-plan inserts the
orders its events touched first, then only accepts moves that leave nobody later).
"""

from __future__ import annotations

import dataclasses
import time
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

from suitesched.errors import InputError, Problem
from suitesched.model.plan import Plan
from suitesched.model.scenario import Order, Scenario
from suitesched.model.values import minutes_of_day, parse_time_of_day
from suitesched.planning.compile import compile_scenario
from suitesched.planning.events_apply import EventEffects, rebuild
from suitesched.planning.greedy import ONE_ORDER, Inserter
from suitesched.planning.pools import make_pools
from suitesched.planning.replan import (
    _kept_start,
    _PlanReader,
    _retests,
    resolve_replan_now,
)
from suitesched.planning.subproblem import book_from
from suitesched.timeline import Timeline

DEFAULT_WINDOW_DAYS = 28
"""Candidate arrival days searched when ``latest`` is not given."""
DEFAULT_ARRIVAL_TIME = "09:00"
"""Material is assumed to reach the site at this local time on the offered day."""
OFFER_DUE_DAYS = 90
"""Candidates are priced with a distant due date, so the model simply releases them as early
as it can (flow time) without lateness distorting the ranking."""


@dataclass(frozen=True)
class Offer:
    arrival: datetime
    release: datetime
    suite: str | None
    start: datetime

    def to_json_dict(self) -> dict[str, Any]:
        return {"arrival": self.arrival.isoformat(), "release": self.release.isoformat(),
                "suite": self.suite, "start": self.start.isoformat()}


@dataclass(frozen=True)
class OfferResult:
    offers: tuple[Offer, ...]
    candidates: int
    """Arrival days priced."""
    feasible: int
    """Of those, days with a slot."""
    first_day: date
    last_day: date
    seconds: float

    @property
    def method(self) -> str:
        return (f"priced {self.candidates} arrival days ({self.first_day}..{self.last_day}), "
                "each with the exact one-order CP-SAT model against the capacity the current "
                f"plan books (frozen and planned work held in place); {self.feasible} had a slot")


def offer(
    scenario: Scenario,
    plan: Plan,
    process: str,
    *,
    earliest: date | str | None = None,
    latest: date | str | None = None,
    top: int = 5,
    requires: str | None = None,
    now: datetime | str | None = None,
    arrival_time: str = DEFAULT_ARRIVAL_TIME,
    time_limit: float | None = None,
    seed: int = 0,
    max_deterministic_time: float | None = None,
) -> OfferResult:
    """Ranked arrival days for a new order of ``process`` (best release first, then the
    earliest arrival). ``now`` defaults to the later of the plan's ``now`` and the clock.

    Each day's one-order model runs on one worker with a deterministic limit (so offers are
    reproducible); ``time_limit`` stops pricing further days once spent, and
    ``max_deterministic_time`` replaces the per-day deterministic limit.
    """
    started = time.monotonic()
    _check_request(scenario, process, requires, top)
    moment = _resolve_now(scenario, plan, now)
    timeline = Timeline.of(scenario)
    first = _day(earliest) if earliest is not None else (
        moment.astimezone(scenario.timezone).date() + timedelta(days=1))
    last_allowed = (timeline.moment(timeline.horizon_end) - timedelta(minutes=1)
                    ).astimezone(scenario.timezone).date()
    last = min(_day(latest) if latest is not None else
               first + timedelta(days=DEFAULT_WINDOW_DAYS - 1), last_allowed)
    clock = minutes_of_day(parse_time_of_day(arrival_time))
    candidates: dict[str, Order] = {}
    day = first
    while day <= last:
        arrival = timeline.wall(day, clock)
        if arrival >= moment:
            oid = f"OFFER-{day.isoformat()}"
            candidates[oid] = Order(order_id=oid, process=process, arrival=arrival,
                                    due=arrival + timedelta(days=OFFER_DUE_DAYS),
                                    requires=requires)
        day += timedelta(days=1)
    with_candidates = rebuild(scenario, orders=(*scenario.orders, *candidates.values()))
    pools = make_pools(with_candidates)
    reader = _PlanReader(with_candidates, Timeline.of(with_candidates), pools, moment, 0)
    anchors, kept = reader.anchors(plan, EventEffects(), _retests(plan, EventEffects()))
    compiled = compile_scenario(with_candidates, moment, anchors=anchors, pools=pools)
    start = _kept_start(compiled, kept)
    book = book_from(compiled.problem, start, kept)
    params = dataclasses.replace(ONE_ORDER, seed=seed) if max_deterministic_time is None \
        else dataclasses.replace(ONE_ORDER, seed=seed,
                                 max_deterministic_time=max_deterministic_time)
    inserter = Inserter(compiled, params)
    priced = 0
    groups = {g.id: g for g in compiled.problem.groups}
    found: list[Offer] = []
    for oid, order in candidates.items():
        if time_limit is not None and time.monotonic() - started > time_limit:
            break
        priced += 1
        placed = inserter.insert(oid, book)
        if placed is None:
            continue
        _, solution = placed
        end = solution.tasks[groups[oid].end_task or ""].end
        first_task = min((r for t, r in solution.tasks.items() if t.startswith(oid + "/")),
                         key=lambda r: r.start)
        suite = next((solution.holds[h] for h in sorted(solution.holds)
                      if h.startswith(oid + "/")), None)
        found.append(Offer(order.arrival, compiled.timeline.moment(end), suite,
                           compiled.timeline.moment(first_task.start)))
    found.sort(key=lambda o: (o.release, o.arrival))
    return OfferResult(tuple(found[:top]), priced, len(found), first, last,
                       time.monotonic() - started)


def _resolve_now(scenario: Scenario, plan: Plan, now: datetime | str | None) -> datetime:
    if now is not None:
        return resolve_replan_now(scenario, now)
    clock = datetime.now(UTC).astimezone(scenario.timezone).replace(second=0, microsecond=0)
    return max(plan.now.astimezone(scenario.timezone), clock)


def _day(value: date | str) -> date:
    if isinstance(value, date):
        return value
    return date.fromisoformat(str(value)[:10])


def _check_request(scenario: Scenario, process: str, requires: str | None, top: int) -> None:
    problems = []
    if process not in scenario.processes_by_id:
        problems.append(Problem("--process", process, "unknown process; the site has "
                                + ", ".join(sorted(scenario.processes_by_id))))
    if requires is not None and not any(requires in s.tags for s in scenario.suites):
        problems.append(Problem("--requires", requires, "no suite carries this tag"))
    if top < 1:
        problems.append(Problem("--top", str(top), "must be at least 1"))
    if problems:
        raise InputError(problems, what="offer request")
