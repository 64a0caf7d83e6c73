"""The independent plan checker: every hard rule of SPEC §4.1 (and §4.2), from the spec alone.

It imports only :mod:`suitesched.model` and the standard library — never ``solver/``,
``planning/``, ``core/`` or ``timeline.py`` — so that a modelling mistake cannot hide in both
the solver and its check. It reasons in exact moments, not grid ticks: every plan time is
converted to UTC before any arithmetic (Python subtracts two datetimes of one ``ZoneInfo``
naively, ignoring daylight saving), and wall-clock things (shifts, holidays, start windows) are
placed with the site time zone.

Interpretations (the team's decisions):

* The grid: every start and end lies a whole number of ``time_step`` after the horizon's start
  (elapsed minutes); an operation lasts its duration rounded up to whole steps, a QC run its
  assay's duration rounded up likewise.
* Frozen operations and runs record what happened: they are exempt from the grid, the duration
  and the "not before now" checks (and from a step's ``start_windows``), but count for every
  resource conflict and every lag. With ``previous``, each frozen operation must appear there
  (same order and step) with identical start, end, suite, equipment and operators (compared
  as a set); each frozen run likewise by ``run_id``, except that it may lose the samples of
  orders left with no frozen operation (an event released their started work: a failed run,
  a cancellation). A frozen operation whose times came from
  a ``step_actual`` event therefore differs from ``previous`` and is reported: the checker
  cannot see events.
* Working time of a person: the union of the occurrences of their shift patterns (wall clock,
  crossing midnight when ``end <= start``), minus each holiday date in full (local midnight to
  midnight), minus their absences. A busy span — an operation, or a QC run's ``hands_on`` from
  its start for its analysts — must lie inside it; it may run from one shift occurrence into a
  touching one.
* A qualification ``{skill, until}`` counts for work that ends at or before ``until``.
* QC: without retests an order is in exactly one run per sample of the assay; each
  ``plan.retests`` entry adds one run that starts at or after its ``at`` and is exempt from
  ``sample_max_age``. Runs of one assay are matched to samples and retests by start time.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from suitesched.model.plan import Operation, OrderOutcome, Plan, QcRun
from suitesched.model.scenario import Operator, Order, Process, Scenario, StartWindow
from suitesched.model.values import WEEKDAYS, ceil_div, format_duration, minutes_of_day

RULE_STEPS = "4.1.1 operations"
RULE_ORDER = "4.1.2 step order"
RULE_SEGREGATION = "4.1.3 segregation"
RULE_EQUIPMENT = "4.1.4 equipment"
RULE_OPERATORS = "4.1.5 operators"
RULE_DOWN = "4.1.6 down times"
RULE_QC = "4.1.7 qc"
RULE_RELEASE = "4.1.8 release"
RULE_GRID = "4.1.9 grid and horizon"
RULE_FROZEN = "4.1.10 frozen work"
RULE_IDENTITY = "4.2 chain of identity"

QA_REVIEW = "qa_review"
TARDINESS_TOLERANCE = 5e-5 + 1e-6
"""Hours: a reported tardiness may be rounded to 4 decimals (plus float noise)."""


@dataclass(frozen=True, slots=True)
class Violation:
    """One broken hard rule: which rule, what is wrong in plain words, and the records."""

    rule: str
    message: str
    records: tuple[str, ...] = ()

    def __str__(self) -> str:
        return f"[{self.rule}] {self.message}"


Span = tuple[datetime, datetime]
"""A half-open UTC interval ``[start, end)``."""


@dataclass(frozen=True, slots=True)
class _Need:
    """What an operation needs: its step's (or the QA review's) duration and resources."""

    duration: int
    operators: int
    skill: str | None
    suite: bool
    equipment: str | None


def _utc(moment: datetime) -> datetime:
    return moment.astimezone(UTC)


def _op_label(op: Operation) -> str:
    return f"{op.order_id}/{op.step}"


def _run_label(run: QcRun) -> str:
    return f"run {run.run_id}"


def _minutes(delta: timedelta) -> float:
    return delta.total_seconds() / 60.0


def _span_text(delta: timedelta) -> str:
    """An elapsed time for messages: '2h15m', or minutes with a fraction when off-minute."""
    minutes = _minutes(delta)
    return format_duration(int(minutes)) if minutes.is_integer() else f"{minutes:g} min"


def _in_utc(plan: Plan) -> Plan:
    """The same plan with every moment converted to UTC."""
    return plan.model_copy(update={
        "now": _utc(plan.now),
        "operations": tuple(
            op.model_copy(update={"start": _utc(op.start), "end": _utc(op.end)})
            for op in plan.operations),
        "qc_runs": tuple(
            run.model_copy(update={"start": _utc(run.start), "end": _utc(run.end)})
            for run in plan.qc_runs),
        "orders": tuple(
            o.model_copy(update={k: _utc(v) for k in ("start", "release", "due")
                                 if (v := getattr(o, k)) is not None})
            for o in plan.orders),
        "retests": tuple(r.model_copy(update={"at": _utc(r.at)}) for r in plan.retests),
    })


def _merge(spans: Iterable[Span]) -> list[Span]:
    """Sort and merge overlapping or touching spans."""
    out: list[Span] = []
    for start, end in sorted(s for s in spans if s[1] > s[0]):
        if out and start <= out[-1][1]:
            out[-1] = (out[-1][0], max(out[-1][1], end))
        else:
            out.append((start, end))
    return out


class _Context:
    """Lookups over one scenario and one plan; every plan moment is in UTC."""

    def __init__(self, scenario: Scenario, plan: Plan) -> None:
        self.scenario = scenario
        self.tz = scenario.timezone
        self.plan = _in_utc(plan)
        self.time_step = scenario.time_step
        self.horizon_start = _utc(scenario.horizon.start)
        self.horizon_end = _utc(scenario.horizon.end)
        self.outcomes: dict[str, list[OrderOutcome]] = defaultdict(list)
        for outcome in self.plan.orders:
            self.outcomes[outcome.order_id].append(outcome)
        self.ops_by_order: dict[str, list[Operation]] = defaultdict(list)
        self.op_at: dict[tuple[str, str], Operation] = {}
        for op in self.plan.operations:
            self.ops_by_order[op.order_id].append(op)
            self.op_at.setdefault((op.order_id, op.step), op)
        self.runs_by_order: dict[str, list[QcRun]] = defaultdict(list)
        for run in self.plan.qc_runs:
            for order_id in dict.fromkeys(run.order_ids):
                self.runs_by_order[order_id].append(run)
        self.scheduled: list[Order] = [
            order for order in scenario.orders
            if order.status != "cancelled" and self.status(order.order_id) == "scheduled"
        ]
        self.scheduled_ids = {order.order_id for order in self.scheduled}

    # -- lookups ---------------------------------------------------------------------------

    def status(self, order_id: str) -> str | None:
        found = self.outcomes.get(order_id)
        return found[0].status if found else None

    def process(self, order: Order) -> Process:
        return self.scenario.processes_by_id[order.process]

    def op(self, order_id: str, step: str) -> Operation | None:
        return self.op_at.get((order_id, step))

    def need(self, op: Operation) -> _Need | None:
        """The step (or QA review) an operation instantiates; None when unknown."""
        order = self.scenario.orders_by_id.get(op.order_id)
        if order is None or order.process not in self.scenario.processes_by_id:
            return None
        process = self.process(order)
        if op.step == QA_REVIEW and process.qa_review is not None:
            qa = process.qa_review
            return _Need(qa.duration, qa.operators, qa.skill, False, None)
        step = process.steps_by_id.get(op.step)
        if step is None:
            return None
        return _Need(step.duration, step.operators, step.skill, step.suite, step.equipment)

    def rounded(self, minutes: int) -> int:
        """A duration rounded up to whole time steps."""
        return ceil_div(minutes, self.time_step) * self.time_step

    def on_grid(self, moment: datetime) -> bool:
        delta = moment - self.horizon_start
        seconds = delta.days * 86400 + delta.seconds
        return delta.microseconds == 0 and seconds % (self.time_step * 60) == 0

    def fmt(self, moment: datetime) -> str:
        """A moment in site-local time for messages."""
        return moment.astimezone(self.tz).isoformat(timespec="minutes")

    # -- wall-clock calendars ----------------------------------------------------------------

    def local_midnight(self, day: date) -> datetime:
        return _utc(datetime.combine(day, time(0), tzinfo=self.tz))

    def wall(self, day: date, minutes: int) -> datetime:
        """The moment ``minutes`` of wall clock after local midnight of ``day``, in UTC."""
        local = datetime.combine(day, time(0), tzinfo=self.tz) + timedelta(minutes=minutes)
        return _utc(local)

    def shift_occurrences(self, operator: Operator, start: datetime, end: datetime) -> list[Span]:
        """All occurrences of the operator's shift patterns that may touch ``[start, end)``."""
        first = start.astimezone(self.tz).date() - timedelta(days=1)
        last = end.astimezone(self.tz).date()
        out: list[Span] = []
        day = first
        while day <= last:
            weekday = WEEKDAYS[day.weekday()]
            for name in operator.shifts:
                pattern = self.scenario.shifts.get(name)
                if pattern is None or weekday not in pattern.days:
                    continue
                begin, finish = minutes_of_day(pattern.start), minutes_of_day(pattern.end)
                end_day = day if finish > begin else day + timedelta(days=1)
                out.append((self.wall(day, begin), self.wall(end_day, finish)))
            day += timedelta(days=1)
        return out

    def off_shift_reason(self, operator: Operator, start: datetime, end: datetime) -> str | None:
        """Why ``[start, end)`` is not working time of the operator (SPEC §4.1.5), or None."""
        if end <= start:
            return None
        for holiday in self.scenario.holidays:
            lo = self.local_midnight(holiday)
            hi = self.local_midnight(holiday + timedelta(days=1))
            if start < hi and lo < end:
                return f"{holiday.isoformat()} is a holiday"
        for window in operator.absent:
            if start < _utc(window.end) and _utc(window.start) < end:
                return (f"{operator.id} is absent from {self.fmt(window.start)} "
                        f"to {self.fmt(window.end)}")
        covered = _merge(self.shift_occurrences(operator, start, end))
        if not any(lo <= start and end <= hi for lo, hi in covered):
            return f"it is outside {operator.id}'s shifts ({', '.join(operator.shifts)})"
        return None

    def in_start_window(self, moment: datetime, windows: Sequence[StartWindow]) -> bool:
        """Whether a moment is inside one of the windows (local weekday, from..to inclusive)."""
        local = moment.astimezone(self.tz)
        weekday = WEEKDAYS[local.weekday()]
        minute = local.hour * 60 + local.minute + local.second / 60.0
        return any(
            weekday in w.days and minutes_of_day(w.from_) <= minute <= minutes_of_day(w.to)
            for w in windows
        )


