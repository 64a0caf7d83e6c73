"""The independent plan checker (SPEC §4.1): a hand-made valid plan, then one break per rule.

The tiny site (Europe/Amsterdam, December, so +01:00; 15-min grid; all times below local):

* suites S1 and S2 (1 h changeover; only S2 carries ``bsl2_plus``), incubators INC1 and INC2
  (capacity 1; INC2 down Mon until 15:00), a freezer FRZ1;
* OP1 (aseptic until Wed 12-09 16:00), OP2 (aseptic, qa, qc_micro until the end of Wed 12-09),
  OP3 (aseptic, qc_micro, qa; absent Mon until 12:00) — all on a 07:00–19:00 day shift, every
  day; holidays Tue 12-08 and Sat 12-12;
* process cart: selection 3 h (suite, 2 people) → expansion 2 d (incubator, max_wait 2 h);
  feed 50 m (suite, 1 person, 2–8 h after expansion starts); harvest 2 h (suite, 2 people,
  0–2 h after expansion ends); a sterility sample after harvest; QA review 50 m;
* sterility: 1 d, 2 samples a run, 1 analyst for 1 h hands-on, starts Mon/Wed/Thu/Fri
  08:00–14:00, sample at most 24 h old;
* COI-A (due Sat 12-12), COI-B (bsl2_plus; stability to Mon 12:00; due Thu 12-10, so it is 9 h
  late), COI-C cancelled.

The valid plan: A in S1 (selection Mon 09–12 with OP1+OP2, feed Mon 17–18 with OP1, harvest Wed
12–14 with OP1+OP2, expansion on INC1 Mon 12:00–Wed 12:00); B in S2 (selection Mon 12–15 with
OP2+OP3, feed Mon 17–18 with OP3, harvest Wed 15–17 with OP2+OP3, expansion on INC2 Mon 15:00–Wed
15:00); one sterility run Thu 08:00–Fri 08:00 for both, analyst OP3; QA reviews Fri 08–09 by
OP2 (A) and OP3 (B). Every duration rounds up to the 15-min grid (50 m → 1 h).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from suitesched.check import (
    RULE_DOWN,
    RULE_EQUIPMENT,
    RULE_FROZEN,
    RULE_GRID,
    RULE_IDENTITY,
    RULE_OPERATORS,
    RULE_ORDER,
    RULE_QC,
    RULE_RELEASE,
    RULE_SEGREGATION,
    RULE_STEPS,
    Violation,
    _Context,
    check_plan,
    format_violations,
)
from suitesched.io.scenario_reader import load_scenario
from suitesched.model.plan import Operation, OrderOutcome, Plan, QcRun, Retest, SolverInfo
from suitesched.model.scenario import Horizon, Scenario

SITE = """
name: tiny
timezone: Europe/Amsterdam
horizon: {start: 2026-12-07T00:00, days: 14}
time_step: 15m
holidays: [2026-12-08, 2026-12-12]
shifts:
  day: {start: "07:00", end: "19:00", days: [mon, tue, wed, thu, fri, sat, sun]}
suites:
  - {id: S1, changeover: 1h}
  - {id: S2, changeover: 1h, tags: [bsl2_plus]}
equipment:
  - {id: INC1, type: incubator, capacity: 1}
  - {id: INC2, type: incubator, capacity: 1,
     down: [{start: 2026-12-07T00:00, end: 2026-12-07T15:00}]}
  - {id: FRZ1, type: freezer, capacity: 1}
operators:
  - {id: OP1, skills: [{skill: aseptic, until: 2026-12-09T16:00}], shifts: [day]}
  - {id: OP2, skills: [aseptic, qa, {skill: qc_micro, until: 2026-12-09}], shifts: [day]}
  - {id: OP3, skills: [aseptic, qc_micro, qa], shifts: [day],
     absent: [{start: 2026-12-07T00:00, end: 2026-12-07T12:00}]}
