"""Synthetic but realistic sites for benchmarks and tests (``suitesched generate``).

Figures follow ../shared/DOMAIN.md: two aseptic operators per processing step [24][25], a
classic ~10-day process with an 8-day expansion and a short ~3-day one [2][4][5], 7-day rapid
sterility as the release floor [33][3], 1-2 batched flow/PCR runs a day, 4-8 patient shelves
per incubator (est.), changeover 1-2 h per room (est.). Resources scale with the weekly volume
so that the bottleneck (suites and aseptic people) is loaded to about 85-95 %; the same
arguments and seed always give the same files, and every generated scenario passes
``validate`` by construction.
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd
import yaml

from suitesched.core.problem import CoreProblem
from suitesched.core.solution import CoreSolution
from suitesched.planning.subproblem import book_from

if TYPE_CHECKING:
    from suitesched.model.scenario import Scenario

HORIZON_START = date(2027, 3, 1)  # a Monday; the range spans the DST switch and Easter
PUBLIC_HOLIDAYS = [date(2027, 3, 26), date(2027, 3, 29), date(2027, 4, 27),
                   date(2027, 5, 5), date(2027, 5, 6), date(2027, 5, 17)]
STD_SHARE = 0.7
SUITE_HOURS = {"cart-std": 12 + 4 * 1.5, "cart-rapid": 8 + 2 * 1.5}
"""Suite hours per order: processing plus one changeover per hold (est.)."""
ASEPTIC_PERSON_HOURS = {"cart-std": 24.0, "cart-rapid": 16.0}
SHELF_DAYS = {"cart-std": 8.5, "cart-rapid": 2.5}
SUITE_LOAD = 0.6
PEOPLE_LOAD = 0.45
"""Nominal loads of suites and aseptic people. The effective load is far higher: work comes
in pairs at fixed moments (harvest when an expansion ends, fresh material within 48 h), so
these nominal figures leave the site near the edge of what it can serve. Calibrated on 100
orders (seed 1): every order the greedy baseline could not place was fresh material that had
to start within its 48 h window, mostly over a weekend, so the weekend team was the binding
resource; with 0.55 and a 20 % weekend share the greedy placed 76 of 100, with 0.45 and 30 %
it places 91 (benchmarks/RESULTS.md)."""


SHIFT_SPLIT = {"day": 0.4, "late": 0.3, "wkend": 0.3}
"""Aseptic head count per shift pattern."""


def _processes() -> list[dict[str, Any]]:
    aseptic = {"operators": 2, "skill": "aseptic"}
    std = {
        "id": "cart-std", "same_suite": True,
        "steps": [
            {"id": "receipt", "duration": "1h", "operators": 1, "skill": "receipt"},
            {"id": "selection", "duration": "4h", "suite": True, **aseptic, "max_wait": "24h"},
            {"id": "activation", "duration": "2h", "suite": True, **aseptic, "max_wait": "1h"},
            {"id": "expansion", "duration": "8d", "equipment": "incubator", "max_wait": "2h"},
            {"id": "feed", "duration": "1h", "suite": True, **aseptic,
             "after": [{"step": "expansion", "from": "start", "min": "3d", "max": "4d"}]},
            {"id": "harvest", "duration": "3h", "suite": True, **aseptic,
             "after": [{"step": "expansion", "from": "end", "min": "0m", "max": "16h"}]},
            {"id": "formulation", "duration": "2h", "suite": True, **aseptic, "max_wait": "1h"},
            {"id": "cryo", "duration": "2h", "equipment": "freezer", "max_wait": "2h"},
        ],
        "qc": [{"assay": a, "sample_after": "formulation"}
               for a in ("sterility", "mycoplasma", "endotoxin", "identity", "potency")],
        "qa_review": {"duration": "2h", "skill": "qa"},
    }
    rapid = {
        "id": "cart-rapid", "same_suite": True,
        "steps": [
            {"id": "receipt", "duration": "1h", "operators": 1, "skill": "receipt"},
            {"id": "selection", "duration": "4h", "suite": True, **aseptic, "max_wait": "24h"},
            {"id": "expansion", "duration": "2d", "equipment": "incubator", "max_wait": "2h"},
            {"id": "harvest", "duration": "3h", "suite": True, **aseptic,
             "after": [{"step": "expansion", "from": "end", "min": "0m", "max": "16h"}]},
            {"id": "formulation", "duration": "1h", "suite": True, **aseptic, "max_wait": "1h"},
            {"id": "cryo", "duration": "2h", "equipment": "freezer", "max_wait": "2h"},
        ],
        "qc": [{"assay": a, "sample_after": "formulation"}
               for a in ("sterility", "mycoplasma", "endotoxin", "identity")],
        "qa_review": {"duration": "2h", "skill": "qa"},
    }
    return [std, rapid]


def _assays(per_week: float) -> list[dict[str, Any]]:
    def cap(base: int) -> int:
        return max(base, math.ceil(per_week / 3))

    weekdays = ["mon", "tue", "wed", "thu", "fri"]
    return [
        {"id": "sterility", "duration": "7d", "capacity": cap(8), "analysts": 1,
         "skill": "qc_micro", "hands_on": "1h", "sample_max_age": "96h",
         "start_windows": [{"days": ["mon", "wed", "fri"], "from": "08:00", "to": "12:00"}]},
        {"id": "mycoplasma", "duration": "1d", "capacity": cap(6), "analysts": 1,
         "skill": "qc_micro", "hands_on": "2h", "sample_max_age": "72h",
         "start_windows": [{"days": weekdays, "from": "08:00", "to": "13:00"}]},
        {"id": "endotoxin", "duration": "2h", "capacity": cap(6), "analysts": 1,
         "skill": "qc_micro", "hands_on": "2h", "sample_max_age": "72h"},
        {"id": "identity", "duration": "4h", "capacity": cap(6), "analysts": 1,
         "skill": "qc_flow", "hands_on": "3h", "sample_max_age": "72h"},
        {"id": "potency", "duration": "2d", "capacity": cap(4), "analysts": 1,
         "skill": "qc_flow", "hands_on": "3h", "sample_max_age": "96h",
         "start_windows": [{"days": weekdays, "from": "08:00", "to": "11:00"}]},
    ]


def generate_site(orders: int, weeks: int = 4, seed: int = 0) -> dict[str, Any]:
    """A scenario as one mapping (site fields plus ``orders``), ready to dump as YAML."""
    if orders < 1 or weeks < 1:
        raise ValueError("orders and weeks must be at least 1")
    rng = random.Random(seed)
    days = 7 * weeks
    per_week = orders / weeks
    mix = {"cart-std": STD_SHARE, "cart-rapid": 1 - STD_SHARE}
    suite_hours = sum(per_week * share * SUITE_HOURS[p] for p, share in mix.items())
    # Suites are worked on day + late shifts on weekdays and a day shift at weekends.
    suite_week = 5 * 16 + 2 * 8.5
    n_suites = max(3, math.ceil(suite_hours / (suite_week * SUITE_LOAD)))
    person_hours = sum(per_week * share * ASEPTIC_PERSON_HOURS[p] for p, share in mix.items())
    # Aseptic work comes in pairs at fixed moments of the process (harvest when the expansion
    # ends, a feed on day 3-4): people are sized with headroom for those peaks (est.).
    n_aseptic = max(10, math.ceil(person_hours / (42.5 * PEOPLE_LOAD)))
    shelf_days = sum(per_week / 7 * share * SHELF_DAYS[p] for p, share in mix.items())
    n_incubators = max(1, math.ceil(shelf_days / (6 * 0.85)))
    suites = [{"id": f"S{i + 1:02d}", "changeover": "90m"} for i in range(n_suites)]
    suites[-1].update(changeover="3h", tags=["bsl2_plus"])
    if n_suites > 2:
        first = min(7, days - 1)  # a one-week site still gets its maintenance day
        maintenance = datetime.combine(
            HORIZON_START + timedelta(days=rng.randrange(first, days)), datetime.min.time())
        suites[0]["down"] = [{"start": maintenance.isoformat(timespec="minutes"),
                              "end": (maintenance + timedelta(days=1)).isoformat(
                                  timespec="minutes")}]
    equipment = [{"id": f"INC{i + 1:02d}", "type": "incubator", "capacity": 6}
                 for i in range(n_incubators)]
    equipment += [{"id": f"CRF{i + 1}", "type": "freezer", "capacity": 2}
                  for i in range(max(1, math.ceil(per_week / 20)))]
    operators = _operators(rng, n_aseptic, per_week, days)
    holidays = [d.isoformat() for d in PUBLIC_HOLIDAYS
                if HORIZON_START <= d < HORIZON_START + timedelta(days=days)]
    return {
        "name": f"generated-{orders}o-{weeks}w-s{seed}",
        "timezone": "Europe/Amsterdam",
        "horizon": {"start": f"{HORIZON_START.isoformat()}T00:00", "days": days},
        "time_step": "15m",
        "holidays": holidays,
        "shifts": {
            "day": {"start": "07:00", "end": "15:30", "days": ["mon", "tue", "wed", "thu", "fri"]},
            "late": {"start": "14:30", "end": "23:00",
                     "days": ["mon", "tue", "wed", "thu", "fri"]},
            "wkend": {"start": "08:00", "end": "16:30", "days": ["sat", "sun"]},
        },
        "suites": suites,
        "equipment": equipment,
        "operators": operators,
        "assays": _assays(per_week),
        "processes": _processes(),
        "objective": {"unscheduled": 1_000_000, "tardiness_per_hour": 100,
                      "flow_per_hour": 1, "change": 10},
        "orders": _orders(rng, orders, days),
    }


CANDIDATE_SHARE = 0.15
"""In booked mode, extra candidate orders drawn: patients the site could not take are
referred elsewhere."""


def generated_scenario(site: dict[str, Any]) -> Scenario:
    """The scenario of a generated site mapping (as :func:`generate_site` returns it), without
    writing it to disk: what the benchmarks and :func:`book_site` plan on."""
    from suitesched.io.scenario_reader import build_scenario

    data = {k: v for k, v in site.items() if k != "orders"}
    return build_scenario(data, [(f"orders[{i}]", "generated", o)
                                 for i, o in enumerate(site["orders"])])


@dataclass(frozen=True)
class Booking:
    """A booked site and the booking's own plan of it.

    ``site`` is the mapping :func:`generate_site` returns, with the kept orders only.
    ``witness`` is the plan the booking made for them on the candidate site (QC runs hold
    only kept orders' samples): a valid plan of ``site`` with every order served and on
    time, which the engine never sees. The benchmarks report its objective beside the
    engine's: where a plan is far above it, the gap is the plan's, not the bound's."""

    site: dict[str, Any]
    witness: CoreSolution


def book_site(orders: int, weeks: int = 4, seed: int = 0) -> dict[str, Any]:
    """A generated site whose orders *booked* a slot, the way CAR-T sites accept patients.

    Real sites book a manufacturing slot before collection; independently drawn orders (see
    :func:`generate_site`) include some that no plan can serve, which keeps every gap to a
    bound near 100 %. Here 15 % more candidates than asked are booked in dispatch order with
    the greedy's plain insertion; the first ``orders`` that fit are kept (fewer if the site's
    throughput is lower), each due at least on its booked release day, the date the site
    promised. Every kept order is servable by construction: the booking is a witness plan
    (:func:`booking`).
    """
    return booking(orders, weeks, seed).site


def booking(orders: int, weeks: int = 4, seed: int = 0) -> Booking:
    """The booked site of :func:`book_site` together with the booking's own plan of it."""
    from suitesched.planning.compile import compile_scenario
    from suitesched.planning.extract import build_plan
    from suitesched.planning.greedy import dispatch_order, greedy_solution

    site = generate_site(orders, weeks, seed)
    candidates = generate_site(orders + int(orders * CANDIDATE_SHARE) + 3, weeks, seed)["orders"]
    scenario = generated_scenario({**site, "orders": candidates})
    compiled = compile_scenario(scenario, scenario.horizon.start)
    booked_plan = greedy_solution(compiled, make_room=False)
    plan = build_plan(compiled, booked_plan, now=scenario.horizon.start,
                      created=scenario.horizon.start, workers=1, seed=0)
    kept = set([o for o in dispatch_order(compiled) if booked_plan.present[o]][:orders])
    booked = []
    for row in candidates:
        if row["order_id"] in kept:
            release = plan.outcome(row["order_id"]).release
            booked.append({**row, "due": max(row["due"], release.date().isoformat())})
    return Booking(site={**site, "name": f"booked-{orders}o-{weeks}w-s{seed}", "orders": booked},
                   witness=_kept_only(compiled.problem, booked_plan, kept))


def _kept_only(problem: CoreProblem, solution: CoreSolution, kept: set[str]) -> CoreSolution:
    """``solution`` without the orders not in ``kept``: their work, holds and samples go (the
    runs as :func:`~suitesched.planning.subproblem.book_from` books them for ``kept``)."""
    group_of_task = {t.id: t.group for t in problem.tasks}
    group_of_hold = {h.id: h.group for h in problem.holds}
    return CoreSolution(
        status="FEASIBLE", objective=None, bound=None, wall_seconds=0.0,
        present={g: True for g in kept},
        tasks={t: r for t, r in solution.tasks.items() if group_of_task[t] in kept},
        holds={h: r for h, r in solution.holds.items() if group_of_hold[h] in kept},
        runs=book_from(problem, solution, kept).all_runs())


def _operators(rng: random.Random, n_aseptic: int, per_week: float, days: int
               ) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    split = SHIFT_SPLIT
    counts = {s: max(4, round(n_aseptic * share)) for s, share in split.items()}
    for shift, count in counts.items():
        for i in range(count):
            skills: list[Any] = ["aseptic"]
            if i % 2 == 0:
                skills.append("receipt")
            out.append({"id": f"AS-{shift[:2].upper()}{i + 1:02d}", "skills": skills,
                        "shifts": [shift]})
    # A lapsing media-fill qualification (DOMAIN: renewed every 6 months, est.).
    lapse = HORIZON_START + timedelta(days=rng.randrange(5, days))
    out[0]["skills"][0] = {"skill": "aseptic", "until": lapse.isoformat()}
    # Some planned leave.
    for person in rng.sample(out, k=max(1, len(out) // 8)):
        start = HORIZON_START + timedelta(days=rng.randrange(0, days))
        person["absent"] = [{"start": f"{start.isoformat()}T00:00",
                             "end": f"{(start + timedelta(days=rng.randint(2, 5))).isoformat()}"
                                    "T00:00"}]
    n_qc = max(2, math.ceil(per_week / 12))
    for i in range(n_qc):
        out.append({"id": f"QCM{i + 1:02d}", "skills": ["qc_micro"], "shifts": ["day"]})
        out.append({"id": f"QCF{i + 1:02d}", "skills": ["qc_flow"], "shifts": ["day"]})
    for i in range(max(2, math.ceil(per_week / 15))):
        out.append({"id": f"QA{i + 1:02d}", "skills": ["qa"], "shifts": ["day"]})
    return out


def _orders(rng: random.Random, count: int, days: int) -> list[dict[str, Any]]:
    lead = {"cart-std": 20, "cart-rapid": 12}
    out = []
    start = datetime.combine(HORIZON_START, datetime.min.time())
    for i in range(count):
        process = "cart-std" if rng.random() < STD_SHARE else "cart-rapid"
        arrival = start + timedelta(minutes=15 * rng.randrange(0, (days - 2) * 96))
        arrival = arrival.replace(hour=rng.choice([8, 9, 10, 11, 13, 15, 17]))
        row: dict[str, Any] = {
            "order_id": f"COI-{i + 1:04d}", "process": process,
            "arrival": arrival.isoformat(timespec="minutes"),
            "due": (arrival.date() + timedelta(days=lead[process] + rng.randint(0, 4))
                    ).isoformat(),
            "priority": rng.choice([1, 2, 3, 3, 3, 4, 5]),
        }
        if rng.random() < 0.6:  # fresh apheresis, 36-48 h usable [36] (est.)
            row["collected"] = (arrival - timedelta(hours=rng.randint(4, 20))).isoformat(
                timespec="minutes")
            row["stability"] = "48h"
        if rng.random() < 0.05:
            row["requires"] = "bsl2_plus"
        out.append(row)
    out.sort(key=lambda r: r["arrival"])
    for i, row in enumerate(out):
        row["order_id"] = f"COI-{i + 1:04d}"
    return out


def write_generated(data: dict[str, Any], out_dir: str | Path) -> Path:
    """Write a generated scenario as a directory: site.yaml and orders.csv."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    site = {k: v for k, v in data.items() if k != "orders"}
    (out / "site.yaml").write_text(
        "# Generated by `suitesched generate`; figures from DOMAIN.md (see generate.py).\n"
        + yaml.safe_dump(site, sort_keys=False, width=100))
    columns = ["order_id", "process", "arrival", "collected", "stability", "due", "priority",
               "status", "requires"]
    pd.DataFrame(data["orders"], columns=columns).to_csv(out / "orders.csv", index=False)
    return out
