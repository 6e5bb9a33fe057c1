"""The live engine and the background rebuild jobs of the service.

* `EngineHolder` keeps the loaded engine; a rebuild loads a new engine and swaps the reference
  under a lock, so queries use the old engine until the new one is complete.
* `BuildJobs` runs rebuild jobs in one background thread, one at a time; at most one more waits
  (uploads, corrections and deletions during a build join that waiting job).
"""
from __future__ import annotations

import logging
import threading
import time
import uuid
from collections import deque
from datetime import datetime
from pathlib import Path
from typing import Callable, Optional

from retriever.protocol import ReportEngine

from .errors import one_line
from .schemas import JobInfo

log = logging.getLogger("reportqa.api")

REBUILD_HINT = ("运行 `reportqa index` 或调用 POST /index/rebuild 构建索引 / "
                "run `reportqa index` or POST /index/rebuild to build the index")


def now() -> str:
    return datetime.now().isoformat(timespec="seconds")


# ---------------------------------------------------------------- engine holder
def default_engine_loader(index_dir: Path) -> ReportEngine:
    from retriever.engine import Engine

    return Engine.load(index_dir)


class EngineHolder:
    """The live engine; replaced as a whole (a reference swap under a lock)."""

    def __init__(self, index_dir: Path, loader: Callable[[Path], ReportEngine]):
        self.index_dir = index_dir
        self.loader = loader
        self._lock = threading.Lock()
        self._engine: Optional[ReportEngine] = None
        self.error: Optional[str] = "索引尚未加载 / index not loaded yet. " + REBUILD_HINT
        self.loaded_at: Optional[str] = None

    def get(self) -> Optional[ReportEngine]:
        with self._lock:
            return self._engine

    def load(self) -> ReportEngine:
        """Load a new engine from disk (outside the lock) and swap it in; raises on failure."""
        engine = self.loader(self.index_dir)
        with self._lock:
            self._engine = engine
            self.error = None
            self.loaded_at = now()
        return engine

    def load_initial(self) -> None:
        try:
            self.load()
            log.info("index loaded from %s", self.index_dir)
        except Exception as exc:  # the app starts anyway: healthz ok, readyz 503
            message = load_error_message(exc)
            with self._lock:
                self.error = message
            log.warning("index not loaded: %s", message)


def load_error_message(exc: BaseException) -> str:
    from indexer.store import IndexError_

    if isinstance(exc, IndexError_):
        text = one_line(exc, 400)
        return text if ("reportqa index" in text or "rebuild" in text) else f"{text} {REBUILD_HINT}"
    return f"索引加载失败 / failed to load the index: {type(exc).__name__}: {one_line(exc, 200)}. {REBUILD_HINT}"


# ---------------------------------------------------------------- background builds
def default_build(corpus_dir: Path, index_dir: Path, **kwargs) -> dict:
    from indexer.build import build_index

    return build_index(corpus_dir, index_dir, **kwargs)


class BuildBusyError(Exception):
    pass


