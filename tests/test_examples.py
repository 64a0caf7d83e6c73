"""The examples run from a fresh checkout and print what their docstrings promise."""

from __future__ import annotations

import os
import re
import shlex
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest
import typer

from suitesched.cli import app

ROOT = Path(__file__).resolve().parents[1]
EXAMPLES = ROOT / "examples"
FAST = {**os.environ, "SUITESCHED_EXAMPLE_BUDGET": "3"}


def run_example(name: str, *args: str, cwd: Path) -> str:
    done = subprocess.run([sys.executable, str(EXAMPLES / name), *args], cwd=cwd, env=FAST,
                          capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr
    assert "Traceback" not in done.stderr
    return done.stdout


def test_quickstart(tmp_path: Path) -> None:
    out = run_example("quickstart.py", str(tmp_path / "plan"), cwd=tmp_path)
    assert re.search(r"scheduled: \d+", out) and "suite_utilisation" in out
    assert "hard rules: all hold" in out
    assert (tmp_path / "plan" / "plan.json").exists()


def test_replan_after_late_specimen(tmp_path: Path) -> None:
    out = run_example("replan_after_late_specimen.py", str(tmp_path / "new"), cwd=tmp_path)
    assert re.search(r"\d+ of \d+ operations kept start and resources", out)
    assert "COI-0004/receipt" in out  # the delayed order's work moved
    assert "newly late:" in out and "scheduled:" in out
    assert (tmp_path / "new" / "plan.json").exists()


def test_offer_slot(tmp_path: Path) -> None:
    out = run_example("offer_slot.py", str(tmp_path / "offer"), cwd=tmp_path)
    assert "priced 14 arrival days" in out
    assert re.search(r"  1\. arrive .* release ", out)
    assert "orders released later than before: none" in out
    promised, planned = re.search(r"promised release (.*), planned (.*)", out).groups()
    assert promised and planned


def test_excel_orders(tmp_path: Path) -> None:
    orders = pd.read_csv(ROOT / "data" / "demo" / "orders.csv", dtype=str,
                         keep_default_na=False)
    xlsx = tmp_path / "orders.xlsx"
    orders.to_excel(xlsx, sheet_name="orders", index=False)
    out = run_example("excel_orders.py", str(xlsx), str(tmp_path / "out"), cwd=tmp_path)
    assert f"read {len(orders)} orders" in out
    sheets = pd.read_excel(tmp_path / "out" / "plan.xlsx", sheet_name=None)
    assert set(sheets) == {"suites", "equipment", "operators", "qc_runs", "orders"}
    assert len(sheets["orders"]) == len(orders)
    assert sheets["suites"]["suite"].notna().all()


def _nightly_options() -> set[str]:
    command = typer.main.get_command(app).commands["nightly"]  # type: ignore[attr-defined]
    return {opt for param in command.params for opt in param.opts}


@pytest.mark.parametrize("name", ["suitesched-nightly.service", "crontab"])
def test_nightly_deployment_calls_the_real_command(name: str) -> None:
    text = (EXAMPLES / "nightly" / name).read_text().replace("\\\n", " ")
    line = next(line for line in text.splitlines() if "suitesched nightly --" in line)
    words = shlex.split(line[line.index("suitesched nightly --"):].split(">")[0])
    assert words[:2] == ["suitesched", "nightly"]
    used = {w for w in words if w.startswith("--")}
    assert used <= _nightly_options(), used - _nightly_options()
    assert {"--db", "--events"} <= used
