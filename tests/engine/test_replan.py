"""Re-planning after events (SPEC §5): one small scenario per event type, frozen work, the
freeze window, stability, hard conflicts with frozen work, bad events and determinism.

Every re-plan is checked by the independent checker against the *updated* scenario (the one
with the events applied) and with ``previous=`` the old plan, so frozen work must be exactly
as it was (rule 10).

The site (a two-week variant of tests/helpers.py's base site): suites S1 and S2 (changeover
2 h), one incubator for two orders, OP1 and OP2 (aseptic + qa, day shift 07:00-15:30), OP3
(aseptic, late shift) and QC1 (qc_micro, day shift). The process: selection (suite, 2 h) ->
expansion (incubator, 1 d) -> harvest (suite, 2 h) -> sterility run (1 d) -> qa_review (1 h).
"""

from __future__ import annotations

import copy
from datetime import UTC, datetime, timedelta
from functools import cache
from typing import Any

import pytest

from helpers import local, op, order, scenario, site
from suitesched import check_plan, solve
from suitesched.errors import InputError, NoPlanError
from suitesched.io.events_reader import parse_events
from suitesched.model.events import SpecimenDelay
from suitesched.model.plan import Operation, Plan
from suitesched.model.scenario import Scenario
from suitesched.planning.replan import replan, replan_with_scenario

LIMITS: dict[str, Any] = dict(time_limit=None, workers=2, seed=0, max_deterministic_time=2.0)

PROCESS = {"id": "p", "steps": [
    {"id": "selection", "duration": "2h", "suite": True, "operators": 1, "skill": "aseptic"},
    {"id": "expansion", "duration": "1d", "equipment": "incubator"},
    {"id": "harvest", "duration": "2h", "suite": True, "operators": 1, "skill": "aseptic"}],
    "qc": [{"assay": "sterility", "sample_after": "harvest"}],
    "qa_review": {"duration": "1h", "skill": "qa"}}

SITE = site(
    horizon={"start": "2026-12-07T00:00", "days": 14},
    suites=[{"id": "S1", "changeover": "2h"}, {"id": "S2", "changeover": "2h"}],
    equipment=[{"id": "INC1", "type": "incubator", "capacity": 2}],
    operators=[{"id": "OP1", "skills": ["aseptic", "qa"], "shifts": ["day"]},
               {"id": "OP2", "skills": ["aseptic", "qa"], "shifts": ["day"]},
               {"id": "OP3", "skills": ["aseptic"], "shifts": ["late"]},
               {"id": "QC1", "skills": ["qc_micro"], "shifts": ["day"]}],
    assays=[{"id": "sterility", "duration": "1d", "capacity": 4, "analysts": 1,
             "skill": "qc_micro", "hands_on": "1h", "sample_max_age": "3d"}],
    processes=[PROCESS],
)

# O1 arrives Monday, O2 and O3 Tuesday, O4 Wednesday (07:00 each).
FOUR = [order(f"O{i}", arrival=f"2026-12-0{7 + i // 2}T07:00", due="2026-12-12")
        for i in range(1, 5)]


# ---------------------------------------------------------------------------- helpers
@cache
def base() -> tuple[Scenario, Plan]:
    """The four-order site and its plan (solved once per test session)."""
    sc = scenario(SITE, FOUR)
    plan = solve(sc, **LIMITS)
    assert check_plan(sc, plan) == []
    assert all(o.status == "scheduled" for o in plan.orders)
    return sc, plan


def events(sc: Scenario, plan: Plan, *items: dict[str, Any]) -> tuple:
    data = [{"id": f"ev-{k}", **item} for k, item in enumerate(items, 1)]
    return parse_events(data, sc, "test events", plan=plan)


