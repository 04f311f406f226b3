"""Operations: ``/healthz`` (store and database reachable, workers not stuck) and ``/metrics`` (Prometheus)."""

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
    """Whether the knowledge store and the database answer, and whether chat updates are being processed."""

    status: Literal["ok", "degraded", "error"]
    store: Literal["ok", "error"]
    database: Literal["ok", "error"]
    workers: Literal["ok", "stuck", "unknown"]
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
    state = request.app.state
    store = _probe("kho tri thức", _check_store, state)
    database = _probe("cơ sở dữ liệu", _check_database, state)
    ok = store == "ok" and database == "ok"
    stuck = _delivery_problems(state) if database == "ok" else None
    workers = "unknown" if stuck is None else ("stuck" if stuck else "ok")
    if not ok:
        status, detail = "error", "Kho tri thức hoặc cơ sở dữ liệu không phản hồi."
    elif stuck:
        # The API still stores updates durably: report, but stay in the load balancer's rotation.
        status, detail = "degraded", " ".join(stuck)
    else:
        status, detail = "ok", "Dịch vụ hoạt động bình thường."
    health = Health(status=status, store=store, database=database, workers=workers, detail=detail)
    return JSONResponse(health.model_dump(), status_code=200 if ok else 503)


def _delivery_problems(state) -> list[str] | None:
    """Stuck workers or a stalled inbox (None when the check itself fails)."""
    from bot.delivery import monitor

    try:
        return monitor.problems(state.services.db)
    except Exception:
        log.exception("Kiểm tra sức khỏe thất bại: tiến trình xử lý")
        return None


@router.get("/metrics", response_class=PlainTextResponse, summary="Chỉ số Prometheus")
def prometheus_metrics(request: Request, metrics: MetricsDep) -> Response:
    """Requests, latency, questions, quiz attempts, and chat delivery (inbox/outbox depth, lag, retries, workers)."""
    from bot.delivery import monitor

    try:
        metrics.set_delivery(monitor.snapshot(request.app.state.services.db))
    except Exception:  # the database is down: the request metrics are still worth serving
        log.exception("Không đọc được chỉ số chuyển tin")
    return Response(metrics.render(), media_type=CONTENT_TYPE)
