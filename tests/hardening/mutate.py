"""Seeded mutations of valid input files, for the input fuzz tests.

Every mutation takes a ``random.Random`` and the file's bytes and returns
``(name, new bytes)``; the name says what was done, so a failing case can be reproduced and
read. Byte-level mutations (truncation, flipped bytes, encodings, line ends, stray unicode)
apply to any file; structural ones parse the file first (YAML, JSON or CSV), change one thing
(a value's type, a deleted or extra key, a duplicate entry, a column) and write it back.
"""

from __future__ import annotations

import copy
import csv
import io
import json
import random
from collections.abc import Callable
from typing import Any

import yaml

Mutation = Callable[[random.Random, bytes], tuple[str, bytes]]

#: Values of every type a field should not have (and a few it may: the reader must decide).
ODD_VALUES: tuple[Any, ...] = (
    None, "", " ", 0, -1, 1, 7, 10**30, -(10**30), 1e308, -1e308, 1.5, float("inf"),
    float("nan"), True, False, "abc", "🧬🧪", "\u202eevil\u202c", "שלום", "a\x00b", "\ufeffx",
    "\u200b", "e\u0301", "[/red]", "[bold]x", "{x}", "%s%n", "-5m", "2 h", "7m", "0m", "1d99999h",
    "2026-13-45", "99999-01-01T00:00", "24:01", "x" * 5000, [], {}, [1, "a", None], {"a": 1},
    [[[]]], {"id": None}, "COI-0001", "S1", "cart-std", "2026-12-08T09:00", "1e308",
)

#: Odd text spliced into a file at a random point.
ODD_TEXT: tuple[str, ...] = (
    "\u202e", "🧬", "\x00", "\\ud800", "\"\\ud800\"", "\ufeff", "\u200b", "\t", "\r", "\x1b[31m",
    "&a *a", "!!python/object:os.system ''", "{", "}", "[", "]", ":", "- ", "'", '"', ",",
    "\n  - x", "<<: *x", "---\n", "...\n", "%YAML 9.9\n", "!!binary ?", "#", "\\", "\x85",
)


def _text(data: bytes) -> str:
    return data.decode("utf-8-sig", errors="replace")


# ------------------------------------------------------------------ byte level


def truncate(rng: random.Random, data: bytes) -> tuple[str, bytes]:
    cut = rng.randrange(0, max(1, len(data)))
    return f"truncate at byte {cut}", data[:cut]


def flip_bytes(rng: random.Random, data: bytes) -> tuple[str, bytes]:
    if not data:
        return "flip (empty)", data
    out = bytearray(data)
    spots = [rng.randrange(len(out)) for _ in range(rng.randint(1, 4))]
    for spot in spots:
        out[spot] ^= rng.randint(1, 255)
    return f"flip bytes {spots}", bytes(out)


def empty_variants(rng: random.Random, data: bytes) -> tuple[str, bytes]:
    choice = rng.choice([b"", b" ", b"\n\n", b"---\n", b"null\n", b"~", b"[]", b"{}",
                         b"\xef\xbb\xbf", b"0", b'""', b"- \n", b"\x00"])
    return f"replace the file by {choice!r}", choice


def bom(rng: random.Random, data: bytes) -> tuple[str, bytes]:
    return "UTF-8 BOM", b"\xef\xbb\xbf" + data


def utf16(rng: random.Random, data: bytes) -> tuple[str, bytes]:
    codec = rng.choice(["utf-16", "utf-16-le", "utf-16-be", "utf-32", "latin-1", "cp1252"])
    return f"encoded as {codec}", _text(data).encode(codec, errors="replace")


def crlf(rng: random.Random, data: bytes) -> tuple[str, bytes]:
    ending = rng.choice([b"\r\n", b"\r"])
    return f"line ends {ending!r}", data.replace(b"\r\n", b"\n").replace(b"\n", ending)


def splice_text(rng: random.Random, data: bytes) -> tuple[str, bytes]:
    text = _text(data)
    at = rng.randrange(0, len(text) + 1)
    piece = rng.choice(ODD_TEXT)
    return f"insert {piece!r} at char {at}", (text[:at] + piece + text[at:]).encode(
        "utf-8", errors="surrogatepass")


def duplicate_line(rng: random.Random, data: bytes) -> tuple[str, bytes]:
    lines = _text(data).splitlines(keepends=True)
    if not lines:
        return "duplicate line (none)", data
    i = rng.randrange(len(lines))
    return f"duplicate line {i + 1}", "".join(lines[: i + 1] + lines[i:]).encode()


def delete_line(rng: random.Random, data: bytes) -> tuple[str, bytes]:
    lines = _text(data).splitlines(keepends=True)
    if not lines:
        return "delete line (none)", data
    i = rng.randrange(len(lines))
    return f"delete line {i + 1}", "".join(lines[:i] + lines[i + 1:]).encode()


BYTE_MUTATIONS: tuple[Mutation, ...] = (truncate, flip_bytes, empty_variants, bom, utf16, crlf,
                                        splice_text, duplicate_line, delete_line)

# ------------------------------------------------------------------ structured (YAML / JSON)