def replanned(sc: Scenario, plan: Plan, *items: dict[str, Any], now: str,
              **options: Any) -> tuple[Plan, Scenario]:
    """Re-plan after ``items`` and assert the checker is happy with the result."""
    new, updated = replan_with_scenario(sc, plan, events(sc, plan, *items), now=now,
                                        **{**LIMITS, **options})
    violations = check_plan(updated, new, previous=plan)
    assert violations == [], "\n".join(str(v) for v in violations)
    return new, updated


def ops_of(plan: Plan, order_id: str) -> list[Operation]:
    return [o for o in plan.operations if o.order_id == order_id]


def same_placement(a: Operation, b: Operation) -> bool:
    return (a.start, a.end, a.suite, a.equipment, a.operators) == \
        (b.start, b.end, b.suite, b.equipment, b.operators)


def overlaps(o: Operation, start: datetime, end: datetime) -> bool:
    return o.start < end and start < o.end


def find(plan: Plan, order_id: str, step: str) -> Operation | None:
    return next((o for o in plan.operations if o.order_id == order_id and o.step == step), None)


def assert_frozen_identical(old: Plan, new: Plan, now: datetime,
                            dropped: frozenset[str] = frozenset()) -> None:
    """Every operation of the old plan started before ``now`` is in the new one unchanged."""
    started = [o for o in old.operations if o.start < now and o.order_id not in dropped]
    assert started, "the scenario should have started work before now"
    for before in started:
        after = find(new, before.order_id, before.step)
        assert after is not None, f"{before.order_id}/{before.step} vanished"
        assert same_placement(before, after), (before, after)
        assert after.frozen


# ---------------------------------------------------------------------------- 1. event types
def test_specimen_delay_moves_the_whole_order_after_the_new_arrival() -> None:
    sc, plan = base()
    arrival = local("2026-12-10T12:00")
    assert op(plan, "O4", "selection").start < arrival  # the delay binds
    new, updated = replanned(sc, plan, {"type": "specimen_delay", "at": "2026-12-08T12:00",
                                        "order": "O4", "arrival": "2026-12-10T12:00"},
                             now="2026-12-08T12:00")
    assert updated.orders_by_id["O4"].arrival == arrival
    assert new.outcome("O4").status == "scheduled"
    mine = ops_of(new, "O4")
    assert {o.step for o in mine} == {"selection", "expansion", "harvest", "qa_review"}
    assert all(o.start >= arrival and not o.frozen for o in mine)
    assert all(r.start >= arrival for r in new.qc_runs if "O4" in r.order_ids)


def test_a_delay_past_the_stability_window_leaves_the_order_out_and_names_both_moments(
        ) -> None:
    # O5's fresh specimen (collected Wednesday 06:00, good for 24 h) must start by Thursday
    # 06:00; the courier now brings it Thursday 12:00, so no plan can process it.
    fresh = order("O5", arrival="2026-12-09T07:00", collected="2026-12-09T06:00",
                  stability="24h", due="2026-12-14")
    sc = scenario(SITE, [*FOUR, fresh])
    plan = solve(sc, **LIMITS)
    assert plan.outcome("O5").status == "scheduled"
    new, _ = replanned(sc, plan, {"type": "specimen_delay", "at": "2026-12-08T12:00",
                                  "order": "O5", "arrival": "2026-12-10T12:00"},
                       now="2026-12-08T12:00")
    outcome = new.outcome("O5")
    assert outcome.status == "unscheduled"
    assert outcome.reason == ("its 24 h stability window ended 2026-12-10 06:00, before the "
                              "specimen arrives 2026-12-10 12:00")


