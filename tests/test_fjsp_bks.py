"""The FJSP benchmark reads the best-known value of the instance's own set."""

from __future__ import annotations

from pathlib import Path

from helpers import load_script

FJSP = Path(__file__).resolve().parents[1] / "benchmarks" / "fjsp.py"


def _fjsp_module():
    return load_script(FJSP, "fjsp_benchmark")


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


def test_a_job_shop_file_is_read_and_a_file_that_is_no_instance_is_skipped(tmp_path: Path) -> None:
    import subprocess
    import sys

    shop = tmp_path / "ft03.txt"
    shop.write_text("# three jobs, two machines\n3 2\n0 3 1 2\n1 4 0 1\n0 2 1 2\n")
    readme = tmp_path / "README.txt"
    readme.write_text("sdata: the instances of this folder\n")
    (tmp_path / "bks.csv").write_text("set,instance,n_jobs,n_machines,bks,optimal,source\n"
                                      "x,ft03,3,2,8,yes,x\n")
    run = subprocess.run([sys.executable, str(FJSP), str(readme), str(shop), "--time-limit", "5",
                          "--workers", "1", "--solvers", "suitesched"],
                         capture_output=True, text=True, timeout=120)
    assert run.returncode == 2  # one file skipped
    assert f"skipped {readme}: 'sdata:' is not a number" in run.stderr
    assert "Traceback" not in run.stderr
    rows = run.stdout.splitlines()
    assert rows[0].startswith("instance,solver,makespan")
    assert rows[1].split(",")[:3] == ["ft03", "suitesched", "8.0"] and rows[1].endswith(",8,0.0")
