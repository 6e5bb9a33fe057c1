"""Index routes: `POST /index/rebuild` (admin) and `GET /index/status`."""
from __future__ import annotations

import logging

from fastapi import APIRouter, Query

from ..dependencies import ADMIN, ServicesDep
from ..errors import ERR, ApiError
from ..jobs import BuildBusyError
from ..schemas import IndexStatus, JobAccepted

log = logging.getLogger("reportqa.api")
router = APIRouter(tags=["admin"])


@router.post("/index/rebuild", status_code=202, response_model=JobAccepted, dependencies=ADMIN,
             responses={401: ERR, 403: ERR, 409: ERR}, summary="增量重建索引 / start an incremental rebuild")
def rebuild(services: ServicesDep,
            full: bool = Query(False, description="重新解析并嵌入全部报告 / rebuild from scratch")) -> JobAccepted:
    try:
        job_id, queued = services.jobs.submit("rebuild", full=full)
    except BuildBusyError as exc:
        raise ApiError(409, "build_running",
                       f"已有索引构建在进行（{exc}），请等待完成 / a rebuild is already running ({exc}); "
                       f"wait for it to finish") from None
    return JobAccepted(job_id=job_id, queued=queued)


@router.get("/index/status", response_model=IndexStatus, summary="索引状态 / index status")
def index_status(services: ServicesDep) -> IndexStatus:
    snap = services.jobs.snapshot()
    engine = services.holder.get()
    model = version = None
    counts: dict = {}
    if engine is not None:
        model, version = engine.model_id, engine.version
        try:
            stats = engine.stats()
            counts = dict(stats.counts)
            model, version = model or stats.model, version or stats.version
        except Exception:
            log.exception("engine.stats() failed")
    if snap["last_error"] is None and engine is None and snap["state"] != "running":
        snap["last_error"] = services.holder.error
    return IndexStatus(ready=engine is not None, model=model, version=version, counts=counts, **snap)