def test_run_failure_restart_plans_the_order_again_from_new_material() -> None:
    sc, plan = base()
    old = ops_of(plan, "O2")
    failed = op(plan, "O2", "selection")  # 2026-12-08 07:00-09:00
    at = failed.start + timedelta(hours=1)
    arrival = local("2026-12-10T07:00")
    new, updated = replanned(sc, plan, {
        "type": "run_failure", "at": at.isoformat(), "order": "O2", "step": "selection",
        "action": "restart", "arrival": "2026-12-10T07:00"},
        now=(at + timedelta(minutes=30)).isoformat())
    assert new.outcome("O2").status == "scheduled"
    mine = ops_of(new, "O2")
    assert {o.step for o in mine} == {o.step for o in old}
    # The failed selection (started before now) is gone: all work starts from the new material.
    assert all(o.start >= arrival and not o.frozen for o in mine)
    assert not any(same_placement(a, b) for a in old for b in mine)
    assert all(r.start >= arrival for r in new.qc_runs if "O2" in r.order_ids)
    # The suite it failed in needs its changeover from the failure on.
    cleaning = (at, at + timedelta(hours=2))
    suite = next(s for s in updated.suites if s.id == failed.suite)
    assert any((w.start, w.end) == cleaning for w in suite.down)
    assert not any(o.suite == failed.suite and overlaps(o, *cleaning)
                   for o in new.operations if not o.frozen)


def test_run_failure_cancel_withdraws_the_order() -> None:
    sc, plan = base()
    new, updated = replanned(sc, plan, {
        "type": "run_failure", "at": "2026-12-08T12:00", "order": "O2", "step": "expansion",
        "action": "cancel"}, now="2026-12-08T12:00")
    assert updated.orders_by_id["O2"].status == "cancelled"
    assert new.outcome("O2").status == "cancelled"
    assert ops_of(new, "O2") == []
    assert not any("O2" in r.order_ids for r in new.qc_runs)
    assert_frozen_identical(plan, new, local("2026-12-08T12:00"), frozenset({"O2"}))


def test_resource_down_moves_work_off_the_suite() -> None:
    sc, plan = base()
    start, end = local("2026-12-09T00:00"), local("2026-12-10T00:00")
    assert any(o.suite == "S1" and overlaps(o, start, end) for o in plan.operations)
    new, updated = replanned(sc, plan, {
        "type": "resource_down", "at": "2026-12-08T12:00", "resource": "S1",
        "start": "2026-12-09T00:00", "end": "2026-12-10T00:00"}, now="2026-12-08T12:00")
    s1 = next(s for s in updated.suites if s.id == "S1")
    assert any((w.start, w.end) == (start, end) for w in s1.down)
    assert not any(o.suite == "S1" and overlaps(o, start, end) for o in new.operations)
    assert all(o.status == "scheduled" for o in new.orders)


def test_resource_down_on_equipment() -> None:
    sc, plan = base()
    start, end = local("2026-12-09T10:00"), local("2026-12-09T12:00")
    assert any(o.equipment == "INC1" and overlaps(o, start, end) for o in plan.operations)
    new, _ = replanned(sc, plan, {
        "type": "resource_down", "at": "2026-12-08T12:00", "resource": "INC1",
        "start": "2026-12-09T10:00", "end": "2026-12-09T12:00"}, now="2026-12-08T12:00")
    assert not any(o.equipment == "INC1" and overlaps(o, start, end) for o in new.operations)
    assert all(o.status == "scheduled" for o in new.orders)


def test_operator_absent_is_not_assigned_during_the_absence() -> None:
    sc, plan = base()
    start, end = local("2026-12-09T00:00"), local("2026-12-10T00:00")
    assert any("OP1" in o.operators and overlaps(o, start, end) for o in plan.operations)
    new, updated = replanned(sc, plan, {
        "type": "operator_absent", "at": "2026-12-08T12:00", "operator": "OP1",
        "start": "2026-12-09T00:00", "end": "2026-12-10T00:00"}, now="2026-12-08T12:00")
    op1 = next(p for p in updated.operators if p.id == "OP1")
    assert any((w.start, w.end) == (start, end) for w in op1.absent)
    assert not any("OP1" in o.operators and overlaps(o, start, end) for o in new.operations)
    assert all(o.status == "scheduled" for o in new.orders)