Check = Callable[[_Context], Iterable["Violation"]]


# ---------------------------------------------------------------------------------------------
# 4.1.1 Every scheduled order has exactly one operation per step, with the step's duration.
# ---------------------------------------------------------------------------------------------


def _orders_listed(ctx: _Context) -> Iterator[Violation]:
    """SPEC §4.1.1 / §3: every order appears once in ``orders``, cancelled ones as cancelled."""
    for order in ctx.scenario.orders:
        oid = order.order_id
        found = ctx.outcomes.get(oid, [])
        if len(found) > 1:
            yield Violation(RULE_STEPS, f"order {oid} is listed {len(found)} times in the "
                            "plan's orders; it must appear once", (f"order {oid}",))
        if order.status == "cancelled":
            if found and found[0].status != "cancelled":
                yield Violation(RULE_STEPS, f"order {oid} is cancelled in the scenario but "
                                f"'{found[0].status}' in the plan", (f"order {oid}",))
        elif not found:
            yield Violation(RULE_STEPS, f"order {oid} is missing from the plan's orders",
                            (f"order {oid}",))
        elif found[0].status == "cancelled":
            yield Violation(RULE_STEPS, f"order {oid} is planned in the scenario but "
                            "'cancelled' in the plan", (f"order {oid}",))


