"""Loading events files (SPEC §5): every event type over the demo site, and every kind of bad
input reported with its place (``event 3 (ev-2) · field``) and a message saying what is wrong.
Events are checked against data/demo, where COI-0011 is cancelled in orders.csv and COI-0003
runs the short process (cart-rapid: no potency or vcn assay, no transduction step)."""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import yaml
from pydantic import TypeAdapter

from suitesched.errors import InputError, Problem
from suitesched.io.events_reader import event_problems, load_events, parse_events
from suitesched.io.scenario_reader import load_scenario
from suitesched.model.events import (
    CancelOrder,
    Event,
    NewOrder,
    ResourceDown,
    RunFailure,
    SpecimenDelay,
    StepActual,
)
from suitesched.model.plan import OrderOutcome, Plan, SolverInfo
from suitesched.model.scenario import Scenario

ROOT = Path(__file__).resolve().parents[2]
AMS = ZoneInfo("Europe/Amsterdam")

ALL_TYPES = """\
# one event of each type over data/demo
- {id: ev-1, type: specimen_delay, at: 2026-12-08T10:00, order: COI-0003, arrival: 2026-12-09T16:00}
- {id: ev-2, type: run_failure, at: 2026-12-10T09:00, order: COI-0002, step: expansion,
   action: restart, arrival: 2026-12-17T08:00}
- {id: ev-3, type: resource_down, at: 2026-12-08T06:00, resource: S2,
   start: 2026-12-09T00:00, end: 2026-12-10T00:00}
- {id: ev-4, type: operator_absent, at: 2026-12-08T06:00, operator: OP07,
   start: 2026-12-09T14:30, end: 2026-12-09T23:00+01:00}
- {id: ev-5, type: qc_retest, at: 2026-12-11T12:00, order: COI-0001, assay: sterility}
- {id: ev-6, type: new_order, at: 2026-12-09T08:00,
   order: {order_id: COI-0031, process: cart-std, arrival: 2026-12-14T09:00, due: 2027-01-08}}
- {id: ev-7, type: cancel_order, at: 2026-12-09T09:00, order: COI-0004}
- {id: ev-8, type: step_actual, at: 2026-12-09T12:00, order: COI-0001, step: selection,
   start: 2026-12-09T07:15, end: 2026-12-09T11:30}
- {id: ev-9, type: step_actual, at: 2026-12-15T18:00, order: COI-0031, step: qa_review,
   start: 2026-12-15T08:00, end: 2026-12-15T11:00}
"""


@pytest.fixture(scope="module")
def demo() -> Scenario:
    return load_scenario(ROOT / "data" / "demo")


def _write(tmp_path: Path, text: str, name: str = "events.yaml") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def _problems(path: Path, scenario: Scenario) -> list[Problem]:
    with pytest.raises(InputError) as caught:
        load_events(path, scenario)
    assert caught.value.what == "events"
    return caught.value.problems


def _one(problems: list[Problem]) -> Problem:
    assert len(problems) == 1, problems
    return problems[0]


# ------------------------------------------------------------------------------------ good


def test_every_event_type_loads_with_site_local_times(tmp_path: Path, demo: Scenario) -> None:
    events = load_events(_write(tmp_path, ALL_TYPES), demo)
    assert [e.type for e in events] == [
        "specimen_delay", "run_failure", "resource_down", "operator_absent", "qc_retest",
        "new_order", "cancel_order", "step_actual", "step_actual"]
    delay, failure, down, absent, _, new, cancel, actual, _ = events
    assert isinstance(delay, SpecimenDelay)
    # Naive times are Amsterdam wall clock: 10:00 CET is 09:00 UTC.
    assert delay.at == datetime(2026, 12, 8, 10, 0, tzinfo=AMS)
    assert delay.at.utcoffset() is not None and delay.at.utcoffset().total_seconds() == 3600
    assert isinstance(failure, RunFailure) and failure.action == "restart"
    assert failure.arrival == datetime(2026, 12, 17, 8, 0, tzinfo=AMS)
    assert isinstance(down, ResourceDown) and down.end > down.start
    assert absent.end.utcoffset().total_seconds() == 3600  # type: ignore[union-attr]
    assert isinstance(new, NewOrder) and new.order.due == datetime(2027, 1, 9, tzinfo=AMS)
    assert new.order_id == "COI-0031" and cancel.order_id == "COI-0004"
    assert isinstance(actual, StepActual) and actual.start.tzinfo == AMS
    assert isinstance(cancel, CancelOrder)


