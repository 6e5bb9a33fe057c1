"""The ReportQA HTTP service (contract: shared/docs/contract.md, section "HTTP").

`create_app(index_dir, corpus_dir, admin_token)` builds the FastAPI application:

* the answering engine is loaded once at startup and kept in an `EngineHolder`; a background
  rebuild loads a new engine and swaps the reference under a lock, so queries use the old
  engine until the new one is complete and never see a half-loaded one;
* rebuilds run in one background thread, one at a time (`BuildJobs`);
* every error, including FastAPI's validation errors, 404/405 and unexpected exceptions, is
  answered as `{"error": {"code", "message"}}`; a bad request is always a 4xx, never a 500;
* admin requests (`POST /reports`, `POST /index/rebuild`) need `Authorization: Bearer <token>`;
  without a configured token they are refused;
* the chat page and its two assets are served from `api/web/` by name (no directory access);
* `/docs` works offline (`api/web/apidocs.py`): Swagger UI from the `fastapi-offline` package's
  files when it is installed, else a self-contained reference page rendered from `app.openapi()`.

Limits are module constants: `MAX_JSON_BYTES` for JSON request bodies, `MAX_UPLOAD_BYTES` for
one uploaded report (checked while the upload streams in), `MAX_QUESTION_CHARS` for questions.
"""
from __future__ import annotations

import hashlib
import hmac
import logging
import os
import re
import threading
import time
import unicodedata
import uuid
from collections import deque
from contextlib import asynccontextmanager
from datetime import datetime
from pathlib import Path
from typing import Any, Callable, Literal, Optional

from fastapi import Depends, FastAPI, Query, Request
from fastapi.exceptions import RequestValidationError
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.responses import FileResponse, HTMLResponse, JSONResponse, Response
from pydantic import BaseModel, ConfigDict, Field, field_validator
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.routing import Match

from indexer.fsutil import fsync_dir, sha256_file
from indexer.models import AskResponse, Citation

from .web import apidocs

log = logging.getLogger("reportqa.api")

# ---------------------------------------------------------------- limits (documented constants)
MAX_JSON_BYTES = 64 * 1024  # request body of every JSON endpoint
MAX_UPLOAD_BYTES = 20 * 1024 * 1024  # one uploaded report file
MAX_UPLOAD_OVERHEAD = 64 * 1024  # multipart headers and other form fields around the file
MAX_QUESTION_CHARS = 500  # after trimming
MAX_CLAIM_CHARS = 1000
MAX_TOP_K = 20
MAX_SEARCH_K = 50
MAX_FILENAME_CHARS = 120
UPLOAD_SUFFIXES = (".txt", ".md", ".markdown", ".pdf")
BUILD_LOCK_WAIT = 600.0  # seconds a job waits for a build started elsewhere (e.g. `reportqa index`)
ADMIN_ENV = "REPORTQA_ADMIN_TOKEN"
WEB_DIR = Path(__file__).resolve().parent / "web"
WEB_FILES = {"index.html": "text/html; charset=utf-8", "app.js": "text/javascript; charset=utf-8",
             "style.css": "text/css; charset=utf-8"}
REBUILD_HINT = ("运行 `reportqa index` 或调用 POST /index/rebuild 构建索引 / "
                "run `reportqa index` or POST /index/rebuild to build the index")
PAGE_CSP = ("default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
            "connect-src 'self'; object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'self'")


# ---------------------------------------------------------------- errors
class ApiError(Exception):
    """Raised anywhere in a handler; answered as the contract's error shape."""

    def __init__(self, status: int, code: str, message: str, headers: Optional[dict] = None):
        super().__init__(message)
        self.status, self.code, self.message, self.headers = status, code, message, headers


def error_body(code: str, message: str) -> dict:
    return {"error": {"code": code, "message": message}}


def error_response(status: int, code: str, message: str, headers: Optional[dict] = None) -> JSONResponse:
    return JSONResponse(error_body(code, message), status_code=status, headers=headers)


class ErrorDetail(BaseModel):
    code: str
    message: str


class ErrorResponse(BaseModel):
    error: ErrorDetail


_HTTP_CODES = {
    400: ("bad_request", "请求无效 / bad request"),
    401: ("unauthorized", "需要管理令牌 / admin token required"),
    403: ("forbidden", "禁止访问 / forbidden"),
    404: ("not_found", "未找到 / not found"),
    405: ("method_not_allowed", "不支持该请求方法 / method not allowed"),
    406: ("not_acceptable", "无法提供所请求的格式 / not acceptable"),
    409: ("conflict", "冲突 / conflict"),
    413: ("payload_too_large", "请求体过大 / request body too large"),
    415: ("unsupported_media_type", "不支持的内容类型 / unsupported media type"),
    422: ("invalid_request", "请求参数无效 / invalid request"),
    429: ("too_many_requests", "请求过多 / too many requests"),
    503: ("unavailable", "服务暂不可用 / service unavailable"),
}

# zh / en wording of pydantic's error types (message templates use the error's ctx)
_VALIDATION_TEXT = {
    "missing": ("缺少必填字段", "field required"),
    "string_type": ("应为字符串", "must be a string"),
    "int_type": ("应为整数", "must be an integer"),
    "int_parsing": ("应为整数", "must be an integer"),
    "int_from_float": ("应为整数", "must be an integer"),
    "float_type": ("应为数字", "must be a number"),
    "float_parsing": ("应为数字", "must be a number"),
    "bool_type": ("应为 true 或 false", "must be true or false"),
    "bool_parsing": ("应为 true 或 false", "must be true or false"),
    "greater_than_equal": ("不能小于 {ge}", "must be >= {ge}"),
    "greater_than": ("必须大于 {gt}", "must be > {gt}"),
    "less_than_equal": ("不能大于 {le}", "must be <= {le}"),
    "less_than": ("必须小于 {lt}", "must be < {lt}"),
    "string_too_short": ("至少 {min_length} 个字符", "must have at least {min_length} characters"),
    "string_too_long": ("最多 {max_length} 个字符", "must have at most {max_length} characters"),
    "model_attributes_type": ("请求体应为 JSON 对象", "body must be a JSON object"),
    "model_type": ("请求体应为 JSON 对象", "body must be a JSON object"),
    "dict_type": ("应为 JSON 对象", "must be a JSON object"),
    "list_type": ("应为列表", "must be a list"),
    "literal_error": ("取值无效", "invalid value"),
    "enum": ("取值无效", "invalid value"),
    "extra_forbidden": ("不允许的字段", "unknown field"),
}