def test_qc_retest_adds_a_run_and_review_waits_for_it() -> None:
    sc, plan = base()
    first = next(r for r in plan.qc_runs if "O2" in r.order_ids)
    review = op(plan, "O2", "qa_review")
    at = first.end - timedelta(hours=1)  # result known an hour before the run's planned end
    assert first.start < at < review.start
    new, _ = replanned(sc, plan, {"type": "qc_retest", "at": at.isoformat(), "order": "O2",
                                  "assay": "sterility"}, now=at.isoformat())
    runs = sorted((r for r in new.qc_runs if "O2" in r.order_ids and r.assay == "sterility"),
                  key=lambda r: r.start)
    assert len(runs) == 2
    assert runs[0].start == first.start and runs[0].frozen  # the running one stays
    assert runs[1].start >= at
    assert op(new, "O2", "qa_review").start >= runs[1].end
    assert new.outcome("O2").release == op(new, "O2", "qa_review").end
    assert [(r.order_id, r.assay, r.at) for r in new.retests] == [("O2", "sterility", at)]


def test_new_order_is_scheduled() -> None:
    sc, plan = base()
    new, updated = replanned(sc, plan, {
        "type": "new_order", "at": "2026-12-08T12:00",
        "order": {"order_id": "O9", "process": "p", "arrival": "2026-12-09T07:00",
                  "due": "2026-12-18"}}, now="2026-12-08T12:00")
    assert "O9" in updated.orders_by_id
    assert new.outcome("O9").status == "scheduled"
    mine = ops_of(new, "O9")
    assert {o.step for o in mine} == {"selection", "expansion", "harvest", "qa_review"}
    assert min(o.start for o in mine) >= local("2026-12-09T07:00")
    assert any("O9" in r.order_ids for r in new.qc_runs)


def test_cancel_order_removes_even_started_work() -> None:
    sc, plan = base()
    now = local("2026-12-08T12:00")
    assert any(o.start < now for o in ops_of(plan, "O3"))  # O3's selection has started
    new, updated = replanned(sc, plan, {"type": "cancel_order", "at": "2026-12-08T12:00",
                                        "order": "O3"}, now="2026-12-08T12:00")
    assert updated.orders_by_id["O3"].status == "cancelled"
    assert new.outcome("O3").status == "cancelled"
    assert ops_of(new, "O3") == []
    assert not any("O3" in r.order_ids for r in new.qc_runs)
    assert_frozen_identical(plan, new, now, frozenset({"O3"}))


def test_two_retests_of_one_assay_get_two_runs() -> None:
    sc, plan = base()
    retest = {"type": "qc_retest", "order": "O2", "assay": "sterility"}
    new, _ = replanned(sc, plan, {**retest, "at": "2026-12-10T09:00"},
                       {**retest, "at": "2026-12-10T10:00"}, now="2026-12-10T10:00")
    runs = [r for r in new.qc_runs if "O2" in r.order_ids]
    assert len(runs) == 3
    assert all(r.order_ids.count("O2") == 1 for r in runs)


# A process whose second step waits at least 4 h after the first: a late first step then
# moves the second one, which has not started yet at ``now``.
LAG_SITE = site(processes=[{"id": "p", "steps": [
    {"id": "a", "duration": "2h", "suite": True, "operators": 1, "skill": "aseptic"},
    {"id": "b", "duration": "1h", "operators": 1, "skill": "aseptic",
     "after": [{"step": "a", "min": "4h"}]}]}])