def _paths(node: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    out = [prefix]
    if isinstance(node, dict):
        for key, value in node.items():
            out += _paths(value, (*prefix, key))
    elif isinstance(node, list):
        for index, value in enumerate(node):
            out += _paths(value, (*prefix, index))
    return out


def _get(node: Any, path: tuple[Any, ...]) -> Any:
    for part in path:
        node = node[part]
    return node


def odd_value(rng: random.Random) -> Any:
    return copy.deepcopy(rng.choice(ODD_VALUES))


def _change(data: Any, rng: random.Random) -> tuple[str, Any]:
    data = copy.deepcopy(data)
    paths = [p for p in _paths(data) if p]
    if not paths:
        return "replace the top level", odd_value(rng)
    path = rng.choice(paths)
    parent = _get(data, path[:-1])
    key = path[-1]
    what = rng.randrange(6)
    if what <= 2:
        value = odd_value(rng)
        parent[key] = value
        return f"{_show(path)} = {value!r:.40}", data
    if what == 3:
        del parent[key]
        return f"delete {_show(path)}", data
    if what == 4:
        if isinstance(parent, dict):
            parent[rng.choice(["extra", "Id", "ID", "id ", "duration", "steps"])] = odd_value(rng)
            return f"extra key beside {_show(path)}", data
        parent.append(copy.deepcopy(parent[key]))
        return f"duplicate entry {_show(path)}", data
    other = _get(data, rng.choice(paths))
    parent[key] = copy.deepcopy(other)
    return f"{_show(path)} = another node's value", data


def _show(path: tuple[Any, ...]) -> str:
    return "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in path).lstrip(".")


def yaml_change(rng: random.Random, data: bytes) -> tuple[str, bytes]:
    parsed = yaml.safe_load(data)
    name, changed = _change(parsed, rng)
    return name, yaml.safe_dump(changed, allow_unicode=rng.random() < 0.5,
                                sort_keys=False).encode("utf-8", errors="surrogatepass")


def json_change(rng: random.Random, data: bytes) -> tuple[str, bytes]:
    parsed = json.loads(data)
    name, changed = _change(parsed, rng)
    return name, json.dumps(changed, ensure_ascii=rng.random() < 0.5, default=str).encode(
        "utf-8", errors="surrogatepass")


def yaml_duplicate_key(rng: random.Random, data: bytes) -> tuple[str, bytes]:
    """Give one key twice in the same mapping (flow or block style)."""
    lines = _text(data).splitlines(keepends=True)
    keyed = [i for i, line in enumerate(lines) if ":" in line and not line.lstrip().startswith("#")]
    if not keyed:
        return "duplicate key (none)", data
    i = rng.choice(keyed)
    line = lines[i]
    if "{" in line and "," in line:  # flow mapping: repeat its first key
        head, _, rest = line.partition("{")
        first = rest.split(",")[0]
        lines[i] = f"{head}{{{first}, {rest}"
    else:
        lines.insert(i + 1, line)
    return f"duplicate key on line {i + 1}", "".join(lines).encode()


# ------------------------------------------------------------------ CSV


def _csv_rows(data: bytes) -> list[list[str]]:
    return list(csv.reader(io.StringIO(_text(data))))


def _csv_bytes(rows: list[list[Any]]) -> bytes:
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\n").writerows(rows)
    return buffer.getvalue().encode("utf-8", errors="surrogatepass")


def csv_change(rng: random.Random, data: bytes) -> tuple[str, bytes]:
    rows = _csv_rows(data)
    header, body = rows[0], rows[1:]
    what = rng.randrange(9)
    if what <= 2 and body:
        r, c = rng.randrange(len(body)), rng.randrange(len(header))
        value = odd_value(rng)
        body[r][c] = "" if value is None else str(value)
        return f"row {r + 2} column {header[c]} = {value!r:.40}", _csv_bytes([header, *body])
    if what == 3:
        c = rng.randrange(len(header))
        return (f"duplicate column {header[c]}",
                _csv_bytes([[*row, row[c] if c < len(row) else ""] for row in rows]))
    if what == 4:
        c = rng.randrange(len(header))
        return f"drop column {header[c]}", _csv_bytes([row[:c] + row[c + 1:] for row in rows])
    if what == 5:
        name = rng.choice(["extra", "Order_ID", " due", "", "notes", "order_id "])
        return (f"extra column {name!r}",
                _csv_bytes([[*rows[0], name]] + [[*row, "x"] for row in body]))
    if what == 6 and body:
        r = rng.randrange(len(body))
        cells = rng.randint(0, len(header) + 3)
        body[r] = (body[r] + ["x"] * cells)[:cells]
        return f"row {r + 2} has {cells} cells", _csv_bytes([header, *body])
    if what == 7:
        order = list(range(len(header)))
        rng.shuffle(order)
        return "columns shuffled", _csv_bytes([[row[i] if i < len(row) else "" for i in order]
                                               for row in rows])
    dup = rng.randrange(len(body)) if body else 0
    return f"row {dup + 2} repeated", _csv_bytes([header, *body, *body[dup:dup + 1]])


YAML_MUTATIONS: tuple[Mutation, ...] = (*BYTE_MUTATIONS, yaml_change, yaml_change, yaml_change,
                                        yaml_change, yaml_duplicate_key)
JSON_MUTATIONS: tuple[Mutation, ...] = (*BYTE_MUTATIONS, json_change, json_change, json_change,
                                        json_change)
CSV_MUTATIONS: tuple[Mutation, ...] = (*BYTE_MUTATIONS, csv_change, csv_change, csv_change,
                                       csv_change)


def mutate(rng: random.Random, data: bytes, kind: str) -> tuple[str, bytes]:
    """One random mutation of a ``yaml``, ``json`` or ``csv`` file's bytes."""
    table = {"yaml": YAML_MUTATIONS, "json": JSON_MUTATIONS, "csv": CSV_MUTATIONS}[kind]
    return rng.choice(table)(rng, data)
