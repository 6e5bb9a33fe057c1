"""Report routes: `GET /reports`, and the admin routes that change the corpus: upload
(`POST /reports`), correct metadata (`PATCH /reports/{report_id}`) and remove
(`DELETE /reports/{report_id}`). Each change starts an incremental rebuild and answers 202 with
its job id; queries keep using the previous index until the new one is loaded.
"""
from __future__ import annotations

import hashlib
import logging
from typing import Callable, TypeVar

from fastapi import APIRouter, Path as PathParam, Query, Request
from starlette.concurrency import run_in_threadpool

from indexer.models import ReportInfo
from indexer.settings import LIMITS

from ..dependencies import ADMIN, EngineDep, ServicesDep
from ..errors import ERR, ApiError, one_line
from ..schemas import ReportChanged, ReportPatch, ReportRemoved, UploadAccepted
from ..uploads import check_report, read_upload

log = logging.getLogger("reportqa.api")
router = APIRouter()
T = TypeVar("T")

ReportIdPath = PathParam(..., min_length=1, max_length=200, description="GET /reports 列出的 report_id")
UPLOAD_BODY = {"requestBody": {"required": True, "content": {"multipart/form-data": {"schema": {
    "type": "object", "required": ["file"],
    "properties": {"file": {"type": "string", "format": "binary",
                            "description": f".txt, .md or .pdf, at most {LIMITS.max_upload_bytes} bytes"}}}}}}}


@router.get("/reports", response_model=list[ReportInfo], tags=["reports"], responses={503: ERR},
            summary="已索引的报告 / every indexed report")
def reports(engine: EngineDep) -> list[ReportInfo]:
    return engine.reports()


@router.post("/reports", status_code=202, response_model=UploadAccepted, tags=["admin"], dependencies=ADMIN,
             responses={401: ERR, 403: ERR, 409: ERR, 413: ERR, 415: ERR},
             summary="上传报告并增量重建索引 / upload a report and update the index", openapi_extra=UPLOAD_BODY)
async def upload(request: Request, services: ServicesDep,
                 replace: bool = Query(False, description="覆盖同名但内容不同的文件 / overwrite a different file "
                                                           "with the same name")) -> UploadAccepted:
    _raw, name, data = await read_upload(request, services.settings.limits)
    if not data:
        raise ApiError(400, "empty_file", "文件为空 / the uploaded file is empty")
    engine = services.holder.get()
    indexed = engine.reports() if engine is not None else []
    info, warnings = await run_in_threadpool(check_report, data, name, indexed)
    status = await run_in_threadpool(services.corpus.store, name, data, replace)
    if status != "unchanged":
        log.info("stored upload %s (%d bytes, %s)", name, len(data), status)
    job_id, queued = services.jobs.submit(f"upload {name}", coalesce=True)
    return UploadAccepted(job_id=job_id, queued=queued, stored_as=name, status=status, size=len(data),
                          sha256=hashlib.sha256(data).hexdigest(), report=info, warnings=warnings)


@router.patch("/reports/{report_id}", status_code=202, response_model=ReportChanged, tags=["admin"],
              dependencies=ADMIN, responses={401: ERR, 403: ERR, 404: ERR, 413: ERR, 415: ERR, 503: ERR},
              summary="更正报告的单位、地区、年度或简称 / correct a report's metadata")
def patch_report(body: ReportPatch, services: ServicesDep, report_id: str = ReportIdPath) -> ReportChanged:
    registry = _registry()
    override = _known(report_id, lambda: registry.set_override(services.settings.corpus_dir, report_id,
                                                               body.changes()))
    log.info("metadata of %s corrected: %s", report_id, sorted(body.changes()))
    job_id, queued = services.jobs.submit(f"correct {report_id}", coalesce=True)
    return ReportChanged(job_id=job_id, queued=queued, report_id=report_id, override=dict(override))


@router.delete("/reports/{report_id}", status_code=202, response_model=ReportRemoved, tags=["admin"],
               dependencies=ADMIN, responses={401: ERR, 403: ERR, 404: ERR, 503: ERR},
               summary="从语料和索引中删除报告 / remove a report from the corpus and the index")
def delete_report(services: ServicesDep, report_id: str = ReportIdPath) -> ReportRemoved:
    registry = _registry()
    removed = _known(report_id, lambda: registry.remove_report(services.settings.corpus_dir, report_id))
    log.info("report %s removed (%s)", report_id, removed)
    job_id, queued = services.jobs.submit(f"remove {report_id}", coalesce=True)
    return ReportRemoved(job_id=job_id, queued=queued, report_id=report_id, removed=str(removed))


def _registry():
    """`indexer.registry` (stored corrections, stable ids, removals)."""
    try:
        from indexer import registry
    except ImportError:
        raise ApiError(503, "unavailable", "此版本尚不支持报告管理 / report management is not available "
                                           "in this build") from None
    return registry


def _known(report_id: str, change: Callable[[], T]) -> T:
    """Run a registry change; an unknown report id is a 404, a field the registry refuses a 422."""
    try:
        return change()
    except KeyError:
        raise ApiError(404, "not_found", f"未找到该报告 / unknown report: {one_line(report_id, 80)}") from None
    except ValueError as exc:
        raise ApiError(422, "invalid_request", one_line(exc, 300)) from None