def test_step_actual_freezes_the_actual_times_and_moves_the_next_step() -> None:
    sc = scenario(LAG_SITE, [order("O1")])
    plan = solve(sc, **LIMITS)
    a, b = op(plan, "O1", "a"), op(plan, "O1", "b")
    assert (a.start, a.end, b.start) == (local("2026-12-07T07:00"), local("2026-12-07T09:00"),
                                         local("2026-12-07T13:00"))
    actual = (local("2026-12-07T07:15"), local("2026-12-07T10:30"))
    new, updated = replan_with_scenario(sc, plan, events(sc, plan, {
        "type": "step_actual", "at": "2026-12-07T11:00", "order": "O1", "step": "a",
        "start": "2026-12-07T07:15", "end": "2026-12-07T10:30"}),
        now="2026-12-07T11:00", **LIMITS)
    assert check_plan(updated, new) == []
    # The checker cannot see events (check.py docstring): the one frozen operation whose
    # times came from step_actual is the only difference it reports against the old plan.
    assert [v.records for v in check_plan(updated, new, previous=plan)] == [("O1/a",)]
    a2, b2 = op(new, "O1", "a"), op(new, "O1", "b")
    assert (a2.start, a2.end) == actual
    assert a2.frozen and (a2.suite, a2.operators) == (a.suite, a.operators)
    assert b2.start >= actual[1] + timedelta(hours=4) > b.start
    assert not b2.frozen


def test_specimen_delay_does_not_drop_started_work() -> None:
    sc, plan = base()
    now = local("2026-12-08T12:00")
    started = [o for o in ops_of(plan, "O2") if o.start < now]  # selection, expansion
    assert started
    evs = events(sc, plan, {"type": "specimen_delay", "at": "2026-12-08T12:00",
                            "order": "O2", "arrival": "2026-12-09T07:00"})
    try:
        new = replan(sc, plan, evs, now="2026-12-08T12:00", **LIMITS)
    except (InputError, NoPlanError):
        return  # refusing the contradiction is fine; forgetting started work is not
    for before in started:
        after = find(new, "O2", before.step)
        assert after is not None and after.frozen and same_placement(before, after)


# ---------------------------------------------------------------------------- 2. frozen work
def test_work_started_before_now_is_frozen_and_identical() -> None:
    sc, plan = base()
    now = local("2026-12-09T12:00")
    new, _ = replanned(sc, plan, {"type": "resource_down", "at": "2026-12-09T12:00",
                                  "resource": "S1", "start": "2026-12-10T00:00",
                                  "end": "2026-12-11T00:00"}, now="2026-12-09T12:00")
    assert_frozen_identical(plan, new, now)
    for run in plan.qc_runs:
        if run.start < now:
            same = next(r for r in new.qc_runs if r.run_id == run.run_id)
            assert (same.start, same.end, same.analysts, same.order_ids) == \
                (run.start, run.end, run.analysts, run.order_ids)
            assert same.frozen
    # Nothing else is frozen, and nothing new starts before now.
    assert all(o.frozen == (o.start < now) for o in new.operations)


# ---------------------------------------------------------------------------- 3. freeze window
def _squeezed() -> tuple[Scenario, Plan]:
    """O4 (priority 1) keeps its specimen only 3 h; delayed to 09:00 it could start only by
    moving another order's harvest planned within 24 h of now."""
    orders = [*FOUR[:3], order("O4", arrival="2026-12-09T07:00", collected="2026-12-09T07:00",
                               stability="3h", due="2026-12-10", priority=1)]
    sc = scenario(SITE, orders)
    return sc, solve(sc, **LIMITS)


DELAY_O4 = {"type": "specimen_delay", "at": "2026-12-08T12:00", "order": "O4",
            "arrival": "2026-12-09T09:00"}


def test_freeze_window_keeps_untouched_work_exactly() -> None:
    sc, plan = _squeezed()
    now = local("2026-12-08T12:00")
    window = [o for o in plan.operations
              if o.order_id != "O4" and now <= o.start < now + timedelta(hours=24)]
    assert window
    new, _ = replanned(sc, plan, DELAY_O4, now="2026-12-08T12:00")
    for before in window:
        after = find(new, before.order_id, before.step)
        assert after is not None and same_placement(before, after), (before, after)
    # Without the freeze window the re-plan moves some of that work for O4: the window binds.
    loose, _ = replanned(sc, plan, DELAY_O4, now="2026-12-08T12:00", freeze=0)
    assert loose.outcome("O4").status == "scheduled"
    assert not all(same_placement(b, find(loose, b.order_id, b.step)) for b in window)


