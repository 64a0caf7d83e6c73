"""Read a scenario: a directory (``site.yaml`` + ``orders.csv``) or a single YAML file.

Everything is validated before anything is returned; all problems are collected and raised
together as :class:`~suitesched.errors.ScenarioError` (SPEC §2.3). Rows of ``orders.csv`` are
named by their spreadsheet row number (the header is row 1), as a planner sees them in Excel.
"""

from __future__ import annotations

import csv
import io
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from suitesched.errors import Problem, ScenarioError
from suitesched.io.pydantic_errors import problems_from
from suitesched.io.yaml_io import YamlReadError, check_file_size, read_yaml
from suitesched.model import limits
from suitesched.model.scenario import Order, Scenario, Site, order_problems, site_problems
from suitesched.model.values import parse_timezone

ORDER_COLUMNS = ("order_id", "process", "arrival", "collected", "stability", "due",
                 "priority", "status", "requires")
REQUIRED_ORDER_COLUMNS = ("order_id", "process", "arrival", "due")


def load_scenario(path: str | Path) -> Scenario:
    """Load and validate a scenario; raise :class:`ScenarioError` listing every problem."""
    path = Path(path)
    if path.is_dir():
        site_file = path / "site.yaml"
        if not site_file.exists() and (path / "site.yml").exists():
            site_file = path / "site.yml"
        orders_file = path / "orders.csv"
        problems: list[Problem] = []
        if not site_file.exists():
            problems.append(Problem(str(site_file), "", "file not found; a scenario directory "
                                    "holds site.yaml and orders.csv"))
        if not orders_file.exists():
            problems.append(Problem(str(orders_file), "", "file not found; a scenario directory "
                                    "holds site.yaml and orders.csv"))
        if problems:
            raise ScenarioError(problems)
        data = _read_mapping(site_file)
        if "orders" in data:
            raise ScenarioError([Problem(site_file.name, "orders", "orders belong in "
                                         "orders.csv when the scenario is a directory")])
        raw_orders = _read_orders_csv(orders_file)
        return build_scenario(data, raw_orders, site_label=site_file.name)
    if path.is_file():
        data = _read_mapping(path)
        raw = data.pop("orders", [])
        if raw is None:
            raw = []
        if not isinstance(raw, list):
            raise ScenarioError([Problem(path.name, "orders", "must be a list of orders")])
        raw_orders = [
            (f"orders[{i}]", path.name, item) if isinstance(item, dict)
            else (f"orders[{i}]", path.name, {"__not_a_mapping__": item})
            for i, item in enumerate(raw)
        ]
        return build_scenario(data, raw_orders, site_label=path.name)
    raise ScenarioError([Problem(str(path), "", "no such file or directory")])


RawOrder = tuple[str, str, dict[str, Any]]
"""(location, file label, field mapping) of one order as read."""


def build_scenario(site_data: dict[str, Any], raw_orders: list[RawOrder],
                   site_label: str = "site.yaml") -> Scenario:
    """Validate site and order mappings (as read from files) into a :class:`Scenario`."""
    problems: list[Problem] = []
    tz_value = site_data.get("timezone", "UTC")
    try:
        tz = parse_timezone(tz_value)
    except ValueError as exc:
        problems.append(Problem(site_label, "timezone", str(exc)))
        tz = parse_timezone("UTC")
    context = {"tz": tz}

    site, field_problems, dropped = _validate_site(site_data, context, site_label)
    problems += [p for p in field_problems if p.location != "timezone"]
    processes_failed = any(p.location.startswith("processes[") for p in field_problems)
    if site is not None:
        problems += [Problem(site_label, where, msg) for where, msg in site_problems(site)
                     if not _mentions(msg, dropped)
                     and not (where == "processes" and processes_failed)]
    elif not field_problems:
        problems.append(Problem(site_label, "(top level)", "the site could not be read"))

    if len(raw_orders) > limits.MAX_ORDERS:
        first_over = raw_orders[limits.MAX_ORDERS][0]
        problems.append(Problem(raw_orders[0][1], first_over, f"{len(raw_orders)} orders; at "
                                f"most {limits.MAX_ORDERS} are supported in one scenario "
                                "(see docs/limits.md)"))
        raw_orders = raw_orders[:limits.MAX_ORDERS]
    orders: list[tuple[str, Order]] = []
    for where, label, fields in raw_orders:
        if "__not_a_mapping__" in fields:
            problems.append(Problem(label, where, "each order must be a mapping of fields"))
            continue
        try:
            order = Order.model_validate(fields, context=context)
        except ValidationError as exc:
            problems += _order_problems(exc, label, where)
            continue
        orders.append((f"{label} {where}" if label.endswith(".csv") else where, order))
    if site is not None:
        for where, msg in order_problems(site, orders):
            if _mentions(msg, dropped):
                continue
            csv_row = ".csv " in where and where[-1].isdigit()
            file, loc = where.split(" ", 1) if csv_row else (site_label, where)
            problems.append(Problem(file, loc, msg))
    if problems:
        raise ScenarioError(problems)
    assert site is not None
    return Scenario.from_parts(site, (o for _, o in orders))


