"""The ReportQA HTTP service (contract: shared/docs/contract.md, section "HTTP").

`create_app(index_dir, corpus_dir, admin_token)` builds the FastAPI application: it creates the
services (`api.dependencies.Services`: settings, the engine holder, the rebuild jobs, the corpus
writer), the middlewares and the error handlers, and includes the routers:

* `routers/query.py` — /ask, /search, /passages/{chunk_id}, /verify
* `routers/reports.py` — /reports (list; admin: upload, correct, remove)
* `routers/index.py` — /index/rebuild (admin), /index/status
* `routers/health.py` — /healthz, /readyz
* `routers/web.py` — the chat page, its assets and the offline /docs

The engine is loaded once at startup; a background rebuild loads a new one and swaps it in, so
queries never see a half-loaded index. Every error, including validation errors, 404/405 and
unexpected exceptions, is answered as `{"error": {"code", "message"}}` (`api/errors.py`).
"""
from __future__ import annotations

import dataclasses
import logging
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Callable, Optional

from fastapi import FastAPI
from starlette.concurrency import run_in_threadpool

from indexer.settings import ENV_ADMIN_TOKEN, Settings
from retriever.protocol import ReportEngine

from .dependencies import Services
from .errors import ERR, install_handlers
from .jobs import BuildJobs, EngineHolder, default_engine_loader
from .middleware import BodyLimitMiddleware, CatchAllMiddleware
from .routers import health, index, query, reports, web
from .uploads import CorpusStore
from .web import apidocs

log = logging.getLogger("reportqa.api")

DESCRIPTION = ("Offline question answering over Chinese government final-accounts reports (部门决算). "
               "Errors are `{\"error\": {\"code\", \"message\"}}`. Admin endpoints need "
               "`Authorization: Bearer $REPORTQA_ADMIN_TOKEN`.")


def create_app(index_dir: Path, corpus_dir: Path, admin_token: Optional[str],
               engine_loader: Optional[Callable[[Path], ReportEngine]] = None, *,
               build_fn: Optional[Callable[..., dict]] = None, settings: Optional[Settings] = None) -> FastAPI:
    """The ReportQA FastAPI app.

    `admin_token` None or empty refuses every admin request; `build_fn` defaults to
    `indexer.build.build_index` and `engine_loader` to `retriever.engine.Engine.load` (tests pass
    fakes); `settings` supplies everything else (limits), defaults to `Settings()`."""
    settings = dataclasses.replace(settings or Settings(), index_dir=Path(index_dir), corpus_dir=Path(corpus_dir),
                                   admin_token=admin_token or None)
    holder = EngineHolder(settings.index_dir, engine_loader or default_engine_loader)
    jobs = BuildJobs(settings.corpus_dir, settings.index_dir, holder, build_fn,
                     lock_wait=settings.limits.build_lock_wait)
    services = Services(settings=settings, holder=holder, jobs=jobs,
                        corpus=CorpusStore(settings.corpus_dir, settings.limits.upload_suffixes))

    @asynccontextmanager
    async def lifespan(app: FastAPI):
        await run_in_threadpool(holder.load_initial)
        yield
        if jobs.running:
            log.info("shutting down while a rebuild runs; the previous index stays live")

    app = FastAPI(
        title="ReportQA 决算问答",
        version="1",
        description=DESCRIPTION,
        lifespan=lifespan,
        responses={400: ERR, 422: ERR, 500: ERR},
        docs_url=None,  # FastAPI's own pages load Swagger UI / ReDoc from a CDN; ours are offline (routers/web.py)
        redoc_url=None,
    )
    app.state.services = services
    app.state.settings, app.state.holder, app.state.jobs, app.state.corpus = settings, holder, jobs, services.corpus
    app.state.index_dir, app.state.corpus_dir = settings.index_dir, settings.corpus_dir
    app.state.docs_assets = apidocs.offline_assets_dir()
    app.add_middleware(BodyLimitMiddleware, limit=settings.limits.max_json_bytes, exempt=(("POST", "/reports"),))
    app.add_middleware(CatchAllMiddleware)
    install_handlers(app)
    for router in (query.router, reports.router, index.router, health.router, web.router):
        app.include_router(router)
    return app


def serve(index_dir: Path, corpus_dir: Path, host: str = "127.0.0.1", port: int = 8000,
          admin_token: Optional[str] = None, engine_loader=None, settings: Optional[Settings] = None) -> None:
    """Run the service with uvicorn (blocking). Settings are read from the environment once, here;
    the admin token defaults to $REPORTQA_ADMIN_TOKEN."""
    import uvicorn

    settings = settings or Settings.from_env()
    token = admin_token if admin_token is not None else settings.admin_token
    if not token:
        log.warning("%s is not set: uploads and rebuilds over HTTP are refused", ENV_ADMIN_TOKEN)
    app = create_app(Path(index_dir), Path(corpus_dir), token, engine_loader, settings=settings)
    uvicorn.run(app, host=host, port=port, log_level="info", proxy_headers=False, server_header=False)
