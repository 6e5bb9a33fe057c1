"""Probes: `GET /healthz` (liveness) and `GET /readyz` (index loaded), also as HEAD."""
from __future__ import annotations

from fastapi import APIRouter

from ..dependencies import EngineDep, ServicesDep
from ..errors import ERR
from ..schemas import Health, Ready

router = APIRouter(tags=["health"])


@router.get("/healthz", response_model=Health, summary="存活 / liveness")
def healthz(services: ServicesDep) -> Health:
    return Health(ready=services.holder.get() is not None)


@router.get("/readyz", response_model=Ready, responses={503: ERR}, summary="就绪（索引已加载）/ readiness (index loaded)")
def readyz(engine: EngineDep) -> Ready:
    return Ready(model=engine.model_id, version=engine.version)


for _path, _fn in (("/healthz", healthz), ("/readyz", readyz)):  # HEAD for probes, not in the schema
    router.add_api_route(_path, _fn, methods=["HEAD"], include_in_schema=False)
