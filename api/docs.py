"""Interactive API docs (Swagger UI) served from this process, not from a CDN.

Commune offices may be offline or behind a strict proxy; FastAPI's default ``/docs``
loads Swagger UI from a public CDN and shows a blank page there. The assets come from
the ``swagger-ui-bundle-v2`` package instead.
"""

from __future__ import annotations

from fastapi import FastAPI
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.responses import HTMLResponse
from fastapi.staticfiles import StaticFiles
from swagger_ui_bundle import swagger_ui_path

ASSETS = "/static/swagger-ui"


def install_docs(app: FastAPI) -> None:
    """Serve Swagger UI at ``/docs`` with local assets (the app must have ``docs_url=None``)."""
    app.mount(ASSETS, StaticFiles(directory=swagger_ui_path), name="swagger-ui")

    @app.get("/docs", include_in_schema=False)
    async def swagger_ui() -> HTMLResponse:
        return get_swagger_ui_html(
            openapi_url=app.openapi_url,
            title=f"{app.title} — tài liệu API",
            swagger_js_url=f"{ASSETS}/swagger-ui-bundle.js",
            swagger_css_url=f"{ASSETS}/swagger-ui.css",
            swagger_favicon_url=f"{ASSETS}/favicon-32x32.png",
        )