assays:
  - {id: sterility, duration: 1d, capacity: 2, analysts: 1, skill: qc_micro, hands_on: 1h,
     start_windows: [{days: [mon, wed, thu, fri], from: "08:00", to: "14:00"}],
     sample_max_age: 24h}
processes:
  - id: cart
    same_suite: true
    steps:
      - {id: selection, duration: 3h, suite: true, operators: 2, skill: aseptic}
      - {id: expansion, duration: 2d, equipment: incubator, max_wait: 2h}
      - {id: feed, duration: 50m, suite: true, operators: 1, skill: aseptic,
         after: [{step: expansion, from: start, min: 2h, max: 8h}]}
      - {id: harvest, duration: 2h, suite: true, operators: 2, skill: aseptic,
         after: [{step: expansion, from: end, min: 0m, max: 2h}]}
    qc:
      - {assay: sterility, sample_after: harvest}
    qa_review: {duration: 50m, skill: qa}
orders:
  - {order_id: COI-A, process: cart, arrival: 2026-12-07T08:00, due: 2026-12-12}
  - {order_id: COI-B, process: cart, arrival: 2026-12-07T08:00, collected: 2026-12-06T12:00,
     stability: 24h, due: 2026-12-10, requires: bsl2_plus}
  - {order_id: COI-C, process: cart, arrival: 2026-12-07T08:00, due: 2026-12-20,
     status: cancelled}