# ---------------------------------------------------------------------------- 4. stability
def test_single_late_specimen_keeps_most_of_the_plan() -> None:
    orders = [order(f"O{i}", arrival=f"2026-12-{7 + i // 2:02d}T07:00", due="2026-12-18")
              for i in range(1, 9)]
    sc = scenario(SITE, orders)
    plan = solve(sc, **LIMITS)
    assert all(o.status == "scheduled" for o in plan.orders)
    new, _ = replanned(sc, plan, {"type": "specimen_delay", "at": "2026-12-08T12:00",
                                  "order": "O5", "arrival": "2026-12-10T13:00"},
                       now="2026-12-08T12:00")
    assert op(new, "O5", "selection").start >= local("2026-12-10T13:00")
    untouched = [o for o in plan.operations if o.order_id != "O5"]
    kept = [o for o in untouched
            if (after := find(new, o.order_id, o.step)) is not None
            and (after.start, after.suite, after.equipment, after.operators)
            == (o.start, o.suite, o.equipment, o.operators)]
    assert len(kept) >= 0.9 * len(untouched), f"{len(kept)}/{len(untouched)} kept"


# ---------------------------------------------------------------------------- 5. hard conflicts
def test_suite_down_under_a_running_operation_is_no_plan() -> None:
    sc, plan = base()
    running = op(plan, "O1", "harvest")  # 2026-12-08 11:00-13:00 in S1
    assert running.start < local("2026-12-08T12:00") < running.end
    with pytest.raises(NoPlanError) as info:
        replan(sc, plan, events(sc, plan, {
            "type": "resource_down", "at": "2026-12-08T12:00", "resource": running.suite,
            "start": "2026-12-08T12:00", "end": "2026-12-08T18:00"}),
            now="2026-12-08T12:00", **LIMITS)
    assert any("O1/harvest" in f"{p.location} {p.message}" for p in info.value.problems), \
        info.value.problems


def test_absence_during_a_running_operation_is_no_plan() -> None:
    sc, plan = base()
    running = op(plan, "O1", "harvest")
    person = running.operators[0]
    with pytest.raises(NoPlanError) as info:
        replan(sc, plan, events(sc, plan, {
            "type": "operator_absent", "at": "2026-12-08T12:00", "operator": person,
            "start": "2026-12-08T12:00", "end": "2026-12-08T15:00"}),
            now="2026-12-08T12:00", **LIMITS)
    assert any("O1/harvest" in f"{p.location} {p.message}" for p in info.value.problems), \
        info.value.problems


def test_retest_after_qa_review_started_is_no_plan() -> None:
    sc, plan = base()
    review = op(plan, "O1", "qa_review")
    at = (review.start + timedelta(minutes=30)).isoformat()
    with pytest.raises(NoPlanError) as info:
        replan(sc, plan, events(sc, plan, {"type": "qc_retest", "at": at, "order": "O1",
                                           "assay": "sterility"}),
               now=at, **LIMITS)
    assert any("O1/qa_review" in p.location for p in info.value.problems), info.value.problems


# ---------------------------------------------------------------------------- 6. bad events
def test_event_dated_after_now_is_an_input_error() -> None:
    sc, plan = base()
    evs = events(sc, plan, {"type": "cancel_order", "at": "2026-12-08T13:00", "order": "O4"})
    with pytest.raises(InputError) as info:
        replan(sc, plan, evs, now="2026-12-08T12:00", **LIMITS)
    assert "after now" in str(info.value)