def test_the_demo_events_file_loads(demo: Scenario) -> None:
    events = load_events(ROOT / "data" / "demo" / "events.yaml", demo)
    kinds = {e.type for e in events}
    assert {"specimen_delay", "run_failure", "resource_down", "operator_absent", "qc_retest",
            "new_order", "cancel_order"} <= kinds


def test_json_round_trip_and_bom(tmp_path: Path, demo: Scenario) -> None:
    events = load_events(_write(tmp_path, ALL_TYPES), demo)
    adapter = TypeAdapter(list[Event])
    path = tmp_path / "events.json"
    path.write_bytes(b"\xef\xbb\xbf" + adapter.dump_json(list(events), indent=2))
    assert load_events(path, demo) == events


def test_parse_events_from_data_and_empty_list(demo: Scenario) -> None:
    data = yaml.safe_load(ALL_TYPES)
    assert len(parse_events(data, demo, "nightly batch")) == 9
    assert parse_events([], demo, "nightly batch") == ()


def test_cancelling_a_cancelled_order_again_is_harmless(tmp_path: Path, demo: Scenario) -> None:
    text = """\
- {id: a, type: cancel_order, at: 2026-12-09T09:00, order: COI-0011}
- {id: b, type: cancel_order, at: 2026-12-09T09:00, order: COI-0004}
- {id: c, type: cancel_order, at: 2026-12-09T10:00, order: COI-0004}
"""
    assert len(load_events(_write(tmp_path, text), demo)) == 3


def test_an_order_from_the_plan_is_known(demo: Scenario) -> None:
    events = parse_events(yaml.safe_load(ALL_TYPES), demo, "x")
    unknown = CancelOrder(id="z", at=events[0].at, order="COI-0099")
    problems = event_problems([*events, unknown], demo)
    assert [p.location for p in problems] == ["event 10 (z) · order"]
    assert event_problems([*events, unknown], demo, _plan({"COI-0099": "scheduled"})) == []


# ------------------------------------------------------------------------------------- bad

