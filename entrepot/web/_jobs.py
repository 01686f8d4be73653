"""Long work (cohort generation, text processing) in the background.

A job runs in a worker thread; the request that starts it returns at once
with the job's id, and the page polls `/api/jobs/{id}` for its progress.
"""

from __future__ import annotations

import itertools
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

from entrepot.errors import EntrepotError, first_line

#: Finished jobs are kept this long for their owner to read.
KEEP_SECONDS = 3600


@dataclass
class Job:
    id: int
    kind: str
    user: str
    project: str | None
    state: str = "queued"  # queued, running, done, failed
    progress: float = 0.0
    message: str = ""
    result: Any = None
    error: str | None = None
    started: float = field(default_factory=time.monotonic)

    def report(self, message: str, progress: float | None = None) -> None:
        self.message = message
        if progress is not None:
            self.progress = max(0.0, min(1.0, progress))

    def as_dict(self) -> dict:
        return {
            "id": self.id,
            "kind": self.kind,
            "state": self.state,
            "progress": round(self.progress, 3),
            "message": self.message,
            "result": self.result,
            "error": self.error,
            "seconds": round(time.monotonic() - self.started, 3),
        }


class Jobs:
    def __init__(self, workers: int = 2) -> None:
        self._pool = ThreadPoolExecutor(workers, thread_name_prefix="entrepot-job")
        self._jobs: dict[int, Job] = {}
        self._ids = itertools.count(1)
        self._lock = threading.Lock()

    def start(
        self,
        kind: str,
        user: str,
        project: str | None,
        work: Callable[[Job], Any],
    ) -> Job:
        """Run `work(job)` in the background; its return value is the result."""
        job = Job(next(self._ids), kind, user, project)
        with self._lock:
            self._forget_old()
            self._jobs[job.id] = job
        self._pool.submit(self._run, job, work)
        return job

    @staticmethod
    def _run(job: Job, work: Callable[[Job], Any]) -> None:
        job.state = "running"
        try:
            job.result = work(job)
        except EntrepotError as e:
            job.error, job.state = first_line(e), "failed"
        except Exception:  # noqa: BLE001 - never a trace to the client
            job.error, job.state = "the job failed on the server", "failed"
        else:
            job.progress, job.state = 1.0, "done"

    def get(self, job_id: int, user: str, project: str | None) -> Job | None:
        """A job, only for the user who started it, asking within its project."""
        job = self._jobs.get(job_id)
        if job is None or (job.user, job.project) != (user, project):
            return None
        return job

    def wait(self, job_id: int, timeout: float = 60.0) -> Job:
        """Block until a job ends (tests and scripts)."""
        deadline = time.monotonic() + timeout
        job = self._jobs[job_id]
        while job.state in ("queued", "running") and time.monotonic() < deadline:
            time.sleep(0.02)
        return job

    def _forget_old(self) -> None:
        now = time.monotonic()
        for job_id in [
            i
            for i, j in self._jobs.items()
            if j.state in ("done", "failed") and now - j.started > KEEP_SECONDS
        ]:
            del self._jobs[job_id]

    def close(self) -> None:
        self._pool.shutdown(wait=True, cancel_futures=True)