def _one_line(text: Any, limit: int = 300) -> str:
    text = " ".join(str(text).split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _describe_validation(errors: list[dict]) -> tuple[int, str, str]:
    """(status, code, message) for FastAPI's RequestValidationError list."""
    if any(e.get("type") == "json_invalid" for e in errors):
        e = next(e for e in errors if e.get("type") == "json_invalid")
        detail = _one_line((e.get("ctx") or {}).get("error", ""), 120)
        return 400, "invalid_json", "请求体不是有效的 JSON / malformed JSON body" + (f": {detail}" if detail else "")
    if any(e.get("type") == "missing" and tuple(e.get("loc", ())) == ("body",) for e in errors):
        return 400, "missing_body", "缺少 JSON 请求体 / a JSON request body is required"
    parts = []
    for e in errors[:3]:
        loc = [str(p) for p in e.get("loc", ()) if p not in ("body", "query", "path", "header")]
        where = ".".join(loc) or "请求体/body"
        kind = e.get("type", "")
        ctx = e.get("ctx") or {}
        if kind == "value_error" and "error" in ctx:
            text = _one_line(ctx["error"], 200)  # our validators already speak zh / en
        elif kind in _VALIDATION_TEXT:
            zh, en = _VALIDATION_TEXT[kind]
            try:
                text = f"{zh.format(**ctx)} / {en.format(**ctx)}"
            except (KeyError, IndexError):
                text = f"{zh} / {en}"
        else:
            text = f"参数无效 / invalid value ({_one_line(e.get('msg', kind), 120)})"
        parts.append(f"{where}: {text}")
    if len(errors) > 3:
        parts.append(f"…(+{len(errors) - 3})")
    return 422, "invalid_request", "; ".join(parts) or "请求参数无效 / invalid request"


# ---------------------------------------------------------------- API models
def _clean_text(value: Any, field: str, limit: int, zh_name: str) -> str:
    if not isinstance(value, str):
        raise ValueError(f"{zh_name}应为字符串 / {field} must be a string")
    if any("\ud800" <= ch <= "\udfff" for ch in value):
        raise ValueError(f"{zh_name}含无效的 Unicode 字符 / {field} contains invalid Unicode (lone surrogate)")
    # control characters become spaces; invisible format characters (zero-width spaces, BOM, bidi
    # overrides) are dropped so they can neither split a name nor be echoed back into an answer
    value = "".join(" " if unicodedata.category(ch) == "Cc" and ch not in "\t\n" else ch for ch in value
                    if unicodedata.category(ch) != "Cf").strip()
    if not value:
        raise ValueError(f"{zh_name}不能为空 / {field} must not be empty")
    if len(value) > limit:
        raise ValueError(f"{zh_name}过长（最多 {limit} 字，实际 {len(value)} 字）/ "
                         f"{field} too long (at most {limit} characters, got {len(value)})")
    return value


def _strict_int(value: Any, field: str) -> Any:
    if isinstance(value, bool) or isinstance(value, str):
        raise ValueError(f"{field} 应为整数 / {field} must be an integer")
    return value


class AskBody(BaseModel):
    """`POST /ask` request (the contract's shape; `indexer.models.AskRequest` plus limits)."""

    question: str = Field(..., description=f"问题，去除首尾空白后 1–{MAX_QUESTION_CHARS} 字",
                          examples=["汉阳区大数据中心2021年项目支出多少"])
    top_k: int = Field(5, ge=1, le=MAX_TOP_K, description="返回的引用段落数 1–20")
    report_id: Optional[str] = Field(None, max_length=200, description="只在该报告中回答")
    year: Optional[int] = Field(None, ge=1900, le=2200, description="年度过滤")
    unit: Optional[str] = Field(None, max_length=100, description="单位名称过滤，如 汉阳区大数据中心")

    @field_validator("question", mode="before")
    @classmethod
    def _question(cls, v: Any) -> str:
        return _clean_text(v, "question", MAX_QUESTION_CHARS, "问题")

    @field_validator("top_k", "year", mode="before")
    @classmethod
    def _ints(cls, v: Any, info) -> Any:
        return _strict_int(v, info.field_name)

    @field_validator("report_id", "unit", mode="before")
    @classmethod
    def _optional_text(cls, v: Any, info) -> Any:
        if v is None:
            return None
        if not isinstance(v, str):
            raise ValueError(f"{info.field_name} 应为字符串 / {info.field_name} must be a string")
        if any("\ud800" <= ch <= "\udfff" for ch in v):
            raise ValueError(f"{info.field_name} 含无效的 Unicode 字符 / {info.field_name} contains invalid Unicode")
        return v.strip() or None


class VerifyBody(BaseModel):
    claim: str = Field(..., description=f"待核对的陈述，1–{MAX_CLAIM_CHARS} 字",
                       examples=["汉阳区大数据中心2021年项目支出2,399.30万元"])

    @field_validator("claim", mode="before")
    @classmethod
    def _claim(cls, v: Any) -> str:
        return _clean_text(v, "claim", MAX_CLAIM_CHARS, "陈述")


class _Open(BaseModel):
    model_config = ConfigDict(extra="allow")  # the engine may add fields; they pass through


class ReportRef(_Open):
    report_id: str
    unit_name: Optional[str] = None
    region: Optional[str] = None
    year: Optional[int] = None
    source_file: str = ""


class ReportInfo(ReportRef):
    sections: int = 0
    tables: int = 0
    rows: int = 0
    chunks: int = 0
    facts: int = 0
    indexed_at: Optional[str] = None


class PassageResponse(_Open):
    citation: Citation
    prev_chunk_id: Optional[str] = None
    next_chunk_id: Optional[str] = None
    report: ReportRef


class VerifiedNumber(_Open):
    """One number of the claim, checked against the reports."""

    value: float = Field(..., description="the number as the claim states it")
    unit: Optional[str] = Field(None, description="its unit as written in the claim (万元, %, 人…), if any")
    status: Literal["supported", "contradicted", "not_found"] = Field(
        ..., description="supported: the reports state this value for the concept; contradicted: they state "
                         "another value (see `stated`); not_found: no figure for the concept")
    stated: Optional[float] = Field(None, description="when contradicted: the value the report states")
    citations: list[Citation] = Field(default_factory=list,
                                      description="the supporting passages, or the contradicting one")


class VerifyResponse(_Open):
    claim: str
    supported: Optional[bool] = Field(
        None, description="true: every number supported; false: at least one contradicted; "
                          "null: nothing could be checked (no number, no matching report, or no figure found)")
    numbers: list[VerifiedNumber] = Field(default_factory=list)
    reason: Optional[str] = Field(None, description="why nothing could be checked, when `supported` is null")


class JobAccepted(BaseModel):
    job_id: str
    status_url: str = "/index/status"
    queued: bool = Field(False, description="true when the job waits for the build that is running")


class UploadAccepted(JobAccepted):
    stored_as: str = Field(..., description="file name in the corpus (sanitised)")
    status: Literal["stored", "replaced", "unchanged"]
    size: int
    sha256: str
    report: dict = Field(default_factory=dict, description="what the parser recognised: report_id, unit, year…")
    warnings: list[str] = Field(default_factory=list)


class JobInfo(BaseModel):
    job_id: str
    state: Literal["queued", "running", "done", "failed"]
    reason: str = ""
    full: bool = False
    created_at: str
    started_at: Optional[str] = None
    finished_at: Optional[str] = None
    summary: Optional[dict] = None
    error: Optional[str] = None


class IndexStatus(BaseModel):
    state: Literal["idle", "running", "failed"]
    job_id: Optional[str] = Field(None, description="the running job, else the last one")
    queued_job_id: Optional[str] = None
    stage: Optional[str] = None
    done: int = 0
    total: int = 0
    progress: Optional[float] = Field(None, description="0–1 within the current stage")
    last_summary: Optional[dict] = None
    last_error: Optional[str] = None
    ready: bool
    model: Optional[str] = None
    version: Optional[str] = None
    counts: dict = Field(default_factory=dict)
    jobs: list[JobInfo] = Field(default_factory=list, description="recent jobs, newest first")


class Health(BaseModel):
    status: Literal["ok"] = "ok"
    ready: bool


class Ready(BaseModel):
    status: Literal["ready"] = "ready"
    model: Optional[str] = None
    version: Optional[str] = None


# ---------------------------------------------------------------- engine holder
def default_engine_loader(index_dir: Path):
    from retriever.engine import Engine

    return Engine.load(index_dir)


class EngineHolder:
    """The live engine; replaced as a whole (a reference swap under a lock)."""

    def __init__(self, index_dir: Path, loader: Callable[[Path], Any]):
        self.index_dir = index_dir
        self.loader = loader
        self._lock = threading.Lock()
        self._engine = None
        self.error: Optional[str] = "索引尚未加载 / index not loaded yet. " + REBUILD_HINT
        self.loaded_at: Optional[str] = None

    def get(self):
        with self._lock:
            return self._engine

    def load(self) -> Any:
        """Load a new engine from disk (outside the lock) and swap it in; raises on failure."""
        engine = self.loader(self.index_dir)
        with self._lock:
            self._engine = engine
            self.error = None
            self.loaded_at = _now()
        return engine

    def load_initial(self) -> None:
        try:
            self.load()
            log.info("index loaded from %s", self.index_dir)
        except Exception as exc:  # the app starts anyway: healthz ok, readyz 503
            message = _load_error_message(exc)
            with self._lock:
                self.error = message
            log.warning("index not loaded: %s", message)


def _load_error_message(exc: BaseException) -> str:
    try:
        from indexer.store import IndexError_
    except Exception:  # pragma: no cover - indexer always importable in the package
        IndexError_ = ()  # type: ignore[assignment]
    if IndexError_ and isinstance(exc, IndexError_):
        text = _one_line(exc, 400)
        return text if ("reportqa index" in text or "rebuild" in text) else f"{text} {REBUILD_HINT}"
    return f"索引加载失败 / failed to load the index: {type(exc).__name__}: {_one_line(exc, 200)}. {REBUILD_HINT}"


def _now() -> str:
    return datetime.now().isoformat(timespec="seconds")


# ---------------------------------------------------------------- background builds
def default_build(corpus_dir: Path, index_dir: Path, **kwargs) -> dict:
    from indexer.build import build_index

    return build_index(corpus_dir, index_dir, **kwargs)


class BuildBusyError(Exception):
    pass


class BuildJobs:
    """One background thread runs rebuild jobs one at a time; at most one more waits."""

    def __init__(self, corpus_dir: Path, index_dir: Path, holder: EngineHolder,
                 build_fn: Optional[Callable[..., dict]] = None):
        self.corpus_dir, self.index_dir, self.holder = corpus_dir, index_dir, holder
        self.build_fn = build_fn
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
                          state="queued", reason=reason, full=full, created_at=_now())
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
                job.state, job.started_at = "running", _now()
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
                            wait=BUILD_LOCK_WAIT)
            summary = dict(summary) if isinstance(summary, dict) else {"result": summary}
            self._progress("load", 0, 1)
            self.holder.load()  # the new engine replaces the old one only when complete
            self._progress("load", 1, 1)
        except Exception as exc:
            if summary is None:
                error = f"索引构建失败 / index build failed: {_one_line(exc, 400)}"
            else:
                error = f"新索引加载失败，继续使用旧索引 / new index failed to load, keeping the previous one: " \
                        f"{_one_line(exc, 400)}"
            log.exception("rebuild job %s failed", job.job_id)
        with self._lock:
            job.finished_at = _now()
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


