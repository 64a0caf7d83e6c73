"""Input fuzzing (issue 8): thousands of damaged input files through the real CLI.

Valid files (the demo site's ``site.yaml`` and ``orders.csv``, the spec site as one YAML file,
its events and a plan of it) are damaged by seeded mutations (tests/hardening/mutate.py):
truncation, flipped bytes, other encodings, BOMs, line ends, stray unicode (RTL overrides,
emoji, NUL, escaped surrogates), values of the wrong type or absurd size, deleted, extra and
duplicated keys, and duplicated, missing, extra or shuffled CSV columns. Each damaged file is
run through the CLI in-process for ``validate``, ``validate --plan``, ``solve`` and ``replan``,
and every run must keep the contract of SPEC §2.3 and §6:

* the exit code is 0, 2, 3 or 4: never 1 (an internal error), never a traceback;
* an exit 2 names the file and where in it the problem is (row, key path or line);
* ``solve`` and ``replan`` leave either nothing in the output folder, or the complete set of
  files whose ``plan.json`` passes the independent checker; never a part, never a temp file.

The case counts are fixed and the seeds deterministic, so a failure reproduces by its case id.
The counts run are written to ``fuzz-summary.json`` in pytest's temporary folder base and
quoted in the README (Reliability). ``SUITESCHED_FUZZ_SCALE=10`` runs ten times as many.
"""

from __future__ import annotations

import json
import os
import random
import shutil
from collections import Counter
from pathlib import Path

import pytest
import yaml
from cli_harness import Harness, contract_failures, output_failures
from mutate import mutate

import suitesched as ss
from helpers import read

ROOT = Path(__file__).resolve().parents[2]
DEMO = ROOT / "data" / "demo"
SPEC = read("spec_site.yaml")
SPEC_EVENTS = read("replan/spec_events.yaml")
SCALE = max(1, int(os.environ.get("SUITESCHED_FUZZ_SCALE", "1")))
FAST = ["--max-deterministic-time", "0.5", "--workers", "1", "--seed", "0"]
NOW = "2026-12-09T12:00"

# Cases per family in the default run (2,010 in all, about 3 minutes on 2 cores).
COUNTS = {
    "validate-site": 470,
    "validate-orders": 470,
    "validate-single-file": 470,
    "validate-plan": 470,
    "replan-events": 80,
    "solve-small-site": 50,
}
RUN: Counter[str] = Counter()
OUTCOMES: Counter[str] = Counter()


@pytest.fixture(scope="module")
def cli(tmp_path_factory: pytest.TempPathFactory) -> Harness:
    monkeypatch = pytest.MonkeyPatch()
    yield Harness(monkeypatch)
    monkeypatch.undo()


