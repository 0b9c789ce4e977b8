"""The ASGI application: routers, problem details, body limit, shared state."""

from __future__ import annotations

from fastapi import FastAPI, Request
from sqlalchemy import text

from . import problems
from .config import Settings
from .db import make_engine, session_factory
from .limits import BodyLimit
from .routers import builds, deployments, projects, telemetry
from .schemas import Health, Problem
from .store import BlobStore

API_VERSION = "1.0.0"


def create_app(settings: Settings) -> FastAPI:
    """The app for `settings`; migrations are the caller's job (`forge serve` runs them)."""
    app = FastAPI(title="Rune Forge", version=API_VERSION,
                  description="Deployments of runes: projects, keys, builds, versions, channels, "
                  "signed artifacts and telemetry. Errors are RFC 9457 problem details.",
                  responses={400: {"model": Problem}, 401: {"model": Problem},
                             403: {"model": Problem}, 404: {"model": Problem},
                             409: {"model": Problem}, 413: {"model": Problem},
                             422: {"model": Problem}})
    engine = make_engine(settings.url)
    app.state.settings = settings
    app.state.engine = engine
    app.state.sessions = session_factory(engine)
    app.state.store = BlobStore(settings.store_dir)
    problems.install(app)
    for module in (projects, builds, deployments, telemetry):
        app.include_router(module.router)

    @app.get("/v1/health", response_model=Health, tags=["health"])
    def health(request: Request) -> Health:
        """Liveness and database reachability (no key needed)."""
        with request.app.state.engine.connect() as conn:
            conn.execute(text("SELECT 1"))
        return Health(status="ok", database=engine.dialect.name)

    app.add_middleware(BodyLimit, max_bytes=settings.max_upload_bytes)
    return app