_LIST_FIELDS = ("suites", "equipment", "operators", "assays", "processes")


def _validate_site(
    data: dict[str, Any], context: dict[str, Any], label: str
) -> tuple[Site | None, list[Problem], set[str]]:
    """Validate the site; on field errors, also salvage what is valid for reference checks.

    Entries of the big lists (suites, operators, processes, …) that fail on their own are
    dropped from the salvaged site, so that cross-reference problems of the rest can still be
    reported in the same run. Their ids are returned so that "unknown id" messages caused only
    by the drop are not reported.
    """
    try:
        return Site.model_validate(data, context=context), [], set()
    except ValidationError as exc:
        errors = exc.errors(include_url=False)
        problems = problems_from(exc, label)
    failed_lists = {e["loc"][0] for e in errors
                    if len(e["loc"]) > 1 and isinstance(e["loc"][1], int)}
    salvage = dict(data)
    dropped: set[str] = set()
    failed_shifts = {str(e["loc"][1]) for e in errors
                     if len(e["loc"]) > 1 and e["loc"][0] == "shifts"}
    if failed_shifts and isinstance(salvage.get("shifts"), dict):
        # Keep the valid shift patterns, so operators on them are still checked.
        salvage["shifts"] = {k: v for k, v in salvage["shifts"].items()
                             if str(k) not in failed_shifts}
        dropped |= failed_shifts
    for error in errors:
        top = error["loc"][0] if error["loc"] else None
        if top in _LIST_FIELDS or (top == "shifts" and len(error["loc"]) > 1):
            continue
        if top in Site.model_fields and not Site.model_fields[str(top)].is_required():
            salvage.pop(str(top), None)
            if top in ("suites", "operators", "shifts"):
                dropped.add(f"<{top}>")
    for key in _LIST_FIELDS:
        items = salvage.get(key)
        if key not in failed_lists or not isinstance(items, list):
            continue
        model = Site.model_fields[key].annotation.__args__[0]  # type: ignore[union-attr]
        kept = []
        for item in items:
            try:
                model.model_validate(item, context=context)
                kept.append(item)
            except ValidationError:
                dropped.add(f"<{key}>")
                if isinstance(item, dict):
                    dropped |= {str(item[k]) for k in ("id", "type") if k in item}
        salvage[key] = kept
    try:
        site = Site.model_validate(salvage, context=context)
    except ValidationError:
        site = None
    return site, problems, dropped


# Cross-reference messages that follow from dropping an invalid entry of a list (its error is
# reported already): a suite with a bad tag leaves "no suites", an operator with a bad absence
# leaves a skill "held by no operator".
_CASCADES = {
    "<suites>": ("has no suites", "no suite carries"),
    "<operators>": ("held by no operator", "operator(s) hold it"),
    "<shifts>": ("unknown shift",),
}


def _mentions(message: str, ids: set[str]) -> bool:
    if any(f"'{i}'" in message for i in ids):
        return True
    return any(marker in message for key, markers in _CASCADES.items() if key in ids
               for marker in markers)


def _order_problems(exc: ValidationError, label: str, where: str) -> list[Problem]:
    out = []
    for p in problems_from(exc, label):
        column = p.location if p.location != "(top level)" else ""
        if label.endswith(".csv"):
            loc = f"{where}, column {column}" if column else where
        else:
            loc = f"{where}.{column}" if column else where
        out.append(Problem(label, loc, p.message))
    return out