class BuildJobs:
    """One background thread runs rebuild jobs one at a time; at most one more waits."""

    def __init__(self, corpus_dir: Path, index_dir: Path, holder: EngineHolder,
                 build_fn: Optional[Callable[..., dict]] = None, lock_wait: float = 600.0):
        self.corpus_dir, self.index_dir, self.holder = corpus_dir, index_dir, holder
        self.build_fn = build_fn
        self.lock_wait = lock_wait
        self._lock = threading.Lock()
        self._jobs: dict[str, JobInfo] = {}
        self._order: deque[str] = deque(maxlen=20)
        self._current: Optional[str] = None
        self._queued: Optional[str] = None
        self._thread: Optional[threading.Thread] = None
        self.stage: Optional[str] = None
        self.done = 0
        self.total = 0
        self.last_summary: Optional[dict] = None
        self.last_error: Optional[str] = None
        self.failed = False

    # ---- submitting
    def submit(self, reason: str, *, full: bool = False, coalesce: bool = False) -> tuple[str, bool]:
        """Start a job, or (coalesce=True) queue one behind the running job. Returns (job_id, queued)."""
        with self._lock:
            running = self._current is not None
            if running and not coalesce:
                raise BuildBusyError(self._current)
            if running and self._queued is not None:
                queued = self._jobs[self._queued]
                queued.full = queued.full or full
                if reason not in queued.reason:
                    queued.reason = f"{queued.reason}, {reason}"
                return queued.job_id, True
            job = JobInfo(job_id=f"job-{datetime.now():%Y%m%d%H%M%S}-{uuid.uuid4().hex[:6]}",
                          state="queued", reason=reason, full=full, created_at=now())
            self._jobs[job.job_id] = job
            self._order.appendleft(job.job_id)
            self._trim()
            if running:
                self._queued = job.job_id
                return job.job_id, True
            self._current = job.job_id
            self.stage, self.done, self.total = "queued", 0, 0
            self._thread = threading.Thread(target=self._worker, args=(job.job_id,), name="reportqa-build",
                                            daemon=True)
            self._thread.start()
            return job.job_id, False

    def _trim(self) -> None:
        keep = set(self._order) | {self._current, self._queued}
        for job_id in [j for j in self._jobs if j not in keep]:
            del self._jobs[job_id]

    # ---- the worker thread
    def _worker(self, job_id: Optional[str]) -> None:
        while job_id is not None:
            with self._lock:
                job = self._jobs[job_id]
                job.state, job.started_at = "running", now()
                self.failed = False
            self._run(job)
            with self._lock:  # hand over to the queued job, or stop, in one step
                job_id, self._queued = self._queued, None
                self._current = job_id
                if job_id is not None:
                    self.stage, self.done, self.total = "queued", 0, 0

    def _progress(self, stage: str, done: int, total: int) -> None:
        with self._lock:
            self.stage, self.done, self.total = str(stage), int(done), int(total)

    def _run(self, job: JobInfo) -> None:
        summary: Optional[dict] = None
        error: Optional[str] = None
        try:
            build = self.build_fn or default_build
            summary = build(self.corpus_dir, self.index_dir, full=job.full, progress=self._progress,
                            wait=self.lock_wait)
            summary = dict(summary) if isinstance(summary, dict) else {"result": summary}
            self._progress("load", 0, 1)
            self.holder.load()  # the new engine replaces the old one only when complete
            self._progress("load", 1, 1)
        except Exception as exc:
            if summary is None:
                error = f"索引构建失败 / index build failed: {one_line(exc, 400)}"
            else:
                error = f"新索引加载失败，继续使用旧索引 / new index failed to load, keeping the previous one: " \
                        f"{one_line(exc, 400)}"
            log.exception("rebuild job %s failed", job.job_id)
        with self._lock:
            job.finished_at = now()
            job.summary = summary
            job.error = error
            job.state = "failed" if error else "done"
            if summary is not None:
                self.last_summary = summary
            self.last_error = error
            self.failed = error is not None
            self.stage = "failed" if error else "done"

    # ---- reading
    def snapshot(self) -> dict:
        with self._lock:
            running = self._current is not None
            job_id = self._current or (self._order[0] if self._order else None)
            if not running:  # the newest job that ran
                job_id = next((j for j in self._order if self._jobs[j].state in ("done", "failed")), job_id)
            return {
                "state": "running" if running else ("failed" if self.failed else "idle"),
                "job_id": job_id,
                "queued_job_id": self._queued,
                "stage": self.stage,
                "done": self.done,
                "total": self.total,
                "progress": (round(self.done / self.total, 4) if self.total else None),
                "last_summary": self.last_summary,
                "last_error": self.last_error,
                "jobs": [self._jobs[j].model_copy() for j in self._order if j in self._jobs],
            }

    @property
    def running(self) -> bool:
        with self._lock:
            return self._current is not None

    def wait(self, timeout: float = 10.0) -> bool:
        """Wait until no job runs (tests, shutdown); True when idle."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if not self.running:
                return True
            time.sleep(0.02)
        return not self.running