# ---------------------------------------------------------------- pure ASGI middleware
class CatchAllMiddleware:
    """Any unexpected exception → 500 with the error shape and a generic message (traceback logged)."""

    def __init__(self, app):
        self.app = app

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        started = False

        async def _send(message):
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, receive, _send)
        except Exception:
            log.exception("unhandled error in %s %s", scope.get("method"), scope.get("path"))
            if started:
                raise
            response = error_response(500, "internal_error",
                                      "服务器内部错误，请稍后重试 / internal server error, please retry later")
            await response(scope, receive, send)


class BodyLimitMiddleware:
    """JSON endpoints: refuse bodies above MAX_JSON_BYTES with 413 (Content-Length or counted).

    The upload endpoint enforces its own, larger limit while it streams the file."""

    def __init__(self, app, limit: int = MAX_JSON_BYTES, exempt: tuple[tuple[str, str], ...] = ()):
        self.app, self.limit, self.exempt = app, limit, set(exempt)

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http" or (scope.get("method"), scope.get("path")) in self.exempt:
            return await self.app(scope, receive, send)
        too_large = error_response(413, "payload_too_large",
                                   f"请求体过大（上限 {self.limit // 1024} KB）/ request body too large "
                                   f"(limit {self.limit // 1024} KB)")
        for name, value in scope.get("headers", ()):
            if name == b"content-length":
                try:
                    if int(value) > self.limit:
                        return await too_large(scope, receive, send)
                except ValueError:
                    return await error_response(400, "bad_request", "Content-Length 无效 / invalid Content-Length")(
                        scope, receive, send)
        # Read the whole (small) body first, counting; then replay it to the app.
        chunks, size = [], 0
        while True:
            message = await receive()
            if message["type"] == "http.disconnect":
                return
            body = message.get("body", b"")
            size += len(body)
            if size > self.limit:
                return await too_large(scope, receive, send)
            chunks.append(body)
            if not message.get("more_body", False):
                break
        replay = [{"type": "http.request", "body": b"".join(chunks), "more_body": False}]

        async def _receive():
            if replay:
                return replay.pop()
            return await receive()

        await self.app(scope, _receive, send)