def _read_mapping(path: Path) -> dict[str, Any]:
    try:
        data = read_yaml(path)
    except YamlReadError as exc:
        raise ScenarioError([exc.problem]) from None
    if data is None:
        raise ScenarioError([Problem(path.name, "", "the file is empty")])
    if not isinstance(data, dict):
        raise ScenarioError([Problem(path.name, "(top level)", "must be a mapping of site "
                                     "fields (name, horizon, suites, …)")])
    return data


def _read_orders_csv(path: Path) -> list[RawOrder]:
    """Read orders.csv with the csv module; every problem names its spreadsheet row.

    Rows are numbered as a spreadsheet shows them: the header is row 1, and blank rows (empty
    lines, or a row of empty cells as spreadsheets export it) are skipped but still counted.
    A cell missing at the end of a row is blank; a row with more cells than the header is an
    error. Any line ending (LF, CRLF, CR) and a UTF-8 byte-order mark are accepted.
    """
    label = path.name
    try:
        check_file_size(path, label)
        raw = path.read_bytes()
    except YamlReadError as exc:
        raise ScenarioError([exc.problem]) from None
    except OSError as exc:
        raise ScenarioError([Problem(label, "", f"cannot read the file: {exc.strerror}")]) from None
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw[:exc.start].count(b"\n") + 1
        raise ScenarioError([Problem(label, f"line {line}", "the file is not UTF-8 text (save "
                                     "it as 'CSV UTF-8')")]) from None
    if "\x00" in text:
        line = text[:text.index("\x00")].count("\n") + 1
        raise ScenarioError([Problem(label, f"line {line}", "the file holds a NUL byte: it is "
                                     "not a CSV text file (save it as 'CSV UTF-8')")])
    if not text.strip():
        raise ScenarioError([Problem(label, "", "the file is empty; it needs a header row "
                                     f"with {', '.join(REQUIRED_ORDER_COLUMNS)}")])
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    reader = csv.reader(io.StringIO(text, newline=""), skipinitialspace=True, strict=True)
    rows: list[tuple[int, list[str]]] = []
    try:
        for record in reader:
            rows.append((len(rows) + 1, record))
    except csv.Error as exc:
        raise ScenarioError([Problem(label, f"row {len(rows) + 1} (line {reader.line_num})",
                                     f"not a readable CSV row: {exc}")]) from None
    rows = [(number, cells) for number, cells in rows if any(c.strip() for c in cells)]
    if not rows:
        raise ScenarioError([Problem(label, "", "the file is empty; it needs a header row "
                                     f"with {', '.join(REQUIRED_ORDER_COLUMNS)}")])
    header_row, header_cells = rows[0]
    header = [c.strip() for c in header_cells]
    problems = []
    for column in REQUIRED_ORDER_COLUMNS:
        if column not in header:
            problems.append(Problem(label, f"row {header_row} (header)",
                                    f"required column '{column}' is missing"))
    for index, column in enumerate(header):
        if column not in ORDER_COLUMNS:
            shown = f"unknown column '{column}'" if column else f"column {index + 1} has no name"
            problems.append(Problem(label, f"row {header_row} (header), column {index + 1}",
                                    f"{shown} (known: {', '.join(ORDER_COLUMNS)})"))
    for dup in sorted({c for c in header if c and header.count(c) > 1}):
        second = header.index(dup, header.index(dup) + 1)
        problems.append(Problem(label, f"row {header_row} (header), column {second + 1}",
                                f"column '{dup}' appears twice"))
    for number, cells in rows[1:]:
        if len(cells) > len(header) and any(c.strip() for c in cells[len(header):]):
            problems.append(Problem(label, f"row {number}", f"{len(cells)} cells, but the "
                                    f"header has {len(header)} columns"))
    if problems:
        raise ScenarioError(problems)
    out: list[RawOrder] = []
    for number, cells in rows[1:]:
        fields = {column: cell.strip() for column, cell in zip(header, cells, strict=False)
                  if cell.strip()}
        out.append((f"row {number}", label, fields))
    return out
