"""Hypothesis strategies shared by tests: small valid scenarios and event lists.

:func:`scenarios` draws a small site (1-3 suites, 2 equipment types, 2-5 operators, 1-2
processes, 0-2 assays) with 1-5 orders over a horizon of at most 14 days, and across draws uses
every input feature of SPEC §2: changeovers, suite tags and ``requires``, down windows of suites
and equipment, several shift patterns (one crossing midnight, one at the weekend), absences,
expiring qualifications, holidays, 15 and 30 minute grids, suite and equipment steps,
``max_wait``, ``after`` lags from start and end with ``min`` and ``max``, step
``start_windows``, ``same_suite``, QC samples with every assay field, ``qa_review``, cryo and
fresh orders, every priority and status, and horizons across a daylight-saving change.
:func:`scenario_features` reads the features back from a built scenario, so a test can prove
the strategy covers them all.

:func:`events` draws a valid list of SPEC §5 events (all eight types) about a scenario and its
plan, known at or before a re-plan's ``now``.
"""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from typing import Any

from hypothesis import strategies as st

from helpers import scenario
from suitesched.model.plan import Plan
from suitesched.model.scenario import Scenario

WEEK = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
WORKDAYS = WEEK[:5]

HORIZON_STARTS = (
    datetime(2026, 12, 7),  # a Monday before Christmas: holidays matter
    datetime(2027, 3, 22),  # the week of the spring daylight-saving change (28 March 2027)
    datetime(2027, 10, 25, 6, 0),  # autumn change (31 October 2027), starting off midnight
)
"""Horizon starts, all Mondays, site-local."""

SHIFTS: dict[str, dict[str, Any]] = {
    "day": {"start": "07:00", "end": "15:30", "days": list(WORKDAYS)},
    "late": {"start": "14:30", "end": "23:00", "days": list(WORKDAYS)},
    "night": {"start": "22:00", "end": "06:30", "days": ["sun", "mon", "tue", "wed", "thu"]},
    "wkend": {"start": "08:00", "end": "16:30", "days": ["sat", "sun"]},
    "allweek": {"start": "06:00", "end": "18:00"},
}
"""Shift patterns a site may define: ``night`` crosses midnight, ``wkend`` is the weekend and
``allweek`` leaves ``days`` to its default (every day)."""

QC_NEEDS_QA_REVIEW = True
"""A process with QC samples always gets a ``qa_review``: release is the end of the review after
the last QC run (SPEC §4.1.8), and a scenario without one is refused
(``test_qc_without_qa_review_is_refused_with_a_located_message``)."""

SKILLS = ("aseptic", "receipt", "qc_micro", "qa")
TAG = "bsl2_plus"


def _stamp(moment: datetime) -> str:
    """A site-local datetime as ISO text without an offset (read in the site's zone)."""
    return moment.strftime("%Y-%m-%dT%H:%M")


def _minutes(value: int) -> str | int:
    """Durations in the accepted spellings: integer minutes, ``45m``, ``4h``, ``2d``, ``1d12h``."""
    days, rest = divmod(value, 1440)
    hours, minutes = divmod(rest, 60)
    if value % 7 == 0 and value % 60:
        return value  # sometimes plain integer minutes
    text = (f"{days}d" if days else "") + (f"{hours}h" if hours else "") + \
        (f"{minutes}m" if minutes else "")
    return text or "0m"


def _window(draw: st.DrawFn, start: datetime, days: int, longest_hours: int) -> dict[str, str]:
    begin = start + timedelta(hours=draw(st.integers(0, days * 24 - 1)))
    length = timedelta(hours=draw(st.integers(1, longest_hours)))
    return {"start": _stamp(begin), "end": _stamp(begin + length)}


def _start_windows(draw: st.DrawFn) -> list[dict[str, Any]]:
    kind = draw(st.sampled_from(["workdays", "mwf", "default_days"]))
    begin = draw(st.sampled_from(["06:00", "07:00", "08:00"]))
    end = draw(st.sampled_from(["12:00", "14:00", "24:00"]))
    window: dict[str, Any] = {"from": begin, "to": end}
    if kind == "workdays":
        window["days"] = list(WORKDAYS)
    elif kind == "mwf":
        window["days"] = ["mon", "wed", "fri"]
    return [window]