def _operations_complete(ctx: _Context) -> Iterator[Violation]:
    """SPEC §4.1.1: one operation per step (and QA review) of a scheduled order, none else."""
    for order in ctx.scenario.orders:
        oid = order.order_id
        ops = ctx.ops_by_order.get(oid, [])
        if oid not in ctx.scheduled_ids:
            if ops:
                status = "cancelled" if order.status == "cancelled" else ctx.status(oid)
                yield Violation(RULE_STEPS, f"order {oid} is {status or 'not in the plan'} but "
                                f"has {len(ops)} operation(s); it must have none",
                                tuple(_op_label(op) for op in ops))
            continue
        process = ctx.process(order)
        expected = [s.id for s in process.steps]
        if process.qa_review is not None:
            expected.append(QA_REVIEW)
        counts = Counter(op.step for op in ops)
        for step_id in expected:
            if counts[step_id] == 0:
                yield Violation(RULE_STEPS, f"order {oid} has no operation for step "
                                f"'{step_id}' of process {process.id}", (f"{oid}/{step_id}",))
            elif counts[step_id] > 1:
                yield Violation(RULE_STEPS, f"order {oid} has {counts[step_id]} operations "
                                f"for step '{step_id}'; it must have one", (f"{oid}/{step_id}",))
        for step_id in sorted(set(counts) - set(expected)):
            yield Violation(RULE_STEPS, f"operation {oid}/{step_id}: process {process.id} has "
                            f"no step '{step_id}'", (f"{oid}/{step_id}",))


def _operation_shape(ctx: _Context) -> Iterator[Violation]:
    """SPEC §4.1.1 (and §4.1.5 "exactly ``operators`` distinct people"): length and crew."""
    for op in ctx.plan.operations:
        need = ctx.need(op)
        if need is None:
            continue
        label = _op_label(op)
        length = _minutes(op.end - op.start)
        if op.end <= op.start:
            yield Violation(RULE_STEPS, f"operation {label} ends ({ctx.fmt(op.end)}) at or "
                            f"before it starts ({ctx.fmt(op.start)})", (label,))
        elif not op.frozen and length != ctx.rounded(need.duration):
            yield Violation(RULE_STEPS, f"operation {label} lasts {length:g} min; its duration "
                            f"{format_duration(need.duration)} on the {ctx.time_step}-min grid "
                            f"is {ctx.rounded(need.duration)} min", (label,))
        people = set(op.operators)
        if len(people) != len(op.operators):
            yield Violation(RULE_STEPS, f"operation {label} lists an operator twice: "
                            f"{', '.join(op.operators)}", (label,))
        if len(people) != need.operators:
            yield Violation(RULE_STEPS, f"operation {label} has {len(people)} distinct "
                            f"operator(s); it needs exactly {need.operators}", (label,))


# ---------------------------------------------------------------------------------------------
# 4.1.2 Step order and lags, arrival and stability.
# ---------------------------------------------------------------------------------------------


def _arrival_and_stability(ctx: _Context) -> Iterator[Violation]:
    """SPEC §4.1.2: nothing before arrival; the first step within the stability window."""
    for order in ctx.scheduled:
        oid = order.order_id
        arrival = _utc(order.arrival)
        for op in ctx.ops_by_order.get(oid, []):
            if op.start < arrival:
                yield Violation(RULE_ORDER, f"operation {_op_label(op)} starts "
                                f"{ctx.fmt(op.start)}, before the specimen arrives "
                                f"({ctx.fmt(arrival)})", (_op_label(op),))
        first = ctx.op(oid, ctx.process(order).steps[0].id)
        limit = order.latest_first_start
        if first is not None and limit is not None and first.start > _utc(limit):
            stability = format_duration(order.stability or 0)
            yield Violation(RULE_ORDER, f"operation {_op_label(first)} starts "
                            f"{ctx.fmt(first.start)}, after the stability window ends "
                            f"({ctx.fmt(limit)}: collected + {stability})",
                            (_op_label(first),))


def _step_links(ctx: _Context) -> Iterator[Violation]:
    """SPEC §4.1.2: after the previous step within ``max_wait``, or by the ``after`` lags."""
    for order in ctx.scheduled:
        oid = order.order_id
        steps = ctx.process(order).steps
        for index, step in enumerate(steps):
            op = ctx.op(oid, step.id)
            if op is None:
                continue
            label = _op_label(op)
            if step.after:
                for lag in step.after:
                    ref = ctx.op(oid, lag.step)
                    if ref is None:
                        continue
                    anchor = ref.start if lag.from_ == "start" else ref.end
                    what = f"the {lag.from_} of {_op_label(ref)} ({ctx.fmt(anchor)})"
                    if op.start < anchor + timedelta(minutes=lag.min):
                        gap = f"less than {format_duration(lag.min)} after" if lag.min else \
                            "before"
                        yield Violation(RULE_ORDER, f"operation {label} starts "
                                        f"{ctx.fmt(op.start)}, {gap} {what}",
                                        (label, _op_label(ref)))
                    if lag.max is not None and op.start > anchor + timedelta(minutes=lag.max):
                        yield Violation(RULE_ORDER, f"operation {label} starts "
                                        f"{ctx.fmt(op.start)}, more than "
                                        f"{format_duration(lag.max)} after {what}",
                                        (label, _op_label(ref)))
            elif index > 0:
                prev = ctx.op(oid, steps[index - 1].id)
                if prev is None:
                    continue
                if op.start < prev.end:
                    yield Violation(RULE_ORDER, f"operation {label} starts "
                                    f"{ctx.fmt(op.start)}, before the previous step "
                                    f"{_op_label(prev)} ends ({ctx.fmt(prev.end)})",
                                    (label, _op_label(prev)))
                elif step.max_wait is not None and op.start > prev.end + timedelta(
                        minutes=step.max_wait):
                    wait = _span_text(op.start - prev.end)
                    yield Violation(RULE_ORDER, f"operation {label} starts {wait} after "
                                    f"{_op_label(prev)} ends; max_wait is "
                                    f"{format_duration(step.max_wait)}",
                                    (label, _op_label(prev)))


