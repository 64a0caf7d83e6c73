"""The worker of :func:`suitesched.planning.processes.run_spawned`.

``python -m suitesched.planning.process_worker JOB RESULT`` unpickles the job from the file
``JOB``, runs it, and pickles ``("result", value)`` or ``("error", traceback)`` to ``RESULT``.
The result file appears whole (written aside, then renamed): a worker killed while writing
leaves none, and the caller reads that as a process that died.
"""

from __future__ import annotations

import os
import pickle
import sys
from pathlib import Path

from suitesched.planning.processes import run_job


def main(argv: list[str]) -> int:
    job_file, result_file = (Path(arg) for arg in argv)
    answer = run_job(pickle.loads(job_file.read_bytes()))
    part = result_file.with_suffix(".part")
    part.write_bytes(pickle.dumps(answer, protocol=pickle.HIGHEST_PROTOCOL))
    os.replace(part, result_file)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