@st.composite
def _operators(draw: st.DrawFn, shift_names: list[str], start: datetime,
               days: int) -> list[dict[str, Any]]:
    """2-5 operators; the first holds every skill on day shift, the second aseptic and qa."""
    operators: list[dict[str, Any]] = [
        {"id": "OP0", "skills": list(SKILLS), "shifts": ["day"]},
        {"id": "OP1", "skills": ["aseptic", "qa"],
         "shifts": draw(st.lists(st.sampled_from(shift_names), min_size=1, max_size=2,
                                 unique=True))},
    ]
    for i in range(2, draw(st.integers(2, 5))):
        skills: list[Any] = draw(st.lists(st.sampled_from(SKILLS), min_size=1, max_size=3,
                                          unique=True))
        if draw(st.booleans()):
            until = start + timedelta(days=draw(st.integers(1, days + 7)))
            expiring = {"skill": skills[0], "until": until.date().isoformat()}
            if draw(st.booleans()):
                expiring["until"] = _stamp(until + timedelta(hours=12))
            skills[0] = expiring
        operators.append({
            "id": f"OP{i}", "skills": skills,
            "shifts": draw(st.lists(st.sampled_from(shift_names), min_size=1, max_size=3,
                                    unique=True))})
    for person in operators[1:]:
        if draw(st.integers(0, 3)) == 0:
            person["absent"] = [_window(draw, start, days, 72)]
    return operators


def _holders(operators: list[dict[str, Any]]) -> dict[str, int]:
    count = dict.fromkeys(SKILLS, 0)
    for person in operators:
        for skill in person["skills"]:
            count[skill["skill"] if isinstance(skill, dict) else skill] += 1
    return count


@st.composite
def _assays(draw: st.DrawFn) -> list[dict[str, Any]]:
    out = []
    for name in draw(st.lists(st.sampled_from(["ster", "myco"]), max_size=2, unique=True)):
        duration = draw(st.sampled_from([4 * 60, 24 * 60, 2 * 24 * 60]))
        assay: dict[str, Any] = {"id": name, "duration": _minutes(duration),
                                 "capacity": draw(st.integers(1, 3))}
        analysts = draw(st.sampled_from([1, 1, 1, 0]))
        assay["analysts"] = analysts
        if analysts:
            assay["skill"] = "qc_micro"
            assay["hands_on"] = _minutes(draw(st.sampled_from([30, 60, 120])))
        if draw(st.booleans()):
            assay["start_windows"] = _start_windows(draw)
        if draw(st.booleans()):
            assay["sample_max_age"] = _minutes(draw(st.sampled_from([24, 48, 72])) * 60)
        out.append(assay)
    return out