"""


def t(text: str) -> datetime:
    """A local December moment, 'MM-DD HH:MM', as plan.json would carry it (+01:00)."""
    return datetime.fromisoformat(f"2026-{text.replace(' ', 'T')}:00+01:00")


def op(order: str, step: str, start: str, end: str, *, suite: str | None = None,
       equipment: str | None = None, operators: tuple[str, ...] = (),
       frozen: bool = False) -> Operation:
    return Operation(order_id=order, step=step, start=t(start), end=t(end), suite=suite,
                     equipment=equipment, operators=operators, frozen=frozen)


RUN = "sterility-0001"


@pytest.fixture(scope="module")
def scenario(tmp_path_factory: pytest.TempPathFactory) -> Scenario:
    path = tmp_path_factory.mktemp("site") / "tiny.yaml"
    path.write_text(SITE, encoding="utf-8")
    return load_scenario(path)


@pytest.fixture(scope="module")
def valid() -> Plan:
    now = t("12-07 00:00")
    return Plan(
        scenario="tiny", created=now, now=now, solver=SolverInfo(status="OPTIMAL"),
        operations=(
            op("COI-A", "selection", "12-07 09:00", "12-07 12:00", suite="S1",
               operators=("OP1", "OP2")),
            op("COI-A", "expansion", "12-07 12:00", "12-09 12:00", equipment="INC1"),
            op("COI-A", "feed", "12-07 17:00", "12-07 18:00", suite="S1", operators=("OP1",)),
            op("COI-A", "harvest", "12-09 12:00", "12-09 14:00", suite="S1",
               operators=("OP1", "OP2")),
            op("COI-A", "qa_review", "12-11 08:00", "12-11 09:00", operators=("OP2",)),
            op("COI-B", "selection", "12-07 12:00", "12-07 15:00", suite="S2",
               operators=("OP2", "OP3")),
            op("COI-B", "expansion", "12-07 15:00", "12-09 15:00", equipment="INC2"),
            op("COI-B", "feed", "12-07 17:00", "12-07 18:00", suite="S2", operators=("OP3",)),
            op("COI-B", "harvest", "12-09 15:00", "12-09 17:00", suite="S2",
               operators=("OP2", "OP3")),
            op("COI-B", "qa_review", "12-11 08:00", "12-11 09:00", operators=("OP3",)),
        ),
        qc_runs=(
            QcRun(run_id=RUN, assay="sterility", start=t("12-10 08:00"), end=t("12-11 08:00"),
                  analysts=("OP3",), order_ids=("COI-A", "COI-B")),
        ),
        orders=(
            OrderOutcome(order_id="COI-A", status="scheduled", start=t("12-07 09:00"),
                         release=t("12-11 09:00"), due=t("12-13 00:00"), tardiness_hours=0.0),
            OrderOutcome(order_id="COI-B", status="scheduled", start=t("12-07 12:00"),
                         release=t("12-11 09:00"), due=t("12-11 00:00"), tardiness_hours=9.0),
            OrderOutcome(order_id="COI-C", status="cancelled", reason="cancelled"),
        ),
    )


# -- corruption helpers -------------------------------------------------------------------------

Corrupt = Callable[[Plan], Plan]


def edit_op(order: str, step: str, **update: object) -> Corrupt:
    """Change fields of one operation; times as 'MM-DD HH:MM' strings."""
    update = {k: t(v) if isinstance(v, str) and k in ("start", "end") else v
              for k, v in update.items()}

    def apply(plan: Plan) -> Plan:
        ops = tuple(o.model_copy(update=update) if (o.order_id, o.step) == (order, step) else o
                    for o in plan.operations)
        return plan.model_copy(update={"operations": ops})
    return apply


def drop_op(order: str, step: str) -> Corrupt:
    def apply(plan: Plan) -> Plan:
        ops = tuple(o for o in plan.operations if (o.order_id, o.step) != (order, step))
        return plan.model_copy(update={"operations": ops})
    return apply


def add_op(extra: Operation) -> Corrupt:
    def apply(plan: Plan) -> Plan:
        return plan.model_copy(update={"operations": (*plan.operations, extra)})
    return apply


def edit_run(**update: object) -> Corrupt:
    update = {k: t(v) if isinstance(v, str) and k in ("start", "end") else v
              for k, v in update.items()}

    def apply(plan: Plan) -> Plan:
        runs = tuple(r.model_copy(update=update) for r in plan.qc_runs)
        return plan.model_copy(update={"qc_runs": runs})
    return apply


def edit_outcome(order: str, **update: object) -> Corrupt:
    update = {k: t(v) if isinstance(v, str) and k in ("start", "release") else v
              for k, v in update.items()}

    def apply(plan: Plan) -> Plan:
        orders = tuple(o.model_copy(update=update) if o.order_id == order else o
                       for o in plan.orders)
        return plan.model_copy(update={"orders": orders})
    return apply


def drop_outcome(order: str) -> Corrupt:
    def apply(plan: Plan) -> Plan:
        return plan.model_copy(update={"orders": tuple(o for o in plan.orders
                                                       if o.order_id != order)})
    return apply


def edit_plan(**update: object) -> Corrupt:
    update = {k: t(v) if k == "now" else v for k, v in update.items()}
    return lambda plan: plan.model_copy(update=update)


def both(*corruptions: Corrupt) -> Corrupt:
    def apply(plan: Plan) -> Plan:
        for corrupt in corruptions:
            plan = corrupt(plan)
        return plan
    return apply


def found(violations: list[Violation], rule: str, words: str) -> bool:
    return any(v.rule == rule and words in v.message for v in violations)


# -- the valid plan -----------------------------------------------------------------------------


def test_valid_plan_has_no_violations(scenario: Scenario, valid: Plan) -> None:
    violations = check_plan(scenario, valid)
    assert violations == [], format_violations(violations)


@pytest.mark.parametrize("zone", ["UTC", "Europe/Amsterdam", "America/New_York"])
def test_offsets_do_not_matter(scenario: Scenario, valid: Plan, zone: str) -> None:
    """The same moments written in another zone are the same plan."""
    tz = ZoneInfo(zone)
    shifted = valid.model_copy(update={"operations": tuple(
        o.model_copy(update={"start": o.start.astimezone(tz), "end": o.end.astimezone(tz)})
        for o in valid.operations)})
    assert check_plan(scenario, shifted) == []


# -- one break per rule -------------------------------------------------------------------------

CASES: list[tuple[str, Corrupt, str, str]] = [
    # 4.1.1 operations
    ("missing step", drop_op("COI-A", "feed"), RULE_STEPS, "no operation for step 'feed'"),
    ("duplicate step", add_op(op("COI-A", "feed", "12-07 17:00", "12-07 18:00", suite="S1",
                                 operators=("OP1",))), RULE_STEPS, "2 operations"),
    ("unknown step", add_op(op("COI-A", "wash", "12-07 17:00", "12-07 18:00")), RULE_STEPS,
     "no step 'wash'"),
    ("missing qa review", drop_op("COI-B", "qa_review"), RULE_STEPS, "'qa_review'"),
    ("wrong duration", edit_op("COI-A", "feed", end="12-07 17:45"), RULE_STEPS, "lasts 45"),
    ("unrounded duration", edit_op("COI-A", "feed", end="12-07 17:50"), RULE_STEPS, "lasts 50"),
    ("too few operators", edit_op("COI-A", "harvest", operators=("OP1",)), RULE_STEPS,
     "needs exactly 2"),
    ("operator listed twice", edit_op("COI-A", "harvest", operators=("OP1", "OP1")), RULE_STEPS,
     "twice"),
    ("too many operators", edit_op("COI-A", "feed", operators=("OP1", "OP2")), RULE_STEPS,
     "needs exactly 1"),
    ("cancelled order with operations",
     add_op(op("COI-C", "selection", "12-08 09:00", "12-08 12:00", suite="S1",
               operators=("OP1", "OP2"))), RULE_STEPS, "cancelled"),
    ("order missing from outcomes", drop_outcome("COI-B"), RULE_STEPS, "missing"),
    ("planned order marked cancelled", edit_outcome("COI-A", status="cancelled"), RULE_STEPS,
     "'cancelled' in the plan"),
    ("unscheduled order with operations", edit_outcome("COI-A", status="unscheduled"),
     RULE_STEPS, "must have none"),
    # 4.1.2 step order
    ("max_wait exceeded", edit_op("COI-A", "expansion", start="12-07 14:15", end="12-09 14:15"),
     RULE_ORDER, "max_wait"),
    ("before previous step ends",
     edit_op("COI-A", "expansion", start="12-07 11:00", end="12-09 11:00"), RULE_ORDER,
     "before the previous step"),
    ("lag min violated", edit_op("COI-A", "feed", start="12-07 13:00", end="12-07 14:00"),
     RULE_ORDER, "less than 2h after the start of COI-A/expansion"),
    ("lag max violated", edit_op("COI-A", "harvest", start="12-09 14:15", end="12-09 16:15"),
     RULE_ORDER, "more than 2h after the end of COI-A/expansion"),
    ("before arrival", edit_op("COI-A", "selection", start="12-07 07:30", end="12-07 10:30"),
     RULE_ORDER, "before the specimen arrives"),
    ("after stability window",
     edit_op("COI-B", "selection", start="12-07 12:15", end="12-07 15:15"), RULE_ORDER,
     "stability window"),
    # 4.1.3 segregation
    ("two orders overlap in a suite", edit_op("COI-A", "feed", suite="S2"), RULE_SEGREGATION,
     "of different orders overlap in suite S2"),
    ("gap below changeover",
     edit_op("COI-A", "feed", suite="S2", start="12-07 16:00", end="12-07 17:00"),
     RULE_SEGREGATION, "changeover"),
    ("same order overlaps itself",
     edit_op("COI-A", "feed", start="12-07 11:00", end="12-07 12:00"), RULE_SEGREGATION,
     "of the same order overlap"),
    ("same_suite broken", edit_op("COI-A", "harvest", suite="S2"), RULE_SEGREGATION,
     "same_suite"),
    ("requires tag broken", edit_op("COI-B", "harvest", suite="S1"), RULE_SEGREGATION,
     "lacks tag 'bsl2_plus'"),
    ("suite step without suite", edit_op("COI-A", "feed", suite=None), RULE_SEGREGATION,
     "needs a suite"),
    ("non-suite step in a suite", edit_op("COI-A", "qa_review", suite="S1"), RULE_SEGREGATION,
     "not a suite step"),
    ("unknown suite", edit_op("COI-A", "feed", suite="S9"), RULE_SEGREGATION, "unknown suite"),
    # 4.1.4 equipment
    ("unit over capacity", edit_op("COI-B", "expansion", equipment="INC1"), RULE_EQUIPMENT,
     "more than its capacity 1"),
    ("wrong equipment type", edit_op("COI-A", "expansion", equipment="FRZ1"), RULE_EQUIPMENT,
     "of type 'freezer'"),
    ("equipment missing", edit_op("COI-A", "expansion", equipment=None), RULE_EQUIPMENT,
     "has none"),
    ("equipment on a step without", edit_op("COI-A", "feed", equipment="FRZ1"),
     RULE_EQUIPMENT, "needs no equipment"),
    # 4.1.5 operators
    ("operator off shift", edit_op("COI-A", "qa_review", start="12-11 19:00",
                                   end="12-11 20:00"), RULE_OPERATORS, "outside OP2's shifts"),
    ("operator on a holiday", edit_op("COI-A", "qa_review", start="12-12 10:00",
                                      end="12-12 11:00"), RULE_OPERATORS,
     "2026-12-12 is a holiday"),
    ("operator absent", edit_op("COI-A", "selection", operators=("OP1", "OP3")),
     RULE_OPERATORS, "OP3 is absent"),
    ("expired qualification", edit_op("COI-B", "harvest", operators=("OP1", "OP2")),
     RULE_OPERATORS, "qualification expires"),
    ("person double-booked", edit_op("COI-B", "feed", operators=("OP1",)), RULE_OPERATORS,
     "two things at once"),
    ("analyst double-booked", edit_run(analysts=("OP2",), start="12-09 12:00",
                                       end="12-10 12:00"), RULE_OPERATORS,
     "two things at once"),
    ("wrong skill", edit_op("COI-A", "qa_review", operators=("OP1",)), RULE_OPERATORS,
     "lacks skill 'qa'"),
    ("unknown operator", edit_op("COI-A", "feed", operators=("OP9",)), RULE_OPERATORS,
     "unknown operator OP9"),
    # 4.1.6 down times
    ("op during down time", edit_op("COI-A", "expansion", equipment="INC2"), RULE_DOWN,
     "while it is down"),
    # 4.1.7 QC
    ("run over capacity", edit_run(order_ids=("COI-A", "COI-B", "COI-C")), RULE_QC,
     "more than assay sterility's capacity 2"),
    ("run for a cancelled order", edit_run(order_ids=("COI-A", "COI-B", "COI-C")), RULE_QC,
     "COI-C, which is cancelled"),
    ("order twice in a run", edit_run(order_ids=("COI-A", "COI-A")), RULE_QC,
     "more than once"),
    ("sample in no run", edit_run(order_ids=("COI-A",)), RULE_QC,
     "COI-B is in 0 run(s) of assay sterility"),
    ("sample in two runs", lambda p: p.model_copy(update={"qc_runs": (
        *p.qc_runs, p.qc_runs[0].model_copy(update={"run_id": "sterility-0002",
                                                    "analysts": ("OP2",)}))}),
     RULE_QC, "in 2 run(s)"),
    ("run outside start window", edit_run(start="12-10 14:15", end="12-11 14:15"), RULE_QC,
     "outside the start windows"),
    ("sample too old", edit_run(start="12-11 08:00", end="12-12 08:00"), RULE_QC,
     "sample_max_age"),
    ("run before sample taken", edit_run(start="12-09 08:00", end="12-10 08:00"), RULE_QC,
     "before order COI-A's sample is taken"),
    ("run wrong duration", edit_run(end="12-11 07:00"), RULE_QC, "lasts"),
    ("unknown assay", edit_run(assay="endotoxin"), RULE_QC, "unknown assay"),
    ("analyst expired", edit_run(analysts=("OP2",)), RULE_QC, "qualification expires"),
    ("analyst lacks skill", edit_run(analysts=("OP1",)), RULE_QC, "lacks skill 'qc_micro'"),
    ("analyst missing", edit_run(analysts=()), RULE_QC, "needs exactly 1"),
    ("analyst on a holiday", edit_run(start="12-12 08:00", end="12-13 08:00"), RULE_QC,
     "holiday"),
    ("retest run missing", edit_plan(retests=(Retest(order_id="COI-A", assay="sterility",
                                                     at=t("12-10 12:00")),)),
     RULE_QC, "exactly 2 (1 of them retests)"),
    # 4.1.8 release
    ("QA before run end", edit_op("COI-A", "qa_review", start="12-11 07:00",
                                  end="12-11 08:00"), RULE_RELEASE, f"before run {RUN} ends"),
    ("QA before an operation ends",
     edit_op("COI-A", "qa_review", start="12-09 13:00", end="12-09 14:00"),
     RULE_RELEASE, "before COI-A/harvest ends"),
    ("release mismatch", edit_outcome("COI-A", release="12-11 10:00"), RULE_RELEASE,
     "release"),
    ("release missing", edit_outcome("COI-A", release=None), RULE_RELEASE, "no release"),
    ("start mismatch", edit_outcome("COI-A", start="12-07 10:00"), RULE_RELEASE,
     "start"),
    ("tardiness wrong", edit_outcome("COI-B", tardiness_hours=0.0), RULE_RELEASE,
     "tardiness_hours"),
    ("due wrong", edit_outcome("COI-A", due=t("12-12 00:00")), RULE_RELEASE, "due"),
    # 4.1.9 grid and horizon
    ("off-grid start", edit_op("COI-A", "feed", start="12-07 17:05", end="12-07 18:05"),
     RULE_GRID, "off the 15-min grid"),
    ("off-grid run", edit_run(start="12-10 08:10", end="12-11 08:10"), RULE_GRID,
     "off the 15-min grid"),
    ("operation before now", edit_plan(now="12-07 10:00"), RULE_GRID, "before now"),
    # 4.2 chain of identity
    ("unknown order id in operation",
     add_op(op("COI-X", "feed", "12-08 09:00", "12-08 10:00")), RULE_IDENTITY, "COI-X"),
    ("unknown order id in run", edit_run(order_ids=("COI-A", "COI-X")), RULE_IDENTITY,
     "COI-X"),
    ("unknown order id in outcomes", lambda p: p.model_copy(update={"orders": (
        *p.orders, OrderOutcome(order_id="COI-X", status="unscheduled"))}), RULE_IDENTITY,
     "COI-X"),
]


@pytest.mark.parametrize(("corrupt", "rule", "words"),
                         [pytest.param(c, r, w, id=name) for name, c, r, w in CASES])
def test_each_break_is_reported(scenario: Scenario, valid: Plan, corrupt: Corrupt, rule: str,
                                words: str) -> None:
    violations = check_plan(scenario, corrupt(valid))
    assert found(violations, rule, words), format_violations(violations)


def test_violation_names_its_records(scenario: Scenario, valid: Plan) -> None:
    violations = check_plan(scenario, edit_op("COI-A", "feed", suite="S2")(valid))
    overlap = next(v for v in violations if "overlap" in v.message)
    assert set(overlap.records) == {"COI-A/feed", "COI-B/feed"}
    assert "COI-A/feed" in overlap.message and "COI-B/feed" in overlap.message
    assert "S2" in overlap.message


def test_first_step_outside_horizon(scenario: Scenario, valid: Plan) -> None:
    later = scenario.model_copy(update={"horizon": Horizon(start=t("12-07 10:00"), days=14)})
    violations = check_plan(later, valid)
    assert found(violations, RULE_GRID, "outside the horizon")
    assert found(violations, RULE_GRID, "before the horizon's start")


# -- retests ------------------------------------------------------------------------------------


def test_retest_run_is_accepted(scenario: Scenario, valid: Plan) -> None:
    """A retest asked for Fri 08:00 gets a second run Fri 08:00; QA and release wait for it."""
    retest = Retest(order_id="COI-A", assay="sterility", at=t("12-11 08:00"))
    second = QcRun(run_id="sterility-0002", assay="sterility", start=t("12-11 08:00"),
                   end=t("12-12 08:00"), analysts=("OP2",), order_ids=("COI-A",))
    plan = both(
        edit_plan(retests=(retest,), qc_runs=(*valid.qc_runs, second)),
        edit_op("COI-A", "qa_review", start="12-13 08:00", end="12-13 09:00"),
        edit_outcome("COI-A", release="12-13 09:00", tardiness_hours=9.0),
    )(valid)
    # OP2's qc_micro lapsed at the end of 12-09: give the retest run to OP3 (QA B is 08-09 Fri).
    plan = plan.model_copy(update={"qc_runs": (
        plan.qc_runs[0], second.model_copy(update={"analysts": ("OP3",)}))})
    plan = edit_op("COI-B", "qa_review", start="12-11 09:00", end="12-11 10:00")(plan)
    plan = edit_outcome("COI-B", release="12-11 10:00", tardiness_hours=10.0)(plan)
    violations = check_plan(scenario, plan)
    assert violations == [], format_violations(violations)
    early = plan.model_copy(update={"retests": (retest.model_copy(
        update={"at": t("12-11 12:00")}),)})
    assert found(check_plan(scenario, early), RULE_QC, "before the retest was asked for")


# -- frozen work --------------------------------------------------------------------------------


def test_frozen_operation_is_exempt_from_grid_and_now(scenario: Scenario, valid: Plan) -> None:
    plan = edit_op("COI-A", "feed", start="12-07 17:05", end="12-07 17:55", frozen=True)(valid)
    plan = edit_plan(now="12-07 17:30")(plan)
    # Everything else before now must be frozen too for a clean re-plan.
    plan = plan.model_copy(update={"operations": tuple(
        o.model_copy(update={"frozen": True}) if o.start < t("12-07 17:30") else o
        for o in plan.operations)})
    violations = check_plan(scenario, plan, previous=plan)
    assert violations == [], format_violations(violations)


def test_frozen_operation_still_counts_for_conflicts(scenario: Scenario, valid: Plan) -> None:
    plan = edit_op("COI-A", "feed", suite="S2", frozen=True)(valid)
    assert found(check_plan(scenario, plan), RULE_SEGREGATION, "overlap")


def test_frozen_operation_changed_against_previous(scenario: Scenario, valid: Plan) -> None:
    previous = edit_op("COI-A", "feed", frozen=True)(valid)
    assert check_plan(scenario, previous, previous=previous) == []
    changed = edit_op("COI-A", "feed", operators=("OP2",))(previous)
    violations = check_plan(scenario, changed, previous=previous)
    assert found(violations, RULE_FROZEN, "changed its operators")
    moved = edit_op("COI-A", "feed", start="12-07 16:00", end="12-07 17:00")(previous)
    assert found(check_plan(scenario, moved, previous=previous), RULE_FROZEN,
                 "changed its start, end")


def test_frozen_operation_not_in_previous(scenario: Scenario, valid: Plan) -> None:
    plan = edit_op("COI-A", "feed", frozen=True)(valid)
    previous = drop_op("COI-A", "feed")(valid)
    assert found(check_plan(scenario, plan, previous=previous), RULE_FROZEN,
                 "not in the previous plan")


def test_frozen_run_changed_against_previous(scenario: Scenario, valid: Plan) -> None:
    previous = edit_run(frozen=True)(valid)
    assert check_plan(scenario, previous, previous=previous) == []
    changed = edit_run(analysts=("OP2",))(previous)
    assert found(check_plan(scenario, changed, previous=previous), RULE_FROZEN,
                 "changed its analysts")


# -- wall-clock calendars -----------------------------------------------------------------------

NIGHT_SITE = """
name: night
timezone: Europe/Amsterdam
horizon: {start: 2027-03-22T00:00, days: 14}
holidays: [HOLIDAYS]
shifts:
  night: {start: "22:00", end: "06:00", days: [sat]}
  early: {start: "06:00", end: "10:00", days: [sun]}
