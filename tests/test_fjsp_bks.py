"""The FJSP benchmark reads the best-known value of the instance's own set."""

from __future__ import annotations

import importlib.util
from pathlib import Path

FJSP = Path(__file__).resolve().parents[1] / "benchmarks" / "fjsp.py"


def _fjsp_module():
    spec = importlib.util.spec_from_file_location("fjsp_benchmark", FJSP)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_same_instance_name_in_two_sets_gets_its_own_sets_value(tmp_path: Path) -> None:
    # The Hurink sets share names: la01 is 609 in edata and 570 in rdata.
    (tmp_path / "bks.csv").write_text(
        "set,instance,n_jobs,n_machines,bks,optimal,source\n"
        "hurink_edata,la01,10,5,609,yes,x\n"
        "hurink_rdata,la01,10,5,570,no,x\n"
        "brandimarte,Mk01,10,6,40,yes,x\n")
    for folder in ("hurink_edata", "hurink_rdata", "brandimarte"):
        (tmp_path / folder).mkdir()
    best_known = _fjsp_module().best_known
    assert best_known(tmp_path / "hurink_rdata" / "la01.fjs", None) == 570
    assert best_known(tmp_path / "hurink_edata" / "la01.fjs", None) == 609
    # A folder named like no set still finds the instance by name.
    assert best_known(tmp_path / "brandimarte" / "mk01.fjs", None) == 40
    assert best_known(tmp_path / "hurink_rdata" / "la99.fjs", None) is None
