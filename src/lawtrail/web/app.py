"""The application factory: one FastAPI app serving the API (/api/v1) and the pages."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from fastapi import FastAPI
from fastapi.exceptions import RequestValidationError
from fastapi.staticfiles import StaticFiles
from starlette.exceptions import HTTPException as StarletteHTTPException

from lawtrail.bootstrap import Container, build
from lawtrail.config import load_settings
from lawtrail.errors import LawtrailError
from lawtrail.web import errors as handlers
from lawtrail.web.api.access import router as access_api_router
from lawtrail.web.api.activities import router as activities_api_router
from lawtrail.web.api.approvals import router as approvals_api_router
from lawtrail.web.api.archive import router as archive_api_router
from lawtrail.web.api.cases import router as cases_api_router
from lawtrail.web.api.disclosure import router as disclosure_api_router
from lawtrail.web.api.findings import router as findings_api_router
from lawtrail.web.api.ledger import router as ledger_api_router
from lawtrail.web.api.media import router as media_api_router
from lawtrail.web.api.oversight import router as oversight_api_router
from lawtrail.web.api.prints import router as prints_api_router
from lawtrail.web.api.records import router as records_api_router
from lawtrail.web.api.routes import router as api_router
from lawtrail.web.api.uploads import router as uploads_api_router
from lawtrail.web.derived_runtime import Deriver
from lawtrail.web.findings_runtime import FindingsKeeper
from lawtrail.web.ledger_runtime import CHECK_INTERVAL, Checkpointer, Periodic, VaultVerifier
from lawtrail.web.middleware import RequestLimits
from lawtrail.web.oversight_runtime import SnapshotTaker
from lawtrail.web.ui.access import router as access_ui_router
from lawtrail.web.ui.activities import router as activities_ui_router
from lawtrail.web.ui.disclosure import router as disclosure_ui_router
from lawtrail.web.ui.media import router as media_ui_router
from lawtrail.web.ui.media_context import router as media_context_router
from lawtrail.web.ui.pages import router as ui_router

STATIC = Path(__file__).parent / "static"

#: Paths that stream large bodies and enforce their own limits (the evidence vault's uploads).
STREAMING_PREFIXES: tuple[str, ...] = ("/api/v1/uploads",)


def create_app(container: Container, *, checkpoint_interval: float | None = CHECK_INTERVAL) -> FastAPI:
    """Build the app around an already-wired container (tests pass their own).

    While the app runs (its lifespan), background threads make the automatic checkpoints, the
    scheduled vault verification (LAWTRAIL_VAULT_VERIFY_HOURS) and the dashboard's snapshots,
    each asking every ``checkpoint_interval`` seconds whether it is due, keep the stored
    findings warm (LAWTRAIL_FINDINGS_KEEP_MINUTES) and make previews; None leaves them all off.
    """

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        workers: list[Periodic] = []
        if checkpoint_interval:
            workers.append(Checkpointer(container, checkpoint_interval))
            if container.settings.vault_verify_hours:
                workers.append(VaultVerifier(container, checkpoint_interval))
            workers.append(SnapshotTaker(container, checkpoint_interval))
            if container.settings.findings_keep_minutes:
                workers.append(FindingsKeeper(container, container.settings.findings_keep_minutes * 60.0))
            if container.settings.derive_previews:
                workers.append(Deriver(container, checkpoint_interval))
        for worker in workers:
            worker.start()
        try:
            yield
        finally:
            for worker in workers:
                worker.stop()

    app = FastAPI(
        lifespan=lifespan,
        title="lawtrail 执法全过程记录系统",
        version="0.1.0",
        description="行政执法全过程记录 API / whole-process enforcement recording API",
        openapi_url="/openapi.json",
        docs_url="/api/docs",
        redoc_url=None,
    )
    app.state.container = container
    app.add_exception_handler(LawtrailError, handlers.on_domain_error)
    app.add_exception_handler(RequestValidationError, handlers.on_validation_error)
    app.add_exception_handler(StarletteHTTPException, handlers.on_http_error)
    app.add_exception_handler(Exception, handlers.on_unexpected)
    app.include_router(api_router)
    app.include_router(ledger_api_router)
    app.include_router(uploads_api_router)
    app.include_router(findings_api_router)
    app.include_router(cases_api_router)
    app.include_router(access_api_router)
    app.include_router(oversight_api_router)
    app.include_router(records_api_router)
    app.include_router(prints_api_router)
    app.include_router(approvals_api_router)
    app.include_router(ui_router)
    app.include_router(media_api_router)
    app.include_router(media_ui_router)
    app.include_router(media_context_router)
    app.include_router(activities_api_router)
    app.include_router(archive_api_router)
    app.include_router(ui_router)
    app.include_router(activities_ui_router)
    app.include_router(access_ui_router)
    app.include_router(disclosure_api_router)
    app.include_router(disclosure_ui_router)
    app.mount("/static", StaticFiles(directory=STATIC), name="static")
    app.add_middleware(RequestLimits, max_bytes=container.settings.max_request_bytes,
                       exempt_prefixes=STREAMING_PREFIXES)
    return app


def create_app_from_env() -> FastAPI:
    """Factory for uvicorn (``--factory``): settings from ``LAWTRAIL_*``, schema migrated."""
    settings = load_settings()
    logging.basicConfig(level=settings.log_level)
    container = build(settings)
    container.migrate()
    return create_app(container)
