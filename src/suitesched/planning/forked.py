"""Run a few independent planning jobs side by side, each in a forked process of its own.

The portfolio's dispatch rules (:func:`suitesched.planning.greedy.portfolio_solution`) are
mostly CP-SAT solves of one-order models, which leave the interpreter, but a third of their
time is Python building those models and choosing what to move; two rules in threads of one
process queue for the interpreter on that part. On the booked 400-order seed-216 site the
stability rule took 65 s alone and 72-114 s beside the due-date rule in a thread, and two
copies of one rule in two processes took 1.1x the time of one alone (RESULTS.md). A
process can also be stopped at once when another job has won, where a thread finishes the
room-making it is in first (up to 17 s on five booked 400-order sites).

Forking copies the parent as it is, so a job needs no pickling and sees the same objects
(and a test's monkeypatches). It is used only where it is safe: on Linux, and only while
every other Python thread of the process is a daemon thread (a display's refresh thread): a
forked child holds every lock as it was at the fork, and a worker thread may be inside a
solver's lock. Elsewhere :func:`can_fork` says no and the caller uses threads.
"""

from __future__ import annotations

import multiprocessing
import sys
import threading
import traceback
import warnings
from collections.abc import Callable, Sequence
from multiprocessing.connection import Connection, wait
from typing import TypeVar

T = TypeVar("T")


class ForkedJobError(RuntimeError):
    """A forked job raised, or its process ended without a result."""


class ForkedProcessDied(ForkedJobError):
    """A job's process ended without a result or a traceback: killed from outside (the
    kernel's out-of-memory killer, an operator's ``kill``) or crashed in native code. The
    job itself may be sound, so a caller can run it again another way."""

    def __init__(self, index: int, exitcode: int | None) -> None:
        super().__init__(f"job {index} ended without a result (exit code {exitcode})")
        self.index = index
        self.exitcode = exitcode


def can_fork() -> bool:
    """Whether :func:`run_forked` may be used here and now (see the module's docstring)."""
    if sys.platform != "linux" or "fork" not in multiprocessing.get_all_start_methods():
        return False
    main = threading.main_thread()
    return threading.current_thread() is main and all(
        t.daemon for t in threading.enumerate() if t is not main)


def run_forked(jobs: Sequence[Callable[[], T]],
               wins: Callable[[T], bool] | None = None) -> list[T | None]:
    """Each job's result, in the order of ``jobs``, each job run in a forked process.

    Once a result that ``wins`` accepts comes back, the processes still running are killed
    and their results are None. Without ``wins`` every job runs to its end. A job's
    exception is raised here as :class:`ForkedJobError` with the job's traceback; a process
    that ends without a word, as :class:`ForkedProcessDied`."""
    context = multiprocessing.get_context("fork")
    readers: dict[Connection, int] = {}  # those still to answer
    opened: list[Connection] = []
    processes = []
    results: list[T | None] = [None] * len(jobs)
    try:
        with warnings.catch_warnings():
            # Python 3.12+ warns on any fork of a process with threads; can_fork() admits
            # only daemon threads, which hold no lock the child's jobs take.
            warnings.simplefilter("ignore", DeprecationWarning)
            for index, job in enumerate(jobs):
                reader, writer = context.Pipe(duplex=False)
                process = context.Process(target=_run_job, args=(job, writer), daemon=True)
                process.start()
                writer.close()  # the child holds its own copy; EOF here once the child ends
                readers[reader] = index
                opened.append(reader)
                processes.append(process)
        while readers:
            for reader in wait(list(readers)):
                index = readers.pop(reader)
                try:
                    kind, payload = reader.recv()
                except EOFError:
                    processes[index].join()
                    raise ForkedProcessDied(index, processes[index].exitcode) from None
                if kind == "error":
                    raise ForkedJobError(f"job {index} failed:\n{payload}")
                results[index] = payload
                if wins is not None and wins(payload):
                    return results
        return results
    finally:
        for process in processes:
            if process.is_alive():
                process.kill()
            process.join()
        for reader in opened:
            reader.close()


def _run_job(job: Callable[[], object], writer: Connection) -> None:
    """The child's whole life: run the job, send its result (or its traceback) back."""
    try:
        result = job()
    except BaseException:  # whatever it was, the parent raises it
        writer.send(("error", traceback.format_exc()))
    else:
        writer.send(("result", result))
    finally:
        writer.close()