def _step_start_windows(ctx: _Context) -> Iterator[Violation]:
    """SPEC §2.1 step ``start_windows`` (a timing rule, reported under §4.1.2)."""
    for order in ctx.scheduled:
        for step in ctx.process(order).steps:
            op = ctx.op(order.order_id, step.id)
            if op is None or op.frozen or not step.start_windows:
                continue
            if not ctx.in_start_window(op.start, step.start_windows):
                yield Violation(RULE_ORDER, f"operation {_op_label(op)} starts "
                                f"{ctx.fmt(op.start)}, outside the start windows of step "
                                f"'{step.id}'", (_op_label(op),))


# ---------------------------------------------------------------------------------------------
# 4.1.3 Segregation.
# ---------------------------------------------------------------------------------------------


def _suite_assignment(ctx: _Context) -> Iterator[Violation]:
    """SPEC §4.1.3: suite steps get a known suite (tagged if required), others none."""
    suites = ctx.scenario.suites_by_id
    for op in ctx.plan.operations:
        need = ctx.need(op)
        if need is None:
            continue
        label = _op_label(op)
        if need.suite and op.suite is None:
            yield Violation(RULE_SEGREGATION, f"operation {label} needs a suite but has none",
                            (label,))
        elif not need.suite and op.suite is not None:
            yield Violation(RULE_SEGREGATION, f"operation {label} is not a suite step but is "
                            f"placed in suite {op.suite}", (label,))
        if op.suite is None:
            continue
        if op.suite not in suites:
            yield Violation(RULE_SEGREGATION, f"operation {label} uses unknown suite "
                            f"{op.suite}", (label,))
            continue
        order = ctx.scenario.orders_by_id[op.order_id]
        if order.requires is not None and order.requires not in suites[op.suite].tags:
            yield Violation(RULE_SEGREGATION, f"operation {label} is in suite {op.suite}, "
                            f"which lacks tag '{order.requires}' that order {op.order_id} "
                            "requires", (label,))


def _same_suite(ctx: _Context) -> Iterator[Violation]:
    """SPEC §4.1.3: with ``same_suite``, all suite operations of an order use one suite."""
    for order in ctx.scheduled:
        if not ctx.process(order).same_suite:
            continue
        ops = [op for op in ctx.ops_by_order.get(order.order_id, []) if op.suite is not None]
        used = sorted({op.suite for op in ops if op.suite is not None})
        if len(used) > 1:
            yield Violation(RULE_SEGREGATION, f"order {order.order_id} uses suites "
                            f"{', '.join(used)}; its process {order.process} has same_suite, "
                            "so all its suite steps must use one suite",
                            tuple(_op_label(op) for op in ops))


def _suite_segregation(ctx: _Context) -> Iterator[Violation]:
    """SPEC §4.1.3 / §4.2: one order at a time per suite, changeover between orders."""
    by_suite: dict[str, list[Operation]] = defaultdict(list)
    for op in ctx.plan.operations:
        if op.suite is not None and op.suite in ctx.scenario.suites_by_id:
            by_suite[op.suite].append(op)
    for suite_id, ops in sorted(by_suite.items()):
        minutes = ctx.scenario.suites_by_id[suite_id].changeover
        changeover = timedelta(minutes=minutes)
        ops.sort(key=lambda op: (op.start, op.end))
        for i, a in enumerate(ops):
            for b in ops[i + 1:]:
                if b.start >= a.end + changeover:
                    break
                same = a.order_id == b.order_id
                records = (_op_label(a), _op_label(b))
                if b.start < a.end:
                    who = "of the same order " if same else "of different orders "
                    yield Violation(RULE_SEGREGATION, f"operations {records[0]} "
                                    f"({ctx.fmt(a.start)}–{ctx.fmt(a.end)}) and {records[1]} "
                                    f"({ctx.fmt(b.start)}–{ctx.fmt(b.end)}) {who}overlap in "
                                    f"suite {suite_id}", records)
                elif not same:
                    gap = _span_text(b.start - a.end)
                    yield Violation(RULE_SEGREGATION, f"suite {suite_id}: {records[0]} ends "
                                    f"{ctx.fmt(a.end)} and {records[1]} starts "
                                    f"{ctx.fmt(b.start)}, {gap} apart; the changeover "
                                    f"between orders needs {format_duration(minutes)}",
                                    records)


# ---------------------------------------------------------------------------------------------
# 4.1.4 Equipment.
# ---------------------------------------------------------------------------------------------


def _equipment_assignment(ctx: _Context) -> Iterator[Violation]:
    """SPEC §4.1.4: an equipment step uses a unit of its type; other steps none."""
    units = ctx.scenario.equipment_by_id
    for op in ctx.plan.operations:
        need = ctx.need(op)
        if need is None:
            continue
        label = _op_label(op)
        if need.equipment is None:
            if op.equipment is not None:
                yield Violation(RULE_EQUIPMENT, f"operation {label} needs no equipment but "
                                f"uses {op.equipment}", (label,))
        elif op.equipment is None:
            yield Violation(RULE_EQUIPMENT, f"operation {label} needs a unit of type "
                            f"'{need.equipment}' but has none", (label,))
        elif op.equipment not in units:
            yield Violation(RULE_EQUIPMENT, f"operation {label} uses unknown equipment "
                            f"{op.equipment}", (label,))
        elif units[op.equipment].type != need.equipment:
            yield Violation(RULE_EQUIPMENT, f"operation {label} needs a unit of type "
                            f"'{need.equipment}' but uses {op.equipment}, of type "
                            f"'{units[op.equipment].type}'",
                            (label,))


