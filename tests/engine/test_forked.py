"""Planning jobs in forked processes: results in order, the winner stops the rest, errors."""

from __future__ import annotations

import os
import threading
import time

import pytest

from suitesched.planning.forked import ForkedJobError, ForkedProcessDied, can_fork, run_forked

pytestmark = pytest.mark.skipif(not can_fork(), reason="forks only on Linux")


def test_each_job_runs_in_a_process_of_its_own_and_the_results_keep_the_jobs_order() -> None:
    results = run_forked([lambda: ("first", os.getpid()), lambda: ("second", os.getpid())])
    assert [name for name, _ in results] == ["first", "second"]
    pids = {pid for _, pid in results}
    assert len(pids) == 2 and os.getpid() not in pids


def test_a_winning_result_kills_the_jobs_still_running(tmp_path) -> None:
    mark = tmp_path / "slow-job-ended"

    def slow() -> str:
        time.sleep(120)
        mark.write_text("ended")
        return "slow"

    started = time.monotonic()
    results = run_forked([slow, lambda: "quick"], wins=lambda result: result == "quick")
    assert results == [None, "quick"]
    assert time.monotonic() - started < 60 and not mark.exists()


def test_a_jobs_error_is_raised_with_its_traceback() -> None:
    def broken() -> int:
        raise ValueError("no such suite: S9")

    with pytest.raises(ForkedJobError, match="ValueError: no such suite: S9"):
        run_forked([lambda: 1, broken])


def test_a_job_whose_process_dies_without_a_result_is_an_error_naming_the_job() -> None:
    with pytest.raises(ForkedProcessDied, match="without a result") as died:
        run_forked([lambda: 1, lambda: os._exit(3)])
    assert (died.value.index, died.value.exitcode) == (1, 3)
    with pytest.raises(ForkedJobError) as raised:  # a job's own exception is no death
        run_forked([lambda: 1 / 0])
    assert not isinstance(raised.value, ForkedProcessDied)


def test_no_fork_while_another_non_daemon_thread_runs() -> None:
    # A worker thread may be inside a solver's lock, which the child would inherit held.
    release = threading.Event()
    worker = threading.Thread(target=release.wait)
    worker.start()
    try:
        assert not can_fork()
    finally:
        release.set()
        worker.join()
    daemon = threading.Thread(target=release.wait, daemon=True)  # e.g. a display's refresh
    release.clear()
    daemon.start()
    try:
        assert can_fork()
    finally:
        release.set()
        daemon.join()
