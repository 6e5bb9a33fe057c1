"""Query routes: `POST /ask`, `GET /search`, `GET /passages/{chunk_id}`, `POST /verify`."""
from __future__ import annotations

import time
from typing import Optional

from fastapi import APIRouter, Query

from indexer.models import AskResponse, Citation, PassageResponse, VerifyResponse
from indexer.settings import LIMITS

from ..dependencies import EngineDep
from ..errors import ERR, ApiError, one_line
from ..schemas import AskBody, VerifyBody, clean_text

router = APIRouter(tags=["query"])

NO_FIGURE = "陈述中没有可核对的数字（如“项目支出2,399.30万元”）/ the claim states no figure to check"


@router.post("/ask", response_model=AskResponse, responses={413: ERR, 415: ERR, 503: ERR},
             summary="回答一个问题 / answer a question")
def ask(body: AskBody, engine: EngineDep) -> AskResponse:
    t0 = time.perf_counter()
    result = engine.ask(body.question, top_k=body.top_k, report_id=body.report_id, year=body.year,
                        unit=body.unit, history=body.history or None)
    result.timing_ms.setdefault("total", round((time.perf_counter() - t0) * 1000, 2))
    return result


@router.get("/search", response_model=list[Citation], responses={503: ERR},
            summary="引用检索 / passages that best match q")
def search(engine: EngineDep,
           q: str = Query(..., description=f"检索词，去除首尾空白后 1–{LIMITS.max_question_chars} 字"),
           k: int = Query(10, ge=1, le=LIMITS.max_search_k),
           report_id: Optional[str] = Query(None, max_length=200)) -> list[Citation]:
    try:
        q = clean_text(q, "q", LIMITS.max_question_chars, "检索词")
    except ValueError as exc:
        raise ApiError(422, "invalid_request", f"q: {exc}") from None
    return engine.search(q, k=k, report_id=(report_id or "").strip() or None)


@router.get("/passages/{chunk_id:path}", response_model=PassageResponse, responses={404: ERR, 503: ERR},
            summary="一个段落及其前后段 / one passage with its neighbours")
def passage(chunk_id: str, engine: EngineDep) -> PassageResponse:
    found = engine.passage(chunk_id) if 0 < len(chunk_id) <= 300 else None
    if found is None:
        raise ApiError(404, "not_found", f"未找到该段落 / passage not found: {one_line(chunk_id, 80)}")
    return found


@router.post("/verify", response_model=VerifyResponse, responses={413: ERR, 415: ERR, 503: ERR},
             summary="核对陈述中的数字 / check the figures of a claim")
def verify(body: VerifyBody, engine: EngineDep) -> VerifyResponse:
    result = engine.verify(body.claim)
    if result.supported is None and not result.numbers and not result.reason:
        result.reason = NO_FIGURE
    return result
