"""The app factory: `create_app(settings)` wires the store, the model and the routers."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse

from dropout_risk.settings import Settings, get_settings
from features.errors import UserError
from serving.audit import AuditUnavailable
from serving.deps import AMBIGUOUS, AUDIT_DOWN
from serving.docs_page import mount_docs
from serving.guard import Guard
from serving.lifecycle import ModelLifecycle, ServedModel
from serving.metrics import Metrics, MetricsMiddleware
from serving.routes import ROUTERS
from serving.store import AmbiguousStudent, ScoreStore
from serving.web.routes import mount_page

DESCRIPTION = """Dropout early-warning service. Case workers read the ranked list and each
student's risk and reasons for their own jurisdiction and record home visits; researchers
also read the model card and score indicator rows on demand. Every call but `/healthz`
needs `Authorization: Bearer TOKEN`. A student outside your scope answers 404, exactly
like one that does not exist."""


def create_app(
    settings: Settings | None = None,
    *,
    store: ScoreStore | None = None,
    models: ModelLifecycle | None = None,
) -> FastAPI:
    """Build the app; the store and model are opened at startup unless given (tests)."""
    settings = settings or get_settings()
    metrics = Metrics()

    def on_swap(served: ServedModel) -> None:
        metrics.set_model(served.version, served.source)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        own_store = store is None
        app.state.store = store or ScoreStore.open(settings.database_url, buffered_audit=True)
        lifecycle = models or ModelLifecycle(
            settings.tracking_uri,
            settings.model_cache_dir,
            settings.model_name,
            settings.champion_alias,
            poll_seconds=settings.model_poll_seconds,
        )
        lifecycle.on_swap = on_swap
        if not lifecycle.loaded:
            lifecycle.start()
        else:
            on_swap(lifecycle.current)
        app.state.models = lifecycle
        try:
            yield
        finally:
            lifecycle.stop()
            if own_store:
                app.state.store.close()

    app = FastAPI(
        title="dropout-risk",
        version="1",
        description=DESCRIPTION,
        lifespan=lifespan,
        docs_url=None,  # served by serving.docs_page: local files, behind a token
        redoc_url=None,
        openapi_url=None,
    )
    app.state.metrics = metrics
    app.state.home = settings.home  # reconciliation files (serving.reconciled)
    app.add_middleware(MetricsMiddleware, metrics=metrics)
    app.add_middleware(Guard)  # added last: outermost, before anything reads the body

    @app.exception_handler(RequestValidationError)
    async def _invalid(_request: Request, exc: RequestValidationError) -> JSONResponse:
        return JSONResponse({"detail": validation_detail(exc)}, status_code=422)

    @app.exception_handler(UserError)
    async def _user_error(_request: Request, exc: UserError) -> JSONResponse:
        return JSONResponse({"detail": str(exc)}, status_code=422)

    @app.exception_handler(AuditUnavailable)
    async def _no_audit(_request: Request, _exc: AuditUnavailable) -> JSONResponse:
        # Nothing is shown that the audit log has not recorded.
        return JSONResponse({"detail": AUDIT_DOWN}, status_code=503)

    @app.exception_handler(AmbiguousStudent)
    async def _ambiguous(_request: Request, _exc: AmbiguousStudent) -> JSONResponse:
        return JSONResponse({"detail": AMBIGUOUS}, status_code=409)

    for router in ROUTERS:
        app.include_router(router)
    mount_page(app)
    if settings.env != "production":
        mount_docs(app)
    return app


MAX_ERRORS = 10


def validation_detail(exc: RequestValidationError) -> list[dict[str, object]]:
    """Where and what, never the input itself (it may be large, or a child's details)."""
    errors = exc.errors()
    shown = [
        {
            "loc": [str(part) for part in e.get("loc", ())][:6],
            "msg": e.get("msg", ""),
            "type": e.get("type", ""),
        }
        for e in errors[:MAX_ERRORS]
    ]
    if len(errors) > MAX_ERRORS:
        shown.append({"loc": [], "msg": f"and {len(errors) - MAX_ERRORS} more", "type": "more"})
    return shown


def app_from_env() -> FastAPI:
    """Factory for `uvicorn --factory serving.app:app_from_env` (settings from the environment)."""
    from serving.logs import configure_logging

    configure_logging()
    return create_app()