@st.composite
def _process(draw: st.DrawFn, pid: str, holders: dict[str, int], types: set[str],
             assays: list[dict[str, Any]]) -> dict[str, Any]:
    """receipt? -> select (suite) -> activate? (suite) -> grow (incubator) -> feed? (during
    grow) -> harvest (suite, after grow) -> cryo? (freezer)."""

    def people(skill: str, most: int = 2) -> dict[str, Any]:
        n = draw(st.integers(0, min(most, holders[skill])))
        return {"operators": n, "skill": skill} if n else {}

    def wait() -> dict[str, Any]:
        if draw(st.booleans()):
            return {"max_wait": _minutes(draw(st.sampled_from([60, 120, 24 * 60, 48 * 60])))}
        return {}

    grow = draw(st.sampled_from([12 * 60, 24 * 60, 36 * 60, 3 * 24 * 60]))
    steps: list[dict[str, Any]] = []
    if draw(st.booleans()):
        steps.append({"id": "receipt", "duration": _minutes(draw(st.sampled_from([30, 45, 60]))),
                      **people("receipt", 1)})
    select = {"id": "select", "duration": _minutes(draw(st.sampled_from([60, 105, 180, 300]))),
              "suite": True, **people("aseptic"), **wait()}
    if draw(st.integers(0, 3)) == 0:
        select["start_windows"] = _start_windows(draw)
    steps.append(select)
    if draw(st.booleans()):
        steps.append({"id": "activate", "duration": _minutes(draw(st.sampled_from([60, 120]))),
                      "suite": True, **people("aseptic"), **wait()})
    steps.append({"id": "grow", "duration": _minutes(grow), "equipment": "incubator", **wait()})
    if draw(st.booleans()):
        low = draw(st.integers(1, max(1, grow // 60 - 4))) * 60
        lag: dict[str, Any] = {"step": "grow", "from": "start", "min": _minutes(low)}
        if draw(st.booleans()):
            lag["max"] = _minutes(low + draw(st.sampled_from([0, 240, 12 * 60])))
        steps.append({"id": "feed", "duration": "1h", "suite": True, **people("aseptic"),
                      "after": [lag]})
    harvest: dict[str, Any] = {"id": "harvest",
                               "duration": _minutes(draw(st.sampled_from([60, 120, 360]))),
                               "suite": True, **people("aseptic")}
    if steps[-1]["id"] == "feed" or draw(st.booleans()):
        lag = {"step": "grow"}
        if draw(st.booleans()):
            lag["from"] = "end"
        if draw(st.booleans()):
            lag["min"] = _minutes(draw(st.sampled_from([0, 60])))
        lag["max"] = _minutes(draw(st.sampled_from([2 * 60, 16 * 60])))
        harvest["after"] = [lag]
    else:
        harvest |= wait()
    steps.append(harvest)
    if "freezer" in types and draw(st.booleans()):
        steps.append({"id": "cryo", "duration": "2h", "equipment": "freezer", **wait()})
    process: dict[str, Any] = {"id": pid, "steps": steps}
    same = draw(st.sampled_from([None, True, False]))
    if same is not None:
        process["same_suite"] = same
    samples = draw(st.lists(st.sampled_from(assays), max_size=len(assays),
                            unique_by=lambda a: a["id"])) if assays else []
    if samples:
        after = [s["id"] for s in steps if s["id"] in ("harvest", "select", "cryo")]
        process["qc"] = [{"assay": a["id"], "sample_after": draw(st.sampled_from(after))}
                         for a in samples]
    if draw(st.integers(0, 3)) or (samples and QC_NEEDS_QA_REVIEW):
        process["qa_review"] = {"duration": _minutes(draw(st.sampled_from([30, 60, 120]))),
                                "skill": "qa"}
        if holders["qa"] >= 2 and draw(st.integers(0, 4)) == 0:
            process["qa_review"]["operators"] = 2
    return process


@st.composite
def _orders(draw: st.DrawFn, start: datetime, days: int, processes: list[str],
            tagged: bool) -> list[dict[str, Any]]:
    out = []
    for i in range(draw(st.integers(1, 5))):
        arrival = start + timedelta(minutes=draw(st.integers(0, (days - 1) * 1440)) // 5 * 5)
        order: dict[str, Any] = {"order_id": f"COI-{i:04d}",
                                 "process": draw(st.sampled_from(processes)),
                                 "arrival": _stamp(arrival)}
        if draw(st.booleans()):  # fresh material
            before = draw(st.integers(0, 12)) * 60
            if before or draw(st.booleans()):
                order["collected"] = _stamp(arrival - timedelta(minutes=before))
            order["stability"] = _minutes(before + draw(st.sampled_from([12, 24, 48, 96])) * 60)
        due = arrival + timedelta(days=draw(st.integers(3, 21)))
        order["due"] = due.date().isoformat() if draw(st.booleans()) else _stamp(due)
        priority = draw(st.sampled_from([None, 1, 2, 3, 4, 5]))
        if priority is not None:
            order["priority"] = priority
        status = draw(st.sampled_from([None, None, None, "planned", "cancelled"]))
        if status is not None:
            order["status"] = status
        if tagged and draw(st.integers(0, 2)) == 0:
            order["requires"] = TAG
        out.append(order)
    return out


@st.composite
def scenario_data(draw: st.DrawFn) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """The site mapping and order rows of a small valid scenario (see :func:`scenarios`)."""
    start = draw(st.sampled_from(HORIZON_STARTS))
    days = draw(st.integers(4, 14))
    zone = draw(st.sampled_from(["Europe/Amsterdam", "Europe/Amsterdam", "UTC"]))
    shift_names = ["day", *draw(st.lists(st.sampled_from(
        [n for n in SHIFTS if n != "day"]), max_size=4, unique=True))]
    operators = draw(_operators(shift_names, start, days))
    holders = _holders(operators)
    suites: list[dict[str, Any]] = []
    for i in range(draw(st.integers(1, 3))):
        suite: dict[str, Any] = {"id": f"S{i + 1}"}
        changeover = draw(st.sampled_from([None, 0, 30, 60, 120, 240]))
        if changeover is not None:
            suite["changeover"] = _minutes(changeover)
        if draw(st.integers(0, 2)) == 0:
            suite["tags"] = [TAG]
        if draw(st.integers(0, 3)) == 0:
            suite["down"] = [_window(draw, start, days, 48)]
        suites.append(suite)
    equipment: list[dict[str, Any]] = []
    for i in range(draw(st.integers(1, 2))):
        equipment.append({"id": f"INC{i + 1}", "type": "incubator",
                          "capacity": draw(st.integers(1, 3))})
    if draw(st.booleans()):
        equipment.append({"id": "CRF1", "type": "freezer"})
    for unit in equipment:
        if draw(st.integers(0, 4)) == 0:
            unit["down"] = [_window(draw, start, days, 36)]
    assays = draw(_assays())
    types = {e["type"] for e in equipment}
    processes = [draw(_process(f"p{k}", holders, types, assays))
                 for k in range(draw(st.integers(1, 2)))]
    holidays = draw(st.lists(st.integers(0, days), max_size=2, unique=True))
    data: dict[str, Any] = {
        "name": "prop", "timezone": zone,
        "horizon": {"start": _stamp(start), "days": days},
        "time_step": draw(st.sampled_from(["15m", "30m", 15])),
        "shifts": {name: SHIFTS[name] for name in shift_names},
        "suites": suites, "equipment": equipment, "operators": operators,
        "assays": assays, "processes": processes,
    }
    if holidays:
        data["holidays"] = [(start + timedelta(days=d)).date().isoformat() for d in holidays]
    orders = draw(_orders(start, days, [p["id"] for p in processes],
                          any(TAG in s.get("tags", ()) for s in suites)))
    return data, orders


def scenarios() -> st.SearchStrategy[Scenario]:
    """Small valid scenarios covering every SPEC §2 feature across draws."""
    return scenario_data().map(lambda parts: scenario(*parts))


# ---------------------------------------------------------------------------- features
def _crosses_dst(sc: Scenario) -> bool:
    start = sc.horizon.start
    end = start + timedelta(days=sc.horizon.days)
    return start.utcoffset() != end.astimezone(sc.timezone).utcoffset()


def scenario_features(sc: Scenario) -> set[str]:
    """The SPEC §2 features a built scenario uses (read from the model, not the raw input)."""
    f: set[str] = set()

    def add(name: str, present: object) -> None:
        if present:
            f.add(name)

    add("time_step_15m", sc.time_step == 15)
    add("time_step_30m", sc.time_step == 30)
    add("timezone_utc", str(sc.timezone) == "UTC")
    add("dst_crossing", _crosses_dst(sc))
    add("horizon_off_midnight", sc.horizon.start.time() != time(0))
    add("holidays", sc.holidays)
    add("several_suites", len(sc.suites) >= 2)
    add("suite_changeover", any(s.changeover for s in sc.suites))
    add("suite_no_changeover", any(not s.changeover for s in sc.suites))
    add("suite_tags", any(s.tags for s in sc.suites))
    add("suite_down", any(s.down for s in sc.suites))
    add("two_equipment_types", len({e.type for e in sc.equipment}) >= 2)
    add("equipment_capacity", any(e.capacity > 1 for e in sc.equipment))
    add("equipment_down", any(e.down for e in sc.equipment))
    add("several_shifts", len(sc.shifts) >= 3)
    add("shift_across_midnight", any(s.end <= s.start for s in sc.shifts.values()))
    add("shift_weekend", any({"sat", "sun"} & set(s.days) for s in sc.shifts.values()))
    add("operator_several_skills", any(len(o.skills) >= 2 for o in sc.operators))
    add("operator_several_shifts", any(len(o.shifts) >= 2 for o in sc.operators))
    add("operator_absent", any(o.absent for o in sc.operators))
    add("qualification_until", any(q.until for o in sc.operators for q in o.skills))
    add("several_processes", len(sc.processes) >= 2)
    steps = [s for p in sc.processes for s in p.steps]
    lags = [lag for s in steps for lag in s.after]
    add("step_suite", any(s.suite for s in steps))
    add("step_equipment", any(s.equipment for s in steps))
    add("step_operators", any(s.operators for s in steps))
    add("step_two_operators", any(s.operators >= 2 for s in steps))
    add("step_no_resources", any(not (s.suite or s.equipment or s.operators) for s in steps))
    add("step_max_wait", any(s.max_wait is not None for s in steps))
    add("step_start_windows", any(s.start_windows for s in steps))
    add("step_off_grid_duration", any(s.duration % sc.time_step for s in steps))
    add("lag_from_start", any(lag.from_ == "start" for lag in lags))
    add("lag_from_end", any(lag.from_ == "end" for lag in lags))
    add("lag_min", any(lag.min for lag in lags))
    add("lag_max", any(lag.max is not None for lag in lags))
    add("same_suite_true", any(p.same_suite for p in sc.processes))
    add("same_suite_false", any(not p.same_suite for p in sc.processes))
    add("qa_review", any(p.qa_review for p in sc.processes))
    add("qa_review_two_people", any(p.qa_review and p.qa_review.operators >= 2
                                    for p in sc.processes))
    add("qc_sample", any(p.qc for p in sc.processes))
    add("qc_two_assays", any(len(p.qc) >= 2 for p in sc.processes))
    add("assay_capacity", any(a.capacity > 1 for a in sc.assays))
    add("assay_analysts", any(a.analysts for a in sc.assays))
    add("assay_no_analysts", any(not a.analysts for a in sc.assays))
    add("assay_hands_on", any(a.hands_on for a in sc.assays))
    add("assay_sample_max_age", any(a.sample_max_age for a in sc.assays))
    add("assay_start_windows", any(a.start_windows for a in sc.assays))
    add("several_orders", len(sc.orders) >= 2)
    add("order_cryo", any(o.stability is None for o in sc.orders))
    add("order_fresh", any(o.stability is not None for o in sc.orders))
    add("order_collected", any(o.collected is not None and o.collected < o.arrival
                               for o in sc.orders))
    add("order_requires", any(o.requires for o in sc.orders))
    add("order_cancelled", any(o.status == "cancelled" for o in sc.orders))
    add("order_planned", any(o.status == "planned" for o in sc.orders))
    add("order_due", all(o.due > o.arrival for o in sc.orders))
    for p in range(1, 6):
        add(f"priority_{p}", any(o.priority == p for o in sc.orders))
    return f


FEATURES = frozenset({
    "time_step_15m", "time_step_30m", "timezone_utc", "dst_crossing", "horizon_off_midnight",
    "holidays", "several_suites", "suite_changeover", "suite_no_changeover", "suite_tags",
    "suite_down", "two_equipment_types", "equipment_capacity", "equipment_down",
    "several_shifts", "shift_across_midnight", "shift_weekend", "operator_several_skills",
    "operator_several_shifts", "operator_absent", "qualification_until", "several_processes",
    "step_suite", "step_equipment", "step_operators", "step_two_operators",
    "step_no_resources", "step_max_wait", "step_start_windows", "step_off_grid_duration",
    "lag_from_start", "lag_from_end", "lag_min", "lag_max", "same_suite_true",
    "same_suite_false", "qa_review", "qa_review_two_people", "qc_sample", "qc_two_assays",
    "assay_capacity", "assay_analysts", "assay_no_analysts", "assay_hands_on",
    "assay_sample_max_age", "assay_start_windows", "several_orders", "order_cryo",
    "order_fresh", "order_collected", "order_requires", "order_cancelled", "order_planned",
    "order_due", "priority_1", "priority_2", "priority_3", "priority_4", "priority_5",
})
"""Every feature :func:`scenario_features` can report; :func:`scenarios` must reach them all."""


# ---------------------------------------------------------------------------- events
EVENT_TYPES = ("specimen_delay", "run_failure", "resource_down", "operator_absent",
               "qc_retest", "new_order", "cancel_order", "step_actual")


def _iso(moment: datetime) -> str:
    return moment.isoformat()


@st.composite
def replan_moments(draw: st.DrawFn, sc: Scenario, plan: Plan,
                   after_qc: bool = False) -> datetime:
    """A ``now`` inside the horizon: mostly while planned work is under way, so some is frozen;
    with ``after_qc``, after a QC run has started when the plan has one (for retests)."""
    start = sc.horizon.start.astimezone(UTC)
    end = start + timedelta(days=sc.horizon.days)
    if after_qc and plan.qc_runs:
        run = draw(st.sampled_from(plan.qc_runs))
        moment = run.start.astimezone(UTC) + timedelta(minutes=draw(st.integers(0, 24 * 60)))
    elif plan.operations and draw(st.integers(0, 3)):
        op = draw(st.sampled_from(plan.operations))
        moment = op.start.astimezone(UTC) + timedelta(minutes=draw(st.integers(-120, 600)))
    else:
        moment = start + timedelta(minutes=draw(st.integers(30, sc.horizon.days * 1440 - 30)))
    moment = min(max(moment, start + timedelta(minutes=1)), end - timedelta(minutes=30))
    moment -= timedelta(minutes=moment.minute % 5)
    return moment.astimezone(sc.timezone)


@st.composite
def events(draw: st.DrawFn, sc: Scenario, plan: Plan, now: datetime,
           lead: str | None = None) -> list[dict[str, Any]]:
    """1-4 valid events (SPEC §5) about ``sc`` and ``plan``, each known at or before ``now``;
    the first of type ``lead`` when given (and possible).

    References are real: orders of the scenario (or of an earlier ``new_order``), steps of
    their process, suites, equipment, operators and assays of the site. Events that need
    planned work (``run_failure``, ``step_actual``, ``qc_retest``) name scheduled orders; a
    ``qc_retest`` names a run that started before it; a ``specimen_delay`` names an order none
    of whose work started before the delay was known; nothing names an order after it was
    cancelled or restarted. When a drawn type has nothing to refer to, another is drawn.
    """
    horizon_end = sc.horizon.start + timedelta(days=sc.horizon.days)
    scheduled = {o.order_id for o in plan.orders if o.status == "scheduled"}
    live = {o.order_id for o in sc.orders if o.status != "cancelled"}
    process_of = {o.order_id: o.process for o in sc.orders}
    gone: set[str] = set()  # cancelled or restarted by an earlier event
    out: list[dict[str, Any]] = []
    n_new = 0
    for i in range(draw(st.integers(1, 4))):
        at = now - timedelta(minutes=draw(st.integers(0, 48 * 60)))
        kind = lead if lead is not None and i == 0 else draw(st.sampled_from(EVENT_TYPES))
        ev = _event(draw, kind, sc, plan, now, at, horizon_end,
                    scheduled=sorted(scheduled - gone), live=sorted(live - gone),
                    process_of=process_of, new_id=f"NEW-{n_new}")
        if ev is None:
            ev = _event(draw, "resource_down", sc, plan, now, at, horizon_end, scheduled=[],
                        live=[], process_of=process_of, new_id="")
        assert ev is not None
        out.append({"id": f"ev-{i + 1}", "type": ev.pop("type"), "at": _iso(at), **ev})
        if out[-1]["type"] == "new_order":
            n_new += 1
            live.add(ev["order"]["order_id"])
            process_of[ev["order"]["order_id"]] = ev["order"]["process"]
        elif out[-1]["type"] in ("cancel_order", "run_failure"):
            gone.add(ev["order"])
    return out


def _event(draw: st.DrawFn, kind: str, sc: Scenario, plan: Plan, now: datetime, at: datetime,
           horizon_end: datetime, *, scheduled: list[str], live: list[str],
           process_of: dict[str, str], new_id: str) -> dict[str, Any] | None:
    def later(lo_hours: int, hi_hours: int) -> datetime:
        moment = now + timedelta(minutes=draw(st.integers(lo_hours * 60, hi_hours * 60)))
        return min(moment, horizon_end - timedelta(hours=1))

    if kind == "specimen_delay":
        waiting = [o for o in live
                   if all(op.start >= at for op in plan.operations if op.order_id == o)]
        if not waiting:
            return None
        return {"type": kind, "order": draw(st.sampled_from(waiting)),
                "arrival": _iso(later(-12, 96))}
    if kind == "run_failure":
        if not scheduled:
            return None
        order = draw(st.sampled_from(scheduled))
        steps = [s.id for s in sc.processes_by_id[process_of[order]].steps]
        ev = {"type": kind, "order": order, "step": draw(st.sampled_from(steps)),
              "action": draw(st.sampled_from(["restart", "cancel"]))}
        if ev["action"] == "restart":
            ev["arrival"] = _iso(later(0, 7 * 24))
        return ev
    if kind in ("resource_down", "operator_absent"):
        begin = now + timedelta(minutes=draw(st.integers(-24 * 60, 5 * 24 * 60)) // 15 * 15)
        span = {"start": _iso(begin),
                "end": _iso(begin + timedelta(minutes=draw(st.integers(1, 72 * 4)) * 15))}
        if kind == "resource_down":
            ids = [s.id for s in sc.suites] + [e.id for e in sc.equipment]
            return {"type": kind, "resource": draw(st.sampled_from(ids)), **span}
        return {"type": kind, "operator": draw(st.sampled_from([o.id for o in sc.operators])),
                **span}
    if kind == "qc_retest":
        runs = [(oid, r.assay) for r in plan.qc_runs if r.start <= at
                for oid in r.order_ids if oid in scheduled]
        if not runs:
            return None
        order, assay = draw(st.sampled_from(runs))
        return {"type": kind, "order": order, "assay": assay}
    if kind == "new_order":
        arrival = later(1, 7 * 24)
        row: dict[str, Any] = {"order_id": new_id,
                               "process": draw(st.sampled_from(sorted(sc.processes_by_id))),
                               "arrival": _iso(arrival),
                               "due": _iso(arrival + timedelta(days=draw(st.integers(3, 20))))}
        if draw(st.booleans()):
            row["collected"] = _iso(arrival - timedelta(hours=2))
            row["stability"] = "48h"
        if draw(st.booleans()):
            row["priority"] = draw(st.integers(1, 5))
        if draw(st.booleans()) and any(TAG in s.tags for s in sc.suites):
            row["requires"] = TAG
        return {"type": kind, "order": row}
    if kind == "cancel_order":
        if not live:
            return None
        return {"type": kind, "order": draw(st.sampled_from(live))}
    # step_actual: real times of planned work, mostly work that has started
    ops = [op for op in plan.operations if op.order_id in scheduled]
    if not ops:
        return None
    started = [op for op in ops if op.start < now]
    op = draw(st.sampled_from(started if started and draw(st.integers(0, 3)) else ops))
    begin = op.start + timedelta(minutes=draw(st.sampled_from([0, 0, -15, 15, 30])))
    end = max(begin + timedelta(minutes=15),
              op.end + timedelta(minutes=draw(st.sampled_from([0, 0, -30, 15, 45]))))
    return {"type": kind, "order": op.order_id, "step": op.step, "start": _iso(begin),
            "end": _iso(end)}