BAD: list[tuple[str, str, str, str]] = [
    # (name, file content, expected location, key word of the message)
    ("duplicate_id",
     "- {id: ev-1, type: cancel_order, at: 2026-12-09T09:00, order: COI-0004}\n"
     "- {id: ev-1, type: cancel_order, at: 2026-12-09T09:00, order: COI-0005}\n",
     "event 2 (ev-1) · id", "duplicate event id"),
    ("unknown_type",
     "- {id: ev-1, type: specimen_late, at: 2026-12-09T09:00, order: COI-0004}\n",
     "event 1 (ev-1) · type", "unknown event type 'specimen_late'"),
    ("missing_type",
     "- {id: ev-1, at: 2026-12-09T09:00, order: COI-0004}\n",
     "event 1 (ev-1) · type", "missing"),
    ("missing_field",
     "- {id: ev-1, type: specimen_delay, at: 2026-12-09T09:00, order: COI-0004}\n",
     "event 1 (ev-1) · arrival", "required field is missing"),
    ("missing_id",
     "- {type: cancel_order, at: 2026-12-09T09:00, order: COI-0004}\n",
     "event 1 · id", "required field is missing"),
    ("unknown_field",
     "- {id: ev-1, type: cancel_order, at: 2026-12-09T09:00, order: COI-0004, why: x}\n",
     "event 1 (ev-1) · why", "unknown field 'why' for a cancel_order event"),
    ("bad_datetime",
     "- {id: ev-1, type: cancel_order, at: yesterday, order: COI-0004}\n",
     "event 1 (ev-1) · at", "could not read datetime"),
    ("restart_without_arrival",
     "- {id: ev-1, type: run_failure, at: 2026-12-10T09:00, order: COI-0002, step: expansion,"
     " action: restart}\n",
     "event 1 (ev-1) · arrival", "required when action is 'restart'"),
    ("cancel_with_arrival",
     "- {id: ev-1, type: run_failure, at: 2026-12-10T09:00, order: COI-0002, step: expansion,"
     " action: cancel, arrival: 2026-12-17T08:00}\n",
     "event 1 (ev-1) · arrival", "only allowed with action 'restart'"),
    ("bad_action",
     "- {id: ev-1, type: run_failure, at: 2026-12-10T09:00, order: COI-0002, step: expansion,"
     " action: retry}\n",
     "event 1 (ev-1) · action", "'restart' or 'cancel'"),
    ("end_before_start",
     "- {id: ev-1, type: resource_down, at: 2026-12-08T06:00, resource: S2,"
     " start: 2026-12-10T00:00, end: 2026-12-09T00:00}\n",
     "event 1 (ev-1) · end", "is not after start"),
    ("step_actual_end_equals_start",
     "- {id: ev-1, type: step_actual, at: 2026-12-09T12:00, order: COI-0001, step: receipt,"
     " start: 2026-12-09T07:15, end: 2026-12-09T07:15}\n",
     "event 1 (ev-1) · end", "is not after start"),
    ("unknown_order",
     "- {id: ev-1, type: specimen_delay, at: 2026-12-09T09:00, order: COI-0999,"
     " arrival: 2026-12-10T09:00}\n",
     "event 1 (ev-1) · order", "unknown order 'COI-0999'"),
    ("order_introduced_later",
     "- {id: ev-1, type: cancel_order, at: 2026-12-09T09:00, order: COI-0031}\n"
     "- {id: ev-2, type: new_order, at: 2026-12-09T08:00, order: {order_id: COI-0031,"
     " process: cart-std, arrival: 2026-12-14T09:00, due: 2027-01-08}}\n",
     "event 1 (ev-1) · order", "move the new_order up"),
    ("unknown_step",
     "- {id: ev-1, type: run_failure, at: 2026-12-10T09:00, order: COI-0003,"
     " step: transduction, action: cancel}\n",
     "event 1 (ev-1) · step", "unknown step 'transduction' of process 'cart-rapid'"),
    ("run_failure_of_qa_review",
     "- {id: ev-1, type: run_failure, at: 2026-12-10T09:00, order: COI-0003,"
     " step: qa_review, action: cancel}\n",
     "event 1 (ev-1) · step", "not a manufacturing run"),
    ("unknown_resource",
     "- {id: ev-1, type: resource_down, at: 2026-12-08T06:00, resource: S9,"
     " start: 2026-12-09T00:00, end: 2026-12-10T00:00}\n",
     "event 1 (ev-1) · resource", "unknown resource 'S9'"),
    ("unknown_operator",
     "- {id: ev-1, type: operator_absent, at: 2026-12-08T06:00, operator: OP99,"
     " start: 2026-12-09T00:00, end: 2026-12-10T00:00}\n",
     "event 1 (ev-1) · operator", "unknown operator 'OP99'"),
    ("assay_not_of_the_orders_process",
     "- {id: ev-1, type: qc_retest, at: 2026-12-11T12:00, order: COI-0003, assay: potency}\n",
     "event 1 (ev-1) · assay", "not a QC sample of process 'cart-rapid'"),
    ("event_for_cancelled_order",
     "- {id: ev-1, type: specimen_delay, at: 2026-12-09T09:00, order: COI-0011,"
     " arrival: 2026-12-19T09:00}\n",
     "event 1 (ev-1) · order", "is cancelled (by the scenario)"),
    ("event_after_cancel_order",
     "- {id: ev-1, type: cancel_order, at: 2026-12-09T09:00, order: COI-0004}\n"
     "- {id: ev-2, type: qc_retest, at: 2026-12-11T12:00, order: COI-0004, assay: sterility}\n",
     "event 2 (ev-2) · order", "is cancelled (by event 1 (ev-1))"),
    ("event_after_run_failure_cancel",
     "- {id: ev-1, type: run_failure, at: 2026-12-10T09:00, order: COI-0002, step: expansion,"
     " action: cancel}\n"
     "- {id: ev-2, type: specimen_delay, at: 2026-12-11T09:00, order: COI-0002,"
     " arrival: 2026-12-12T09:00}\n",
     "event 2 (ev-2) · order", "is cancelled"),
    ("new_order_existing_id",
     "- {id: ev-1, type: new_order, at: 2026-12-09T08:00, order: {order_id: COI-0002,"
     " process: cart-std, arrival: 2026-12-14T09:00, due: 2027-01-08}}\n",
     "event 1 (ev-1) · order.order_id", "already exists"),
    ("new_order_unknown_process",
     "- {id: ev-1, type: new_order, at: 2026-12-09T08:00, order: {order_id: COI-0031,"
     " process: cart-fast, arrival: 2026-12-14T09:00, due: 2027-01-08}}\n",
     "event 1 (ev-1) · order", "unknown process 'cart-fast'"),
    ("new_order_unknown_tag",
     "- {id: ev-1, type: new_order, at: 2026-12-09T08:00, order: {order_id: COI-0031,"
     " process: cart-std, arrival: 2026-12-14T09:00, due: 2027-01-08, requires: bsl3}}\n",
     "event 1 (ev-1) · order", "suite tag 'bsl3'"),
    ("new_order_bad_field",
     "- {id: ev-1, type: new_order, at: 2026-12-09T08:00, order: {order_id: COI-0031,"
     " process: cart-std, arrival: 2026-12-14T09:00, due: 2027-01-08, priority: 9}}\n",
     "event 1 (ev-1) · order.priority", "less than or equal to 5"),
    ("new_order_given_as_id",
     "- {id: ev-1, type: new_order, at: 2026-12-09T08:00, order: COI-0031}\n",
     "event 1 (ev-1) · order", "mapping of order fields"),
    ("item_not_a_mapping",
     "- ev-1 cancel_order COI-0004\n",
     "event 1", "must be a mapping"),
    ("not_a_list",
     "id: ev-1\ntype: cancel_order\nat: 2026-12-09T09:00\norder: COI-0004\n",
     "(top level)", "must be a list of events"),
    ("empty_file", "\n", "", "the file is empty"),
    ("yaml_syntax_error",
     "- {id: ev-1, type: cancel_order, at: 2026-12-09T09:00, order: COI-0004\n",
     "line 2", "not valid YAML"),
    ("duplicate_key",
     "- {id: ev-1, type: cancel_order, at: 2026-12-09T09:00, order: COI-0004, order: COI-0005}\n",
     "line 1", "duplicate key 'order'"),
]


