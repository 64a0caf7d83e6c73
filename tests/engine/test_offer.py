"""Slot offers (SPEC §5a): ranked, harmless to the plan, and kept when accepted."""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path

import pytest

import suitesched as ss
from suitesched.errors import InputError
from suitesched.io.events_reader import parse_events
from suitesched.model.plan import Plan
from suitesched.model.scenario import Scenario
from suitesched.planning.replan import replan_with_scenario

DEMO = Path(__file__).resolve().parents[2] / "data" / "demo"
NOW = "2026-12-09T12:00"
FAST = {"time_limit": None, "workers": 2, "seed": 0, "max_deterministic_time": 4.0}


@cache
def demo() -> tuple[Scenario, Plan]:
    sc = ss.load_scenario(DEMO)
    return sc, ss.solve(sc, **FAST)


def worse_off(before: Plan, after: Plan) -> list[str]:
    """Orders scheduled before that are now unscheduled, later, or late when they were not."""
    out = []
    for old in before.orders:
        new = after.outcome(old.order_id)
        if old.status != "scheduled":
            continue
        if new is None or new.status != "scheduled" or new.release > old.release or (
                (new.tardiness_hours or 0) > (old.tardiness_hours or 0)):
            out.append(old.order_id)
    return out


def test_offers_are_ranked_and_within_the_window() -> None:
    sc, plan = demo()
    result = ss.offer(sc, plan, "cart-std", now=NOW, earliest="2026-12-10",
                      latest="2026-12-20", top=4)
    assert 0 < len(result.offers) <= 4
    keys = [(o.release, o.arrival) for o in result.offers]
    assert keys == sorted(keys)
    for o in result.offers:
        assert "2026-12-10" <= o.arrival.date().isoformat() <= "2026-12-20"
        assert o.arrival <= o.start < o.release
        assert o.suite in {s.id for s in sc.suites}
    assert result.candidates == 11 and "11 arrival days" in result.method


def test_accepted_offer_keeps_its_release_and_nobody_is_worse_off() -> None:
    # Issue 6: the first offer, entered as a new_order event with the offered arrival,
    # re-plans to a plan releasing it no later than offered, with no other order worse off.
    sc, plan = demo()
    best = ss.offer(sc, plan, "cart-std", now=NOW).offers[0]
    events = parse_events([{"id": "accept-1", "type": "new_order", "at": NOW, "order": {
        "order_id": "COI-0031", "process": "cart-std", "arrival": best.arrival.isoformat(),
        "due": best.release.isoformat()}}], sc, "accepted offer", plan=plan)
    new, updated = replan_with_scenario(sc, plan, events, now=NOW, **FAST)
    assert ss.check_plan(updated, new, previous=plan) == []
    accepted = new.outcome("COI-0031")
    assert accepted.status == "scheduled" and accepted.release <= best.release
    assert worse_off(plan, new) == []


def test_a_bsl2_order_is_offered_only_tagged_suites() -> None:
    sc, plan = demo()
    result = ss.offer(sc, plan, "cart-std", now=NOW, requires="bsl2_plus", top=3)
    tagged = {s.id for s in sc.suites if "bsl2_plus" in s.tags}
    assert result.offers and all(o.suite in tagged for o in result.offers)


def test_offering_changes_nothing_in_the_plan() -> None:
    sc, plan = demo()
    before = plan.model_dump()
    ss.offer(sc, plan, "cart-rapid", now=NOW, top=2)
    assert plan.model_dump() == before


def test_bad_request_is_a_located_input_error() -> None:
    sc, plan = demo()
    with pytest.raises(InputError) as caught:
        ss.offer(sc, plan, "no-such-process", requires="no-tag")
    assert [p.file for p in caught.value.problems] == ["--process", "--requires"]


def test_cli_offer_prints_spec_json(tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from suitesched.cli import app

    _, plan = demo()
    ss.write_plan(plan, tmp_path)
    result = CliRunner().invoke(app, ["offer", str(DEMO), "--plan",
                                      str(tmp_path / "plan.json"), "--process", "cart-rapid",
                                      "--now", NOW, "--top", "2", "--json"])
    assert result.exit_code == 0, result.output
    offers = json.loads(result.output)["offers"]
    assert len(offers) == 2
    assert set(offers[0]) == {"arrival", "release", "suite", "start"}


def test_accepted_offer_on_a_small_site_full_model_path() -> None:
    # Below 12 orders a re-plan runs the full model: the kept orders' deadlines (their
    # previous releases) are what keeps everybody where they were.
    from helpers import read

    sc = ss.load_scenario(read("spec_site.yaml"))
    plan = ss.solve(sc, **FAST)
    now = "2026-12-08T10:00"
    best = ss.offer(sc, plan, "cart-std", now=now).offers[0]
    events = parse_events([{"id": "a", "type": "new_order", "at": now, "order": {
        "order_id": "COI-0031", "process": "cart-std", "arrival": best.arrival.isoformat(),
        "due": best.arrival.isoformat()[:10]}}], sc, "accepted offer", plan=plan)
    new, updated = replan_with_scenario(sc, plan, events, now=now, **FAST)
    assert ss.check_plan(updated, new, previous=plan) == []
    assert new.outcome("COI-0031").release <= best.release
    assert worse_off(plan, new) == []
