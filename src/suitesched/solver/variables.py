"""Typed containers for the CP-SAT variables of one core problem."""

from __future__ import annotations

from dataclasses import dataclass, field

from ortools.sat.python import cp_model


@dataclass
class ChoiceVars:
    """One candidate resource of one requirement: units taken (int) and whether any (bool)."""

    resource: str
    units: cp_model.IntVar | int
    used: cp_model.IntVar
    interval: cp_model.IntervalVar


@dataclass
class TaskVars:
    start: cp_model.IntVar
    end: cp_model.IntVar
    present: cp_model.IntVar
    modes: list[cp_model.IntVar]
    mode_intervals: list[cp_model.IntervalVar]
    # choices[mode][requirement] -> candidates
    choices: list[list[list[ChoiceVars]]] = field(default_factory=list)


@dataclass
class HoldVars:
    size: cp_model.IntVar
    # resource id -> (used literal, interval)
    candidates: dict[str, tuple[cp_model.IntVar, cp_model.IntervalVar]] = field(
        default_factory=dict
    )


@dataclass
class RunVars:
    """A run slot of a batch family (or a fixed run)."""

    id: str
    active: cp_model.IntVar
    start: cp_model.IntVar
    choices: list[ChoiceVars] = field(default_factory=list)
    fixed: bool = False
    fixed_members: tuple[str, ...] = ()
    closed: bool = True


@dataclass
class BatchVars:
    runs: list[RunVars]
    # member id -> run index -> literal
    assign: dict[str, dict[int, cp_model.IntVar]] = field(default_factory=dict)