operators:
  - {id: N1, skills: [aseptic], shifts: [night]}
  - {id: N2, skills: [aseptic], shifts: [night, early]}
processes:
  - id: p
    steps: [{id: s, duration: 1h, operators: 1, skill: aseptic}]
"""


def utc(text: str) -> datetime:
    return datetime.fromisoformat(f"2027-{text.replace(' ', 'T')}:00+00:00")


def night_context(tmp_path: Path, holidays: str = "") -> _Context:
    path = tmp_path / "night.yaml"
    path.write_text(NIGHT_SITE.replace("HOLIDAYS", holidays), encoding="utf-8")
    site = load_scenario(path)
    plan = Plan(scenario="night", created=utc("03-22 00:00"), now=utc("03-22 00:00"),
                solver=SolverInfo(status="OPTIMAL"))
    return _Context(site, plan)


def test_night_shift_across_daylight_saving(tmp_path: Path) -> None:
    """Sat 27 Mar 2027 22:00 CET to Sun 06:00 CEST is 21:00Z to 04:00Z: 7 hours, not 8."""
    ctx = night_context(tmp_path)
    n1 = ctx.scenario.operators_by_id["N1"]
    assert ctx.off_shift_reason(n1, utc("03-27 21:00"), utc("03-28 04:00")) is None
    assert ctx.off_shift_reason(n1, utc("03-28 04:00"), utc("03-28 05:00")) is not None
    assert ctx.off_shift_reason(n1, utc("03-27 20:00"), utc("03-27 21:00")) is not None


def test_span_may_cross_touching_shifts(tmp_path: Path) -> None:
    ctx = night_context(tmp_path)
    n2 = ctx.scenario.operators_by_id["N2"]
    # Night ends and early starts at 06:00 CEST (04:00Z): one span may run across.
    assert ctx.off_shift_reason(n2, utc("03-28 03:00"), utc("03-28 05:00")) is None
    n1 = ctx.scenario.operators_by_id["N1"]
    assert ctx.off_shift_reason(n1, utc("03-28 03:00"), utc("03-28 05:00")) is not None


def test_holiday_cuts_the_night_shift_at_midnight(tmp_path: Path) -> None:
    ctx = night_context(tmp_path, holidays="2027-03-28")
    n1 = ctx.scenario.operators_by_id["N1"]
    # Before local midnight (23:00Z Sat, CET) the shift still works; after it, the holiday.
    assert ctx.off_shift_reason(n1, utc("03-27 21:00"), utc("03-27 23:00")) is None
    reason = ctx.off_shift_reason(n1, utc("03-27 22:00"), utc("03-28 00:00"))
    assert reason is not None and "holiday" in reason


def test_format_violations() -> None:
    assert format_violations([]) == "every hard rule holds"
    text = format_violations([Violation(RULE_SEGREGATION, "two orders in S1", ("A/x", "B/y"))])
    assert text.splitlines() == ["1 hard-rule violation(s):",
                                 "  - [4.1.3 segregation] two orders in S1"]


def test_check_imports_only_the_model() -> None:
    """check.py shares no reasoning with the solver (STYLE: check imports only model/)."""
    source = Path(__file__).parents[1].joinpath("src/suitesched/check.py").read_text()
    imports = [line for line in source.splitlines() if line.startswith(("import ", "from "))]
    for line in imports:
        module = line.split()[1]
        assert not module.startswith("suitesched") or module.startswith("suitesched.model"), line