def _equipment_capacity(ctx: _Context) -> Iterator[Violation]:
    """SPEC §4.1.4: at any moment a unit holds at most ``capacity`` operations."""
    by_unit: dict[str, list[Operation]] = defaultdict(list)
    for op in ctx.plan.operations:
        if op.equipment is not None and op.equipment in ctx.scenario.equipment_by_id:
            by_unit[op.equipment].append(op)
    for unit_id, ops in sorted(by_unit.items()):
        capacity = ctx.scenario.equipment_by_id[unit_id].capacity
        # (time, kind, index): an end (kind 0) at t frees the unit before a start (kind 1) at t.
        events = sorted([(op.start, 1, i) for i, op in enumerate(ops) if op.end > op.start]
                        + [(op.end, 0, i) for i, op in enumerate(ops) if op.end > op.start])
        active: set[int] = set()
        over = False
        for moment, kind, index in events:
            if kind == 0:
                active.discard(index)
                over = len(active) > capacity
                continue
            active.add(index)
            if len(active) > capacity and not over:
                held = sorted(active, key=lambda i: (ops[i].start, ops[i].order_id))
                yield Violation(RULE_EQUIPMENT, f"equipment {unit_id} holds {len(active)} "
                                f"operations at {ctx.fmt(moment)}, more than its capacity "
                                f"{capacity}: {', '.join(_op_label(ops[i]) for i in held)}",
                                tuple(_op_label(ops[i]) for i in held))
            over = len(active) > capacity


# ---------------------------------------------------------------------------------------------
# 4.1.5 Operators.
# ---------------------------------------------------------------------------------------------


def _operator_qualifications(ctx: _Context) -> Iterator[Violation]:
    """SPEC §4.1.5: every listed operator exists and holds the skill, unexpired at the end."""
    people = ctx.scenario.operators_by_id
    for op in ctx.plan.operations:
        need = ctx.need(op)
        label = _op_label(op)
        for person in dict.fromkeys(op.operators):
            if person not in people:
                yield Violation(RULE_OPERATORS, f"operation {label} lists unknown operator "
                                f"{person}", (label,))
                continue
            if need is None or need.skill is None:
                continue
            qualification = people[person].qualification(need.skill)
            if qualification is None:
                yield Violation(RULE_OPERATORS, f"operation {label}: operator {person} lacks "
                                f"skill '{need.skill}'", (label,))
            elif qualification.until is not None and op.end > _utc(qualification.until):
                yield Violation(RULE_OPERATORS, f"operation {label} ends {ctx.fmt(op.end)}, "
                                f"after {person}'s '{need.skill}' qualification expires "
                                f"({ctx.fmt(qualification.until)})", (label,))


def _busy_spans(ctx: _Context) -> dict[str, list[tuple[datetime, datetime, str]]]:
    """Each person's busy spans: operations, and QC runs' hands-on time from their start."""
    spans: dict[str, list[tuple[datetime, datetime, str]]] = defaultdict(list)
    for op in ctx.plan.operations:
        for person in dict.fromkeys(op.operators):
            spans[person].append((op.start, op.end, _op_label(op)))
    for run in ctx.plan.qc_runs:
        assay = ctx.scenario.assays_by_id.get(run.assay)
        if assay is None or assay.hands_on <= 0:
            continue
        hands_off = run.start + timedelta(minutes=assay.hands_on)
        for person in dict.fromkeys(run.analysts):
            spans[person].append((run.start, hands_off, _run_label(run)))
    return spans


def _operator_double_booking(ctx: _Context) -> Iterator[Violation]:
    """SPEC §4.1.5: nobody works two things at once."""
    for person, spans in sorted(_busy_spans(ctx).items()):
        spans.sort()
        for i, (a_start, a_end, a_label) in enumerate(spans):
            for b_start, b_end, b_label in spans[i + 1:]:
                if b_start >= a_end:
                    break
                if b_end <= b_start or a_end <= a_start:
                    continue
                yield Violation(RULE_OPERATORS, f"operator {person} works two things at once: "
                                f"{a_label} ({ctx.fmt(a_start)}–{ctx.fmt(a_end)}) and "
                                f"{b_label} ({ctx.fmt(b_start)}–{ctx.fmt(b_end)})",
                                (a_label, b_label))


def _operator_shifts(ctx: _Context) -> Iterator[Violation]:
    """SPEC §4.1.5: people work only inside their shifts, never on holidays or while absent."""
    people = ctx.scenario.operators_by_id
    for op in ctx.plan.operations:
        for person in dict.fromkeys(op.operators):
            if person not in people:
                continue
            reason = ctx.off_shift_reason(people[person], op.start, op.end)
            if reason is not None:
                yield Violation(RULE_OPERATORS, f"operator {person} works on {_op_label(op)} "
                                f"({ctx.fmt(op.start)}–{ctx.fmt(op.end)}) but {reason}",
                                (_op_label(op),))


# ---------------------------------------------------------------------------------------------
# 4.1.6 Down times.
# ---------------------------------------------------------------------------------------------


def _down_times(ctx: _Context) -> Iterator[Violation]:
    """SPEC §4.1.6: no suite or equipment unit is used while down."""
    for op in ctx.plan.operations:
        for resource in (op.suite, op.equipment):
            if resource is None:
                continue
            unit = ctx.scenario.suites_by_id.get(resource) or ctx.scenario.equipment_by_id.get(
                resource)
            if unit is None:
                continue
            for window in unit.down:
                if op.start < _utc(window.end) and _utc(window.start) < op.end:
                    yield Violation(RULE_DOWN, f"operation {_op_label(op)} "
                                    f"({ctx.fmt(op.start)}–{ctx.fmt(op.end)}) uses {resource} "
                                    f"while it is down ({ctx.fmt(window.start)}–"
                                    f"{ctx.fmt(window.end)})", (_op_label(op),))


# ---------------------------------------------------------------------------------------------
# 4.1.7 QC.
# ---------------------------------------------------------------------------------------------