@pytest.fixture(scope="module")
def spec_plan(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A plan of the spec site, made once per session by a fast deterministic solve."""
    out = tmp_path_factory.mktemp("spec-plan")
    plan = ss.solve(ss.load_scenario(SPEC), time_limit=None, workers=1, seed=0,
                    max_deterministic_time=2.0)
    return ss.write_plan(plan, out)


@pytest.fixture(scope="module")
def small_site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The spec site as a folder (site.yaml + orders.csv) with three orders: fast to solve."""
    folder = tmp_path_factory.mktemp("small-site")
    data = yaml.safe_load(SPEC.read_text(encoding="utf-8"))
    orders = data.pop("orders")[:3]
    (folder / "site.yaml").write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    columns = ["order_id", "process", "arrival", "collected", "stability", "due", "priority"]
    rows = [",".join(columns)] + [",".join(str(o.get(c, "")) for c in columns) for o in orders]
    (folder / "orders.csv").write_text("\n".join(rows) + "\n", encoding="utf-8")
    ss.load_scenario(folder)  # valid as written
    return folder


def _rng(family: str, case: int) -> random.Random:
    return random.Random(f"{family}/{case}")


def _record(family: str, code: int) -> None:
    RUN[family] += 1
    OUTCOMES[f"{family} exit {code}"] += 1


def _check(failures: list[str], family: str, case: int, what: str, outcome_text: str) -> None:
    assert not failures, (f"{family} case {case} ({what}):\n  " + "\n  ".join(failures)
                          + "\n" + outcome_text)


def _cases(family: str) -> range:
    return range(COUNTS[family] * SCALE)


@pytest.mark.parametrize("family, source, kind", [
    ("validate-site", "site.yaml", "yaml"),
    ("validate-orders", "orders.csv", "csv"),
])
def test_validate_survives_damaged_demo_files(cli: Harness, tmp_path: Path, family: str,
                                              source: str, kind: str) -> None:
    for case in _cases(family):
        folder = tmp_path / f"c{case % 2}"
        shutil.rmtree(folder, ignore_errors=True)
        shutil.copytree(DEMO, folder)
        what, data = mutate(_rng(family, case), (DEMO / source).read_bytes(), kind)
        (folder / source).write_bytes(data)
        outcome = cli.run(["validate", str(folder)])
        _record(family, outcome.code)
        _check(contract_failures(outcome, {"site.yaml", "orders.csv", str(folder)}), family,
               case, what, outcome.describe())


def test_validate_survives_damaged_single_file_scenarios(cli: Harness, tmp_path: Path) -> None:
    family = "validate-single-file"
    for case in _cases(family):
        path = tmp_path / "scenario.yaml"
        what, data = mutate(_rng(family, case), SPEC.read_bytes(), "yaml")
        path.write_bytes(data)
        outcome = cli.run(["validate", str(path)])
        _record(family, outcome.code)
        _check(contract_failures(outcome, {"scenario.yaml"}), family, case, what,
               outcome.describe())


def test_validate_plan_survives_damaged_plans(cli: Harness, tmp_path: Path,
                                              spec_plan: Path) -> None:
    family = "validate-plan"
    for case in _cases(family):
        path = tmp_path / "plan.json"
        what, data = mutate(_rng(family, case), spec_plan.read_bytes(), "json")
        path.write_bytes(data)
        outcome = cli.run(["validate", str(SPEC), "--plan", str(path)])
        _record(family, outcome.code)
        _check(contract_failures(outcome, {str(path), "spec_site.yaml"}), family, case, what,
               outcome.describe())


def test_replan_survives_damaged_events(cli: Harness, tmp_path: Path, spec_plan: Path) -> None:
    family = "replan-events"
    scenario = ss.load_scenario(SPEC)
    old = ss.read_plan(spec_plan)
    expected = {"plan.json", "operations.csv", "qc_runs.csv", "orders.csv", "diff.json"}
    for case in _cases(family):
        events = tmp_path / f"events{case}.yaml"
        what, data = mutate(_rng(family, case), SPEC_EVENTS.read_bytes(), "yaml")
        events.write_bytes(data)
        out = tmp_path / f"out{case}"
        outcome = cli.run(["replan", str(SPEC), "--plan", str(spec_plan), "--events",
                           str(events), "--now", NOW, "--out", str(out), *FAST])
        _record(family, outcome.code)
        failures = contract_failures(outcome, {events.name, str(spec_plan), "spec_site.yaml"})
        failures += output_failures(out, expected, written=outcome.code in (0, 3))
        if outcome.code in (0, 3) and not failures:
            new = ss.read_plan(out / "plan.json")
            updated = ss.updated_scenario(scenario, old, ss.load_events(events))
            failures += [str(v) for v in ss.check_plan(updated, new, previous=old)]
        _check(failures, family, case, what, outcome.describe())
        shutil.rmtree(out, ignore_errors=True)


def test_solve_survives_damaged_small_sites(cli: Harness, tmp_path: Path,
                                            small_site: Path) -> None:
    family = "solve-small-site"
    expected = {"plan.json", "operations.csv", "qc_runs.csv", "orders.csv"}
    for case in _cases(family):
        rng = _rng(family, case)
        folder = tmp_path / f"site{case}"
        shutil.copytree(small_site, folder)
        source, kind = rng.choice([("site.yaml", "yaml"), ("orders.csv", "csv")])
        what, data = mutate(rng, (small_site / source).read_bytes(), kind)
        (folder / source).write_bytes(data)
        out = tmp_path / f"out{case}"
        outcome = cli.run(["solve", str(folder), "--out", str(out), *FAST])
        _record(family, outcome.code)
        failures = contract_failures(outcome, {"site.yaml", "orders.csv", str(folder)})
        failures += output_failures(out, expected, written=outcome.code in (0, 3))
        if outcome.code in (0, 3) and not failures:
            plan = ss.read_plan(out / "plan.json")
            failures += [str(v) for v in ss.check_plan(ss.load_scenario(folder), plan)]
        _check(failures, family, f"{case} ({source})", what, outcome.describe())
        shutil.rmtree(out, ignore_errors=True)
        shutil.rmtree(folder, ignore_errors=True)


def test_zz_write_the_case_count(tmp_path_factory: pytest.TempPathFactory) -> None:
    """Runs last in this file: write how many cases ran (quoted in the README)."""
    total = sum(RUN.values())
    summary = {"total": total, "per_family": dict(RUN),
               "exit_codes": dict(sorted(OUTCOMES.items())), "scale": SCALE}
    path = tmp_path_factory.getbasetemp() / "fuzz-summary.json"
    path.write_text(json.dumps(summary, indent=2) + "\n", encoding="utf-8")
    print(f"\ninput fuzz: {total} cases, summary in {path}")
    if len(RUN) == len(COUNTS):  # the whole file ran, not a selection of it
        assert total >= 2000 * SCALE


# ------------------------------------------------------------------ regressions
# Each crash or unlocated message the fuzzing found, as a fixed case.


def _write(folder: Path, site_text: str | None = None, orders: bytes | None = None) -> Path:
    shutil.copytree(DEMO, folder)
    if site_text is not None:
        (folder / "site.yaml").write_text(site_text, encoding="utf-8")
    if orders is not None:
        (folder / "orders.csv").write_bytes(orders)
    return folder


def _problems(path: Path) -> list[ss.Problem]:
    with pytest.raises(ss.InputError) as caught:
        ss.load_scenario(path)
    return caught.value.problems


def _demo_site() -> dict:
    return yaml.safe_load((DEMO / "site.yaml").read_text(encoding="utf-8"))


@pytest.mark.parametrize("value", ["[/red]", "[bold]x[/]", "[/]"])
def test_rich_markup_in_a_bad_value_is_printed_not_interpreted(cli: Harness, tmp_path: Path,
                                                                value: str) -> None:
    """Found: a due date '[/red]' made the problems table raise MarkupError: exit 1."""
    text = SPEC.read_text(encoding="utf-8").replace("due: 2026-12-28", f"due: '{value}'")
    path = tmp_path / "s.yaml"
    path.write_text(text, encoding="utf-8")
    outcome = cli.run(["validate", str(path)])
    assert outcome.code == 2, outcome.describe()
    assert value in outcome.output


@pytest.mark.parametrize("ending", [b"\r\n", b"\r"])
def test_orders_csv_with_any_line_ending_loads(tmp_path: Path, ending: bytes) -> None:
    """Found: old-Mac CR line ends were 'not a readable CSV file' without a row."""
    data = (DEMO / "orders.csv").read_bytes().replace(b"\n", ending)
    scenario = ss.load_scenario(_write(tmp_path / "site", orders=data))
    assert len(scenario.orders) == 24


def test_csv_row_with_too_many_cells_names_its_row(tmp_path: Path) -> None:
    """Found: pandas' tokenizer message named no row the reader passed on."""
    lines = (DEMO / "orders.csv").read_bytes().splitlines(keepends=True)
    lines[5] = lines[5].rstrip(b"\n") + b",extra\n"
    problems = _problems(_write(tmp_path / "site", orders=b"".join(lines)))
    assert [(p.file, p.location) for p in problems] == [("orders.csv", "row 6")]
    assert "10 cells, but the header has 9 columns" in problems[0].message


def test_duplicate_csv_column_is_named_as_such(tmp_path: Path) -> None:
    """Found: pandas renamed a second 'due' to 'due.1', reported as an unknown column."""
    rows = (DEMO / "orders.csv").read_text(encoding="utf-8").splitlines()
    data = "\n".join(f"{row},{row.split(',')[5]}" for row in rows) + "\n"
    problems = _problems(_write(tmp_path / "site", orders=data.encode()))
    assert [p.message for p in problems] == ["column 'due' appears twice"]
    assert problems[0].location == "row 1 (header), column 10"


def test_nul_and_control_characters_are_located(tmp_path: Path) -> None:
    """Found: a control character in YAML gave 'not valid YAML' with no line."""
    text = (DEMO / "site.yaml").read_text(encoding="utf-8").replace("name: demo-site",
                                                                    "name: demo\x02site")
    problems = _problems(_write(tmp_path / "a", site_text=text))
    assert problems[0].location == "line 4, column 11"
    nul = (DEMO / "orders.csv").read_bytes().replace(b"COI-0003", b"COI\x000003")
    problems = _problems(_write(tmp_path / "b", orders=nul))
    assert problems[0].location == "line 4" and "NUL" in problems[0].message


@pytest.mark.parametrize("escape", ['"\\ud800"', '"a\\0b"'])
def test_escaped_surrogate_or_nul_in_yaml_is_refused_at_its_key(tmp_path: Path,
                                                                escape: str) -> None:
    """Found: a lone surrogate in the site name crashed printing it (UnicodeEncodeError)."""
    text = (DEMO / "site.yaml").read_text(encoding="utf-8").replace(
        "name: demo-site", f"name: {escape}")
    problems = _problems(_write(tmp_path / "site", site_text=text))
    assert [p.location for p in problems] == ["name"]


def test_surrogate_in_a_plan_is_refused(tmp_path: Path, spec_plan: Path) -> None:
    data = json.loads(spec_plan.read_text(encoding="utf-8"))
    data["orders"][0]["reason"] = "\ud800"
    path = tmp_path / "plan.json"
    path.write_text(json.dumps(data), encoding="utf-8")  # ensure_ascii: "\ud800" escaped
    with pytest.raises(ss.InputError) as caught:
        ss.read_plan(path)
    assert caught.value.problems[0].location == "orders[0].reason"


def test_plan_ids_must_be_ids(tmp_path: Path, spec_plan: Path) -> None:
    """Plan ids come back into tables and messages: the scenario's id alphabet only."""
    data = json.loads(spec_plan.read_text(encoding="utf-8"))
    data["operations"][0]["suite"] = "[/red]"
    path = tmp_path / "plan.json"
    path.write_text(json.dumps(data), encoding="utf-8")
    with pytest.raises(ss.InputError) as caught:
        ss.read_plan(path)
    assert caught.value.problems[0].location == "operations[0].suite"


@pytest.mark.parametrize("when", ["2026-02-30", "9999-12-31", "0001-01-01", "20266-01-01"])
def test_impossible_or_far_dates_are_located(tmp_path: Path, when: str) -> None:
    """Found: 2026-02-30 (PyYAML's date constructor) and 9999-12-31 as a due date (end of day
    overflows) escaped as ValueError / OverflowError."""
    text = SPEC.read_text(encoding="utf-8").replace("due: 2026-12-28", f"due: {when}")
    path = tmp_path / "s.yaml"
    path.write_text(text, encoding="utf-8")
    problems = _problems(path)
    assert problems and all(p.location for p in problems), problems


def test_objective_weights_are_bounded(tmp_path: Path) -> None:
    """A weight of 10**30 would overflow the solver's 64-bit objective."""
    data = _demo_site()
    data["objective"]["unscheduled"] = 10**30
    path = tmp_path / "site"
    problems = _problems(_write(path, site_text=yaml.safe_dump(data)))
    assert [p.location for p in problems] == ["objective.unscheduled"]


def test_operator_without_skills_is_reported_not_dropped(tmp_path: Path) -> None:
    """Found: an operator with `skills: []` was silently dropped and the scenario accepted."""
    data = _demo_site()
    data["operators"][0]["skills"] = []
    problems = _problems(_write(tmp_path / "site", site_text=yaml.safe_dump(data)))
    assert [p.location for p in problems] == ["operators[0].skills"]


def test_process_without_steps_is_named(tmp_path: Path) -> None:
    """Was: a process with `steps: []` was reported as 'the site defines no processes'."""
    data = _demo_site()
    data["processes"][0]["steps"] = []
    problems = _problems(_write(tmp_path / "site", site_text=yaml.safe_dump(data)))
    assert [p.location for p in problems] == ["processes[0].steps"]
    assert "at least 1" in problems[0].message


def test_suite_tags_are_ids_and_a_bad_one_does_not_cascade(tmp_path: Path) -> None:
    data = _demo_site()
    data["suites"] = [{"id": "S1", "tags": ["bsl 2"]}]
    problems = _problems(_write(tmp_path / "site", site_text=yaml.safe_dump(data)))
    assert [p.location for p in problems][:1] == ["suites[0].tags[0]"]
    assert not any("has no suites" in p.message for p in problems), problems


@pytest.mark.parametrize("field, value, message", [
    ("time_step", "7m", "divide a day evenly"),
    ("time_step", "2m", "5 minutes to 1 day"),
    ("time_step", "25h", "longer than"),
])
def test_time_step_must_be_a_usable_grid(tmp_path: Path, field: str, value: str,
                                         message: str) -> None:
    data = _demo_site()
    data[field] = value
    problems = _problems(_write(tmp_path / "site", site_text=yaml.safe_dump(data)))
    assert [p.location for p in problems] == [field]
    assert message in problems[0].message or "5 minutes to 1 day" in problems[0].message


def test_sample_max_age_zero_is_refused(tmp_path: Path) -> None:
    data = _demo_site()
    data["assays"][0]["sample_max_age"] = 0
    problems = _problems(_write(tmp_path / "site", site_text=yaml.safe_dump(data)))
    assert [p.location for p in problems] == ["assays[0]"]
    assert "'sample_max_age' is 0" in problems[0].message


def test_durations_with_a_space_before_the_unit_are_accepted() -> None:
    """Decision: '2 h' and '1d 12h' mean what they say; there is nothing else they could mean."""
    from suitesched.model.values import parse_duration

    assert parse_duration("2 h") == 120
    assert parse_duration("1d 12h") == 36 * 60
    for bad in ("2 hours", "٣h", "1.5h", "h", "-2h"):
        with pytest.raises(ValueError):
            parse_duration(bad)
