"""Atomic writes give plans the permissions a plain write would: the team reads them."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

from suitesched.io.plan_io import atomic_write_files, atomic_write_text

pytestmark = pytest.mark.skipif(os.name != "posix", reason="POSIX file modes")


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_a_new_file_gets_the_umask_mode_not_the_private_temporary_one(tmp_path: Path) -> None:
    old = os.umask(0o022)
    try:
        atomic_write_text(tmp_path / "report.html", "<html></html>")
        atomic_write_files(tmp_path / "out", {"plan.json": "{}", "operations.csv": "a\n"})
    finally:
        os.umask(old)
    assert _mode(tmp_path / "report.html") == 0o644
    assert _mode(tmp_path / "out" / "plan.json") == 0o644
    assert _mode(tmp_path / "out" / "operations.csv") == 0o644


def test_a_replaced_file_keeps_its_mode(tmp_path: Path) -> None:
    target = tmp_path / "plan.json"
    target.write_text("old")
    target.chmod(0o640)
    atomic_write_text(target, "new")
    assert target.read_text() == "new"
    assert _mode(target) == 0o640