def _qc_runs(ctx: _Context) -> Iterator[Violation]:
    """SPEC §4.1.7: a run's assay, batch size, length, start window and listed orders."""
    seen: set[str] = set()
    for run in ctx.plan.qc_runs:
        label = _run_label(run)
        if run.run_id in seen:
            yield Violation(RULE_QC, f"run id {run.run_id} is used twice", (label,))
        seen.add(run.run_id)
        assay = ctx.scenario.assays_by_id.get(run.assay)
        if assay is None:
            yield Violation(RULE_QC, f"{label} is of unknown assay '{run.assay}'", (label,))
            continue
        if len(run.order_ids) > assay.capacity:
            yield Violation(RULE_QC, f"{label} holds {len(run.order_ids)} samples, more than "
                            f"assay {assay.id}'s capacity {assay.capacity}", (label,))
        for twice in sorted(k for k, n in Counter(run.order_ids).items() if n > 1):
            yield Violation(RULE_QC, f"{label} lists order {twice} more than once", (label,))
        length = _minutes(run.end - run.start)
        if not run.frozen and length != ctx.rounded(assay.duration):
            yield Violation(RULE_QC, f"{label} lasts {length:g} min; assay {assay.id} takes "
                            f"{format_duration(assay.duration)}, {ctx.rounded(assay.duration)} "
                            f"min on the {ctx.time_step}-min grid", (label,))
        if assay.start_windows and not ctx.in_start_window(run.start, assay.start_windows):
            yield Violation(RULE_QC, f"{label} starts {ctx.fmt(run.start)}, outside the start "
                            f"windows of assay {assay.id}", (label,))
        for oid in dict.fromkeys(run.order_ids):
            order = ctx.scenario.orders_by_id.get(oid)
            if order is None:
                continue  # reported under 4.2
            if oid not in ctx.scheduled_ids:
                status = "cancelled" if order.status == "cancelled" else ctx.status(oid)
                yield Violation(RULE_QC, f"{label} lists order {oid}, which is "
                                f"{status or 'not in the plan'}", (label,))
            elif all(s.assay != assay.id for s in ctx.process(order).qc):
                yield Violation(RULE_QC, f"{label} lists order {oid}, whose process "
                                f"{order.process} takes no {assay.id} sample", (label,))


def _qc_analysts(ctx: _Context) -> Iterator[Violation]:
    """SPEC §4.1.7: exactly ``analysts`` people, skilled and on shift for ``hands_on``."""
    people = ctx.scenario.operators_by_id
    for run in ctx.plan.qc_runs:
        assay = ctx.scenario.assays_by_id.get(run.assay)
        if assay is None:
            continue
        label = _run_label(run)
        distinct = list(dict.fromkeys(run.analysts))
        if len(distinct) != len(run.analysts):
            yield Violation(RULE_QC, f"{label} lists an analyst twice", (label,))
        if len(distinct) != assay.analysts:
            yield Violation(RULE_QC, f"{label} has {len(distinct)} analyst(s); assay "
                            f"{assay.id} needs exactly {assay.analysts}", (label,))
        hands_off = run.start + timedelta(minutes=assay.hands_on)
        for person in distinct:
            if person not in people:
                yield Violation(RULE_QC, f"{label} lists unknown analyst {person}", (label,))
                continue
            if assay.skill is not None:
                qualification = people[person].qualification(assay.skill)
                if qualification is None:
                    yield Violation(RULE_QC, f"{label}: analyst {person} lacks skill "
                                    f"'{assay.skill}'", (label,))
                elif qualification.until is not None and hands_off > _utc(qualification.until):
                    yield Violation(RULE_QC, f"{label}: analyst {person}'s '{assay.skill}' "
                                    f"qualification expires {ctx.fmt(qualification.until)}, "
                                    f"before the hands-on work ends ({ctx.fmt(hands_off)})",
                                    (label,))
            reason = ctx.off_shift_reason(people[person], run.start, hands_off)
            if reason is not None:
                yield Violation(RULE_QC, f"analyst {person} works on {label} "
                                f"({ctx.fmt(run.start)}–{ctx.fmt(hands_off)} hands-on) but "
                                f"{reason}", (label,))


def _qc_samples(ctx: _Context) -> Iterator[Violation]:
    """SPEC §4.1.7 / §5: each sample in exactly one run (plus retests), taken and fresh."""
    for order in ctx.scheduled:
        oid = order.order_id
        process = ctx.process(order)
        samples: dict[str, list[datetime | None]] = defaultdict(list)
        sample_ops: dict[str, list[str]] = defaultdict(list)
        for sample in process.qc:
            taken = ctx.op(oid, sample.sample_after)
            samples[sample.assay].append(taken.end if taken is not None else None)
            sample_ops[sample.assay].append(f"{oid}/{sample.sample_after}")
        retests = defaultdict(list)
        for retest in ctx.plan.retests:
            if retest.order_id == oid:
                retests[retest.assay].append(retest.at)
        for assay_id in sorted(set(retests) - set(samples)):
            yield Violation(RULE_QC, f"a retest of {assay_id} is planned for order {oid}, "
                            f"whose process {process.id} takes no {assay_id} sample",
                            (f"order {oid}",))
        for assay_id, taken_at in samples.items():
            yield from _qc_sample_runs(ctx, order, assay_id, taken_at,
                                       sorted(retests.get(assay_id, [])), sample_ops[assay_id])


def _qc_sample_runs(ctx: _Context, order: Order, assay_id: str,
                    samples: list[datetime | None], retest_at: list[datetime],
                    sample_ops: list[str]) -> Iterator[Violation]:
    """SPEC §4.1.7: one order's runs of one assay against its samples and retests.

    Runs are matched by start time: the earliest to the samples (earliest taken first), the
    rest to the retests (earliest asked first). A sample whose operation is missing (reported
    under 4.1.1) is counted but its timing is not checked.
    """
    oid = order.order_id
    runs = sorted((r for r in ctx.runs_by_order.get(oid, []) if r.assay == assay_id),
                  key=lambda r: (r.start, r.run_id))
    expected = len(samples) + len(retest_at)
    if len(runs) != expected:
        extra = f" ({len(retest_at)} of them retests)" if retest_at else ""
        yield Violation(RULE_QC, f"order {oid} is in {len(runs)} run(s) of assay {assay_id}; "
                        f"it must be in exactly {expected}{extra}",
                        (*sample_ops, *(_run_label(r) for r in runs)))
    assay = ctx.scenario.assays_by_id.get(assay_id)
    max_age = assay.sample_max_age if assay is not None else None
    if any(taken is None for taken in samples):
        return
    taken_at = sorted(taken for taken in samples if taken is not None)
    for run, taken in zip(runs, taken_at, strict=False):
        if run.start < taken:
            yield Violation(RULE_QC, f"{_run_label(run)} starts {ctx.fmt(run.start)}, before "
                            f"order {oid}'s sample is taken ({ctx.fmt(taken)})",
                            (_run_label(run), *sample_ops))
        elif max_age is not None and run.start > taken + timedelta(minutes=max_age):
            age = _span_text(run.start - taken)
            yield Violation(RULE_QC, f"{_run_label(run)} starts {ctx.fmt(run.start)}: order "
                            f"{oid}'s sample is then {age} old, more than "
                            f"sample_max_age {format_duration(max_age)}",
                            (_run_label(run), *sample_ops))
    for run, at in zip(runs[len(taken_at):], retest_at, strict=False):
        if run.start < at or (taken_at and run.start < taken_at[0]):
            yield Violation(RULE_QC, f"retest {_run_label(run)} of order {oid} starts "
                            f"{ctx.fmt(run.start)}, before the retest was asked for "
                            f"({ctx.fmt(at)}) or the sample was taken", (_run_label(run),))


