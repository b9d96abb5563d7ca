"""Prometheus metrics: request latency by route template, scores served, model version.

Each app owns its registry, so several apps in one process (tests) never clash.
"""

from __future__ import annotations

import logging
import time

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest
from starlette.types import ASGIApp, Message, Receive, Scope, Send

# Store reads are milliseconds; on-demand scoring of many rows can take a second.
access_log = logging.getLogger("serving.access")

_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0)


class Metrics:
    """The service's metrics in one registry."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        self.latency = Histogram(
            "dropout_risk_request_duration_seconds",
            "HTTP request latency by method and route template.",
            ["method", "route"],
            buckets=_BUCKETS,
            registry=self.registry,
        )
        self.requests = Counter(
            "dropout_risk_requests_total",
            "HTTP requests by method, route template and status.",
            ["method", "route", "status"],
            registry=self.registry,
        )
        self.scores_served = Counter(
            "dropout_risk_scores_served_total",
            "Student scores returned, by endpoint (student, watchlist, score).",
            ["endpoint"],
            registry=self.registry,
        )
        self.model_info = Gauge(
            "dropout_risk_model_info",
            "1 for the model version in service.",
            ["version", "source"],
            registry=self.registry,
        )
        self.model_loaded_at = Gauge(
            "dropout_risk_model_loaded_timestamp_seconds",
            "When the model in service was loaded.",
            registry=self.registry,
        )

    def set_model(self, version: str, source: str) -> None:
        """Show exactly one model version as in service."""
        self.model_info.clear()
        self.model_info.labels(version=version, source=source).set(1)
        self.model_loaded_at.set(time.time())

    def render(self) -> bytes:
        return generate_latest(self.registry)


def route_template(scope: Scope) -> str:
    """The matched route's path template (never the raw path: it holds student ids)."""
    route = scope.get("route")
    path = getattr(route, "path", None)
    return path if isinstance(path, str) else "unmatched"


class MetricsMiddleware:
    """Pure ASGI middleware: times and logs each request under its route template."""

    def __init__(self, app: ASGIApp, metrics: Metrics) -> None:
        self.app = app
        self.metrics = metrics

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        start = time.perf_counter()
        status = 500

        async def send_status(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, send_status)
        finally:
            elapsed = time.perf_counter() - start
            route = route_template(scope)
            method = scope["method"]
            self.metrics.latency.labels(method, route).observe(elapsed)
            self.metrics.requests.labels(method, route, str(status)).inc()
            if access_log.isEnabledFor(logging.INFO):
                access_log.info(
                    "request",
                    extra={
                        "method": method,
                        "route": route,
                        "status": status,
                        "duration_ms": round(elapsed * 1000, 2),
                    },
                )
