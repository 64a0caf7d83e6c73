"""The move recorder of benchmarks/moves.py sees every move and round of a real run."""

from __future__ import annotations

from pathlib import Path

from helpers import load_script

MOVES = Path(__file__).resolve().parents[1] / "benchmarks" / "moves.py"


def _moves_module():
    return load_script(MOVES, "moves_benchmark")


def test_a_run_is_recorded_move_by_move_and_the_engine_is_left_as_it_was() -> None:
    from suitesched.planning import lns

    moves = _moves_module()
    solve_move, make_rounds = lns._Moves.solve, lns.neighbourhoods
    run = moves.trace(12, 3, limit=None, weeks=2, deterministic=3.0)
    assert run.violations == 0 and run.scheduled > 0
    assert run.rounds and run.rounds[0].queued > 0
    assert run.moves
    # A move counts as having found something only when it found a cheaper plan.
    assert all(m.found is None or m.found < m.base for m in run.moves)
    # Rounds and moves are stamped in the order they happened.
    assert run.rounds[0].started_s <= run.moves[0].started_s
    summary = moves.by_kind(run.moves)
    assert sum(count for _, _, count, _, _ in summary) == len(run.moves)
    assert {kind for kind, *_ in summary} <= {"move", "Window", "Repair", "WideRepair",
                                              "ReleaseQueue", "Overtaken", "Wide"}
    # The recorder patched the engine for the run only.
    assert lns._Moves.solve is solve_move and lns.neighbourhoods is make_rounds


def test_the_summary_adds_what_each_kind_found() -> None:
    moves = _moves_module()
    record = moves.MoveRecord
    summary = moves.by_kind([
        record(1.0, 0.5, "Window", 10, 100.0, 90.0),
        record(1.0, 0.25, "Window", 10, 100.0, None),
        record(2.0, 0.1, "move", 2, 90.0, 88.5),
    ])
    assert summary == [("Window", 10, 2, 0.8, 10.0), ("move", 2, 1, 0.1, 1.5)]