# ---------------------------------------------------------------- uploads
_SAFE_PUNCT = set("-_.()（）【】[]·+，,、")


def clean_filename(raw: Optional[str]) -> str:
    """Validate an uploaded file name and return the sanitised name it is stored under.

    Refused (ApiError 400/415): empty, NUL or control characters, path separators, `..`,
    hidden names (leading dot), unsupported extensions. Other unusual characters become `_`."""
    if raw is None or not raw.strip():
        raise ApiError(400, "invalid_filename", "缺少文件名 / the uploaded file has no name")
    name = unicodedata.normalize("NFC", raw).strip()
    shown = _one_line(name.replace("\x00", "\\0"), 80)
    if any(unicodedata.category(ch) in ("Cc", "Cf") for ch in name):
        raise ApiError(400, "invalid_filename", f"文件名含控制字符 / file name contains control characters: {shown!r}")
    if "/" in name or "\\" in name:
        raise ApiError(400, "invalid_filename",
                       f"文件名不能包含路径分隔符 / file name must not contain path separators: {shown!r}")
    if ".." in name:
        raise ApiError(400, "invalid_filename", f"文件名不能包含 '..' / file name must not contain '..': {shown!r}")
    if name.startswith("."):
        raise ApiError(400, "invalid_filename", f"不接受隐藏文件（以点开头）/ hidden file names are not accepted: {shown!r}")
    stem, ext = os.path.splitext(name)
    ext = ext.lower()
    if ext not in UPLOAD_SUFFIXES:
        raise ApiError(415, "unsupported_type",
                       f"不支持的文件类型 {ext or '(无扩展名)'}，只接受 .txt、.md、.pdf / unsupported file type "
                       f"{ext or '(no extension)'}; accepted: .txt, .md, .pdf")
    stem = "".join(ch if (ch.isalnum() or ch in _SAFE_PUNCT) else "_" for ch in stem)
    stem = re.sub(r"_{2,}", "_", stem).strip("._ -")
    stem = stem[:MAX_FILENAME_CHARS] or "upload"
    while len((stem + ext).encode("utf-8")) > 240:
        stem = stem[:-1]
    return stem + ext


def _decode_header_param(options: dict, key: bytes) -> Optional[str]:
    """A Content-Disposition parameter; browsers send UTF-8 bytes (RFC 7578 forbids `filename*`)."""
    value = options.get(key)
    if value is None:
        return None
    try:
        return value.decode("utf-8")
    except UnicodeDecodeError:
        return value.decode("latin-1")


