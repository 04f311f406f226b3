"""The HTTP app: API, trainer dashboard, bot webhooks, health and metrics.

:func:`create_app` builds everything; nothing is built at import time. Services
live on ``app.state.services`` and are opened lazily on first use.
"""

from __future__ import annotations

import asyncio
import contextlib
import secrets
import threading
from contextlib import asynccontextmanager
from pathlib import Path

import jinja2
from fastapi import FastAPI
from fastapi.middleware.cors import CORSMiddleware
from fastapi.staticfiles import StaticFiles
from fastapi.templating import Jinja2Templates
from starlette.middleware.sessions import SessionMiddleware

from api import checkpoints
from api.docs import install_docs
from api.errors import install_error_handlers
from api.guards import BodyGuard, SecureCookies
from api.jobs import IngestJobs
from api.metrics import Metrics, MetricsMiddleware
from api.routes import (
    admin,
    announcements,
    ask,
    certificates,
    dashboard,
    documents,
    evidence,
    health,
    quiz,
    ratings,
    reports,
    stats,
    unanswered,
    webhooks,
)
from api.routes.dashboard import SESSION_HOURS
from hocvuso.services import Services

PACKAGE_DIR = Path(__file__).resolve().parent

DESCRIPTION = """\
API của **Trợ lý Bình dân học vụ số**: hỏi đáp về các kế hoạch và bài học kỹ năng số,
duyệt văn bản theo mục, làm trắc nghiệm qua web, thống kê và xuất minh chứng cho giảng viên.

Quyền truy cập: hỏi đáp, văn bản và trắc nghiệm là công khai; thống kê và minh chứng cần khóa
vai trò *trainer*; quản trị cần khóa vai trò *admin*. Gửi khóa qua `Authorization: Bearer <khóa>`.
"""


def _templates() -> Jinja2Templates:
    environment = jinja2.Environment(
        loader=jinja2.FileSystemLoader(PACKAGE_DIR / "templates"),
        autoescape=True,  # every unit name and question typed by users is escaped
        trim_blocks=True,
        lstrip_blocks=True,
    )
    return Jinja2Templates(env=environment)


def _ingest_jobs(services: Services) -> IngestJobs:
    def run():
        from ingest.pipeline import ingest_paths

        return ingest_paths(services.settings, progress=False)

    return IngestJobs(run, on_success=services.reload_kb)


def _install_openapi_limits(app: FastAPI, max_question_chars: int) -> None:
    """Write limits that come from settings into the OpenAPI schema, so it matches what is enforced."""

    def openapi() -> dict:
        if app.openapi_schema is None:
            schema = FastAPI.openapi(app)
            question = schema["components"]["schemas"]["AskRequest"]["properties"]["question"]
            question["maxLength"] = max_question_chars
        return app.openapi_schema

    app.openapi = openapi


def create_app(services: Services | None = None) -> FastAPI:
    """Build the app around ``services`` (built from the environment when omitted)."""
    owns_services = services is None
    services = services if services is not None else Services()
    settings = services.settings

    @asynccontextmanager
    async def lifespan(app: FastAPI):
        await webhooks.startup(app)
        signer = None
        if settings.evidence.checkpoint_hours > 0:
            signer = asyncio.create_task(checkpoints.run(services, settings.evidence.checkpoint_hours))
        try:
            yield
        finally:
            if signer is not None:
                signer.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await signer
            await webhooks.shutdown(app)
            # A running ingest finishes writing the store before the process goes.
            await asyncio.to_thread(app.state.ingest_jobs.join)
            if owns_services:
                services.close()

    app = FastAPI(
        title="Trợ lý Bình dân học vụ số",
        description=DESCRIPTION,
        version="0.1.0",
        lifespan=lifespan,
        docs_url=None,  # served by install_docs with local assets
        redoc_url=None,  # ReDoc has no offline bundle; Swagger UI is enough
    )
    app.state.services = services
    app.state.metrics = Metrics()
    app.state.ingest_jobs = _ingest_jobs(services)
    app.state.templates = _templates()
    app.state.quiz = None  # the web quiz engine, built on first use
    app.state.quiz_lock = threading.Lock()
    app.state.store_client = None  # the Chroma client of the health check, built on first use

    install_error_handlers(app)
    for module in (health, ask, documents, quiz, certificates, stats, unanswered, ratings, reports, evidence, admin,
                   announcements, dashboard, webhooks):
        app.include_router(module.router)
    install_docs(app)
    app.mount("/static", StaticFiles(directory=PACKAGE_DIR / "static"), name="static")

    # Innermost first: each add_middleware wraps the ones before it.
    app.add_middleware(BodyGuard, max_bytes=settings.api.max_body_bytes, max_depth=settings.api.max_json_depth)
    session_secret = settings.api.session_secret.get_secret_value() or secrets.token_urlsafe(32)
    app.add_middleware(
        SessionMiddleware,
        secret_key=session_secret,
        session_cookie="hocvuso_session",
        max_age=SESSION_HOURS * 3600,
        path="/dashboard",
        same_site="lax",
    )
    app.add_middleware(SecureCookies, mode=settings.api.secure_cookies)
    if settings.api.cors_origins:
        app.add_middleware(
            CORSMiddleware,
            allow_origins=settings.api.cors_origins,
            allow_methods=["GET", "POST", "DELETE"],
            allow_headers=["Authorization", "Content-Type"],
        )
    # Added last, so it is the outermost of our middlewares and times everything.
    app.add_middleware(MetricsMiddleware, metrics=app.state.metrics, router=app.router)
    _install_openapi_limits(app, settings.api.max_question_chars)
    return app
