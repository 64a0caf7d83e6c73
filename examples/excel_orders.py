"""Orders from the planner's Excel sheet in, the plan back out as a workbook.

Run from the repository root (after ``pip install -e ".[excel]"``)::

    python examples/excel_orders.py ORDERS.xlsx [OUT_DIR]

Reads the sheet ``orders`` of ``ORDERS.xlsx`` (one row per patient order, the columns of
``orders.csv``: order_id, process, arrival, collected, stability, due, priority, status,
requires), joins it with the demo site's ``site.yaml`` into a scenario, plans it, and writes
``OUT_DIR/plan.xlsx`` with one sheet per resource class - suites, equipment, operators - plus
QC runs and orders. It prints the number of orders read and the sheets written. Problems in the
sheet are reported by row, as for orders.csv (the header is row 1).
``SUITESCHED_EXAMPLE_BUDGET`` (deterministic seconds, default 20) bounds the solve.
"""

from __future__ import annotations

import os
import shutil
import sys
import tempfile
from pathlib import Path

import pandas as pd

import suitesched as ss

SITE = Path(__file__).resolve().parents[1] / "data" / "demo" / "site.yaml"
COLUMNS = ["order_id", "process", "arrival", "collected", "stability", "due", "priority",
           "status", "requires"]


def read_orders(xlsx: Path) -> pd.DataFrame:
    """The ``orders`` sheet as text cells (dates as ISO strings, empty cells empty)."""
    frame = pd.read_excel(xlsx, sheet_name="orders", dtype=object)
    for column in frame.columns:
        frame[column] = frame[column].map(
            lambda v: "" if pd.isna(v) else v.isoformat() if hasattr(v, "isoformat") else v)
    return frame


def plan_workbook(plan: ss.Plan, path: Path) -> list[str]:
    """One sheet per resource class, plus QC runs and orders; returns the sheet names."""
    ops = [op.model_dump(mode="json") for op in plan.operations]
    sheets = {
        "suites": [o for o in ops if o["suite"]],
        "equipment": [o for o in ops if o["equipment"]],
        "operators": [{**o, "operator": person} for o in ops for person in o["operators"]],
        "qc_runs": [r.model_dump(mode="json") for r in plan.qc_runs],
        "orders": [o.model_dump(mode="json") for o in plan.orders],
    }
    with pd.ExcelWriter(path) as writer:
        for name, rows in sheets.items():
            frame = pd.DataFrame(rows)
            for column in frame.columns:  # lists (operators, order ids) as readable text
                frame[column] = frame[column].map(
                    lambda v: ", ".join(v) if isinstance(v, list) else v)
            frame.to_excel(writer, sheet_name=name, index=False)
    return list(sheets)


def main(xlsx: str, out_dir: str = "plan-excel") -> None:
    budget = float(os.environ.get("SUITESCHED_EXAMPLE_BUDGET", "20"))
    orders = read_orders(Path(xlsx))
    with tempfile.TemporaryDirectory() as tmp:
        # A scenario is site.yaml + orders.csv: assemble one and load it (validated).
        shutil.copy(SITE, Path(tmp) / "site.yaml")
        orders.reindex(columns=COLUMNS).to_csv(Path(tmp) / "orders.csv", index=False)
        scenario = ss.load_scenario(tmp)
    print(f"read {len(orders)} orders from {xlsx}")
    plan = ss.solve(scenario, time_limit=None, max_deterministic_time=budget, workers=2, seed=0)
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    sheets = plan_workbook(plan, out / "plan.xlsx")
    print(f"wrote {out / 'plan.xlsx'} with sheets: {', '.join(sheets)}")
    print(f"scheduled {plan.kpis['scheduled']} of {plan.kpis['orders']} orders, "
          f"{plan.kpis['late']} late")


if __name__ == "__main__":
    if len(sys.argv) < 2:
        sys.exit(__doc__)
    main(*sys.argv[1:3])