async def read_upload(request: Request) -> tuple[str, str, bytes]:
    """Stream a multipart body; returns (name as sent, sanitised name, file bytes).

    The size limit is enforced while the body arrives: nothing beyond MAX_UPLOAD_BYTES is kept."""
    from python_multipart.exceptions import FormParserError
    from python_multipart.multipart import MultipartParser, parse_options_header

    ctype, params = parse_options_header(request.headers.get("content-type", ""))
    if ctype != b"multipart/form-data" or not params.get(b"boundary"):
        raise ApiError(415, "unsupported_media_type",
                       "上传须为 multipart/form-data，文件字段名为 file / upload must be multipart/form-data "
                       "with a field named 'file'")
    too_large = ApiError(413, "file_too_large",
                         f"文件过大（上限 {MAX_UPLOAD_BYTES // (1024 * 1024)} MB）/ file too large "
                         f"(limit {MAX_UPLOAD_BYTES // (1024 * 1024)} MB)")
    length = request.headers.get("content-length")
    if length is not None:
        try:
            if int(length) > MAX_UPLOAD_BYTES + MAX_UPLOAD_OVERHEAD:
                raise too_large
        except ValueError:
            raise ApiError(400, "bad_request", "Content-Length 无效 / invalid Content-Length") from None

    state: dict[str, Any] = {"headers": [], "field": b"", "value": b"", "part": None, "other": 0,
                             "raw_name": None, "name": None, "data": bytearray(), "files": 0, "done": False}

    def on_part_begin():
        state["headers"], state["part"] = [], None

    def on_header_field(data, start, end):
        state["field"] += data[start:end]

    def on_header_value(data, start, end):
        state["value"] += data[start:end]

    def on_header_end():
        state["headers"].append((state["field"].lower(), state["value"]))
        state["field"], state["value"] = b"", b""

    def on_headers_finished():
        disposition = next((v for k, v in state["headers"] if k == b"content-disposition"), b"")
        _, options = parse_options_header(disposition)
        field = _decode_header_param(options, b"name")
        has_file = b"filename" in options
        if field == "file" and has_file:
            state["files"] += 1
            if state["files"] > 1:
                raise ApiError(400, "bad_upload", "一次只能上传一个文件 / upload one file at a time")
            raw = _decode_header_param(options, b"filename")
            state["raw_name"] = raw
            state["name"] = clean_filename(raw)  # refuse a bad name before reading the data
            state["part"] = "file"
        else:
            state["part"] = "other"

    def on_part_data(data, start, end):
        n = end - start
        if state["part"] == "file":
            if len(state["data"]) + n > MAX_UPLOAD_BYTES:
                raise too_large
            state["data"] += data[start:end]
        else:
            state["other"] += n
            if state["other"] > MAX_UPLOAD_OVERHEAD:
                raise ApiError(413, "payload_too_large", "表单字段过大 / form fields too large")

    def on_part_end():
        state["part"] = None

    def on_end():
        state["done"] = True

    parser = MultipartParser(params[b"boundary"], {
        "on_part_begin": on_part_begin, "on_part_data": on_part_data, "on_part_end": on_part_end,
        "on_header_field": on_header_field, "on_header_value": on_header_value,
        "on_header_end": on_header_end, "on_headers_finished": on_headers_finished, "on_end": on_end,
    })
    received = 0
    try:
        async for chunk in request.stream():
            received += len(chunk)
            if received > MAX_UPLOAD_BYTES + MAX_UPLOAD_OVERHEAD:
                raise too_large
            parser.write(chunk)
        parser.finalize()
    except FormParserError as exc:
        raise ApiError(400, "bad_upload", f"multipart 数据无效 / invalid multipart body: {_one_line(exc, 120)}") from None
    if state["name"] is None:
        raise ApiError(400, "bad_upload", "缺少文件字段 file / missing multipart file field 'file'")
    if not state["done"]:
        raise ApiError(400, "bad_upload", "multipart 数据不完整 / incomplete multipart body")
    return state["raw_name"], state["name"], bytes(state["data"])


class CorpusStore:
    """Writes uploads into the corpus atomically (hidden temp file + link/rename)."""

    def __init__(self, corpus_dir: Path):
        self.corpus_dir = corpus_dir
        self._lock = threading.Lock()

    def _same_content(self, data: bytes, digest: str, exclude: Path) -> Optional[Path]:
        if not self.corpus_dir.is_dir():
            return None
        for p in sorted(self.corpus_dir.rglob("*")):
            if (p.is_file() and not p.name.startswith(".") and p.suffix.lower() in UPLOAD_SUFFIXES
                    and p.resolve() != exclude.resolve() and p.stat().st_size == len(data)
                    and sha256_file(p) == digest):
                return p
        return None

    def store(self, name: str, data: bytes, replace: bool) -> str:
        digest = hashlib.sha256(data).hexdigest()
        target = self.corpus_dir / name
        with self._lock:
            self.corpus_dir.mkdir(parents=True, exist_ok=True)
            exists = target.exists() or target.is_symlink()
            if exists:
                if target.is_symlink() or not target.is_file():
                    raise ApiError(409, "file_exists", f"语料中已有同名项目 / corpus already has an entry named {name}")
                if sha256_file(target) == digest:
                    return "unchanged"
                if not replace:
                    raise ApiError(409, "file_exists",
                                   f"语料中已有同名但内容不同的文件 {name}；如需覆盖请加 ?replace=true / a different "
                                   f"file named {name} already exists; add ?replace=true to overwrite it")
            other = self._same_content(data, digest, target)
            if other is not None:
                rel = other.relative_to(self.corpus_dir)
                raise ApiError(409, "duplicate_content",
                               f"相同内容的文件已存在：{rel} / the same file is already in the corpus as {rel}")
            tmp = self.corpus_dir / f".upload-{uuid.uuid4().hex}.part"  # hidden: builders skip it
            try:
                with open(tmp, "wb") as f:
                    f.write(data)
                    f.flush()
                    os.fsync(f.fileno())
                if exists:
                    os.replace(tmp, target)
                else:
                    try:
                        os.link(tmp, target)  # never overwrites: fails if the name appeared meanwhile
                    except FileExistsError:
                        raise ApiError(409, "file_exists", f"同名文件刚被写入 / a file named {name} was just stored")
                    except OSError:  # filesystems without hard links
                        if target.exists():
                            raise ApiError(409, "file_exists", f"同名文件刚被写入 / a file named {name} was just stored")
                        os.replace(tmp, target)
            finally:
                tmp.unlink(missing_ok=True)
            fsync_dir(self.corpus_dir)
            return "replaced" if exists else "stored"


