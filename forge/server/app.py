"""The ASGI application: routers, problem details, body limit, shared state."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI, Request
from fastapi.openapi.utils import get_openapi
from sqlalchemy import text

from . import problems, static
from .config import Settings
from .db import make_engine, session_factory
from .ingest import IngestWriter
from .limits import BodyLimit
from .routers import builds, deployments, projects, studio, telemetry
from .schemas import Health, Problem
from .sealing import SealingKey
from .store import BlobStore

API_VERSION = "1.0.0"


def create_app(settings: Settings, sealing_key: SealingKey) -> FastAPI:
    """The app for `settings`; migrations and the sealing key are the caller's job (`forge serve`
    runs the one and checks the other against the database)."""
    app = FastAPI(title="Rune Forge", version=API_VERSION,
                  description="Deployments of runes: projects, keys, builds, versions, channels, "
                  "signed artifacts and telemetry. Errors are RFC 9457 problem details.")
    engine = make_engine(settings.url)
    app.state.settings = settings
    app.state.sealing_key = sealing_key
    app.state.engine = engine
    app.state.sessions = session_factory(engine)
    app.state.store = BlobStore(settings.store_dir)
    app.state.ingest = IngestWriter(make_engine(settings.url))  # its own pool: never starved
    problems.install(app)
    for module in (projects, builds, deployments, telemetry, studio):
        app.include_router(module.router)

    @app.get("/v1/health", response_model=Health, tags=["health"])
    def health(request: Request) -> Health:
        """Liveness and database reachability (no key needed)."""
        with request.app.state.engine.connect() as conn:
            conn.execute(text("SELECT 1"))
        return Health(status="ok", database=engine.dialect.name)

    app.add_middleware(BodyLimit, max_bytes=settings.max_upload_bytes)
    app.add_middleware(static.StudioFiles)  # the studio at /, outside the API's routes
    app.openapi = lambda: _openapi(app)  # type: ignore[method-assign]
    return app


ERROR_STATUSES = {"400": "Bad Request", "401": "Unauthorized", "403": "Forbidden",
                  "404": "Not Found", "409": "Conflict", "413": "Content Too Large",
                  "422": "Unprocessable Content", "500": "Internal Server Error"}


def _openapi(app: FastAPI) -> dict[str, Any]:
    """FastAPI's document, with every error response declared as what the server really
    sends: application/problem+json with the Problem schema."""
    if app.openapi_schema is not None:
        return app.openapi_schema
    spec = get_openapi(title=app.title, version=app.version, description=app.description,
                       routes=app.routes)
    spec["components"]["schemas"]["Problem"] = Problem.model_json_schema(
        ref_template="#/components/schemas/{model}")
    problem = {"application/problem+json": {"schema": {"$ref": "#/components/schemas/Problem"}}}
    for path, operations in spec["paths"].items():
        for operation in operations.values():
            responses = operation.setdefault("responses", {})
            statuses = ("500",) if path == "/v1/health" else ERROR_STATUSES
            for status in statuses:
                responses[status] = {"description": ERROR_STATUSES[status], "content": problem}
    spec["components"]["schemas"].pop("HTTPValidationError", None)
    spec["components"]["schemas"].pop("ValidationError", None)
    app.openapi_schema = spec
    return spec
