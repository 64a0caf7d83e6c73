"""Run a few independent planning jobs side by side, each in a process of its own.

The portfolio's dispatch rules (:func:`suitesched.planning.greedy.portfolio_solution`) are
mostly CP-SAT solves of one-order models, which leave the interpreter, but a third of their
time is Python building those models and choosing what to move; two rules in threads of one
process queue for the interpreter on that part. On the booked 400-order seed-216 site the
stability rule took 65 s alone and 72-114 s beside the due-date rule in a thread, and two
copies of one rule in two processes took 1.1x the time of one alone (RESULTS.md). A
process can also be stopped at once when another job has won, where a thread finishes the
room-making it is in first (up to 17 s on five booked 400-order sites).

Two ways to start them:

- :func:`run_forked` forks the parent as it is, so a job needs no pickling and sees the same
  objects (and a test's monkeypatches). It is safe only on Linux, and only while every other
  Python thread of the process is a daemon thread (a display's refresh thread): a forked
  child holds every lock as it was at the fork, and a worker thread may be inside a
  solver's lock (:func:`can_fork`).
- :func:`run_spawned` starts a fresh interpreter per job
  (:mod:`suitesched.planning.process_worker`) and hands it the pickled job: about a second
  to start (the imports, a 3 MB pickle for a 400-order site), but safe beside any thread
  and on any system. It does not run the caller's ``__main__`` again, as
  :mod:`multiprocessing`'s spawn would for a script without a main guard. The pickled job
  (the compiled site: order ids and the site's resources, nothing the input files do not
  hold) waits in a private temporary folder that is removed when the jobs are done.
"""

from __future__ import annotations

import contextlib
import multiprocessing
import os
import pickle
import queue
import subprocess
import sys
import tempfile
import threading
import time
import traceback
import warnings
from collections.abc import Callable, Sequence
from multiprocessing.connection import Connection, wait
from pathlib import Path
from typing import TypeVar

T = TypeVar("T")

WORKER_MODULE = "suitesched.planning.process_worker"


class JobError(RuntimeError):
    """A job raised in its process, or its process ended without a result."""


class ProcessDied(JobError):
    """A job's process ended without a result or a traceback: killed from outside (the
    kernel's out-of-memory killer, an operator's ``kill``), crashed in native code, or (a
    spawned one) could not start, or its job does not pickle. The job itself may be sound,
    so a caller can run it again another way."""

    def __init__(self, index: int, exitcode: int | None, detail: str = "") -> None:
        message = f"job {index} ended without a result (exit code {exitcode})"
        super().__init__(f"{message}: {detail}" if detail else message)
        self.index = index
        self.exitcode = exitcode


def can_fork() -> bool:
    """Whether :func:`run_forked` may be used here and now (see the module's docstring)."""
    if sys.platform != "linux" or "fork" not in multiprocessing.get_all_start_methods():
        return False
    main = threading.main_thread()
    return threading.current_thread() is main and all(
        t.daemon for t in threading.enumerate() if t is not main)


def can_spawn() -> bool:
    """Whether :func:`run_spawned` can start an interpreter: not in an embedded or frozen
    program, whose ``sys.executable`` is no Python (or is missing)."""
    return bool(sys.executable) and not getattr(sys, "frozen", False)


def run_forked(jobs: Sequence[Callable[[], T]],
               wins: Callable[[T], bool] | None = None,
               settle_at: float | None = None) -> list[T | None]:
    """Each job's result, in the order of ``jobs``, each job run in a forked process.

    Once a result that ``wins`` accepts comes back, the processes still running are killed
    and their results are None. Without ``wins`` every job runs to its end. From
    ``settle_at`` (a ``time.monotonic()`` value) on, any result in hand is enough: the
    processes still running are killed as soon as one result is in, or at once if one is in
    already. A job's exception is raised here as :class:`JobError` with the job's
    traceback; a process that ends without a word, as :class:`ProcessDied`."""
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
                process = context.Process(target=_run_forked_job, args=(job, writer),
                                          daemon=True)
                process.start()
                writer.close()  # the child holds its own copy; EOF here once the child ends
                readers[reader] = index
                opened.append(reader)
                processes.append(process)
        while readers:
            ready = wait(list(readers), _patience(settle_at, answered=len(readers) < len(jobs)))
            if not ready:
                return results  # settled: a result is in, and the time has come
            for reader in ready:
                index = readers.pop(reader)
                try:
                    answer = reader.recv()
                except EOFError:
                    processes[index].join()
                    raise ProcessDied(index, processes[index].exitcode) from None
                if _take(answer, index, results, wins):
                    return results
        return results
    finally:
        for process in processes:
            if process.is_alive():
                process.kill()
            process.join()
        for reader in opened:
            reader.close()