def _check_report(data: bytes, name: str) -> tuple[dict, list[str]]:
    """Type by content (reader) and a trial parse; runs in a worker thread."""
    from indexer.readers import ReaderError, read_bytes

    try:
        doc = read_bytes(data, name)
    except ReaderError as exc:
        raise ApiError(422, "unreadable_file", _one_line(exc, 300)) from None
    info: dict = {"kind": doc.kind, "lines": len(doc.lines)}
    warnings: list[str] = []
    try:
        from indexer.parser import parse_document
    except ImportError:
        return info, warnings
    try:
        parsed = parse_document(doc)
    except Exception as exc:
        log.warning("uploaded %s does not parse: %r", name, exc)
        raise ApiError(422, "unparseable_report",
                       f"无法解析该报告 / the report cannot be parsed: {type(exc).__name__}") from None
    meta = parsed.report
    info.update({"report_id": meta.report_id, "unit_name": meta.unit_name, "region": meta.region,
                 "year": meta.year, "tables": len(parsed.tables), "facts": len(parsed.facts)})
    if not meta.unit_name or not meta.year:
        warnings.append("未能识别单位名称或年度 / unit name or year not recognised")
    if not parsed.tables:
        warnings.append("未识别出任何决算表 / no final-accounts tables recognised")
    return info, warnings


# ---------------------------------------------------------------- the app
_ERR = {"model": ErrorResponse}


