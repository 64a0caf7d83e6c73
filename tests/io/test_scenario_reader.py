"""Loading scenarios: both layouts, and every validation rule of SPEC §2.3 with a located
message. Each file in tests/data/bad is one deliberately broken scenario; its first line says
where the problem must be reported and what the message must say."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
import yaml
from typer.testing import CliRunner

import suitesched as ss
from helpers import read
from suitesched.cli import app
from suitesched.errors import ScenarioError

BAD = sorted(read("bad").glob("*.yaml"))
runner = CliRunner()


def _expectation(path: Path) -> tuple[str, str]:
    first = path.read_text().splitlines()[0]
    location, message = first.removeprefix("# expect:").split("|")
    return location.strip(), message.strip()


def _as_directory(tmp_path: Path) -> Path:
    data = yaml.safe_load(read("spec_site.yaml").read_text())
    orders = data.pop("orders")
    folder = tmp_path / "site"
    folder.mkdir()
    (folder / "site.yaml").write_text(yaml.safe_dump(data))
    pd.DataFrame(orders).to_csv(folder / "orders.csv", index=False)
    return folder


def test_both_layouts_load_the_same_scenario(tmp_path: Path) -> None:
    single = ss.load_scenario(read("spec_site.yaml"))
    folder = ss.load_scenario(_as_directory(tmp_path))
    assert single.orders == folder.orders
    assert single.processes == folder.processes
    assert single.orders_by_id["COI-0001"].stability == 48 * 60


def test_bom_and_blank_cells_in_orders_csv(tmp_path: Path) -> None:
    folder = _as_directory(tmp_path)
    csv_path = folder / "orders.csv"
    csv_path.write_bytes(b"\xef\xbb\xbf" + csv_path.read_bytes())
    scenario = ss.load_scenario(folder)
    assert scenario.orders[1].stability is None  # blank cell: cryopreserved


@pytest.mark.parametrize("path", BAD, ids=[p.stem for p in BAD])
def test_each_broken_scenario_is_reported_where_it_is_wrong(path: Path) -> None:
    location, message = _expectation(path)
    with pytest.raises(ScenarioError) as caught:
        ss.load_scenario(path)
    problems = caught.value.problems
    assert any(location in p.location and message in p.message for p in problems), problems
    assert all(p.file == path.name for p in problems)


@pytest.mark.parametrize("path", BAD[:12], ids=[p.stem for p in BAD[:12]])
def test_validate_command_exits_2_without_traceback(path: Path) -> None:
    result = runner.invoke(app, ["validate", str(path)])
    assert result.exit_code == 2
    assert "Traceback" not in result.output


def test_all_problems_are_reported_at_once() -> None:
    data = yaml.safe_load(read("spec_site.yaml").read_text())
    data["processes"][0]["steps"][1]["skill"] = "aseptik"
    data["operators"][0]["shifts"] = ["night"]
    data["orders"][0]["priority"] = 9
    data["orders"][1]["process"] = "nope"
    with pytest.raises(ScenarioError) as caught:
        from suitesched.io.scenario_reader import build_scenario

        raw = [(f"orders[{i}]", "s.yaml", o) for i, o in enumerate(data.pop("orders"))]
        build_scenario(data, raw, site_label="s.yaml")
    locations = {p.location for p in caught.value.problems}
    assert {"processes[0].steps[1].skill", "operators[0].shifts[0]", "orders[0].priority",
            "orders[1]"} <= locations


def test_orders_csv_rows_are_spreadsheet_rows(tmp_path: Path) -> None:
    folder = _as_directory(tmp_path)
    frame = pd.read_csv(folder / "orders.csv", dtype=str, keep_default_na=False)
    frame.loc[1, "arrival"] = "tomorrow"
    frame.to_csv(folder / "orders.csv", index=False)
    with pytest.raises(ScenarioError) as caught:
        ss.load_scenario(folder)
    (problem,) = caught.value.problems
    assert problem.file == "orders.csv"
    assert problem.location == "row 3, column arrival"


def test_missing_and_unknown_columns(tmp_path: Path) -> None:
    folder = _as_directory(tmp_path)
    frame = pd.read_csv(folder / "orders.csv", dtype=str, keep_default_na=False)
    frame.drop(columns=["due"]).assign(colour="red").to_csv(folder / "orders.csv", index=False)
    with pytest.raises(ScenarioError) as caught:
        ss.load_scenario(folder)
    messages = " ".join(p.message for p in caught.value.problems)
    assert "required column 'due' is missing" in messages
    assert "unknown column 'colour'" in messages


def test_missing_files_are_named(tmp_path: Path) -> None:
    folder = _as_directory(tmp_path)
    (folder / "orders.csv").unlink()
    with pytest.raises(ScenarioError) as caught:
        ss.load_scenario(folder)
    assert caught.value.problems[0].file.endswith("orders.csv")
    (folder / "orders.csv").write_text("")
    with pytest.raises(ScenarioError, match="empty"):
        ss.load_scenario(folder)


def test_good_scenario_summary() -> None:
    result = runner.invoke(app, ["validate", str(read("spec_site.yaml"))])
    assert result.exit_code == 0
    assert "3 (tagged: bsl2_plus ×1)" in result.output
