"""Prometheus metrics of one app, in a registry of its own (never the process-global one)."""

from __future__ import annotations

import time

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    generate_latest,
)
from starlette.routing import Match, Router
from starlette.types import ASGIApp, Message, Receive, Scope, Send

CONTENT_TYPE = CONTENT_TYPE_LATEST
LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0)


DELIVERY_GAUGES = {
    "inbox_pending": "Chat updates stored and not yet processed.",
    "inbox_lag_seconds": "Age in seconds of the oldest update not yet processed (processing lag).",
    "outbox_pending": "Replies written and not yet accepted by the Bot API.",
    "outbox_failed": "Replies the Bot API refused for good (kept until pruned).",
    "outbox_retries": "Failed send attempts that were retried (replies kept until pruned).",
    "workers_live": "Worker slots reporting in time.",
    "workers_stuck": "Worker slots silent or busy on one update for too long.",
}


class Metrics:
    """The counters and histograms of one app."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        self.requests = Counter(
            "hocvuso_http_requests", "HTTP requests by route template and status.",
            ["method", "route", "status"], registry=self.registry,
        )
        self.latency = Histogram(
            "hocvuso_http_request_duration_seconds", "HTTP request latency by route template.",
            ["method", "route"], buckets=LATENCY_BUCKETS, registry=self.registry,
        )
        self.questions = Counter(
            "hocvuso_questions", "Questions asked through the API, by outcome.",
            ["outcome"], registry=self.registry,
        )
        self.quiz_attempts = Counter(
            "hocvuso_quiz_attempts", "Web quiz attempts, by event.",
            ["event"], registry=self.registry,
        )
        # Chat delivery, read from the database at each scrape (shared by every process).
        self.delivery = {
            name: Gauge(f"hocvuso_{name}", help_text, registry=self.registry)
            for name, help_text in DELIVERY_GAUGES.items()
        }
        # Show the series at zero before the first event, so dashboards have a baseline.
        for outcome in ("answered", "unanswered"):
            self.questions.labels(outcome=outcome)
        for event in ("started", "completed"):
            self.quiz_attempts.labels(event=event)

    def set_delivery(self, snapshot: dict) -> None:
        """Set the delivery gauges from :func:`bot.delivery.monitor.snapshot`."""
        for name, gauge in self.delivery.items():
            value = snapshot[name]
            gauge.set(len(value) if isinstance(value, list) else value)

    def render(self) -> bytes:
        """The registry in the Prometheus text format."""
        return generate_latest(self.registry)


class MetricsMiddleware:
    """Count requests and time them, labelled by route template (not raw path) to bound cardinality."""

    def __init__(self, app: ASGIApp, metrics: Metrics, router: Router) -> None:
        self.app = app
        self.metrics = metrics
        self.router = router

    def _route_template(self, scope: Scope, incoming: Scope) -> str:
        route = scope.get("route")
        if route is None:
            # The schema, the docs and mounted static files leave no route in the scope: find it
            # from the scope as it came in (a mount rewrites the paths of the one it is given).
            route = next((r for r in self.router.routes if r.matches(incoming)[0] is Match.FULL), None)
        return getattr(route, "path", None) or "<unmatched>"

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        status = 500
        started = time.perf_counter()
        incoming = dict(scope)

        async def send_and_record(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, send_and_record)
        finally:
            template = self._route_template(scope, incoming)
            method = scope["method"]
            self.metrics.requests.labels(method=method, route=template, status=str(status)).inc()
            self.metrics.latency.labels(method=method, route=template).observe(
                time.perf_counter() - started
            )