@pytest.mark.parametrize(("text", "location", "message"), [b[1:] for b in BAD],
                         ids=[b[0] for b in BAD])
def test_each_bad_events_file_is_reported_where_it_is_wrong(
    tmp_path: Path, demo: Scenario, text: str, location: str, message: str
) -> None:
    problem = _one(_problems(_write(tmp_path, text), demo))
    assert problem.file == "events.yaml"
    if location.startswith("line"):
        assert problem.location.startswith(location), problem
    else:
        assert problem.location == location, problem
    assert message in problem.message, problem


@pytest.mark.parametrize(("text", "location", "message"), [
    ('[{"id": "ev-1", "type": "cancel_order", "at": "2026-12-09T09:00", "order": "COI-0999"}]',
     "event 1 (ev-1) · order", "unknown order"),
    ('[{"id": "ev-1", "type": "cancel_order", "at": "2026-12-09T09:00",}]',
     "line 1, column 66", "not valid JSON"),
    ('[{"id": "ev-1", "id": "ev-2"}]', "", "duplicate key 'id'"),
    ('{"events": []}', "(top level)", "must be a list"),
    ("   ", "", "the file is empty"),
], ids=["unknown_order", "syntax", "duplicate_key", "not_a_list", "empty"])
def test_json_files_are_read_as_json(
    tmp_path: Path, demo: Scenario, text: str, location: str, message: str
) -> None:
    problem = _one(_problems(_write(tmp_path, text, "events.json"), demo))
    assert (problem.file, problem.location) == ("events.json", location)
    assert message in problem.message


