"""Background jobs of the HTTP app: re-ingesting the documents without blocking requests."""

from __future__ import annotations

import dataclasses
import json
import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime

log = logging.getLogger(__name__)


@dataclass
class IngestJob:
    """One ingest run and its outcome."""

    id: int
    status: str = "running"  # running | succeeded | failed
    started_at: datetime = field(default_factory=lambda: datetime.now(UTC))
    finished_at: datetime | None = None
    report: dict | None = None
    error: str | None = None


class IngestRunning(RuntimeError):
    """Raised when an ingest is asked for while another one runs."""

    def __init__(self, job: IngestJob):
        super().__init__(f"ingest job {job.id} is still running")
        self.job = job


def _as_dict(report: object) -> dict:
    """A JSON-safe dict of whatever report the ingest returned."""
    if dataclasses.is_dataclass(report) and not isinstance(report, type):
        data = dataclasses.asdict(report)
    elif hasattr(report, "model_dump"):
        data = report.model_dump()
    else:
        data = {"summary": str(report)}
    return json.loads(json.dumps(data, default=str))


class IngestJobs:
    """Run ``ingest`` in a background thread, one at a time, and remember the recent runs."""

    def __init__(self, ingest: Callable[[], object], on_success: Callable[[], None] = lambda: None,
                 keep: int = 20):
        self._ingest = ingest
        self._on_success = on_success
        self._keep = keep
        self._jobs: dict[int, IngestJob] = {}
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None

    def start(self) -> IngestJob:
        """Start an ingest; raise :class:`IngestRunning` when one is already running."""
        with self._lock:
            running = next((job for job in self._jobs.values() if job.status == "running"), None)
            if running is not None:
                raise IngestRunning(running)
            job = IngestJob(id=max(self._jobs, default=0) + 1)
            self._jobs[job.id] = job
            for old in sorted(self._jobs)[:-self._keep]:
                del self._jobs[old]
            # Not a daemon: shutting the server down waits for the store to be written completely.
            self._thread = threading.Thread(target=self._run, args=(job,), name=f"ingest-{job.id}")
            self._thread.start()
        return job

    def _run(self, job: IngestJob) -> None:
        try:
            report = self._ingest()
            self._on_success()
        except Exception as exc:
            log.exception("Nạp lại tài liệu thất bại (lượt %d)", job.id)
            job.error = f"{type(exc).__name__}: {exc}"
            status = "failed"
        else:
            job.report = _as_dict(report)
            status = "succeeded"
        # Status last: whoever sees a finished status also sees its report and end time.
        job.finished_at = datetime.now(UTC)
        job.status = status

    def get(self, job_id: int) -> IngestJob | None:
        """A job by id, or None."""
        return self._jobs.get(job_id)

    def all(self) -> list[IngestJob]:
        """The remembered jobs, newest first."""
        return sorted(self._jobs.values(), key=lambda job: job.id, reverse=True)

    def join(self, timeout: float | None = None) -> None:
        """Wait for the running job, if any, to finish."""
        thread = self._thread
        if thread is not None:
            thread.join(timeout)
