"""Planning jobs in processes of their own, forked or spawned: results in order, the winner
stops the rest, errors and deaths raised."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import time
from functools import partial

import pytest

from suitesched.planning import processes
from suitesched.planning.processes import (
    JobError,
    ProcessDied,
    can_fork,
    run_forked,
    run_spawned,
)

forks = pytest.mark.skipif(not can_fork(), reason="forks only on Linux")
# Spawned jobs must pickle, so these tests use functions of the standard library.
RUNNERS = [pytest.param(run_forked, marks=forks, id="forked"),
           pytest.param(run_spawned, id="spawned")]


@pytest.mark.parametrize("run", RUNNERS)
def test_each_job_runs_in_a_process_of_its_own_and_the_results_keep_the_jobs_order(run) -> None:
    assert run([partial(str, "first"), partial(str, "second")]) == ["first", "second"]
    pids = run([os.getpid, os.getpid])
    assert len(set(pids)) == 2 and os.getpid() not in pids


@pytest.mark.parametrize("run", RUNNERS)
def test_a_winning_result_kills_the_jobs_still_running(run) -> None:
    started = time.monotonic()
    results = run([partial(time.sleep, 120), partial(str, "quick")],
                  wins=lambda result: result == "quick")
    assert results == [None, "quick"]
    assert time.monotonic() - started < 60


@pytest.mark.parametrize("run", RUNNERS)
def test_once_settled_a_result_in_hand_ends_the_wait_and_the_rest_are_killed(run) -> None:
    started = time.monotonic()
    # The quick result is in before the time to settle; the wait ends at that time.
    results = run([partial(time.sleep, 120), partial(str, "quick")], settle_at=started + 3.0)
    assert results == [None, "quick"]
    assert 3.0 <= time.monotonic() - started < 60


@pytest.mark.parametrize("run", RUNNERS)
def test_once_settled_the_first_result_in_ends_the_wait(run) -> None:
    started = time.monotonic()
    results = run([partial(time.sleep, 120), _after_two_seconds("second")],
                  settle_at=started - 1.0)  # settled already, no result yet
    assert results == [None, b"second"]
    assert 2.0 <= time.monotonic() - started < 60


@pytest.mark.parametrize("run", RUNNERS)
def test_before_settling_every_job_is_waited_for(run) -> None:
    started = time.monotonic()
    results = run([_after_two_seconds("slow"), partial(str, "quick")], settle_at=started + 60)
    assert results == [b"slow", "quick"] and time.monotonic() - started >= 2.0


def _after_two_seconds(word: str) -> partial:
    """A job that pickles and returns ``word`` (as bytes) after two seconds."""
    return partial(subprocess.check_output, [
        sys.executable, "-c", f"import time; time.sleep(2); print({word!r}, end='')"])


@forks
def test_a_forked_job_killed_for_a_winner_leaves_no_mark(tmp_path) -> None:
    mark = tmp_path / "slow-job-ended"

    def slow() -> str:
        time.sleep(120)
        mark.write_text("ended")
        return "slow"

    assert run_forked([slow, lambda: "quick"], wins=lambda result: result == "quick") \
        == [None, "quick"]
    assert not mark.exists()


@pytest.mark.parametrize("run", RUNNERS)
def test_a_jobs_error_is_raised_with_its_traceback(run) -> None:
    with pytest.raises(JobError, match=r"ValueError: invalid literal.*'S9'") as raised:
        run([partial(str, "fine"), partial(int, "S9")])
    assert not isinstance(raised.value, ProcessDied)  # a job's own exception is no death


@pytest.mark.parametrize("run", RUNNERS)
def test_a_job_whose_process_dies_without_a_result_is_raised_naming_the_job(run) -> None:
    with pytest.raises(ProcessDied, match="without a result") as died:
        run([partial(str, "fine"), partial(os._exit, 3)])
    assert (died.value.index, died.value.exitcode) == (1, 3)


def test_a_worker_that_cannot_start_is_a_death_that_says_why(
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(processes, "WORKER_MODULE", "suitesched.no_such_worker")
    with pytest.raises(ProcessDied, match=r"No module named suitesched\.no_such_worker"):
        run_spawned([partial(str, "fine")])


def test_an_interpreter_that_cannot_be_started_is_a_death_too(
        monkeypatch: pytest.MonkeyPatch, tmp_path) -> None:
    monkeypatch.setattr(sys, "executable", str(tmp_path / "no-python-here"))
    with pytest.raises(ProcessDied, match="cannot start"):
        run_spawned([partial(str, "fine")])


def test_a_job_that_does_not_pickle_is_no_process_to_wait_for() -> None:
    with pytest.raises(ProcessDied, match="does not pickle"):
        run_spawned([partial(str, "fine"), lambda: "a lambda has no importable name"])


@forks
def test_no_fork_while_another_non_daemon_thread_runs() -> None:
    # A worker thread may be inside a solver's lock, which the child would inherit held.
    release = threading.Event()
    worker = threading.Thread(target=release.wait)
    worker.start()
    try:
        assert not can_fork()
        # A fresh interpreter inherits no lock: it serves such a caller.
        assert run_spawned([partial(str, "beside a worker thread")]) \
            == ["beside a worker thread"]
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
