"""Operations: ``/healthz`` (store and database reachable) and ``/metrics`` (Prometheus)."""

from __future__ import annotations

import logging
from typing import Literal

from fastapi import APIRouter, Request, Response
from fastapi.responses import JSONResponse, PlainTextResponse
from pydantic import BaseModel
from sqlalchemy import text

from api.deps import MetricsDep
from api.metrics import CONTENT_TYPE
from knowledge.store import open_client

log = logging.getLogger(__name__)

router = APIRouter(tags=["Vận hành"])


class Health(BaseModel):
    """Whether the knowledge store and the database answer."""

    status: Literal["ok", "error"]
    store: Literal["ok", "error"]
    database: Literal["ok", "error"]
    detail: str


def _check_store(state) -> None:
    state.services.kb.is_empty()  # the knowledge base opens (once; it is kept)
    # and Chroma answers now, not only when the knowledge base was opened. The client
    # is kept too: building one costs more than the whole check.
    if state.store_client is None:
        state.store_client = open_client(state.services.settings)
    state.store_client.heartbeat()


def _check_database(state) -> None:
    with state.services.db.engine.connect() as connection:
        connection.execute(text("SELECT 1"))


def _probe(name: str, check, state) -> Literal["ok", "error"]:
    try:
        check(state)
    except Exception:
        log.exception("Kiểm tra sức khỏe thất bại: %s", name)
        return "error"
    return "ok"


@router.get("/healthz", response_model=Health, responses={503: {"model": Health, "description": "Có thành phần không phản hồi."}},
            summary="Kiểm tra sức khỏe dịch vụ")
def healthz(request: Request) -> JSONResponse:
    """200 when the knowledge store and the database are reachable, 503 otherwise."""
    store = _probe("kho tri thức", _check_store, request.app.state)
    database = _probe("cơ sở dữ liệu", _check_database, request.app.state)
    ok = store == "ok" and database == "ok"
    health = Health(
        status="ok" if ok else "error", store=store, database=database,
        detail="Dịch vụ hoạt động bình thường." if ok else "Kho tri thức hoặc cơ sở dữ liệu không phản hồi.",
    )
    return JSONResponse(health.model_dump(), status_code=200 if ok else 503)


@router.get("/metrics", response_class=PlainTextResponse, summary="Chỉ số Prometheus")
def prometheus_metrics(metrics: MetricsDep) -> Response:
    """Requests, latency, questions answered/unanswered and quiz attempts, in the Prometheus text format."""
    return Response(metrics.render(), media_type=CONTENT_TYPE)