# ---------------------------------------------------------------------------------------------
# 4.1.8 Release.
# ---------------------------------------------------------------------------------------------


def _qa_review_last(ctx: _Context) -> Iterator[Violation]:
    """SPEC §4.1.8: the QA review starts after every QC run and every other operation ends."""
    for order in ctx.scheduled:
        oid = order.order_id
        qa = ctx.op(oid, QA_REVIEW) if ctx.process(order).qa_review is not None else None
        if qa is None:
            continue
        for run in ctx.runs_by_order.get(oid, []):
            if qa.start < run.end:
                yield Violation(RULE_RELEASE, f"QA review {_op_label(qa)} starts "
                                f"{ctx.fmt(qa.start)}, before {_run_label(run)} ends "
                                f"({ctx.fmt(run.end)})", (_op_label(qa), _run_label(run)))
        for op in ctx.ops_by_order.get(oid, []):
            if op is not qa and op.step != QA_REVIEW and qa.start < op.end:
                yield Violation(RULE_RELEASE, f"QA review {_op_label(qa)} starts "
                                f"{ctx.fmt(qa.start)}, before {_op_label(op)} ends "
                                f"({ctx.fmt(op.end)})", (_op_label(qa), _op_label(op)))


def _order_outcomes(ctx: _Context) -> Iterator[Violation]:
    """SPEC §4.1.8 / §3: ``release``, ``start``, ``due`` and ``tardiness_hours`` add up."""
    for order in ctx.scheduled:
        oid = order.order_id
        outcome = ctx.outcomes[oid][0]
        ops = ctx.ops_by_order.get(oid, [])
        runs = ctx.runs_by_order.get(oid, [])
        if ctx.process(order).qa_review is not None:
            qa = ctx.op(oid, QA_REVIEW)
            release = qa.end if qa is not None else None
            source = f"the end of {oid}/{QA_REVIEW}"
        else:
            ends = [op.end for op in ops] + [run.end for run in runs]
            release = max(ends) if ends else None
            source = "the end of its last operation or QC run"
        records = (f"order {oid}",)
        if outcome.release is None:
            yield Violation(RULE_RELEASE, f"scheduled order {oid} has no release", records)
        elif release is not None and outcome.release != release:
            yield Violation(RULE_RELEASE, f"order {oid}'s release {ctx.fmt(outcome.release)} "
                            f"is not {source} ({ctx.fmt(release)})", records)
        first = ctx.op(oid, ctx.process(order).steps[0].id)
        if first is not None and outcome.start != first.start:
            shown = ctx.fmt(outcome.start) if outcome.start is not None else "missing"
            yield Violation(RULE_RELEASE, f"order {oid}'s start ({shown}) is not the start of "
                            f"its first step {_op_label(first)} ({ctx.fmt(first.start)})", records)
        due = _utc(order.due)
        if outcome.due is not None and outcome.due != due:
            yield Violation(RULE_RELEASE, f"order {oid}'s due {ctx.fmt(outcome.due)} is not the "
                            f"scenario's ({ctx.fmt(due)})", records)
        if outcome.release is None:
            continue
        late = max(0.0, (outcome.release - due).total_seconds() / 3600.0)
        if outcome.tardiness_hours is None or abs(outcome.tardiness_hours - late) > \
                TARDINESS_TOLERANCE:
            yield Violation(RULE_RELEASE, f"order {oid}'s tardiness_hours is "
                            f"{outcome.tardiness_hours}; release {ctx.fmt(outcome.release)} "
                            f"against due {ctx.fmt(due)} gives {round(late, 4):g}", records)


# ---------------------------------------------------------------------------------------------
# 4.1.9 Grid and horizon.
# ---------------------------------------------------------------------------------------------


def _timed_records(ctx: _Context) -> Iterator[tuple[str, str, datetime, datetime, bool]]:
    """(description, record, start, end, frozen) of every operation and QC run."""
    for op in ctx.plan.operations:
        yield f"operation {_op_label(op)}", _op_label(op), op.start, op.end, op.frozen
    for run in ctx.plan.qc_runs:
        yield _run_label(run), _run_label(run), run.start, run.end, run.frozen


def _grid(ctx: _Context) -> Iterator[Violation]:
    """SPEC §4.1.9: every (non-frozen) start and end lies on the ``time_step`` grid."""
    for what, record, start, end, frozen in _timed_records(ctx):
        if frozen:
            continue
        for name, moment in (("starts", start), ("ends", end)):
            if not ctx.on_grid(moment):
                yield Violation(RULE_GRID, f"{what} {name} {ctx.fmt(moment)}, off the "
                                f"{ctx.time_step}-min grid from the horizon's start "
                                f"{ctx.fmt(ctx.horizon_start)}", (record,))


def _not_before_now(ctx: _Context) -> Iterator[Violation]:
    """SPEC §4.1.9: nothing (not frozen) starts before the horizon's start or ``now``."""
    floor = max(ctx.horizon_start, ctx.plan.now)
    which = "now" if ctx.plan.now >= ctx.horizon_start else "the horizon's start"
    for what, record, start, _end, frozen in _timed_records(ctx):
        if not frozen and start < floor:
            yield Violation(RULE_GRID, f"{what} starts {ctx.fmt(start)}, before {which} "
                            f"({ctx.fmt(floor)}), and is not frozen", (record,))