def run_spawned(jobs: Sequence[Callable[[], T]],
                wins: Callable[[T], bool] | None = None,
                settle_at: float | None = None) -> list[T | None]:
    """:func:`run_forked`'s results, each job run in a fresh interpreter instead: the jobs
    must pickle (a :func:`functools.partial` of a module-level function does), and they see
    the modules as imported afresh, not as the caller may have changed them."""
    results: list[T | None] = [None] * len(jobs)
    ended: queue.Queue[int] = queue.Queue()
    processes: list[subprocess.Popen] = []
    env = _worker_environment()
    with tempfile.TemporaryDirectory(prefix="suitesched-jobs-") as folder:
        work = Path(folder)
        try:
            for index, job in enumerate(jobs):
                try:
                    pickled = pickle.dumps(job, protocol=pickle.HIGHEST_PROTOCOL)
                except Exception as error:  # pickle raises several kinds; none is the job's
                    raise ProcessDied(index, None, f"the job does not pickle: {error}") from None
                (work / f"{index}.job").write_bytes(pickled)
                with open(work / f"{index}.stderr", "wb") as stderr:
                    try:
                        process = subprocess.Popen(
                            [sys.executable, "-m", WORKER_MODULE, str(work / f"{index}.job"),
                             str(work / f"{index}.result")],
                            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                            stderr=stderr, env=env)
                    except OSError as error:  # no interpreter there, or no process to spare
                        raise ProcessDied(index, None, f"cannot start {sys.executable}: "
                                                       f"{error}") from None
                processes.append(process)
                threading.Thread(target=_report_end, args=(process, index, ended),
                                 daemon=True).start()
            for answered in range(len(jobs)):
                index = _next_ended(ended, _patience(settle_at, answered=answered > 0))
                if index is None:
                    return results  # settled: a result is in, and the time has come
                result_file = work / f"{index}.result"
                if not result_file.exists():
                    raise ProcessDied(index, processes[index].returncode,
                                      _last_line(work / f"{index}.stderr"))
                if _take(pickle.loads(result_file.read_bytes()), index, results, wins):
                    return results
            return results
        finally:
            for process in processes:
                if process.poll() is None:
                    process.kill()
                process.wait()  # before the folder goes: Windows keeps open files


def _patience(settle_at: float | None, *, answered: bool) -> float | None:
    """How long to wait for the next job to end: as long as it takes (None) without
    ``settle_at`` or while no result is in; else until ``settle_at`` (0.0 once it has
    come)."""
    if settle_at is None or not answered:
        return None
    return max(0.0, settle_at - time.monotonic())


def _take(answer: tuple[str, object], index: int, results: list, wins: Callable | None
          ) -> bool:
    """Store job ``index``'s answer in ``results``; whether it wins (raise its error)."""
    kind, payload = answer
    if kind == "error":
        raise JobError(f"job {index} failed:\n{payload}")
    results[index] = payload
    return wins is not None and bool(wins(payload))


def _run_forked_job(job: Callable[[], object], writer: Connection) -> None:
    """A forked child's whole life: run the job, send its result (or its traceback) back."""
    try:
        writer.send(run_job(job))
    finally:
        writer.close()


def run_job(job: Callable[[], object]) -> tuple[str, object]:
    """``("result", value)``, or ``("error", traceback text)`` whatever the job raised."""
    try:
        return "result", job()
    except BaseException:  # whatever it was, the parent raises it
        return "error", traceback.format_exc()


def _worker_environment() -> dict[str, str]:
    """The caller's environment, with this very copy of the package first on the path: a
    worker must run the same code, wherever it was imported from (a checkout's ``src``)."""
    package_root = Path(__file__).resolve().parents[2]
    env = dict(os.environ)
    if package_root.name not in ("site-packages", "dist-packages"):
        # An installed package is found anyway; its folder ahead of the standard library's
        # could shadow a standard module with a same-named back-port.
        env["PYTHONPATH"] = os.pathsep.join(
            p for p in (str(package_root), env.get("PYTHONPATH", "")) if p)
    return env


def _report_end(process: subprocess.Popen, index: int, ended: queue.Queue[int]) -> None:
    process.wait()
    ended.put(index)


def _next_ended(ended: queue.Queue[int], patience: float | None = None) -> int | None:
    """The next job to end, or None once ``patience`` seconds have passed without one
    (None: wait as long as it takes); waits in short steps, so that Ctrl-C reaches the
    caller on every system (a blocking ``get`` is not interrupted on Windows)."""
    until = None if patience is None else time.monotonic() + patience
    while True:
        step = 0.5 if until is None else min(0.5, until - time.monotonic())
        with contextlib.suppress(queue.Empty):
            return ended.get(timeout=step) if step > 0 else ended.get_nowait()
        if step <= 0:
            return None


def _last_line(path: Path) -> str:
    """The last line a worker wrote to its standard error (why it could not start)."""
    try:
        lines = path.read_text(errors="replace").strip().splitlines()
    except OSError:
        return ""
    return lines[-1] if lines else ""
