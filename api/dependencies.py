"""What the routes depend on, as FastAPI dependencies: the services of the app, the loaded engine
(503 while there is none) and the admin token check.

The token is compared in constant time (`hmac.compare_digest`), never with `==`, and never echoed.
"""
from __future__ import annotations

import hmac
from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Request

from indexer.settings import ENV_ADMIN_TOKEN, Settings
from retriever.protocol import ReportEngine

from .errors import ApiError
from .jobs import REBUILD_HINT, BuildJobs, EngineHolder
from .uploads import CorpusStore


@dataclass(frozen=True)
class Services:
    """Everything a request may use, created once per app by `api.app.create_app`."""

    settings: Settings
    holder: EngineHolder
    jobs: BuildJobs
    corpus: CorpusStore


def get_services(request: Request) -> Services:
    return request.app.state.services


ServicesDep = Annotated[Services, Depends(get_services)]


def require_engine(services: ServicesDep) -> ReportEngine:
    """The live engine, or 503 (with Retry-After) while no index is loaded."""
    engine = services.holder.get()
    if engine is None:
        message = services.holder.error or REBUILD_HINT
        if services.jobs.running:
            message = f"索引正在构建中，请稍候 / the index is being built, retry shortly. {message}"
        raise ApiError(503, "index_not_ready", message, {"Retry-After": "5"})
    return engine


EngineDep = Annotated[ReportEngine, Depends(require_engine)]


def require_admin(request: Request, services: ServicesDep) -> None:
    """Admin requests carry `Authorization: Bearer <token>`; without a configured token: 403."""
    token = services.settings.admin_token
    if not token:
        raise ApiError(403, "admin_disabled",
                       f"管理功能未启用：请设置环境变量 {ENV_ADMIN_TOKEN} 后重启服务 / admin requests are refused: "
                       f"set {ENV_ADMIN_TOKEN} and restart the service")
    auth = request.headers.get("authorization", "")
    scheme, _, given = auth.partition(" ")
    if scheme.lower() != "bearer" or not given.strip():
        raise ApiError(401, "unauthorized", "缺少管理令牌：请使用 Authorization: Bearer <token> / "
                                           "admin token missing: send Authorization: Bearer <token>",
                       {"WWW-Authenticate": "Bearer"})
    if not hmac.compare_digest(given.strip().encode("utf-8"), token.encode("utf-8")):
        raise ApiError(401, "unauthorized", "管理令牌错误 / wrong admin token",
                       {"WWW-Authenticate": 'Bearer error="invalid_token"'})


ADMIN = [Depends(require_admin)]  # `dependencies=` of every data-changing route