def _first_step_in_horizon(ctx: _Context) -> Iterator[Violation]:
    """SPEC §4.1.9: every scheduled order's first step starts inside the horizon."""
    for order in ctx.scheduled:
        first = ctx.op(order.order_id, ctx.process(order).steps[0].id)
        if first is None:
            continue
        if not ctx.horizon_start <= first.start < ctx.horizon_end:
            yield Violation(RULE_GRID, f"order {order.order_id}'s first step "
                            f"{_op_label(first)} starts {ctx.fmt(first.start)}, outside the "
                            f"horizon {ctx.fmt(ctx.horizon_start)}–{ctx.fmt(ctx.horizon_end)}",
                            (_op_label(first),))


# ---------------------------------------------------------------------------------------------
# 4.1.10 Frozen work.
# ---------------------------------------------------------------------------------------------


def _frozen_unchanged(ctx: _Context, previous: Plan) -> Iterator[Violation]:
    """SPEC §4.1.10 / §5: frozen operations and runs are exactly as in the previous plan."""
    before = _in_utc(previous)
    old_ops = {(op.order_id, op.step): op for op in before.operations}
    for op in ctx.plan.operations:
        if not op.frozen:
            continue
        label = _op_label(op)
        old = old_ops.get((op.order_id, op.step))
        if old is None:
            yield Violation(RULE_FROZEN, f"operation {label} is frozen but is not in the "
                            "previous plan", (label,))
            continue
        changed = [name for name, a, b in (
            ("start", op.start, old.start), ("end", op.end, old.end),
            ("suite", op.suite, old.suite), ("equipment", op.equipment, old.equipment),
            ("operators", sorted(op.operators), sorted(old.operators))) if a != b]
        if changed:
            yield Violation(RULE_FROZEN, f"frozen operation {label} changed its "
                            f"{', '.join(changed)} against the previous plan", (label,))
    old_runs = {run.run_id: run for run in before.qc_runs}
    # An order whose started work an event released (a failed run restarted or cancelled, a
    # cancellation) keeps no frozen operation; its sample leaves the frozen runs it was in.
    holding = {op.order_id for op in ctx.plan.operations if op.frozen}
    for run in ctx.plan.qc_runs:
        if not run.frozen:
            continue
        label = _run_label(run)
        old_run = old_runs.get(run.run_id)
        if old_run is None:
            yield Violation(RULE_FROZEN, f"{label} is frozen but is not in the previous plan",
                            (label,))
            continue
        changed = [name for name, a, b in (
            ("assay", run.assay, old_run.assay), ("start", run.start, old_run.start),
            ("end", run.end, old_run.end),
            ("analysts", sorted(run.analysts), sorted(old_run.analysts)),
            ("order_ids", sorted(run.order_ids),
             sorted(o for o in old_run.order_ids if o in holding or o in run.order_ids)))
            if a != b]
        if changed:
            yield Violation(RULE_FROZEN, f"frozen {label} changed its {', '.join(changed)} "
                            "against the previous plan", (label,))


# ---------------------------------------------------------------------------------------------
# 4.2 Chain of identity.
# ---------------------------------------------------------------------------------------------


def _chain_of_identity(ctx: _Context) -> Iterator[Violation]:
    """SPEC §4.2: operations, runs, outcomes and retests name only the scenario's orders."""
    known = ctx.scenario.orders_by_id
    for op in ctx.plan.operations:
        if op.order_id not in known:
            yield Violation(RULE_IDENTITY, f"operation {_op_label(op)} names order "
                            f"{op.order_id}, which is not in the scenario", (_op_label(op),))
    for run in ctx.plan.qc_runs:
        for oid in dict.fromkeys(run.order_ids):
            if oid not in known:
                yield Violation(RULE_IDENTITY, f"{_run_label(run)} lists order {oid}, which "
                                "is not in the scenario", (_run_label(run),))
    for outcome in ctx.plan.orders:
        if outcome.order_id not in known:
            yield Violation(RULE_IDENTITY, f"the plan's orders list {outcome.order_id}, which "
                            "is not in the scenario", (f"order {outcome.order_id}",))
    for retest in ctx.plan.retests:
        if retest.order_id not in known:
            yield Violation(RULE_IDENTITY, f"a retest names order {retest.order_id}, which is "
                            "not in the scenario", (f"order {retest.order_id}",))


CHECKS: tuple[Check, ...] = (
    _orders_listed, _operations_complete, _operation_shape,                   # 4.1.1
    _arrival_and_stability, _step_links, _step_start_windows,                 # 4.1.2
    _suite_assignment, _same_suite, _suite_segregation,                       # 4.1.3
    _equipment_assignment, _equipment_capacity,                               # 4.1.4
    _operator_qualifications, _operator_double_booking, _operator_shifts,     # 4.1.5
    _down_times,                                                              # 4.1.6
    _qc_runs, _qc_analysts, _qc_samples,                                      # 4.1.7
    _qa_review_last, _order_outcomes,                                         # 4.1.8
    _grid, _not_before_now, _first_step_in_horizon,                           # 4.1.9
    _chain_of_identity,                                                       # 4.2
)
"""Every check, in SPEC order; 4.1.10 needs the previous plan and runs after them."""


def check_plan(scenario: Scenario, plan: Plan, *, previous: Plan | None = None) -> list[Violation]:
    """Check a plan against every hard rule of SPEC §4.1 and §4.2; [] when all hold.

    With ``previous`` (the plan a re-plan started from), frozen work must be exactly as it was
    there (rule 10).
    """
    ctx = _Context(scenario, plan)
    out = [v for check in CHECKS for v in check(ctx)]
    if previous is not None:
        out += _frozen_unchanged(ctx, previous)
    return out


def format_violations(violations: Sequence[Violation]) -> str:
    """The violations as plain text, one per line, for logs and the CLI."""
    if not violations:
        return "every hard rule holds"
    lines = [f"{len(violations)} hard-rule violation(s):"]
    lines += [f"  - {v}" for v in violations]
    return "\n".join(lines)
