"""Property test: random small sites and orders; every plan passes the independent checker."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from helpers import scenario, site, solve

WEEK = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"]


@st.composite
def small_scenarios(draw: st.DrawFn):
    n_suites = draw(st.integers(1, 3))
    suites = [{"id": f"S{i}", "changeover": f"{draw(st.sampled_from([0, 30, 60, 120]))}m",
               "tags": ["bsl2_plus"] if i == 0 else []} for i in range(n_suites)]
    if draw(st.booleans()):
        day = draw(st.integers(7, 10))
        suites[-1]["down"] = [{"start": f"2026-12-{day:02d}T00:00",
                               "end": f"2026-12-{day:02d}T18:00"}]
    shifts = {"day": {"start": "07:00", "end": "15:30", "days": WEEK[:5]},
              "night": {"start": "22:00", "end": "06:00", "days": WEEK}}
    operators = [{"id": f"OP{i}", "skills": ["aseptic", "qa", "qc"],
                  "shifts": [draw(st.sampled_from(["day", "night"]))]} for i in range(3)]
    operators[0]["shifts"] = ["day"]
    operators[1]["shifts"] = ["day"]
    if draw(st.booleans()):
        operators[2]["absent"] = [{"start": "2026-12-08T00:00", "end": "2026-12-09T00:00"}]
    steps = [{"id": "receipt", "duration": f"{draw(st.sampled_from([30, 60]))}m",
              "operators": 1, "skill": "aseptic"},
             {"id": "process", "duration": f"{draw(st.integers(1, 4))}h", "suite": True,
              "operators": draw(st.integers(1, 2)), "skill": "aseptic",
              "max_wait": f"{draw(st.sampled_from([2, 24, 48]))}h"},
             {"id": "grow", "duration": f"{draw(st.integers(1, 3))}d", "equipment": "incubator",
              "max_wait": "4h"},
             {"id": "harvest", "duration": "2h", "suite": True, "operators": 1,
              "skill": "aseptic",
              "after": [{"step": "grow", "from": "end", "min": "0m", "max": "16h"}]}]
    assays = [{"id": "ster", "duration": "2d", "capacity": draw(st.integers(1, 3)),
               "analysts": 1, "skill": "qc", "hands_on": "1h", "sample_max_age": "3d",
               "start_windows": [{"days": WEEK[:5], "from": "08:00", "to": "12:00"}]}]
    process = {"id": "p", "same_suite": draw(st.booleans()), "steps": steps,
               "qc": [{"assay": "ster", "sample_after": "harvest"}],
               "qa_review": {"duration": "1h", "skill": "qa"}}
    data = site(suites=suites, shifts=shifts, operators=operators, assays=assays,
                processes=[process], holidays=["2026-12-12"],
                horizon={"start": "2026-12-07T00:00", "days": 10},
                equipment=[{"id": "INC1", "type": "incubator",
                            "capacity": draw(st.integers(1, 3))}])
    orders = []
    for i in range(draw(st.integers(1, 5))):
        o = {"order_id": f"O{i}", "process": "p",
             "arrival": f"2026-12-{draw(st.integers(7, 12)):02d}T{draw(st.integers(0, 23)):02d}:"
                        f"{draw(st.sampled_from(['00', '10', '45']))}",
             "due": "2026-12-24", "priority": draw(st.integers(1, 5))}
        if draw(st.booleans()):
            o["stability"] = "48h"
        if i == 0 and draw(st.booleans()):
            o["requires"] = "bsl2_plus"
        orders.append(o)
    return scenario(data, orders)


@settings(max_examples=15, deadline=None, derandomize=True,
          suppress_health_check=[HealthCheck.too_slow])
@given(small_scenarios())
def test_every_plan_passes_the_checker(sc) -> None:
    plan = solve(sc)  # asserts check_plan(sc, plan) == []
    assert {o.order_id for o in plan.orders} == {o.order_id for o in sc.orders}