def test_unknown_order_is_an_input_error() -> None:
    sc, plan = base()
    with pytest.raises(InputError) as info:
        events(sc, plan, {"type": "cancel_order", "at": "2026-12-08T12:00", "order": "O99"})
    assert "O99" in str(info.value)
    # Event models built directly are checked by the re-plan too.
    event = SpecimenDelay.model_validate(
        {"id": "ev-1", "at": "2026-12-08T12:00", "order": "O99",
         "arrival": "2026-12-09T12:00"}, context={"tz": sc.timezone})
    with pytest.raises(InputError, match="O99"):
        replan(sc, plan, [event], now="2026-12-08T12:00", **LIMITS)


# ---------------------------------------------------------------------------- 7. determinism
def _normalised(plan: Plan) -> dict:
    data = plan.model_dump(exclude={"created"})
    data["solver"].pop("wall_seconds")
    return data


def test_replan_is_deterministic() -> None:
    sc, plan = base()
    items = ({"type": "specimen_delay", "at": "2026-12-08T12:00", "order": "O4",
              "arrival": "2026-12-10T08:00"},
             {"type": "new_order", "at": "2026-12-08T12:00",
              "order": {"order_id": "O9", "process": "p", "arrival": "2026-12-09T07:00",
                        "due": "2026-12-16"}})
    runs = [replan(sc, plan, events(sc, plan, *items), now="2026-12-08T12:00", **LIMITS)
            for _ in range(2)]
    assert _normalised(runs[0]) == _normalised(runs[1])


def test_operations_across_a_daylight_saving_change_keep_their_length() -> None:
    # A 3-day incubation from Friday to Monday spans the change to summer time (28 March
    # 2027): 72 elapsed hours are 73 wall-clock hours; the kept operation keeps 72.
    dst_site = site(horizon={"start": "2027-03-26T00:00", "days": 10}, processes=[{
        "id": "p", "steps": [
            {"id": "a", "duration": "1h", "suite": True, "operators": 1, "skill": "aseptic"},
            {"id": "b", "duration": "3d", "equipment": "incubator"}]}])
    sc = scenario(dst_site, [order("O1", arrival="2027-03-26T07:00", due="2027-04-02")])
    plan = solve(sc, **LIMITS)
    assert op(plan, "O1", "b").start.date().isoformat() == "2027-03-26"
    new, updated = replanned(sc, plan, {"type": "new_order", "at": "2027-03-26T06:00", "order": {
        "order_id": "O2", "process": "p", "arrival": "2027-03-29T07:00", "due": "2027-04-05"}},
        now="2027-03-26T06:00", freeze=0)
    assert check_plan(updated, new, previous=plan) == []
    assert op(new, "O1", "b") == op(plan, "O1", "b")


def test_a_cancelled_order_leaves_the_frozen_run_it_was_in() -> None:
    # Found by fuzzing the demo. Sterility runs start on Thursdays only, so the four samples
    # share one run; O2 is cancelled while it runs: the run goes on without its sample.
    weekly = copy.deepcopy(SITE)
    weekly["assays"][0] |= {"start_windows": [{"days": ["thu"], "from": "09:00", "to": "09:00"}],
                            "sample_max_age": "5d"}
    sc = scenario(weekly, FOUR)
    plan = solve(sc, **LIMITS)
    run = next(r for r in plan.qc_runs if "O2" in r.order_ids)
    assert len(run.order_ids) > 1
    now = run.start + timedelta(minutes=30)
    new, _ = replanned(sc, plan, {"type": "cancel_order", "at": now.isoformat(),
                                        "order": "O2"}, now=now.isoformat())
    kept = next(r for r in new.qc_runs if r.run_id == run.run_id)
    assert kept.frozen and set(kept.order_ids) == set(run.order_ids) - {"O2"}


