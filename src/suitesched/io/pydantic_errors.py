"""Turn pydantic validation errors into located, plain-English problems."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from pydantic import BaseModel, ValidationError

from suitesched.errors import Problem


def key_path(loc: Sequence[int | str], prefix: str = "") -> str:
    """``('processes', 0, 'steps', 3, 'skill')`` -> ``processes[0].steps[3].skill``."""
    out = prefix
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        elif str(part).startswith(("function-", "lax-", "json-")) or part in {
            "function-before[_qualification(), Qualification]",
        }:
            continue
        else:
            out += f".{part}" if out else str(part)
    return out


def _clean_loc(loc: Sequence[int | str]) -> list[int | str]:
    # Pydantic adds validator names for unions and wrapped types; keep only real keys.
    return [p for p in loc if isinstance(p, int) or ("[" not in str(p) and "-" not in str(p))]


def _message(error: Any, model: type[BaseModel] | None) -> str:
    kind = error.get("type", "")
    msg = str(error.get("msg", "invalid value"))
    value = error.get("input")
    if kind == "missing":
        return "required field is missing"
    if kind == "extra_forbidden":
        name = error.get("loc", ("?",))[-1]
        return f"unknown field '{name}': check its spelling (SPEC §2 lists the fields)"
    if msg.startswith("Value error, "):
        msg = msg[len("Value error, "):]
    if kind in {"string_pattern_mismatch"}:
        return f"{_short(value)} is not a valid id: use letters, digits, '.', '_' or '-'"
    if kind == "too_long" and isinstance(value, list | tuple | dict):
        limit = (error.get("ctx") or {}).get("max_length")
        return (f"{len(value)} entries; at most {limit} are supported (see docs/limits.md)"
                if limit is not None else msg)
    if len(msg) > 300:
        msg = msg[:297] + "..."
    shown = repr(value)
    if len(shown) > 60:
        shown = shown[:57] + "..."
    if kind not in {"value_error", "assertion_error"} and not isinstance(value, dict | list):
        return f"{msg[0].lower() + msg[1:]} (got {shown})"
    return msg


def _short(value: Any) -> str:
    shown = repr(value)
    return shown if len(shown) <= 60 else shown[:57] + "..."


def problems_from(
    exc: ValidationError, file: str, prefix: str = "", model: type[BaseModel] | None = None
) -> list[Problem]:
    out: list[Problem] = []
    for error in exc.errors(include_url=False):
        loc = _clean_loc(error.get("loc", ()))
        out.append(Problem(file, key_path(loc, prefix) or "(top level)", _message(error, model)))
    return out