def test_missing_file_and_directory(tmp_path: Path, demo: Scenario) -> None:
    problem = _one(_problems(tmp_path / "nope.yaml", demo))
    assert problem.file.endswith("nope.yaml") and "file not found" in problem.message
    problem = _one(_problems(tmp_path, demo))
    assert "is a directory" in problem.message


def test_not_utf8(tmp_path: Path, demo: Scenario) -> None:
    path = tmp_path / "events.yaml"
    path.write_bytes(b"- {id: \xff}\n")
    assert "not UTF-8" in _one(_problems(path, demo)).message


def test_all_problems_are_reported_at_once_in_list_order(tmp_path: Path, demo: Scenario) -> None:
    text = """\
- {id: ok, type: cancel_order, at: 2026-12-09T09:00, order: COI-0004}
- {id: a, type: resource_down, at: 2026-12-08T06:00, resource: S9,
   start: 2026-12-09T00:00, end: 2026-12-10T00:00}
- {id: b, type: specimen_delay, at: 2026-12-09T09:00, order: COI-0002}
- {id: c, type: qc_retest, at: 2026-12-11T12:00, order: COI-0003, assay: vcn}
"""
    problems = _problems(_write(tmp_path, text), demo)
    assert [p.location for p in problems] == [
        "event 2 (a) · resource", "event 3 (b) · arrival", "event 4 (c) · assay"]
    assert "3 problem(s) in the events" in str(InputError(problems, what="events"))


def test_a_broken_new_order_does_not_make_its_later_events_unknown(
    tmp_path: Path, demo: Scenario
) -> None:
    text = """\
- {id: a, type: new_order, at: 2026-12-09T08:00,
   order: {order_id: COI-0031, process: cart-std, arrival: soon, due: 2027-01-08}}
- {id: b, type: cancel_order, at: 2026-12-09T09:00, order: COI-0031}
"""
    assert [p.location for p in _problems(_write(tmp_path, text), demo)] == [
        "event 1 (a) · order.arrival"]


# ------------------------------------------------------------------------ with a plan


def _plan(statuses: dict[str, str]) -> Plan:
    """A plan that only records order outcomes: enough for the reference checks."""
    moment = datetime(2026, 12, 7, tzinfo=AMS)
    return Plan(scenario="demo-site", created=moment, now=moment,
                solver=SolverInfo(status="OPTIMAL"),
                orders=tuple(OrderOutcome(order_id=o, status=s)  # type: ignore[arg-type]
                             for o, s in statuses.items()))


def test_work_events_for_an_unscheduled_order_need_a_plan_that_schedules_it(
    demo: Scenario,
) -> None:
    data: list[dict[str, Any]] = [
        {"id": "a", "type": "qc_retest", "at": "2026-12-11T12:00", "order": "COI-0005",
         "assay": "sterility"},
        {"id": "b", "type": "specimen_delay", "at": "2026-12-11T12:00", "order": "COI-0005",
         "arrival": "2026-12-12T12:00"},
        {"id": "c", "type": "step_actual", "at": "2026-12-11T12:00", "order": "COI-0006",
         "step": "receipt", "start": "2026-12-11T09:00", "end": "2026-12-11T10:00"},
    ]
    events = parse_events(data, demo, "batch")
    plan = _plan({"COI-0005": "unscheduled", "COI-0006": "cancelled"})
    problems = event_problems(events, demo, plan, label="batch")
    assert [(p.location, p.file) for p in problems] == [
        ("event 1 (a) · order", "batch"), ("event 3 (c) · order", "batch")]
    assert "unscheduled" in problems[0].message
    assert "cancelled (by the plan)" in problems[1].message
    with pytest.raises(InputError):
        parse_events(data, demo, "batch", plan=plan)
    assert json.dumps([p.message for p in problems])  # plain text, no objects