def create_app(index_dir: Path, corpus_dir: Path, admin_token: Optional[str],
               engine_loader: Optional[Callable[[Path], Any]] = None, *,
               build_fn: Optional[Callable[..., dict]] = None) -> FastAPI:
    """The ReportQA FastAPI app. `build_fn` defaults to `indexer.build.build_index` (tests pass a fake)."""
    index_dir, corpus_dir = Path(index_dir), Path(corpus_dir)
    token = admin_token or None
    holder = EngineHolder(index_dir, engine_loader or default_engine_loader)
    jobs = BuildJobs(corpus_dir, index_dir, holder, build_fn)
    corpus = CorpusStore(corpus_dir)

    @asynccontextmanager
    async def lifespan(app: FastAPI):
        await run_in_threadpool(holder.load_initial)
        yield
        if jobs.running:
            log.info("shutting down while a rebuild runs; the previous index stays live")

    app = FastAPI(
        title="ReportQA 决算问答",
        version="1",
        description="Offline question answering over Chinese government final-accounts reports (部门决算). "
                    "Errors are `{\"error\": {\"code\", \"message\"}}`. Admin endpoints need "
                    "`Authorization: Bearer $REPORTQA_ADMIN_TOKEN`.",
        lifespan=lifespan,
        responses={400: _ERR, 422: _ERR, 500: _ERR},
        docs_url=None,  # FastAPI's own pages load Swagger UI / ReDoc from a CDN; ours are offline (below)
        redoc_url=None,
    )
    app.state.holder, app.state.jobs, app.state.corpus = holder, jobs, corpus
    app.state.index_dir, app.state.corpus_dir = index_dir, corpus_dir
    app.add_middleware(BodyLimitMiddleware, limit=MAX_JSON_BYTES, exempt=(("POST", "/reports"),))
    app.add_middleware(CatchAllMiddleware)

    # ---- error shapes
    @app.exception_handler(ApiError)
    async def _api_error(request: Request, exc: ApiError):
        return error_response(exc.status, exc.code, exc.message, exc.headers)

    @app.exception_handler(RequestValidationError)
    async def _validation_error(request: Request, exc: RequestValidationError):
        errors = list(exc.errors())
        ctype = request.headers.get("content-type", "")
        if (request.method in ("POST", "PUT", "PATCH") and ctype and "json" not in ctype.lower()
                and any(e.get("type") in ("model_attributes_type", "model_type") for e in errors)):
            return error_response(415, "unsupported_media_type",
                                  "请求体须为 JSON（Content-Type: application/json）/ "
                                  "the body must be JSON (Content-Type: application/json)")
        status, code, message = _describe_validation(errors)
        return error_response(status, code, message)

    @app.exception_handler(StarletteHTTPException)
    async def _http_error(request: Request, exc: StarletteHTTPException):
        code, default = _HTTP_CODES.get(exc.status_code, ("error", "请求失败 / request failed"))
        if exc.status_code >= 500:
            code, default = "internal_error", "服务器内部错误 / internal server error"
        detail = exc.detail if isinstance(exc.detail, str) else ""
        generic = not detail or detail.lower() in default.lower() or exc.status_code >= 500
        message = default if generic else f"{default}: {_one_line(detail, 200)}"
        if exc.status_code == 404:
            message = f"未找到 / not found: {_one_line(request.url.path, 120)}"
        headers = dict(getattr(exc, "headers", None) or {})
        if exc.status_code == 405:  # every method the path accepts, across all its routes
            scope = {"type": "http", "path": request.url.path, "method": request.method}
            methods = sorted({m for r in request.app.routes if getattr(r, "methods", None)
                              and r.matches(scope)[0] != Match.NONE for m in r.methods})
            if methods:
                headers["Allow"] = ", ".join(methods)
        return error_response(exc.status_code, code, message, headers or None)

    # ---- helpers
    def require_engine():
        engine = holder.get()
        if engine is None:
            message = holder.error or REBUILD_HINT
            if jobs.running:
                message = f"索引正在构建中，请稍候 / the index is being built, retry shortly. {message}"
            raise ApiError(503, "index_not_ready", message, {"Retry-After": "5"})
        return engine

    def require_admin(request: Request) -> None:
        if not token:
            raise ApiError(403, "admin_disabled",
                           f"管理功能未启用：请设置环境变量 {ADMIN_ENV} 后重启服务 / admin requests are refused: "
                           f"set {ADMIN_ENV} and restart the service")
        auth = request.headers.get("authorization", "")
        scheme, _, given = auth.partition(" ")
        if scheme.lower() != "bearer" or not given.strip():
            raise ApiError(401, "unauthorized", "缺少管理令牌：请使用 Authorization: Bearer <token> / "
                                               "admin token missing: send Authorization: Bearer <token>",
                           {"WWW-Authenticate": "Bearer"})
        if not hmac.compare_digest(given.strip().encode("utf-8"), token.encode("utf-8")):
            raise ApiError(401, "unauthorized", "管理令牌错误 / wrong admin token",
                           {"WWW-Authenticate": 'Bearer error="invalid_token"'})

    # ---- query endpoints
    @app.post("/ask", response_model=AskResponse, tags=["query"],
              responses={413: _ERR, 415: _ERR, 503: _ERR}, summary="回答一个问题 / answer a question")
    def ask(body: AskBody) -> AskResponse:
        engine = require_engine()
        t0 = time.perf_counter()
        result = engine.ask(body.question, top_k=body.top_k, report_id=body.report_id,
                            year=body.year, unit=body.unit)
        if not isinstance(result, AskResponse):
            result = AskResponse.model_validate(result)
        result.timing_ms.setdefault("total", round((time.perf_counter() - t0) * 1000, 2))
        return result

    @app.get("/search", response_model=list[Citation], tags=["query"], responses={503: _ERR},
             summary="引用检索 / passages that best match q")
    def search(q: str = Query(..., description=f"检索词，去除首尾空白后 1–{MAX_QUESTION_CHARS} 字"),
               k: int = Query(10, ge=1, le=MAX_SEARCH_K),
               report_id: Optional[str] = Query(None, max_length=200)) -> list[Citation]:
        q = _validated(lambda: _clean_text(q, "q", MAX_QUESTION_CHARS, "检索词"), "q")
        engine = require_engine()
        return [c if isinstance(c, Citation) else Citation.model_validate(c)
                for c in engine.search(q, k=k, report_id=(report_id or "").strip() or None)]

    @app.get("/passages/{chunk_id:path}", response_model=PassageResponse, tags=["query"],
             responses={404: _ERR, 503: _ERR}, summary="一个段落及其前后段 / one passage with its neighbours")
    def passage(chunk_id: str):
        engine = require_engine()
        found = engine.passage(chunk_id) if 0 < len(chunk_id) <= 300 else None
        if not found:
            raise ApiError(404, "not_found", f"未找到该段落 / passage not found: {_one_line(chunk_id, 80)}")
        return found

    @app.get("/reports", response_model=list[ReportInfo], tags=["reports"], responses={503: _ERR},
             summary="已索引的报告 / every indexed report")
    def reports():
        return require_engine().reports()

    @app.post("/verify", response_model=VerifyResponse, tags=["query"],
              responses={413: _ERR, 415: _ERR, 503: _ERR},
              summary="核对陈述中的数字 / check the figures of a claim")
    def verify(body: VerifyBody) -> VerifyResponse:
        result = require_engine().verify(body.claim)
        result = result if isinstance(result, VerifyResponse) else VerifyResponse.model_validate(result)
        if result.supported is None and not result.numbers and not result.reason:
            result.reason = "陈述中没有可核对的数字（如“项目支出2,399.30万元”）/ the claim states no figure to check"
        return result

    # ---- admin endpoints
    @app.post("/reports", status_code=202, response_model=UploadAccepted, tags=["admin"],
              dependencies=[Depends(require_admin)],
              responses={401: _ERR, 403: _ERR, 409: _ERR, 413: _ERR, 415: _ERR},
              summary="上传报告并增量重建索引 / upload a report and update the index",
              openapi_extra={"requestBody": {"required": True, "content": {"multipart/form-data": {"schema": {
                  "type": "object", "required": ["file"],
                  "properties": {"file": {"type": "string", "format": "binary",
                                          "description": f".txt, .md or .pdf, at most {MAX_UPLOAD_BYTES} bytes"}}}}}}})
    async def upload(request: Request,
                     replace: bool = Query(False, description="覆盖同名但内容不同的文件 / overwrite a different file "
                                                               "with the same name")) -> UploadAccepted:
        _raw, name, data = await read_upload(request)
        if not data:
            raise ApiError(400, "empty_file", "文件为空 / the uploaded file is empty")
        info, warnings = await run_in_threadpool(_check_report, data, name)
        status = await run_in_threadpool(corpus.store, name, data, replace)
        if status != "unchanged":
            log.info("stored upload %s (%d bytes, %s)", name, len(data), status)
        job_id, queued = jobs.submit(f"upload {name}", coalesce=True)
        return UploadAccepted(job_id=job_id, queued=queued, stored_as=name, status=status, size=len(data),
                              sha256=hashlib.sha256(data).hexdigest(), report=info, warnings=warnings)

    @app.post("/index/rebuild", status_code=202, response_model=JobAccepted, tags=["admin"],
              dependencies=[Depends(require_admin)], responses={401: _ERR, 403: _ERR, 409: _ERR},
              summary="增量重建索引 / start an incremental rebuild")
    def rebuild(full: bool = Query(False, description="重新解析并嵌入全部报告 / rebuild from scratch")) -> JobAccepted:
        try:
            job_id, queued = jobs.submit("rebuild", full=full)
        except BuildBusyError as exc:
            raise ApiError(409, "build_running",
                           f"已有索引构建在进行（{exc}），请等待完成 / a rebuild is already running ({exc}); "
                           f"wait for it to finish") from None
        return JobAccepted(job_id=job_id, queued=queued)

    @app.get("/index/status", response_model=IndexStatus, tags=["admin"], summary="索引状态 / index status")
    def index_status() -> IndexStatus:
        snap = jobs.snapshot()
        engine = holder.get()
        model = version = None
        counts: dict = {}
        if engine is not None:
            model = getattr(engine, "model_id", None)
            version = getattr(engine, "version", None)
            try:
                stats = engine.stats() or {}
            except Exception:
                log.exception("engine.stats() failed")
                stats = {}
            raw_counts = stats.get("counts") if isinstance(stats.get("counts"), dict) else stats
            counts = {k: v for k, v in raw_counts.items() if isinstance(v, (int, float)) and not isinstance(v, bool)}
            model = model or stats.get("model")
            version = version or stats.get("version")
        if snap["last_error"] is None and engine is None and snap["state"] != "running":
            snap["last_error"] = holder.error
        return IndexStatus(ready=engine is not None, model=_str_or_none(model), version=_str_or_none(version),
                           counts=counts, **snap)

    # ---- health
    @app.get("/healthz", response_model=Health, tags=["health"], summary="存活 / liveness")
    def healthz() -> Health:
        return Health(ready=holder.get() is not None)

    @app.get("/readyz", response_model=Ready, tags=["health"], responses={503: _ERR},
             summary="就绪（索引已加载）/ readiness (index loaded)")
    def readyz() -> Ready:
        engine = require_engine()
        return Ready(model=_str_or_none(getattr(engine, "model_id", None)),
                     version=_str_or_none(getattr(engine, "version", None)))

    for _path, _fn in (("/healthz", healthz), ("/readyz", readyz)):  # HEAD for probes, not in the schema
        app.add_api_route(_path, _fn, methods=["HEAD"], include_in_schema=False)

    # ---- the web page (explicit files from api/web/ only)
    def web_file(name: str) -> Response:
        media = WEB_FILES.get(name)
        path = WEB_DIR / name
        if media is None or not path.is_file():
            raise ApiError(404, "not_found", f"未找到 / not found: {_one_line(name, 80)}")
        headers = {"Cache-Control": "no-cache", "X-Content-Type-Options": "nosniff"}
        if name.endswith(".html"):
            headers.update({"Content-Security-Policy": PAGE_CSP, "X-Frame-Options": "DENY",
                            "Referrer-Policy": "no-referrer"})
        return FileResponse(path, media_type=media, headers=headers)

    @app.api_route("/", methods=["GET", "HEAD"], include_in_schema=False)
    def index_page() -> Response:
        return web_file("index.html")

    # ---- API documentation, offline: Swagger UI from fastapi-offline's files, else our reference page
    docs_assets = apidocs.offline_assets_dir()
    docs_headers = {"Cache-Control": "no-cache", "X-Content-Type-Options": "nosniff", "X-Frame-Options": "DENY",
                    "Referrer-Policy": "no-referrer"}

    @app.api_route("/docs", methods=["GET", "HEAD"], include_in_schema=False)
    def docs_page() -> Response:
        if docs_assets is None:
            return HTMLResponse(apidocs.reference_html(app.openapi()),
                                headers={**docs_headers, "Content-Security-Policy": apidocs.REFERENCE_CSP})
        page = get_swagger_ui_html(openapi_url=app.openapi_url, title=f"{app.title} — API",
                                   swagger_js_url=apidocs.ASSET_PREFIX + "swagger-ui-bundle.js",
                                   swagger_css_url=apidocs.ASSET_PREFIX + "swagger-ui.css",
                                   swagger_favicon_url=apidocs.ASSET_PREFIX + "favicon.png",
                                   swagger_ui_parameters=apidocs.SWAGGER_PARAMETERS)
        page.headers.update({**docs_headers, "Content-Security-Policy": apidocs.DOCS_CSP})
        return page

    @app.api_route(apidocs.ASSET_PREFIX + "{name}", methods=["GET", "HEAD"], include_in_schema=False)
    def docs_asset(name: str) -> Response:
        media = apidocs.ASSETS.get(name)
        if docs_assets is None or media is None or not (docs_assets / name).is_file():
            raise ApiError(404, "not_found", f"未找到 / not found: {_one_line(name, 80)}")
        return FileResponse(docs_assets / name, media_type=media,
                            headers={"Cache-Control": "public, max-age=86400", "X-Content-Type-Options": "nosniff"})

    @app.api_route("/static/{name}", methods=["GET", "HEAD"], include_in_schema=False)
    def static_file(name: str) -> Response:
        return web_file(name)

    return app


def _validated(fn: Callable[[], Any], field: str) -> Any:
    try:
        return fn()
    except ValueError as exc:
        raise ApiError(422, "invalid_request", f"{field}: {exc}") from None


def _str_or_none(value: Any) -> Optional[str]:
    return None if value is None else str(value)


def serve(index_dir: Path, corpus_dir: Path, host: str = "127.0.0.1", port: int = 8000,
          admin_token: Optional[str] = None, engine_loader=None) -> None:
    """Run the service with uvicorn (blocking). The admin token defaults to $REPORTQA_ADMIN_TOKEN."""
    import uvicorn

    token = admin_token if admin_token is not None else (os.environ.get(ADMIN_ENV) or None)
    if not token:
        log.warning("%s is not set: uploads and rebuilds over HTTP are refused", ADMIN_ENV)
    app = create_app(Path(index_dir), Path(corpus_dir), token, engine_loader)
    uvicorn.run(app, host=host, port=port, log_level="info", proxy_headers=False, server_header=False)