def test_a_kept_placement_across_the_daylight_saving_change_keeps_its_elapsed_length() -> None:
    # Found by benchmarks/replan.py: the in-memory plan's ZoneInfo datetimes subtract as wall
    # clock, so a kept 3-day operation over the change grew by an hour on large sites (where
    # kept orders go straight from the warm start into the plan).
    from suitesched.planning.pools import make_pools
    from suitesched.planning.replan import _PlanReader
    from suitesched.timeline import Timeline

    sc = scenario(site(horizon={"start": "2027-03-26T00:00", "days": 10}), [order("O1")])
    timeline = Timeline.of(sc)
    reader = _PlanReader(sc, timeline, make_pools(sc), local("2027-03-26T06:00"), 0)
    start, end = local("2027-03-26T08:00"), local("2027-03-29T08:00")  # 71 h elapsed
    kept = Operation(order_id="O1", step="process", start=start, end=end)
    placed = reader.placement(kept, start, end, frozen=False)
    assert (placed.end - placed.start) * timeline.step == 71 * 60


def test_a_failure_found_after_the_material_left_the_suite_adds_no_cleaning() -> None:
    # Found by examples/replan_after_late_specimen.py: a selection failure reported the next
    # day blocked the suite another order was using by then.
    sc, plan = base()
    failed = op(plan, "O2", "selection")
    later = max(o.end for o in ops_of(plan, "O2") if o.suite) + timedelta(hours=1)
    new, updated = replanned(sc, plan, {
        "type": "run_failure", "at": later.isoformat(), "order": "O2", "step": "selection",
        "action": "restart", "arrival": (later + timedelta(days=1)).isoformat()},
        now=later.isoformat())
    suite = next(s for s in updated.suites if s.id == failed.suite)
    assert suite.down == next(s for s in sc.suites if s.id == failed.suite).down
    assert new.outcome("O2").status in ("scheduled", "unscheduled")


def test_an_untouched_order_that_stays_out_or_late_keeps_its_reason() -> None:
    from types import SimpleNamespace

    from suitesched.core.solution import CoreSolution, TaskResult
    from suitesched.model.plan import OrderOutcome
    from suitesched.planning.explain import NOT_EXPLAINED
    from suitesched.planning.replan import _carried_reasons

    day = datetime(2027, 3, 1, tzinfo=UTC)
    compiled = SimpleNamespace(
        problem=SimpleNamespace(groups=[SimpleNamespace(id=g, end_task=f"{g}/qa")
                                        for g in ("LATE-SAME", "LATE-MOVED")]),
        timeline=SimpleNamespace(moment=lambda tick: day + timedelta(hours=tick)))
    late = "no suite free in time"
    old = SimpleNamespace(orders=[
        OrderOutcome(order_id="KEPT-OUT", status="unscheduled", reason="no suite free"),
        OrderOutcome(order_id="TOUCHED", status="unscheduled", reason="no suite free"),
        OrderOutcome(order_id="UNEXPLAINED", status="unscheduled", reason=NOT_EXPLAINED),
        OrderOutcome(order_id="NOW-IN", status="unscheduled", reason="no suite free"),
        OrderOutcome(order_id="LATE-SAME", status="scheduled", reason=late,
                     release=day + timedelta(hours=30)),
        OrderOutcome(order_id="LATE-MOVED", status="scheduled", reason=late,
                     release=day + timedelta(hours=30)),
    ])
    new = CoreSolution(status="FEASIBLE", objective=None, bound=None, wall_seconds=0.0)
    new.present = {"KEPT-OUT": False, "TOUCHED": False, "UNEXPLAINED": False, "NOW-IN": True,
                   "LATE-SAME": True, "LATE-MOVED": True}
    new.tasks = {"LATE-SAME/qa": TaskResult(start=20, end=30, mode=0, choice=()),
                 "LATE-MOVED/qa": TaskResult(start=21, end=31, mode=0, choice=())}
    # An order the previous plan had no budget to explain keeps the pointer to `explain`.
    assert _carried_reasons(old, compiled, new, {"TOUCHED"}) == {
        "KEPT-OUT": "no suite free", "UNEXPLAINED": NOT_EXPLAINED, "LATE-SAME": late}
